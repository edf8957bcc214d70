"""Starting a plan: who may, the years, the exit-eligible year from the designation, a template,
a copy of last year's plan shifted to the new years, and version 1."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from turnaround.accountability.models import Designation, DesignationStatus
from turnaround.audit.models import AuditEvent
from turnaround.frameworks.models import Indicator, Practice
from turnaround.frameworks.seed import frameworks_seed
from turnaround.frameworks.selectors import TURNAROUND_PRACTICES, current_version
from turnaround.monitoring.models import BenchmarkStatus, StrategySession
from turnaround.plans import services
from turnaround.plans.models import (
    Action,
    ActionStatus,
    Benchmark,
    GoalTarget,
    Metric,
    Plan,
    PlanStatus,
    PlanVersion,
)
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db


def create(actor, org, **kwargs):
    fields = {"school": org.school, "title": "Turnaround plan 2026–2029"}
    fields.update(first_year=2027, last_year=2029)
    fields.update(kwargs)
    return services.plan_create(actor=actor, **fields)


def messages(exc: ValidationError) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


def test_the_school_leader_starts_a_blank_plan_with_version_one(org, personas):
    plan = create(personas.school_leader, org)
    assert plan.status == PlanStatus.DRAFT and plan.school == org.school
    assert (plan.first_year, plan.last_year) == (2027, 2029)
    assert plan.created_by == personas.school_leader
    version = PlanVersion.objects.get(plan=plan)
    assert (version.number, version.transition, version.status) == (1, "create", "draft")
    assert version.snapshot["plan"]["title"] == "Turnaround plan 2026–2029"
    assert version.snapshot["goals"] == []
    assert version.created_by == personas.school_leader
    event = AuditEvent.objects.get(object_type="plans.Plan", object_id=str(plan.pk))
    assert event.action == "create" and event.state_id == org.state.pk


def test_the_district_leader_starts_school_and_district_plans(org, personas):
    school_plan = create(personas.district_leader, org, school=org.school_hs)
    district_plan = create(personas.district_leader, org, school=None, district=org.district)
    assert school_plan.school == org.school_hs and district_plan.district == org.district
    assert district_plan.exit_eligible_year is None


@pytest.mark.parametrize(
    "persona",
    ["state_admin", "state_staff", "partner_staff", "viewer", "outsider", "other_state_admin"],
)
def test_others_cannot_start_a_plan(org, personas, persona):
    with pytest.raises(PermissionDenied, match="leaders start a plan for Adams Elementary"):
        create(getattr(personas, persona), org)
    assert not Plan.objects.exists() and not PlanVersion.objects.exists()


def test_another_districts_leader_cannot_start_one(org, personas):
    with pytest.raises(PermissionDenied):
        create(personas.district_leader, org, school=org.school_other_district)
    assert not Plan.objects.exists()


def test_one_school_or_one_district(org, personas):
    with pytest.raises(ValidationError) as exc:
        create(personas.district_leader, org, district=org.district)
    assert "one school or one district" in messages(exc.value)["school"]


@pytest.mark.parametrize(
    ("years", "field", "text"),
    [
        ({"first_year": 2029, "last_year": 2027}, "last_year", "is before the first"),
        (
            {"first_year": 2027, "last_year": 2033},
            "last_year",
            "1 to 6 school years; 2027–2033 is 7",
        ),
        ({"first_year": "soon", "last_year": 2029}, "first_year", "“soon” is not a whole number"),
        ({"first_year": 1990, "last_year": 1992}, "first_year", "between 2000 and 2100"),
        (
            {"first_year": 2027, "last_year": 2029, "exit_eligible_year": 2026},
            "exit_eligible_year",
            "within or after the plan period",
        ),
    ],
)
def test_years_are_checked(org, personas, years, field, text):
    with pytest.raises(ValidationError) as exc:
        create(personas.school_leader, org, **years)
    assert text in messages(exc.value)[field]
    assert not Plan.objects.exists()


def test_the_title_is_required(org, personas):
    with pytest.raises(ValidationError) as exc:
        create(personas.school_leader, org, title="  ")
    assert "Give the plan a title" in messages(exc.value)["title"]


def _designate(org, entered: int) -> Designation:
    return Designation.objects.create(
        school=org.school,
        status=DesignationStatus.UNDERPERFORMING,
        entered_year=entered,
        source=org.source,
    )


def test_exit_year_defaults_to_three_years_after_the_open_designation(org, personas):
    designation = _designate(org, 2026)
    plan = create(personas.school_leader, org)
    assert plan.designation == designation
    assert plan.exit_eligible_year == 2029


def test_a_school_long_in_status_is_eligible_from_the_first_plan_year(org, personas):
    _designate(org, 2019)
    assert create(personas.school_leader, org).exit_eligible_year == 2027


def test_an_exited_designation_sets_no_default_and_a_given_year_wins(org, personas):
    Designation.objects.create(
        school=org.school,
        status=DesignationStatus.UNDERPERFORMING,
        entered_year=2020,
        exited_year=2023,
        source=org.source,
    )
    assert create(personas.school_leader, org).exit_eligible_year is None
    _designate(org, 2026)
    assert create(personas.school_leader, org, exit_eligible_year=2031).exit_eligible_year == 2031


# ---------------------------------------------------------------------------------------------
# Templates


def test_the_massachusetts_template(org, personas):
    frameworks_seed()
    plan = create(
        personas.school_leader,
        org,
        first_year=2018,
        last_year=2020,
        template="ma-turnaround-practices",
    )
    version = current_version(TURNAROUND_PRACTICES, state=org.state)
    names = list(
        Practice.objects.filter(framework_version=version)
        .order_by("position")
        .values_list("name", flat=True)
    )
    objectives = list(plan.objectives.order_by("order"))
    assert [o.title for o in objectives] == names
    assert (
        objectives[0].title == "Leadership, shared responsibility, and professional collaboration"
    )
    keys = set(
        Indicator.objects.filter(
            framework_version=version, is_key=True, component__practice__code="TP1"
        ).values_list("code", flat=True)
    )
    assert keys and {i.code for i in objectives[0].indicators.all()} == keys
    goals = list(plan.goals.order_by("order"))
    assert [(g.metric, g.subject) for g in goals] == [
        (Metric.PROFICIENCY, "ELA"),
        (Metric.PROFICIENCY, "MATH"),
        (Metric.GROWTH, "ELA"),
        (Metric.GROWTH, "MATH"),
        (Metric.CHRONIC_ABSENCE, ""),
    ]
    # no invented numbers: no targets at all; baselines only from the school's own results
    assert not GoalTarget.objects.filter(goal__plan=plan).exists()
    assert (goals[0].baseline_value, goals[0].baseline_year) == (40.0, 2017)
    assert (goals[2].baseline_value, goals[2].baseline_year) == (45.0, 2017)
    assert goals[4].baseline_value is None and goals[4].baseline_year is None
    assert plan.versions.get().comment.startswith("Started from the template")


def test_a_template_needs_the_published_framework(org, personas):
    with pytest.raises(ValidationError) as exc:
        create(personas.school_leader, org, template="ma-turnaround-practices")
    assert "needs the published Turnaround Practices framework" in messages(exc.value)["template"]
    assert not Plan.objects.exists()


def test_an_unknown_template_is_refused(org, personas):
    with pytest.raises(ValidationError) as exc:
        create(personas.school_leader, org, template="nope")
    assert "ma-turnaround-practices" in messages(exc.value)["template"]


# ---------------------------------------------------------------------------------------------
# Copying last year's plan


def _last_years_plan(org):
    source = make_plan(school=org.school, status=PlanStatus.STATE_APPROVED, summary="Why we act.")
    Action.objects.filter(strategy__objective__plan=source).update(
        status=ActionStatus.DONE, completed_on=dt.date(2026, 9, 30)
    )
    educator = source.benchmarks.get(kind="educator")
    session = StrategySession.objects.create(
        plan=source, year=2027, quarter=2, held_on=dt.date(2026, 12, 1)
    )
    BenchmarkStatus.objects.create(session=session, benchmark=educator, status="on_track")
    Benchmark.objects.create(
        plan=source,
        kind="student",
        measure="Retired measure",
        data_source="x",
        target=1,
        due_year=2027,
        due_quarter=1,
        is_active=False,
    )
    return source


def test_copy_shifts_targets_dates_and_due_years(org, personas):
    source = _last_years_plan(org)
    plan = create(personas.school_leader, org, first_year=2028, last_year=2030, copy_from=source)
    assert plan.copied_from == source and plan.summary == "Why we act."
    assert plan.needs.count() == 1 and plan.needs.get().root_causes.count() == 1
    goal = plan.goals.get()
    assert {t.year: t.value for t in goal.targets.all()} == {2028: 26.0, 2029: 31.0, 2030: 36.0}
    assert (goal.baseline_value, goal.baseline_year) == (21.0, 2026)
    action = Action.objects.get(strategy__objective__plan=plan)
    assert (action.starts_on, action.due_on) == (dt.date(2027, 8, 15), dt.date(2027, 10, 1))
    assert action.status == ActionStatus.NOT_STARTED and action.completed_on is None
    benchmarks = {b.kind: b for b in plan.benchmarks.all()}
    assert set(benchmarks) == {"educator", "student"}  # the retired one stays behind
    assert (benchmarks["educator"].due_year, benchmarks["educator"].due_quarter) == (2028, 2)
    assert benchmarks["student"].objective == plan.objectives.get()
    assert not BenchmarkStatus.objects.filter(benchmark__plan=plan).exists()
    # the source is untouched
    assert {t.year for t in GoalTarget.objects.filter(goal__plan=source)} == {2027, 2028, 2029}
    assert source.versions.count() == 0 and plan.versions.get().transition == "create"
    snapshot = plan.versions.get().snapshot
    assert len(snapshot["goals"]) == 1 and len(snapshot["benchmarks"]) == 2


def test_copy_into_a_shorter_period_leaves_out_what_falls_outside(org, personas):
    source = _last_years_plan(org)
    plan = create(personas.school_leader, org, first_year=2029, last_year=2030, copy_from=source)
    goal = plan.goals.get()
    assert {t.year: t.value for t in goal.targets.all()} == {2029: 26.0, 2030: 31.0}
    assert {b.due_year for b in plan.benchmarks.all()} == {2029}
    event = AuditEvent.objects.get(object_type="plans.Plan", object_id=str(plan.pk))
    assert event.changes["shifted_years"] == 2 and event.changes["left_out"] == 1


def test_copy_needs_a_plan_the_actor_sees_and_not_a_template_too(org, personas):
    hidden = make_plan(school=org.school_other_district)
    with pytest.raises(ValidationError) as exc:
        create(personas.school_leader, org, copy_from=hidden)
    assert "a plan you can see" in messages(exc.value)["copy_from"]
    mine = make_plan(school=org.school)
    with pytest.raises(ValidationError) as exc:
        create(personas.school_leader, org, copy_from=mine, template="ma-turnaround-practices")
    assert "not both" in messages(exc.value)["template"]
    assert Plan.objects.count() == 2
