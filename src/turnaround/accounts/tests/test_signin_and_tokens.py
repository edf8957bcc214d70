"""Signing in (same message for every failure, throttled), and personal access tokens."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from turnaround.accounts.models import ApiToken
from turnaround.audit.models import AuditEvent
from turnaround.core.testing import described_by

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


def test_sign_in_and_out(personas, persona_password):
    c = Client()
    response = c.post("/accounts/login/", {"login": "admin", "password": persona_password})
    assert response.status_code == 302
    assert c.get("/").status_code == 302  # home redirects to the state overview
    assert AuditEvent.objects.filter(action="login", actor=personas.state_admin).exists()
    c.post("/accounts/logout/")
    assert c.get("/schools/").status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=personas.state_admin).exists()


def test_wrong_password_and_unknown_user_get_the_same_message(personas):
    wrong = Client().post("/accounts/login/", {"login": "admin", "password": "nope-nope-nope"})
    unknown = Client().post("/accounts/login/", {"login": "nobody", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    wrong_errors = wrong.context["form"].non_field_errors()
    unknown_errors = unknown.context["form"].non_field_errors()
    assert list(wrong_errors) == list(unknown_errors)
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


def test_repeated_failures_are_throttled(personas, persona_password):
    c = Client()
    statuses = [
        c.post("/accounts/login/", {"login": "admin", "password": f"wrong-{i}"}).status_code
        for i in range(7)
    ]
    assert 429 in statuses
    # even the right password is refused while throttled
    assert (
        c.post("/accounts/login/", {"login": "admin", "password": persona_password}).status_code
        == 429
    )


def test_signup_is_closed(db):
    response = Client().get("/accounts/signup/")
    assert b"Sign Up Closed" in response.content or response.status_code in (403, 404)


def test_token_page_creates_shows_once_and_revokes(personas, client_for):
    c = client_for(personas.district_leader)
    response = c.post("/account/tokens/", {"name": "nightly export"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key.startswith("tat_")
    token = ApiToken.objects.get(user=personas.district_leader)
    assert token.key_hash == ApiToken.hash_key(key) and key not in token.key_hash
    # shown once: the list page does not contain the secret
    assert key not in c.get("/account/tokens/").content.decode()
    # another user cannot revoke it
    other = client_for(personas.school_leader).post(f"/account/tokens/{token.pk}/revoke/")
    assert other.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert c.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="token").count() == 2


def test_token_form_errors_name_the_field(personas, client_for):
    c = client_for(personas.state_staff)
    response = c.post("/account/tokens/", {"name": "", "expires_at": "2001-01-01"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "name" in errors and "expires_at" in errors
    assert not ApiToken.objects.exists()


def test_token_form_controls_are_described_by_their_hint_and_error(personas, client_for):
    c = client_for(personas.state_staff)
    response = c.post("/account/tokens/", {"name": "export", "expires_at": "2001-01-01"})
    assert response.status_code == 422
    described = described_by(response.content.decode(), "id_expires_at")
    assert described["id_expires_at_helptext"].startswith("A date such as 2027-06-30.")
    assert "The expiry date must be in the future." in described["id_expires_at_error"]
    # a valid control names only its hint
    assert list(described_by(response.content.decode(), "id_name")) == ["id_name_helptext"]
    assert not ApiToken.objects.exists()
