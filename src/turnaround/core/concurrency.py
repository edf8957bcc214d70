"""Optimistic concurrency: a version column and a conditional update instead of last-write-wins."""

from __future__ import annotations

from django.db import models


class StaleEditError(Exception):
    """Somebody else saved this record after the editor loaded it."""

    def __init__(self, obj: models.Model) -> None:
        self.obj = obj
        super().__init__(
            f"{obj._meta.verbose_name} “{obj}” was changed by someone else after you opened it. "
            "Reload to see their changes, then make yours again."
        )


def save_versioned(obj: models.Model, *, fields: list[str], expected_version: int) -> None:
    """Write ``fields`` of ``obj`` only if its stored version is still ``expected_version``."""
    model = type(obj)
    values = {name: getattr(obj, name) for name in fields}
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(
        **values, version=expected_version + 1
    )
    if updated != 1:
        raise StaleEditError(obj)
    obj.version = expected_version + 1  # type: ignore[attr-defined]
