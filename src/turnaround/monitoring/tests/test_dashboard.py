"""Plan health dashboards on a hand-built state: which plan each school shows, every figure of a
row (shares of benchmarks by latest status, not yet reported, overdue actions and next steps, last
session, days since the last update, designation, exit year, health), sort and filters, who sees
which dashboard, the downloads, the API, and a query count that does not grow with the schools."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from turnaround.accountability.models import Designation
from turnaround.monitoring import services
from turnaround.monitoring.health import filter_rows, plan_health, sort_rows
from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.monitoring.views_dashboard import state_plans
from turnaround.plans.models import (
    Action,
    ActionStatus,
    Benchmark,
    BenchmarkKind,
    Objective,
    Plan,
    PlanStatus,
    Strategy,
)
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def aware(y, m, d, h=12):
    return timezone.make_aware(dt.datetime(y, m, d, h, 0))


def bench(plan, measure, **kw):
    return Benchmark.objects.create(
        plan=plan,
        kind=BenchmarkKind.STUDENT,
        measure=measure,
        data_source="Screener",
        target=50,
        due_year=2027,
        due_quarter=4,
        **kw,
    )


def status(session, benchmark, value, at):
    row = BenchmarkStatus.objects.create(session=session, benchmark=benchmark, status=value)
    BenchmarkStatus.objects.filter(pk=row.pk).update(recorded_at=at)


@pytest.fixture
def state(org, personas):
    """Adams (red), Burke (amber, a newer plan replacing an older one), Lynn's district plan
    (green); a draft in Lynn Middle and a Rhode Island plan that never show."""
    adams = make_plan(school=org.school, status=PlanStatus.STATE_APPROVED, title="Adams plan")
    b1, b2 = adams.benchmarks.order_by("kind", "order", "pk")
    b3 = bench(adams, "Third")
    bench(adams, "Fourth")  # never reported
    retired = bench(adams, "Retired", is_active=False)
    q1 = StrategySession.objects.create(
        plan=adams, year=2027, quarter=1, held_on=dt.date(2026, 9, 24), status="held"
    )
    q2 = StrategySession.objects.create(
        plan=adams, year=2027, quarter=2, held_on=dt.date(2026, 11, 10), status="open"
    )
    StrategySession.objects.create(  # a future session has not happened yet
        plan=adams, year=2027, quarter=3, held_on=dt.date(2027, 2, 1), status="scheduled"
    )
    status(q1, b1, "on_track", aware(2026, 9, 24))
    status(q1, b2, "at_risk", aware(2026, 9, 24))
    status(q1, b3, "off_track", aware(2026, 9, 24))
    status(q1, retired, "off_track", aware(2026, 9, 24))
    status(q2, b1, "met", aware(2026, 11, 12))  # b1's latest status; b4 never reported
    objective = adams.objectives.get()
    strategy = objective.strategies.get()
    for title, st, due in (
        ("Done late", ActionStatus.DONE, dt.date(2026, 9, 1)),
        ("Dropped", ActionStatus.DROPPED, dt.date(2026, 9, 1)),
        ("Future", ActionStatus.IN_PROGRESS, dt.date(2027, 1, 15)),
    ):
        Action.objects.create(
            strategy=strategy,
            title=title,
            owner="AP",
            status=st,
            starts_on=dt.date(2026, 8, 1),
            due_on=due,
        )
    retired_objective = Objective.objects.create(plan=adams, title="Old", is_active=False)
    Action.objects.create(
        strategy=Strategy.objects.create(objective=retired_objective, title="Old"),
        title="Overdue but retired",
        owner="AP",
        starts_on=dt.date(2026, 8, 1),
        due_on=dt.date(2026, 9, 1),
    )
    for text, due, closed in (
        ("Overdue", dt.date(2026, 10, 15), None),
        ("Closed", dt.date(2026, 10, 1), aware(2026, 10, 2)),
        ("Not due yet", dt.date(2026, 12, 20), None),
    ):
        NextStep.objects.create(
            plan=adams, raised_in=q1, description=text, owner="AP", due_on=due, closed_at=closed
        )
    Plan.objects.filter(pk=adams.pk).update(updated_at=aware(2026, 10, 1))
    Designation.objects.create(
        school=org.school, status="underperforming", entered_year=2024, source=org.source
    )

    old = make_plan(
        school=org.school_hs,
        status=PlanStatus.STATE_APPROVED,
        title="Burke old plan",
        first_year=2024,
        last_year=2026,
        exit_eligible_year=2026,
    )
    burke = make_plan(school=org.school_hs, status=PlanStatus.STATE_APPROVED, title="Burke plan")
    Plan.objects.filter(pk__in=[old.pk, burke.pk]).update(updated_at=aware(2026, 11, 20))

    lynn = make_plan(district=org.district2, status=PlanStatus.STATE_APPROVED, title="Lynn plan")
    Action.objects.filter(strategy__objective__plan=lynn).update(status=ActionStatus.DONE)
    held = StrategySession.objects.create(
        plan=lynn, year=2027, quarter=1, held_on=dt.date(2026, 9, 24), status="held"
    )
    for b in lynn.benchmarks.all():
        status(held, b, "on_track", aware(2026, 9, 24))
    Plan.objects.filter(pk=lynn.pk).update(updated_at=aware(2026, 8, 1))

    make_plan(school=org.school_other_district, status=PlanStatus.DRAFT, title="Lynn draft")
    make_plan(school=org.school_other_state, status=PlanStatus.STATE_APPROVED, title="RI plan")
    return {"adams": adams, "burke": burke, "old": old, "lynn": lynn, "q2": q2}


def rows_for(user, state_id):
    return plan_health(state_plans(user, state_id), today=TODAY)


def test_the_figures_of_each_row(org, personas, state):
    rows = {r.name: r for r in rows_for(personas.state_admin, org.state.pk)}
    assert list(rows) == ["Adams Elementary", "Burke High", "Lynn (district plan)"]
    adams = rows["Adams Elementary"]
    assert adams.plan_id == state["adams"].pk
    assert adams.active_benchmarks == 4
    assert adams.counts == {"met": 1, "at_risk": 1, "off_track": 1, "not_reported": 1}
    assert adams.shares == {
        "on_track": 0.0,
        "at_risk": 25.0,
        "off_track": 25.0,
        "met": 25.0,
        "not_reported": 25.0,
    }
    assert (adams.overdue_actions, adams.overdue_next_steps) == (1, 1)
    assert adams.last_session_on == dt.date(2026, 11, 10)
    assert adams.last_session_id == state["q2"].pk and adams.last_session_label == "Q2 2026–27"
    assert adams.last_update_on == dt.date(2026, 11, 12) and adams.days_since_update == 11
    assert adams.designation == "Underperforming (Level 4)" and adams.designation_entered == 2024
    assert adams.exit_eligible_year == 2029
    assert adams.health == "red"  # a quarter of the benchmarks off track

    burke = rows["Burke High"]
    assert burke.plan_id == state["burke"].pk  # the newer plan, not the 2024–2026 one
    assert burke.counts == {"not_reported": 2} and burke.shares["not_reported"] == 100.0
    assert burke.last_session_on is None and burke.days_since_update == 3
    assert burke.overdue_actions == 1 and burke.health == "amber"

    lynn = rows["Lynn (district plan)"]
    assert lynn.kind == "district" and lynn.district_name == "Lynn"
    assert lynn.shares["on_track"] == 100.0 and lynn.overdue_actions == 0
    assert lynn.days_since_update == (TODAY - dt.date(2026, 9, 24)).days == 60
    assert lynn.health == "green"
    # nothing for 121 days: red
    later = plan_health(state_plans(personas.state_admin, org.state.pk), today=dt.date(2027, 1, 23))
    assert {r.name: r.health for r in later}["Lynn (district plan)"] == "red"


def test_sort_and_filter(org, personas, state):
    rows = rows_for(personas.state_staff, org.state.pk)
    assert [r.name for r in sort_rows(rows, "health")] == [
        "Adams Elementary",
        "Burke High",
        "Lynn (district plan)",
    ]
    assert [r.name for r in sort_rows(rows, "-days_since_update")] == [
        "Lynn (district plan)",
        "Adams Elementary",
        "Burke High",
    ]
    # no session: last
    assert [r.name for r in sort_rows(rows, "last_session")][-1] == "Burke High"
    assert [r.name for r in filter_rows(rows, district_id=org.district2.pk)] == [
        "Lynn (district plan)"
    ]
    assert [r.name for r in filter_rows(rows, health="amber")] == ["Burke High"]


def test_the_query_count_does_not_grow_with_the_schools(org, personas, state):
    plans = state_plans(personas.state_admin, org.state.pk)
    with CaptureQueriesContext(connection) as few:
        plan_health(plans, today=TODAY)
    for i in range(6):
        school = org.school.__class__.objects.create(
            district=org.district, code=f"0035010{i}", name=f"School {i}", school_type="ES"
        )
        plan = make_plan(school=school, status=PlanStatus.STATE_APPROVED)
        s = StrategySession.objects.create(
            plan=plan, year=2027, quarter=1, held_on=dt.date(2026, 9, 24), status="held"
        )
        for b in plan.benchmarks.all():
            status(s, b, "at_risk", aware(2026, 9, 24))
    with CaptureQueriesContext(connection) as many:
        rows = plan_health(state_plans(personas.state_admin, org.state.pk), today=TODAY)
    assert len(rows) == 9
    assert len(many.captured_queries) == len(few.captured_queries) <= 4


def test_the_state_dashboard_page_and_downloads(org, personas, client_for, state):
    c = client_for(personas.state_admin)
    page = c.get("/states/MA/plans/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<h1") == 1
    assert "Plan health: Massachusetts" in html
    assert "Adams Elementary" in html and "Lynn (district plan)" in html
    assert "Lynn draft" not in html and "RI plan" not in html and "Burke old plan" not in html
    assert f'href="/plans/sessions/{state["q2"].pk}/"' in html
    assert f'href="/plans/{state["adams"].pk}/progress/#benchmarks"' in html
    filtered = c.get(f"/states/MA/plans/?district={org.district2.pk}&sort=name")
    assert [i["row"].name for i in filtered.context["rows"]] == ["Lynn (district plan)"]
    csv = c.get(f"/states/MA/plans/export.csv?district={org.district.pk}")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("School or district,District,Plan,Plan status,Designation")
    assert [line.split(",")[0] for line in lines[1:]] == ["Adams Elementary", "Burke High"]
    assert "Underperforming (Level 4),2024,2029,4,0,1,1,1,1,0.0,25.0,25.0,25.0" in lines[1]
    xlsx = c.get("/states/MA/plans/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.title == "Plan health" and sheet.max_row == 4
    assert c.get("/states/MA/plans/export.pdf").status_code == 404


def test_the_district_dashboard(org, personas, client_for, state):
    url = f"/districts/{org.district.pk}/plans/"
    page = client_for(personas.district_leader).get(url)
    assert page.status_code == 200
    assert [i["row"].name for i in page.context["rows"]] == ["Adams Elementary", "Burke High"]
    assert client_for(personas.state_staff).get(url).status_code == 200
    assert (
        client_for(personas.district_leader)
        .get(f"/districts/{org.district2.pk}/plans/")
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    "who",
    ["viewer", "ta_provider", "school_leader", "partner_staff", "outsider", "other_state_admin"],
)
def test_who_does_not_see_the_dashboards(org, personas, client_for, state, who):
    c = client_for(getattr(personas, who))
    assert c.get("/states/MA/plans/").status_code == 404
    assert c.get("/states/MA/plans/export.csv").status_code == 404
    assert c.get(f"/districts/{org.district.pk}/plans/").status_code == 404


def test_the_plan_health_api(org, personas, client_for, state):
    c = client_for(personas.state_staff)
    out = c.get("/api/v1/states/MA/plan-health?sort=-off_track").json()
    assert out["count"] == 3
    first = out["items"][0]
    assert first["name"] == "Adams Elementary" and first["shares"]["off_track"] == 25.0
    assert first["counts"] == {
        "on_track": 0,
        "at_risk": 1,
        "off_track": 1,
        "met": 1,
        "not_reported": 1,
    }
    assert first["overdue_actions"] == 1 and first["last_session_id"] == state["q2"].pk
    bad = c.get("/api/v1/states/MA/plan-health?sort=colour&health=purple")
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["detail"]} == {
        ("query", "sort"),
        ("query", "health"),
    }
    district = client_for(personas.district_leader).get(
        f"/api/v1/districts/{org.district.pk}/plan-health"
    )
    assert [r["name"] for r in district.json()["items"]] == ["Adams Elementary", "Burke High"]
    assert client_for(personas.viewer).get("/api/v1/states/MA/plan-health").status_code == 403
    assert client_for(personas.outsider).get("/api/v1/states/MA/plan-health").status_code == 404
    assert (
        client_for(personas.other_state_admin).get("/api/v1/states/MA/plan-health").status_code
        == 404
    )
    assert (
        client_for(personas.district_leader)
        .get(f"/api/v1/districts/{org.district2.pk}/plan-health")
        .status_code
        == 404
    )


def test_the_progress_api(org, personas, client_for, state):
    plan = state["adams"]
    out = client_for(personas.viewer).get(f"/api/v1/plans/{plan.pk}/progress").json()
    assert [(s["label"], s["counts"]) for s in out["sessions"]] == [
        ("Q1 2026–27", {"on_track": 1, "at_risk": 1, "off_track": 2, "met": 0, "not_reported": 0}),
        ("Q2 2026–27", {"on_track": 0, "at_risk": 0, "off_track": 0, "met": 1, "not_reported": 3}),
        ("Q3 2026–27", {"on_track": 0, "at_risk": 0, "off_track": 0, "met": 0, "not_reported": 4}),
    ]
    groups = {a["key"]: a["count"] for a in out["actions"]}
    # the factory's action (due 1 Oct 2026, not started) is overdue; one done; one in progress
    # due in January 2027 (overdue once that date has passed); the dropped one is left out
    assert groups["done"] == 1 and out["dropped_actions"] == 1 and out["actions_total"] == 3
    latest = {b["measure"]: b["status"] for b in out["benchmarks"]}
    assert latest["Third"] == "off_track" and latest["Fourth"] == "not_reported"
    assert client_for(personas.outsider).get(f"/api/v1/plans/{plan.pk}/progress").status_code == 404


def test_sessions_recorded_through_the_services_show_on_the_dashboard(org, personas):
    plan = make_plan(school=org.school, status=PlanStatus.STATE_APPROVED)
    s = services.session_schedule(
        actor=personas.school_leader,
        plan=plan,
        year=2027,
        quarter=2,
        held_on=dt.date(2026, 11, 20),
    )
    s = services.session_open(actor=personas.school_leader, session=s)
    for b in plan.benchmarks.all():
        services.benchmark_status_record(
            actor=personas.school_leader, session=s, benchmark=b, status="met", value=100
        )
    row = plan_health(Plan.objects.filter(pk=plan.pk), today=TODAY)[0]
    assert row.shares["met"] == 100.0 and row.last_session_on == dt.date(2026, 11, 20)
