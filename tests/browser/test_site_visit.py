"""A site visit from planning to a finalised PDF, through the real pages only.

State staff plan a two-day visit of a school of the demo district that has none yet (the demo
reviewer on the team, a teacher focus group on the schedule), start it, capture evidence (the note
draft saves itself), rate every indicator as the lead; the reviewer, in a second browser, rates
one indicator differently, so the consensus page shows the disagreement; the lead records the
consensus of every indicator, clears the blockers, finalises, and reads the report and its PDF.
The district leader then reads the finalised report but never the evidence (the working papers).

After the ``demo`` fixture the ORM is used only to look up ids and to check the database at the
end; every change goes through the pages. axe-core checks every page on the way.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

#: A fixed Tuesday and Wednesday: the test does not depend on today's date.
FIRST_DAY = dt.date(2025, 10, 14)
LAST_DAY = FIRST_DAY + dt.timedelta(days=1)

LEAD = "state.staff"
REVIEWER = "reviewer"
DISTRICT_LEADER = "district.leader"

NOTE = "Teachers describe weekly data meetings; most name the same two priorities."

#: The focus-group evidence is tagged to this many indicators (found with the indicator search);
#: the document evidence to every indicator, so each can be rated.
FIRST_CODES = 3


# ---------------------------------------------------------------------------------------------
# Look-ups (read only)


@dataclass(frozen=True)
class Plan:
    school: Any
    version: Any
    codes: list[str]
    practices: list[str]
    #: scale level code → label, lowest first
    levels: dict[int, str]
    lead_id: int
    reviewer_id: int


def look_up() -> Plan:
    """A school of the demo district other than the school leader's, with no assessment yet;
    the published Turnaround Practices version; its indicators and rating scale."""
    from turnaround.accounts.models import Membership, Role, User
    from turnaround.assessments.models import Assessment
    from turnaround.assessments.selectors import indicators_in_order, scale_levels
    from turnaround.frameworks.models import Practice
    from turnaround.frameworks.selectors import TURNAROUND_PRACTICES, current_version
    from turnaround.organizations.models import School

    district_id = Membership.objects.get(
        user__username=DISTRICT_LEADER, role=Role.DISTRICT_LEADER
    ).district_id
    leader_school_id = Membership.objects.get(
        user__username="school.leader", role=Role.SCHOOL_LEADER
    ).school_id
    assessed = Assessment.objects.filter(school__isnull=False).values("school_id")
    school = (
        School.objects.filter(district_id=district_id)
        .exclude(pk=leader_school_id)
        .exclude(pk__in=assessed)
        .select_related("district__state")
        .order_by("name")
        .first()
    )
    assert school is not None, "the demo district has no school without an assessment"
    version = current_version(TURNAROUND_PRACTICES, state=school.district.state)
    assert version is not None, "no published Turnaround Practices version"
    return Plan(
        school=school,
        version=version,
        codes=[i.code for i in indicators_in_order(version)],
        practices=list(
            Practice.objects.filter(framework_version=version).values_list("code", flat=True)
        ),
        levels={lvl.code: lvl.label for lvl in scale_levels(version)},
        lead_id=User.objects.get(username=LEAD).pk,
        reviewer_id=User.objects.get(username=REVIEWER).pk,
    )


def the_visit(school: Any) -> Any:
    from turnaround.assessments.models import Assessment

    visits = list(Assessment.objects.filter(school=school, kind=Assessment.Kind.SITE_VISIT))
    assert len(visits) == 1, f"expected one site visit of {school.name}, found {len(visits)}"
    return visits[0]


# ---------------------------------------------------------------------------------------------
# Page helpers


def wait_for(condition: Any, page: Any, seconds: float = 10) -> None:
    """Poll ``condition`` (a database look-up) while the page goes on."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("timed out waiting for the database")


def tick(control: Any) -> None:
    """Check a USWDS radio button or checkbox: the input itself sits off-screen (the styled
    label stands for it), so click its label, as a person does."""
    if control.is_checked():
        return
    control.page.locator(f"label[for='{control.get_attribute('id')}']").click()
    expect(control).to_be_checked()


