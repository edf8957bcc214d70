"""The plan builder's services: who may write, the lock once a plan leaves the authors, stale
edits, every validation (refused with its message, nothing written), retiring instead of
deleting, order, and taking needs from a finalised site visit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from turnaround.accounts.models import Membership, User
from turnaround.assessments.models import Priority
from turnaround.assessments.priorities import priorities_agree, priorities_propose
from turnaround.assessments.tests import factories as af
from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks.seed import frameworks_seed
from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.plans import services
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

LOCKED = [PlanStatus.SUBMITTED, PlanStatus.DISTRICT_APPROVED, PlanStatus.STATE_APPROVED]
MODELS = (NeedStatement, RootCause, Goal, GoalTarget, Objective, Strategy, Action, Benchmark)


@pytest.fixture
def plan(org):
    return make_plan(school=org.school)


def content_state(plan: Plan) -> dict:
    """Everything a refused call must leave as it was."""
    plan.refresh_from_db()
    rows = {}
    for model in MODELS:
        rows[model.__name__] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
    return {"rows": rows, "updated_at": plan.updated_at, "audit": AuditEvent.objects.count()}


def msgs(exc: ValidationError) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


def refused(plan, call, exc_type=ValidationError):
    before = content_state(plan)
    with pytest.raises(exc_type) as info:
        call()
    assert content_state(plan) == before
    return info.value


def other_district_leader(org) -> User:
    user = User.objects.create_user(username="lynn-lead", password="x-Y-z-12345678")
    Membership.objects.create(user=user, role="district_leader", district=org.district2)
    return user


# ---------------------------------------------------------------------------------------------
# Who may write


@pytest.mark.parametrize("persona", ["school_leader", "district_leader"])
def test_authors_edit_their_draft(plan, personas, persona):
    actor = getattr(personas, persona)
    before = Plan.objects.get(pk=plan.pk).updated_at
    need = services.need_create(
        actor=actor, plan=plan, statement="Chronic absence is 31%.", source="data"
    )
    assert need.order == 1 and need.plan == plan
    assert Plan.objects.get(pk=plan.pk).updated_at > before
    event = AuditEvent.objects.get(object_type="plans.NeedStatement", object_id=str(need.pk))
    assert event.action == "create" and event.actor == actor
    goal = plan.goals.get()
    services.goal_update(
        actor=actor, goal=goal, expected_version=goal.version, changes={"description": "ELA"}
    )
    assert Goal.objects.get(pk=goal.pk).version == 2


@pytest.mark.parametrize(
    ("persona", "text"),
    [
        ("state_staff", "you can read it and comment on it"),
        ("state_admin", "you can read it"),
        ("partner_staff", "you can read it and comment on it"),
        ("viewer", "You cannot see this plan."),
        ("ta_provider", "You cannot see this plan."),
        ("outsider", "You cannot see this plan."),
        ("other_state_admin", "You cannot see this plan."),
    ],
)
def test_others_cannot_write(plan, personas, persona, text):
    error = refused(
        plan,
        lambda: services.need_create(
            actor=getattr(personas, persona), plan=plan, statement="x", source="data"
        ),
        PermissionDenied,
    )
    assert text in str(error)


def test_another_districts_leader_cannot_write(plan, org):
    refused(
        plan,
        lambda: services.need_create(
            actor=other_district_leader(org), plan=plan, statement="x", source="data"
        ),
        PermissionDenied,
    )


@pytest.mark.parametrize("status", LOCKED)
def test_nobody_edits_content_once_submitted_or_approved(plan, personas, status):
    Plan.objects.filter(pk=plan.pk).update(status=status)
    goal = plan.goals.get()
    action = Action.objects.get(strategy__objective__plan=plan)
    for actor in (personas.school_leader, personas.district_leader):
        error = refused(
            plan,
            lambda actor=actor: services.goal_update(
                actor=actor, goal=goal, expected_version=goal.version, changes={"description": "x"}
            ),
            services.PlanLockedError,
        )
        refused(
            plan,
            lambda actor=actor: services.action_update(
                actor=actor, action=action, expected_version=action.version, changes={"title": "x"}
            ),
            services.PlanLockedError,
        )
    expected = {
        PlanStatus.SUBMITTED: "submitted for approval",
        PlanStatus.DISTRICT_APPROVED: "approved by the district",
        PlanStatus.STATE_APPROVED: "This plan is approved by the state; ask for an amendment",
    }[status]
    assert expected in str(error)
    refused(
        plan,
        lambda: services.benchmark_delete(
            actor=personas.school_leader,
            benchmark=plan.benchmarks.first(),
            expected_version=1,
        ),
        services.PlanLockedError,
    )


@pytest.mark.parametrize("status", LOCKED)
@pytest.mark.parametrize("persona", ["school_leader", "district_leader", "state_staff"])
def test_action_status_is_monitoring_and_works_in_any_status(plan, personas, status, persona):
    Plan.objects.filter(pk=plan.pk).update(status=status)
    action = Action.objects.get(strategy__objective__plan=plan)
    done = services.action_update(
        actor=getattr(personas, persona),
        action=action,
        expected_version=action.version,
        changes={"status": ActionStatus.DONE},
    )
    stored = Action.objects.get(pk=action.pk)
    assert stored.status == ActionStatus.DONE and stored.completed_on == timezone.localdate()
    assert stored.version == 2 and done.version == 2
    again = services.action_update(
        actor=getattr(personas, persona),
        action=stored,
        expected_version=2,
        changes={"status": ActionStatus.IN_PROGRESS},
    )
    assert again.completed_on is None


def test_readers_and_partners_cannot_update_action_status(plan, personas):
    action = Action.objects.get(strategy__objective__plan=plan)
    for persona in ("partner_staff", "viewer", "outsider"):
        refused(
            plan,
            lambda p=persona: services.action_update(
                actor=getattr(personas, p),
                action=action,
                expected_version=1,
                changes={"status": "done"},
            ),
            PermissionDenied,
        )


def test_state_staff_cannot_change_action_content(plan, personas):
    action = Action.objects.get(strategy__objective__plan=plan)
    refused(
        plan,
        lambda: services.action_update(
            actor=personas.state_staff,
            action=action,
            expected_version=1,
            changes={"status": "done", "title": "Something else"},
        ),
        PermissionDenied,
    )


# ---------------------------------------------------------------------------------------------
# Stale edits


def test_a_stale_edit_is_refused_and_overwrites_nothing(plan, personas):
    goal = plan.goals.get()
    services.goal_update(
        actor=personas.district_leader,
        goal=goal,
        expected_version=1,
        changes={"description": "Theirs"},
    )
    error = refused(
        plan,
        lambda: services.goal_update(
            actor=personas.school_leader,
            goal=goal,
            expected_version=1,
            changes={"description": "Mine", "targets": {2027: 50}},
        ),
        StaleEditError,
    )
    assert "changed by someone else after you opened it" in str(error)
    stored = Goal.objects.get(pk=goal.pk)
    assert stored.description == "Theirs" and stored.version == 2
    assert GoalTarget.objects.get(goal=goal, year=2027).value == 26.0


def test_a_stale_delete_is_refused(plan, personas):
    need = plan.needs.get()
    services.need_update(
        actor=personas.district_leader, need=need, expected_version=1, changes={"evidence": "new"}
    )
    refused(
        plan,
        lambda: services.need_delete(actor=personas.school_leader, need=need, expected_version=1),
        StaleEditError,
    )


def test_editing_an_item_someone_deleted(plan, personas):
    need = plan.needs.get()
    services.need_delete(actor=personas.district_leader, need=need, expected_version=1)
    with pytest.raises(services.ItemDeletedError, match="was deleted by someone else"):
        services.need_update(
            actor=personas.school_leader, need=need, expected_version=1, changes={"evidence": "x"}
        )


# ---------------------------------------------------------------------------------------------
# Goals


def test_targets_are_set_in_one_call(plan, personas):
    goal = plan.goals.get()
    services.goal_update(
        actor=personas.school_leader,
        goal=goal,
        expected_version=1,
        changes={"targets": {"2027": "30", 2028: 35.5, 2029: ""}},
    )
    assert {t.year: t.value for t in goal.targets.all()} == {2027: 30.0, 2028: 35.5}


def test_a_goal_may_have_no_targets_in_a_draft(plan, personas):
    goal = services.goal_create(
        actor=personas.school_leader,
        plan=plan,
        metric="chronic_absence",
        description="Chronic absence, all students",
    )
    assert goal.order == 1 and not goal.targets.exists()


@pytest.mark.parametrize(
    ("metric", "targets", "key", "text"),
    [
        ("proficiency", {2027: "abc"}, "targets.2027", "“abc” is not a number"),
        (
            "proficiency",
            {2028: 120},
            "targets.2028",
            "The target for 2027–28 must be between 0 and 100 for “Achievement: % meeting or "
            "exceeding expectations”; 120 is outside that range.",
        ),
        ("growth", {2027: 0}, "targets.2027", "between 1 and 99"),
        ("proficiency", {2031: 40}, "targets.2031", "outside the plan period 2027–2029"),
        ("proficiency", {"next": 40}, "targets", "“next” is not a year"),
        ("chronic_absence", {2027: -3}, "targets.2027", "between 0 and 100"),
    ],
)
def test_bad_targets_are_refused(plan, personas, metric, targets, key, text):
    error = refused(
        plan,
        lambda: services.goal_create(
            actor=personas.school_leader,
            plan=plan,
            metric=metric,
            subject="ELA" if metric != "chronic_absence" else "",
            description="A goal",
            targets=targets,
        ),
    )
    assert text in msgs(error)[key]


def test_changing_the_metric_rechecks_stored_targets(plan, personas):
    goal = plan.goals.get()  # proficiency targets 26, 31, 36
    services.goal_update(
        actor=personas.school_leader,
        goal=goal,
        expected_version=1,
        changes={"targets": {2027: 150, 2028: 160, 2029: 170}, "metric": "scale_score"},
    )
    goal.refresh_from_db()
    error = refused(
        plan,
        lambda: services.goal_update(
            actor=personas.school_leader,
            goal=goal,
            expected_version=goal.version,
            changes={"metric": "proficiency"},
        ),
    )
    assert "150 is outside that range" in msgs(error)["targets.2027"]


def test_baseline_is_checked(plan, personas):
    error = refused(
        plan,
        lambda: services.goal_create(
            actor=personas.school_leader,
            plan=plan,
            metric="graduation",
            description="Graduation",
            baseline_value="101",
            baseline_year=2026,
        ),
    )
    assert "The baseline must be between 0 and 100" in msgs(error)["baseline_value"]
    error = refused(
        plan,
        lambda: services.goal_create(
            actor=personas.school_leader,
            plan=plan,
            metric="graduation",
            description="Graduation",
            baseline_value=70,
        ),
    )
    assert "both a value and the year" in msgs(error)["baseline_year"]


def test_achievement_goals_need_a_subject(plan, personas):
    error = refused(
        plan,
        lambda: services.goal_create(
            actor=personas.school_leader, plan=plan, metric="proficiency", description="x"
        ),
    )
    assert "Choose the subject" in msgs(error)["subject"]


# ---------------------------------------------------------------------------------------------
# Benchmarks


def _benchmark(plan, personas, **kwargs):
    fields = {
        "kind": "educator",
        "measure": "Teachers receiving feedback after an observation (%)",
        "data_source": "Walkthrough log",
        "target": 80,
        "due_year": 2028,
        "due_quarter": 2,
    }
    fields.update(kwargs)
    return services.benchmark_create(actor=personas.school_leader, plan=plan, **fields)


def test_a_benchmark_is_added(plan, personas):
    b = _benchmark(plan, personas, baseline="35", objective=plan.objectives.get())
    assert (b.baseline, b.target, b.due_label) == (35.0, 80.0, "Q2 2027–28")
    assert b.order == 1  # after the factory's educator benchmark


@pytest.mark.parametrize(
    ("kwargs", "key", "text"),
    [
        (
            {"due_year": 2031},
            "due_year",
            "due in 2031 (2030–31), outside the plan period 2027–2029 (school years 2026–27 to "
            "2028–29)",
        ),
        ({"due_quarter": 5}, "due_quarter", "Choose a quarter from 1 to 4"),
        ({"target": 150}, "target", "a percentage (0–100), so it must be between 0 and 100"),
        ({"baseline": -1}, "baseline", "between 0 and 100; -1 is outside"),
        ({"unit": "count", "target": -2}, "target", "at least 0"),
        ({"target": "lots"}, "target", "“lots” is not a number"),
        ({"kind": "parent"}, "kind", "educator (adult practice, process) or student"),
        ({"measure": " "}, "measure", "Say what is measured"),
    ],
)
def test_bad_benchmarks_are_refused(plan, personas, kwargs, key, text):
    error = refused(plan, lambda: _benchmark(plan, personas, **kwargs))
    assert text in msgs(error)[key]


def test_a_benchmark_with_session_statuses_is_retired_not_deleted(plan, personas):
    educator, student = plan.benchmarks.order_by("kind")
    session = StrategySession.objects.create(
        plan=plan, year=2027, quarter=1, held_on=dt.date(2026, 9, 20)
    )
    BenchmarkStatus.objects.create(session=session, benchmark=educator, status="at_risk")
    assert (
        services.benchmark_delete(
            actor=personas.school_leader, benchmark=educator, expected_version=1
        )
        == "retired"
    )
    educator.refresh_from_db()
    assert not educator.is_active and educator.version == 2
    assert (
        services.benchmark_delete(
            actor=personas.school_leader, benchmark=student, expected_version=1
        )
        == "deleted"
    )
    assert not Benchmark.objects.filter(pk=student.pk).exists()


def test_an_objective_with_next_steps_is_retired(plan, personas):
    objective = plan.objectives.get()
    session = StrategySession.objects.create(
        plan=plan, year=2027, quarter=1, held_on=dt.date(2026, 9, 20)
    )
    NextStep.objects.create(
        plan=plan,
        raised_in=session,
        description="Share screener results",
        owner="Principal",
        due_on=dt.date(2026, 10, 15),
        objective=objective,
    )
    result = services.objective_delete(
        actor=personas.school_leader, objective=objective, expected_version=1
    )
    assert result == "retired"
    objective.refresh_from_db()
    assert not objective.is_active and objective.strategies.count() == 1
    # and a retired objective takes no new strategies
    error = refused(
        plan,
        lambda: services.strategy_create(
            actor=personas.school_leader, objective=objective, title="New"
        ),
    )
    assert "is retired" in msgs(error)["objective"]


def test_an_objective_without_history_is_deleted_with_its_strategies(plan, personas):
    objective = plan.objectives.get()
    assert (
        services.objective_delete(
            actor=personas.school_leader, objective=objective, expected_version=1
        )
        == "deleted"
    )
    assert not Strategy.objects.filter(objective__plan=plan).exists()
    assert plan.benchmarks.filter(objective__isnull=True).count() == 2


# ---------------------------------------------------------------------------------------------
# Actions


def _action(plan, personas, **kwargs):
    fields = {
        "strategy": Strategy.objects.get(objective__plan=plan),
        "title": "Train grade teams on the screener",
        "owner": "Literacy coach",
        "starts_on": dt.date(2027, 1, 10),
        "due_on": dt.date(2027, 3, 1),
    }
    fields.update(kwargs)
    return services.action_create(actor=personas.school_leader, **fields)


def test_an_action_is_added(plan, personas):
    a = _action(
        plan,
        personas,
        cost="12,500.005",
        funding_source="title_i_1003",
        owner_user=personas.school_leader,
    )
    assert a.cost == Decimal("12500.01") and a.owner_user == personas.school_leader
    assert a.status == ActionStatus.NOT_STARTED and a.order == 1


def test_an_action_may_start_a_year_before_the_plan_to_prepare(plan, personas):
    a = _action(plan, personas, starts_on=dt.date(2025, 7, 1), due_on=dt.date(2026, 6, 30))
    assert a.pk is not None


@pytest.mark.parametrize(
    ("kwargs", "key", "text"),
    [
        (
            {"starts_on": dt.date(2027, 3, 1), "due_on": dt.date(2027, 2, 1)},
            "due_on",
            "The due date (1 February 2027) is before the start date (1 March 2027)",
        ),
        (
            {"starts_on": dt.date(2025, 6, 30)},
            "starts_on",
            "at the earliest on 1 July 2025, a year before the plan begins on 1 July 2026",
        ),
        (
            {"due_on": dt.date(2029, 7, 1)},
            "due_on",
            "which ends on 30 June 2029; 1 July 2029 is later",
        ),
        ({"cost": -5}, "cost", "A cost cannot be negative (-5)"),
        ({"cost": "a lot"}, "cost", "“a lot” is not a number"),
        ({"status": "finished"}, "status", "Choose a status"),
        ({"funding_source": "lottery"}, "funding_source", "Choose a funding source"),
        ({"owner": ""}, "owner", "Name the person or role responsible"),
    ],
)
def test_bad_actions_are_refused(plan, personas, kwargs, key, text):
    error = refused(plan, lambda: _action(plan, personas, **kwargs))
    assert text in msgs(error)[key]


def test_an_owner_account_must_see_the_plan(plan, personas):
    error = refused(plan, lambda: _action(plan, personas, owner_user=personas.outsider))
    assert "outsider cannot see this plan" in msgs(error)["owner_user"]


# ---------------------------------------------------------------------------------------------
# Needs, root causes, objectives: framework indicators and priorities


@pytest.fixture
def seeded(db):
    frameworks_seed()


def test_root_causes_link_indicators_of_the_published_framework(plan, personas, seeded):
    need = plan.needs.get()
    root = services.root_cause_create(
        actor=personas.school_leader,
        need=need,
        cause="Teams do not regroup students.",
        evidence="Team minutes, autumn 2026.",
        indicators=["TP3.2", "TP2.1"],
    )
    assert sorted(i.code for i in root.indicators.all()) == ["TP2.1", "TP3.2"]
    error = refused(
        plan,
        lambda: services.root_cause_update(
            actor=personas.school_leader,
            root_cause=root,
            expected_version=root.version,
            changes={"indicators": ["TP9.9"]},
        ),
    )
    assert "TP9.9 is not an indicator of the published framework" in msgs(error)["indicators"]


def test_a_root_cause_needs_its_evidence(plan, personas):
    error = refused(
        plan,
        lambda: services.root_cause_create(
            actor=personas.school_leader, need=plan.needs.get(), cause="x", evidence=""
        ),
    )
    assert "what shows this is a cause" in msgs(error)["evidence"]


def test_without_a_published_framework_indicators_cannot_be_linked(plan, personas):
    error = refused(
        plan,
        lambda: services.objective_create(
            actor=personas.school_leader, plan=plan, title="x", indicators=["TP1.1"]
        ),
    )
    assert "No framework is published" in msgs(error)["indicators"]


@pytest.fixture
def visit(org, personas):
    """A finalised site visit of Adams Elementary with agreed priorities."""
    version = af.framework_version_create()
    visit = af.visit_finalised(org=org, personas=personas, version=version)
    priorities_propose(assessment=visit, actor=personas.state_staff, limit=2)
    priorities_agree(actor=personas.state_staff, assessment=visit)
    return visit


def test_priorities_must_be_this_schools(org, plan, personas, visit):
    other_plan = make_plan(school=org.school_hs)
    priority = visit.priorities.first()
    error = refused(
        other_plan,
        lambda: services.objective_create(
            actor=personas.district_leader, plan=other_plan, title="x", priorities=[priority.pk]
        ),
    )
    assert "not an agreed priority of an assessment of Burke High" in msgs(error)["priorities"]
    objective = services.objective_create(
        actor=personas.school_leader, plan=plan, title="x", priorities=[priority.pk]
    )
    assert list(objective.priorities.all()) == [priority]


def test_needs_from_a_finalised_site_visit(plan, personas, visit):
    priorities = list(visit.priorities.order_by("rank"))
    assert len(priorities) == 2
    taken = services.needs_from_assessment(
        actor=personas.school_leader, plan=plan, assessment=visit
    )
    assert len(taken.needs) == 2 and len(taken.objectives) == 2 and not taken.skipped
    need = taken.needs[0]
    assert need.source == NeedStatement.Source.SITE_VISIT and need.priority == priorities[0]
    assert need.statement == priorities[0].why
    objective = taken.objectives[0]
    assert objective.title == priorities[0].title
    assert list(objective.priorities.all()) == [priorities[0]]
    assert [i.pk for i in objective.indicators.all()] == [priorities[0].indicator_id]
    assert set(visit.priorities.values_list("status", flat=True)) == {Priority.Status.IN_PLAN}
    # idempotent
    again = services.needs_from_assessment(
        actor=personas.school_leader, plan=plan, assessment=visit
    )
    assert not again.needs and not again.objectives and len(again.skipped) == 2
    assert plan.needs.count() == 3 and plan.objectives.count() == 3


def test_needs_only_from_a_finalised_assessment_of_the_plans_school(org, plan, personas, visit):
    other_plan = make_plan(school=org.school_hs)
    error = refused(
        other_plan,
        lambda: services.needs_from_assessment(
            actor=personas.district_leader, plan=other_plan, assessment=visit
        ),
    )
    assert "not of this plan's school" in msgs(error)["assessment"]
    version = visit.framework_version
    draft = af.visit_create(org=org, personas=personas, version=version, school=org.school)
    error = refused(
        plan,
        lambda: services.needs_from_assessment(
            actor=personas.state_admin, plan=plan, assessment=draft
        ),
        PermissionDenied,
    )
    error = refused(
        plan,
        lambda: services.needs_from_assessment(
            actor=personas.district_leader, plan=plan, assessment=draft
        ),
    )
    assert "Choose an assessment you can see" in msgs(error)["assessment"]


# ---------------------------------------------------------------------------------------------
# The cover and the order


def test_the_period_cannot_leave_content_outside(plan, personas):
    error = refused(
        plan,
        lambda: services.plan_update(
            actor=personas.school_leader,
            plan=plan,
            expected_version=1,
            changes={"first_year": 2028, "last_year": 2029},
        ),
    )
    assert (
        "leaves out the 2027 target of “ELA proficiency, all students”" in msgs(error)["first_year"]
    )
    updated = services.plan_update(
        actor=personas.school_leader,
        plan=plan,
        expected_version=1,
        changes={"last_year": 2030, "title": "Plan 2026–2030", "summary": "Why."},
    )
    assert (updated.last_year, updated.version, updated.title) == (2030, 2, "Plan 2026–2030")


def test_reorder_and_move(plan, personas):
    second = services.need_create(
        actor=personas.school_leader, plan=plan, statement="Second", source="data"
    )
    first = plan.needs.get(order=0)
    services.item_move(actor=personas.school_leader, kind="needs", item=second, direction="up")
    assert list(plan.needs.order_by("order").values_list("pk", flat=True)) == [second.pk, first.pk]
    services.items_reorder(
        actor=personas.school_leader, plan=plan, kind="needs", ordered_ids=[first.pk, second.pk]
    )
    assert list(plan.needs.order_by("order").values_list("pk", flat=True)) == [first.pk, second.pk]
    error = refused(
        plan,
        lambda: services.items_reorder(
            actor=personas.school_leader, plan=plan, kind="needs", ordered_ids=[first.pk]
        ),
    )
    assert "List all the needs" in msgs(error)["ids"]
