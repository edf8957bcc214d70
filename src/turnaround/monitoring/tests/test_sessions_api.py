"""The sessions API: schedule, open, statuses (201 then 200), stale edits (409), next steps,
hold (422 listing what is missing, then 409 on a locked session), minutes — for the owner, a
read-only member (403 on writes) and an outsider (404), each checked in the database."""

from __future__ import annotations

import pytest

from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.plans.models import PlanStatus
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db

JSON = "application/json"


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {"/".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


@pytest.fixture
def plan(org):
    return make_plan(school=org.school, status=PlanStatus.STATE_APPROVED)


def create(client, plan, **extra):
    body = {"year": 2027, "quarter": 1, "held_on": "2026-09-24", **extra}
    return client.post(f"/api/v1/plans/{plan.pk}/sessions", body, JSON)


def test_requires_authentication(client, plan):
    assert client.get(f"/api/v1/plans/{plan.pk}/sessions").status_code == 401


def test_the_whole_session_over_the_api(plan, personas, client_for):
    c = client_for(personas.district_leader)
    created = create(c, plan, participant_ids=[personas.school_leader.pk])
    assert created.status_code == 201, created.content
    out = created.json()
    sid = out["id"]
    assert out["label"] == "Q1 2026–27" and out["status"] == "scheduled"
    assert [p["username"] for p in out["participants"]] == ["principal"]
    assert out["permissions"] == {"can_edit": True, "can_open": True, "can_record": False}
    opened = c.post(f"/api/v1/sessions/{sid}/open", {"version": out["version"]}, JSON)
    assert opened.status_code == 200
    snap = opened.json()["data_snapshot"]
    assert [r["pct_meeting"] for r in snap["results"]] == [40.0, 40.0]
    educator, student = plan.benchmarks.order_by("kind", "order", "pk")
    url = f"/api/v1/sessions/{sid}/benchmarks/{educator.pk}"
    first = c.put(url, {"status": "on_track", "value": 60, "evidence": "Logs", "version": 0}, JSON)
    assert first.status_code == 201 and first.json()["version"] == 1
    again = c.put(url, {"status": "at_risk", "value": 55, "version": 1}, JSON)
    assert again.status_code == 200 and again.json()["status"] == "at_risk"
    stale = c.put(url, {"status": "met", "value": 100, "version": 1}, JSON)
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    assert BenchmarkStatus.objects.get().status == "at_risk"
    bad = c.put(
        f"/api/v1/sessions/{sid}/benchmarks/{student.pk}",
        {"status": "on_track", "value": 101, "version": 0},
        JSON,
    )
    assert errors(bad) == {
        "body/value": "This benchmark is a percentage: enter 0 to 100 (101 is outside)."
    }
    wrong = c.put(
        f"/api/v1/sessions/{sid}/benchmarks/{student.pk}", {"status": "great", "version": 0}, JSON
    )
    assert "body/status" in errors(wrong)
    assert BenchmarkStatus.objects.count() == 1
    step = c.post(
        f"/api/v1/sessions/{sid}/next-steps",
        {
            "description": "Print the regrouping plan",
            "owner_user_id": personas.school_leader.pk,
            "due_on": "2026-10-20",
        },
        JSON,
    )
    assert step.status_code == 201 and step.json()["owner"] == "principal"
    patched = c.patch(
        f"/api/v1/sessions/{sid}", {"notes": "Looked at the data.", "version": 2}, JSON
    )
    assert patched.status_code == 200 and patched.json()["notes"] == "Looked at the data."
    stale_notes = c.patch(f"/api/v1/sessions/{sid}", {"notes": "Other", "version": 2}, JSON)
    assert stale_notes.status_code == 409
    refused = c.post(f"/api/v1/sessions/{sid}/hold", {"version": 3}, JSON)
    detail = errors(refused)["body"]
    assert "Still without a status: “Students in tier 2 moving up a level" in detail
    assert c.get(f"/api/v1/sessions/{sid}").json()["hold_blockers"] == [student.pk]
    c.put(
        f"/api/v1/sessions/{sid}/benchmarks/{student.pk}",
        {"status": "off_track", "value": 20, "version": 0},
        JSON,
    )
    held = c.post(f"/api/v1/sessions/{sid}/hold", {"version": 3}, JSON)
    assert held.status_code == 200 and held.json()["status"] == "held"
    locked = c.put(url, {"status": "met", "value": 100, "version": 2}, JSON)
    assert locked.status_code == 409 and "can no longer change" in locked.json()["detail"]
    assert StrategySession.objects.get().status == "held"
    pdf = c.get(f"/api/v1/sessions/{sid}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_schedule_errors_name_the_field(plan, personas, client_for):
    c = client_for(personas.state_staff)
    bad = create(c, plan, year=2035, participant_ids=[personas.outsider.pk])
    got = errors(bad)
    assert got["body/year"].startswith("Choose a school year of the plan")
    assert got["body/participant_ids"].startswith("outsider cannot see this plan")
    missing = create(c, plan, participant_ids=[999999])
    assert errors(missing) == {"body/participant_ids": "No such user: 999999."}
    assert not StrategySession.objects.exists()


@pytest.mark.parametrize("who", ["partner_staff", "viewer"])
def test_readers_get_403_on_writes(plan, personas, client_for, who):
    owner = client_for(personas.school_leader)
    sid = create(owner, plan).json()["id"]
    owner.post(f"/api/v1/sessions/{sid}/open", {}, JSON)
    c = client_for(getattr(personas, who))
    assert c.get(f"/api/v1/plans/{plan.pk}/sessions").status_code == 200
    assert c.get(f"/api/v1/sessions/{sid}").json()["permissions"]["can_record"] is False
    b = plan.benchmarks.first()
    writes = [
        c.post(
            f"/api/v1/plans/{plan.pk}/sessions",
            {"year": 2027, "quarter": 2, "held_on": "2026-12-01"},
            JSON,
        ),
        c.put(f"/api/v1/sessions/{sid}/benchmarks/{b.pk}", {"status": "met"}, JSON),
        c.patch(f"/api/v1/sessions/{sid}", {"notes": "x"}, JSON),
        c.post(
            f"/api/v1/sessions/{sid}/next-steps",
            {"description": "x", "owner": "y", "due_on": "2026-10-01"},
            JSON,
        ),
        c.post(f"/api/v1/sessions/{sid}/hold", {}, JSON),
    ]
    assert [r.status_code for r in writes] == [403] * 5
    assert StrategySession.objects.count() == 1
    assert not BenchmarkStatus.objects.exists() and not NextStep.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "other_state_admin"])
