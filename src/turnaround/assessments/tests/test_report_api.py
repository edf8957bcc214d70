"""The report, priorities and comparison API for each persona: content, 404s, 403, 409, 422."""

from __future__ import annotations

import datetime as dt

import pytest

from turnaround.assessments.models import Assessment, Priority
from turnaround.assessments.tests import report_factories as rf

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


@pytest.fixture
def visits(org, personas):
    v1 = rf.make_framework()
    levels = rf.all_levels(v1, 2)
    levels.update({"TP2.1": 0, "TP2.3": 1, "TP3.2": 1})
    previous = rf.make_assessment(
        school=org.school,
        version=v1,
        lead=personas.state_staff,
        levels=rf.all_levels(v1, 1),
        school_year="2024-25",
        start=dt.date(2024, 10, 1),
    )
    current = rf.make_assessment(
        school=org.school,
        version=v1,
        lead=personas.reviewer,
        levels=levels,
        rationales={"TP2.3": "Common assessments are not used to regroup students."},
    )
    rf.add_amendment(current, by=personas.state_admin, code="TP2.1", before=1, after=0)
    draft = rf.make_assessment(
        school=org.school,
        version=v1,
        lead=personas.reviewer,
        levels=levels,
        status=Assessment.Status.IN_PROGRESS,
        school_year="2026-27",
        start=dt.date(2026, 10, 1),
    )
    return {"previous": previous, "current": current, "draft": draft}


def _api(assessment, tail=""):
    return f"/api/v1/assessments/{assessment.pk}/{tail}"


def test_requires_authentication(visits, client):
    assert client.get(_api(visits["current"], "report")).status_code == 401
    assert client.get("/api/v1/compare/assessments").status_code == 401