def card(page: Any, code: str) -> Any:
    """One indicator's card (a region named by its heading, which starts with the code)."""
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(code)} "))


def rate(page: Any, code: str, *, level: int, label: str, rationale: str, button: str) -> Any:
    """Fill one indicator card (level, rationale, all its evidence) and save it; the card comes
    back (htmx) saying "Saved."."""
    c = card(page, code)
    tick(c.get_by_role("radio", name=f"{level} {label}", exact=True))
    c.get_by_label("Rationale").fill(rationale)
    evidence = c.get_by_role("group", name=f"Evidence tagged {code}").get_by_role("checkbox")
    expect(evidence).not_to_have_count(0)
    for i in range(evidence.count()):
        tick(evidence.nth(i))
    with page.expect_response(lambda r: r.request.method == "POST"):
        c.get_by_role("button", name=re.compile(rf"^{button}")).click()
    status = c.get_by_role("status")
    expect(status).to_have_text("Saved.")
    expect(c.get_by_role("alert")).to_have_count(0)
    return c


def new_browser_tab(browser: Any, base_url: str) -> tuple[Any, Any, list[str]]:
    """A second browser context (its own cookies) collecting the same problems as ``site``."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []

    def on_response(response: Any) -> None:
        if response.url.startswith(base_url) and response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    def on_request_failed(request: Any) -> None:
        if "ERR_ABORTED" not in (request.failure or ""):
            problems.append(f"failed {request.url}: {request.failure}")

    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    return context, page, problems


# ---------------------------------------------------------------------------------------------


def test_site_visit_from_plan_to_finalised_pdf(site, demo, browser, live_server, axe):
    from turnaround.assessments.models import (
        Assessment,
        ConsensusRating,
        Evidence,
        ReviewerRating,
        ScheduleItem,
        TeamMember,
    )

    page = site.page
    plan = look_up()
    school = plan.school
    top, top_label = max(plan.levels), plan.levels[max(plan.levels)]
    low, low_label = min(plan.levels), plan.levels[min(plan.levels)]
    assert top != low

    # -- 1. Plan ---------------------------------------------------------------------------
    site.sign_in(LEAD, demo[LEAD])
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    site.assert_accessible("landing page (state staff)")
    site.goto(f"/schools/{school.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(school.name)
    site.assert_accessible("school profile")
    page.get_by_role("link", name="Plan an assessment").click()
    expect(page).to_have_url(re.compile(rf"/schools/{school.pk}/assessments/new$"))
    site.assert_accessible("plan an assessment")

    form = page.locator("main form")
    tick(form.get_by_role("radio", name=re.compile(r"^Site visit")))
    form.get_by_label("Framework").select_option(value=str(plan.version.pk))
    form.get_by_label("First day").fill(FIRST_DAY.isoformat())
    form.get_by_label("Last day").fill(LAST_DAY.isoformat())
    form.get_by_label("Lead reviewer").select_option(value=str(plan.lead_id))
    form.get_by_label("Purpose").fill("Annual monitoring visit: instruction and school culture.")
    form.get_by_role("button", name="Plan it").click()
    expect(page).to_have_url(re.compile(r"/assessments/\d+/$"))
    expect(page.locator("main")).to_contain_text("Planned “")
    visit = the_visit(school)
    a = f"/assessments/{visit.pk}"
    assert visit.status == Assessment.Status.PLANNED
    assert visit.start_date == FIRST_DAY and visit.end_date == LAST_DAY
    assert visit.framework_version_id == plan.version.pk
    site.assert_accessible("visit overview (planned)")

    page.get_by_role("link", name="Open the plan").click()
    expect(page).to_have_url(re.compile(rf"{a}/plan/$"))
    site.assert_accessible("plan page")

    team = page.locator("form", has=page.get_by_role("heading", name="Add someone"))
    team.get_by_label("Person").select_option(value=str(plan.reviewer_id))
    team.get_by_label("Role").select_option(label="Reviewer")
    team.get_by_role("button", name="Add to the team").click()
    expect(page).to_have_url(re.compile(rf"{a}/plan/#team$"))
    team_table = page.get_by_role("table", name="Team members and their roles")
    for role in ("Lead reviewer", "Reviewer"):
        seat = team_table.get_by_role("row").filter(
            has=page.get_by_role("cell", name=role, exact=True)
        )
        expect(seat).to_have_count(1)

    schedule = page.locator("form", has=page.get_by_role("heading", name="Schedule an activity"))
    schedule.get_by_label("Day").fill(FIRST_DAY.isoformat())
    schedule.get_by_label("Starts").fill("13:00")
    schedule.get_by_label("Ends").fill("13:45")
    schedule.get_by_label("Activity").select_option(label="Focus group")
    schedule.get_by_label("What").fill("Teacher focus group")
    schedule.get_by_label("Participants").fill("grade 4 and 5 teachers (6)")
    schedule.get_by_label("Room").fill("Library")
    schedule.get_by_label("Reviewer").select_option(value=str(plan.reviewer_id))
    schedule.get_by_role("button", name="Add to the schedule").click()
    expect(page).to_have_url(re.compile(rf"{a}/plan/#schedule$"))
    day_table = page.get_by_role("table", name=re.compile(r"^Activities on "))
    expect(day_table).to_contain_text("Teacher focus group")
    expect(day_table).to_contain_text("13:00–13:45")
    site.assert_accessible("plan page with the team and the schedule")

    page.get_by_role("button", name="Start the site visit").click()
    expect(page).to_have_url(re.compile(rf"{a}/$"))
    expect(page.locator("main")).to_contain_text("Started: evidence and ratings are open.")
    site.assert_accessible("visit overview (started)")

    # -- 2. Evidence -----------------------------------------------------------------------
    page.get_by_role("link", name="Capture evidence").click()
    expect(page).to_have_url(re.compile(rf"{a}/evidence/$"))
    site.assert_accessible("evidence page")

    capture = page.get_by_role("region", name="Capture evidence")
    capture.get_by_label("Kind").select_option(label="Focus group")
    capture.get_by_label("Source").fill("grade 4 and 5 teachers")
    note = capture.get_by_role("textbox", name="Note")
    with page.expect_response(lambda r: r.url.endswith(f"{a}/evidence/autosave/")):
        note.press_sequentially(NOTE, delay=5)
    # the draft saved itself: the status line (aria-live) says so, and the row exists
    expect(capture.get_by_role("status")).to_have_text(re.compile(r"^Saved at \d\d:\d\d\.\s*$"))
    # wait for the last draft save (the whole note), so that none lands after the form's save
    wait_for(lambda: Evidence.objects.filter(assessment=visit, note=NOTE).exists(), page)
    assert Evidence.objects.filter(assessment=visit).count() == 1
    # tag it: the first indicators, found with the indicator search
    for code in plan.codes[:FIRST_CODES]:
        capture.get_by_label("Find an indicator").fill(code)
        tick(capture.get_by_role("checkbox", name=re.compile(rf"^{re.escape(code)} ")))
    capture.get_by_label("Find an indicator").fill("")
    site.assert_accessible("evidence page, draft saved")
    capture.get_by_role("button", name="Save evidence").click()
    expect(page).to_have_url(re.compile(rf"{a}/evidence/#capture$"))
    listing = page.get_by_role("region", name="Evidence collected")
    expect(listing.get_by_role("heading", name=re.compile("Focus group: grade 4"))).to_be_visible()
    # the autosaved draft and the saved form are one row (keyed by the client's id)
    assert Evidence.objects.filter(assessment=visit).count() == 1

    # a second piece: the requested documents, tagged to every indicator
    capture.get_by_label("Kind").select_option(label="Document")
    capture.get_by_label("Source").fill("master schedule and meeting agendas")
    capture.get_by_role("textbox", name="Note").fill(
        "Agendas show data review in most weeks; the schedule protects an intervention block."
    )
    boxes = capture.get_by_role("group", name="Indicators this evidence speaks to").get_by_role(
        "checkbox"
    )
    assert boxes.count() == len(plan.codes)
    for i in range(boxes.count()):
        tick(boxes.nth(i))
    capture.get_by_role("button", name="Save evidence").click()
    expect(listing.get_by_role("article")).to_have_count(2)
    expect(listing.get_by_role("status")).to_have_text("2 items.")
    site.assert_accessible("evidence page with two items")

    # -- 3. Ratings: the lead rates every indicator -----------------------------------------
    page.get_by_role("navigation", name="Assessment sections").get_by_role(
        "link", name="Ratings"
    ).click()
    expect(page).to_have_url(re.compile(rf"{a}/ratings/$"))
    site.assert_accessible("ratings page")
    for code in plan.codes:
        rate(
            page,
            code,
            level=top,
            label=top_label,
            rationale=f"{code}: the evidence shows the practice in place.",
            button="Save my rating",
        )
    site.assert_accessible("ratings page, every indicator rated")
    assert ReviewerRating.objects.filter(assessment=visit, reviewer_id=plan.lead_id).count() == len(
        plan.codes
    )

    # the reviewer, in a second browser, rates the first indicator lower
    disputed = plan.codes[0]
    context, other, other_problems = new_browser_tab(browser, live_server.url)
    try:
        other.goto(live_server.url + "/accounts/login/")
        login = other.locator("form:has(input[name=login])")
        login.locator("input[name=login]").fill(REVIEWER)
        login.locator("input[name=password]").fill(demo[REVIEWER])
        login.locator("[type=submit]").first.click()
        other.wait_for_load_state()
        expect(other).not_to_have_url(re.compile(r"/accounts/login/"))
        response = other.goto(live_server.url + f"{a}/ratings/")
        assert response is not None and response.ok
        violations = axe(other)
        assert not violations, f"ratings page (reviewer): axe-core found {violations}"
        rate(
            other,
            disputed,
            level=low,
            label=low_label,
            rationale="Only some teams use the protocol; the agendas are uneven.",
            button="Save my rating",
        )
        assert not other_problems, "\n".join(other_problems)
    finally:
        context.close()

    # -- 4. Consensus ----------------------------------------------------------------------
    page.get_by_role("navigation", name="Assessment sections").get_by_role(
        "link", name="Consensus"
    ).click()
    expect(page).to_have_url(re.compile(rf"{a}/consensus/$"))
    by_reviewer = page.get_by_role("table", name=re.compile(r"^Each reviewer's level"))
    disputed_row = by_reviewer.get_by_role("row", name=re.compile(rf"^{re.escape(disputed)} "))
    expect(disputed_row).to_contain_text(f"Disagree (spread {top - low})")
    expect(card(page, disputed).get_by_text(re.compile(r"^Disagree"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Reviewers disagree on 1 indicator;")
    site.assert_accessible("consensus page")

    page.get_by_role("button", name="Move the visit to consensus").click()
    expect(page).to_have_url(re.compile(rf"{a}/$"))
    # what blocks finalising: every indicator still lacks its consensus
    blockers = page.get_by_role("region", name="Next step")
    expect(blockers).to_contain_text(f"Still missing ({len(plan.codes)})")
    expect(blockers).to_contain_text(f"{disputed} has no consensus rating")
    site.assert_accessible("visit overview (consensus, blockers)")

    page.get_by_role("link", name="Open the consensus").click()
    expect(page).to_have_url(re.compile(rf"{a}/consensus/$"))
    for code in plan.codes:
        level, label = (low, low_label) if code == disputed else (top, top_label)
        rate(
            page,
            code,
            level=level,
            label=label,
            rationale=f"{code}: agreed after the team's discussion of the evidence.",
            button="Save the consensus",
        )
    page.reload()
    expect(page.locator("main")).to_contain_text(
        f"a consensus is recorded for {len(plan.codes)} of {len(plan.codes)}"
    )
    finalise = page.get_by_role("region", name="Finalise")
    expect(finalise).not_to_contain_text("Not ready to finalise")
    site.assert_accessible("consensus page, every consensus recorded")

    finalise.get_by_role("button", name="Finalise").click()
    expect(page).to_have_url(re.compile(rf"{a}/$"))
    main = page.locator("main")
    expect(main).to_contain_text("Finalised. Further changes need an amendment with a reason.")
    expect(page.get_by_role("listitem").and_(page.locator("[aria-current=step]"))).to_have_text(
        re.compile(r"^\s*Finalised")
    )
    site.assert_accessible("visit overview (finalised)")
    # locked: the rating forms are gone
    site.goto(f"{a}/consensus/")
    expect(page.get_by_role("button", name=re.compile("Save the consensus"))).to_have_count(0)
    expect(main).to_contain_text("Changes need an amendment with a reason")
    site.assert_accessible("consensus page (finalised)")

    # -- 5. Report and PDF -----------------------------------------------------------------
    site.goto(f"{a}/")
    page.get_by_role("link", name="Read the report").first.click()
    expect(page).to_have_url(re.compile(rf"{a}/report/$"))
    profile = page.get_by_role("table", name="Indicators at each rating level, by practice")
    expect(profile).to_be_visible()
    expect(profile.get_by_role("row")).to_have_count(1 + len(plan.practices))
    # the chart beside it is drawn (vega-embed renders an SVG into the figure)
    chart = page.get_by_role("figure", name=re.compile(r"^Indicators at each rating level"))
    expect(chart.locator("svg").first).to_be_visible()
    expect(chart).not_to_contain_text("could not be drawn")
    site.assert_accessible("report")
    pdf_link = page.get_by_role("link", name="Download the PDF")
    href = pdf_link.get_attribute("href")
    assert href == f"{a}/report.pdf", href
    pdf = page.request.get(site.url(href))
    assert pdf.ok, f"GET {href}: {pdf.status}"
    assert pdf.headers["content-type"].startswith("application/pdf")
    body = pdf.body()
    assert body.startswith(b"%PDF"), body[:20]
    assert len(body) > 5_000, f"the PDF is only {len(body)} bytes"

    # -- 6. The district leader reads the report, never the evidence ------------------------
    page.context.clear_cookies()
    site.sign_in(DISTRICT_LEADER, demo[DISTRICT_LEADER])
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    site.assert_accessible("landing page (district leader)")
    site.goto(f"{a}/report/")
    expect(page.get_by_role("heading", level=1)).to_have_text(visit.title)
    expect(
        page.get_by_role("table", name="Indicators at each rating level, by practice")
    ).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile("Evidence behind the ratings"))
    ).to_have_count(0)
    site.assert_accessible("report (district leader)")
    # a request on the side, so the expected 404 is not one of the page's problems
    evidence = page.request.get(site.url(f"{a}/evidence/"))
    assert evidence.status == 404, f"district leader GET {a}/evidence/: {evidence.status}"

    # -- the database agrees ---------------------------------------------------------------
    visit.refresh_from_db()
    assert visit.status == Assessment.Status.FINALISED and visit.is_locked
    assert visit.finalised_by_id == plan.lead_id
    seats = dict(TeamMember.objects.filter(assessment=visit).values_list("user_id", "role"))
    assert seats == {
        plan.lead_id: TeamMember.Role.LEAD,
        plan.reviewer_id: TeamMember.Role.REVIEWER,
    }
    item = ScheduleItem.objects.get(assessment=visit)
    assert (item.activity, item.title, item.day, item.reviewer_id) == (
        ScheduleItem.Activity.FOCUS_GROUP,
        "Teacher focus group",
        FIRST_DAY,
        plan.reviewer_id,
    )
    tagged = {
        e.source: sorted(e.indicators.values_list("code", flat=True))
        for e in Evidence.objects.filter(assessment=visit)
    }
    assert tagged == {
        "grade 4 and 5 teachers": sorted(plan.codes[:FIRST_CODES]),
        "master schedule and meeting agendas": sorted(plan.codes),
    }
    assert Evidence.objects.get(assessment=visit, source="grade 4 and 5 teachers").note == NOTE
    consensus = dict(
        ConsensusRating.objects.filter(assessment=visit).values_list("indicator__code", "level")
    )
    assert consensus == {c: (low if c == disputed else top) for c in plan.codes}
    assert ReviewerRating.objects.get(assessment=visit, reviewer_id=plan.reviewer_id).level == low

    site.assert_no_problems()
