"""The assessments API: create, team, schedule, evidence by client id, ratings, consensus,
disagreement, finalise and amend — each write checked in the response and in the database."""

from __future__ import annotations

import uuid

import pytest

from turnaround.assessments import services
from turnaround.assessments.models import (
    Amendment,
    Assessment,
    ConsensusRating,
    Evidence,
    ReviewerRating,
    ScheduleItem,
    TeamMember,
)
from turnaround.assessments.tests import factories as f

pytestmark = pytest.mark.django_db

JSON = "application/json"


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {"/".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


@pytest.fixture
def version(db):
    return f.framework_version_create()


@pytest.fixture
def visit(org, personas, version):
    v = f.visit_create(org=org, personas=personas, version=version, reviewers=(personas.reviewer,))
    return services.assessment_start(actor=personas.state_staff, assessment=v)


def test_api_requires_authentication(client, org):
    assert client.get("/api/v1/assessments").status_code == 401


def test_create_a_site_visit(org, personas, version, client_for):
    c = client_for(personas.state_staff)
    body = {
        "kind": "site_visit",
        "school_id": org.school.pk,
        "framework_version_id": version.pk,
        "start_date": "2026-03-10",
        "end_date": "2026-03-11",
        "lead_id": personas.state_staff.pk,
    }
    response = c.post("/api/v1/assessments", body, JSON)
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["status"] == "planned" and out["school"]["name"] == "Adams Elementary"
    assert out["permissions"]["can_manage"] and out["permissions"]["seat"] == "lead"
    assert [m["role"] for m in out["team"]] == ["lead"]
    assert Assessment.objects.get(pk=out["id"]).school_year == "2025-26"


def test_create_refuses_a_visit_longer_than_three_days(org, personas, version, client_for):
    response = client_for(personas.state_staff).post(
        "/api/v1/assessments",
        {
            "kind": "site_visit",
            "school_id": org.school.pk,
            "framework_version_id": version.pk,
            "start_date": "2026-03-10",
            "end_date": "2026-03-14",
            "lead_id": personas.state_staff.pk,
        },
        JSON,
    )
    assert errors(response) == {
        "body/end_date": "A site visit lasts 1–3 days; 10 March 2026 to 14 March 2026 is 5 days."
    }
    assert not Assessment.objects.exists()


def test_create_is_403_for_a_school_leader_and_404_for_an_unseen_school(
    org, personas, version, client_for
):
    body = {
        "kind": "site_visit",
        "school_id": org.school.pk,
        "framework_version_id": version.pk,
        "start_date": "2026-03-10",
        "end_date": "2026-03-10",
        "lead_id": personas.state_staff.pk,
    }
    response = client_for(personas.school_leader).post("/api/v1/assessments", body, JSON)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only state staff and state administrators plan site visits."
    }
    response = client_for(personas.outsider).post("/api/v1/assessments", body, JSON)
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert not Assessment.objects.exists()


def test_team_and_schedule(visit, personas, client_for):
    c = client_for(personas.state_staff)
    url = f"/api/v1/assessments/{visit.pk}"
    response = c.post(
        url + "/team", {"user_id": personas.school_leader.pk, "role": "school_team"}, JSON
    )
    assert response.status_code == 201, response.content
    assert TeamMember.objects.filter(assessment=visit, user=personas.school_leader).exists()
    response = c.post(
        url + "/schedule",
        {
            "day": "2026-03-11",
            "starts_at": "13:00",
            "ends_at": "13:45",
            "activity": "focus_group",
            "title": "Student focus group",
            "participants": "grade 5 students",
            "reviewer_id": personas.reviewer.pk,
        },
        JSON,
    )
    assert response.status_code == 201, response.content
    assert response.json()["consent_required"] is True
    item = ScheduleItem.objects.get()
    response = c.patch(url + f"/schedule/{item.pk}", {"consent_recorded": True}, JSON)
    assert response.status_code == 200 and response.json()["consent_recorded"] is True
    response = c.post(
        url + "/schedule",
        {
            "day": "2026-03-20",
            "starts_at": "09:00",
            "ends_at": "10:00",
            "activity": "interview",
            "title": "Late",
        },
        JSON,
    )
    assert errors(response) == {
        "body/day": "The day must fall within the visit (10 March 2026 to 11 March 2026)."
    }
    assert ScheduleItem.objects.count() == 1
    listed = c.get(url + "/schedule").json()
    assert [i["title"] for i in listed] == ["Student focus group"]
    # a reviewer may read the schedule but not change it
    r = client_for(personas.reviewer)
    assert r.get(url + "/schedule").status_code == 200
    assert r.delete(url + f"/schedule/{item.pk}").status_code == 403
    assert ScheduleItem.objects.count() == 1


