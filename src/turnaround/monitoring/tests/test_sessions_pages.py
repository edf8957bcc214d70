"""The session pages: the school leader schedules, opens, records statuses, notes and next steps
and holds; refusals re-render with the user's input and the right status; readers see the pages
without forms and get 403 on writes; people who do not see the plan get 404. Also the minutes PDF
and the "where are we now" page."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io

import pytest
from pypdf import PdfReader

from turnaround.monitoring import services
from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.plans.models import PlanStatus
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(org):
    return make_plan(school=org.school, status=PlanStatus.STATE_APPROVED)


@pytest.fixture
def session(plan, personas):
    s = services.session_schedule(
        actor=personas.school_leader,
        plan=plan,
        year=2027,
        quarter=1,
        held_on=dt.date(2026, 9, 24),
        participants=[personas.school_leader],
        other_participants="Ms Rivera (instructional coach)",
    )
    return services.session_open(actor=personas.school_leader, session=s)


def one_h1(html: str) -> bool:
    return html.count("<h1") == 1


def test_school_leader_schedules_a_session_from_the_sessions_page(plan, personas, client_for):
    c = client_for(personas.school_leader)
    url = f"/plans/{plan.pk}/sessions/"
    page = c.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and one_h1(html)
    assert "Schedule a session" in html and 'aria-current="page">Quarterly sessions' in html
    refused = c.post(url, {"year": 2027, "quarter": 1, "held_on": "2026-12-01"})
    assert refused.status_code == 422
    assert "A session reviewing Q1 2026–27 is held during the quarter" in refused.content.decode()
    assert not StrategySession.objects.exists()
    done = c.post(
        url,
        {
            "year": 2027,
            "quarter": 1,
            "held_on": "2026-09-24",
            "participants": [personas.state_staff.pk],
            "other_participants": "Ms Rivera (coach)",
        },
    )
    session = StrategySession.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/plans/sessions/{session.pk}/"
    assert list(session.participants.all()) == [personas.state_staff]
    detail = c.get(done["Location"]).content.decode()
    assert "Open the session and take the snapshot" in detail and "Ms Rivera (coach)" in detail
    opened = c.post(f"/plans/sessions/{session.pk}/open", {"version": session.version})
    assert opened.status_code == 302
    assert StrategySession.objects.get().status == StrategySession.Status.OPEN


def test_a_draft_plan_has_no_session_form(org, personas, client_for):
    plan = make_plan(school=org.school)
    c = client_for(personas.school_leader)
    html = c.get(f"/plans/{plan.pk}/sessions/").content.decode()
    assert "Quarterly sessions start once the state has approved the plan" in html
    assert "Schedule a session" not in html
    refused = c.post(
        f"/plans/{plan.pk}/sessions/", {"year": 2027, "quarter": 1, "held_on": "2026-09-24"}
    )
    assert refused.status_code == 422 and not StrategySession.objects.exists()
    assert "Drafts and plans awaiting approval are not monitored." in refused.content.decode()


def test_recording_statuses_notes_and_next_steps_on_the_session_page(
    plan, session, personas, client_for
):
    c = client_for(personas.school_leader)
    url = f"/plans/sessions/{session.pk}/"
    html = c.get(url).content.decode()
    assert one_h1(html)
    assert "A frozen snapshot taken" in html and "Ms Rivera (instructional coach)" in html
    educator, student = plan.benchmarks.order_by("kind", "order", "pk")
    post = f"/plans/sessions/{session.pk}/benchmarks/{educator.pk}"
    p = f"b{educator.pk}-"
    # out of range: refused, the input kept, nothing saved
    refused = c.post(
        post,
        {p + "status": "on_track", p + "value": "140", p + "evidence": "Logs", p + "version": 0},
    )
    body = refused.content.decode()
    assert refused.status_code == 422
    assert "This benchmark is a percentage: enter 0 to 100 (140 is outside)." in body
    assert 'value="140"' in body
    assert not BenchmarkStatus.objects.exists()
    saved = c.post(
        post,
        {p + "status": "on_track", p + "value": "75", p + "evidence": "Logs", p + "version": 0},
    )
    assert saved.status_code == 302 and saved["Location"].endswith(f"#benchmark-{educator.pk}")
    row = BenchmarkStatus.objects.get()
    assert (row.status, row.value, row.evidence, row.version) == ("on_track", 75.0, "Logs", 1)
    # a second editor who loaded the empty row
    stale = client_for(personas.state_staff).post(
        post, {p + "status": "off_track", p + "value": "10", p + "version": 0}
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    assert BenchmarkStatus.objects.get().status == "on_track"
    # notes, then a next step
    notes = c.post(
        f"/plans/sessions/{session.pk}/notes",
        {
            "notes": "Screener data reviewed.",
            "decisions": "Regroup weekly.",
            "version": session.version,
        },
    )
    assert notes.status_code == 302
    step = c.post(
        f"/plans/sessions/{session.pk}/next-steps",
        {"description": "Post the regrouping calendar", "owner": "AP", "due_on": "2026-10-20"},
    )
    assert step.status_code == 302 and NextStep.objects.get().owner == "AP"
    # hold: refused while the student benchmark has no status, listing it
    refused = c.post(f"/plans/sessions/{session.pk}/hold", {"version": 3})
    assert refused.status_code == 422
    assert "Still without a status: “Students in tier 2" in refused.content.decode()
    q = f"b{student.pk}-"
    c.post(
        f"/plans/sessions/{session.pk}/benchmarks/{student.pk}",
        {q + "status": "at_risk", q + "value": "35", q + "version": 0},
    )
    held = c.post(f"/plans/sessions/{session.pk}/hold", {"version": 3})
    assert held.status_code == 302
    stored = StrategySession.objects.get()
    assert stored.status == StrategySession.Status.HELD
    assert (stored.notes, stored.decisions) == ("Screener data reviewed.", "Regroup weekly.")
    after = c.get(url).content.decode()
    assert "Save the status" not in after and "Hold the session" not in after
    locked = c.post(
        f"/plans/sessions/{session.pk}/notes", {"notes": "x", "decisions": "", "version": 4}
    )
    assert locked.status_code == 409 and "can no longer change" in locked.content.decode()


@pytest.mark.parametrize("who", ["partner_staff", "viewer", "ta_provider"])
def test_readers_see_the_session_but_cannot_write(plan, session, personas, client_for, who):
    c = client_for(getattr(personas, who))
    page = c.get(f"/plans/sessions/{session.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and one_h1(html)
    assert "Save the status" not in html and "Add a next step" not in html
    assert c.get(f"/plans/{plan.pk}/sessions/").status_code == 200
    b = plan.benchmarks.first()
    p = f"b{b.pk}-"
    refused = c.post(
        f"/plans/sessions/{session.pk}/benchmarks/{b.pk}",
        {p + "status": "met", p + "value": "90", p + "version": 0},
    )
    assert refused.status_code == 403
    assert "Only the plan's authors" in html_lib.unescape(refused.content.decode())
    assert c.post(f"/plans/sessions/{session.pk}/hold", {"version": 2}).status_code == 403
    scheduled = c.post(
        f"/plans/{plan.pk}/sessions/", {"year": 2027, "quarter": 2, "held_on": "2026-12-01"}
    )
    assert scheduled.status_code == 403
    assert "Only the plan's authors" in html_lib.unescape(scheduled.content.decode())
    assert not BenchmarkStatus.objects.exists()
    assert StrategySession.objects.count() == 1


@pytest.mark.parametrize("who", ["outsider", "other_state_admin", "other_partner_staff"])
def test_people_who_do_not_see_the_plan_get_404(plan, session, personas, client_for, who):
    c = client_for(getattr(personas, who))
    for url in (
        f"/plans/{plan.pk}/sessions/",
        f"/plans/sessions/{session.pk}/",
        f"/plans/sessions/{session.pk}/minutes.pdf",
        f"/plans/{plan.pk}/progress/",
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(f"/plans/sessions/{session.pk}/hold", {"version": 2}).status_code == 404


def test_the_viewer_does_not_see_a_draft_plans_sessions(org, personas, client_for):
    plan = make_plan(school=org.school, status=PlanStatus.DRAFT)
    assert client_for(personas.viewer).get(f"/plans/{plan.pk}/sessions/").status_code == 404


def test_the_minutes_pdf(plan, session, personas, client_for):
    b = plan.benchmarks.order_by("kind", "order", "pk")
    for bench in b:
        services.benchmark_status_record(
            actor=personas.school_leader,
            session=session,
            benchmark=bench,
            status="off_track",
            value=12.5,
            evidence="Team meeting records",
        )
    services.session_update_notes(
        actor=personas.school_leader,
        session=session,
        notes="Data reviewed with the team.",
        decisions="Add a second screener window.",
    )
    services.next_step_add(
        actor=personas.school_leader,
        session=session,
        description="Schedule the second window",
        owner="Data coordinator",
        due_on=dt.date(2026, 10, 30),
    )
    response = client_for(personas.partner_staff).get(f"/plans/sessions/{session.pk}/minutes.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "session-minutes-adams-elementary-2027-q1-draft.pdf" in response["Content-Disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for expected in (
        "Adams Elementary: Q1 2026–27",
        "DRAFT",
        "24 September 2026",
        "Ms Rivera (instructional coach)",
        "English language arts",
        "Off track",
        "12.5",
        "Team meeting records",
        "Data reviewed with the team.",
        "Add a second screener window.",
        "Schedule the second window",
    ):
        assert expected in text, expected


def test_where_are_we_now(plan, session, personas, client_for):
    educator, student = plan.benchmarks.order_by("kind", "order", "pk")
    services.benchmark_status_record(
        actor=personas.school_leader, session=session, benchmark=educator, status="on_track"
    )
    page = client_for(personas.viewer).get(f"/plans/{plan.pk}/progress/")
    html = page.content.decode()
    assert page.status_code == 200 and one_h1(html)
    assert 'id="status-spec"' in html and 'id="action-spec"' in html
    assert "Benchmarks by status, per session" in html and "Actions by progress" in html
    # one session: 1 on track, 1 not yet reported; the factory's one action is overdue
    assert page.context["progress"].sessions[0]["counts"] == {
        "on_track": 1,
        "at_risk": 0,
        "off_track": 0,
        "met": 0,
        "not_reported": 1,
    }
    assert page.context["progress"].actions == {"overdue": 1}


# ---------------------------------------------------------------------------------------------
# In a browser: axe-core on every monitoring page, the charts drawn


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium():
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does)")
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM beside Playwright's event loop
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()
    if old is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old


def _axe(page) -> list[str]:
    from pathlib import Path

    axe = Path(__file__).resolve().parents[4] / "node_modules" / "axe-core" / "axe.min.js"
    page.add_script_tag(path=str(axe))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))"""
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_monitoring_pages_in_a_browser(chromium, live_server, org, personas):
    from django.conf import settings
    from django.test import Client

    plan = make_plan(school=org.school, status=PlanStatus.STATE_APPROVED)
    s = services.session_schedule(
        actor=personas.school_leader,
        plan=plan,
        year=2027,
        quarter=1,
        held_on=dt.date(2026, 9, 24),
        participants=[personas.state_staff],
    )
    s = services.session_open(actor=personas.school_leader, session=s)
    first = plan.benchmarks.order_by("kind", "order", "pk").first()
    services.benchmark_status_record(
        actor=personas.school_leader, session=s, benchmark=first, status="at_risk", value=40
    )
    services.next_step_add(
        actor=personas.school_leader,
        session=s,
        description="Share the screener calendar",
        owner="AP",
        due_on=dt.date(2026, 10, 1),
    )
    services.comment_add(
        actor=personas.state_staff, plan=plan, target_kind="session", target_id=s.pk, body="Good"
    )
    client = Client()
    client.force_login(personas.school_leader)
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for url in (
        f"/plans/{plan.pk}/sessions/",
        f"/plans/sessions/{s.pk}/",
        f"/plans/{plan.pk}/comments/session/{s.pk}/",
        "/notifications/",
    ):
        page.goto(url)
        assert page.locator("h1").count() == 1, url
        assert _axe(page) == [], url
    page.goto(f"/plans/{plan.pk}/progress/")
    page.wait_for_selector("[data-vega-spec='status-spec'] svg")
    page.wait_for_selector("[data-vega-spec='action-spec'] svg")
    assert _axe(page) == []
    # the state's dashboard, as state staff
    staff = Client()
    staff.force_login(personas.state_staff)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": staff.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto("/states/MA/plans/")
    assert "Adams Elementary" in page.content()
    assert _axe(page) == []
    assert errors == []
