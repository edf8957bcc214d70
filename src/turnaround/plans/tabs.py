"""The section tabs every plan page shows (plan, workflow and versions, quarterly sessions,
comments). A tab whose page is not installed is left out."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from turnaround.plans.access import PlanAccess

TABS: tuple[tuple[str, str, str], ...] = (
    ("plan", "Plan", "plans:detail"),
    ("workflow", "Approval and versions", "plans:versions"),
    ("sessions", "Quarterly sessions", "monitoring:sessions"),
    ("progress", "Where are we now", "monitoring:progress"),
)


def plan_tabs(access: PlanAccess, current: str) -> list[dict[str, Any]]:
    out = []
    for key, label, name in TABS:
        try:
            url = reverse(name, args=[access.plan.pk])
        except NoReverseMatch:
            continue
        out.append({"key": key, "label": label, "url": url, "current": key == current})
    return out
