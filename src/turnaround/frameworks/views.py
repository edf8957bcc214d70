"""Framework pages: the library, a version's content, export, import, copy, versions, publishing.

Reading needs a sign-in and any membership; changing needs the administrator role in the
framework's state (``selectors``). The content editor of a draft is in ``editor_views``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks import io
from turnaround.frameworks.checks import publish_problems
from turnaround.frameworks.forms import (
    ConfirmForm,
    CopyForm,
    FrameworkCreateForm,
    ImportForm,
    UswdsForm,
    VersionDetailsForm,
)
from turnaround.frameworks.models import Framework, FrameworkVersion
from turnaround.frameworks.problems import FrameworkError, VersionLocked
from turnaround.frameworks.selectors import (
    VersionAccess,
    admin_states_for_user,
    can_read_frameworks,
    default_version,
    frameworks_for_user,
    get_framework_for_user,
    get_version_for_user,
)
from turnaround.frameworks.services import (
    framework_copy_to_state,
    framework_create,
    framework_import_text,
    framework_version_create,
    framework_version_delete,
    framework_version_publish,
    framework_version_update,
)

# ---------------------------------------------------------------------------------------------
# Shared helpers (also used by editor_views)


def version_url(version: FrameworkVersion, anchor: str = "") -> str:
    url = reverse("frameworks:version", args=[version.framework_id, version.number])
    return f"{url}#{anchor}" if anchor else url


def breadcrumbs(va: VersionAccess | None = None, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    crumbs = [("Frameworks", reverse("frameworks:list"))]
    if va is not None:
        crumbs.append((f"{va.framework.name} v{va.version.number}", version_url(va.version)))
    crumbs.extend(extra)
    return crumbs


def editable_version(request: HttpRequest, framework_id: int, number: int) -> VersionAccess:
    """The version, for an administrator of its framework's state; 404 for everyone else."""
    va = get_version_for_user(request.user, framework_id, number)
    if not va.access.can_edit:
        raise Http404("No such version.")
    return va


def locked_page(request: HttpRequest, va: VersionAccess) -> HttpResponse:
    status = va.version.get_status_display().lower()
    return render(
        request,
        "frameworks/locked.html",
        {"va": va, "status_word": status, "breadcrumbs": breadcrumbs(va)},
        status=409,
    )


def form_page(
    request: HttpRequest,
    *,
    form: UswdsForm,
    title: str,
    save: Callable[[dict[str, Any]], Any],
    success: Callable[[Any], str],
    message: str,
    cancel_url: str,
    crumbs: list[tuple[str, str]],
    intro: str = "",
    submit: str = "Save",
    danger: bool = False,
    multipart: bool = False,
) -> HttpResponse:
    """GET shows the form; a valid POST calls ``save`` (a service) and redirects to ``success``;
    a refused one shows why: 422 for invalid input, 409 for a stale or locked version."""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = save(form.cleaned_data)
            except StaleEditError as exc:
                form.add_error(None, str(exc))
                status = 409
            except VersionLocked as exc:
                form.add_problems(exc)
                status = 409
            except FrameworkError as exc:
                form.add_problems(exc)
                status = 422
            else:
                messages.success(request, message)
                return redirect(success(result))
        else:
            status = 422
    context = {
        "form": form,
        "title": title,
        "intro": intro,
        "submit": submit,
        "danger": danger,
        "multipart": multipart,
        "cancel_url": cancel_url,
        "breadcrumbs": crumbs,
    }
    return render(request, "frameworks/form.html", context, status=status)


def _require_reader(request: HttpRequest) -> None:
    if not can_read_frameworks(request.user):
        raise Http404("No frameworks.")


# ---------------------------------------------------------------------------------------------
# Reading


