"""Editing a school: only state administrators, every field validated, stale edits refused."""

from __future__ import annotations

import pytest

from turnaround.audit.models import AuditEvent
from turnaround.core.testing import described_by
from turnaround.organizations.models import School

pytestmark = pytest.mark.django_db


def form_data(school: School, **changes) -> dict:
    data = {
        "name": school.name,
        "nces_id": school.nces_id,
        "school_type": school.school_type,
        "grade_low": school.grade_low,
        "grade_high": school.grade_high,
        "title_i": school.title_i,
        "address": school.address,
        "town": school.town,
        "zip_code": school.zip_code,
        "version": school.version,
    }
    if school.is_charter:
        data["is_charter"] = "on"
    if school.is_open:
        data["is_open"] = "on"
    data.update(changes)
    return data


def test_state_admin_edits_and_the_change_is_audited(personas, org, client_for):
    url = f"/schools/{org.school.pk}/edit/"
    c = client_for(personas.state_admin)
    assert c.get(url).status_code == 200
    response = c.post(url, form_data(org.school, name="Adams Innovation School", zip_code="02119"))
    assert response.status_code == 302
    school = School.objects.get(pk=org.school.pk)
    assert school.name == "Adams Innovation School"
    assert school.zip_code == "02119"
    assert school.version == 2
    event = AuditEvent.objects.get(action="update", object_id=str(school.pk))
    assert event.actor == personas.state_admin
    assert event.state_id == org.state.pk
    assert event.changes == {
        "name": ["Adams Elementary", "Adams Innovation School"],
        "zip_code": ["", "02119"],
    }
    # the audit trail page shows it to the state administrator
    page = c.get("/audit/")
    assert page.status_code == 200
    assert "Adams Innovation School" in page.content.decode()


@pytest.mark.parametrize(
    "persona",
    [
        "state_staff",
        "viewer",
        "district_leader",
        "school_leader",
        "partner_staff",
        "outsider",
        "other_state_admin",
    ],
)
def test_others_cannot_edit(personas, org, client_for, persona):
    c = client_for(getattr(personas, persona))
    url = f"/schools/{org.school.pk}/edit/"
    assert c.get(url).status_code == 404
    assert c.post(url, form_data(org.school, name="Hacked")).status_code == 404
    assert School.objects.get(pk=org.school.pk).name == "Adams Elementary"
    assert not AuditEvent.objects.filter(action="update").exists()


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"nces_id": "12345"}, "nces_id", "twelve digits"),
        ({"school_type": "XYZ"}, "school_type", "not one of the available choices"),
        ({"grade_low": "09", "grade_high": "05"}, "grade_high", "below the lowest"),
        ({"zip_code": "2351"}, "zip_code", "five digits"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_invalid_values_name_the_field_and_save_nothing(
    personas, org, client_for, changes, field, text
):
    response = client_for(personas.state_admin).post(
        f"/schools/{org.school.pk}/edit/", form_data(org.school, **changes)
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors, errors
    assert text in " ".join(errors[field]).lower() or text in " ".join(errors[field])
    school = School.objects.get(pk=org.school.pk)
    assert school.name == "Adams Elementary" and school.version == 1
    assert not AuditEvent.objects.filter(action="update").exists()


def test_concurrent_edit_is_refused_not_overwritten(personas, org, client_for):
    url = f"/schools/{org.school.pk}/edit/"
    c = client_for(personas.state_admin)
    stale = form_data(org.school, name="Second editor's name")
    first = c.post(url, form_data(org.school, name="First editor's name"))
    assert first.status_code == 302
    second = c.post(url, stale)
    assert second.status_code == 409
    assert "changed by someone else" in second.content.decode()
    assert School.objects.get(pk=org.school.pk).name == "First editor's name"
    assert AuditEvent.objects.filter(action="update").count() == 1


def test_audit_page_is_for_state_admins_of_that_state_only(personas, org, client_for):
    for persona in ("state_staff", "district_leader", "viewer", "outsider"):
        assert client_for(getattr(personas, persona)).get("/audit/").status_code == 404
    # the Rhode Island administrator does not see Massachusetts edits
    client_for(personas.state_admin).post(
        f"/schools/{org.school.pk}/edit/", form_data(org.school, town="Roxbury")
    )
    ri = client_for(personas.other_state_admin).get("/audit/")
    assert ri.status_code == 200
    assert "Roxbury" not in ri.content.decode()


def test_an_invalid_field_is_described_by_its_hint_and_its_error(personas, org, client_for):
    c = client_for(personas.state_admin)
    response = c.post(f"/schools/{org.school.pk}/edit/", form_data(org.school, zip_code="abc"))
    assert response.status_code == 422
    described = described_by(response.content.decode(), "id_zip_code")
    assert described["id_zip_code_helptext"] == "Five digits, with leading zeros."
    assert "A ZIP code is five digits" in described["id_zip_code_error"]
    assert School.objects.get(pk=org.school.pk).zip_code == org.school.zip_code
