"""The demo plans: one small demo state loaded once per test (the loading is the expensive part,
so the end-to-end test checks everything in one go), plus the date arithmetic on every day of a
year, so the demo works whatever today is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from turnaround.accounts.models import Membership, Role, User
from turnaround.audit.models import AuditEvent
from turnaround.demo.services import (
    demo_assessments_create,
    demo_delete,
    demo_load,
    demo_partners_create,
    demo_plans_create,
    demo_state,
    demo_users_create,
)
from turnaround.monitoring.health import plan_health
from turnaround.monitoring.models import (
    BenchmarkStatus,
    Comment,
    NextStep,
    Notification,
    StrategySession,
)
from turnaround.monitoring.selectors import quarter_dates
from turnaround.monitoring.services import carried_forward_steps
from turnaround.monitoring.services.sessions import check_held_on
from turnaround.plans.demo import (
    DEMO_TITLE_PREFIX,
    _held_on,
    _past_quarters,
    _quarter_of,
    _upcoming_on,
    plans_demo_delete,
)
from turnaround.plans.models import (
    Action,
    ActionStatus,
    Benchmark,
    BenchmarkKind,
    Plan,
    PlanStatus,
    PlanVersion,
)
from turnaround.plans.services import current_spring_year

PASSWORD = "demo-pass-123456"
S = PlanStatus


def _rows() -> dict[str, int]:
    """How many rows of everything the demo plans write."""
    return {
        "plans": Plan.objects.count(),
        "versions": PlanVersion.objects.count(),
        "actions": Action.objects.count(),
        "benchmarks": Benchmark.objects.count(),
        "sessions": StrategySession.objects.count(),
        "statuses": BenchmarkStatus.objects.count(),
        "steps": NextStep.objects.count(),
        "comments": Comment.objects.count(),
        "notifications": Notification.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def _user(username: str) -> User:
    return User.objects.get(username=username)


@pytest.mark.django_db
def test_demo_plans(client):
    demo_load(schools=30, student_share=0.0)
    demo_users_create(password=PASSWORD)
    demo_assessments_create()
    demo_partners_create()
    counts = demo_plans_create()

    state = demo_state()
    staff, leader = _user("state.staff"), _user("school.leader")
    district_leader = _user("district.leader")
    school = Membership.objects.get(user=leader, role=Role.SCHOOL_LEADER).school
    district_id = Membership.objects.get(
        user=district_leader, role=Role.DISTRICT_LEADER
    ).district_id
    plans = Plan.objects.filter(title__startswith=DEMO_TITLE_PREFIX)
    today = timezone.localdate()

    # plans in every status, all in the demo district, one per school
    assert counts["plans"] == plans.count() >= 6
    assert {p.status for p in plans} == {
        S.DRAFT,
        S.SUBMITTED,
        S.DISTRICT_APPROVED,
        S.RETURNED,
        S.STATE_APPROVED,
    }
    assert counts["state-approved plans"] == plans.filter(status=S.STATE_APPROVED).count() >= 3
    assert {p.school.district_id for p in plans} == {district_id}
    assert len({p.school_id for p in plans}) == plans.count()
    returned = plans.get(status=S.RETURNED)
    assert returned.versions.get(transition="return").comment.startswith("The benchmarks")
    # every write went through the services: each plan's creation and transitions are audited
    for plan in plans:
        assert AuditEvent.objects.filter(object_type="plans.Plan", object_id=str(plan.pk)).exists()
        assert plan.versions.filter(transition="create").exists()

    # the demo school's plan: approved, in its second year, complete
    plan = plans.get(school=school)
    assert plan.status == S.STATE_APPROVED
    assert plan.first_year == current_spring_year() - 1
    assert plan.last_year == plan.first_year + 2
    assert [v.transition for v in plan.versions.order_by("number")] == [
        "create",
        "submit",
        "district_approve",
        "state_approve",
    ]
    assert plan.needs.filter(source="site_visit", priority__isnull=False).exists()
    assert plan.needs.filter(source="data").exists()
    assert plan.needs.filter(root_causes__indicators__isnull=False).exists()
    assert 3 <= plan.goals.count() <= 4
    for goal in plan.goals.all():
        assert sorted(goal.targets.values_list("year", flat=True)) == plan.years
    assert plan.objectives.filter(indicators__isnull=False).distinct().count() >= 4
    assert plan.objectives.filter(priorities__isnull=False).exists()
    actions = Action.objects.filter(strategy__objective__plan=plan)
    assert {a.status for a in actions} >= {
        ActionStatus.DONE,
        ActionStatus.IN_PROGRESS,
        ActionStatus.BLOCKED,
        ActionStatus.DROPPED,
        ActionStatus.NOT_STARTED,
    }
    assert actions.filter(cost__gt=0).exclude(funding_source="").exists()
    assert actions.filter(owner_user=leader).exists()
    overdue = actions.filter(due_on__lt=today).exclude(
        status__in=(ActionStatus.DONE, ActionStatus.DROPPED)
    )
    assert overdue.exists()
    assert all(a.completed_on <= today for a in actions.filter(status=ActionStatus.DONE))
    kinds = set(plan.benchmarks.values_list("kind", flat=True))
    assert kinds == {BenchmarkKind.EDUCATOR, BenchmarkKind.STUDENT}
    assert len(set(plan.benchmarks.values_list("due_year", "due_quarter"))) >= 4

    # three sessions held in the quarters before today's, and today's quarter scheduled
    sessions = list(plan.sessions.order_by("year", "quarter"))
    held = [s for s in sessions if s.status == StrategySession.Status.HELD]
    assert len(held) == 3
    assert [(s.year, s.quarter) for s in held] == _past_quarters(today, 3)
    assert all(s.held_on < today and s.finalised_at and s.data_snapshot for s in held)
    assert [s.status for s in sessions[3:]] == [StrategySession.Status.SCHEDULED]
    assert (sessions[3].year, sessions[3].quarter) == _quarter_of(today)
    assert sessions[3].held_on >= today
    for s in held:  # every active benchmark has a status with a value and evidence
        rows = BenchmarkStatus.objects.filter(session=s)
        assert rows.count() == plan.benchmarks.filter(is_active=True).count()
        assert not rows.filter(value__isnull=True).exists()
        assert not rows.filter(evidence="").exists()
        assert s.notes and s.decisions
    latest = held[-1]
    assert set(BenchmarkStatus.objects.filter(session=latest).values_list("status", flat=True)) == {
        "on_track",
        "at_risk",
        "off_track",
        "met",
    }
    steps = NextStep.objects.filter(plan=plan)
    assert steps.filter(closed_in__in=held).exists()
    assert carried_forward_steps(latest)
    assert carried_forward_steps(sessions[3])
    assert steps.filter(closed_at__isnull=True, due_on__lt=today).exists()  # overdue

    # coaching: threads started by state staff, answered by the school leader
    comments = Comment.objects.filter(plan=plan)
    assert comments.filter(author=staff, parent__isnull=True).count() >= 3
    replies = comments.filter(author=leader, parent__author=staff)
    assert replies.count() >= 3
    assert {c.target_kind for c in comments} >= {"plan", "benchmark", "session"}
    assert Notification.objects.filter(recipient=leader, comment__author=staff).exists()

    # the dashboards show the plans in force with different health
    rows = plan_health(Plan.objects.filter(school__district__state=state))
    assert {r.plan_id for r in rows} == set(
        plans.filter(status=S.STATE_APPROVED).values_list("pk", flat=True)
    )
    assert len({r.health for r in rows}) >= 3
    assert any(r.overdue_actions for r in rows) and any(r.overdue_next_steps for r in rows)
    names = [p.school.name for p in plans.filter(status=S.STATE_APPROVED)]
    client.force_login(staff)
    page = client.get(reverse("monitoring:dashboard_state", args=[state.code]))
    assert page.status_code == 200
    for name in names:
        assert name in page.content.decode()
    client.force_login(district_leader)
    page = client.get(reverse("monitoring:dashboard_district", args=[district_id]))
    assert page.status_code == 200
    for name in names:
        assert name in page.content.decode()

    # the plan and the minutes as PDFs
    client.force_login(staff)
    pdf = client.get(reverse("plans:pdf", args=[plan.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    minutes = client.get(reverse("monitoring:session_minutes", args=[latest.pk]))
    assert minutes.status_code == 200
    assert minutes["Content-Type"] == "application/pdf"
    assert minutes.content.startswith(b"%PDF")

    # a second run adds nothing and reports the same
    before = _rows()
    assert demo_plans_create() == counts
    assert _rows() == before

    # the state can be deleted once its plans are (schools are protected while plans exist)
    assert plans_demo_delete(state=state) == before["plans"]
    demo_delete(state=state)
    assert not Plan.objects.exists()
    assert demo_state() is None


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def test_quarters():
    assert _quarter_of(dt.date(2026, 7, 1)) == (2027, 1)
    assert _quarter_of(dt.date(2026, 9, 30)) == (2027, 1)
    assert _quarter_of(dt.date(2026, 11, 23)) == (2027, 2)
    assert _quarter_of(dt.date(2027, 1, 1)) == (2027, 3)
    assert _quarter_of(dt.date(2027, 6, 30)) == (2027, 4)
    assert _past_quarters(dt.date(2026, 8, 1), 3) == [(2026, 2), (2026, 3), (2026, 4)]
    assert _past_quarters(dt.date(2027, 2, 1), 3) == [(2026, 4), (2027, 1), (2027, 2)]


@pytest.mark.parametrize("year", [2026, 2028])  # 2028 is a leap year
def test_session_dates_on_any_day(year):
    """Held sessions fall in past quarters, the upcoming one ahead, and both pass the service's
    check (``check_held_on``), whatever today is."""
    for today in _days(dt.date(year, 1, 1), dt.date(year, 12, 31)):
        for y, q in _past_quarters(today, 3):
            held = _held_on(y, q)
            check_held_on(y, q, held)
            assert held < today and held.weekday() <= 3
            assert quarter_dates(y, q)[0] <= held
        upcoming = _upcoming_on(today)
        check_held_on(*_quarter_of(today), upcoming)
        assert upcoming > today
        # every plan year holds the quarters: a plan in its second year covers them all
        first = current_spring_year(today) - 1
        assert all(first <= y <= first + 2 for y, _ in _past_quarters(today, 3))