def test_report_json_for_the_school(visits, personas, client_for):
    response = client_for(personas.school_leader).get(_api(visits["current"], "report"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_draft"] is False and body["subject"] == {
        "kind": "school",
        "name": "Adams Elementary",
    }
    assert body["previous"]["id"] == visits["previous"].pk
    assert body["shows_evidence"] is False
    tp2 = body["practices"][1]
    assert tp2["code"] == "TP2"
    tp21 = tp2["indicators"][0]
    assert tp21["code"] == "TP2.1" and tp21["level_label"] == "No evidence"
    assert tp21["change"]["text"] == "Developing → No evidence (-1)"
    assert tp21["evidence"] is None
    assert body["amendments"][0]["target"] == "rating TP2.1"
    assert body["chart"]["mark"]["type"] == "bar"
    assert "SECRET-NOTE" not in response.content.decode()
    assert "REVIEWER-PRIVATE" not in response.content.decode()


def test_report_json_for_the_team_has_evidence(visits, personas, client_for):
    body = client_for(personas.reviewer).get(_api(visits["current"], "report")).json()
    assert body["shows_evidence"] is True
    evidence = body["practices"][0]["indicators"][0]["evidence"]
    assert evidence[0]["note"].startswith("SECRET-NOTE")


def test_report_404s(visits, personas, client_for):
    school = client_for(personas.school_leader)
    assert school.get(_api(visits["draft"], "report")).json() == NOT_FOUND
    assert school.get(_api(visits["draft"], "report.pdf")).status_code == 404
    for persona in ("outsider", "other_state_admin", "other_partner_staff"):
        response = client_for(getattr(personas, persona)).get(_api(visits["current"], "report"))
        assert response.status_code == 404 and response.json() == NOT_FOUND, persona
    # the reviewer persona is not on the previous visit's team
    assert client_for(personas.reviewer).get(_api(visits["previous"], "report")).status_code == (
        404
    )
    assert client_for(personas.reviewer).get(_api(visits["draft"], "report")).status_code == 200
    assert client_for(personas.state_staff).get("/api/v1/assessments/999999/report").json() == (
        NOT_FOUND
    )


def test_report_pdf(visits, personas, client_for):
    response = client_for(personas.district_leader).get(_api(visits["current"], "report.pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_priorities_list_propose_update(visits, personas, client_for):
    current = visits["current"]
    lead = client_for(personas.reviewer)
    assert lead.get(_api(current, "priorities")).json() == []
    response = lead.post(_api(current, "priorities/propose"), {}, "application/json")
    assert response.status_code == 200, response.content
    items = response.json()
    # three low ratings, then a KEY indicator of the practice with a low one, at Providing
    assert [p["indicator_code"] for p in items] == ["TP2.1", "TP2.3", "TP3.2", "TP3.1"]
    assert items[1]["why"].startswith(
        "TP2.3 rated Developing: common assessments are not used to regroup students."
    )
    assert [p["rank"] for p in items] == [1, 2, 3, 4]
    assert Priority.objects.filter(assessment=current).count() == 4

    school = client_for(personas.school_leader)
    assert [p["id"] for p in school.get(_api(current, "priorities")).json()] == [
        p["id"] for p in items
    ]
    first = items[0]
    url = _api(current, f"priorities/{first['id']}")
    response = school.patch(
        url,
        {
            "version": first["version"],
            "owner": "Principal",
            "due_date": "2026-02-01",
            "status": "agreed",
        },
        "application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == "Principal" and response.json()["status"] == "agreed"
    stored = Priority.objects.get(pk=first["id"])
    assert stored.owner == "Principal" and stored.due_date == dt.date(2026, 2, 1)
    # the same stale version again: 409 and nothing changes
    response = school.patch(url, {"version": first["version"], "owner": "X"}, "application/json")
    assert response.status_code == 409
    assert Priority.objects.get(pk=first["id"]).owner == "Principal"
    # a bad value: 422 naming the field
    response = school.patch(
        url, {"version": stored.version, "status": "finished"}, "application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "status"]
    # viewers read but may not change: 403; outsiders: 404
    viewer = client_for(personas.viewer)
    assert viewer.get(_api(current, "priorities")).status_code == 200
    response = viewer.patch(url, {"version": stored.version, "owner": "V"}, "application/json")
    assert response.status_code == 403
    response = client_for(personas.outsider).patch(
        url, {"version": stored.version, "owner": "O"}, "application/json"
    )
    assert response.status_code == 404
    assert Priority.objects.get(pk=first["id"]).owner == "Principal"


def test_priority_create_reorder_delete(visits, personas, client_for):
    current = visits["current"]
    c = client_for(personas.state_staff)
    tp34 = current.framework_version.indicators.get(code="TP3.4")
    response = c.post(
        _api(current, "priorities"),
        {"indicator": tp34.pk, "title": "Tiered supports", "why": "TP3.4 is thin."},
        "application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["practice_code"] == "TP3" and created["rank"] == 1
    second = c.post(
        _api(current, "priorities"),
        {"practice": tp34.component.practice_id, "title": "Attendance", "why": "Why."},
        "application/json",
    ).json()
    response = c.put(
        _api(current, "priorities/order"),
        {"order": [second["id"], created["id"]]},
        "application/json",
    )
    assert response.status_code == 200
    assert [p["id"] for p in response.json()] == [second["id"], created["id"]]
    response = c.put(
        _api(current, "priorities/order"), {"order": [second["id"]]}, "application/json"
    )
    assert response.status_code == 422
    stale = c.delete(_api(current, f"priorities/{created['id']}?version=1"))
    assert stale.status_code == 409  # the reorder moved it
    fresh = Priority.objects.get(pk=created["id"]).version
    response = c.delete(_api(current, f"priorities/{created['id']}?version={fresh}"))
    assert response.status_code == 204
    assert list(Priority.objects.values_list("pk", "rank")) == [(second["id"], 1)]
    # a bad indicator
    response = c.post(
        _api(current, "priorities"),
        {"indicator": 999999, "title": "t", "why": "w"},
        "application/json",
    )
    assert response.status_code == 422


def test_compare_api(visits, personas, client_for, org, settings):
    rf.make_assessment(
        school=org.school_hs,
        version=visits["current"].framework_version,
        lead=personas.state_staff,
        levels=rf.all_levels(visits["current"].framework_version, 3),
    )
    response = client_for(personas.state_staff).get("/api/v1/compare/assessments?state=MA")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["year"] == "2025-26" and body["public"] is False
    assert [r["school_name"] for r in body["rows"]] == ["Adams Elementary", "Burke High"]
    assert body["rows"][1]["cells"][0] == {"level": 3, "label": "Sustaining"}
    tp21 = next(d for d in body["distribution"] if d["code"] == "TP2.1")
    assert tp21["counts"] == [1, 0, 0, 1, 0] and tp21["total"] == 2
    assert body["trajectory_years"] == ["2024-25", "2025-26"]

    settings.REPORTING_MIN_N = 10
    public = client_for(personas.viewer).get("/api/v1/compare/assessments").json()
    assert public["public"] is True and public["rows"] == [] and public["trajectories"] == []
    assert all(n is None for d in public["distribution"] for n in d["counts"])

    for persona in ("school_leader", "outsider", "partner_staff"):
        response = client_for(getattr(personas, persona)).get("/api/v1/compare/assessments")
        assert response.status_code == 404, persona
    assert (
        client_for(personas.other_state_admin)
        .get("/api/v1/compare/assessments?state=MA")
        .status_code
        == 404
    )
    bad = client_for(personas.state_staff).get("/api/v1/compare/assessments?year=2025")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "year"]
