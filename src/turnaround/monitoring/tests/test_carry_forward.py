"""Next steps carry forward: every open step shows in each later session ("carried forward from
Q1 2026–27") until closed; a step closed in session N shows as closed in N and not in N+1 — over
three sessions, in the services, the page, the API and the minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from turnaround.monitoring import services
from turnaround.monitoring.models import NextStep
from turnaround.monitoring.pdf import minutes_context
from turnaround.monitoring.selectors import session_steps
from turnaround.plans.models import PlanStatus
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db

DATES = {1: dt.date(2026, 9, 24), 2: dt.date(2026, 12, 10), 3: dt.date(2027, 3, 18)}


@pytest.fixture
def plan(org):
    return make_plan(school=org.school, status=PlanStatus.STATE_APPROVED)


def open_session(actor, plan, quarter):
    s = services.session_schedule(
        actor=actor, plan=plan, year=2027, quarter=quarter, held_on=DATES[quarter]
    )
    return services.session_open(actor=actor, session=s)


def record_all(actor, session):
    for b in session.plan.benchmarks.filter(is_active=True):
        services.benchmark_status_record(
            actor=actor, session=session, benchmark=b, status="on_track", value=50
        )


def add(actor, session, text, owner_user=None):
    return services.next_step_add(
        actor=actor,
        session=session,
        description=text,
        owner="Assistant principal",
        owner_user=owner_user,
        due_on=session.held_on + dt.timedelta(days=30),
    )


def shown(session) -> dict[str, list[str]]:
    return {k: [r.step.description for r in rows] for k, rows in session_steps(session).items()}


def test_next_steps_carry_forward_across_three_sessions(plan, personas, client_for):
    lead = personas.school_leader
    q1 = open_session(lead, plan, 1)
    a = add(lead, q1, "Buy the screener")
    b = add(lead, q1, "Train grade teams")
    assert shown(q1) == {
        "new": ["Buy the screener", "Train grade teams"],
        "carried": [],
        "closed": [],
    }
    record_all(lead, q1)
    services.session_hold(actor=lead, session=q1)

    q2 = open_session(personas.state_staff, plan, 2)
    assert [s["description"] for s in q2.data_snapshot["open_next_steps"]] == [
        "Buy the screener",
        "Train grade teams",
    ]
    rows = session_steps(q2)
    assert [(r.step.pk, r.raised_label, r.carried) for r in rows["carried"]] == [
        (a.pk, "Q1 2026–27", True),
        (b.pk, "Q1 2026–27", True),
    ]
    services.next_step_close(
        actor=personas.state_staff, step=a, session=q2, closing_note="Bought and installed."
    )
    c = add(lead, q2, "Regroup after the winter window")
    assert shown(q2) == {
        "new": ["Regroup after the winter window"],
        "carried": ["Train grade teams"],
        "closed": ["Buy the screener"],
    }
    record_all(lead, q2)
    services.session_hold(actor=lead, session=q2)

    q3 = open_session(personas.district_leader, plan, 3)
    assert shown(q3) == {
        "new": [],
        "carried": ["Train grade teams", "Regroup after the winter window"],
        "closed": [],
    }
    carried_from = {r.step.pk: r.raised_label for r in session_steps(q3)["carried"]}
    assert carried_from == {b.pk: "Q1 2026–27", c.pk: "Q2 2026–27"}
    # earlier sessions still read as they were
    assert shown(q1) == {
        "new": ["Buy the screener", "Train grade teams"],
        "carried": [],
        "closed": [],
    }
    assert shown(q2)["closed"] == ["Buy the screener"]
    assert services.carried_forward_steps(q3) == [b, c]

    page = client_for(personas.viewer).get(f"/plans/sessions/{q3.pk}/").content.decode()
    assert "carried forward from Q1 2026–27" in page
    assert "carried forward from Q2 2026–27" in page
    assert "Buy the screener" not in page

    api = client_for(personas.partner_staff).get(f"/api/v1/sessions/{q2.pk}").json()
    assert [s["description"] for s in api["next_steps"]["closed"]] == ["Buy the screener"]
    assert [s["carried_forward_from"] for s in api["next_steps"]["carried"]] == ["Q1 2026–27"]
    assert [s["carried_forward_from"] for s in api["next_steps"]["new"]] == [None]

    minutes = minutes_context(q2)["steps"]
    assert [r.step for r in minutes["closed"]] == [a]


def test_a_step_closed_outside_sessions_shows_as_closed_in_the_next_one(plan, personas):
    lead = personas.school_leader
    q1 = open_session(lead, plan, 1)
    step = add(lead, q1, "Call families of chronically absent students", owner_user=lead)
    q2 = services.session_schedule(actor=lead, plan=plan, year=2027, quarter=2, held_on=DATES[2])
    # the owner closes it between the sessions
    services.next_step_close(actor=lead, step=step, closing_note="All 23 families called.")
    NextStep.objects.filter(pk=step.pk).update(
        closed_at=timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))
    )
    assert shown(q1) == {"new": [step.description], "carried": [], "closed": []}
    rows = session_steps(q2)["closed"]
    assert [r.step.pk for r in rows] == [step.pk]
    assert rows[0].closed_label == "closed on 2 November 2026"
    q3 = services.session_schedule(actor=lead, plan=plan, year=2027, quarter=3, held_on=DATES[3])
    assert shown(q3) == {"new": [], "carried": [], "closed": []}


def test_who_closes_a_step_and_where(org, plan, personas):
    lead = personas.school_leader
    q1 = open_session(lead, plan, 1)
    q2 = open_session(lead, plan, 2)
    later = add(lead, q2, "Raised in Q2")
    with pytest.raises(ValidationError) as exc:
        services.next_step_close(actor=lead, step=later, session=q1)
    assert exc.value.message_dict["session"] == [
        "This step was raised in Q2 2026–27; it cannot be closed in the earlier Q1 2026–27 session."
    ]
    with pytest.raises(PermissionDenied):
        services.next_step_close(actor=personas.partner_staff, step=later)
    with pytest.raises(PermissionDenied):
        services.next_step_close(actor=personas.outsider, step=later)
    other = make_plan(school=org.school_hs, status=PlanStatus.STATE_APPROVED)
    other_session = open_session(personas.state_staff, other, 1)
    with pytest.raises(ValidationError, match="not part of this plan"):
        services.next_step_close(actor=lead, step=later, session=other_session)
    assert NextStep.objects.get(pk=later.pk).is_open
    services.next_step_close(actor=lead, step=later, session=q2)
    with pytest.raises(ValidationError, match="already closed"):
        services.next_step_close(actor=lead, step=later, session=q2)
