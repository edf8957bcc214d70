"""Writes about people: accounts, memberships and API tokens. Each is audited and atomic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from turnaround.accounts.models import STATE_ROLES, ApiToken, Membership, Role, User
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.organizations.models import District, PartnerOrganization, School, State

_SCOPE_FOR_ROLE: dict[str, type] = {
    **{r.value: State for r in STATE_ROLES},
    Role.DISTRICT_LEADER.value: District,
    Role.SCHOOL_LEADER.value: School,
    Role.PARTNER_STAFF.value: PartnerOrganization,
}
_FIELD_FOR_SCOPE = {
    State: "state",
    District: "district",
    School: "school",
    PartnerOrganization: "partner",
}


def _state_id_of(org: Any) -> int | None:
    if isinstance(org, State):
        return org.pk
    if isinstance(org, District):
        return org.state_id
    if isinstance(org, School):
        return org.district.state_id
    return None


def membership_add(*, actor: Any, user: User, role: str, organisation: Any) -> Membership:
    if role not in _SCOPE_FOR_ROLE:
        raise ValidationError({"role": f"unknown role {role!r}; allowed: {', '.join(Role.values)}"})
    expected = _SCOPE_FOR_ROLE[role]
    if not isinstance(organisation, expected):
        raise ValidationError(
            {
                "organisation": f"the role {role} belongs to a {expected.__name__.lower()}, "
                f"not a {type(organisation).__name__.lower()}"
            }
        )
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, role=role, **{_FIELD_FOR_SCOPE[expected]: organisation}
        )
        if created:
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=membership,
                state_id=_state_id_of(organisation),
                changes={
                    "user": [None, user.username],
                    "role": [None, role],
                    "organisation": [None, str(organisation)],
                },
            )
    return membership


def user_create_with_membership(
    *,
    actor: Any,
    username: str,
    email: str,
    password: str,
    role: str,
    organisation: Any,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create an account and its first role in one transaction; a bad password saves nothing."""
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"the username {username!r} is taken"})
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    with transaction.atomic():
        user.save()
        audit_record(
            actor=actor,
            action=AuditEvent.Action.CREATE,
            obj=user,
            state_id=_state_id_of(organisation),
            changes={"username": [None, username], "email": [None, email]},
        )
        membership_add(actor=actor, user=user, role=role, organisation=organisation)
    return user


def token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new personal access token. Returns the row and the secret, which is never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "give the token a name that says what uses it"})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "the expiry must be in the future"})
    key = ApiToken.generate_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            key_prefix=key[:12],
            key_hash=ApiToken.hash_key(key),
            expires_at=expires_at,
        )
        audit_record(
            actor=user,
            action=AuditEvent.Action.TOKEN,
            obj=token,
            changes={"issued": [None, token.key_prefix]},
        )
    return token, key


def token_revoke(*, user: User, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
        if token is None:
            from django.http import Http404

            raise Http404("No such token.")
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_record(
                actor=user,
                action=AuditEvent.Action.TOKEN,
                obj=token,
                changes={"revoked": [None, token.key_prefix]},
            )
    return token


def token_authenticate(key: str) -> User | None:
    """The active user a token belongs to, or None; records when it was last used."""
    if not key.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def membership_remove(*, actor: Any, membership: Membership) -> None:
    with transaction.atomic():
        org = membership.organisation
        audit_record(
            actor=actor,
            action=AuditEvent.Action.DELETE,
            obj=membership,
            state_id=_state_id_of(org),
            changes={
                "user": [membership.user.username, None],
                "role": [membership.role, None],
                "organisation": [str(org), None],
            },
        )
        membership.delete()
