"""Who gets into /api/v1/: personal access tokens and browser sessions, nobody else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from turnaround.accounts.models import ApiToken
from turnaround.accounts.services import token_create, token_revoke

SCHOOLS = "/api/v1/schools"


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/v1/states", "/api/v1/states/MA", "/api/v1/districts", SCHOOLS, "/api/v1/schools/1"],
)
def test_no_credentials_is_401_everywhere(org, url):
    response = Client().get(url)

    assert response.status_code == 401
    assert "Authentication required" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_valid_token_reads_schools_and_records_last_use(personas, org):
    token, key = token_create(user=personas.state_admin, name="nightly export")
    assert token.last_used_at is None

    response = Client().get(SCHOOLS, **bearer(key))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert {s["name"] for s in body["items"]} == {"Adams Elementary", "Burke High", "Lynn Middle"}
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_token_of_district_leader_sees_only_their_district(personas, org):
    _, key = token_create(user=personas.district_leader, name="script")

    response = Client().get(SCHOOLS, **bearer(key))

    assert response.status_code == 200
    assert {s["id"] for s in response.json()["items"]} == {org.school.pk, org.school_hs.pk}


@pytest.mark.django_db
def test_revoked_token_is_401(personas, org):
    token, key = token_create(user=personas.state_admin, name="old laptop")
    token_revoke(user=personas.state_admin, token_id=token.pk)

    response = Client().get(SCHOOLS, **bearer(key))

    assert response.status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.last_used_at is None


@pytest.mark.django_db
def test_expired_token_is_401(personas, org):
    token, key = token_create(
        user=personas.state_admin,
        name="short-lived",
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = Client().get(SCHOOLS, **bearer(key))

    assert response.status_code == 401
    token.refresh_from_db()
    assert token.last_used_at is None


@pytest.mark.django_db
def test_token_of_deactivated_user_is_401(personas, org):
    _, key = token_create(user=personas.state_admin, name="script")
    personas.state_admin.is_active = False
    personas.state_admin.save(update_fields=["is_active"])

    assert Client().get(SCHOOLS, **bearer(key)).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer tat_not-a-real-token", "Bearer not-even-our-prefix", "Token tat_abc", "Bearer"],
)
def test_unknown_or_malformed_token_is_401(org, header):
    response = Client().get(SCHOOLS, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401


@pytest.mark.django_db
def test_outsider_token_gets_empty_lists_and_404s(personas, org):
    _, key = token_create(user=personas.outsider, name="curious")
    client = Client()

    schools = client.get(SCHOOLS, **bearer(key))
    states = client.get("/api/v1/states", **bearer(key))
    districts = client.get("/api/v1/districts", **bearer(key))
    school = client.get(f"/api/v1/schools/{org.school.pk}", **bearer(key))
    missing = client.get("/api/v1/schools/999999", **bearer(key))

    assert schools.status_code == 200
    assert schools.json() == {"count": 0, "items": []}
    assert states.json() == []
    assert districts.json() == {"count": 0, "items": []}
    assert school.status_code == 404
    # "not yours" and "does not exist" cannot be told apart
    assert school.json() == missing.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_session_auth_works(personas, org, client_for):
    response = client_for(personas.school_leader).get(SCHOOLS)

    assert response.status_code == 200
    assert [s["id"] for s in response.json()["items"]] == [org.school.pk]


@pytest.mark.django_db
def test_session_of_inactive_user_is_401(personas, org, client_for):
    client = client_for(personas.state_admin)
    personas.state_admin.is_active = False
    personas.state_admin.save(update_fields=["is_active"])

    assert client.get(SCHOOLS).status_code == 401


@pytest.mark.django_db
def test_token_is_used_before_session(personas, org, client_for):
    """A script's token decides who is asking, even from a browser signed in as someone else."""
    _, key = token_create(user=personas.school_leader, name="script")

    response = client_for(personas.state_admin).get(SCHOOLS, **bearer(key))

    assert response.status_code == 200
    assert [s["id"] for s in response.json()["items"]] == [org.school.pk]
