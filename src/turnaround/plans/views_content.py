"""Plan pages: the list, starting a plan, the whole plan, and the builder's edit pages.

Thin views: access comes from ``plans.access``, every change goes through ``plans.services``,
and a refusal comes back as the same form with the service's message (422 bad input, 403 not
allowed, 409 stale edit or a plan that is no longer editable). A stale save keeps what the user
typed and shows the other person's current values beside it; saving again replaces them.

The edit pages for the seven kinds of item share three views (``item_new``, ``item_edit``,
``item_delete``), told apart by ``KINDS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from turnaround.accounts.access import get_district_for_user, get_school_for_user
from turnaround.accounts.models import User
from turnaround.assessments.models import Assessment
from turnaround.core.concurrency import StaleEditError
from turnaround.organizations.selectors import FilterError
from turnaround.plans import services
from turnaround.plans.access import PlanAccess, can_create_plan_for, get_plan_for_user
from turnaround.plans.forms import (
    ActionForm,
    ActionStatusForm,
    BenchmarkForm,
    GoalForm,
    MoveForm,
    NeedForm,
    NeedsFromAssessmentForm,
    ObjectiveForm,
    PlanCoverForm,
    PlanNewForm,
    RootCauseForm,
    StrategyForm,
    VersionForm,
)
from turnaround.plans.models import (
    Action,
    Benchmark,
    Goal,
    NeedStatement,
    Objective,
    Plan,
    PlanStatus,
    RootCause,
    Strategy,
)
from turnaround.plans.selectors import (
    PlanFilters,
    assessments_for_needs,
    can_start_any_plan,
    copyable_plans,
    creatable_organisations,
    filter_districts,
    filter_years,
    latest_plan_for,
    plan_content,
    plan_list,
)
from turnaround.plans.services import PlanLockedError
from turnaround.plans.services._common import not_author_message, period_label
from turnaround.plans.tabs import plan_tabs
from turnaround.plans.views_workflow import workflow_panel_context

T = TypeVar("T")
PAGE_SIZE = 25
CONFLICT = (
    "This {noun} was changed by someone else after you opened it. Their current values are "
    "shown above the form; your changes are still in the form. Save again to replace theirs "
    "with yours, or reload the page to start from theirs."
)


# ---------------------------------------------------------------------------------------------
# Shared


def _load(request: HttpRequest, plan_id: int) -> PlanAccess:
    return get_plan_for_user(request.user, plan_id)


def _page(
    request: HttpRequest,
    template: str,
    access: PlanAccess,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        template,
        {"plan": access.plan, "access": access, "tabs": plan_tabs(access, "plan"), **context},
        status=status,
    )


def _refused(request: HttpRequest, access: PlanAccess, message: str, status: int) -> HttpResponse:
    return _page(request, "plans/edit_refused.html", access, {"message": message}, status)


def _editable(request: HttpRequest, access: PlanAccess) -> HttpResponse | None:
    """A page explaining why, when the user may not edit this plan's content now."""
    if not access.is_author:
        return _refused(request, access, not_author_message(access), 403)
    if not access.plan.is_editable:
        return _refused(request, access, services.locked_message(access.plan), 409)
    return None


def _field_for(form: forms.Form | None, key: str) -> str | None:
    if form is None:
        return None
    if key in form.fields:
        return key
    if key.startswith("targets.") and f"target_{key[8:]}" in form.fields:
        return f"target_{key[8:]}"
    return None


def _refusal(form: forms.Form | None, exc: Exception) -> tuple[int, list[str]]:
    """The status for a service's refusal; its messages go on ``form`` (on the field they name
    where there is one) or come back as a list."""
    loose: list[str] = []
    if isinstance(exc, ValidationError):
        status = 422
        if hasattr(exc, "error_dict"):
            for key, errors in exc.message_dict.items():
                name = _field_for(form, key)
                if form is not None and name is not None:
                    form.add_error(name, errors)
                else:
                    loose.extend(errors)
        else:
            loose.extend(exc.messages)
    elif isinstance(exc, (StaleEditError, PlanLockedError)):
        status, loose = 409, [str(exc)]
    else:
        status, loose = 403, [str(exc) or "You cannot do that."]
    if form is not None:
        for message in loose:
            form.add_error(None, message)
        return status, []
    return status, loose


