"""State administrators grant and remove roles; nobody else can; every change is audited."""

from __future__ import annotations

import pytest

from turnaround.accounts.models import Membership, User
from turnaround.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-enough-passphrase-77"


def test_admin_creates_a_school_leader(personas, org, client_for):
    c = client_for(personas.state_admin)
    assert c.get("/account/people/").status_code == 200
    response = c.post(
        "/account/people/",
        {
            "username": "new.principal",
            "email": "np@example.org",
            "role": "school_leader",
            "school_code": org.school_hs.code,
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="new.principal")
    assert user.check_password(NEW_PASSWORD)
    m = Membership.objects.get(user=user)
    assert (m.role, m.school) == ("school_leader", org.school_hs)
    assert AuditEvent.objects.filter(object_type="accounts.Membership", action="create").exists()
    # the new person sees exactly that school
    assert client_for(user).get(f"/schools/{org.school_hs.pk}/").status_code == 200
    assert client_for(user).get(f"/schools/{org.school.pk}/").status_code == 404


def test_existing_user_gets_another_role(personas, org, client_for):
    c = client_for(personas.state_admin)
    response = c.post(
        "/account/people/",
        {
            "username": "principal",
            "email": "principal@example.org",
            "role": "district_leader",
            "district": org.district2.pk,
        },
    )
    assert response.status_code == 302
    roles = set(
        Membership.objects.filter(user=personas.school_leader).values_list("role", flat=True)
    )
    assert roles == {"school_leader", "district_leader"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": "school_leader", "school_code": "99999999"}, "school_code"),
        ({"role": "district_leader"}, "district"),
        ({"role": "partner_staff"}, "partner"),
        ({"role": "viewer", "password": "short"}, "password"),
        ({"role": "viewer"}, "password"),
        ({"role": "emperor"}, "role"),
        ({"role": "viewer", "email": "not-an-email", "password": NEW_PASSWORD}, "email"),
    ],
)
def test_invalid_grants_name_the_field_and_save_nothing(personas, org, client_for, data, field):
    payload = {"username": "someone.new", "email": "s@example.org", **data}
    response = client_for(personas.state_admin).post("/account/people/", payload)
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not User.objects.filter(username="someone.new").exists()


def test_school_of_another_state_cannot_be_granted(personas, org, client_for):
    response = client_for(personas.state_admin).post(
        "/account/people/",
        {
            "username": "x.y",
            "email": "x@example.org",
            "role": "school_leader",
            "school_code": org.school_other_state.code,
            "password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert not User.objects.filter(username="x.y").exists()


def test_remove_role(personas, org, client_for):
    m = Membership.objects.get(user=personas.district_leader)
    c = client_for(personas.state_admin)
    assert c.post(f"/account/people/{m.pk}/remove/").status_code == 302
    assert not Membership.objects.filter(pk=m.pk).exists()
    assert AuditEvent.objects.filter(action="delete", object_type="accounts.Membership").exists()
    assert (
        list(client_for(personas.district_leader).get("/schools/").context["page"].object_list)
        == []
    )


def test_other_state_admin_cannot_remove_or_list(personas, org, client_for):
    m = Membership.objects.get(user=personas.district_leader)
    c = client_for(personas.other_state_admin)
    assert c.post(f"/account/people/{m.pk}/remove/").status_code == 404
    assert Membership.objects.filter(pk=m.pk).exists()
    assert "district" not in [
        x.user.username for x in c.get("/account/people/").context["page"].object_list
    ]


@pytest.mark.parametrize("persona", ["state_staff", "district_leader", "viewer", "outsider"])
def test_people_page_is_for_admins_only(personas, client_for, persona):
    c = client_for(getattr(personas, persona))
    assert c.get("/account/people/").status_code == 404
    assert c.post("/account/people/", {"username": "z", "role": "viewer"}).status_code == 404
    assert not User.objects.filter(username="z").exists()


def test_admin_cannot_remove_own_admin_role(personas, client_for):
    m = Membership.objects.get(user=personas.state_admin)
    client_for(personas.state_admin).post(f"/account/people/{m.pk}/remove/")
    assert Membership.objects.filter(pk=m.pk).exists()
