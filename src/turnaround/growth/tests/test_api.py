"""The growth API for every persona: runs, aggregates, and logged student-level reads."""

from __future__ import annotations

import pytest

from turnaround.growth.models import GrowthRun, StudentDataAccess
from turnaround.growth.services import growth_compute, growth_run_create

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


def locs(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {"/".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


@pytest.fixture
def computed(org, personas, scores, engine):
    run = growth_compute(year=2017, actor=personas.state_admin, state="MA")
    assert run.status == GrowthRun.Status.DONE, run.message
    return run


# ----------------------------------------------------------------------------- runs


def test_runs_require_authentication(client, org):
    assert client.get("/api/v1/growth/runs").status_code == 401
    assert client.post("/api/v1/growth/runs", {"year": 2017}, "application/json").status_code == 401


def test_run_list_is_per_state(org, personas, client_for):
    ma = growth_run_create(state=org.state, year=2017, content_areas=None, actor=None)
    ri = growth_run_create(state=org.other_state, year=2016, content_areas=["ELA"], actor=None)
    expected = {
        "state_admin": [ma.pk],
        "state_staff": [ma.pk],
        "other_state_admin": [ri.pk],
        "viewer": [],
        "district_leader": [],
        "school_leader": [],
        "partner_staff": [],
        "outsider": [],
    }
    for persona, ids in expected.items():
        body = client_for(getattr(personas, persona)).get("/api/v1/growth/runs").json()
        assert [r["id"] for r in body["items"]] == ids, persona
        assert body["count"] == len(ids)
    item = client_for(personas.other_state_admin).get("/api/v1/growth/runs").json()["items"][0]
    assert item["state"] == "RI" and item["content_areas"] == ["ELA"]
    assert item["status"] == "queued" and item["percent"] == 0


def test_post_run_starts_and_runs_it(org, personas, scores, engine, client_for):
    c = client_for(personas.state_staff)
    response = c.post(
        "/api/v1/growth/runs", {"year": 2017, "content_areas": ["MATH"]}, "application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done" and body["state"] == "MA" and body["percent"] == 100
    assert body["recomputed"] == ["MATH 2017 grade 04", "MATH 2017 grade 05"]
    assert body["requested_by"] == "staff"
    run = GrowthRun.objects.get()
    assert run.pk == body["id"] and run.students_scored == body["students_scored"] == 120
    detail = c.get(f"/api/v1/growth/runs/{run.pk}")
    assert detail.status_code == 200 and detail.json()["id"] == run.pk
    assert client_for(personas.other_state_admin).get(f"/api/v1/growth/runs/{run.pk}").json() == (
        NOT_FOUND
    )


def test_post_run_refused_for_other_roles(org, personas, scores, engine, client_for):
    for persona in ("viewer", "reviewer", "district_leader", "school_leader", "outsider"):
        response = client_for(getattr(personas, persona)).post(
            "/api/v1/growth/runs", {"year": 2017}, "application/json"
        )
        assert response.status_code == 404 and response.json() == NOT_FOUND, persona
    # a state that is not yours
    response = client_for(personas.state_admin).post(
        "/api/v1/growth/runs", {"year": 2017, "state": "RI"}, "application/json"
    )
    assert response.status_code == 404
    assert not GrowthRun.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field", "text"),
    [
        ({"year": 1899}, "body/year", "between 1990 and 2100"),
        ({"year": 2017, "content_areas": ["SCI"]}, "body/content_areas", "allowed: ELA, MATH"),
        ({"year": 2017, "content_areas": []}, "body/content_areas", "at least one"),
        ({"year": "soon"}, "body/payload/year", ""),
        ({}, "body/payload/year", ""),
        ({"year": 2017, "state": "Mass"}, "body/payload/state", ""),
    ],
)
def test_post_run_bad_input_names_the_field(org, personas, client_for, payload, field, text):
    response = client_for(personas.state_admin).post(
        "/api/v1/growth/runs", payload, "application/json"
    )
    errors = locs(response)
    assert field in errors and text in errors[field]
    assert not GrowthRun.objects.exists()


def test_post_run_conflicts_with_an_active_run(org, personas, client_for):
    active = growth_run_create(state=org.state, year=2017, content_areas=None, actor=None)
    response = client_for(personas.state_admin).post(
        "/api/v1/growth/runs", {"year": 2016}, "application/json"
    )
    assert response.status_code == 409 and f"run {active.pk}" in response.json()["detail"]
    assert GrowthRun.objects.count() == 1


# ----------------------------------------------------------------------------- aggregates


def test_aggregates_for_restricted_roles(org, personas, computed, client_for):
    for persona in ("state_admin", "district_leader", "school_leader", "partner_staff"):
        c = client_for(getattr(personas, persona))
        body = c.get(
            "/api/v1/growth/aggregates",
            {"school": org.school.pk, "grade": "ALL", "subject": "ELA", "group": "all"},
        ).json()
        assert body["count"] == 1 and body["protected"] is False, persona
        (item,) = body["items"]
        assert item["n"] == 60 and item["status"] == "reported" and item["median_sgp"] is not None
        assert item["school_id"] == org.school.pk and item["group_label"] == "All students"


def test_aggregates_are_suppressed_for_protected_roles(
    org, personas, computed, client_for, settings
):
    settings.REPORTING_MIN_N = 13
    query = {"school": org.school.pk, "grade": "ALL", "subject": "ELA", "group": "el"}
    admin = client_for(personas.state_admin).get("/api/v1/growth/aggregates", query).json()
    assert admin["items"][0]["status"] == "insufficient_data" and admin["items"][0]["n"] == 12
    for persona in ("viewer", "reviewer", "ta_provider"):
        body = client_for(getattr(personas, persona)).get("/api/v1/growth/aggregates", query).json()
        (item,) = body["items"]
        assert body["protected"] is True
        assert item["status"] == "suppressed" and item["n"] is None and item["median_sgp"] is None
        assert item["suppressed_reason"] == "fewer than 13 students"


def test_aggregates_follow_reach(org, personas, computed, client_for):
    # without a school filter: only the schools you reach
    schools = {
        "state_admin": {org.school.pk, org.school_other_district.pk},
        "district_leader": {org.school.pk},
        "other_state_admin": set(),  # RI was not computed
        "outsider": set(),
    }
    for persona, expected in schools.items():
        body = client_for(getattr(personas, persona)).get(
            "/api/v1/growth/aggregates", {"limit": 500}
        )
        assert {i["school_id"] for i in body.json()["items"]} == expected, persona
    # a school that is not yours is a 404
    for persona in ("outsider", "other_state_admin", "district_leader"):
        response = client_for(getattr(personas, persona)).get(
            "/api/v1/growth/aggregates", {"school": org.school_other_district.pk}
        )
        assert response.status_code == 404, persona


def test_aggregates_bad_filters_name_the_parameter(org, personas, client_for):
    c = client_for(personas.state_admin)
    assert "query/subject" in locs(c.get("/api/v1/growth/aggregates", {"subject": "SCI"}))
    assert "query/group" in locs(c.get("/api/v1/growth/aggregates", {"group": "martians"}))
    assert "query/grade" in locs(c.get("/api/v1/growth/aggregates", {"grade": "fifth!"}))
    assert "query/limit" in locs(c.get("/api/v1/growth/aggregates", {"limit": 0}))


def test_aggregates_page_through_whole_blocks(org, personas, computed, client_for, settings):
    settings.REPORTING_MIN_N = 13
    c = client_for(personas.viewer)
    everything = c.get("/api/v1/growth/aggregates", {"school": org.school.pk, "limit": 500}).json()
    paged = []
    for offset in range(0, everything["count"], 7):
        paged += c.get(
            "/api/v1/growth/aggregates", {"school": org.school.pk, "limit": 7, "offset": offset}
        ).json()["items"]
    assert paged == everything["items"]  # suppression does not depend on the page


# ----------------------------------------------------------------------------- student SGPs


@pytest.mark.parametrize(
    "persona", ["state_admin", "state_staff", "district_leader", "school_leader", "partner_staff"]
)
def test_student_growth_api_for_restricted_roles_is_logged(
    org, personas, computed, client_for, persona
):
    user = getattr(personas, persona)
    response = client_for(user).get(
        f"/api/v1/schools/{org.school.pk}/growth/students", {"subject": "ELA", "limit": 25}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 60 and body["year"] == 2017 and len(body["items"]) == 25
    item = body["items"][0]
    assert 1 <= item["sgp"] <= 99 and item["subject"] == "ELA"
    access = StudentDataAccess.objects.get()
    assert access.pk == body["access_id"] and access.user == user and access.channel == "api"
    assert access.record_count == 25
    assert set(access.keys.values_list("student_key", flat=True)) == {
        i["student_key"] for i in body["items"]
    }
    assert access.query == {"year": 2017, "subject": "ELA", "offset": 0, "limit": 25}


@pytest.mark.parametrize(
    "persona",
    ["ta_provider", "reviewer", "viewer", "other_partner_staff", "other_state_admin", "outsider"],
)
def test_student_growth_api_is_404_for_others(org, personas, computed, client_for, persona):
    response = client_for(getattr(personas, persona)).get(
        f"/api/v1/schools/{org.school.pk}/growth/students"
    )
    assert response.status_code == 404 and response.json() == NOT_FOUND
    assert not StudentDataAccess.objects.exists()


def test_student_growth_api_other_district_is_404(org, personas, computed, client_for):
    url = f"/api/v1/schools/{org.school_other_district.pk}/growth/students"
    for persona in ("district_leader", "school_leader", "partner_staff"):
        assert client_for(getattr(personas, persona)).get(url).status_code == 404
    assert not StudentDataAccess.objects.exists()


def test_student_growth_api_bad_subject(org, personas, computed, client_for):
    response = client_for(personas.state_admin).get(
        f"/api/v1/schools/{org.school.pk}/growth/students", {"subject": "SCI"}
    )
    assert "query/subject" in locs(response)
    assert not StudentDataAccess.objects.exists()