REFUSALS = (ValidationError, StaleEditError, PlanLockedError, PermissionDenied)


def _attempt(form: forms.Form | None, call: Callable[[], T]) -> tuple[T | None, int, list[str]]:
    """Run a service call: ``(result, 200, [])`` or ``(None, status, messages)``."""
    try:
        return call(), 200, []
    except REFUSALS as exc:
        status, loose = _refusal(form, exc)
        return None, status, loose


def _detail_url(plan_id: int, anchor: str = "") -> str:
    return reverse("plans:detail", args=[plan_id]) + (f"#{anchor}" if anchor else "")


def _display(form: forms.Form, initial: dict[str, Any]) -> list[tuple[str, str]]:
    """The stored values, labelled as the form labels them (for the conflict panel)."""
    rows = []
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.HiddenInput):
            continue
        value = initial.get(name)
        flat: dict[str, str] = {}
        for key, label in getattr(field, "choices", []):
            if isinstance(label, (list, tuple)):
                flat.update((str(k), str(v)) for k, v in label)
            else:
                flat[str(key)] = str(label)
        if isinstance(value, (list, tuple)):
            text = "; ".join(flat.get(str(v), str(v)) for v in value) or "none"
        elif value in (None, ""):
            text = "blank"
        else:
            text = flat.get(str(value), str(value))
        rows.append((str(field.label or name.replace("_", " ").capitalize()), text))
    return rows


# ---------------------------------------------------------------------------------------------
# The kinds of item


def _num(value: Any) -> str:
    if value is None:
        return ""
    f = float(value)
    return str(int(f)) if f.is_integer() else f"{f:g}"


def _create_need(user: User, plan: Plan, parent: Any, form: forms.Form) -> NeedStatement:
    return services.need_create(actor=user, plan=plan, **_need_changes(form))


def _need_changes(form: forms.Form) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "statement": d["statement"],
        "source": d["source"],
        "evidence": d["evidence"],
        "priority": d["priority"] or None,
    }


def _root_cause_changes(form: forms.Form) -> dict[str, Any]:
    d = form.cleaned_data
    return {"cause": d["cause"], "evidence": d["evidence"], "indicators": d["indicators"]}


def _goal_changes(form: forms.Form) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "metric": d["metric"],
        "description": d["description"],
        "subject": d["subject"],
        "student_group": d["student_group"],
        "baseline_value": d["baseline_value"],
        "baseline_year": d["baseline_year"],
        "data_source": d["data_source"],
        "statutory_area": d["statutory_area"],
        "targets": form.targets(),  # type: ignore[attr-defined]
    }


def _goal_initial(goal: Goal) -> dict[str, Any]:
    out = {
        "metric": goal.metric,
        "description": goal.description,
        "subject": goal.subject,
        "student_group": goal.student_group,
        "baseline_value": _num(goal.baseline_value),
        "baseline_year": goal.baseline_year or "",
        "data_source": goal.data_source,
        "statutory_area": goal.statutory_area,
    }
    out.update({f"target_{t.year}": _num(t.value) for t in goal.targets.all()})
    return out


def _objective_changes(form: forms.Form) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "title": d["title"],
        "description": d["description"],
        "indicators": d["indicators"],
        "priorities": d["priorities"],
    }


def _strategy_changes(form: forms.Form) -> dict[str, Any]:
    return {"title": form.cleaned_data["title"], "rationale": form.cleaned_data["rationale"]}


def _owner(value: str) -> User | None:
    return User.objects.filter(pk=value).first() if value else None


def _action_changes(form: forms.Form) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "title": d["title"],
        "owner": d["owner"],
        "owner_user": _owner(d["owner_user"]),
        "starts_on": d["starts_on"],
        "due_on": d["due_on"],
        "status": d["status"],
        "cost": d["cost"],
        "funding_source": d["funding_source"],
    }


def _action_initial(a: Action) -> dict[str, Any]:
    return {
        "title": a.title,
        "owner": a.owner,
        "owner_user": str(a.owner_user_id or ""),
        "starts_on": a.starts_on,
        "due_on": a.due_on,
        "status": a.status,
        "cost": "" if a.cost is None else f"{a.cost:.2f}",
        "funding_source": a.funding_source,
    }