def test_outsiders_get_404(plan, personas, client_for, who):
    sid = create(client_for(personas.school_leader), plan).json()["id"]
    c = client_for(getattr(personas, who))
    assert c.get(f"/api/v1/plans/{plan.pk}/sessions").status_code == 404
    assert c.get(f"/api/v1/sessions/{sid}").status_code == 404
    assert c.post(f"/api/v1/sessions/{sid}/open", {}, JSON).status_code == 404
    assert c.get(f"/api/v1/sessions/{sid}/minutes.pdf").status_code == 404
    assert create(c, plan, quarter=2, held_on="2026-12-01").status_code == 404
    assert StrategySession.objects.get().status == "scheduled"


def test_close_a_next_step_over_the_api(plan, personas, client_for):
    c = client_for(personas.school_leader)
    sid = create(c, plan).json()["id"]
    c.post(f"/api/v1/sessions/{sid}/open", {}, JSON)
    step = c.post(
        f"/api/v1/sessions/{sid}/next-steps",
        {"description": "Hire a data coach", "owner": "Principal", "due_on": "2026-11-01"},
        JSON,
    ).json()
    viewer = client_for(personas.viewer)
    assert viewer.post(f"/api/v1/next-steps/{step['id']}/close", {}, JSON).status_code == 403
    closed = c.post(
        f"/api/v1/next-steps/{step['id']}/close",
        {"closing_note": "Hired.", "session_id": sid, "version": step["version"]},
        JSON,
    )
    assert closed.status_code == 200, closed.content
    assert closed.json()["is_open"] is False and closed.json()["closed_in_id"] == sid
    again = c.post(f"/api/v1/next-steps/{step['id']}/close", {}, JSON)
    assert "already closed" in errors(again)["body"]
