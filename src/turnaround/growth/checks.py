"""System checks of the growth settings: a wrong value fails at start-up with the allowed ones."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from turnaround.growth.executors import EXECUTOR_KINDS


@register()
def growth_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    kind = getattr(settings, "GROWTH_EXECUTOR", "process")
    if kind not in EXECUTOR_KINDS:
        errors.append(
            Error(
                f"GROWTH_EXECUTOR is {kind!r}; allowed: {', '.join(EXECUTOR_KINDS)}.",
                id="growth.E001",
            )
        )
    if getattr(settings, "GROWTH_MIN_N", 20) < 1:
        errors.append(Error("GROWTH_MIN_N must be at least 1.", id="growth.E002"))
    if getattr(settings, "GROWTH_WORKERS", 0) < 0:
        errors.append(Error("GROWTH_WORKERS must be 0 (one per core) or more.", id="growth.E003"))
    return errors
