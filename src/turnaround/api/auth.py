"""How API callers prove who they are: a personal access token, or the browser's session.

Scripts send ``Authorization: Bearer tat_…`` (a token from the "API tokens" page); the browser
sends its session cookie, checked by ninja's ``django_auth``, which also enforces CSRF on unsafe
methods. What the caller may then see is decided by ``turnaround.accounts.access`` alone.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from turnaround.accounts.models import User
from turnaround.accounts.services import token_authenticate

__all__ = ["TokenAuth", "default_auth", "django_auth"]


class TokenAuth(HttpBearer):
    """A personal access token (``tat_…``): revoked, expired or unknown tokens give 401."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token.strip())
        if user is None:
            return None
        # Views and access helpers read request.user, as they do for a session.
        request.user = user
        return user


def default_auth() -> list[object]:
    """The authentication every endpoint requires unless it says otherwise: token or session."""
    return [TokenAuth(), django_auth]
