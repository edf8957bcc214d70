"""Growth pages for every persona: the runs page, a run's progress, student SGPs, the profile."""

from __future__ import annotations

import logging

import pytest

from turnaround.growth.models import (
    GrowthRun,
    StudentDataAccess,
    StudentDataAccessKey,
    StudentGrowth,
)
from turnaround.growth.services import growth_compute, growth_run_create

pytestmark = pytest.mark.django_db

RUN_ROLES = ("state_admin", "state_staff")
NO_RUNS = (
    "ta_provider",
    "reviewer",
    "viewer",
    "district_leader",
    "school_leader",
    "partner_staff",
    "outsider",
)


@pytest.fixture
def computed(org, personas, scores, engine):
    run = growth_compute(year=2017, actor=personas.state_admin, state="MA")
    assert run.status == GrowthRun.Status.DONE, run.message
    return run


# ----------------------------------------------------------------------------- /growth/


@pytest.mark.parametrize("url", ["/growth/", "/growth/runs/1/"])
def test_growth_pages_require_sign_in(client, org, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", RUN_ROLES)
def test_growth_home_for_state_staff(personas, scores, client_for, persona):
    response = client_for(getattr(personas, persona)).get("/growth/")
    assert response.status_code == 200
    assert response.content.count(b"<h1") == 1
    assert response.context["form"].fields["year"].choices[0] == (2017, "2016–17")
    assert b"Compute growth" in response.content


@pytest.mark.parametrize("persona", NO_RUNS)
def test_growth_home_is_404_for_everyone_else(personas, scores, client_for, persona):
    assert client_for(getattr(personas, persona)).get("/growth/").status_code == 404


def test_start_a_run_from_the_page_runs_it_and_shows_progress(
    org, personas, scores, engine, client_for
):
    c = client_for(personas.state_staff)
    response = c.post(
        "/growth/runs/", {"state": org.state.pk, "year": 2017, "content_areas": ["ELA", "MATH"]}
    )
    run = GrowthRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/growth/runs/{run.pk}/"
    # the job ran at once (JOBS_IMMEDIATE in the test settings)
    assert run.status == GrowthRun.Status.DONE and run.requested_by == personas.state_staff
    assert StudentGrowth.objects.count() == run.students_scored > 0
    page = c.get(response["Location"])
    assert page.status_code == 200 and b"Done" in page.content
    assert b'hx-trigger="every 1s"' not in page.content  # finished: no more polling
    assert run.message.encode() in page.content


def test_start_refused_for_others_and_bad_input(org, personas, scores, engine, client_for):
    data = {"state": org.state.pk, "year": 2017, "content_areas": ["ELA"]}
    for persona in ("viewer", "district_leader", "outsider"):
        assert client_for(getattr(personas, persona)).post("/growth/runs/", data).status_code == 404
    # a state that is not yours is not a choice
    response = client_for(personas.other_state_admin).post("/growth/runs/", data)
    assert response.status_code == 422 and "state" in response.context["form"].errors
    c = client_for(personas.state_admin)
    response = c.post("/growth/runs/", {**data, "content_areas": []})
    assert response.status_code == 422
    assert "Choose at least one subject." in response.context["form"].errors["content_areas"]
    response = c.post("/growth/runs/", {**data, "year": 1999})
    assert response.status_code == 422 and "year" in response.context["form"].errors
    assert not GrowthRun.objects.exists()


def test_a_second_run_while_one_is_active_is_refused(org, personas, scores, client_for):
    growth_run_create(state=org.state, year=2017, content_areas=None, actor=None)
    response = client_for(personas.state_admin).post(
        "/growth/runs/", {"state": org.state.pk, "year": 2017, "content_areas": ["ELA"]}
    )
    assert response.status_code == 409
    assert b"already queued" in response.content
    assert GrowthRun.objects.count() == 1


def test_active_runs_poll_until_done(org, personas, scores, client_for):
    run = growth_run_create(state=org.state, year=2017, content_areas=None, actor=None)
    c = client_for(personas.state_admin)
    home = c.get("/growth/")
    assert b'hx-trigger="every 2s"' in home.content
    fragment = c.get("/growth/", headers={"HX-Request": "true", "HX-Target": "growth-runs"})
    assert fragment.status_code == 200 and b"<h1" not in fragment.content
    assert f"Run {run.pk}".encode() in fragment.content
    detail = c.get(
        f"/growth/runs/{run.pk}/", headers={"HX-Request": "true", "HX-Target": "run-progress"}
    )
    assert b'hx-trigger="every 1s"' in detail.content and b"<h1" not in detail.content
    assert (
        f'<progress max="100" value="0" aria-label="Run {run.pk} progress"'.encode()
        in detail.content
    )
    GrowthRun.objects.filter(pk=run.pk).update(status="done")
    assert b"every 2s" not in c.get("/growth/").content


def test_runs_are_per_state(org, personas, scores, client_for):
    ma = growth_run_create(state=org.state, year=2017, content_areas=None, actor=None)
    ri = growth_run_create(state=org.other_state, year=2017, content_areas=None, actor=None)
    assert client_for(personas.state_admin).get(f"/growth/runs/{ma.pk}/").status_code == 200
    assert client_for(personas.state_admin).get(f"/growth/runs/{ri.pk}/").status_code == 404
    assert client_for(personas.other_state_admin).get(f"/growth/runs/{ma.pk}/").status_code == 404
    assert client_for(personas.viewer).get(f"/growth/runs/{ma.pk}/").status_code == 404
    runs = client_for(personas.other_state_admin).get("/growth/").context["runs"]
    assert runs == [ri]


def test_failed_run_page_says_why(org, personas, scores, engine, client_for):
    run = growth_compute(year=2015, actor=personas.state_admin, state="MA")
    page = client_for(personas.state_admin).get(f"/growth/runs/{run.pk}/")
    assert b"The run failed" in page.content and b"No cohort can be computed" in page.content


# ----------------------------------------------------------------------------- student SGPs

#: persona → the basis recorded for reading Adams Elementary's students
READERS = {
    "state_admin": "state_official",
    "state_staff": "state_official",
    "district_leader": "district_official",
    "school_leader": "school_official",
    "partner_staff": "contractor",
}
REFUSED = (
    "ta_provider",
    "reviewer",
    "viewer",
    "other_partner_staff",
    "other_state_admin",
    "outsider",
)


@pytest.mark.parametrize(("persona", "basis"), READERS.items())
def test_student_page_for_restricted_roles_is_logged(
    org, personas, computed, client_for, persona, basis, caplog
):
    user = getattr(personas, persona)
    caplog.set_level(logging.DEBUG)
    response = client_for(user).get(f"/schools/{org.school.pk}/growth/students/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    rows = response.context["rows"]
    assert len(rows) == 50 and response.context["page"].paginator.count == 120
    access = StudentDataAccess.objects.get()
    assert access.user == user and access.user_label == user.username
    assert access.basis == basis and access.school == org.school
    assert access.record_kind == "student_growth" and access.channel == "web"
    assert access.record_count == 50 and access.request_id not in ("", "-")
    assert access.query == {"year": 2017, "subject": "", "page": 1}
    assert set(access.keys.values_list("student_key", flat=True)) == {r.student_key for r in rows}
    if persona == "partner_staff":
        assert access.basis_detail == "agreement DSA-2026-01"
    # queryable by student
    assert StudentDataAccessKey.objects.filter(student_key=rows[0].student_key).count() == 1
    # the page shows the keys; no log line carries one
    assert rows[0].student_key.encode() in response.content
    for record in caplog.records:
        assert "A-201" not in record.getMessage()


@pytest.mark.parametrize("persona", REFUSED)
def test_student_page_is_404_without_restricted_access(
    org, personas, computed, client_for, persona
):
    response = client_for(getattr(personas, persona)).get(
        f"/schools/{org.school.pk}/growth/students/"
    )
    assert response.status_code == 404
    assert not StudentDataAccess.objects.exists()


def test_student_page_of_another_district_is_404(org, personas, computed, client_for):
    url = f"/schools/{org.school_other_district.pk}/growth/students/"
    for persona in ("district_leader", "school_leader", "partner_staff"):
        assert client_for(getattr(personas, persona)).get(url).status_code == 404
    assert not StudentDataAccess.objects.exists()
    assert client_for(personas.state_staff).get(url).status_code == 200
    assert StudentDataAccess.objects.get().school == org.school_other_district


def test_student_page_filters_and_pages(org, personas, computed, client_for):
    c = client_for(personas.school_leader)
    response = c.get(f"/schools/{org.school.pk}/growth/students/", {"subject": "MATH", "page": 2})
    assert {r.subject for r in response.context["rows"]} == {"MATH"}
    assert response.context["page"].number == 2 and len(response.context["rows"]) == 10
    assert StudentDataAccess.objects.get().query == {"year": 2017, "subject": "MATH", "page": 2}
    bad = c.get(f"/schools/{org.school.pk}/growth/students/", {"subject": "SCI", "year": "1990"})
    assert bad.status_code == 400 and set(bad.context["errors"]) == {"subject", "year"}


def test_student_page_without_growth_logs_nothing(org, personas, scores, client_for):
    response = client_for(personas.state_admin).get(f"/schools/{org.school.pk}/growth/students/")
    assert response.status_code == 200 and b"No growth percentiles" in response.content
    assert not StudentDataAccess.objects.exists()


# ----------------------------------------------------------------------------- school profile


def test_profile_shows_the_growth_trend_for_restricted_roles(
    org, personas, computed, client_for, settings
):
    settings.REPORTING_MIN_N = 13
    c = client_for(personas.state_admin)
    response = c.get(f"/schools/{org.school.pk}/")
    rows = response.context["growth_rows"]
    assert [(r.year, r.subject, r.n) for r in rows] == [(2017, "ELA", 60), (2017, "MATH", 60)]
    assert all(r.median_sgp is not None for r in rows)
    assert b'id="growth-table"' in response.content and b'id="growth-spec"' in response.content
    assert response.context["growth_chart_spec"]["data"]["values"][0]["median_sgp"] == (
        rows[0].median_sgp
    )
    assert f"/schools/{org.school.pk}/growth/students/".encode() in response.content
    # English learners: 12 students, below the growth minimum n of 20 → not reported
    el = c.get(
        f"/schools/{org.school.pk}/",
        {"group": "el"},
        headers={"HX-Request": "true", "HX-Target": "results-panel"},
    )
    assert b"<h1" not in el.content and b'id="growth-table"' in el.content
    (row, _) = el.context["growth_rows"]
    assert row.n == 12 and row.insufficient and not row.suppressed and row.median_sgp is None
    assert b"Insufficient data (fewer than 20 students)" in el.content


def test_profile_growth_is_suppressed_for_protected_audiences(
    org, personas, computed, client_for, settings
):
    settings.REPORTING_MIN_N = 13
    for persona in ("viewer", "reviewer", "ta_provider"):
        c = client_for(getattr(personas, persona))
        response = c.get(f"/schools/{org.school.pk}/", {"group": "el"})
        (row, _) = response.context["growth_rows"]
        assert row.suppressed and row.n is None and row.median_sgp is None
        assert b"Hidden: fewer than 13 students" in response.content
        assert b"/growth/students/" not in response.content
        everyone = c.get(f"/schools/{org.school.pk}/").context["growth_rows"]
        assert all(r.median_sgp is not None for r in everyone)


def test_profile_without_growth_says_so(org, personas, client_for):
    response = client_for(personas.state_admin).get(f"/schools/{org.school.pk}/")
    assert response.status_code == 200
    assert b"No growth percentiles have been computed for this school." in response.content
