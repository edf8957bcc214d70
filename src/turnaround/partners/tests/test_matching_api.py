"""GET /api/v1/schools/{id}/partner-suggestions for each persona: content, 401, 404, 422."""

from __future__ import annotations

import pytest

from turnaround.partners.tests.test_matching import (
    assessed,
    matching_world,
    other_district_leader,
)

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


def _api(school, query=""):
    return f"/api/v1/schools/{school.pk}/partner-suggestions{query}"


def test_requires_authentication(org, client):
    assert client.get(_api(org.school)).status_code == 401


@pytest.mark.parametrize("who", ["state_staff", "district_leader", "school_leader"])
def test_suggestions_json(org, personas, client_for, who):
    matching_world(org)
    visit = assessed(org, personas.state_staff)
    response = client_for(getattr(personas, who)).get(_api(org.school))
    assert response.status_code == 200
    body = response.json()
    assert body["school"] == {
        "id": org.school.pk,
        "name": "Adams Elementary",
        "district": "Boston",
        "state": "MA",
        "grade_bands": ["elementary"],
    }
    assert body["include_unvetted"] is False
    assert body["any_designated"] is True
    assert body["assessment"]["id"] == visit.pk
    assert body["assessment"]["kind"] == "site_visit"
    assert body["weights"] == {"fit": 0.4, "evidence": 0.25, "impact": 0.25, "grade_band": 0.1}
    assert [(n["area"], n["weight"]) for n in body["need_areas"]] == [
        ("data_use", 2.0),
        ("climate_culture", 1.5),
        ("instruction", 1.0),
    ]
    assert body["needs"][0]["source"] == "Site visit, 2025-26"
    assert body["needs"][0]["area_label"] == "Data use"
    (s,) = body["suggestions"]
    assert s["rank"] == 1 and s["partner_id"] == org.partner.pk and s["vetted"] is True
    assert s["covered_areas"] == ["climate_culture", "instruction"]
    assert s["impact_classes"] == {"climate_culture": "positive_significant", "instruction": "none"}
    assert s["components"]["fit"] == pytest.approx(2.5 / 4.5)
    assert s["flagged"] is False
    assert s["engaged_areas"] == ["instruction"]
    assert s["components_text"].startswith("fit 56% of the weighted needs")
    assert any("tier 2 evidence (QED)" in r for r in s["reasons"])


def test_include_unvetted(org, personas, client_for):
    matching_world(org)
    assessed(org, personas.state_staff)
    body = client_for(personas.state_staff).get(_api(org.school, "?include_unvetted=true")).json()
    assert body["include_unvetted"] is True
    assert [(s["name"], s["vetted"]) for s in body["suggestions"]] == [
        ("Acme Turnaround Partners", True),
        ("Other Partner", False),
    ]


def test_no_assessment_gives_null(org, personas, client_for):
    body = client_for(personas.state_staff).get(_api(org.school)).json()
    assert body["assessment"] is None
    assert body["any_designated"] is False
    assert body["suggestions"] == []


def test_bad_parameter_is_422(org, personas, client_for):
    response = client_for(personas.state_staff).get(_api(org.school, "?include_unvetted=maybe"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "include_unvetted"]


@pytest.mark.parametrize(
    "who", ["viewer", "partner_staff", "outsider", "reviewer", "other_state_admin"]
)
def test_404_for_everyone_else(org, personas, client_for, who):
    matching_world(org)
    response = client_for(getattr(personas, who)).get(_api(org.school))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_404_for_another_districts_leader_and_a_missing_school(org, personas, client_for):
    response = client_for(other_district_leader(org)).get(_api(org.school))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    response = client_for(personas.state_staff).get("/api/v1/schools/999999/partner-suggestions")
    assert response.status_code == 404
