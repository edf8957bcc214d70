"""The workflow API: versions, snapshots, differences, transitions and their refusals, exports."""

from __future__ import annotations

import csv
import io

import pytest

from turnaround.plans.models import GoalTarget, Plan, PlanStatus, PlanVersion
from turnaround.plans.services.workflow import (
    plan_district_approve,
    plan_state_approve,
    plan_submit,
)
from turnaround.plans.tests.factories import make_plan

S = PlanStatus


@pytest.fixture
def plan(org):
    return make_plan(school=org.school)


def _transition(client, plan, name, comment="", version=None):
    return client.post(
        f"/api/v1/plans/{plan.pk}/transitions",
        {
            "name": name,
            "comment": comment,
            "version": Plan.objects.get(pk=plan.pk).version if version is None else version,
        },
        content_type="application/json",
    )


def _unchanged(plan, status, version, versions):
    stored = Plan.objects.get(pk=plan.pk)
    assert (stored.status, stored.version) == (status, version)
    assert PlanVersion.objects.filter(plan=plan).count() == versions


def test_the_whole_path_over_the_api(plan, personas, client_for):
    school, district, state = (
        client_for(personas.school_leader),
        client_for(personas.district_leader),
        client_for(personas.state_staff),
    )
    before = school.get(f"/api/v1/plans/{plan.pk}/transitions").json()
    assert before["status"] == "draft"
    assert before["allowed_transitions"] == [
        {"name": "submit", "label": "Submit for approval", "needs_comment": False}
    ]
    assert before["submit_blockers"] == []
    assert before["plan_version"] is None

    response = _transition(school, plan, "submit")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["version"], body["plan_version"]) == ("submitted", 2, 1)
    assert body["allowed_transitions"] == []
    assert _transition(district, plan, "district_approve").json()["status"] == "district_approved"
    body = _transition(state, plan, "state_approve", "Approved.").json()
    assert (body["status"], body["version"], body["plan_version"]) == ("state_approved", 4, 3)

    listed = school.get(f"/api/v1/plans/{plan.pk}/versions").json()
    assert [(v["number"], v["transition"], v["status"]) for v in listed] == [
        (3, "state_approve", "state_approved"),
        (2, "district_approve", "district_approved"),
        (1, "submit", "submitted"),
    ]
    assert listed[0]["created_by"] == "staff"
    assert listed[0]["comment"] == "Approved."
    assert listed[0]["transition_label"] == "Approved by the state"


