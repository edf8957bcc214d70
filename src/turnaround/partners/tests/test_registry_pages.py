"""Registry pages: the list with filters and export, the profile, and the edit forms — for a state
admin, a partner's own staff, another partner's staff, read-only roles and an outsider, each
checked in the page and in the database."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from turnaround.core.testing import described_by
from turnaround.organizations.models import PartnerOrganization
from turnaround.partners.models import (
    EvidenceClaim,
    PartnerContact,
    PriorityDesignation,
    ServiceOffering,
)
from turnaround.partners.services import registry as s

pytestmark = pytest.mark.django_db

PROFILE = {
    "name": "Bright Futures",
    "website": "https://bright.example.org",
    "description": "Leadership coaching",
    "cost_model": "per_school",
    "cost_notes": "",
    "grade_bands": ["elementary", "high"],
    "regions": "Boston\nstatewide",
}

CLAIM = {
    "action": "save",
    "need_area": "instruction",
    "claim": "Mathematics scores rose",
    "outcome_domain": "mathematics achievement",
    "tier": "2",
    "design": "qed",
    "wwc_rating": "",
    "study_citation": "Lee (2020). Coaching and achievement.",
    "study_url": "https://example.org/lee",
    "summary": "Two districts; attendance not studied.",
}


def designate(partner, state, *, area="instruction", start=-30, end=300, tier=2, renews=None):
    today = timezone.localdate()
    return PriorityDesignation.objects.create(
        partner=partner,
        state=state,
        need_area=area,
        starts_on=today + dt.timedelta(days=start),
        expires_on=today + dt.timedelta(days=end),
        evidence_tier=tier,
        renews=renews,
    )


def html_of(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------
# Who gets in


def test_anonymous_users_are_sent_to_sign_in(client, org):
    for url in ("/partners/", f"/partners/{org.partner.pk}/", f"/partners/{org.partner.pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_outsider_finds_nothing(org, personas, client_for):
    c = client_for(personas.outsider)
    assert c.get("/partners/").status_code == 404
    assert c.get(f"/partners/{org.partner.pk}/").status_code == 404
    assert c.get(f"/partners/{org.partner.pk}/edit/").status_code == 404
    assert c.post("/partners/new/", PROFILE).status_code == 404
    assert not PartnerOrganization.objects.filter(name="Bright Futures").exists()


@pytest.mark.parametrize("who", ["viewer", "ta_provider", "reviewer", "school_leader"])
def test_read_only_roles_read_the_registry_but_cannot_edit(org, personas, client_for, who):
    c = client_for(getattr(personas, who))
    page = c.get("/partners/")
    assert page.status_code == 200
    html = html_of(page)
    assert html.count("<h1") == 1 and "Acme Turnaround Partners" in html
    assert "Add a partner" not in html
    detail = html_of(c.get(f"/partners/{org.partner.pk}/"))
    assert "Edit the profile" not in detail
    for suffix in ("edit/", "services/", "contacts/", "evidence/"):
        assert c.get(f"/partners/{org.partner.pk}/{suffix}").status_code == 403
    refused = c.post(f"/partners/{org.partner.pk}/edit/", {**PROFILE, "version": 1})
    assert refused.status_code == 403 and "state administrators" in html_of(refused)
    assert c.post("/partners/new/", PROFILE).status_code == 403
    org.partner.refresh_from_db()
    assert org.partner.name == "Acme Turnaround Partners"
    assert not PartnerOrganization.objects.filter(name="Bright Futures").exists()


# ---------------------------------------------------------------------------------------------
# A state administrator adds and edits


def test_state_admin_adds_a_partner_from_the_registry(org, personas, client_for):
    c = client_for(personas.state_admin)
    html = html_of(c.get("/partners/"))
    assert "Add a partner" in html and 'action="/partners/new/"' in html
    refused = c.post("/partners/new/", {**PROFILE, "website": "bright.example"})
    assert refused.status_code == 422
    assert "enter a full address starting with http:// or https://" in html_of(refused)
    assert not PartnerOrganization.objects.filter(name="Bright Futures").exists()
    created = c.post("/partners/new/", PROFILE)
    partner = PartnerOrganization.objects.get(name="Bright Futures")
    assert created.status_code == 302 and created["Location"] == f"/partners/{partner.pk}/"
    assert partner.regions == ["Boston", "statewide"]
    assert partner.grade_bands == ["elementary", "high"]
    detail = html_of(c.get(created["Location"]))
    assert "Fee per school" in detail and "Elementary (PK–5)" in detail


def test_an_invalid_field_is_described_by_its_hint_and_its_error(org, personas, client_for):
    c = client_for(personas.state_admin)
    refused = c.post("/partners/new/", {**PROFILE, "website": "bright.example"})
    assert refused.status_code == 422
    described = described_by(html_of(refused), "id_website")
    assert described["id_website_helptext"] == "A full address, e.g. https://example.org."
    assert "enter a full address starting with http" in described["id_website_error"]
    assert not PartnerOrganization.objects.filter(name="Bright Futures").exists()


def test_state_admin_edits_any_partner(org, personas, client_for):
    c = client_for(personas.state_admin)
    form = html_of(c.get(f"/partners/{org.other_partner.pk}/edit/"))
    assert 'name="version" value="1"' in form
    saved = c.post(
        f"/partners/{org.other_partner.pk}/edit/",
        {**PROFILE, "name": "Other Partner", "version": 1},
    )
    assert saved.status_code == 302
    org.other_partner.refresh_from_db()
    assert org.other_partner.description == "Leadership coaching"
    assert org.other_partner.version == 2


def test_a_stale_edit_is_a_conflict_and_overwrites_nothing(org, personas, client_for):
    admin = client_for(personas.state_admin)
    staff = client_for(personas.partner_staff)
    url = f"/partners/{org.partner.pk}/edit/"
    base = {**PROFILE, "name": "Acme Turnaround Partners", "version": 1}
    assert admin.post(url, {**base, "description": "Admin's words"}).status_code == 302
    conflict = staff.post(url, {**base, "description": "Partner's words"})
    assert conflict.status_code == 409
    assert "changed by someone else" in html_of(conflict)
    org.partner.refresh_from_db()
    assert org.partner.description == "Admin's words" and org.partner.version == 2


# ---------------------------------------------------------------------------------------------
# Partner staff edit their own entry


def test_partner_staff_edit_their_own_entry_not_another(org, personas, client_for):
    c = client_for(personas.partner_staff)
    detail = html_of(c.get(f"/partners/{org.partner.pk}/"))
    assert "Edit the profile" in detail
    saved = c.post(
        f"/partners/{org.partner.pk}/edit/",
        {**PROFILE, "name": "Acme Turnaround Partners", "version": 1},
    )
    assert saved.status_code == 302
    other = f"/partners/{org.other_partner.pk}/"
    assert "Edit the profile" not in html_of(c.get(other))
    for suffix in ("edit/", "services/", "contacts/", "evidence/"):
        assert c.get(other + suffix).status_code == 403
    refused = c.post(
        other + "services/",
        {"action": "save", "need_area": "instruction", "description": "Taken over"},
    )
    assert refused.status_code == 403
    assert not ServiceOffering.objects.filter(partner=org.other_partner).exists()
    assert c.get("/partners/999999/edit/").status_code == 404


def test_services_are_added_edited_and_removed(org, personas, client_for):
    c = client_for(personas.partner_staff)
    url = f"/partners/{org.partner.pk}/services/"
    refused = c.post(url, {"action": "save", "need_area": "instruction", "description": " "})
    assert refused.status_code == 422
    assert not ServiceOffering.objects.exists()
    added = c.post(
        url,
        {
            "action": "save",
            "need_area": "instruction",
            "description": "Coaching",
            "grade_bands": ["middle"],
        },
    )
    assert added.status_code == 302 and added["Location"] == url
    page = html_of(c.get(url + "?edit=instruction"))
    assert "Edit a service" in page and "Coaching</textarea>" in page
    c.post(url, {"action": "save", "need_area": "instruction", "description": "Modelling"})
    assert ServiceOffering.objects.get().description == "Modelling"
    assert c.post(url, {"action": "delete", "need_area": "instruction"}).status_code == 302
    assert not ServiceOffering.objects.exists()


def test_contacts_are_added_edited_and_removed(org, personas, client_for):
    c = client_for(personas.partner_staff)
    url = f"/partners/{org.partner.pk}/contacts/"
    bad = c.post(url, {"action": "save", "name": "Ana", "email": "ana-at-acme"})
    assert bad.status_code == 422 and "is not an email address" in html_of(bad)
    c.post(url, {"action": "save", "name": "Ana", "email": "ana@acme.org", "is_primary": "on"})
    contact = PartnerContact.objects.get()
    assert contact.is_primary
    assert "Edit Ana" in html_of(c.get(f"{url}?edit={contact.pk}"))
    c.post(
        url,
        {"action": "save", "contact_id": contact.pk, "name": "Ana Díaz", "phone": "617 555 0100"},
    )
    contact.refresh_from_db()
    assert contact.name == "Ana Díaz" and not contact.is_primary
    assert c.post(url, {"action": "delete", "contact_id": contact.pk}).status_code == 302
    assert not PartnerContact.objects.exists()


def test_evidence_claims_are_checked_edited_and_confirmed(org, personas, client_for):
    c = client_for(personas.partner_staff)
    url = f"/partners/{org.partner.pk}/evidence/"
    refused = c.post(url, {**CLAIM, "study_citation": ""})
    assert refused.status_code == 422
    assert "needs the citation of its study" in html_of(refused)
    assert not EvidenceClaim.objects.exists()
    assert c.post(url, CLAIM).status_code == 302
    claim = EvidenceClaim.objects.get()
    edit = html_of(c.get(f"{url}?edit={claim.pk}"))
    assert "Edit the claim" in edit and 'name="version" value="1"' in edit
    # Partner staff cannot confirm their own tier.
    denied = c.post(
        url, {"action": "confirm", "claim_id": claim.pk, f"c{claim.pk}-confirmed_tier": "1"}
    )
    assert denied.status_code == 403
    # State staff open the page to confirm, but cannot edit claims.
    staff = client_for(personas.state_staff)
    page = html_of(staff.get(url))
    assert "Record" in page and "Add an evidence claim" not in page
    assert staff.get(f"/partners/{org.partner.pk}/services/").status_code == 403
    confirm = {
        "action": "confirm",
        "claim_id": claim.pk,
        f"c{claim.pk}-confirmed_tier": "1",
        f"c{claim.pk}-version": "1",
    }
    too_high = staff.post(url, confirm)
    assert too_high.status_code == 422 and "randomised controlled trial" in html_of(too_high)
    assert staff.post(url, {**confirm, f"c{claim.pk}-confirmed_tier": "3"}).status_code == 302
    claim.refresh_from_db()
    assert claim.confirmed_tier == 3 and claim.confirmed_by == personas.state_staff
    # A stale claim edit is a conflict.
    stale = c.post(url, {**CLAIM, "claim_id": claim.pk, "version": 1, "claim": "Changed"})
    assert stale.status_code == 409
    claim.refresh_from_db()
    assert claim.claim == "Mathematics scores rose"
    assert c.post(url, {"action": "delete", "claim_id": claim.pk}).status_code == 302
    assert not EvidenceClaim.objects.exists()


# ---------------------------------------------------------------------------------------------
# The registry list and the profile


def test_filters_stars_and_designation_status(org, personas, client_for):
    admin = personas.state_admin
    s.service_set(actor=admin, partner=org.partner, need_area="leadership", description="Coach")
    designate(org.partner, org.state, area="leadership", tier=2)
    designate(org.other_partner, org.state, area="instruction", tier=4)
    c = client_for(personas.viewer)
    html = html_of(c.get("/partners/"))
    assert "★" in html and "Priority Partner, evidence-based (ESSA tier 1–3)" in html
    assert "Leadership (MA, until" in html
    only = html_of(c.get("/partners/?priority=1&need_area=leadership"))
    assert "Acme Turnaround Partners" in only and "Other Partner" not in only
    bad = html_of(c.get("/partners/?tier=9"))
    assert "unknown evidence tier" in bad and "Acme Turnaround Partners" in bad


def test_profile_shows_claims_designations_and_renewals(org, personas, client_for):
    s.contact_add(
        actor=None, partner=org.partner, name="Ana", email="ana@acme.org", phone="617 555 0100"
    )
    s.evidence_add(
        actor=None,
        partner=org.partner,
        need_area="instruction",
        claim="Mathematics scores rose",
        outcome_domain="mathematics achievement",
        design="rct",
        tier=1,
        summary="One trial.",
        study_citation="Lee (2020).",
        wwc_rating="without",
    )
    old = designate(org.partner, org.state, start=-800, end=-10, tier=1)
    designate(org.partner, org.state, start=-9, end=700, tier=1, renews=old)
    html = html_of(client_for(personas.viewer).get(f"/partners/{org.partner.pk}/"))
    assert html.count("<h1") == 1
    assert "Tier 1 — strong evidence" in html and "Randomised controlled trial" in html
    assert "Meets WWC standards without reservations" in html
    assert "Expired" in html and "In force" in html
    assert "Renews the designation of" in html and "Renewed from" in html
    assert "617 555 0100" in html  # signed-in users see phone numbers


def test_export_csv_and_xlsx_follow_the_filters(org, personas, client_for):
    designate(org.partner, org.state)
    c = client_for(personas.state_staff)
    response = c.get("/partners/export.csv?priority=1")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Name" and [r[0] for r in rows[1:]] == ["Acme Turnaround Partners"]
    assert rows[1][7].startswith("Priority Partner")
    xlsx = c.get("/partners/export.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == [
        "Name",
        "Acme Turnaround Partners",
        "Other Partner",
    ]
    assert client_for(personas.outsider).get("/partners/export.csv").status_code == 404
