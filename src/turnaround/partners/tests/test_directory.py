"""The public directory: no sign-in, only partners with a designation in force in the state (not
expired, revoked or not yet started), designated areas with tier and expiry, services in those
areas, the primary contact's name and email but never a phone number."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from turnaround.organizations.models import PartnerOrganization
from turnaround.partners.models import PartnerContact, PriorityDesignation, ServiceOffering

pytestmark = pytest.mark.django_db


def designate(partner, state, *, area="instruction", start=-30, end=300, tier=2, revoked=False):
    today = timezone.localdate()
    return PriorityDesignation.objects.create(
        partner=partner,
        state=state,
        need_area=area,
        starts_on=today + dt.timedelta(days=start),
        expires_on=today + dt.timedelta(days=end),
        evidence_tier=tier,
        revoked_at=timezone.now() if revoked else None,
        revoked_reason="Stopped serving schools" if revoked else "",
    )


@pytest.fixture
def directory(org):
    """Acme: in force (instruction, tier 2); Other Partner: expired; Revoked Co: revoked;
    Later Co: starts next month; Rhode Co: in force in RI only."""
    org.partner.website = "https://acme.example.org"
    org.partner.description = "Instructional coaching for turnaround schools."
    org.partner.save()
    designation = designate(org.partner, org.state, tier=2)
    ServiceOffering.objects.create(
        partner=org.partner, need_area="instruction", description="Coaching cycles"
    )
    ServiceOffering.objects.create(
        partner=org.partner, need_area="leadership", description="Principal mentoring"
    )
    PartnerContact.objects.create(
        partner=org.partner, name="Ben Other", email="ben@acme.org", phone="617 555 0199"
    )
    PartnerContact.objects.create(
        partner=org.partner,
        name="Ana Primary",
        email="ana@acme.org",
        phone="617 555 0100",
        is_primary=True,
    )
    designate(org.other_partner, org.state, start=-800, end=-1)
    revoked = PartnerOrganization.objects.create(name="Revoked Co")
    designate(revoked, org.state, revoked=True)
    later = PartnerOrganization.objects.create(name="Later Co")
    designate(later, org.state, start=30, end=400)
    rhode = PartnerOrganization.objects.create(name="Rhode Co")
    designate(rhode, org.other_state)
    return designation


def test_anonymous_visitors_see_approved_partners_only(client, org, directory):
    response = client.get("/partners/directory/MA/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1 and "Priority Partners in Massachusetts" in html
    assert "Acme Turnaround Partners" in html
    for absent in ("Other Partner", "Revoked Co", "Later Co", "Rhode Co"):
        assert absent not in html
    assert "Instruction" in html and "tier 2 — moderate evidence" in html
    assert "★" in html and "evidence-based" in html
    assert f"designated until {directory.expires_on.day} {directory.expires_on:%B %Y}" in html
    assert "https://acme.example.org" in html
    assert "Ana Primary" in html and "ana@acme.org" in html
    assert "Ben Other" not in html
    assert "617 555" not in html  # never a phone number
    assert "Partner sections" not in html  # no signed-in section navigation
    assert "1 Priority Partner." in html


def test_the_detail_shows_services_in_designated_areas_only(client, org, directory):
    response = client.get(f"/partners/directory/MA/{org.partner.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Coaching cycles" in html
    assert "Principal mentoring" not in html  # leadership is not a designated area
    assert "617 555" not in html
    assert "Ana Primary" in html and "ana@acme.org" in html


def test_partners_outside_the_directory_are_not_found(client, org, directory):
    assert client.get(f"/partners/directory/MA/{org.other_partner.pk}/").status_code == 404
    revoked = PartnerOrganization.objects.get(name="Revoked Co")
    assert client.get(f"/partners/directory/MA/{revoked.pk}/").status_code == 404
    rhode = PartnerOrganization.objects.get(name="Rhode Co")
    assert client.get(f"/partners/directory/MA/{rhode.pk}/").status_code == 404
    assert client.get(f"/partners/directory/RI/{rhode.pk}/").status_code == 200
    assert client.get(f"/partners/directory/RI/{org.partner.pk}/").status_code == 404


def test_unknown_states_are_not_found(client, org):
    assert client.get("/partners/directory/ZZ/").status_code == 404
    assert client.get("/partners/directory/MASS/").status_code == 404
    assert client.get("/partners/directory/ma/").status_code == 200


def test_the_area_filter(client, org, directory):
    html = client.get("/partners/directory/MA/?need_area=leadership").content.decode()
    assert "Acme Turnaround Partners" not in html
    assert "No Priority Partner is designated in this need area" in html
    html = client.get("/partners/directory/MA/?need_area=instruction").content.decode()
    assert "Acme Turnaround Partners" in html
    bad = client.get("/partners/directory/MA/?need_area=gardening").content.decode()
    assert "is not a need area" in bad and "Acme Turnaround Partners" in bad


def test_a_state_without_designations_says_so(client, org):
    html = client.get("/partners/directory/MA/").content.decode()
    assert "Massachusetts has no Priority Partner designation in force at present." in html


def test_signed_in_users_see_the_same_directory(org, personas, directory, client_for):
    html = client_for(personas.viewer).get("/partners/directory/MA/").content.decode()
    assert "Acme Turnaround Partners" in html and "Other Partner" not in html
    assert "617 555" not in html
