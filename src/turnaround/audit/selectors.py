from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from turnaround.accounts.models import Membership
from turnaround.audit.models import AuditEvent


def events_for_admin(
    state_ids: Iterable[int], *, action: str = "", actor: str = ""
) -> QuerySet[AuditEvent]:
    """Events about the administrator's states, and sign-in events of people who work in them."""
    state_ids = list(state_ids)
    members = Membership.objects.filter(
        Q(state_id__in=state_ids)
        | Q(district__state_id__in=state_ids)
        | Q(school__district__state_id__in=state_ids)
    ).values("user_id")
    qs = AuditEvent.objects.filter(
        Q(state_id__in=state_ids) | Q(state__isnull=True, actor_id__in=members)
    )
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    return qs.order_by("-at", "-id")
