"""Identification from a run to an exit review, through the real pages only.

State staff start an identification run (rule set ma-2012, accountability year 2017) for the demo
state, watch it finish on its progress page and open the review of the schools it flags; they
confirm a designation for a flagged school of the demo district that has none, start its
turnaround, open the exit review (each criterion with its evidence), and record a decision with
a rationale. They then filter the identification board, read the school's accountability history
and the cohort outcomes (chart and tables). The district leader reads the history of a school of
their district, and gets a 404 for a school of another district.

After the ``demo`` fixture the ORM is used only to look up ids and to check the database; every
change goes through the pages. axe-core checks every page on the way.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

STATE_STAFF = "state.staff"
DISTRICT_LEADER = "district.leader"
RULESET = "ma-2012"
YEAR = 2017
REASON = "Leadership team and partner in place; the turnaround plan starts this fall."
NOTES = "Lowest percentile in the district; two years below the gap-narrowing target."
OVERRIDE = "The district asked for the designation: its own turnaround plan depends on it."
RATIONALE = "One year in: the evidence is too thin to judge; continue and review next year."


def switch_user(site: Any, username: str, demo: dict[str, str]) -> None:
    site.page.context.clear_cookies()
    site.sign_in(username, demo[username])
    expect(site.page).not_to_have_url(re.compile(r"/accounts/login/"))


def tick(control: Any) -> None:
    """Check a USWDS radio button or checkbox by clicking its label, as a person does."""
    if control.is_checked():
        return
    control.page.locator(f"label[for='{control.get_attribute('id')}']").click()
    expect(control).to_be_checked()


def saved(page: Any, text: str) -> None:
    expect(page.locator("main .usa-alert--success")).to_contain_text(text)


def expect_not_found(site: Any, path: str) -> None:
    """The page is a 404; take the expected refusal off the list of problems."""
    response = site.page.goto(site.url(path))
    assert response is not None and response.status == 404, f"GET {path}: {response}"
    expected = f"404 {site.url(path)}"
    assert expected in site.problems, f"expected {expected}; problems: {site.problems}"
    site.problems.remove(expected)


def expect_refused(site: Any, status: int, path: str) -> None:
    """The last page was the expected refusal (``status`` at ``path``): take it off the list of
    problems, which collects every response of 400 or more."""
    expected = f"{status} {site.url(path)}"
    assert expected in site.problems, f"expected {expected}; problems: {site.problems}"
    site.problems.remove(expected)
    assert not site.problems, "\n".join(site.problems)


def look_up() -> tuple[Any, Any, Any]:
    """The demo state, a school of the demo district that ma-2012 flags in 2017 and that has no
    open designation, and a school of another district."""
    from turnaround.accountability.models import Designation
    from turnaround.accounts.models import Membership, Role
    from turnaround.organizations.models import School, State

    state = State.objects.get(code="MA")
    district_id = Membership.objects.get(
        user__username=DISTRICT_LEADER, role=Role.DISTRICT_LEADER
    ).district_id
    designated = Designation.objects.values("school_id")
    # Mather (Boston) is flagged by ma-2012 in 2017 and has never been designated
    school = School.objects.exclude(pk__in=designated).get(name="Mather")
    assert school.district_id == district_id, "Mather is no longer in the demo district"
    other = School.objects.exclude(district_id=district_id).order_by("name").first()
    assert other is not None
    return state, school, other


@pytest.mark.django_db(transaction=True)
def test_run_review_designate_and_exit_review(site: Any, demo: dict[str, str]) -> None:
    from turnaround.accountability.models import (
        AccountabilityDetermination,
        Designation,
        ExitReview,
        IdentificationRun,
    )

    page = site.page
    main = page.locator("main")
    state, school, other = look_up()
    code = state.code

    # -- 1. State staff start a run and watch it finish ---------------------------------------
    switch_user(site, STATE_STAFF, demo)
    site.goto(f"/states/{code}/accountability/runs/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Identification runs: {state.name}")
    site.assert_accessible("identification runs")
    form = page.locator("main form.usa-form")
    form.get_by_label("Rule set").select_option(value=RULESET)
    form.get_by_label(re.compile(r"^Accountability year")).fill(str(YEAR))
    form.get_by_role("button", name="Run the identification").click()
    expect(page).to_have_url(re.compile(r"/accountability/runs/\d+/$"))
    run = IdentificationRun.objects.get(state=state, ruleset=RULESET, year=YEAR)
    progress = page.locator("#run-progress")
    expect(progress.get_by_role("status")).to_contain_text("Done", timeout=60_000)
    expect(progress.get_by_role("table", name="What the run did")).to_contain_text(
        "Flagged for a designation"
    )
    run.refresh_from_db()
    assert run.status == IdentificationRun.Status.DONE
    assert run.schools_evaluated == 30 and run.flagged_count > 0
    expect(
        page.get_by_role("table", name=f"Computed determinations of {YEAR} by outcome")
    ).to_be_visible()
    site.assert_accessible("identification run (done)")

    # -- 2. The review: confirm a designation for one flagged school -------------------------
    page.get_by_role("link", name=re.compile(r"^Review the \d+ flagged school")).click()
    expect(page).to_have_url(re.compile(rf"/accountability/runs/{run.pk}/review/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Schools flagged by {RULESET} in {YEAR}"
    )
    expect(main.get_by_role("status")).to_contain_text(f"{run.flagged_count} school")
    site.assert_accessible("run review")
    det = AccountabilityDetermination.objects.get(
        school=school, ruleset=RULESET, year=YEAR, is_official=False
    )
    row = page.locator(f"#det-{det.pk}")
    expect(row).to_contain_text(school.name)
    row.get_by_text("Confirm a designation").click()
    expect(row.get_by_label("Status")).to_have_value("underperforming")
    expect(row.get_by_label("Year entered")).to_have_value(str(YEAR))
    row.get_by_label("Notes").fill(NOTES)
    row.get_by_role("button", name=f"Confirm {school.name}").click()
    # past the 4% cap on Levels 4 and 5 of the 30-school demo state: an override note is needed
    expect(page.get_by_role("alert")).to_contain_text(
        "Override note (only past the 4% cap): Levels 4 and 5 together may not exceed 4%"
    )
    expect_refused(site, 422, f"/accountability/runs/{run.pk}/review/")
    assert not Designation.objects.filter(school=school).exists()
    row = page.locator(f"#det-{det.pk}")
    override = row.get_by_label(re.compile(r"^Override note"))
    expect(override).to_be_visible()  # the refused row's form stays open, with what was typed
    expect(override).to_have_accessible_description(re.compile(r"Give an override note"))
    expect(row.get_by_label("Notes")).to_have_value(NOTES)
    site.assert_accessible("run review (confirmation refused)")
    override.fill(OVERRIDE)
    row.get_by_role("button", name=f"Confirm {school.name}").click()
    expect(page).to_have_url(re.compile(rf"/review/#det-{det.pk}$"))
    saved(page, f"{school.name} is designated Underperforming (Level 4) from {YEAR}.")
    site.assert_accessible("run review (one confirmed)")
    designation = Designation.objects.get(school=school, entered_year=YEAR)
    assert designation.phase == "identified" and designation.determination_id == det.pk
    assert designation.notes == f"{NOTES}\nCap override: {OVERRIDE}"

    # -- 3. The designation: start the turnaround -------------------------------------------
    page.locator(f"#det-{det.pk}").get_by_role(
        "link", name=f"Underperforming (Level 4) since {YEAR}"
    ).click()
    d_url = f"/accountability/designations/{designation.pk}/"
    expect(page).to_have_url(re.compile(rf"{d_url}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{school.name}: Underperforming (Level 4) from {YEAR}"
    )
    expect(page.get_by_role("table", name="The designation")).to_contain_text("Identified")
    site.assert_accessible("designation (identified)")
    change = page.get_by_role("region", name="Change the phase", exact=True)
    tick(change.get_by_role("radio", name=re.compile(r"^Start turnaround")))
    change.get_by_label("Reason").fill(REASON)
    change.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"{d_url}$"))
    saved(page, "Saved: Underperforming (Level 4), in turnaround.")
    designation.refresh_from_db()
    assert designation.phase == "in_turnaround" and designation.exited_year is None
    # the status's default exit criteria were attached when it was confirmed
    criteria = page.get_by_role("heading", name="Exit criteria").locator("xpath=..")
    expect(criteria.get_by_role("listitem").first).to_be_visible()
    expect(main).to_contain_text("No exit review yet.")
    site.assert_accessible("designation (in turnaround)")

    # -- 4. The exit review: the evidence, and a decision with a rationale -------------------
    page.get_by_role("link", name="Exit review", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{d_url}exit-review/$"))
    expect(page.get_by_role("heading", name=re.compile(r"^Evidence for \d{4}$"))).to_be_visible()
    expect(main.get_by_role("status")).to_contain_text("met,")
    criterion = main.locator("section.criterion")
    assert criterion.count() == len(designation.exit_criteria) > 0
    evidence = page.get_by_role("table", name=re.compile(r"^Evidence for: "))
    expect(evidence.first.get_by_role("columnheader", name="Verdict")).to_be_visible()
    site.assert_accessible("exit review")
    decide = page.get_by_role("region", name="Decision", exact=True)
    tick(decide.get_by_role("radio", name="Continue in the designation"))
    decide.get_by_label("Rationale").fill(RATIONALE)
    decide.get_by_label(re.compile(r"^Next review")).fill(str(YEAR + 1))
    decide.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_url(re.compile(r"/accountability/exit-reviews/\d+/$"))
    saved(page, "Recorded the exit review: continue in the designation.")
    review = ExitReview.objects.get(designation=designation)
    assert (review.decision, review.rationale, review.next_review_year) == (
        "continue",
        RATIONALE,
        YEAR + 1,
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^Exit review of {re.escape(school.name)} \(\d{{4}}\): Continue")
    )
    expect(main).to_contain_text(RATIONALE)
    expect(main.locator("section.criterion")).to_have_count(len(review.results))
    site.assert_accessible("exit review (recorded)")

    # -- 5. The identification board, filtered ----------------------------------------------
    site.goto(f"/states/{code}/accountability/")
    site.assert_accessible("identification board")
    board_form = page.get_by_role("form", name="Filter the board")
    board_form.get_by_label("Year", exact=True).select_option(value=str(YEAR))
    board_form.get_by_label("Status", exact=True).select_option(value="underperforming")
    board_form.get_by_label("District", exact=True).select_option(value=str(school.district_id))
    board_form.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/accountability/\?.*status=underperforming"))
    board = page.locator("#board-table")
    expect(board.get_by_role("link", name=school.name, exact=True)).to_be_visible()
    for name in board.locator("tbody th a").all_inner_texts():
        assert not name.startswith("UP Academy"), "a chronic school shown under underperforming"
    expect(main.get_by_role("status").first).to_contain_text("(filtered)")
    site.assert_accessible("identification board (filtered)")

    # -- 6. The school's accountability history ---------------------------------------------
    board.get_by_role("link", name=school.name, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/schools/{school.pk}/accountability/$"))
    timeline = page.get_by_role("region", name=f"Underperforming (Level 4) from {YEAR}")
    expect(timeline).to_contain_text("in turnaround", ignore_case=True)
    expect(timeline.get_by_role("link", name=re.compile(r"^\d{4} \(continue"))).to_be_visible()
    expect(page.get_by_role("table", name=f"Rule set {RULESET}")).to_contain_text(
        f"Computed (run {run.pk})"
    )
    site.assert_accessible("school accountability history")

    # -- 7. Cohort outcomes: chart and tables -----------------------------------------------
    site.goto(f"/states/{code}/accountability/cohorts/?year={YEAR}")
    expect(
        page.get_by_role("heading", level=2, name=re.compile(rf"^Cohort {YEAR},"))
    ).to_be_visible()
    # vega-embed draws the chart (an SVG hidden from screen readers); the container keeps the
    # page's own role and name (vega would put its own on it); the tables have the same figures
    chart = main.locator("[data-vega-spec=survival-spec]")
    expect(chart.locator("svg").first).to_be_attached(timeout=15_000)
    expect(chart).to_have_accessible_name(
        re.compile(rf"^Step chart .*designated in {YEAR}.*same figures")
    )
    expect(chart).to_have_attribute("role", "img")
    table = page.locator("table.cohort-table").first
    expect(table.locator("caption")).to_contain_text(f"designated in {YEAR}")
    expect(table.locator("tbody tr").first).to_contain_text(str(YEAR))
    expect(main).to_contain_text(school.name)
    site.assert_accessible("cohort outcomes")

    # -- 8. The district leader: their school's history, not another district's --------------
    switch_user(site, DISTRICT_LEADER, demo)
    site.goto(f"/schools/{school.pk}/accountability/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{school.name}: accountability history"
    )
    expect(
        page.get_by_role("region", name=f"Underperforming (Level 4) from {YEAR}")
    ).to_be_visible()
    # the district's leaders read the exit reviews, but may not act on the designation
    expect(page.get_by_role("link", name=re.compile(r"^\d{4} \(continue"))).to_be_visible()
    site.assert_accessible("school accountability history (district leader)")
    site.goto(d_url)
    expect(page.get_by_role("region", name="Change the phase", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Exit review", exact=True)).to_have_count(0)
    site.assert_accessible("designation (district leader)")
    expect_not_found(site, f"/schools/{other.pk}/accountability/")
    expect_not_found(site, f"/accountability/runs/{run.pk}/")

    # -- the database agrees ----------------------------------------------------------------
    designation.refresh_from_db()
    assert designation.status == "underperforming" and designation.phase == "in_turnaround"
    assert designation.confirmed_by is not None
    assert designation.confirmed_by.username == STATE_STAFF
    assert ExitReview.objects.filter(designation=designation).count() == 1

    site.assert_no_problems()