def _benchmark_changes(form: forms.Form) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "kind": d["kind"],
        "measure": d["measure"],
        "data_source": d["data_source"],
        "unit": d["unit"],
        "baseline": d["baseline"],
        "target": d["target"],
        "due_year": d["due_year"],
        "due_quarter": d["due_quarter"],
        "frequency": d["frequency"],
        "objective": d["objective"] or None,
    }


def _benchmark_initial(b: Benchmark) -> dict[str, Any]:
    return {
        "kind": b.kind,
        "measure": b.measure,
        "data_source": b.data_source,
        "unit": b.unit,
        "baseline": _num(b.baseline),
        "target": _num(b.target),
        "due_year": b.due_year,
        "due_quarter": b.due_quarter,
        "frequency": b.frequency,
        "objective": str(b.objective_id or ""),
    }


@dataclass(frozen=True)
class Kind:
    """One kind of plan item as the edit pages see it."""

    key: str
    noun: str
    model: type[models.Model]
    form: type[forms.Form]
    #: the lookup from the item to its plan
    in_plan: str
    create: Callable[[User, Plan, Any, forms.Form], Any]
    changes: Callable[[forms.Form], dict[str, Any]]
    update: Callable[..., Any]
    delete: Callable[..., Any]
    initial: Callable[[Any], dict[str, Any]]
    anchor: Callable[[Any], str]
    #: (model, lookup to its plan, noun) of the parent for a nested item
    parent: tuple[type[models.Model], str, str] | None = None
    #: the keyword the services take the item by
    arg: str = ""

    @property
    def section(self) -> str:
        """The plan page's section that shows this kind."""
        return {
            "need": "needs",
            "root_cause": "needs",
            "goal": "goals",
            "benchmark": "benchmarks",
        }.get(self.key, "objectives")

    @property
    def item_arg(self) -> str:
        return self.arg or self.key


KINDS: dict[str, Kind] = {
    "need": Kind(
        key="need",
        noun="need statement",
        model=NeedStatement,
        form=NeedForm,
        in_plan="plan",
        create=_create_need,
        changes=_need_changes,
        update=services.need_update,
        delete=services.need_delete,
        initial=lambda n: {
            "statement": n.statement,
            "source": n.source,
            "evidence": n.evidence,
            "priority": str(n.priority_id or ""),
        },
        anchor=lambda n: f"need-{n.pk}",
    ),
    "root_cause": Kind(
        key="root_cause",
        noun="root cause",
        model=RootCause,
        form=RootCauseForm,
        in_plan="need__plan",
        create=lambda u, p, need, f: services.root_cause_create(
            actor=u, need=need, **_root_cause_changes(f)
        ),
        changes=_root_cause_changes,
        update=services.root_cause_update,
        delete=services.root_cause_delete,
        initial=lambda r: {
            "cause": r.cause,
            "evidence": r.evidence,
            "indicators": [i.code for i in r.indicators.all()],
        },
        anchor=lambda r: f"need-{r.need_id}",
        parent=(NeedStatement, "plan", "need"),
    ),
    "goal": Kind(
        key="goal",
        noun="goal",
        model=Goal,
        form=GoalForm,
        in_plan="plan",
        create=lambda u, p, _, f: services.goal_create(actor=u, plan=p, **_goal_changes(f)),
        changes=_goal_changes,
        update=services.goal_update,
        delete=services.goal_delete,
        initial=_goal_initial,
        anchor=lambda g: f"goal-{g.pk}",
    ),
    "objective": Kind(
        key="objective",
        noun="objective",
        model=Objective,
        form=ObjectiveForm,
        in_plan="plan",
        create=lambda u, p, _, f: services.objective_create(
            actor=u, plan=p, **_objective_changes(f)
        ),
        changes=_objective_changes,
        update=services.objective_update,
        delete=services.objective_delete,
        initial=lambda o: {
            "title": o.title,
            "description": o.description,
            "indicators": [i.code for i in o.indicators.all()],
            "priorities": [str(p.pk) for p in o.priorities.all()],
        },
        anchor=lambda o: f"objective-{o.pk}",
    ),
    "strategy": Kind(
        key="strategy",
        noun="strategy",
        model=Strategy,
        form=StrategyForm,
        in_plan="objective__plan",
        create=lambda u, p, objective, f: services.strategy_create(
            actor=u, objective=objective, **_strategy_changes(f)
        ),
        changes=_strategy_changes,
        update=services.strategy_update,
        delete=services.strategy_delete,
        initial=lambda s: {"title": s.title, "rationale": s.rationale},
        anchor=lambda s: f"strategy-{s.pk}",
        parent=(Objective, "plan", "objective"),
    ),
    "action": Kind(
        key="action",
        noun="action",
        model=Action,
        form=ActionForm,
        in_plan="strategy__objective__plan",
        create=lambda u, p, strategy, f: services.action_create(
            actor=u, strategy=strategy, **_action_changes(f)
        ),
        changes=_action_changes,
        update=services.action_update,
        delete=services.action_delete,
        initial=_action_initial,
        anchor=lambda a: f"action-{a.pk}",
        parent=(Strategy, "objective__plan", "strategy"),
    ),
    "benchmark": Kind(
        key="benchmark",
        noun="benchmark",
        model=Benchmark,
        form=BenchmarkForm,
        in_plan="plan",
        create=lambda u, p, _, f: services.benchmark_create(
            actor=u, plan=p, **_benchmark_changes(f)
        ),
        changes=_benchmark_changes,
        update=services.benchmark_update,
        delete=services.benchmark_delete,
        initial=_benchmark_initial,
        anchor=lambda b: f"benchmark-{b.pk}",
    ),
}
#: URL segment of each kind (``/plans/<id>/<segment>/<item_id>/…``) and the service kind
SEGMENTS = {
    "need": "needs",
    "root_cause": "root-causes",
    "goal": "goals",
    "objective": "objectives",
    "strategy": "strategies",
    "action": "actions",
    "benchmark": "benchmarks",
}


