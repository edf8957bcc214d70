"""The session services: who records sessions, which plans are monitored, scheduling rules, the
frozen data snapshot, benchmark statuses within their unit, stale edits, and holding (which
refuses while a benchmark has no status, then locks) — each checked in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError
from turnaround.monitoring import services
from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.monitoring.tests.conftest import TEST_TODAY
from turnaround.performance.models import AssessmentResult, SchoolYearProfile
from turnaround.plans.models import Benchmark, PlanStatus, PlanVersion
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db

Q1 = {"year": 2027, "quarter": 1, "held_on": dt.date(2026, 9, 24)}
Q2 = {"year": 2027, "quarter": 2, "held_on": dt.date(2026, 12, 10)}


@pytest.fixture
def plan(org):
    return make_plan(school=org.school, status=PlanStatus.STATE_APPROVED)


def schedule(actor, plan, **kw):
    return services.session_schedule(actor=actor, plan=plan, **{**Q1, **kw})


def opened(actor, plan, **kw):
    return services.session_open(actor=actor, session=schedule(actor, plan, **kw))


def messages(exc: ValidationError) -> dict[str, list[str]]:
    return exc.value.message_dict  # type: ignore[attr-defined]


@pytest.mark.parametrize("who", ["school_leader", "state_staff", "district_leader", "state_admin"])
def test_authors_and_state_staff_record_sessions(plan, personas, who):
    actor = getattr(personas, who)
    session = schedule(actor, plan, participants=[personas.school_leader, personas.state_staff])
    assert session.status == StrategySession.Status.SCHEDULED
    assert set(session.participants.all()) == {personas.school_leader, personas.state_staff}
    assert session.created_by == actor
    assert AuditEvent.objects.filter(object_type="monitoring.StrategySession").count() == 1


@pytest.mark.parametrize("who", ["partner_staff", "viewer", "ta_provider", "reviewer"])
def test_readers_cannot_record_sessions(plan, personas, who):
    with pytest.raises(PermissionDenied, match="authors"):
        schedule(getattr(personas, who), plan)
    assert not StrategySession.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "other_state_admin", "other_partner_staff"])
def test_people_who_do_not_see_the_plan_cannot_record(plan, personas, who):
    with pytest.raises(PermissionDenied, match="cannot see this plan"):
        schedule(getattr(personas, who), plan)
    assert not StrategySession.objects.exists()


@pytest.mark.parametrize(
    "status", [PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.DISTRICT_APPROVED]
)
def test_plans_the_state_has_not_approved_are_not_monitored(org, personas, status):
    plan = make_plan(school=org.school, status=status)
    with pytest.raises(ValidationError, match="once the state has approved the plan"):
        schedule(personas.school_leader, plan)
    assert not StrategySession.objects.exists()


def test_a_plan_amended_after_state_approval_stays_in_monitoring(org, personas):
    plan = make_plan(school=org.school, status=PlanStatus.DRAFT)
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        status=PlanStatus.STATE_APPROVED,
        transition="state_approve",
        snapshot={},
    )
    assert services.plan_is_monitored(plan)
    assert schedule(personas.school_leader, plan).pk


def test_a_district_plan_is_monitored_by_the_district_and_the_state(org, personas):
    plan = make_plan(district=org.district, status=PlanStatus.STATE_APPROVED)
    session = opened(personas.district_leader, plan)
    snap = session.data_snapshot
    assert snap["organisation"] == {"kind": "district", "id": org.district.pk, "name": "Boston"}
    # the district's two schools combined: 2017, 120 + 120 tested, 40% meeting expectations
    assert [(r["subject"], r["year"], r["schools"], r["n_tested"]) for r in snap["results"]] == [
        ("ELA", 2017, 2, 240),
        ("MATH", 2017, 2, 240),
    ]
    assert snap["results"][0]["pct_meeting"] == 40.0 and snap["results"][0]["median_sgp"] is None
    assert snap["district_schools"] == {"schools": 2, "with_results": 2, "with_plans": 0}
    with pytest.raises(PermissionDenied):
        schedule(personas.school_leader, plan, quarter=2, held_on=Q2["held_on"])


def test_schedule_refuses_bad_quarters_dates_and_participants(plan, personas):
    with pytest.raises(ValidationError) as exc:
        services.session_schedule(
            actor=personas.school_leader,
            plan=plan,
            year=2031,
            quarter=5,
            held_on=dt.date(2026, 9, 1),
            participants=[personas.outsider],
        )
    errors = messages(exc)
    assert errors["year"] == [
        "Choose a school year of the plan (2026–27 to 2028–29); 2030–31 is outside it."
    ]
    assert errors["quarter"][0].startswith("The quarter is 1 (July–September)")
    assert errors["participants"] == [
        "outsider cannot see this plan; add them under other participants (name and role), or "
        "choose people who can see it."
    ]
    with pytest.raises(ValidationError) as exc:
        schedule(personas.school_leader, plan, held_on=dt.date(2026, 11, 15))
    assert messages(exc)["held_on"] == [
        "A session reviewing Q1 2026–27 is held during the quarter (1 July 2026 to 30 September "
        "2026) or in the month after it (by 31 October 2026); 15 November 2026 is outside."
    ]
    assert not StrategySession.objects.exists()
    schedule(personas.school_leader, plan)
    with pytest.raises(ValidationError) as exc:
        schedule(personas.state_staff, plan)
    assert "already has a session for Q1 2026–27" in messages(exc)["quarter"][0]
    assert StrategySession.objects.count() == 1


def test_open_takes_a_snapshot_that_later_data_never_changes(org, plan, personas):
    SchoolYearProfile.objects.filter(school=org.school, year=2017).update(
        attendance_rate=91.5, chronic_absence_rate=18.2
    )
    session = opened(personas.school_leader, plan)
    stored = StrategySession.objects.get(pk=session.pk)
    snap = stored.data_snapshot
    assert stored.status == StrategySession.Status.OPEN and stored.snapshot_taken_at is not None
    assert snap["organisation"]["name"] == "Adams Elementary"
    assert snap["results"] == [
        {
            "subject": "ELA",
            "subject_label": "English language arts",
            "year": 2017,
            "n_tested": 120,
            "pct_meeting": 40.0,
            "cpi": 70.0,
            "median_sgp": 45.0,
        },
        {
            "subject": "MATH",
            "subject_label": "Mathematics",
            "year": 2017,
            "n_tested": 120,
            "pct_meeting": 40.0,
            "cpi": 70.0,
            "median_sgp": 45.0,
        },
    ]
    assert snap["profile"] == {"year": 2017, "attendance_rate": 91.5, "chronic_absence_rate": 18.2}
    assert [b["latest"] for b in snap["benchmarks"]] == [None, None]
    assert [(g["target_year"], g["target"]) for g in snap["goals"]] == [(2027, 26.0)]
    assert snap["open_next_steps"] == []
    # the data change afterwards: new results, a corrected figure, attendance
    AssessmentResult.objects.filter(
        school=org.school, year=2017, subject="ELA", group="all"
    ).update(pct_level_4=30.0, composite_index=90.0)
    AssessmentResult.objects.create(
        school=org.school,
        year=2018,
        subject="ELA",
        group="all",
        n_tested=130,
        pct_level_4=25.0,
        pct_level_3=35.0,
        composite_index=80.0,
        source=org.source,
    )
    SchoolYearProfile.objects.filter(school=org.school).update(attendance_rate=60.0)
    Benchmark.objects.filter(plan=plan).update(target=10)
    assert StrategySession.objects.get(pk=session.pk).data_snapshot == snap
    with pytest.raises(ValidationError, match="already open"):
        services.session_open(actor=personas.school_leader, session=session)
    assert StrategySession.objects.get(pk=session.pk).data_snapshot == snap


def test_the_snapshot_carries_each_benchmarks_latest_earlier_status(plan, personas):
    q1 = opened(personas.school_leader, plan)
    first, second = Benchmark.objects.filter(plan=plan).order_by("kind", "order", "pk")
    services.benchmark_status_record(
        actor=personas.school_leader, session=q1, benchmark=first, status="at_risk", value=40
    )
    q2 = opened(personas.state_staff, plan, **Q2)
    latest = {b["id"]: b["latest"] for b in q2.data_snapshot["benchmarks"]}
    assert latest[first.pk]["status"] == "at_risk" and latest[first.pk]["value"] == 40
    assert latest[first.pk]["session"] == "Q1 2026–27"
    assert latest[second.pk] is None


def test_statuses_need_an_open_session(plan, personas):
    session = schedule(personas.school_leader, plan)
    benchmark = plan.benchmarks.first()
    with pytest.raises(ValidationError, match="Open the session"):
        services.benchmark_status_record(
            actor=personas.school_leader, session=session, benchmark=benchmark, status="on_track"
        )
    assert not BenchmarkStatus.objects.exists()


@pytest.mark.parametrize(
    ("unit", "value", "message"),
    [
        ("percent", 120, "This benchmark is a percentage: enter 0 to 100 (120 is outside)."),
        ("percent", -1, "This benchmark is a percentage: enter 0 to 100 (-1 is outside)."),
        ("count", -3, "This benchmark is a count: enter 0 or more (-3 is negative)."),
        ("count", 2.5, "This benchmark is a count: enter a whole number (2.5 is not)."),
        ("number", float("nan"), "Enter the value as a number, e.g. 42.5."),
    ],
)
def test_a_value_outside_the_units_range_is_refused(plan, personas, unit, value, message):
    session = opened(personas.school_leader, plan)
    benchmark = plan.benchmarks.first()
    benchmark.unit = unit
    benchmark.save(update_fields=["unit"])
    with pytest.raises(ValidationError) as exc:
        services.benchmark_status_record(
            actor=personas.school_leader,
            session=session,
            benchmark=benchmark,
            status="on_track",
            value=value,
            evidence="Meeting logs",
            expected_version=0,
        )
    assert messages(exc) == {"value": [message]}
    assert not BenchmarkStatus.objects.exists()
    assert not AuditEvent.objects.filter(object_type="monitoring.BenchmarkStatus").exists()


def test_values_at_the_edges_of_the_range_are_kept(plan, personas):
    session = opened(personas.school_leader, plan)
    percent, count = plan.benchmarks.order_by("pk")
    count.unit = "count"
    count.save(update_fields=["unit"])
    a = services.benchmark_status_record(
        actor=personas.school_leader, session=session, benchmark=percent, status="met", value=100
    )
    b = services.benchmark_status_record(
        actor=personas.school_leader, session=session, benchmark=count, status="off_track", value=0
    )
    assert (a.value, b.value) == (100.0, 0.0)


def test_a_stale_status_edit_is_refused(plan, personas):
    session = opened(personas.school_leader, plan)
    benchmark = plan.benchmarks.first()

    def record(actor, status, version):
        return services.benchmark_status_record(
            actor=actor,
            session=session,
            benchmark=benchmark,
            status=status,
            value=50,
            evidence="Walkthrough log",
            expected_version=version,
        )

    row = record(personas.school_leader, "on_track", 0)
    assert row.version == 1 and row.recorded_by == personas.school_leader
    # the state's liaison, who also loaded the empty row, saves second
    with pytest.raises(StaleEditError, match="changed by someone else"):
        record(personas.state_staff, "off_track", 0)
    row = record(personas.state_staff, "at_risk", 1)
    assert row.version == 2
    with pytest.raises(StaleEditError):
        record(personas.school_leader, "met", 1)
    stored = BenchmarkStatus.objects.get()
    assert (stored.status, stored.version, stored.recorded_by) == (
        "at_risk",
        2,
        personas.state_staff,
    )


def test_notes_and_decisions_are_versioned(plan, personas):
    session = opened(personas.school_leader, plan)
    version = session.version
    services.session_update_notes(
        actor=personas.school_leader,
        session=session,
        notes="Reviewed the screener.",
        decisions="Regroup weekly.",
        expected_version=version,
    )
    with pytest.raises(StaleEditError):
        services.session_update_notes(
            actor=personas.state_staff,
            session=session,
            notes="Other notes",
            decisions="",
            expected_version=version,
        )
    stored = StrategySession.objects.get(pk=session.pk)
    assert (stored.notes, stored.decisions) == ("Reviewed the screener.", "Regroup weekly.")


def test_hold_refuses_while_a_benchmark_has_no_status_then_locks(plan, personas):
    session = opened(personas.school_leader, plan)
    educator, student = plan.benchmarks.order_by("kind", "order", "pk")
    services.benchmark_status_record(
        actor=personas.school_leader, session=session, benchmark=educator, status="on_track"
    )
    with pytest.raises(ValidationError) as exc:
        services.session_hold(actor=personas.school_leader, session=session)
    assert exc.value.messages == [
        "Record a status (on track, at risk, off track or met) for every benchmark before you "
        "hold the session. Still without a status: “Students in tier 2 moving up a level on the "
        "mid-year screener (%)”."
    ]
    assert StrategySession.objects.get(pk=session.pk).status == StrategySession.Status.OPEN
    # a retired benchmark needs no status
    Benchmark.objects.filter(pk=student.pk).update(is_active=False)
    held = services.session_hold(actor=personas.state_staff, session=session)
    stored = StrategySession.objects.get(pk=session.pk)
    assert stored.status == StrategySession.Status.HELD and stored.is_locked
    assert stored.finalised_by == personas.state_staff and held.finalised_at is not None
    with pytest.raises(services.SessionLockedError, match="can no longer change"):
        services.session_update_notes(
            actor=personas.school_leader, session=session, notes="late", decisions=""
        )
    with pytest.raises(services.SessionLockedError):
        services.benchmark_status_record(
            actor=personas.school_leader, session=session, benchmark=educator, status="met"
        )
    with pytest.raises(services.SessionLockedError):
        services.next_step_add(
            actor=personas.school_leader,
            session=session,
            description="Late step",
            owner="Principal",
            due_on=dt.date(2026, 12, 1),
        )
    with pytest.raises(services.SessionLockedError):
        services.session_hold(actor=personas.school_leader, session=session)
    assert StrategySession.objects.get(pk=session.pk).notes == ""
    assert BenchmarkStatus.objects.get().status == "on_track"
    assert not NextStep.objects.exists()


def test_next_steps_check_owner_date_and_objective(org, plan, personas):
    session = opened(personas.school_leader, plan)
    other = make_plan(school=org.school_hs, status=PlanStatus.STATE_APPROVED)
    with pytest.raises(ValidationError) as exc:
        services.next_step_add(
            actor=personas.school_leader,
            session=session,
            description="  ",
            owner="",
            owner_user=personas.outsider,
            due_on=dt.date(2026, 9, 1),
            objective=other.objectives.first(),
        )
    errors = messages(exc)
    assert errors["description"] == ["Write the next step."]
    assert errors["owner_user"][0].startswith("outsider cannot see this plan")
    assert errors["due_on"] == [
        "The due date is before the session (24 September 2026); choose a date on or after it."
    ]
    assert errors["objective"] == ["That objective is not part of this plan."]
    assert not NextStep.objects.exists()
    step = services.next_step_add(
        actor=personas.school_leader,
        session=session,
        description="Share the screener calendar",
        owner_user=personas.school_leader,
        due_on=dt.date(2026, 10, 15),
        objective=plan.objectives.first(),
    )
    assert step.owner == "principal" and step.raised_in == session and step.is_open


def test_a_session_dated_in_the_future_cannot_be_held(plan, personas):
    later = TEST_TODAY + dt.timedelta(days=1)
    session = opened(personas.school_leader, plan)
    StrategySession.objects.filter(pk=session.pk).update(held_on=later)
    for benchmark in plan.benchmarks.all():
        services.benchmark_status_record(
            actor=personas.school_leader, session=session, benchmark=benchmark, status="met"
        )
    with pytest.raises(ValidationError, match="is held on or after its date"):
        services.session_hold(actor=personas.school_leader, session=session)
    assert StrategySession.objects.get(pk=session.pk).status == StrategySession.Status.OPEN
