"""Navigation that fits the signed-in role, and the data notes of the states the user reaches."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from turnaround.accounts.access import get_reach, visible_states
from turnaround.accounts.models import Role
from turnaround.partners.access import sees_registry


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    reach = get_reach(user)
    path = request.path
    items: list[dict[str, Any]] = []
    states = list(visible_states(user).only("code", "name", "data_note"))
    for state in states:
        if state.pk in reach.state_ids:
            url = reverse("web:state", args=[state.code])
            items.append({"label": f"{state.name} overview", "url": url})
    if reach.district_ids:
        for district_id in sorted(reach.district_ids):
            url = reverse("web:district", args=[district_id])
            items.append({"label": "My district", "url": url})
    if reach.school_ids and not reach.state_ids and not reach.district_ids:
        for school_id in sorted(reach.school_ids):
            items.append({"label": "My school", "url": reverse("web:school", args=[school_id])})
    items.append({"label": "Schools", "url": reverse("web:schools")})
    for state in states:  # the identification board, designations, cohorts (and runs for staff)
        label = "Accountability" if len(states) == 1 else f"{state.code} accountability"
        items.append({"label": label, "url": reverse("accountability:board", args=[state.code])})
    if not reach.is_empty:
        items.append({"label": "Assessments", "url": reverse("assessment_list")})
        items.append({"label": "Frameworks", "url": reverse("frameworks:list")})
    if reach.restricted_state_ids or reach.district_ids:
        items.append({"label": "Compare schools", "url": reverse("assessments_compare")})
    if not reach.is_empty:
        items.append({"label": "Plans", "url": reverse("plans:list")})
    if sees_registry(user):
        items.append({"label": "Partners", "url": reverse("partners:registry")})
    if reach.restricted_state_ids:
        items.append({"label": "Student growth", "url": reverse("growth:home")})
    if reach.admin_state_ids:
        items.append({"label": "Data imports", "url": reverse("imports:list")})
        items.append({"label": "People", "url": reverse("accounts:people")})
        items.append({"label": "Audit trail", "url": reverse("web:audit")})
    items.append({"label": "API tokens", "url": reverse("accounts:tokens")})
    for item in items:
        item["current"] = path == item["url"]
    labels = {r.value: r.label for r in Role}
    return {
        "nav_items": items,
        "role_labels": sorted(labels[r] for r in reach.roles),
        "data_notes": [s.data_note for s in states if s.data_note],
    }
