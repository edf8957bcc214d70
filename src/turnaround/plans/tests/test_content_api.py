"""The plan-content API: plans and each kind of item — per persona, with the error shapes
(404 not yours, 403 seen but not allowed, 422 with ``loc``, 409 stale or locked) and the database
checked after each write."""

from __future__ import annotations

import pytest

from turnaround.assessments.priorities import priorities_agree, priorities_propose
from turnaround.assessments.tests import factories as af
from turnaround.frameworks.seed import frameworks_seed
from turnaround.plans.models import (
    Action,
    ActionStatus,
    Benchmark,
    Goal,
    GoalTarget,
    NeedStatement,
    Objective,
    Plan,
    PlanStatus,
    RootCause,
    Strategy,
)
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db

JSON = "application/json"
API = "/api/v1/plans"


@pytest.fixture
def plan(org):
    return make_plan(school=org.school)


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {"/".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


def test_the_api_requires_authentication(client, plan):
    assert client.get(API).status_code == 401
    assert client.get(f"{API}/{plan.pk}").status_code == 401


# ---------------------------------------------------------------------------------------------
# Plans


def test_list_per_persona(org, personas, client_for, plan):
    other = make_plan(school=org.school_other_district, status=PlanStatus.STATE_APPROVED)
    ids = {
        name: {p["id"] for p in client_for(getattr(personas, name)).get(API).json()["items"]}
        for name in ("school_leader", "state_staff", "viewer", "partner_staff", "outsider")
    }
    assert ids["school_leader"] == {plan.pk}
    assert ids["state_staff"] == {plan.pk, other.pk}
    assert ids["viewer"] == {other.pk}  # readers: state-approved plans only
    assert ids["partner_staff"] == {plan.pk}
    assert ids["outsider"] == set()
    c = client_for(personas.state_staff)
    assert c.get(f"{API}?status=draft").json()["count"] == 1
    assert c.get(f"{API}?year=2030").json()["count"] == 0
    assert errors(c.get(f"{API}?status=lost"))["query/status"].startswith("allowed: draft")


def test_create_a_plan(org, personas, client_for):
    body = {"school_id": org.school.pk, "title": "Plan A", "first_year": 2027, "last_year": 2029}
    response = client_for(personas.school_leader).post(API, body, JSON)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == "draft" and out["school"]["name"] == "Adams Elementary"
    assert out["permissions"]["can_edit"] and out["version"] == 1
    plan = Plan.objects.get(pk=out["id"])
    assert plan.versions.get().number == 1


def test_create_refusals(org, personas, client_for):
    body = {"school_id": org.school.pk, "title": "Plan A", "first_year": 2027, "last_year": 2034}
    assert errors(client_for(personas.school_leader).post(API, body, JSON)) == {
        "body/last_year": "A plan covers 1 to 6 school years; 2027–2034 is 8."
    }
    body["last_year"] = 2029
    forbidden = client_for(personas.state_staff).post(API, body, JSON)
    assert forbidden.status_code == 403 and "leaders start a plan" in forbidden.json()["detail"]
    assert client_for(personas.outsider).post(API, body, JSON).status_code == 404
    template = {**body, "template": "ma-turnaround-practices"}
    assert (
        "needs the published Turnaround Practices"
        in errors(client_for(personas.school_leader).post(API, template, JSON))["body/template"]
    )
    assert not Plan.objects.exists()


def test_detail_and_patch(personas, client_for, plan):
    c = client_for(personas.school_leader)
    out = c.get(f"{API}/{plan.pk}").json()
    assert out["exit_eligible_year"] == 2029 and out["permissions"]["can_edit"]
    staff = client_for(personas.state_staff).get(f"{API}/{plan.pk}").json()
    assert not staff["permissions"]["can_edit"] and staff["permissions"]["can_monitor"]
    response = c.patch(f"{API}/{plan.pk}", {"version": 1, "summary": "Why we act."}, JSON)
    assert response.status_code == 200 and response.json()["version"] == 2
    stale = c.patch(f"{API}/{plan.pk}", {"version": 1, "title": "Old"}, JSON)
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    assert Plan.objects.get(pk=plan.pk).title == "Turnaround plan 2026–2029"
    assert errors(c.patch(f"{API}/{plan.pk}", {"version": 2, "first_year": 2028}, JSON))[
        "body/first_year"
    ].startswith("The new period 2028–2029")


def test_who_does_not_see_a_draft(personas, client_for, plan):
    for name in ("viewer", "ta_provider", "outsider", "other_state_admin", "other_partner_staff"):
        c = client_for(getattr(personas, name))
        assert c.get(f"{API}/{plan.pk}").status_code == 404
        assert c.get(f"{API}/{plan.pk}/needs").status_code == 404
        response = c.post(f"{API}/{plan.pk}/needs", {"statement": "x", "source": "data"}, JSON)
        assert response.status_code == 404
    assert NeedStatement.objects.count() == 1


# ---------------------------------------------------------------------------------------------
# Needs and root causes


def test_needs_crud(personas, client_for, plan):
    c = client_for(personas.district_leader)
    url = f"{API}/{plan.pk}/needs"
    created = c.post(url, {"statement": "Absence is 31%.", "source": "data"}, JSON)
    assert created.status_code == 201
    need_id = created.json()["id"]
    assert [n["id"] for n in c.get(url).json()][-1] == need_id
    assert c.get(f"{url}/{need_id}").json()["statement"] == "Absence is 31%."
    patched = c.patch(f"{url}/{need_id}", {"version": 1, "evidence": "SIS, 2026"}, JSON)
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = c.patch(f"{url}/{need_id}", {"version": 1, "evidence": "older"}, JSON)
    assert stale.status_code == 409
    assert NeedStatement.objects.get(pk=need_id).evidence == "SIS, 2026"
    assert errors(c.post(url, {"statement": "x", "source": "rumour"}, JSON))[
        "body/source"
    ].startswith("Choose where the need comes from")
    assert (
        errors(c.post(url, {"statement": "x", "source": "data", "priority_id": 999}, JSON))[
            "body/priority_id"
        ]
        == "Priority #999 is not an agreed priority of an assessment of Adams Elementary."
    )
    assert c.delete(f"{url}/{need_id}?version=1").status_code == 409
    deleted = c.delete(f"{url}/{need_id}?version=2")
    assert deleted.status_code == 200 and deleted.json()["result"] == "deleted"
    assert not NeedStatement.objects.filter(pk=need_id).exists()


def test_state_staff_read_but_do_not_write(personas, client_for, plan):
    c = client_for(personas.state_staff)
    assert c.get(f"{API}/{plan.pk}/needs").status_code == 200
    response = c.post(f"{API}/{plan.pk}/needs", {"statement": "x", "source": "data"}, JSON)
    assert response.status_code == 403
    assert "you can read it and comment on it" in response.json()["detail"]
    need = plan.needs.get()
    assert (
        c.patch(
            f"{API}/{plan.pk}/needs/{need.pk}", {"version": 1, "statement": "y"}, JSON
        ).status_code
        == 403
    )
    assert NeedStatement.objects.get(pk=need.pk).version == 1


def test_root_causes_with_indicators(personas, client_for, plan):
    frameworks_seed()
    c = client_for(personas.school_leader)
    need = plan.needs.get()
    url = f"{API}/{plan.pk}/root-causes"
    body = {"need_id": need.pk, "cause": "No screener.", "evidence": "Visit.", "indicators": []}
    created = c.post(url, {**body, "indicators": ["TP3.1"]}, JSON)
    assert created.status_code == 201 and created.json()["indicators"] == ["TP3.1"]
    bad = errors(c.post(url, {**body, "indicators": ["XX1"]}, JSON))
    assert bad["body/indicators"].startswith("XX1 is not an indicator of the published framework")
    assert len(c.get(f"{url}?need={need.pk}").json()) == 2
    other = make_plan(school=plan.school)
    assert errors(c.post(url, {**body, "need_id": other.needs.get().pk}, JSON)) == {
        "body/need_id": "Choose a need statement of this plan."
    }
    assert RootCause.objects.filter(need=need).count() == 2


def test_needs_from_assessment(org, personas, client_for, plan):
    version = af.framework_version_create()
    visit = af.visit_finalised(org=org, personas=personas, version=version)
    priorities_propose(assessment=visit, actor=personas.state_staff, limit=2)
    priorities_agree(actor=personas.state_staff, assessment=visit)
    c = client_for(personas.school_leader)
    url = f"{API}/{plan.pk}/needs/from-assessment"
    out = c.post(url, {"assessment_id": visit.pk}, JSON).json()
    assert len(out["needs"]) == 2 and len(out["objectives"]) == 2
    again = c.post(url, {"assessment_id": visit.pk}, JSON).json()
    assert again["needs"] == [] and len(again["skipped_priority_ids"]) == 2


# ---------------------------------------------------------------------------------------------
# Goals


def test_goals_with_targets_inside(personas, client_for, plan):
    c = client_for(personas.school_leader)
    url = f"{API}/{plan.pk}/goals"
    body = {
        "metric": "growth",
        "description": "ELA median SGP",
        "subject": "ELA",
        "baseline_value": 38,
        "baseline_year": 2026,
        "targets": {"2027": 42, "2028": 46},
    }
    created = c.post(url, body, JSON)
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["targets"] == {"2027": 42.0, "2028": 46.0}
    patched = c.patch(f"{url}/{out['id']}", {"version": 1, "targets": {"2029": 50}}, JSON)
    assert patched.json()["targets"] == {"2029": 50.0}
    assert {t.year for t in GoalTarget.objects.filter(goal_id=out["id"])} == {2029}


def test_bad_targets_are_refused_and_nothing_is_saved(personas, client_for, plan):
    c = client_for(personas.school_leader)
    goal = plan.goals.get()
    url = f"{API}/{plan.pk}/goals/{goal.pk}"
    assert errors(c.patch(url, {"version": 1, "targets": {"2028": 120}}, JSON)) == {
        "body/targets/2028": "The target for 2027–28 must be between 0 and 100 for “Achievement: "
        "% meeting or exceeding expectations”; 120 is outside that range."
    }
    assert "body/targets/2031" in errors(c.patch(url, {"version": 1, "targets": {"2031": 5}}, JSON))
    wrong_type = errors(c.patch(url, {"version": 1, "targets": {"2028": "lots"}}, JSON))
    assert any("targets" in loc for loc in wrong_type)
    assert {t.year: t.value for t in goal.targets.all()} == {2027: 26.0, 2028: 31.0, 2029: 36.0}
    assert Goal.objects.get(pk=goal.pk).version == 1


# ---------------------------------------------------------------------------------------------
# Objectives, strategies, actions, benchmarks


def test_objectives_strategies_actions(personas, client_for, plan):
    c = client_for(personas.school_leader)
    objective = c.post(f"{API}/{plan.pk}/objectives", {"title": "Attendance systems"}, JSON)
    assert objective.status_code == 201
    objective_id = objective.json()["id"]
    strategy = c.post(
        f"{API}/{plan.pk}/strategies", {"objective_id": objective_id, "title": "Outreach"}, JSON
    )
    assert strategy.status_code == 201
    strategy_id = strategy.json()["id"]
    body = {
        "strategy_id": strategy_id,
        "title": "Call families",
        "owner": "Family liaison",
        "owner_user_id": personas.school_leader.pk,
        "starts_on": "2026-09-01",
        "due_on": "2026-12-20",
        "cost": "1500.50",
        "funding_source": "title_i",
    }
    action = c.post(f"{API}/{plan.pk}/actions", body, JSON)
    assert action.status_code == 201, action.content
    out = action.json()
    assert out["cost"] == 1500.5 and out["status"] == "not_started"
    assert errors(c.post(f"{API}/{plan.pk}/actions", {**body, "cost": "-1"}, JSON)) == {
        "body/cost": "A cost cannot be negative (-1); enter 0 or more dollars."
    }
    late = errors(c.post(f"{API}/{plan.pk}/actions", {**body, "due_on": "2029-08-01"}, JSON))
    assert "ends on 30 June 2029" in late["body/due_on"]
    stranger = errors(
        c.post(f"{API}/{plan.pk}/actions", {**body, "owner_user_id": personas.outsider.pk}, JSON)
    )
    assert "outsider cannot see this plan" in stranger["body/owner_user_id"]
    assert Action.objects.filter(strategy_id=strategy_id).count() == 1
    assert len(c.get(f"{API}/{plan.pk}/actions?strategy={strategy_id}").json()) == 1
    assert len(c.get(f"{API}/{plan.pk}/strategies?objective={objective_id}").json()) == 1
    deleted = c.delete(f"{API}/{plan.pk}/strategies/{strategy_id}?version=1")
    assert deleted.json()["result"] == "deleted"
    assert not Action.objects.filter(strategy_id=strategy_id).exists()
    patched = c.patch(
        f"{API}/{plan.pk}/objectives/{objective_id}", {"version": 1, "title": "Attendance"}, JSON
    )
    assert patched.json()["title"] == "Attendance"
    assert Objective.objects.get(pk=objective_id).version == 2


def test_benchmarks(personas, client_for, plan):
    c = client_for(personas.school_leader)
    url = f"{API}/{plan.pk}/benchmarks"
    body = {
        "kind": "student",
        "measure": "Chronic absence this term (%)",
        "data_source": "SIS",
        "baseline": 31,
        "target": 25,
        "due_year": 2028,
        "due_quarter": 3,
        "objective_id": plan.objectives.get().pk,
    }
    created = c.post(url, body, JSON)
    assert created.status_code == 201 and created.json()["due_label"] == "Q3 2027–28"
    assert errors(c.post(url, {**body, "due_year": 2030}, JSON)) == {
        "body/due_year": "The benchmark is due in 2030 (2029–30), outside the plan period "
        "2027–2029 (school years 2026–27 to 2028–29); choose a year of the plan."
    }
    assert "body/due_quarter" in errors(c.post(url, {**body, "due_quarter": 0}, JSON))
    assert "body/target" in errors(c.post(url, {**body, "target": 101}, JSON))
    assert [b["kind"] for b in c.get(f"{url}?kind=student").json()] == ["student", "student"]
    assert Benchmark.objects.filter(plan=plan).count() == 3


@pytest.mark.parametrize(
    "status", [PlanStatus.SUBMITTED, PlanStatus.DISTRICT_APPROVED, PlanStatus.STATE_APPROVED]
)
def test_locked_plans(personas, client_for, plan, status):
    Plan.objects.filter(pk=plan.pk).update(status=status)
    goal = plan.goals.get()
    c = client_for(personas.school_leader)
    response = c.patch(f"{API}/{plan.pk}/goals/{goal.pk}", {"version": 1, "subject": "MATH"}, JSON)
    assert response.status_code == 409
    if status == PlanStatus.STATE_APPROVED:
        assert response.json()["detail"] == (
            "This plan is approved by the state; ask for an amendment to change it."
        )
    assert Goal.objects.get(pk=goal.pk).subject == "ELA"
    action = Action.objects.get(strategy__objective__plan=plan)
    url = f"{API}/{plan.pk}/actions/{action.pk}"
    monitored = client_for(personas.state_staff).patch(
        url, {"version": 1, "status": "in_progress"}, JSON
    )
    assert monitored.status_code == 200 and monitored.json()["status"] == "in_progress"
    edited = c.patch(url, {"version": 2, "title": "Something else"}, JSON)
    assert edited.status_code == 409
    stored = Action.objects.get(pk=action.pk)
    assert stored.status == ActionStatus.IN_PROGRESS and stored.title.startswith("Adopt")


def test_items_of_another_plan_are_not_found(personas, client_for, plan):
    other = make_plan(school=plan.school)
    c = client_for(personas.school_leader)
    goal = other.goals.get()
    assert c.get(f"{API}/{plan.pk}/goals/{goal.pk}").status_code == 404
    response = c.patch(f"{API}/{plan.pk}/goals/{goal.pk}", {"version": 1, "subject": "SCI"}, JSON)
    assert response.status_code == 404
    assert Goal.objects.get(pk=goal.pk).subject == "ELA"


def test_reorder(personas, client_for, plan):
    c = client_for(personas.school_leader)
    second = c.post(f"{API}/{plan.pk}/needs", {"statement": "b", "source": "data"}, JSON).json()
    first = plan.needs.get(order=0)
    response = c.post(
        f"{API}/{plan.pk}/reorder", {"kind": "needs", "ids": [second["id"], first.pk]}, JSON
    )
    assert response.status_code == 204
    assert [n["id"] for n in c.get(f"{API}/{plan.pk}/needs").json()] == [second["id"], first.pk]
    assert "body/ids" in errors(
        c.post(f"{API}/{plan.pk}/reorder", {"kind": "needs", "ids": [first.pk]}, JSON)
    )
    assert Strategy.objects.filter(objective__plan=plan).count() == 1
