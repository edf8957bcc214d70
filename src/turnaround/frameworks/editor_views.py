"""The content editor of a draft: add, edit, delete and reorder practices, components and
indicators (with their descriptors and tags). Administrators of the framework's state only; a
published or retired version answers 409 and is never changed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST

from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks.forms import (
    ComponentForm,
    ConfirmForm,
    IndicatorForm,
    MoveForm,
    PracticeForm,
)
from turnaround.frameworks.models import Component, Indicator, Practice
from turnaround.frameworks.problems import FrameworkError, VersionLocked
from turnaround.frameworks.selectors import VersionAccess
from turnaround.frameworks.services import (
    component_create,
    component_delete,
    component_move,
    component_update,
    indicator_create,
    indicator_delete,
    indicator_move,
    indicator_update,
    practice_create,
    practice_delete,
    practice_move,
    practice_update,
)
from turnaround.frameworks.views import (
    breadcrumbs,
    editable_version,
    form_page,
    locked_page,
    render_version,
    version_url,
)


def _draft(request: HttpRequest, framework_id: int, number: int) -> VersionAccess | HttpResponse:
    va = editable_version(request, framework_id, number)
    if not va.version.is_editable:
        return locked_page(request, va)
    return va


def _practice(va: VersionAccess, practice_id: int) -> Practice:
    return get_object_or_404(Practice, pk=practice_id, framework_version=va.version)


def _component(va: VersionAccess, component_id: int) -> Component:
    return get_object_or_404(
        Component.objects.select_related("practice"),
        pk=component_id,
        practice__framework_version=va.version,
    )


def _indicator(va: VersionAccess, indicator_id: int) -> Indicator:
    return get_object_or_404(
        Indicator.objects.select_related("component__practice", "derived_from"),
        pk=indicator_id,
        framework_version=va.version,
    )


def _fields(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: data[name] for name in names}


def _move(
    request: HttpRequest, va: VersionAccess, obj: Any, service: Any, anchor: str
) -> HttpResponse:
    form = MoveForm(request.POST)
    if not form.is_valid():
        return render_version(request, va, status=422, error="Choose to move the item up or down.")
    try:
        service(
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            offset=form.cleaned_data["offset"],
            **{type(obj).__name__.lower(): obj},
        )
    except (StaleEditError, VersionLocked) as exc:
        va.version.refresh_from_db()
        return render_version(request, va, status=409, error=str(exc))
    except FrameworkError as exc:
        return render_version(request, va, status=422, error=str(exc))
    return redirect(version_url(va.version, anchor))


# ---------------------------------------------------------------------------------------------
# Practices


@login_required
@require_http_methods(["GET", "POST"])
def practice_new(request: HttpRequest, framework_id: int, number: int) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    term = va.framework.practice_term
    form = PracticeForm(request.POST or None, initial={"version": va.version.version})
    return form_page(
        request,
        form=form,
        title=f"Add a {term.lower()} to {va.framework.name} v{va.version.number}",
        save=lambda d: practice_create(
            actor=request.user,
            version=va.version,
            expected_version=d["version"],
            **_fields(d, "code", "name", "summary"),
        ),
        success=lambda p: version_url(va.version, f"practice-{p.pk}"),
        message=f"Added the {term.lower()}.",
        cancel_url=version_url(va.version),
        crumbs=breadcrumbs(va, (f"New {term.lower()}", "")),
        submit=f"Add {term.lower()}",
    )


@login_required
@require_http_methods(["GET", "POST"])
def practice_edit(
    request: HttpRequest, framework_id: int, number: int, practice_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    practice = _practice(va, practice_id)
    initial = {"version": va.version.version, "code": practice.code, "name": practice.name}
    initial["summary"] = practice.summary
    form = PracticeForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form=form,
        title=f"Edit {practice.code} {practice.name}",
        save=lambda d: practice_update(
            actor=request.user,
            practice=practice,
            expected_version=d["version"],
            changes=_fields(d, "code", "name", "summary"),
        ),
        success=lambda p: version_url(va.version, f"practice-{p.pk}"),
        message=f"Saved {practice.code}.",
        cancel_url=version_url(va.version, f"practice-{practice.pk}"),
        crumbs=breadcrumbs(va, (f"Edit {practice.code}", "")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def practice_remove(
    request: HttpRequest, framework_id: int, number: int, practice_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    practice = _practice(va, practice_id)
    n = Indicator.objects.filter(component__practice=practice).count()
    form = ConfirmForm(request.POST or None, initial={"version": va.version.version})
    return form_page(
        request,
        form=form,
        title=f"Delete {practice.code} {practice.name}?",
        intro=f"Its {practice.components.count()} {va.framework.component_term.lower()}(s) and "
        f"{n} indicator(s) are deleted from this draft. Earlier versions keep theirs.",
        save=lambda d: practice_delete(
            actor=request.user, practice=practice, expected_version=d["version"]
        ),
        success=lambda _: version_url(va.version),
        message=f"Deleted {practice.code}.",
        cancel_url=version_url(va.version, f"practice-{practice.pk}"),
        crumbs=breadcrumbs(va, (f"Delete {practice.code}", "")),
        submit=f"Delete {practice.code}",
        danger=True,
    )


@login_required
@require_POST
def practice_reorder(
    request: HttpRequest, framework_id: int, number: int, practice_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    practice = _practice(va, practice_id)
    return _move(request, va, practice, practice_move, f"practice-{practice.pk}")


# ---------------------------------------------------------------------------------------------
# Components


@login_required
@require_http_methods(["GET", "POST"])
def component_new(
    request: HttpRequest, framework_id: int, number: int, practice_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    practice = _practice(va, practice_id)
    term = va.framework.component_term
    form = ComponentForm(request.POST or None, initial={"version": va.version.version})
    return form_page(
        request,
        form=form,
        title=f"Add a {term.lower()} to {practice.code} {practice.name}",
        save=lambda d: component_create(
            actor=request.user,
            practice=practice,
            expected_version=d["version"],
            **_fields(d, "code", "name", "description"),
        ),
        success=lambda c: version_url(va.version, f"component-{c.pk}"),
        message=f"Added the {term.lower()}.",
        cancel_url=version_url(va.version, f"practice-{practice.pk}"),
        crumbs=breadcrumbs(va, (f"New {term.lower()}", "")),
        submit=f"Add {term.lower()}",
    )


@login_required
@require_http_methods(["GET", "POST"])
def component_edit(
    request: HttpRequest, framework_id: int, number: int, component_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    component = _component(va, component_id)
    initial = {
        "version": va.version.version,
        "code": component.code,
        "name": component.name,
        "description": component.description,
    }
    form = ComponentForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form=form,
        title=f"Edit {component.code} {component.name}",
        save=lambda d: component_update(
            actor=request.user,
            component=component,
            expected_version=d["version"],
            changes=_fields(d, "code", "name", "description"),
        ),
        success=lambda c: version_url(va.version, f"component-{c.pk}"),
        message=f"Saved {component.code}.",
        cancel_url=version_url(va.version, f"component-{component.pk}"),
        crumbs=breadcrumbs(va, (f"Edit {component.code}", "")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def component_remove(
    request: HttpRequest, framework_id: int, number: int, component_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    component = _component(va, component_id)
    form = ConfirmForm(request.POST or None, initial={"version": va.version.version})
    return form_page(
        request,
        form=form,
        title=f"Delete {component.code} {component.name}?",
        intro=f"Its {component.indicators.count()} indicator(s) are deleted from this draft. "
        "Earlier versions keep theirs.",
        save=lambda d: component_delete(
            actor=request.user, component=component, expected_version=d["version"]
        ),
        success=lambda _: version_url(va.version, f"practice-{component.practice_id}"),
        message=f"Deleted {component.code}.",
        cancel_url=version_url(va.version, f"component-{component.pk}"),
        crumbs=breadcrumbs(va, (f"Delete {component.code}", "")),
        submit=f"Delete {component.code}",
        danger=True,
    )


@login_required
@require_POST
def component_reorder(
    request: HttpRequest, framework_id: int, number: int, component_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    component = _component(va, component_id)
    return _move(request, va, component, component_move, f"component-{component.pk}")


# ---------------------------------------------------------------------------------------------
# Indicators


@login_required
@require_http_methods(["GET", "POST"])
def indicator_new(
    request: HttpRequest, framework_id: int, number: int, component_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    component = _component(va, component_id)
    form = IndicatorForm(
        request.POST or None, draft=va.version, initial={"component": component.pk}
    )

    def save(d: dict[str, Any]) -> Indicator:
        changes = form.changes()
        return indicator_create(
            actor=request.user,
            component=changes.pop("component"),
            expected_version=d["version"],
            **changes,
        )

    return form_page(
        request,
        form=form,
        title=f"Add an indicator to {component.code} {component.name}",
        intro="Write what can be observed when the practice is in place, then what it looks "
        "like at each level of the scale. Publishing needs a descriptor for every level.",
        save=save,
        success=lambda i: version_url(va.version, f"indicator-{i.pk}"),
        message="Added the indicator.",
        cancel_url=version_url(va.version, f"component-{component.pk}"),
        crumbs=breadcrumbs(va, ("New indicator", "")),
        submit="Add indicator",
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_edit(
    request: HttpRequest, framework_id: int, number: int, indicator_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    indicator = _indicator(va, indicator_id)
    form = IndicatorForm(request.POST or None, draft=va.version, indicator=indicator)
    return form_page(
        request,
        form=form,
        title=f"Edit indicator {indicator.code}",
        save=lambda d: indicator_update(
            actor=request.user,
            indicator=indicator,
            expected_version=d["version"],
            changes=form.changes(),
        ),
        success=lambda i: version_url(va.version, f"indicator-{i.pk}"),
        message=f"Saved {indicator.code}.",
        cancel_url=version_url(va.version, f"indicator-{indicator.pk}"),
        crumbs=breadcrumbs(va, (f"Edit {indicator.code}", "")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicator_remove(
    request: HttpRequest, framework_id: int, number: int, indicator_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    indicator = _indicator(va, indicator_id)
    intro = "The indicator and its descriptors are deleted from this draft."
    if indicator.derived_from is not None:
        intro += (
            f" It continues {indicator.derived_from.code} of the earlier version: if that "
            "indicator has ratings, publishing will ask you to map it to another indicator."
        )
    form = ConfirmForm(request.POST or None, initial={"version": va.version.version})
    return form_page(
        request,
        form=form,
        title=f"Delete indicator {indicator.code}?",
        intro=intro,
        save=lambda d: indicator_delete(
            actor=request.user, indicator=indicator, expected_version=d["version"]
        ),
        success=lambda _: version_url(va.version, f"component-{indicator.component_id}"),
        message=f"Deleted {indicator.code}.",
        cancel_url=version_url(va.version, f"indicator-{indicator.pk}"),
        crumbs=breadcrumbs(va, (f"Delete {indicator.code}", "")),
        submit=f"Delete {indicator.code}",
        danger=True,
    )


@login_required
@require_POST
def indicator_reorder(
    request: HttpRequest, framework_id: int, number: int, indicator_id: int
) -> HttpResponse:
    va = _draft(request, framework_id, number)
    if isinstance(va, HttpResponse):
        return va
    indicator = _indicator(va, indicator_id)
    return _move(request, va, indicator, indicator_move, f"indicator-{indicator.pk}")
