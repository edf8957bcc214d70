"""Who sees what, page by page, for every standing persona (accountability.access)."""

from __future__ import annotations

import pytest

from turnaround.accountability.models import Designation, ExitReview, IdentificationRun

pytestmark = pytest.mark.django_db

PERSONAS = (
    "state_admin",
    "state_staff",
    "ta_provider",
    "reviewer",
    "viewer",
    "district_leader",
    "school_leader",
    "partner_staff",
    "other_partner_staff",
    "other_state_admin",
    "outsider",
)
STAFF = {"state_admin", "state_staff"}
#: roles that reach Adams Elementary (org.school): the state's roles, its district's and its own
#: leaders, and the partner serving it under an agreement
REACH_SCHOOL = STAFF | {
    "ta_provider",
    "reviewer",
    "viewer",
    "district_leader",
    "school_leader",
    "partner_staff",
}
REVIEW_READERS = STAFF | {"district_leader", "school_leader"}


@pytest.fixture
def objects(org, personas):
    run = IdentificationRun.objects.create(
        state=org.state, year=2017, ruleset="ma-2012", status="done"
    )
    d = Designation.objects.create(
        school=org.school, status="underperforming", entered_year=2014, ruleset="ma-2012"
    )
    review = ExitReview.objects.create(
        designation=d, review_year=2016, decision="continue", rationale="Not yet."
    )
    return {"run": run, "designation": d, "review": review}


def _expect(persona: str, allowed: set[str]) -> int:
    return 200 if persona in allowed else 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_per_persona(org, personas, client_for, objects, persona):
    client = client_for(getattr(personas, persona))
    d, run, review = objects["designation"], objects["run"], objects["review"]
    state_readers = REACH_SCHOOL
    pages = {
        "/states/MA/accountability/": state_readers,
        "/states/MA/accountability/cohorts/": state_readers,
        "/states/MA/accountability/board.csv": state_readers,
        "/states/MA/accountability/runs/": STAFF,
        f"/accountability/runs/{run.pk}/": STAFF,
        f"/accountability/runs/{run.pk}/review/": STAFF,
        f"/accountability/runs/{run.pk}/determinations.csv": STAFF,
        f"/accountability/designations/{d.pk}/": REACH_SCHOOL,
        f"/accountability/designations/{d.pk}/criteria/": STAFF,
        f"/accountability/designations/{d.pk}/exit-review/": STAFF,
        f"/accountability/exit-reviews/{review.pk}/": REVIEW_READERS,
        f"/schools/{org.school.pk}/accountability/": REACH_SCHOOL,
    }
    for path, allowed in pages.items():
        assert client.get(path).status_code == _expect(persona, allowed), (path, persona)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_state_staff_change_a_designation(org, personas, client_for, objects, persona):
    d = objects["designation"]
    response = client_for(getattr(personas, persona)).post(
        f"/accountability/designations/{d.pk}/", {"action": "start", "version": d.version}
    )
    d.refresh_from_db()
    if persona in STAFF:
        assert response.status_code == 422  # already in turnaround: refused by the service
    elif persona in REACH_SCHOOL:
        assert response.status_code == 403
    else:
        assert response.status_code == 404
    assert d.version == 1


def test_reviews_are_not_listed_for_public_roles(org, personas, client_for, objects):
    d = objects["designation"]
    for persona, shown in (("viewer", False), ("district_leader", True), ("partner_staff", False)):
        text = (
            client_for(getattr(personas, persona))
            .get(f"/accountability/designations/{d.pk}/")
            .content.decode()
        )
        assert ("Exit reviews" in text) is shown, persona
        assert ("Change the phase" in text) is False


def test_state_pages_list_only_the_schools_reached(org, personas, client_for):
    Designation.objects.create(school=org.school, status="csi", entered_year=2016)
    Designation.objects.create(school=org.school_other_district, status="csi", entered_year=2016)
    for persona, names in (
        ("viewer", {"Adams Elementary", "Lynn Middle"}),
        ("district_leader", {"Adams Elementary"}),
        ("partner_staff", {"Adams Elementary"}),
    ):
        text = (
            client_for(getattr(personas, persona))
            .get("/states/MA/accountability/?year=2017")
            .content.decode()
        )
        for name in ("Adams Elementary", "Lynn Middle"):
            assert (name in text) is (name in names), (persona, name)


def test_anonymous_visitors_are_sent_to_sign_in(client, org):
    response = client.get("/states/MA/accountability/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