def _item(kind: Kind, access: PlanAccess, item_id: int) -> Any:
    return get_object_or_404(kind.model, pk=item_id, **{kind.in_plan: access.plan})


def _item_page(
    request: HttpRequest,
    access: PlanAccess,
    kind: Kind,
    form: forms.Form,
    *,
    heading: str,
    status: int = 200,
    parent: Any = None,
    item: Any = None,
    theirs: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    return _page(
        request,
        "plans/edit_item.html",
        access,
        {
            "form": form,
            "kind": kind,
            "heading": heading,
            "parent": parent,
            "item": item,
            "theirs": theirs,
            "back_url": _detail_url(
                access.plan.pk, kind.anchor(item) if item is not None else kind.section
            ),
        },
        status,
    )


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


# ---------------------------------------------------------------------------------------------
# Pages: list, new, detail


@login_required
def plan_list_page(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    params = {k: request.GET.get(k, "") for k in ("status", "district", "year")}
    try:
        filters = PlanFilters.from_params(params)
    except FilterError as exc:
        errors = exc.errors
        filters = PlanFilters.from_params({k: v for k, v in params.items() if k not in errors})
    paginator = Paginator(plan_list(request.user, filters), PAGE_SIZE)
    context = {
        "page": paginator.get_page(request.GET.get("page")),
        "filters": filters,
        "filter_errors": errors,
        "statuses": PlanStatus.choices,
        "districts": filter_districts(request.user),
        "years": filter_years(request.user),
        "can_start": can_start_any_plan(request.user),
        "query": {k: v for k, v in params.items() if v and k not in errors},
        "dashboards": _dashboards(request.user),
    }
    return render(request, "plans/list.html", context, status=400 if errors else 200)


def _dashboards(user: Any) -> list[tuple[str, str]]:
    """The plan-health dashboards this user may open: their states' (state staff) and their
    districts' (district leaders), as (label, url)."""
    from turnaround.accounts.access import get_reach
    from turnaround.organizations.models import District, State

    reach = get_reach(user)
    links = [
        (f"Plan health in {state.name}", reverse("monitoring:dashboard_state", args=[state.code]))
        for state in State.objects.filter(pk__in=reach.restricted_state_ids).order_by("name")
    ]
    links += [
        (
            f"Plan health in {district.name}",
            reverse("monitoring:dashboard_district", args=[district.pk]),
        )
        for district in District.objects.filter(pk__in=reach.district_ids).order_by("name")
    ]
    return links


def _suggested_years(latest: Plan | None) -> tuple[int, int]:
    first = latest.last_year + 1 if latest is not None else services.current_spring_year() + 1
    return first, first + 2


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    school_id, district_id = request.GET.get("school"), request.GET.get("district")
    school = district = None
    try:
        if school_id:
            school = get_school_for_user(request.user, int(school_id)).school
        elif district_id:
            district = get_district_for_user(request.user, int(district_id)).district
    except ValueError:
        school = district = None
    if school is None and district is None:
        return render(
            request,
            "plans/new.html",
            {"choose": True, **creatable_organisations(request.user)},
            status=400 if (school_id or district_id) else 200,
        )
    subject = school or district
    allowed = can_create_plan_for(
        request.user,
        school_id=school.pk if school else None,
        district_id=district.pk if district else None,
    )
    if not allowed:
        return render(
            request,
            "plans/new.html",
            {
                "subject": subject,
                "refused": f"Only the leaders of {subject} and of its district start a plan for it."
                if school
                else f"Only the leaders of {subject} start a plan for it.",
            },
            status=403,
        )
    latest = latest_plan_for(request.user, school=school, district=district)
    copyable = copyable_plans(request.user, school=school, district=district)
    first, last = _suggested_years(latest)
    initial = {
        "title": f"Turnaround plan {first - 1}–{last}",
        "first_year": first,
        "last_year": last,
        "start": "copy" if latest else "blank",
        "copy_from": str(latest.pk) if latest else "",
    }
    form = PlanNewForm(request.POST or None, copyable=copyable, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = form.cleaned_data
            plan, status, _ = _attempt(
                form,
                lambda: services.plan_create(
                    actor=request.user,
                    school=school,
                    district=district,
                    title=d["title"],
                    first_year=d["first_year"],
                    last_year=d["last_year"],
                    exit_eligible_year=d["exit_eligible_year"],
                    template=d["template"] if d["start"] == "template" else None,
                    copy_from=int(d["copy_from"]) if d["start"] == "copy" else None,
                ),
            )
            if plan is not None:
                messages.success(request, f"Started the plan “{plan.title}”.")
                return redirect("plans:detail", plan_id=plan.pk)
    designation = services.open_designation(school) if school is not None else None
    return render(
        request,
        "plans/new.html",
        {
            "subject": subject,
            "is_school": school is not None,
            "form": form,
            "latest": latest,
            "designation": designation,
        },
        status=status,
    )


def _detail_context(request: HttpRequest, access: PlanAccess) -> dict[str, Any]:
    plan = access.plan
    context = plan_content(plan)
    context["needs_sources"] = assessments_for_needs(request.user, plan) if access.can_edit else []
    context["period"] = period_label(plan)
    context["can_edit"] = access.can_edit
    context["can_monitor"] = access.can_monitor
    context["status_choices"] = ActionStatusForm.base_fields["status"].choices
    context.update(workflow_panel_context(access))
    return context


def _detail_page(
    request: HttpRequest, access: PlanAccess, status: int = 200, errors: list[str] | None = None
) -> HttpResponse:
    context = _detail_context(request, access)
    context["errors"] = errors or []
    return _page(request, "plans/detail.html", access, context, status)


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _detail_page(request, _load(request, plan_id))


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The cover: title, executive summary, period and the year eligible to exit."""
    access = _load(request, plan_id)
    refused = _editable(request, access)
    if refused is not None:
        return refused
    plan = access.plan

    def initial(p: Plan) -> dict[str, Any]:
        return {
            "title": p.title,
            "summary": p.summary,
            "first_year": p.first_year,
            "last_year": p.last_year,
            "exit_eligible_year": p.exit_eligible_year,
            "version": p.version,
        }

    form = PlanCoverForm(request.POST or None, initial=initial(plan))
    status, theirs = 200, None
    if request.method == "POST":
        status = 422
        if form.is_valid():
            d = dict(form.cleaned_data)
            version = d.pop("version")
            try:
                services.plan_update(
                    actor=request.user, plan=plan, expected_version=version, changes=d
                )
            except StaleEditError:
                stored = Plan.objects.get(pk=plan.pk)
                form, theirs = _conflict_form(
                    PlanCoverForm, request, {}, "plan", initial(stored), stored.version
                )
                status = 409
            except REFUSALS as exc:
                status, _ = _refusal(form, exc)
            else:
                messages.success(request, "Saved the plan's cover.")
                return redirect(_detail_url(plan.pk, "cover"))
    return _page(
        request,
        "plans/edit_plan.html",
        access,
        {"form": form, "theirs": theirs, "back_url": _detail_url(plan.pk, "cover")},
        status,
    )


def _conflict_form(
    form_class: type[forms.Form],
    request: HttpRequest,
    kwargs: dict[str, Any],
    noun: str,
    stored_initial: dict[str, Any],
    stored_version: int,
) -> tuple[forms.Form, list[tuple[str, str]]]:
    """The user's input again (with the stored version, so saving again is a deliberate
    overwrite), a form error saying what happened, and the other person's values."""
    data = request.POST.copy()
    data["version"] = str(stored_version)
    form = form_class(data, **kwargs)
    form.is_valid()
    form.add_error(None, CONFLICT.format(noun=noun))
    theirs = _display(form_class(initial=stored_initial, **kwargs), stored_initial)
    return form, theirs


# ---------------------------------------------------------------------------------------------
# Pages: the items


@login_required
@require_http_methods(["GET", "POST"])
def item_new(
    request: HttpRequest, plan_id: int, kind: str, parent_id: int | None = None
) -> HttpResponse:
    spec = KINDS[kind]
    access = _load(request, plan_id)
    parent = None
    if spec.parent is not None:
        model, lookup, _ = spec.parent
        parent = get_object_or_404(model, pk=parent_id, **{lookup: access.plan})
    refused = _editable(request, access)
    if refused is not None:
        return refused
    initial: dict[str, Any] = {}
    if kind == "benchmark":
        initial = {"kind": request.GET.get("kind", "educator"), "due_year": access.plan.first_year}
    form = spec.form(request.POST or None, plan=access.plan, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            obj, status, _ = _attempt(
                form, lambda: spec.create(request.user, access.plan, parent, form)
            )
            if obj is not None:
                messages.success(request, f"Added the {spec.noun}.")
                return redirect(_detail_url(access.plan.pk, spec.anchor(obj)))
    heading = f"Add {_a(spec.noun)}"
    if parent is not None:
        heading += f" to “{parent}”"
    return _item_page(request, access, spec, form, heading=heading, status=status, parent=parent)


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, plan_id: int, kind: str, item_id: int) -> HttpResponse:
    spec = KINDS[kind]
    access = _load(request, plan_id)
    item = _item(spec, access, item_id)
    refused = _editable(request, access)
    if refused is not None:
        return refused
    kwargs = {"plan": access.plan, "editing": True}
    form = spec.form(
        request.POST or None, initial={**spec.initial(item), "version": item.version}, **kwargs
    )
    status, theirs = 200, None
    heading = f"Edit the {spec.noun}"
    if request.method == "POST":
        status = 422
        if form.is_valid():
            changes = spec.changes(form)
            version = form.cleaned_data["version"]
            try:
                spec.update(
                    actor=request.user,
                    expected_version=version,
                    changes=changes,
                    **{spec.item_arg: item},
                )
            except StaleEditError:
                stored = spec.model._default_manager.filter(pk=item.pk).first()
                if stored is None:
                    return _refused(
                        request,
                        access,
                        f"This {spec.noun} was deleted by someone else after you opened it.",
                        409,
                    )
                form, theirs = _conflict_form(
                    spec.form, request, kwargs, spec.noun, spec.initial(stored), stored.version
                )
                status = 409
            except REFUSALS as exc:
                status, _ = _refusal(form, exc)
            else:
                messages.success(request, f"Saved the {spec.noun}.")
                return redirect(_detail_url(access.plan.pk, spec.anchor(item)))
    return _item_page(
        request, access, spec, form, heading=heading, status=status, item=item, theirs=theirs
    )


@login_required
@require_http_methods(["GET", "POST"])
def item_delete(request: HttpRequest, plan_id: int, kind: str, item_id: int) -> HttpResponse:
    spec = KINDS[kind]
    access = _load(request, plan_id)
    item = _item(spec, access, item_id)
    refused = _editable(request, access)
    if refused is not None:
        return refused
    form = VersionForm(request.POST or None, initial={"version": item.version})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            result, status, _ = _attempt(
                form,
                lambda: spec.delete(
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                    **{spec.item_arg: item},
                ),
            )
            if result == "retired":
                messages.success(
                    request,
                    f"Retired the {spec.noun}: quarterly sessions reported on it, so it leaves "
                    "the plan but stays in the monitoring history.",
                )
                return redirect(_detail_url(access.plan.pk, "retired"))
            if result == "deleted":
                messages.success(request, f"Deleted the {spec.noun}.")
                return redirect(_detail_url(access.plan.pk, spec.section))
    has_history = (kind == "benchmark" and services.benchmark_has_history(item)) or (
        kind == "objective" and services.objective_has_history(item)
    )
    return _page(
        request,
        "plans/confirm_delete.html",
        access,
        {
            "form": form,
            "kind": spec,
            "item": item,
            "has_history": has_history,
            "back_url": _detail_url(access.plan.pk, spec.anchor(item)),
        },
        status,
    )


@login_required
@require_POST
def item_move(request: HttpRequest, plan_id: int, kind: str, item_id: int) -> HttpResponse:
    spec = KINDS[kind]
    access = _load(request, plan_id)
    item = _item(spec, access, item_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, access, 422, ["Choose to move the item up or down."])
    _, status, errors = _attempt(
        None,
        lambda: services.item_move(
            actor=request.user,
            kind=SEGMENTS[kind],
            item=item,
            direction=form.cleaned_data["direction"],
        ),
    )
    if status != 200:
        return _detail_page(request, _load(request, plan_id), status, errors)
    return redirect(_detail_url(access.plan.pk, spec.anchor(item)))


@login_required
@require_POST
def action_status(request: HttpRequest, plan_id: int, item_id: int) -> HttpResponse:
    """Monitoring: the plan's authors and state staff update an action's status in any plan
    status."""
    access = _load(request, plan_id)
    action = _item(KINDS["action"], access, item_id)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, access, 422, ["Choose a status for the action."])
    _, status, errors = _attempt(
        None,
        lambda: services.action_update(
            actor=request.user,
            action=action,
            expected_version=form.cleaned_data["version"],
            changes={"status": form.cleaned_data["status"]},
        ),
    )
    if status != 200:
        return _detail_page(request, _load(request, plan_id), status, errors)
    messages.success(request, f"Updated the status of “{action}”.")
    return redirect(_detail_url(access.plan.pk, f"action-{action.pk}"))


@login_required
@require_http_methods(["GET", "POST"])
def needs_from_assessment(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Take the agreed priorities of a finalised site visit or self-assessment as needs and
    objectives."""
    access = _load(request, plan_id)
    refused = _editable(request, access)
    if refused is not None:
        return refused
    sources = assessments_for_needs(request.user, access.plan)
    form = NeedsFromAssessmentForm(
        request.POST or None,
        assessments=[s["assessment"] for s in sources],
        initial={"assessment": sources[0]["assessment"].pk} if sources else None,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            assessment = Assessment.objects.get(pk=form.cleaned_data["assessment"])
            taken, status, _ = _attempt(
                form,
                lambda: services.needs_from_assessment(
                    actor=request.user, plan=access.plan, assessment=assessment
                ),
            )
            if taken is not None:
                if taken.needs or taken.objectives:
                    messages.success(
                        request,
                        f"Took {len(taken.needs)} need(s) and {len(taken.objectives)} "
                        f"objective(s) from “{assessment}”"
                        + (
                            f"; {len(taken.skipped)} priority(ies) were already in the plan."
                            if taken.skipped
                            else "."
                        ),
                    )
                else:
                    messages.info(request, "Every agreed priority is already in the plan.")
                return redirect(_detail_url(access.plan.pk, "needs"))
    return _page(
        request,
        "plans/needs_from_assessment.html",
        access,
        {"form": form, "sources": sources, "back_url": _detail_url(access.plan.pk, "needs")},
        status,
    )
