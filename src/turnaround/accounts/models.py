"""People: users, their memberships (role × organisation) and personal access tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone


class User(AbstractUser):
    """A person who signs in. What they may see comes only from their memberships."""

    class Meta:
        ordering = ["username"]


class Role(models.TextChoices):
    STATE_ADMIN = "state_admin", "State administrator"
    STATE_STAFF = "state_staff", "State turnaround staff"
    TA_PROVIDER = "ta_provider", "Technical-assistance provider"
    DISTRICT_LEADER = "district_leader", "District leader"
    SCHOOL_LEADER = "school_leader", "School leader"
    PARTNER_STAFF = "partner_staff", "Partner staff"
    REVIEWER = "reviewer", "Site-visit reviewer"
    VIEWER = "viewer", "Board / public viewer"


STATE_ROLES = frozenset(
    {Role.STATE_ADMIN, Role.STATE_STAFF, Role.TA_PROVIDER, Role.REVIEWER, Role.VIEWER}
)
#: Roles that see unsuppressed (restricted) aggregates of the schools they reach.
RESTRICTED_ROLES = frozenset(
    {
        Role.STATE_ADMIN,
        Role.STATE_STAFF,
        Role.DISTRICT_LEADER,
        Role.SCHOOL_LEADER,
        Role.PARTNER_STAFF,
    }
)


class Membership(models.Model):
    """A role held in one organisation. State roles hold a state, and so on down."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    state = models.ForeignKey(
        "organizations.State", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    district = models.ForeignKey(
        "organizations.District", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    school = models.ForeignKey(
        "organizations.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        "organizations.PartnerOrganization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    Q(
                        role__in=sorted(r.value for r in STATE_ROLES),
                        state__isnull=False,
                        district__isnull=True,
                        school__isnull=True,
                        partner__isnull=True,
                    )
                    | Q(
                        role=Role.DISTRICT_LEADER,
                        district__isnull=False,
                        state__isnull=True,
                        school__isnull=True,
                        partner__isnull=True,
                    )
                    | Q(
                        role=Role.SCHOOL_LEADER,
                        school__isnull=False,
                        state__isnull=True,
                        district__isnull=True,
                        partner__isnull=True,
                    )
                    | Q(
                        role=Role.PARTNER_STAFF,
                        partner__isnull=False,
                        state__isnull=True,
                        district__isnull=True,
                        school__isnull=True,
                    )
                ),
            ),
            # one constraint per scope, so that it holds on SQLite too (no NULLS NOT DISTINCT)
            *(
                models.UniqueConstraint(
                    fields=["user", "role", scope],
                    condition=Q(**{f"{scope}__isnull": False}),
                    name=f"membership_unique_{scope}",
                )
                for scope in ("state", "district", "school", "partner")
            ),
        ]

    def __str__(self) -> str:
        org = self.state or self.district or self.school or self.partner
        return f"{self.get_role_display()} — {org}"

    @property
    def organisation(self) -> object:
        return self.state or self.district or self.school or self.partner


class ApiToken(models.Model):
    """A personal access token for scripts. Only a hash is stored; the secret is shown once."""

    PREFIX = "tat_"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