@login_required
def framework_list(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    frameworks = list(frameworks_for_user(request.user).prefetch_related("versions"))
    shared = [f for f in frameworks if f.state_id is None]
    own = [f for f in frameworks if f.state_id is not None]
    for framework in frameworks:
        framework.default = default_version(framework)
        framework.version_list = sorted(framework.versions.all(), key=lambda v: -v.number)
    admin_states = admin_states_for_user(request.user)
    return render(
        request,
        "frameworks/list.html",
        {"shared": shared, "own": own, "is_admin": admin_states.exists()},
    )


@login_required
def framework_detail(request: HttpRequest, framework_id: int) -> HttpResponse:
    access = get_framework_for_user(request.user, framework_id)
    version = default_version(access.framework)
    if version is None:
        raise Http404("No versions.")
    return redirect(version_url(version))


def _crosswalk(indicator: Any, framework: Framework) -> str:
    source = indicator.derived_from
    if source is None:
        return ""
    sv = source.framework_version
    if sv.framework_id == framework.pk:
        return f"continues {source.code} of v{sv.number}"
    return f"continues {source.code} of {sv.framework.name} v{sv.number}"


def render_version(
    request: HttpRequest, va: VersionAccess, *, status: int = 200, error: str = ""
) -> HttpResponse:
    version, framework = va.version, va.framework
    levels = list(version.scale.levels.all())
    practices = list(io.content_queryset(version))
    for p in practices:
        for c in p.components.all():
            for i in c.indicators.all():
                texts = {d.level_code: d.text for d in i.descriptors.all()}
                i.cells = [(lv, texts.get(lv.code, "")) for lv in levels]
                i.crosswalk = _crosswalk(i, framework)
                i.tag_list = list(i.tags.all())
    context = {
        "va": va,
        "version": version,
        "framework": framework,
        "levels": levels,
        "practices": practices,
        "versions": list(framework.versions.order_by("-number")),
        "problems": publish_problems(version) if va.can_edit else [],
        "has_draft": framework.versions.filter(status=FrameworkVersion.Status.DRAFT).exists(),
        "error": error,
        "add_component_label": f"Add a {framework.component_term.lower()}",
        "confirm": ConfirmForm(initial={"version": version.version}),
        "breadcrumbs": breadcrumbs(None, (f"{framework.name} v{version.number}", "")),
    }
    return render(request, "frameworks/version.html", context, status=status)


@login_required
def version_detail(request: HttpRequest, framework_id: int, number: int) -> HttpResponse:
    return render_version(request, get_version_for_user(request.user, framework_id, number))


@login_required
def version_export(request: HttpRequest, framework_id: int, number: int, fmt: str) -> HttpResponse:
    if fmt not in io.FORMATS:
        raise Http404("No such format.")
    version = get_version_for_user(request.user, framework_id, number).version
    text = io.dumps(io.version_document(version), fmt)  # type: ignore[arg-type]
    content_type = "application/json" if fmt == "json" else "application/yaml"
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    filename = io.export_filename(version, fmt)  # type: ignore[arg-type]
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------------------------
# Versions


@login_required
@require_POST
def version_create(request: HttpRequest, framework_id: int) -> HttpResponse:
    access = get_framework_for_user(request.user, framework_id)
    if not access.can_edit:
        raise Http404("No such framework.")
    try:
        version = framework_version_create(actor=request.user, framework=access.framework)
    except FrameworkError as exc:
        latest = access.framework.versions.order_by("-number").first()
        if latest is None:
            raise Http404("No versions.") from exc
        va = get_version_for_user(request.user, framework_id, latest.number)
        return render_version(request, va, status=409, error=str(exc))
    messages.success(
        request,
        f"Started v{version.number} as a draft copy of v{version.number - 1}. Edit it, then "
        "publish it.",
    )
    return redirect(version_url(version))


@login_required
@require_http_methods(["GET", "POST"])
def version_edit(request: HttpRequest, framework_id: int, number: int) -> HttpResponse:
    va = editable_version(request, framework_id, number)
    if not va.version.is_editable:
        return locked_page(request, va)
    form = VersionDetailsForm(request.POST or None, draft=va.version)

    def save(data: dict[str, Any]) -> FrameworkVersion:
        return framework_version_update(
            actor=request.user,
            version=va.version,
            expected_version=data["version"],
            changes={k: v for k, v in data.items() if k != "version"},
        )

    return form_page(
        request,
        form=form,
        title=f"Edit the details of {va.framework.name} v{va.version.number}",
        intro="The name, description and terms belong to the whole framework; they change only "
        "while a version is being drafted.",
        save=save,
        success=lambda v: version_url(v),
        message="Saved the framework's details.",
        cancel_url=version_url(va.version),
        crumbs=breadcrumbs(va, ("Details", "")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_publish(request: HttpRequest, framework_id: int, number: int) -> HttpResponse:
    va = editable_version(request, framework_id, number)
    if not va.version.is_editable:
        return locked_page(request, va)
    form = ConfirmForm(request.POST or None, initial={"version": va.version.version})
    status = 200
    problems = publish_problems(va.version)
    if request.method == "POST":
        if form.is_valid():
            try:
                framework_version_publish(
                    actor=request.user,
                    version=va.version,
                    expected_version=form.cleaned_data["version"],
                )
            except StaleEditError as exc:
                form.add_error(None, str(exc))
                status = 409
            except FrameworkError as exc:
                problems = exc.problems
                status = 422
            else:
                messages.success(
                    request,
                    f"Published {va.framework.name} v{va.version.number}. Earlier published "
                    "versions are retired; their ratings stay linked through the crosswalk.",
                )
                return redirect(version_url(va.version))
        else:
            status = 422
    previous = va.version.previous
    return render(
        request,
        "frameworks/publish.html",
        {
            "va": va,
            "form": form,
            "problems": problems,
            "previous": previous,
            "breadcrumbs": breadcrumbs(va, ("Publish", "")),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def version_discard(request: HttpRequest, framework_id: int, number: int) -> HttpResponse:
    va = editable_version(request, framework_id, number)
    if not va.version.is_editable:
        return locked_page(request, va)
    form = ConfirmForm(request.POST or None, initial={"version": va.version.version})
    return form_page(
        request,
        form=form,
        title=f"Discard the draft {va.framework.name} v{va.version.number}?",
        intro="The draft and everything in it are deleted. Published versions are not affected.",
        save=lambda data: framework_version_delete(
            actor=request.user, version=va.version, expected_version=data["version"]
        ),
        success=lambda _: reverse("frameworks:list"),
        message=f"Discarded the draft v{va.version.number}.",
        cancel_url=version_url(va.version),
        crumbs=breadcrumbs(va, ("Discard", "")),
        submit="Discard the draft",
        danger=True,
    )


# ---------------------------------------------------------------------------------------------
# New frameworks: create, import, copy


def _admin_states_or_404(request: HttpRequest) -> Any:
    states = admin_states_for_user(request.user)
    if not states.exists():
        raise Http404("Not found.")
    return states


@login_required
@require_http_methods(["GET", "POST"])
def framework_new(request: HttpRequest) -> HttpResponse:
    states = _admin_states_or_404(request)
    form = FrameworkCreateForm(request.POST or None, states=states)

    def save(data: dict[str, Any]) -> FrameworkVersion:
        return framework_create(actor=request.user, **data)

    return form_page(
        request,
        form=form,
        title="New framework",
        intro="Start an empty framework for your state; add its practices, components and "
        "indicators in the draft, then publish it. To change the wording of a shared framework, "
        "copy it into your state instead.",
        save=save,
        success=lambda v: version_url(v),
        message="Created the framework as an empty draft.",
        cancel_url=reverse("frameworks:list"),
        crumbs=breadcrumbs(None, ("New framework", "")),
        submit="Create framework",
    )


@login_required
@require_http_methods(["GET", "POST"])
def framework_import(request: HttpRequest) -> HttpResponse:
    states = _admin_states_or_404(request)
    form = ImportForm(request.POST or None, request.FILES or None, states=states)
    problems: list[Any] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = framework_import_text(
                    actor=request.user,
                    text=upload.read(),
                    state=form.cleaned_data["state"],
                    filename=upload.name,
                )
            except FrameworkError as exc:
                problems = exc.problems
                status = 422
            else:
                what = "a new framework" if result.created_framework else "a new draft version"
                messages.success(
                    request,
                    f"Imported {result.framework.name} v{result.version.number} as {what}. "
                    "Review it, then publish it.",
                )
                return redirect(version_url(result.version))
        else:
            status = 422
    return render(
        request,
        "frameworks/import.html",
        {
            "form": form,
            "problems": problems,
            "breadcrumbs": breadcrumbs(None, ("Import", "")),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def framework_copy(request: HttpRequest, framework_id: int, number: int) -> HttpResponse:
    va = get_version_for_user(request.user, framework_id, number)
    if not va.access.can_copy:
        raise Http404("Not found.")
    states = admin_states_for_user(request.user)
    form = CopyForm(
        request.POST or None,
        states=states,
        initial={"key": va.framework.key, "name": va.framework.name},
    )
    return form_page(
        request,
        form=form,
        title=f"Copy {va.framework.name} v{va.version.number} into your state",
        intro="Your state gets its own framework whose first version is a draft copy of this one. "
        "Change its wording, then publish it: your state's assessments then use it, and each "
        "indicator keeps a link to the one it was copied from so ratings stay comparable.",
        save=lambda data: framework_copy_to_state(
            actor=request.user,
            version=va.version,
            state=data["state"],
            key=data["key"],
            name=data["name"],
        ),
        success=lambda v: version_url(v),
        message="Copied the framework into your state as a draft.",
        cancel_url=version_url(va.version),
        crumbs=breadcrumbs(va, ("Copy", "")),
        submit="Copy into my state",
    )
