"""Recording the audit trail. Services call ``audit_record`` inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from turnaround.audit.models import AuditEvent
from turnaround.core.middleware import current_request_id


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` (attnames for foreign keys), JSON-ready."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def model_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value differs."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_repr: str = "",
    state_id: int | None = None,
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    is_user = getattr(actor, "is_authenticated", False)
    label = actor.get_username() if is_user else (str(actor) if actor else "system")
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_label=label[:150],
        action=action,
        object_type=object_type or (obj._meta.label if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        state_id=state_id,
        changes=dict(changes or {}),
        request_id=current_request_id(),
    )
