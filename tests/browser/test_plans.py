"""A turnaround plan from the template to a held quarterly session, through the real pages only.

The school leader starts a three-year plan for their school, from the school year in progress,
from the template (its standard goals and one objective per Turnaround Practice); adds a need
with a root cause; sets the yearly targets of the goals (a target outside the metric's range is
refused with a clear message, tied to the field for a screen reader, and nothing is saved); adds
an objective with a strategy and a costed action, and two benchmarks (educator / process and
student / early evidence); then submits the plan. The district leader approves it for the
district; state staff find that returning it needs a comment, then approve it for the state.
State staff then schedule today's quarterly strategy session, open it, record a status for each
benchmark (value and evidence), notes, decisions and a next step, hold it and download the
minutes PDF. The plan's health shows on the state and the district dashboards.

After the ``demo`` fixture the ORM is used only to look up ids and to check the database; every
change goes through the pages. axe-core checks every page on the way. The plan is found by its
unique title: the demo school may have other plans.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCHOOL_LEADER = "school.leader"
DISTRICT_LEADER = "district.leader"
STATE_STAFF = "state.staff"

TITLE = "Browser test plan: reading and attendance first"
NEED = "Only 24% of grade 3–5 students meet expectations in ELA; the rate fell two years running."
ROOT_CAUSE = "Intervention time is not protected in the schedule, so small groups rarely meet."
OBJECTIVE = "Browser test objective: a protected, data-driven intervention block"
STRATEGY = "Run a daily 40-minute intervention block regrouped every six weeks"
ACTION = "Build the intervention block into the master schedule"
EDUCATOR_MEASURE = "Browser test: teachers using the six-week regrouping protocol (%)"
STUDENT_MEASURE = "Browser test: grade 3–5 students at benchmark on the winter screener (%)"
NOTES = "Regrouping meetings held in every grade; two teams still skip the data review."
DECISIONS = "Keep the block at 40 minutes; the coach joins the two teams' meetings."
NEXT_STEP = "Coach attends grade 4 and grade 5 regrouping meetings and reports back."

#: yearly targets for each kind of goal the template adds, one per plan year (three years)
TARGETS = {
    "proficiency": ["30", "36", "42"],
    "growth": ["50", "53", "55"],
    "chronic_absence": ["22", "18", "15"],
}


# ---------------------------------------------------------------------------------------------
# Helpers


def switch_user(site: Any, username: str, demo: dict[str, str]) -> None:
    site.page.context.clear_cookies()
    site.sign_in(username, demo[username])
    expect(site.page).not_to_have_url(re.compile(r"/accounts/login/"))


def tick(control: Any) -> None:
    """Check a USWDS radio button or checkbox: the input itself sits off-screen (the styled
    label stands for it), so click its label, as a person does."""
    if control.is_checked():
        return
    control.page.locator(f"label[for='{control.get_attribute('id')}']").click()
    expect(control).to_be_checked()


def expect_refused(site: Any, status: int, path: str) -> None:
    """The last page was the expected refusal (``status`` at ``path``): take it off the list of
    problems, which collects every response of 400 or more."""
    expected = f"{status} {site.url(path)}"
    assert expected in site.problems, f"expected {expected}; problems: {site.problems}"
    site.problems.remove(expected)
    assert not site.problems, "\n".join(site.problems)


def school_year(year: int) -> str:
    return f"{year - 1}–{str(year)[-2:]}"


def saved(page: Any, text: str) -> None:
    expect(page.locator("main .usa-alert--success")).to_contain_text(text)


def look_up() -> tuple[Any, Any]:
    """The school leader's school and its state."""
    from turnaround.accounts.models import Membership, Role

    membership = Membership.objects.select_related("school__district__state").get(
        user__username=SCHOOL_LEADER, role=Role.SCHOOL_LEADER
    )
    school = membership.school
    return school, school.district.state


def the_plan() -> Any:
    from turnaround.plans.models import Plan

    return Plan.objects.get(title=TITLE)


# ---------------------------------------------------------------------------------------------


