"""Reading plans: the list a user sees, a plan's whole content in the state-template order, and
the choices the plan builder offers (organisations, indicators, priorities, owners). Who sees a
plan is decided in ``plans.access`` only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from turnaround.accounts.access import get_reach
from turnaround.accounts.models import Membership, User
from turnaround.assessments.access import visible_assessments
from turnaround.assessments.models import Assessment, Priority
from turnaround.organizations.models import District, School
from turnaround.organizations.selectors import FilterError
from turnaround.partners.models import FundingSource
from turnaround.performance.models import StudentGroup
from turnaround.plans.access import visible_plans
from turnaround.plans.models import (
    Action,
    Benchmark,
    BenchmarkKind,
    Goal,
    NeedStatement,
    Objective,
    Plan,
    PlanStatus,
    RootCause,
    Strategy,
)
from turnaround.plans.services._common import (
    indicator_queryset,
    priority_queryset,
    school_year_label,
)

# ---------------------------------------------------------------------------------------------
# The list


@dataclass(frozen=True)
class PlanFilters:
    status: str = ""
    district: int | None = None
    school: int | None = None
    #: a spring year the plan covers
    year: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PlanFilters:
        errors: dict[str, str] = {}
        status = (params.get("status") or "").strip()
        if status and status not in PlanStatus.values:
            errors["status"] = "allowed: " + ", ".join(PlanStatus.values)
        ints: dict[str, int | None] = {}
        for name in ("district", "school", "year"):
            raw = params.get(name)
            raw = raw.strip() if isinstance(raw, str) else raw
            if raw in (None, ""):
                ints[name] = None
                continue
            try:
                ints[name] = int(raw)
            except (TypeError, ValueError):
                errors[name] = (
                    "a spring year such as 2027" if name == "year" else f"a {name} id (a number)"
                )
        if errors:
            raise FilterError(errors)
        return cls(status=status, **ints)


def plan_list(user: User | object, filters: PlanFilters | None = None) -> QuerySet[Plan]:
    """The plans ``user`` sees, newest period first, with their organisation."""
    f = filters or PlanFilters()
    qs = visible_plans(user).select_related("school__district", "district")
    if f.status:
        qs = qs.filter(status=f.status)
    if f.district is not None:
        qs = qs.filter(Q(school__district_id=f.district) | Q(district_id=f.district))
    if f.school is not None:
        qs = qs.filter(school_id=f.school)
    if f.year is not None:
        qs = qs.filter(first_year__lte=f.year, last_year__gte=f.year)
    return qs.order_by("-first_year", "school__name", "district__name", "title")


def filter_districts(user: User | object) -> QuerySet[District]:
    """Districts with a plan the user sees (the list's district filter)."""
    ids = set(
        visible_plans(user)
        .exclude(school__isnull=True)
        .values_list("school__district_id", flat=True)
    ) | set(
        visible_plans(user).exclude(district__isnull=True).values_list("district_id", flat=True)
    )
    return District.objects.filter(pk__in=ids).order_by("name")


def filter_years(user: User | object) -> list[int]:
    spans = visible_plans(user).values_list("first_year", "last_year").distinct()
    years = {y for first, last in spans for y in range(first, last + 1)}
    return sorted(years, reverse=True)


def latest_plan_for(
    user: User | object, *, school: School | None = None, district: District | None = None
) -> Plan | None:
    """The organisation's most recent plan the user sees (what "copy last year's plan"
    preselects)."""
    qs = visible_plans(user)
    qs = qs.filter(school=school) if school is not None else qs.filter(district=district)
    return qs.order_by("-last_year", "-first_year", "-created_at").first()


def copyable_plans(user: User | object, *, school: School | None, district: District | None):
    """Plans the user may copy: the organisation's own first, then the rest they see."""
    qs = visible_plans(user).select_related("school", "district")
    own = qs.filter(school=school) if school is not None else qs.filter(district=district)
    rest = qs.exclude(pk__in=own.values("pk"))
    ordering = ("-last_year", "-first_year", "title")
    return list(own.order_by(*ordering)) + list(rest.order_by(*ordering)[:50])


def creatable_organisations(user: User | object) -> dict[str, list[Any]]:
    """Schools and districts ``user`` may start a plan for (``access.can_create_plan_for``:
    the schools they lead, and the schools and the district of the districts they lead)."""
    reach = get_reach(user)
    schools = School.objects.filter(
        Q(pk__in=reach.school_ids) | Q(district_id__in=reach.district_ids)
    ).select_related("district")
    districts = District.objects.filter(pk__in=reach.district_ids)
    return {
        "schools": list(schools.order_by("district__name", "name")),
        "districts": list(districts.order_by("name")),
    }


def can_start_any_plan(user: User | object) -> bool:
    reach = get_reach(user)
    return bool(reach.school_ids or reach.district_ids)


# ---------------------------------------------------------------------------------------------
# One plan's content


def plan_content(plan: Plan) -> dict[str, Any]:
    """Everything the plan page shows, in the state template's order: needs with their root
    causes, goals with a target per plan year, active objectives → strategies → actions,
    benchmarks by kind, what is retired, and the cost by funding source."""
    years = plan.years
    needs = list(
        NeedStatement.objects.filter(plan=plan)
        .select_related("priority__assessment")
        .prefetch_related(
            Prefetch(
                "root_causes",
                queryset=RootCause.objects.prefetch_related("indicators").order_by("order", "pk"),
            )
        )
        .order_by("order", "pk")
    )
    goals = list(Goal.objects.filter(plan=plan).prefetch_related("targets").order_by("order", "pk"))
    goal_rows = []
    groups = dict(StudentGroup.choices)
    for goal in goals:
        by_year = {t.year: t.value for t in goal.targets.all()}
        goal_rows.append(
            {
                "goal": goal,
                "group": groups.get(goal.student_group, goal.student_group),
                "targets": [{"year": y, "value": by_year.get(y)} for y in years],
                "missing": [y for y in years if y not in by_year],
            }
        )
    actions = Prefetch(
        "actions",
        queryset=Action.objects.select_related("owner_user").order_by("order", "pk"),
    )
    strategies = Prefetch(
        "strategies",
        queryset=Strategy.objects.prefetch_related(actions).order_by("order", "pk"),
    )
    objectives = list(
        Objective.objects.filter(plan=plan)
        .prefetch_related(
            "indicators", Prefetch("priorities", queryset=Priority.objects.all()), strategies
        )
        .order_by("order", "pk")
    )
    benchmarks = list(
        Benchmark.objects.filter(plan=plan).select_related("objective").order_by("order", "pk")
    )
    by_kind = [
        {
            "kind": kind,
            "label": label,
            "items": [b for b in benchmarks if b.kind == kind and b.is_active],
        }
        for kind, label in BenchmarkKind.choices
    ]
    costs: dict[str, Decimal] = defaultdict(Decimal)
    for objective in objectives:
        if not objective.is_active:
            continue
        for strategy in objective.strategies.all():
            for action in strategy.actions.all():
                if action.cost is not None:
                    costs[action.funding_source] += action.cost
    funding_labels = dict(FundingSource.choices)
    cost_rows = [
        {"source": funding_labels.get(key, "Not yet decided"), "amount": amount}
        for key, amount in sorted(costs.items(), key=lambda kv: -kv[1])
    ]
    return {
        "years": [{"year": y, "label": school_year_label(y)} for y in years],
        "needs": needs,
        "goals": goal_rows,
        "goals_missing_targets": sum(1 for g in goal_rows if g["missing"]),
        "objectives": [o for o in objectives if o.is_active],
        "retired_objectives": [o for o in objectives if not o.is_active],
        "benchmarks_by_kind": by_kind,
        "retired_benchmarks": [b for b in benchmarks if not b.is_active],
        "costs": cost_rows,
        "total_cost": sum(costs.values(), Decimal(0)),
    }


def assessments_for_needs(user: User | object, plan: Plan) -> list[dict[str, Any]]:
    """Finalised assessments of the plan's school (or district) the user sees that have agreed
    priorities, with how many this plan has not taken yet."""
    qs = visible_assessments(user).filter(status=Assessment.Status.FINALISED)
    qs = (
        qs.filter(school_id=plan.school_id)
        if plan.school_id is not None
        else qs.filter(district_id=plan.district_id)
    )
    out = []
    taken = set(
        NeedStatement.objects.filter(plan=plan, priority__isnull=False).values_list(
            "priority_id", flat=True
        )
    ) & set(
        Objective.priorities.through.objects.filter(objective__plan=plan).values_list(
            "priority_id", flat=True
        )
    )
    for assessment in qs.distinct().order_by("-start_date"):
        priorities = list(
            assessment.priorities.exclude(status=Priority.Status.PROPOSED).order_by("rank")
        )
        if priorities:
            out.append(
                {
                    "assessment": assessment,
                    "priorities": priorities,
                    "new": [p for p in priorities if p.pk not in taken],
                }
            )
    return out


# ---------------------------------------------------------------------------------------------
# Choices for the builder's forms


def indicator_choices(plan: Plan) -> list[tuple[str, list[tuple[str, str]]]]:
    """The published framework's indicators, grouped by practice: (group label, [(code,
    label)])."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for indicator in indicator_queryset(plan):
        practice = indicator.component.practice
        label = f"{practice.code} {practice.name}"
        text = indicator.text if len(indicator.text) <= 90 else indicator.text[:89] + "…"
        groups.setdefault(label, []).append((indicator.code, f"{indicator.code} {text}"))
    return list(groups.items())


def priority_choices(plan: Plan) -> list[tuple[str, str]]:
    return [
        (str(p.pk), f"{p.assessment.title} ({p.assessment.school_year}) — {p.rank}. {p.title}")
        for p in priority_queryset(plan)
    ]


def owner_choices(plan: Plan) -> QuerySet[User]:
    """People who may be named as an action's owner: members of the plan's school and
    district."""
    q = Q(district_id=plan.district_id) if plan.district_id else Q(pk__in=[])
    if plan.school_id is not None:
        q = Q(school_id=plan.school_id) | Q(district_id=plan.school.district_id)  # type: ignore[union-attr]
    ids = Membership.objects.filter(q).values_list("user_id", flat=True)
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")
