"""The plan pages: list, start, the whole plan, and the builder's edit pages — per persona, with
refusals shown on the form (422 bad input, 403 not allowed, 409 stale or locked) and the
database checked after each."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from turnaround.accounts.models import Membership, User
from turnaround.assessments.priorities import priorities_agree, priorities_propose
from turnaround.assessments.tests import factories as af
from turnaround.core.testing import described_by
from turnaround.monitoring.models import BenchmarkStatus, StrategySession
from turnaround.plans.models import (
    Action,
    ActionStatus,
    Benchmark,
    Goal,
    GoalTarget,
    NeedStatement,
    Plan,
    PlanStatus,
    PlanVersion,
)
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(org):
    return make_plan(school=org.school)


def html(response) -> str:
    return response.content.decode()


def one_h1(response) -> None:
    assert len(re.findall(r"<h1[ >]", html(response))) == 1


@pytest.fixture
def other_district_leader(org):
    user = User.objects.create_user(username="lynn-lead", password="x-Y-z-12345678")
    Membership.objects.create(user=user, role="district_leader", district=org.district2)
    return user


# ---------------------------------------------------------------------------------------------
# List and start


def test_the_list_shows_the_plans_a_user_sees(org, personas, client_for, plan):
    make_plan(school=org.school_other_district, title="Lynn plan")
    response = client_for(personas.school_leader).get("/plans/")
    assert response.status_code == 200
    one_h1(response)
    page = html(response)
    assert plan.title in page and "Lynn plan" not in page and "Start a plan" in page
    assert "Adams Elementary" in page and "2026–2029" in page and "2028–2029" in page
    staff = html(client_for(personas.state_staff).get("/plans/"))
    assert "Lynn plan" in staff and "Start a plan" not in staff
    assert "No plans match" in html(client_for(personas.viewer).get("/plans/"))


def test_list_filters(org, personas, client_for, plan):
    make_plan(school=org.school_other_district, title="Lynn plan", status=PlanStatus.SUBMITTED)
    c = client_for(personas.state_staff)
    assert "Lynn plan" not in html(c.get("/plans/?status=draft"))
    assert "Lynn plan" in html(c.get(f"/plans/?district={org.district2.pk}"))
    assert plan.title not in html(c.get(f"/plans/?district={org.district2.pk}"))
    assert "Lynn plan" not in html(c.get("/plans/?year=2031"))
    bad = c.get("/plans/?status=lost&year=soon")
    assert bad.status_code == 400 and "Filter “status” was ignored" in html(bad)
    # each refused filter is named next to its control, which it describes, and linked from
    # the summary
    for name in ("status", "year"):
        [(error_id, text)] = described_by(html(bad), f"filter-{name}").items()
        assert error_id == f"filter-{name}-error" and text
        assert f'href="#filter-{name}"' in html(bad)
    assert described_by(html(bad), "filter-district") == {}


def test_start_a_plan_chooser(org, personas, client_for):
    page = html(client_for(personas.district_leader).get("/plans/new/"))
    assert "Adams Elementary" in page and "Burke High" in page and "Boston" in page
    assert "Lynn Middle" not in page
    assert "you do not lead" in html(client_for(personas.state_staff).get("/plans/new/"))


def test_start_preselects_the_latest_plan_to_copy(org, personas, client_for, plan):
    response = client_for(personas.school_leader).get(f"/plans/new/?school={org.school.pk}")
    assert response.status_code == 200
    one_h1(response)
    page = html(response)
    assert f'<option value="{plan.pk}" selected>' in page
    assert 'value="copy"' in page and 'value="2030"' in page  # the year after the last plan


def test_start_a_blank_plan(org, personas, client_for):
    response = client_for(personas.school_leader).post(
        f"/plans/new/?school={org.school.pk}",
        {"title": "Plan A", "first_year": 2027, "last_year": 2029, "start": "blank"},
    )
    plan = Plan.objects.get()
    assert response.status_code == 302 and response.url == f"/plans/{plan.pk}/"
    assert plan.title == "Plan A" and PlanVersion.objects.filter(plan=plan, number=1).exists()


def test_start_refuses_bad_years_and_writes_nothing(org, personas, client_for):
    response = client_for(personas.school_leader).post(
        f"/plans/new/?school={org.school.pk}",
        {"title": "Plan A", "first_year": 2027, "last_year": 2035, "start": "blank"},
    )
    assert response.status_code == 422
    assert "A plan covers 1 to 6 school years; 2027–2035 is 9." in html(response)
    assert not Plan.objects.exists()


def test_start_copies_the_chosen_plan(org, personas, client_for, plan):
    response = client_for(personas.district_leader).post(
        f"/plans/new/?school={org.school.pk}",
        {
            "title": "Plan B",
            "first_year": 2030,
            "last_year": 2032,
            "start": "copy",
            "copy_from": plan.pk,
        },
    )
    assert response.status_code == 302
    copy = Plan.objects.get(title="Plan B")
    assert copy.copied_from == plan and copy.goals.get().targets.count() == 3


def test_who_may_start_a_plan_for_a_school(org, personas, client_for, other_district_leader):
    url = f"/plans/new/?school={org.school.pk}"
    assert client_for(personas.state_staff).get(url).status_code == 403
    assert client_for(other_district_leader).get(url).status_code == 404
    assert client_for(personas.outsider).get(url).status_code == 404
    assert client_for(personas.other_state_admin).get(url).status_code == 404
    assert client_for(personas.school_leader).get(url).status_code == 200


def test_pages_need_a_sign_in(client, plan):
    assert client.get(f"/plans/{plan.pk}/").status_code == 302


# ---------------------------------------------------------------------------------------------
# The plan page


def test_the_plan_page_in_state_template_order(personas, client_for, plan):
    response = client_for(personas.school_leader).get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    one_h1(response)
    page = html(response)
    order = [
        page.index(s)
        for s in ('id="cover"', 'id="needs"', 'id="goals"', 'id="objectives"', 'id="benchmarks"')
    ]
    assert order == sorted(order)
    assert "Year eligible to exit" in page and "2028–2029" in page
    assert "Only 21% of grade 3 students" in page and "No common early-literacy screener" in page
    assert "Target 2026–27" in page and ">26<" in page and "21 (2026)" in page
    assert "Q2 2026–27" in page and "Educator / process benchmarks" in page
    assert reverse("plans:goal_edit", args=[plan.pk, plan.goals.get().pk]) in page
    assert "Edit the cover" in page


def test_state_staff_read_without_edit_links(personas, client_for, plan):
    page = html(client_for(personas.state_staff).get(f"/plans/{plan.pk}/"))
    assert "Only 21% of grade 3" in page and "Edit the cover" not in page
    assert "/edit/" not in page and "Add a need" not in page
    assert 'name="status"' in page  # action statuses: monitoring


@pytest.mark.parametrize("persona", ["partner_staff"])
def test_partner_staff_read(personas, client_for, plan, persona):
    page = html(client_for(getattr(personas, persona)).get(f"/plans/{plan.pk}/"))
    assert "Only 21% of grade 3" in page and "/edit/" not in page and 'name="status"' not in page


def test_who_does_not_see_a_draft(org, personas, client_for, plan, other_district_leader):
    for user in (
        personas.viewer,
        personas.ta_provider,
        personas.outsider,
        personas.other_state_admin,
        personas.other_partner_staff,
        other_district_leader,
    ):
        assert client_for(user).get(f"/plans/{plan.pk}/").status_code == 404
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.STATE_APPROVED)
    assert client_for(personas.viewer).get(f"/plans/{plan.pk}/").status_code == 200
    assert client_for(personas.outsider).get(f"/plans/{plan.pk}/").status_code == 404


def test_take_needs_from_the_site_visit(org, personas, client_for, plan):
    url = f"/plans/{plan.pk}/"
    assert "Take needs from the site visit" not in html(client_for(personas.school_leader).get(url))
    version = af.framework_version_create()
    visit = af.visit_finalised(org=org, personas=personas, version=version)
    priorities_propose(assessment=visit, actor=personas.state_staff, limit=2)
    priorities_agree(actor=personas.state_staff, assessment=visit)
    c = client_for(personas.school_leader)
    assert "Take needs from the site visit" in html(c.get(url))
    page = c.get(f"/plans/{plan.pk}/needs/from-assessment/")
    assert page.status_code == 200 and visit.title in html(page)
    response = c.post(f"/plans/{plan.pk}/needs/from-assessment/", {"assessment": visit.pk})
    assert response.status_code == 302
    assert plan.needs.filter(source=NeedStatement.Source.SITE_VISIT).count() == 2
    assert plan.objectives.count() == 3


# ---------------------------------------------------------------------------------------------
# Edit pages


def test_edit_a_need(personas, client_for, plan):
    need = plan.needs.get()
    c = client_for(personas.district_leader)
    url = f"/plans/{plan.pk}/needs/{need.pk}/edit/"
    page = c.get(url)
    assert page.status_code == 200
    one_h1(page)
    assert 'name="version" value="1"' in html(page)
    response = c.post(
        url, {"statement": "Only 19% meet expectations.", "source": "data", "version": 1}
    )
    assert response.status_code == 302 and response.url.endswith(f"#need-{need.pk}")
    need.refresh_from_db()
    assert need.statement == "Only 19% meet expectations." and need.version == 2


def test_add_items(personas, client_for, plan):
    c = client_for(personas.school_leader)
    objective = plan.objectives.get()
    strategy = objective.strategies.get()
    need = plan.needs.get()
    posts = [
        (f"/plans/{plan.pk}/needs/new/", {"statement": "Absence is high.", "source": "data"}),
        (
            f"/plans/{plan.pk}/needs/{need.pk}/root-causes/new/",
            {"cause": "No outreach.", "evidence": "Attendance logs."},
        ),
        (
            f"/plans/{plan.pk}/goals/new/",
            {
                "metric": "chronic_absence",
                "description": "Chronic absence",
                "student_group": "all",
                "target_2027": "25",
                "target_2029": "15",
            },
        ),
        (f"/plans/{plan.pk}/objectives/new/", {"title": "Attendance systems"}),
        (f"/plans/{plan.pk}/objectives/{objective.pk}/strategies/new/", {"title": "Outreach"}),
        (
            f"/plans/{plan.pk}/strategies/{strategy.pk}/actions/new/",
            {
                "title": "Call families",
                "owner": "Family liaison",
                "starts_on": "2026-09-01",
                "due_on": "2026-12-20",
                "status": "not_started",
                "cost": "1500",
                "funding_source": "title_i",
            },
        ),
        (
            f"/plans/{plan.pk}/benchmarks/new/",
            {
                "kind": "student",
                "measure": "Chronic absence this term (%)",
                "data_source": "SIS",
                "unit": "percent",
                "baseline": "31",
                "target": "25",
                "due_year": "2027",
                "due_quarter": "2",
                "frequency": "monthly",
            },
        ),
    ]
    for url, data in posts:
        response = c.post(url, data)
        assert response.status_code == 302, (url, html(response))
    goal = Goal.objects.get(plan=plan, metric="chronic_absence")
    assert {t.year: t.value for t in goal.targets.all()} == {2027: 25.0, 2029: 15.0}
    assert Action.objects.get(title="Call families").cost == 1500
    assert Benchmark.objects.get(measure__startswith="Chronic").due_label == "Q2 2026–27"


def test_bad_input_shows_the_services_message_and_writes_nothing(personas, client_for, plan):
    goal = plan.goals.get()
    c = client_for(personas.school_leader)
    data = {
        "metric": "proficiency",
        "description": "ELA proficiency, all students",
        "subject": "ELA",
        "student_group": "all",
        "baseline_value": "21",
        "baseline_year": "2026",
        "target_2027": "120",
        "target_2028": "abc",
        "version": 1,
    }
    response = c.post(f"/plans/{plan.pk}/goals/{goal.pk}/edit/", data)
    assert response.status_code == 422
    page = html(response)
    assert "must be between 0 and 100 for “Achievement: % meeting or exceeding" in page
    assert "“abc” is not a number" in page
    assert {t.year: t.value for t in goal.targets.all()} == {2027: 26.0, 2028: 31.0, 2029: 36.0}
    assert Goal.objects.get(pk=goal.pk).version == 1
    benchmark = plan.benchmarks.get(kind="educator")
    response = c.post(
        f"/plans/{plan.pk}/benchmarks/{benchmark.pk}/edit/",
        {
            "kind": "educator",
            "measure": "x",
            "data_source": "y",
            "unit": "percent",
            "target": "80",
            "due_year": "2031",
            "due_quarter": "2",
            "version": 1,
        },
    )
    # a year outside the plan is not even offered by the form
    assert response.status_code == 422 and "Select a valid choice" in html(response)
    assert Benchmark.objects.get(pk=benchmark.pk).measure.startswith("Grade teams")


def test_a_stale_save_shows_their_values_and_keeps_mine(personas, client_for, plan):
    need = plan.needs.get()
    url = f"/plans/{plan.pk}/needs/{need.pk}/edit/"
    theirs = client_for(personas.district_leader)
    mine = client_for(personas.school_leader)
    assert (
        theirs.post(
            url, {"statement": "Their words.", "source": "site_visit", "version": 1}
        ).status_code
        == 302
    )
    response = mine.post(url, {"statement": "My words.", "source": "data", "version": 1})
    assert response.status_code == 409
    page = html(response)
    assert "This need statement was changed by someone else after you opened it" in page
    assert "Their current values" in page and "Their words." in page
    assert "Site-visit findings" in page
    assert "My words." in page  # kept in the form
    assert 'name="version" value="2"' in page
    need.refresh_from_db()
    assert need.statement == "Their words." and need.version == 2
    # saving again is a deliberate overwrite
    again = mine.post(url, {"statement": "My words.", "source": "data", "version": 2})
    assert again.status_code == 302
    need.refresh_from_db()
    assert need.statement == "My words." and need.version == 3


def test_the_cover_page(personas, client_for, plan):
    c = client_for(personas.school_leader)
    url = f"/plans/{plan.pk}/edit/"
    assert c.get(url).status_code == 200
    response = c.post(
        url, {"title": "New title", "first_year": 2028, "last_year": 2030, "version": 1}
    )
    assert response.status_code == 422
    assert "leaves out the 2027 target" in html(response)
    response = c.post(
        url,
        {
            "title": "New title",
            "summary": "Why.",
            "first_year": 2027,
            "last_year": 2029,
            "exit_eligible_year": 2029,
            "version": 1,
        },
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "New title" and plan.version == 2
    stale = c.post(url, {"title": "Older", "first_year": 2027, "last_year": 2029, "version": 1})
    assert stale.status_code == 409 and "Their current values" in html(stale)
    assert Plan.objects.get(pk=plan.pk).title == "New title"


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.STATE_APPROVED])
def test_locked_plans_show_why(personas, client_for, plan, status):
    Plan.objects.filter(pk=plan.pk).update(status=status)
    need = plan.needs.get()
    c = client_for(personas.school_leader)
    page = c.get(f"/plans/{plan.pk}/needs/{need.pk}/edit/")
    assert page.status_code == 409
    response = c.post(
        f"/plans/{plan.pk}/needs/{need.pk}/edit/",
        {"statement": "x", "source": "data", "version": 1},
    )
    assert response.status_code == 409
    if status == PlanStatus.STATE_APPROVED:
        assert "ask for an amendment to change it" in html(response)
    assert NeedStatement.objects.get(pk=need.pk).statement.startswith("Only 21%")
    detail = html(c.get(f"/plans/{plan.pk}/"))
    assert "Edit the cover" not in detail and 'name="status"' in detail


def test_state_staff_get_403_on_edit_pages(personas, client_for, plan):
    need = plan.needs.get()
    c = client_for(personas.state_staff)
    assert c.get(f"/plans/{plan.pk}/needs/{need.pk}/edit/").status_code == 403
    response = c.post(f"/plans/{plan.pk}/needs/new/", {"statement": "x", "source": "data"})
    assert response.status_code == 403 and plan.needs.count() == 1


def test_edit_pages_are_404_for_those_who_do_not_see_the_plan(personas, client_for, plan):
    need = plan.needs.get()
    for user in (personas.viewer, personas.outsider, personas.other_state_admin):
        assert client_for(user).get(f"/plans/{plan.pk}/needs/{need.pk}/edit/").status_code == 404
    other = make_plan(school=plan.school)
    # an item of another plan is not found through this one
    url = f"/plans/{other.pk}/needs/{need.pk}/edit/"
    assert client_for(personas.school_leader).get(url).status_code == 404


def test_delete_and_retire(personas, client_for, plan):
    c = client_for(personas.school_leader)
    educator, student = plan.benchmarks.order_by("kind")
    session = StrategySession.objects.create(
        plan=plan, year=2027, quarter=1, held_on=dt.date(2026, 9, 20)
    )
    BenchmarkStatus.objects.create(session=session, benchmark=educator, status="on_track")
    page = c.get(f"/plans/{plan.pk}/benchmarks/{educator.pk}/delete/")
    assert page.status_code == 200 and "retired" in html(page)
    response = c.post(f"/plans/{plan.pk}/benchmarks/{educator.pk}/delete/", {"version": 1})
    assert response.status_code == 302
    assert not Benchmark.objects.get(pk=educator.pk).is_active
    response = c.post(f"/plans/{plan.pk}/benchmarks/{student.pk}/delete/", {"version": 1})
    assert response.status_code == 302 and not Benchmark.objects.filter(pk=student.pk).exists()
    detail = html(c.get(f"/plans/{plan.pk}/"))
    assert 'id="retired"' in detail and educator.measure in detail
    goal = plan.goals.get()
    stale = c.post(f"/plans/{plan.pk}/goals/{goal.pk}/delete/", {"version": 7})
    assert stale.status_code == 409 and GoalTarget.objects.filter(goal=goal).count() == 3


def test_action_status_on_an_approved_plan(personas, client_for, plan):
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.STATE_APPROVED)
    action = Action.objects.get(strategy__objective__plan=plan)
    url = f"/plans/{plan.pk}/actions/{action.pk}/status/"
    response = client_for(personas.state_staff).post(url, {"status": "in_progress", "version": 1})
    assert response.status_code == 302
    assert Action.objects.get(pk=action.pk).status == ActionStatus.IN_PROGRESS
    stale = client_for(personas.school_leader).post(url, {"status": "done", "version": 1})
    assert stale.status_code == 409 and "changed by someone else" in html(stale)
    assert Action.objects.get(pk=action.pk).status == ActionStatus.IN_PROGRESS
    denied = client_for(personas.partner_staff).post(url, {"status": "done", "version": 2})
    assert denied.status_code == 403
    assert Action.objects.get(pk=action.pk).status == ActionStatus.IN_PROGRESS


def test_move_an_item(personas, client_for, plan):
    c = client_for(personas.school_leader)
    c.post(f"/plans/{plan.pk}/needs/new/", {"statement": "Second need.", "source": "data"})
    second = plan.needs.get(statement="Second need.")
    response = c.post(f"/plans/{plan.pk}/needs/{second.pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    assert plan.needs.order_by("order").first() == second
