"""The registry API: list and filters, create, patch with versions, services, contacts, evidence
and confirmation, the public directory — each error shape (401, 403, 404, 409, 422 with ``loc``)
and the database afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from turnaround.organizations.models import PartnerOrganization
from turnaround.partners.models import (
    EvidenceClaim,
    PartnerContact,
    PriorityDesignation,
    ServiceOffering,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"

CLAIM = {
    "need_area": "instruction",
    "claim": "Mathematics scores rose",
    "outcome_domain": "mathematics achievement",
    "design": "qed",
    "tier": 2,
    "summary": "Two districts; attendance not studied.",
    "study_citation": "Lee (2020). Coaching and achievement.",
}


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {"/".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


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
    )


def test_the_registry_api_needs_credentials(client, org):
    assert client.get("/api/v1/partners").status_code == 401
    assert client.get(f"/api/v1/partners/{org.partner.pk}").status_code == 401


def test_list_filters_and_bad_filters(org, personas, client_for):
    ServiceOffering.objects.create(partner=org.partner, need_area="data_use", description="Data")
    designate(org.partner, org.state, tier=1)
    c = client_for(personas.viewer)
    body = c.get("/api/v1/partners").json()
    assert body["count"] == 2
    acme = body["items"][0]
    assert acme["name"] == "Acme Turnaround Partners" and acme["need_areas"] == ["data_use"]
    assert acme["designations_in_force"][0]["starred"] is True
    assert acme["priority_status"].startswith("Priority Partner, evidence-based")
    only = c.get("/api/v1/partners?priority=true&limit=1").json()
    assert only["count"] == 1 and only["items"][0]["id"] == org.partner.pk
    bad = errors(c.get("/api/v1/partners?tier=7&grade_band=college"))
    assert set(bad) == {"query/tier", "query/grade_band"}
    assert "allowed: elementary, middle, high" in bad["query/grade_band"]
    assert client_for(personas.outsider).get("/api/v1/partners").json()["count"] == 0


def test_create_by_state_admin_only(org, personas, client_for):
    body = {"name": "Bright Futures", "website": "https://bright.example.org"}
    assert (
        client_for(personas.outsider).post("/api/v1/partners", body, content_type=JSON).status_code
        == 404
    )
    denied = client_for(personas.viewer).post("/api/v1/partners", body, content_type=JSON)
    assert denied.status_code == 403 and "state administrators" in denied.json()["detail"]
    admin = client_for(personas.state_admin)
    bad = errors(
        admin.post(
            "/api/v1/partners",
            {"name": "Bright Futures", "website": "ftp://x", "grade_bands": ["college"]},
            content_type=JSON,
        )
    )
    assert set(bad) == {"body/website", "body/grade_bands"}
    assert not PartnerOrganization.objects.filter(name="Bright Futures").exists()
    created = admin.post("/api/v1/partners", body, content_type=JSON)
    assert created.status_code == 201
    assert created.json()["permissions"]["can_edit"] is True
    assert PartnerOrganization.objects.filter(name="Bright Futures").exists()


def test_patch_with_versions_and_permissions(org, personas, client_for):
    url = f"/api/v1/partners/{org.partner.pk}"
    staff = client_for(personas.partner_staff)
    saved = staff.patch(url, {"version": 1, "regions": ["Boston"]}, content_type=JSON)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = staff.patch(url, {"version": 1, "description": "Again"}, content_type=JSON)
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]
    other = client_for(personas.other_partner_staff).patch(
        url, {"version": 2, "description": "Mine now"}, content_type=JSON
    )
    assert other.status_code == 403
    missing = client_for(personas.outsider).patch(
        url, {"version": 2, "description": "?"}, content_type=JSON
    )
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
    assert errors(staff.patch(url, {"description": "no version"}, content_type=JSON))
    org.partner.refresh_from_db()
    assert org.partner.regions == ["Boston"] and org.partner.description == ""


def test_services_put_and_delete(org, personas, client_for):
    c = client_for(personas.partner_staff)
    url = f"/api/v1/partners/{org.partner.pk}/services/instruction"
    first = c.put(url, {"description": "Coaching"}, content_type=JSON)
    assert first.status_code == 201
    again = c.put(url, {"description": "Coaching", "grade_bands": ["high"]}, content_type=JSON)
    assert again.status_code == 200 and again.json()["grade_bands"] == ["high"]
    unknown = errors(
        c.put(
            f"/api/v1/partners/{org.partner.pk}/services/gardening",
            {"description": "Weeding"},
            content_type=JSON,
        )
    )
    assert "path/need_area" in unknown
    empty = errors(c.put(url, {"description": ""}, content_type=JSON))
    assert "body/description" in empty
    assert (
        client_for(personas.other_partner_staff)
        .put(url, {"description": "Taken"}, content_type=JSON)
        .status_code
        == 403
    )
    assert c.delete(url).status_code == 204
    assert c.delete(url).status_code == 404
    assert not ServiceOffering.objects.exists()


def test_contacts_crud(org, personas, client_for):
    c = client_for(personas.partner_staff)
    base = f"/api/v1/partners/{org.partner.pk}/contacts"
    bad = errors(c.post(base, {"name": "Ana", "email": "nope"}, content_type=JSON))
    assert "body/email" in bad
    created = c.post(
        base, {"name": "Ana", "email": "ana@acme.org", "is_primary": True}, content_type=JSON
    )
    assert created.status_code == 201
    contact_id = created.json()["id"]
    changed = c.patch(f"{base}/{contact_id}", {"title": "Director"}, content_type=JSON)
    assert changed.json()["title"] == "Director"
    assert [x["name"] for x in client_for(personas.viewer).get(base).json()] == ["Ana"]
    assert client_for(personas.viewer).delete(f"{base}/{contact_id}").status_code == 403
    other = f"/api/v1/partners/{org.other_partner.pk}/contacts/{contact_id}"
    assert c.delete(other).status_code == 404
    assert c.delete(f"{base}/{contact_id}").status_code == 204
    assert not PartnerContact.objects.exists()


def test_evidence_crud_rules_and_confirmation(org, personas, client_for):
    c = client_for(personas.partner_staff)
    base = f"/api/v1/partners/{org.partner.pk}/evidence"
    bad = errors(c.post(base, {**CLAIM, "tier": 1}, content_type=JSON))
    assert "needs a randomised controlled trial" in bad["body/design"]
    bad = errors(c.post(base, {**CLAIM, "tier": 3, "study_citation": ""}, content_type=JSON))
    assert "body/study_citation" in bad
    assert not EvidenceClaim.objects.exists()
    created = c.post(base, CLAIM, content_type=JSON)
    assert created.status_code == 201
    claim = created.json()
    assert claim["tier_label"] == "Tier 2 — moderate evidence"
    assert claim["confirmed_tier_label"] == "Not confirmed"
    url = f"{base}/{claim['id']}"
    confirm = {"confirmed_tier": 3, "version": 1}
    assert c.post(f"{url}/confirm", confirm, content_type=JSON).status_code == 403
    confirmed = client_for(personas.state_staff).post(f"{url}/confirm", confirm, content_type=JSON)
    assert confirmed.status_code == 200
    assert confirmed.json()["confirmed_by"] == "staff"
    assert confirmed.json()["effective_tier"] == 3
    stale = c.patch(url, {"version": 1, "claim": "Changed"}, content_type=JSON)
    assert stale.status_code == 409
    changed = c.patch(url, {"version": 2, "tier": 4, "design": "none"}, content_type=JSON)
    assert changed.status_code == 200
    assert changed.json()["confirmed_tier"] is None  # the basis changed
    assert c.get(url).json()["tier"] == 4
    assert c.delete(url).status_code == 204
    assert not EvidenceClaim.objects.exists()


def test_the_directory_is_public_and_shows_approved_partners_only(client, org):
    designate(org.partner, org.state, tier=1)
    designate(org.other_partner, org.state, start=-400, end=-1)  # expired
    revoked = PartnerOrganization.objects.create(name="Revoked Co")
    designate(revoked, org.state, revoked=True)
    PartnerContact.objects.create(
        partner=org.partner, name="Ana", email="ana@acme.org", phone="617 555 0100", is_primary=True
    )
    response = client.get("/api/v1/directory/ma")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == {"code": "MA", "name": "Massachusetts"}
    assert [p["name"] for p in body["partners"]] == ["Acme Turnaround Partners"]
    entry = body["partners"][0]
    assert entry["contact"] == {"name": "Ana", "email": "ana@acme.org"}
    assert "617 555 0100" not in response.content.decode()
    assert entry["designations"][0]["starred"] is True
    assert client.get("/api/v1/directory/RI").json()["partners"] == []
    assert client.get("/api/v1/directory/ZZ").status_code == 404
    assert Client().get("/api/v1/directory/M1").status_code == 422