def test_plan_written_approved_and_monitored(site: Any, demo: dict[str, str]) -> None:
    from django.utils import timezone

    from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
    from turnaround.monitoring.selectors import quarter_dates
    from turnaround.plans.models import (
        Action,
        Benchmark,
        Goal,
        GoalTarget,
        NeedStatement,
        Objective,
        PlanStatus,
        PlanVersion,
        RootCause,
        Strategy,
    )
    from turnaround.plans.services import current_spring_year

    page = site.page
    main = page.locator("main")
    school, state = look_up()
    today = timezone.localdate()
    this_year = current_spring_year(today)
    this_quarter = next(q for q in (1, 2, 3, 4) if quarter_dates(this_year, q)[1] >= today)

    # -- 1. The school leader writes the plan ------------------------------------------------
    switch_user(site, SCHOOL_LEADER, demo)
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Plans", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/plans/$"))
    site.assert_accessible("plans list (school leader)")
    page.get_by_role("link", name="Start a plan").click()
    expect(page).to_have_url(re.compile(r"/plans/new/$"))
    site.assert_accessible("start a plan: choose the school")
    page.get_by_role("link", name=school.name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/plans/new/\?school={school.pk}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Start a plan for {school.name}")
    site.assert_accessible("start a plan for the school")

    # a three-year plan from the school year in progress (its sessions happen now, not later)
    first_year, last_year = this_year, this_year + 2
    years = list(range(first_year, last_year + 1))
    form = page.locator("main form.usa-form")
    form.get_by_label("Title", exact=True).fill(TITLE)
    form.get_by_label(re.compile(r"^First plan year")).fill(str(first_year))
    form.get_by_label(re.compile(r"^Last plan year")).fill(str(last_year))
    tick(form.get_by_role("radio", name="A template"))
    form.get_by_label(re.compile(r"^Template")).select_option(value="ma-turnaround-practices")
    form.get_by_role("button", name="Start the plan").click()
    expect(page).to_have_url(re.compile(r"/plans/\d+/$"))
    saved(page, f"Started the plan “{TITLE}”.")
    plan = the_plan()
    p = f"/plans/{plan.pk}"
    assert plan.school_id == school.pk and plan.status == PlanStatus.DRAFT
    assert (plan.first_year, plan.last_year) == (first_year, last_year)
    template_goals = list(Goal.objects.filter(plan=plan).order_by("order", "pk"))
    assert len(template_goals) == 5
    assert Objective.objects.filter(plan=plan).count() == 4
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    # not ready: the template's goals have no targets, there is no action and no benchmark
    workflow = page.get_by_role("region", name="Approval")
    expect(workflow).to_contain_text("Not ready to submit.")

    # a need, with a root cause
    page.get_by_role("link", name="Add a need").click()
    expect(page).to_have_url(re.compile(rf"{p}/needs/new/$"))
    site.assert_accessible("add a need")
    form = page.locator("main form.usa-form")
    statement = form.get_by_label(re.compile(r"^Problem statement"))
    expect(statement).to_have_accessible_description("the problem, with the numbers behind it")
    statement.fill(NEED)
    form.get_by_label("Drawn from").select_option(value="data")
    form.get_by_label(re.compile(r"^Evidence")).fill("State assessment results, 2024 to 2026.")
    form.get_by_role("button", name="Save").click()
    saved(page, "Added the need statement.")
    need = NeedStatement.objects.get(plan=plan)
    expect(page).to_have_url(re.compile(rf"{p}/#need-{need.pk}$"))
    page.locator(f"#need-{need.pk}").get_by_role(
        "link", name=re.compile(r"^Add a root cause")
    ).click()
    expect(page).to_have_url(re.compile(rf"{p}/needs/{need.pk}/root-causes/new/$"))
    site.assert_accessible("add a root cause")
    form = page.locator("main form.usa-form")
    form.get_by_label(re.compile(r"^Root cause")).fill(ROOT_CAUSE)
    form.get_by_label(re.compile(r"^Evidence")).fill("Master schedule; interviews with teams.")
    form.get_by_role("button", name="Save").click()
    saved(page, "Added the root cause.")
    expect(page.locator(f"#need-{need.pk}")).to_contain_text(ROOT_CAUSE)

    # the yearly targets of every goal the template added; first, a target out of range
    first_goal = template_goals[0]
    assert first_goal.metric == "proficiency"
    page.get_by_role("link", name=f"Edit goal “{first_goal.description}”", exact=True).click()
    goal_url = f"{p}/goals/{first_goal.pk}/edit/"
    expect(page).to_have_url(re.compile(rf"{goal_url}$"))
    form = page.locator("main form.usa-form")
    form.get_by_label(f"Target for {school_year(years[0])}").fill("120")
    form.get_by_label(f"Target for {school_year(years[1])}").fill("36")
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"{goal_url}$"))
    expect(main.get_by_role("alert").first).to_have_text(
        "Not saved: correct the fields marked below."
    )
    expect(main).to_contain_text(
        f"The target for {school_year(years[0])} must be between 0 and 100 for “Achievement: "
        "% meeting or exceeding expectations”; 120 is outside that range."
    )
    # what was typed is still there, the field tells a screen reader why, and nothing was saved
    refused_target = form.get_by_label(f"Target for {school_year(years[0])}")
    expect(refused_target).to_have_value("120")
    expect(refused_target).to_have_attribute("aria-invalid", "true")
    expect(refused_target).to_have_accessible_description(
        re.compile(r"must be between 0 and 100 .*; 120 is outside that range")
    )
    expect_refused(site, 422, goal_url)
    assert not GoalTarget.objects.filter(goal__plan=plan).exists()
    site.assert_accessible("edit a goal, refused")
    for goal in template_goals:
        if goal != first_goal:
            page.get_by_role("link", name=f"Edit goal “{goal.description}”", exact=True).click()
            expect(page).to_have_url(re.compile(rf"{p}/goals/{goal.pk}/edit/$"))
        form = page.locator("main form.usa-form")
        for year, value in zip(years, TARGETS[goal.metric], strict=True):
            form.get_by_label(f"Target for {school_year(year)}").fill(value)
        form.get_by_role("button", name="Save").click()
        expect(page).to_have_url(re.compile(rf"{p}/#goal-{goal.pk}$"))
        saved(page, "Saved the goal.")
    goals_table = page.get_by_role("table", name=re.compile(r"^Goals with their baseline"))
    expect(goals_table).not_to_contain_text("not set")
    expect(page.locator(f"#goal-{first_goal.pk}")).to_contain_text("30")

    # an objective of our own, a strategy under it and a costed action
    page.get_by_role("link", name="Add an objective").click()
    expect(page).to_have_url(re.compile(rf"{p}/objectives/new/$"))
    site.assert_accessible("add an objective")
    form = page.locator("main form.usa-form")
    form.get_by_label("Objective", exact=True).fill(OBJECTIVE)
    form.get_by_label(re.compile(r"^What full implementation")).fill(
        "Every student below benchmark gets 40 minutes a day in a group matched to the need."
    )
    indicators = form.get_by_label(re.compile(r"^Framework indicators"))
    first_code = indicators.locator("option").first.get_attribute("value")
    indicators.select_option(value=[first_code])
    form.get_by_role("button", name="Save").click()
    saved(page, "Added the objective.")
    objective = Objective.objects.get(plan=plan, title=OBJECTIVE)
    expect(page).to_have_url(re.compile(rf"{p}/#objective-{objective.pk}$"))
    page.locator(f"#objective-{objective.pk}").get_by_role(
        "link", name=re.compile(r"^Add a strategy")
    ).click()
    expect(page).to_have_url(re.compile(rf"{p}/objectives/{objective.pk}/strategies/new/$"))
    site.assert_accessible("add a strategy")
    form = page.locator("main form.usa-form")
    form.get_by_label("Strategy", exact=True).fill(STRATEGY)
    form.get_by_label(re.compile(r"^Rationale")).fill("Small groups work when they meet daily.")
    form.get_by_role("button", name="Save").click()
    saved(page, "Added the strategy.")
    strategy = Strategy.objects.get(objective=objective)
    page.locator(f"#strategy-{strategy.pk}").get_by_role(
        "link", name=re.compile(r"^Add an action")
    ).click()
    expect(page).to_have_url(re.compile(rf"{p}/strategies/{strategy.pk}/actions/new/$"))
    site.assert_accessible("add an action")
    starts_on, due_on = dt.date(first_year - 1, 6, 1), dt.date(first_year, 6, 30)
    form = page.locator("main form.usa-form")
    form.get_by_label("Action", exact=True).fill(ACTION)
    form.get_by_label("Owner", exact=True).fill("Assistant principal")
    form.get_by_label("Start date").fill(starts_on.isoformat())
    form.get_by_label("Due date").fill(due_on.isoformat())
    form.get_by_label("Status", exact=True).select_option(value="not_started")
    form.get_by_label(re.compile(r"^Cost")).fill("12,500")
    form.get_by_label(re.compile(r"^Funding source")).select_option(value="title_i_1003")
    form.get_by_role("button", name="Save").click()
    saved(page, "Added the action.")
    action = Action.objects.get(strategy=strategy)
    action_row = page.locator(f"#action-{action.pk}")
    expect(action_row).to_contain_text("Assistant principal")
    expect(action_row).to_contain_text("$12,500.00")

    # two benchmarks: educator / process and student / early evidence
    for kind, measure, source, baseline, target, quarter in (
        ("educator", EDUCATOR_MEASURE, "Coach's meeting log", "20", "80", 2),
        ("student", STUDENT_MEASURE, "Winter reading screener", "24", "40", 3),
    ):
        page.locator("#benchmarks").get_by_role(
            "link", name=re.compile(rf"^Add an? {kind} ", re.I)
        ).click()
        expect(page).to_have_url(re.compile(rf"{p}/benchmarks/new/\?kind={kind}$"))
        if kind == "educator":
            site.assert_accessible("add a benchmark")
        form = page.locator("main form.usa-form")
        expect(form.get_by_role("radio", name=re.compile(rf"^{kind}", re.I))).to_be_checked()
        form.get_by_label("Measure", exact=True).fill(measure)
        form.get_by_label("Data source", exact=True).fill(source)
        form.get_by_label("Unit", exact=True).select_option(value="percent")
        form.get_by_label(re.compile(r"^Baseline")).fill(baseline)
        form.get_by_label("Target", exact=True).fill(target)
        form.get_by_label("School year due").select_option(value=str(first_year))
        form.get_by_label("Quarter due").select_option(value=str(quarter))
        form.get_by_label(re.compile(r"^Objective")).select_option(value=str(objective.pk))
        form.get_by_role("button", name="Save").click()
        saved(page, "Added the benchmark.")
    educator = Benchmark.objects.get(plan=plan, measure=EDUCATOR_MEASURE)
    student = Benchmark.objects.get(plan=plan, measure=STUDENT_MEASURE)
    assert (educator.kind, student.kind) == ("educator", "student")
    expect(page.locator(f"#benchmark-{student.pk}")).to_contain_text(
        f"Q3 {school_year(first_year)}"
    )

    # nothing is missing: submit
    workflow = page.get_by_role("region", name="Approval")
    expect(workflow).not_to_contain_text("Not ready to submit")
    site.assert_accessible("plan page (complete draft)")
    workflow.get_by_role("button", name="Submit for approval").click()
    expect(page).to_have_url(re.compile(rf"{p}/$"))
    saved(page, "Plan submitted for approval.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    # the authors cannot change a submitted plan
    expect(page.get_by_role("link", name="Add a need")).to_have_count(0)

    # -- 2. The district leader approves it for the district ---------------------------------
    switch_user(site, DISTRICT_LEADER, demo)
    site.goto("/plans/?status=submitted")
    page.get_by_role("table", name="Plans you can see").get_by_role(
        "link", name=TITLE, exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"{p}/$"))
    page.get_by_role("navigation", name="Plan sections").get_by_role(
        "link", name="Approval and versions"
    ).click()
    expect(page).to_have_url(re.compile(rf"{p}/versions/$"))
    workflow = page.get_by_role("region", name="Approval")
    workflow.get_by_label(re.compile(r"^Comment")).fill("Approved: the block fits our schedule.")
    workflow.get_by_role("button", name="Approve for the district").click()
    expect(page).to_have_url(re.compile(rf"{p}/$"))
    saved(page, "Plan approved for the district; it now goes to the state.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DISTRICT_APPROVED

    # -- 3. State staff: returning needs a comment; they approve it for the state ------------
    switch_user(site, STATE_STAFF, demo)
    site.goto("/plans/?status=district_approved")
    page.get_by_role("table", name="Plans you can see").get_by_role(
        "link", name=TITLE, exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"{p}/$"))
    versions_before = PlanVersion.objects.filter(plan=plan).count()
    workflow = page.get_by_role("region", name="Approval")
    workflow.get_by_role("button", name="Return with comments").click()
    expect(page).to_have_url(re.compile(rf"{p}/transition/$"))
    expect(page.get_by_role("region", name="Approval").get_by_role("alert")).to_contain_text(
        "Say what must change before the plan can be approved; the authors see your comment."
    )
    expect_refused(site, 422, f"{p}/transition/")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DISTRICT_APPROVED
    assert PlanVersion.objects.filter(plan=plan).count() == versions_before
    site.assert_accessible("approval page, return refused")
    page.get_by_role("region", name="Approval").get_by_role(
        "button", name="Approve for the state"
    ).click()
    expect(page).to_have_url(re.compile(rf"{p}/$"))
    saved(page, "Plan approved by the state.")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.STATE_APPROVED

    # -- 4. State staff hold the first quarterly session -------------------------------------
    page.get_by_role("navigation", name="Plan sections").get_by_role(
        "link", name="Quarterly sessions"
    ).click()
    expect(page).to_have_url(re.compile(rf"{p}/sessions/$"))
    site.assert_accessible("quarterly sessions")
    # the session of the quarter in progress, today
    held_on = today
    form = page.locator("form", has=page.get_by_role("button", name="Schedule the session"))
    form.get_by_label("School year").select_option(value=str(first_year))
    form.get_by_label("Quarter reviewed").select_option(value=str(this_quarter))
    form.get_by_label("Date of the session").fill(held_on.isoformat())
    people = form.get_by_role("group", name=re.compile(r"^Participants with an account"))
    tick(people.get_by_role("checkbox", name=re.compile(re.escape(SCHOOL_LEADER))))
    form.get_by_label(re.compile(r"^Other participants")).fill("R. Alvarez (reading coach)")
    form.get_by_role("button", name="Schedule the session").click()
    expect(page).to_have_url(re.compile(r"/plans/sessions/\d+/$"))
    label = f"Q{this_quarter} {school_year(first_year)}"
    saved(page, f"Scheduled the {label} session.")
    session = StrategySession.objects.get(plan=plan)
    s = f"/plans/sessions/{session.pk}"
    expect(page).to_have_url(re.compile(rf"{s}/$"))

    page.get_by_role("button", name="Open the session and take the snapshot").click()
    expect(page).to_have_url(re.compile(rf"{s}/#snapshot$"))
    saved(page, "The session is open")

    for benchmark, status, value, evidence in (
        (educator, "On track", "60", "Eleven of eighteen teachers used the protocol."),
        (student, "At risk", "27", "Fall screener: 27% at benchmark, up from 24%."),
    ):
        card = page.locator(f"#benchmark-{benchmark.pk}")
        tick(card.get_by_role("radio", name=status, exact=True))
        card.get_by_label(re.compile(r"^Current value")).fill(value)
        card.get_by_label(re.compile(r"^Evidence")).fill(evidence)
        card.get_by_role("button", name=re.compile(r"^Save the status")).click()
        expect(page).to_have_url(re.compile(rf"{s}/#benchmark-{benchmark.pk}$"))
        saved(page, f"Saved the status of “{benchmark.measure}”.")
        expect(page.locator(f"#benchmark-{benchmark.pk}")).to_contain_text(
            f"This session: {status}, value {value}"
        )

    notes = page.locator(
        "form", has=page.get_by_role("button", name="Save the notes and decisions")
    )
    notes.get_by_label(re.compile(r"^Discussion notes")).fill(NOTES)
    notes.get_by_label(re.compile(r"^Decisions")).fill(DECISIONS)
    notes.get_by_role("button", name="Save the notes and decisions").click()
    expect(page).to_have_url(re.compile(rf"{s}/#notes$"))
    saved(page, "Saved the notes and decisions.")

    step_due = held_on + dt.timedelta(days=30)
    step = page.locator("form", has=page.get_by_role("button", name="Add the next step"))
    step.get_by_label("Next step", exact=True).fill(NEXT_STEP)
    step.get_by_label(re.compile(r"^Owner \(name or role\)")).fill("Reading coach")
    step.get_by_label("Due date").fill(step_due.isoformat())
    step.get_by_label(re.compile(r"^Objective it serves")).select_option(value=str(objective.pk))
    step.get_by_role("button", name="Add the next step").click()
    expect(page).to_have_url(re.compile(rf"{s}/#next-steps$"))
    saved(page, "Added the next step.")
    expect(page.locator("#next-steps")).to_contain_text(NEXT_STEP)
    site.assert_accessible("session (statuses, notes and a next step recorded)")

    page.get_by_role("button", name="Hold the session and make the minutes final").click()
    expect(page).to_have_url(re.compile(rf"{s}/$"))
    saved(page, f"The {label} session is held: its minutes are final.")
    expect(page.get_by_role("button", name=re.compile(r"^Save the status"))).to_have_count(0)

    minutes = page.get_by_role("link", name="Minutes (PDF)")
    href = minutes.get_attribute("href")
    assert href == f"{s}/minutes.pdf", href
    pdf = page.request.get(site.url(href))
    assert pdf.ok, f"GET {href}: {pdf.status}"
    assert pdf.headers["content-type"].startswith("application/pdf")
    body = pdf.body()
    assert body.startswith(b"%PDF"), body[:20]

    # -- 5. The plan's health on the state and the district dashboards -----------------------
    site.goto(f"/states/{state.code}/plans/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Plan health: {state.name}")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=school.name))
    expect(row).to_have_count(1)
    # one benchmark on track, one at risk: watch
    for text in (TITLE, "Approved by the state", "Watch", "50.0%", label):
        expect(row).to_contain_text(text)
    site.assert_accessible("state dashboard")

    site.goto(f"/districts/{school.district_id}/plans/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Plan health: {school.district.name}"
    )
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=school.name))
    expect(row).to_have_count(1)
    for text in (TITLE, "Watch", label):
        expect(row).to_contain_text(text)
    site.assert_accessible("district dashboard")

    # -- the database agrees -----------------------------------------------------------------
    plan.refresh_from_db()
    assert plan.status == PlanStatus.STATE_APPROVED
    assert list(
        PlanVersion.objects.filter(plan=plan)
        .exclude(transition__in=("create", "copy"))
        .order_by("number")
        .values_list("transition", flat=True)
    ) == ["submit", "district_approve", "state_approve"]
    assert RootCause.objects.get(need=need).cause == ROOT_CAUSE
    targets = {(t.goal_id, t.year): t.value for t in GoalTarget.objects.filter(goal__plan=plan)}
    assert targets == {
        (g.pk, y): float(v)
        for g in template_goals
        for y, v in zip(years, TARGETS[g.metric], strict=True)
    }
    assert [i.code for i in objective.indicators.all()] == [first_code]
    action.refresh_from_db()
    assert (action.owner, action.starts_on, action.due_on) == (
        "Assistant principal",
        starts_on,
        due_on,
    )
    assert (action.cost, action.funding_source) == (Decimal("12500.00"), "title_i_1003")
    assert (educator.baseline, educator.target, educator.due_year, educator.due_quarter) == (
        20,
        80,
        first_year,
        2,
    )
    assert student.objective_id == objective.pk
    session.refresh_from_db()
    assert session.status == StrategySession.Status.HELD and session.is_locked
    assert (session.year, session.quarter, session.held_on) == (first_year, this_quarter, today)
    assert (session.notes, session.decisions) == (NOTES, DECISIONS)
    assert list(session.participants.values_list("username", flat=True)) == [SCHOOL_LEADER]
    statuses = {
        b.benchmark_id: (b.status, b.value) for b in BenchmarkStatus.objects.filter(session=session)
    }
    assert statuses == {educator.pk: ("on_track", 60.0), student.pk: ("at_risk", 27.0)}
    next_step = NextStep.objects.get(raised_in=session)
    assert (next_step.description, next_step.owner, next_step.due_on) == (
        NEXT_STEP,
        "Reading coach",
        step_due,
    )
    assert next_step.objective_id == objective.pk

    site.assert_no_problems()