def test_evidence_put_is_idempotent_by_client_id(visit, personas, client_for):
    c = client_for(personas.reviewer)
    cid = uuid.uuid4()
    url = f"/api/v1/assessments/{visit.pk}/evidence/{cid}"
    body = {
        "kind": "interview",
        "source": "grade 4 teachers",
        "note": "Teachers plan together weekly.",
        "indicators": ["TP1.1", "TP1.2"],
    }
    first = c.put(url, body, JSON)
    assert first.status_code == 201, first.content
    again = c.put(url, body, JSON)  # the same autosave, retried
    assert again.status_code == 200 and again.json()["version"] == 1
    assert Evidence.objects.count() == 1
    changed = c.put(url, {**body, "note": "Teachers plan together weekly, with data."}, JSON)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = c.put(url, {**body, "note": "Overwrite", "version": 1}, JSON)
    assert stale.status_code == 409
    assert "was changed by someone else" in stale.json()["detail"]
    stored = Evidence.objects.get()
    assert stored.note == "Teachers plan together weekly, with data." and stored.version == 2
    listed = c.get(f"/api/v1/assessments/{visit.pk}/evidence?indicator=TP1.2").json()
    assert [e["client_id"] for e in listed] == [str(cid)]
    assert c.get(f"/api/v1/assessments/{visit.pk}/evidence?indicator=TP2.1").json() == []


def test_evidence_for_an_indicator_of_another_framework(visit, personas, client_for):
    response = client_for(personas.reviewer).put(
        f"/api/v1/assessments/{visit.pk}/evidence/{uuid.uuid4()}",
        {"kind": "interview", "source": "teachers", "note": "x", "indicators": ["TP9.1"]},
        JSON,
    )
    assert errors(response) == {
        "body/indicators": "TP9.1 is not an indicator of Turnaround Practices v1."
    }
    assert not Evidence.objects.exists()


def test_ratings_consensus_disagreement_finalise_and_amend(visit, personas, client_for):
    staff, reviewer = client_for(personas.state_staff), client_for(personas.reviewer)
    base = f"/api/v1/assessments/{visit.pk}"
    ev = f.evidence_add(personas.reviewer, visit, ["TP1.1", "TP1.2", "TP2.1", "TP2.2"])
    bad = reviewer.put(
        base + "/ratings/mine/TP1.1",
        {"level": 4, "rationale": "x", "evidence": [ev.pk]},
        JSON,
    )
    assert errors(bad) == {
        "body/level": "4 is not a level of the scale “Scale continuum”; choose one of "
        "0 No evidence, 1 Developing, 2 Providing, 3 Sustaining, or not rated."
    }
    assert not ReviewerRating.objects.exists()
    for client, level in ((staff, 1), (reviewer, 3)):
        for code in ("TP1.1", "TP1.2", "TP2.1", "TP2.2"):
            response = client.put(
                base + f"/ratings/mine/{code}",
                {"level": level, "rationale": "Seen in class.", "evidence": [ev.pk]},
                JSON,
            )
            assert response.status_code == 200, response.content
    mine = reviewer.get(base + "/ratings/mine").json()
    assert {r["indicator"]: r["level"] for r in mine} == {
        "TP1.1": 3,
        "TP1.2": 3,
        "TP2.1": 3,
        "TP2.2": 3,
    }
    rows = staff.get(base + "/disagreement").json()
    assert rows[0]["indicator"] == "TP1.1" and rows[0]["marker"] == "Disagree (spread 2)"
    assert [lvl["level"] for lvl in rows[0]["levels"]] == [1, 3]
    # the reviewer cannot record the consensus
    refused = reviewer.put(
        base + "/consensus/TP1.1", {"level": 2, "rationale": "x", "evidence": [ev.pk]}, JSON
    )
    assert refused.status_code == 403
    assert staff.post(base + "/move-to-consensus", {}, JSON).status_code == 200
    for code in ("TP1.1", "TP1.2", "TP2.1"):
        ok = staff.put(
            base + f"/consensus/{code}",
            {"level": 2, "rationale": "Agreed.", "evidence": [ev.pk], "version": 0},
            JSON,
        )
        assert ok.status_code == 200, ok.content
    stale = staff.put(
        base + "/consensus/TP1.1",
        {"level": 1, "rationale": "Other", "evidence": [ev.pk], "version": 0},
        JSON,
    )
    assert stale.status_code == 409
    assert ConsensusRating.objects.get(indicator__code="TP1.1").level == 2
    check = staff.get(base + "/finalise").json()
    assert check == {"ready": False, "blockers": ["TP2.2 has no consensus rating"]}
    refused = staff.post(base + "/finalise", {}, JSON)
    assert errors(refused) == {"body": "Cannot finalise yet: TP2.2 has no consensus rating."}
    staff.put(base + "/consensus/TP2.2", {"level": None, "rationale": "No classes seen."}, JSON)
    done = staff.post(base + "/finalise", {}, JSON)
    assert done.status_code == 200 and done.json()["status"] == "finalised"
    locked = staff.put(
        base + "/consensus/TP1.1", {"level": 3, "rationale": "x", "evidence": [ev.pk]}, JSON
    )
    assert locked.status_code == 409
    assert locked.json()["detail"].startswith("This site visit was finalised on ")
    no_reason = staff.post(
        base + "/amendments", {"reason": "", "indicator": "TP1.1", "changes": {"level": 3}}, JSON
    )
    assert errors(no_reason) == {
        "body/reason": "An amendment needs a reason: say why the finalised site visit changes."
    }
    assert not Amendment.objects.exists()
    amended = staff.post(
        base + "/amendments",
        {"reason": "Late documents", "indicator": "TP1.1", "changes": {"level": 3}},
        JSON,
    )
    assert amended.status_code == 201, amended.content
    assert amended.json()["before"] == {"level": 2} and amended.json()["after"] == {"level": 3}
    assert ConsensusRating.objects.get(indicator__code="TP1.1").level == 3
    history = staff.get(base + "/amendments").json()
    assert [h["target"] for h in history] == ["rating TP1.1"]
