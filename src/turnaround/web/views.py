"""The home page sends each person to the page that fits their role."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from turnaround.accounts.access import get_reach, visible_states


@login_required
def home(request: HttpRequest) -> HttpResponse:
    reach = get_reach(request.user)
    if reach.state_ids:
        state = visible_states(request.user).filter(pk__in=reach.state_ids).first()
        if state is not None:
            return redirect("web:state", code=state.code)
    if len(reach.district_ids) == 1:
        return redirect("web:district", district_id=next(iter(reach.district_ids)))
    if len(reach.school_ids) == 1 and not reach.district_ids:
        return redirect("web:school", school_id=next(iter(reach.school_ids)))
    if not reach.is_empty:
        return redirect("web:schools")
    return render(request, "web/no_access.html")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A plain error page with the correlation id, so support can find the log lines."""
    from django.template import loader

    from turnaround.core.middleware import current_request_id

    template = loader.get_template("500.html")
    return HttpResponse(template.render({"request_id": current_request_id()}), status=500)