def test_a_version_with_its_snapshot(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    client = client_for(personas.school_leader)
    body = client.get(f"/api/v1/plans/{plan.pk}/versions/1").json()
    assert body["number"] == 1
    assert body["snapshot"]["plan"]["school"]["code"] == "00350001"
    assert body["snapshot"]["goals"][0]["targets"] == {"2027": 26.0, "2028": 31.0, "2029": 36.0}
    assert client.get(f"/api/v1/plans/{plan.pk}/versions/2").status_code == 404


def test_the_diff(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    GoalTarget.objects.filter(goal__plan=plan, year=2029).update(value=40)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    client = client_for(personas.state_staff)
    response = client.get(f"/api/v1/plans/{plan.pk}/diff?from=1&to=2")
    assert response.status_code == 200
    body = response.json()
    assert body["from_version"]["number"] == 1
    assert body["to_version"]["number"] == 2
    [change] = body["changes"]
    assert change["action"] == "changed"
    assert change["kind"] == "goal"
    assert change["fields"] == [
        {"field": "target:2029", "label": "Target for 2028–29", "before": "36", "after": "40"}
    ]
    assert client.get(f"/api/v1/plans/{plan.pk}/diff?from=1&to=7").status_code == 404
    bad = client.get(f"/api/v1/plans/{plan.pk}/diff?to=2")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "from"


def test_a_role_refusal_is_403_and_changes_nothing(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    response = _transition(client_for(personas.school_leader), plan, "district_approve")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "You cannot approve it for the district: this plan is submitted; the district approves "
        "or returns it. You are the school's leader."
    )
    _unchanged(plan, S.SUBMITTED, 2, 1)


def test_a_status_refusal_is_409(plan, personas, client_for):
    response = _transition(client_for(personas.state_staff), plan, "state_approve")
    assert response.status_code == 409
    assert "this plan is a draft" in response.json()["detail"]
    _unchanged(plan, S.DRAFT, 1, 0)


def test_a_stale_version_is_409_and_changes_nothing(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    response = _transition(
        client_for(personas.district_leader), plan, "district_approve", version=1
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.json()["detail"]
    _unchanged(plan, S.SUBMITTED, 2, 1)


def test_a_return_needs_a_comment(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    response = _transition(client_for(personas.district_leader), plan, "return", "  ")
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert item["loc"] == ["body", "comment"]
    assert "Say what must change" in item["msg"]
    _unchanged(plan, S.SUBMITTED, 2, 1)


def test_an_amendment_needs_a_reason_in_the_comment(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    plan_state_approve(actor=personas.state_staff, plan=plan)
    client = client_for(personas.school_leader)
    response = _transition(client, plan, "amend")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "comment"]
    body = _transition(client, plan, "amend", "New screener.").json()
    assert (body["status"], body["plan_version"]) == ("draft", 4)


def test_an_incomplete_plan_lists_each_missing_part(plan, personas, client_for):
    GoalTarget.objects.filter(goal__plan=plan).delete()
    client = client_for(personas.school_leader)
    assert client.get(f"/api/v1/plans/{plan.pk}/transitions").json()["submit_blockers"] == [
        "Goal “ELA proficiency, all students” needs a target for 2026–27, 2027–28, 2028–29."
    ]
    response = _transition(client, plan, "submit")
    assert response.status_code == 422
    assert [(i["loc"], i["msg"]) for i in response.json()["detail"]] == [
        (
            ["body"],
            "Goal “ELA proficiency, all students” needs a target for 2026–27, 2027–28, 2028–29.",
        )
    ]
    _unchanged(plan, S.DRAFT, 1, 0)


def test_an_unknown_transition_is_422(plan, personas, client_for):
    response = _transition(client_for(personas.school_leader), plan, "publish")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


@pytest.mark.parametrize("who", ["outsider", "other_state_admin", "viewer"])
def test_those_who_cannot_see_the_plan_get_404(plan, personas, client_for, who):
    client = client_for(getattr(personas, who))
    assert client.get(f"/api/v1/plans/{plan.pk}/versions").status_code == 404
    assert client.get(f"/api/v1/plans/{plan.pk}/transitions").status_code == 404
    assert _transition(client, plan, "submit").status_code == 404
    assert client.get(f"/api/v1/plans/{plan.pk}/export?table=goals").status_code == 404
    _unchanged(plan, S.DRAFT, 1, 0)


def test_viewers_see_approved_versions_only(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    plan_state_approve(actor=personas.state_staff, plan=plan)
    client = client_for(personas.viewer)
    listed = client.get(f"/api/v1/plans/{plan.pk}/versions").json()
    assert [v["number"] for v in listed] == [3]
    assert client.get(f"/api/v1/plans/{plan.pk}/versions/1").status_code == 404


def test_anonymous_requests_are_401(plan, client):
    assert client.get(f"/api/v1/plans/{plan.pk}/versions").status_code == 401


def test_the_export_endpoint(plan, personas, client_for):
    client = client_for(personas.partner_staff)
    response = client.get(f"/api/v1/plans/{plan.pk}/export?table=benchmarks&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["State", "District code", "District", "School code", "School"]
    assert rows[1][3] == "00350001"
    assert len(rows) == 3
    xlsx = client.get(f"/api/v1/plans/{plan.pk}/export?table=actions&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    bad = client.get(f"/api/v1/plans/{plan.pk}/export?table=costs&format=pdf")
    assert bad.status_code == 422
    assert [i["loc"] for i in bad.json()["detail"]] == [["query", "table"], ["query", "format"]]
