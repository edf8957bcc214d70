"""Who sees what, on pages and in the API: a reviewer only the visits they serve on; the school
its self-assessments and finalised visit results but never evidence notes or individual
ratings; the district its schools' finalised visits; other states and outsiders nothing."""

from __future__ import annotations

import pytest

from turnaround.assessments import services
from turnaround.assessments.models import ConsensusRating
from turnaround.assessments.tests import factories as f

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}
WORKING_PAPER_PAGES = ("evidence/", "ratings/", "consensus/", "plan/")
WORKING_PAPER_API = ("evidence", "ratings/mine", "disagreement", "finalise")


@pytest.fixture
def version(db):
    return f.framework_version_create()


@pytest.fixture
def final(org, personas, version):
    return f.visit_finalised(org=org, personas=personas, version=version)


@pytest.fixture
def open_visit(org, personas, version):
    """A visit at the same school on which the reviewer persona does not serve."""
    v = f.visit_create(org=org, personas=personas, version=version, reviewers=())
    return services.assessment_start(actor=personas.state_staff, assessment=v)


@pytest.fixture
def self_assessment(org, personas, version):
    a = f.self_assessment_create(org=org, personas=personas, version=version)
    return services.assessment_start(actor=personas.school_leader, assessment=a)


def page_status(client, assessment, suffix=""):
    return client.get(f"/assessments/{assessment.pk}/{suffix}").status_code


def api_status(client, assessment, suffix=""):
    path = f"/api/v1/assessments/{assessment.pk}" + (f"/{suffix}" if suffix else "")
    return client.get(path).status_code


def listed(client) -> set[int]:
    return {a["id"] for a in client.get("/api/v1/assessments").json()["items"]}


def test_reviewer_sees_only_visits_they_serve_on(personas, final, open_visit, client_for):
    c = client_for(personas.reviewer)
    for suffix in ("", *WORKING_PAPER_PAGES):
        assert page_status(c, final, suffix) == 200, suffix
        assert page_status(c, open_visit, suffix) == 404, suffix
    for suffix in ("", *WORKING_PAPER_API):
        assert api_status(c, final, suffix) == 200, suffix
        assert api_status(c, open_visit, suffix) == 404, suffix
    assert c.get(f"/api/v1/assessments/{open_visit.pk}").json() == NOT_FOUND
    assert listed(c) == {final.pk}
    page = c.get("/assessments/").content.decode()
    assert final.title in page
    assert f"/assessments/{open_visit.pk}/" not in page


def test_school_leader_sees_finalised_results_not_working_papers(
    personas, final, open_visit, client_for
):
    c = client_for(personas.school_leader)
    assert page_status(c, final) == 200
    assert page_status(c, final, "amendments/") == 200
    for suffix in WORKING_PAPER_PAGES:
        assert page_status(c, final, suffix) == 404, suffix
    home = c.get(f"/assessments/{final.pk}/").content.decode()
    note = final.evidence.first().note
    assert note not in home
    assert f'href="/assessments/{final.pk}/evidence/"' not in home
    # the API: the assessment and its consensus ratings, without evidence links
    detail = c.get(f"/api/v1/assessments/{final.pk}").json()
    assert detail["permissions"]["sees_working_papers"] is False
    consensus = c.get(f"/api/v1/assessments/{final.pk}/consensus").json()
    assert len(consensus) == 4 and all(r["evidence"] == [] for r in consensus)
    assert consensus[0]["level_label"] == "Developing"
    for suffix in WORKING_PAPER_API:
        response = c.get(f"/api/v1/assessments/{final.pk}/{suffix}")
        assert response.status_code == 404 and response.json() == NOT_FOUND, suffix
    # a visit still in progress is not theirs to see yet
    assert page_status(c, open_visit) == 404
    assert api_status(c, open_visit) == 404
    assert listed(c) == {final.pk}


def test_school_leader_sees_and_edits_its_self_assessment(personas, self_assessment, client_for):
    c = client_for(personas.school_leader)
    for suffix in ("", "ratings/", "evidence/", "plan/"):
        assert page_status(c, self_assessment, suffix) == 200, suffix
    response = c.post(
        f"/assessments/{self_assessment.pk}/ratings/",
        {
            "indicator": "TP1.1",
            "level": "2",
            "rationale": "Routines in every grade.",
            "version": "0",
        },
    )
    assert response.status_code == 302
    row = ConsensusRating.objects.get(assessment=self_assessment)
    assert row.level == 2 and row.recorded_by == personas.school_leader
    response = c.put(
        f"/api/v1/assessments/{self_assessment.pk}/consensus/TP1.2",
        {"level": 1, "rationale": "Partly."},
        "application/json",
    )
    assert response.status_code == 200, response.content
    assert ConsensusRating.objects.filter(assessment=self_assessment).count() == 2


def test_district_leader_sees_its_schools_finalised_visits(org, personas, version, client_for):
    ours = f.visit_finalised(org=org, personas=personas, version=version)
    theirs = f.visit_create(
        org=org, personas=personas, version=version, school=org.school_other_district
    )
    c = client_for(personas.district_leader)
    assert page_status(c, ours) == 200 and api_status(c, ours) == 200
    assert page_status(c, ours, "evidence/") == 404
    assert page_status(c, theirs) == 404 and api_status(c, theirs) == 404
    assert listed(c) == {ours.pk}


@pytest.mark.parametrize("persona", ["outsider", "other_state_admin", "other_partner_staff"])
def test_outsiders_and_other_states_get_404(personas, final, self_assessment, persona, client_for):
    c = client_for(getattr(personas, persona))
    for a in (final, self_assessment):
        for suffix in ("", *WORKING_PAPER_PAGES, "amendments/"):
            assert page_status(c, a, suffix) == 404, (a.kind, suffix)
        for suffix in ("", "consensus", *WORKING_PAPER_API):
            assert api_status(c, a, suffix) == 404, (a.kind, suffix)
    assert listed(c) == set()


def test_state_staff_manage_any_visit_of_their_state(org, personas, open_visit, client_for):
    c = client_for(personas.state_admin)  # not on the team: manages as state staff
    for suffix in ("", *WORKING_PAPER_PAGES):
        assert page_status(c, open_visit, suffix) == 200, suffix
    response = c.post(
        f"/assessments/{open_visit.pk}/plan/schedule/",
        {
            "day": "2026-03-10",
            "starts_at": "09:00",
            "ends_at": "10:00",
            "activity": "interview",
            "title": "Principal interview",
        },
    )
    assert response.status_code == 302
    assert open_visit.schedule.get().title == "Principal interview"
    # but only seated reviewers rate
    response = c.post(
        f"/assessments/{open_visit.pk}/ratings/",
        {"indicator": "TP1.1", "level": "", "version": "0"},
    )
    assert response.status_code == 403
    assert not open_visit.reviewer_ratings.exists()
