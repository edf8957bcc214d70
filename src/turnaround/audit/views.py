"""The audit trail page: state administrators read the events of their states."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from turnaround.accounts.access import get_reach
from turnaround.audit.models import AuditEvent
from turnaround.audit.selectors import events_for_admin


@login_required
def audit_events(request: HttpRequest) -> HttpResponse:
    reach = get_reach(request.user)
    if not reach.admin_state_ids:
        raise Http404("Not found.")
    action = request.GET.get("action", "")
    if action and action not in AuditEvent.Action.values:
        action = ""
    actor = request.GET.get("actor", "").strip()[:150]
    qs = events_for_admin(reach.admin_state_ids, action=action, actor=actor)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/events.html",
        {
            "page": page,
            "action": action,
            "actor": actor,
            "actions": AuditEvent.Action.choices,
        },
    )
