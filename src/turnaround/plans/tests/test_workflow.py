"""The approval workflow's services: who may move a plan, from where, and what each step keeps."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from turnaround.accountability.models import Designation, DesignationStatus
from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError
from turnaround.plans.access import get_plan_for_user
from turnaround.plans.models import (
    Benchmark,
    BenchmarkKind,
    Goal,
    GoalTarget,
    Objective,
    Plan,
    PlanStatus,
    PlanVersion,
)
from turnaround.plans.services.workflow import (
    TransitionNotAvailable,
    TransitionNotPermitted,
    allowed_transitions,
    plan_amend,
    plan_district_approve,
    plan_return,
    plan_state_approve,
    plan_submit,
    plan_transition,
    submit_blockers,
)
from turnaround.plans.tests.factories import make_plan

S = PlanStatus


@pytest.fixture
def plan(org):
    return make_plan(school=org.school)


def _state(plan: Plan) -> tuple[str, int, int]:
    """What a refused transition must leave alone: status, version, number of versions."""
    fresh = Plan.objects.get(pk=plan.pk)
    return fresh.status, fresh.version, PlanVersion.objects.filter(plan=plan).count()


def _approved(plan: Plan, personas) -> Plan:
    plan_submit(actor=personas.school_leader, plan=plan)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    return plan_state_approve(actor=personas.state_staff, plan=plan)


def test_the_full_path_for_a_school_plan(plan, personas):
    p = plan_submit(actor=personas.school_leader, plan=plan, expected_version=plan.version)
    assert p.status == S.SUBMITTED
    p = plan_district_approve(
        actor=personas.district_leader, plan=plan, comment="Looks right.", expected_version=2
    )
    assert p.status == S.DISTRICT_APPROVED
    p = plan_state_approve(actor=personas.state_admin, plan=plan, expected_version=3)
    assert p.status == S.STATE_APPROVED
    stored = Plan.objects.get(pk=plan.pk)
    assert (stored.status, stored.version) == (S.STATE_APPROVED, 4)
    versions = list(PlanVersion.objects.filter(plan=plan).order_by("number"))
    assert [(v.number, v.transition, v.status) for v in versions] == [
        (1, "submit", S.SUBMITTED),
        (2, "district_approve", S.DISTRICT_APPROVED),
        (3, "state_approve", S.STATE_APPROVED),
    ]
    assert [v.created_by for v in versions] == [
        personas.school_leader,
        personas.district_leader,
        personas.state_admin,
    ]
    assert versions[1].comment == "Looks right."
    assert versions[2].snapshot["plan"]["status"] == S.STATE_APPROVED
    audited = AuditEvent.objects.filter(object_type="plans.Plan", object_id=str(plan.pk))
    assert audited.count() == 3
    assert audited.order_by("at", "pk").last().changes["status"] == [
        S.DISTRICT_APPROVED,
        S.STATE_APPROVED,
    ]


def test_a_version_number_follows_the_last_one(plan, personas):
    PlanVersion.objects.create(
        plan=plan, number=1, status=S.DRAFT, transition="create", snapshot={}
    )
    plan_submit(actor=personas.school_leader, plan=plan)
    assert PlanVersion.objects.get(plan=plan, transition="submit").number == 2


def test_the_district_leader_may_submit_too(plan, personas):
    plan_submit(actor=personas.district_leader, plan=plan)
    assert Plan.objects.get(pk=plan.pk).status == S.SUBMITTED


def test_the_school_leader_cannot_approve(plan, personas):
    plan_submit(actor=personas.school_leader, plan=plan)
    before = _state(plan)
    with pytest.raises(TransitionNotPermitted) as exc:
        plan_district_approve(actor=personas.school_leader, plan=plan)
    assert str(exc.value) == (
        "You cannot approve it for the district: this plan is submitted; the district approves "
        "or returns it. You are the school's leader."
    )
    assert isinstance(exc.value, PermissionDenied)
    assert _state(plan) == before


def test_the_district_leader_cannot_state_approve(plan, personas):
    plan_submit(actor=personas.school_leader, plan=plan)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    before = _state(plan)
    with pytest.raises(TransitionNotPermitted) as exc:
        plan_state_approve(actor=personas.district_leader, plan=plan)
    assert "this plan is approved by the district; the state approves or returns it" in str(
        exc.value
    )
    assert "You are a district leader." in str(exc.value)
    assert _state(plan) == before


def test_the_state_cannot_skip_the_district_step(plan, personas):
    plan_submit(actor=personas.school_leader, plan=plan)
    before = _state(plan)
    with pytest.raises(TransitionNotAvailable) as exc:
        plan_state_approve(actor=personas.state_staff, plan=plan)
    assert "the district approves or returns it. You are state staff." in str(exc.value)
    with pytest.raises(TransitionNotPermitted):  # nor return it: that is the district's step
        plan_return(actor=personas.state_staff, plan=plan, comment="No.")
    assert _state(plan) == before


def test_the_district_returns_with_a_comment(plan, personas):
    plan_submit(actor=personas.school_leader, plan=plan)
    p = plan_return(
        actor=personas.district_leader, plan=plan, comment="Goal 1 needs a subgroup target."
    )
    assert p.status == S.RETURNED
    v = PlanVersion.objects.get(plan=plan, transition="return")
    assert (v.status, v.comment, v.created_by) == (
        S.RETURNED,
        "Goal 1 needs a subgroup target.",
        personas.district_leader,
    )
    # the authors resubmit a returned plan
    plan_submit(actor=personas.school_leader, plan=plan)
    assert Plan.objects.get(pk=plan.pk).status == S.SUBMITTED


def test_the_state_returns_a_district_approved_plan(plan, personas):
    plan_submit(actor=personas.school_leader, plan=plan)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    plan_return(actor=personas.state_staff, plan=plan, comment="Benchmarks need dates.")
    assert Plan.objects.get(pk=plan.pk).status == S.RETURNED


@pytest.mark.parametrize("comment", ["", "   "])
def test_a_return_without_a_comment_is_refused(plan, personas, comment):
    plan_submit(actor=personas.school_leader, plan=plan)
    before = _state(plan)
    with pytest.raises(ValidationError) as exc:
        plan_return(actor=personas.district_leader, plan=plan, comment=comment)
    assert "Say what must change" in exc.value.message_dict["comment"][0]
    assert _state(plan) == before


def test_submitting_an_incomplete_plan_lists_what_is_missing(org, personas):
    plan = make_plan(school=org.school, exit_eligible_year=None)
    designation = Designation.objects.create(
        school=org.school,
        status=DesignationStatus.UNDERPERFORMING,
        entered_year=2025,
        source=org.source,
    )
    Plan.objects.filter(pk=plan.pk).update(designation=designation)
    goal = Goal.objects.get(plan=plan)
    GoalTarget.objects.filter(goal=goal, year__in=[2028, 2029]).delete()
    Benchmark.objects.filter(plan=plan, kind=BenchmarkKind.STUDENT).delete()
    Objective.objects.filter(plan=plan).delete()
    plan.refresh_from_db()
    before = _state(plan)
    with pytest.raises(ValidationError) as exc:
        plan_submit(actor=personas.school_leader, plan=plan)
    assert exc.value.messages == [
        "Goal “ELA proficiency, all students” needs a target for 2027–28, 2028–29.",
        "Add at least one objective with a strategy and an action (owner and dates).",
        "Add at least one student / early evidence benchmark.",
        "Give the school year in which the school becomes eligible to exit its designation.",
    ]
    assert _state(plan) == before


def test_a_plan_without_goals_or_benchmarks(org, personas):
    plan = make_plan(school=org.school)
    Goal.objects.filter(plan=plan).delete()
    Benchmark.objects.filter(plan=plan).delete()
    missing = submit_blockers(plan)
    assert missing[0].startswith("Add at least one measurable annual goal")
    assert "Add at least one educator / process benchmark." in missing
    assert "Add at least one student / early evidence benchmark." in missing
    assert submit_blockers(make_plan(school=org.school_hs)) == []


def test_amend_reopens_an_approved_plan_and_keeps_the_approved_version(plan, personas):
    _approved(plan, personas)
    before = _state(plan)
    with pytest.raises(ValidationError) as exc:
        plan_amend(actor=personas.school_leader, plan=plan, reason=" ")
    assert "needs a reason" in exc.value.message_dict["reason"][0]
    assert _state(plan) == before
    p = plan_amend(actor=personas.school_leader, plan=plan, reason="New grade 3 screener adopted.")
    assert p.status == S.DRAFT
    versions = list(PlanVersion.objects.filter(plan=plan).order_by("number"))
    assert [(v.transition, v.status) for v in versions][-2:] == [
        ("state_approve", S.STATE_APPROVED),
        ("amend", S.DRAFT),
    ]
    assert versions[-1].comment == "New grade 3 screener adopted."
    assert versions[-2].snapshot["goals"] == versions[-1].snapshot["goals"]


def test_only_authors_amend(plan, personas):
    _approved(plan, personas)
    with pytest.raises(TransitionNotPermitted) as exc:
        plan_amend(actor=personas.state_staff, plan=plan, reason="Because.")
    assert "its authors (the school's and the district's leaders) may amend it" in str(exc.value)


def test_an_approved_plan_cannot_be_submitted_or_approved_again(plan, personas):
    _approved(plan, personas)
    before = _state(plan)
    with pytest.raises(TransitionNotAvailable):
        plan_submit(actor=personas.school_leader, plan=plan)
    with pytest.raises(TransitionNotAvailable):
        plan_state_approve(actor=personas.state_staff, plan=plan)
    with pytest.raises(TransitionNotAvailable):
        plan_return(actor=personas.state_staff, plan=plan, comment="Too late.")
    assert _state(plan) == before


def test_a_stale_transition_changes_nothing(plan, personas):
    loaded = plan.version
    plan_submit(actor=personas.school_leader, plan=plan, expected_version=loaded)
    before = _state(plan)
    with pytest.raises(StaleEditError) as exc:
        plan_return(actor=personas.district_leader, plan=plan, comment="x", expected_version=loaded)
    assert "changed by someone else" in str(exc.value)
    assert _state(plan) == before


@pytest.mark.parametrize("who", ["outsider", "other_state_admin", "viewer"])
def test_people_who_cannot_see_the_draft_are_refused(plan, personas, who):
    with pytest.raises(PermissionDenied):
        plan_submit(actor=getattr(personas, who), plan=plan)
    assert _state(plan) == (S.DRAFT, 1, 0)


def test_partners_read_but_do_not_submit(plan, personas):
    with pytest.raises(TransitionNotPermitted) as exc:
        plan_submit(actor=personas.partner_staff, plan=plan)
    assert "You are a partner serving the school" in str(exc.value)


def test_a_district_plan_goes_from_submitted_to_the_state(org, personas):
    plan = make_plan(district=org.district)
    plan_submit(actor=personas.district_leader, plan=plan)
    with pytest.raises(TransitionNotAvailable) as exc:
        plan_district_approve(actor=personas.district_leader, plan=plan)
    assert "the state approves or returns it. You are a district leader." in str(exc.value)
    plan_state_approve(actor=personas.state_staff, plan=plan)
    assert Plan.objects.get(pk=plan.pk).status == S.STATE_APPROVED


def test_the_state_returns_a_submitted_district_plan(org, personas):
    plan = make_plan(district=org.district)
    plan_submit(actor=personas.district_leader, plan=plan)
    with pytest.raises(TransitionNotPermitted):
        plan_return(actor=personas.district_leader, plan=plan, comment="Mine.")
    plan_return(actor=personas.state_staff, plan=plan, comment="Add a district benchmark.")
    assert Plan.objects.get(pk=plan.pk).status == S.RETURNED


def test_an_unknown_transition_is_named(plan, personas):
    with pytest.raises(ValidationError) as exc:
        plan_transition(actor=personas.school_leader, plan=plan, name="publish")
    assert "“publish” is not a transition" in exc.value.message_dict["name"][0]


def _names(user, plan) -> list[str]:
    return [name for name, _, _ in allowed_transitions(get_plan_for_user(user, plan.pk))]


def test_allowed_transitions_per_role_and_status(plan, personas):
    assert _names(personas.school_leader, plan) == ["submit"]
    assert _names(personas.district_leader, plan) == ["submit"]
    assert _names(personas.state_staff, plan) == []
    assert _names(personas.partner_staff, plan) == []
    plan_submit(actor=personas.school_leader, plan=plan)
    assert _names(personas.school_leader, plan) == []
    assert _names(personas.district_leader, plan) == ["district_approve", "return"]
    assert _names(personas.state_staff, plan) == []
    plan_district_approve(actor=personas.district_leader, plan=plan)
    assert _names(personas.district_leader, plan) == []
    assert _names(personas.state_admin, plan) == ["state_approve", "return"]
    plan_state_approve(actor=personas.state_admin, plan=plan)
    assert _names(personas.school_leader, plan) == ["amend"]
    assert _names(personas.viewer, plan) == []
    access = get_plan_for_user(personas.school_leader, plan.pk)
    assert allowed_transitions(access) == [("amend", "Amend the approved plan", True)]
