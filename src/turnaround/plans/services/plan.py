"""Starting a plan (blank, from a template, or a copy of last year's), changing its cover, and
taking needs and objectives from a finalised assessment's agreed priorities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from turnaround.accountability.models import Designation
from turnaround.assessments.access import get_assessment_for_user
from turnaround.assessments.models import Assessment, Priority
from turnaround.audit.services import audit_record, model_changes
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.frameworks.models import Indicator, Practice
from turnaround.frameworks.selectors import current_version
from turnaround.organizations.models import District, School
from turnaround.performance.models import ALL_GRADES, AssessmentResult, SchoolYearProfile
from turnaround.plans.access import can_create_plan_for, state_id_of, visible_plans
from turnaround.plans.models import (
    Action,
    ActionStatus,
    Benchmark,
    Goal,
    GoalTarget,
    Metric,
    NeedStatement,
    Objective,
    Plan,
    PlanStatus,
    PlanVersion,
    RootCause,
    Strategy,
)
from turnaround.plans.services._common import (
    CREATE,
    PREPARATION_YEARS,
    UPDATE,
    NotANumber,
    audit,
    check_unknown,
    edit_access,
    lock_plan,
    next_order,
    parse_int,
    period_dates,
    period_label,
    plain,
    priority_queryset,
    school_year_label,
    touch,
)
from turnaround.plans.templates_seed import TEMPLATES, GoalSpec, PlanTemplate

#: a plan covers 1 to 6 school years
MAX_PLAN_YEARS = 6
#: Massachusetts: a school designated underperforming works to a three-year turnaround plan and
#: is reviewed for exit after three years in status (reference §4.1)
YEARS_TO_EXIT_ELIGIBILITY = 3
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
PLAN_FIELDS = (
    "title",
    "summary",
    "first_year",
    "last_year",
    "exit_eligible_year",
    "designation_id",
)


def current_spring_year(today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return today.year + 1 if today.month >= 7 else today.year


def _snapshot(plan: Plan) -> dict[str, Any]:
    from turnaround.plans.snapshot import plan_snapshot  # lazy: snapshot reads these models

    return plan_snapshot(plan)


def _check_years(
    data: dict[str, Any], errors: dict[str, Any]
) -> tuple[int | None, int | None, int | None]:
    years: dict[str, int | None] = {}
    for name, label in (
        ("first_year", "The first year"),
        ("last_year", "The last year"),
        ("exit_eligible_year", "The year eligible to exit"),
    ):
        try:
            years[name] = parse_int(data.get(name))
        except NotANumber as exc:
            errors[name] = f"{label}: {exc}; give a spring year such as 2027 (for 2026–27)."
            years[name] = None
    first, last, exit_year = years["first_year"], years["last_year"], years["exit_eligible_year"]
    latest = current_spring_year() + 5
    for name, value in (("first_year", first), ("last_year", last)):
        if value is None and name not in errors:
            errors[name] = "Give the spring year, e.g. 2027 for the school year 2026–27."
        elif value is not None and not EARLIEST_YEAR <= value <= LATEST_YEAR:
            errors[name] = f"Give a spring year between {EARLIEST_YEAR} and {LATEST_YEAR}."
    if first is not None and last is not None and not errors:
        if first > latest:
            errors["first_year"] = (
                f"A plan starts at the latest in {latest} ({school_year_label(latest)})."
            )
        if last < first:
            errors["last_year"] = (
                f"The last year ({last}) is before the first ({first}); a plan runs forward."
            )
        elif last - first + 1 > MAX_PLAN_YEARS:
            errors["last_year"] = (
                f"A plan covers 1 to {MAX_PLAN_YEARS} school years; {first}–{last} is "
                f"{last - first + 1}."
            )
    if exit_year is not None and first is not None and "exit_eligible_year" not in errors:
        if exit_year < first:
            errors["exit_eligible_year"] = (
                f"The year eligible to exit falls within or after the plan period; {exit_year} "
                f"({school_year_label(exit_year)}) is before it begins in {first}."
            )
        elif exit_year > first + 10:
            errors["exit_eligible_year"] = (
                f"The year eligible to exit is at most ten years after the plan begins "
                f"({first + 10})."
            )
    return first, last, exit_year


def default_exit_year(designation: Designation | None, first_year: int) -> int | None:
    """The year a designated school becomes eligible to exit: three years after it entered the
    status (Massachusetts: a three-year turnaround plan, then the Commissioner's exit review) —
    never before the plan begins: a school longer in status is eligible from the first plan
    year."""
    if designation is None:
        return None
    return max(designation.entered_year + YEARS_TO_EXIT_ELIGIBILITY, first_year)


def open_designation(school: School) -> Designation | None:
    return (
        Designation.objects.filter(school=school, exited_year__isnull=True)
        .order_by("-entered_year")
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Baselines from data (a template's goals)


def baseline_from_data(school: School, spec: GoalSpec, first_year: int) -> tuple[float, int] | None:
    """The school's latest result before the plan for a template goal, as (value, year), or
    None when the platform has none in the ten years before."""
    earliest = first_year - 10
    if spec.metric in (Metric.PROFICIENCY, Metric.GROWTH):
        rows = AssessmentResult.objects.filter(
            school=school,
            subject=spec.subject,
            grade=ALL_GRADES,
            group=spec.student_group,
            year__lt=first_year,
            year__gte=earliest,
        ).order_by("-year")
        for row in rows:
            value = row.pct_proficient if spec.metric == Metric.PROFICIENCY else row.median_sgp
            if value is not None:
                return round(float(value), 1), row.year
        return None
    if spec.metric == Metric.CHRONIC_ABSENCE and spec.student_group == "all":
        profile = (
            SchoolYearProfile.objects.filter(
                school=school,
                year__lt=first_year,
                year__gte=earliest,
                chronic_absence_rate__isnull=False,
            )
            .order_by("-year")
            .first()
        )
        if profile is not None:
            return round(float(profile.chronic_absence_rate), 1), profile.year  # type: ignore[arg-type]
    return None


def _apply_template(plan: Plan, template: PlanTemplate, practices: list[Practice]) -> dict:
    by_code = {p.code: p for p in practices}
    for order, spec in enumerate(template.objectives):
        practice = by_code[spec.practice]
        objective = Objective.objects.create(
            plan=plan, title=practice.name, description=spec.description, order=order
        )
        objective.indicators.set(
            Indicator.objects.filter(component__practice=practice, is_key=True)
        )
    baselines = 0
    for order, spec in enumerate(template.goals):
        found = baseline_from_data(plan.school, spec, plan.first_year) if plan.school else None
        baselines += found is not None
        Goal.objects.create(
            plan=plan,
            order=order,
            metric=spec.metric,
            description=spec.description,
            subject=spec.subject,
            student_group=spec.student_group,
            data_source=spec.data_source,
            statutory_area=spec.statutory_area,
            baseline_value=found[0] if found else None,
            baseline_year=found[1] if found else None,
        )
    return {
        "template": template.key,
        "objectives": len(template.objectives),
        "goals": len(template.goals),
        "baselines_from_data": baselines,
    }


# ---------------------------------------------------------------------------------------------
# Copying last year's plan


def shift_date(value: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


def _copy_content(source: Plan, plan: Plan) -> dict[str, Any]:
    """Copy the source plan's content into ``plan``, shifted by the difference of their first
    years. Left out: goal targets, benchmarks and actions that would fall outside the new period,
    retired objectives and benchmarks, and priorities that are not this organisation's. Actions
    restart (not started, no date done); benchmark statuses belong to sessions and stay behind."""
    shift = plan.first_year - source.first_year
    same_org = source.school_id == plan.school_id and source.district_id == plan.district_id
    allowed_priorities = set(priority_queryset(plan).values_list("pk", flat=True))
    begins, ends = period_dates(plan.first_year, plan.last_year)
    earliest = begins.replace(year=begins.year - PREPARATION_YEARS)
    counts = {"needs": 0, "root_causes": 0, "goals": 0, "objectives": 0, "strategies": 0}
    counts.update({"actions": 0, "benchmarks": 0, "left_out": 0})

    for need in source.needs.all():
        copy = NeedStatement.objects.create(
            plan=plan,
            order=need.order,
            statement=need.statement,
            source=need.source,
            evidence=need.evidence,
            priority_id=need.priority_id if need.priority_id in allowed_priorities else None,
        )
        counts["needs"] += 1
        for cause in need.root_causes.all():
            new_cause = RootCause.objects.create(
                need=copy, order=cause.order, cause=cause.cause, evidence=cause.evidence
            )
            new_cause.indicators.set(cause.indicators.all())
            counts["root_causes"] += 1

    for goal in source.goals.all():
        targets = goal.targets.all()
        new_goal = Goal.objects.create(
            plan=plan,
            order=goal.order,
            metric=goal.metric,
            description=goal.description,
            student_group=goal.student_group,
            subject=goal.subject,
            baseline_value=goal.baseline_value,
            baseline_year=goal.baseline_year,
            data_source=goal.data_source,
            statutory_area=goal.statutory_area,
        )
        counts["goals"] += 1
        for target in targets:
            year = target.year + shift
            if plan.first_year <= year <= plan.last_year:
                GoalTarget.objects.create(goal=new_goal, year=year, value=target.value)
            else:
                counts["left_out"] += 1

    objectives: dict[int, Objective] = {}
    for objective in source.objectives.filter(is_active=True):
        new_objective = Objective.objects.create(
            plan=plan,
            order=objective.order,
            title=objective.title,
            description=objective.description,
        )
        new_objective.indicators.set(objective.indicators.all())
        new_objective.priorities.set(
            [p for p in objective.priorities.all() if p.pk in allowed_priorities]
        )
        objectives[objective.pk] = new_objective
        counts["objectives"] += 1
        for strategy in objective.strategies.all():
            new_strategy = Strategy.objects.create(
                objective=new_objective,
                order=strategy.order,
                title=strategy.title,
                rationale=strategy.rationale,
            )
            counts["strategies"] += 1
            for action in strategy.actions.all():
                starts, due = shift_date(action.starts_on, shift), shift_date(action.due_on, shift)
                if starts < earliest or due > ends:
                    counts["left_out"] += 1
                    continue
                Action.objects.create(
                    strategy=new_strategy,
                    order=action.order,
                    title=action.title,
                    owner=action.owner,
                    owner_user_id=action.owner_user_id if same_org else None,
                    starts_on=starts,
                    due_on=due,
                    status=ActionStatus.NOT_STARTED,
                    cost=action.cost,
                    funding_source=action.funding_source,
                )
                counts["actions"] += 1

    for benchmark in source.benchmarks.filter(is_active=True):
        year = benchmark.due_year + shift
        if not plan.first_year <= year <= plan.last_year:
            counts["left_out"] += 1
            continue
        Benchmark.objects.create(
            plan=plan,
            order=benchmark.order,
            objective=objectives.get(benchmark.objective_id) if benchmark.objective_id else None,
            kind=benchmark.kind,
            measure=benchmark.measure,
            data_source=benchmark.data_source,
            unit=benchmark.unit,
            baseline=benchmark.baseline,
            target=benchmark.target,
            due_year=year,
            due_quarter=benchmark.due_quarter,
            frequency=benchmark.frequency,
        )
        counts["benchmarks"] += 1
    return {"copied_from": source.pk, "shifted_years": shift, **counts}


# ---------------------------------------------------------------------------------------------
# plan_create


def plan_create(
    *,
    actor: Any,
    school: School | None = None,
    district: District | None = None,
    title: str,
    first_year: Any,
    last_year: Any,
    exit_eligible_year: Any = None,
    designation: Designation | int | None = None,
    template: str | None = None,
    copy_from: Plan | int | None = None,
) -> Plan:
    """Start a draft plan for one school or one district, covering 1–6 school years.

    - Who: the school's leaders or its district's leaders (``access.can_create_plan_for``).
    - ``exit_eligible_year`` (spring year) falls within or after the period. Left out for a
      school, it comes from the school's open designation (``designation``, or the most recent
      one without an exit year): the year it entered the status plus three — in Massachusetts a
      designated school works to a three-year turnaround plan and is then reviewed for exit —
      and never earlier than the first plan year.
    - ``template`` (a key of ``templates_seed.TEMPLATES``) adds one objective per practice of the
      published framework and the standard goals without targets; ``copy_from`` (a plan the
      actor can see, usually last year's) copies its content shifted to the new years (see
      ``_copy_content``) and records ``copied_from``. Not both.
    - Always stores version 1 ("create") with a snapshot of the content.
    """
    errors: dict[str, Any] = {}
    if (school is None) == (district is None):
        raise ValidationError({"school": "A plan is for one school or one district; choose one."})
    org_name = school.name if school is not None else district.name  # type: ignore[union-attr]
    if not can_create_plan_for(
        actor,
        school_id=school.pk if school is not None else None,
        district_id=district.pk if district is not None else None,
    ):
        who = "the school's leaders and its district's" if school is not None else "the district's"
        raise PermissionDenied(f"Only {who} leaders start a plan for {org_name}.")
    if school is not None:
        school = School.objects.select_related("district__state").get(pk=school.pk)
    else:
        district = District.objects.select_related("state").get(pk=district.pk)  # type: ignore[union-attr]
    title = (title or "").strip()
    if not title:
        errors["title"] = "Give the plan a title, e.g. “Turnaround plan 2026–2029”."
    elif len(title) > 200:
        errors["title"] = "Keep the title to 200 characters."
    first, last, exit_year = _check_years(
        {
            "first_year": first_year,
            "last_year": last_year,
            "exit_eligible_year": exit_eligible_year,
        },
        errors,
    )

    chosen_designation: Designation | None = None
    if designation is not None:
        pk = designation.pk if isinstance(designation, Designation) else designation
        chosen_designation = (
            Designation.objects.filter(pk=pk, school=school).first() if school else None
        )
        if chosen_designation is None:
            errors["designation"] = f"Choose a designation of {org_name}."
    elif school is not None:
        chosen_designation = open_designation(school)
    if exit_year is None and first is not None and "exit_eligible_year" not in errors:
        exit_year = default_exit_year(chosen_designation, first)

    chosen_template: PlanTemplate | None = None
    practices: list[Practice] = []
    if template:
        chosen_template = TEMPLATES.get(template)
        if chosen_template is None:
            errors["template"] = (
                f"Unknown template “{template}”; choose one of: " + ", ".join(TEMPLATES) + "."
            )
        else:
            state = school.district.state if school is not None else district.state  # type: ignore[union-attr]
            version = current_version(chosen_template.framework_key, state=state)
            wanted = [o.practice for o in chosen_template.objectives]
            if version is not None:
                practices = list(
                    Practice.objects.filter(framework_version=version, code__in=wanted)
                )
            if version is None or len(practices) != len(set(wanted)):
                errors["template"] = (
                    f"The template “{chosen_template.name}” needs the published Turnaround "
                    f"Practices framework (practices {', '.join(wanted)}), and {state.name} has "
                    "none yet; start a blank plan, or ask a state administrator to publish it."
                )

    source: Plan | None = None
    if copy_from is not None:
        pk = copy_from.pk if isinstance(copy_from, Plan) else copy_from
        source = visible_plans(actor).filter(pk=pk).first()
        if source is None:
            errors["copy_from"] = "Choose a plan you can see to copy."
        if template:
            errors["template"] = "Start from a template or from a copy of a plan, not both."
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        plan = Plan.objects.create(
            school=school,
            district=district,
            title=title,
            first_year=first,
            last_year=last,
            exit_eligible_year=exit_year,
            designation=chosen_designation,
            status=PlanStatus.DRAFT,
            copied_from=source,
            summary=source.summary if source is not None else "",
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        content: dict[str, Any] = {}
        if chosen_template is not None:
            content = _apply_template(plan, chosen_template, practices)
        elif source is not None:
            content = _copy_content(source, plan)
        PlanVersion.objects.create(
            plan=plan,
            number=1,
            status=PlanStatus.DRAFT,
            transition="create",
            comment=_creation_comment(chosen_template, source),
            snapshot=_snapshot(plan),
            created_by=plan.created_by,
        )
        audit_record(
            actor=actor,
            action=CREATE,
            obj=plan,
            state_id=state_id_of(plan),
            changes={**plain(plan, PLAN_FIELDS), **content},
        )
    return plan


def _creation_comment(template: PlanTemplate | None, source: Plan | None) -> str:
    if template is not None:
        return f"Started from the template “{template.name}”."
    if source is not None:
        return f"Copied from “{source.title}” ({period_label(source)})."
    return "Started blank."


# ---------------------------------------------------------------------------------------------
# plan_update (the cover)


def _outside_period(plan: Plan, first: int, last: int) -> dict[str, list[str]]:
    """What the content has outside a new period, by the side it falls on."""
    begins, ends = period_dates(first, last)
    earliest = begins.replace(year=begins.year - PREPARATION_YEARS)
    before: list[str] = []
    after: list[str] = []
    for t in GoalTarget.objects.filter(goal__plan=plan).select_related("goal"):
        if t.year < first:
            before.append(f"the {t.year} target of “{t.goal}”")
        elif t.year > last:
            after.append(f"the {t.year} target of “{t.goal}”")
    for b in Benchmark.objects.filter(plan=plan):
        if b.due_year < first:
            before.append(f"the benchmark “{b}” due {b.due_label}")
        elif b.due_year > last:
            after.append(f"the benchmark “{b}” due {b.due_label}")
    for a in Action.objects.filter(strategy__objective__plan=plan):
        if a.starts_on < earliest:
            before.append(f"the action “{a}” starting {a.starts_on.isoformat()}")
        if a.due_on > ends:
            after.append(f"the action “{a}” due {a.due_on.isoformat()}")
    return {"first_year": before, "last_year": after}


def plan_update(*, actor: Any, plan: Plan, expected_version: int, changes: dict[str, Any]) -> Plan:
    """Change the cover: ``title``, ``summary`` (executive summary), ``first_year``,
    ``last_year``, ``exit_eligible_year`` or ``designation``. A new period must still hold every
    goal target, benchmark and action; those that would fall outside are named."""
    check_unknown(changes, ("title", "summary", *PLAN_FIELDS[2:5], "designation"))
    access = edit_access(actor, plan)
    current = access.plan
    before = plain(current, PLAN_FIELDS)
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if "title" in changes:
        values["title"] = (changes["title"] or "").strip()
        if not values["title"]:
            errors["title"] = "Give the plan a title."
        elif len(values["title"]) > 200:
            errors["title"] = "Keep the title to 200 characters."
    if "summary" in changes:
        values["summary"] = (changes["summary"] or "").strip()
        if len(values["summary"]) > 20000:
            errors["summary"] = "Keep the executive summary to 20,000 characters."
    years = {
        "first_year": changes.get("first_year", current.first_year),
        "last_year": changes.get("last_year", current.last_year),
        "exit_eligible_year": changes.get("exit_eligible_year", current.exit_eligible_year),
    }
    first, last, exit_year = _check_years(years, errors)
    values.update(first_year=first, last_year=last, exit_eligible_year=exit_year)
    if "designation" in changes:
        value = changes["designation"]
        if value in (None, ""):
            values["designation_id"] = None
        else:
            pk = value.pk if isinstance(value, Designation) else value
            found = Designation.objects.filter(pk=pk, school_id=current.school_id).first()
            if current.school_id is None or found is None:
                errors["designation"] = "Choose a designation of this plan's school."
            else:
                values["designation_id"] = found.pk
    moved = first is not None and (first, last) != (current.first_year, current.last_year)
    if not errors and moved and last is not None:
        for side, items in _outside_period(current, first, last).items():
            if items:
                shown = "; ".join(items[:5]) + (
                    f"; and {len(items) - 5} more" if len(items) > 5 else ""
                )
                errors[side] = (
                    f"The new period {period_label((first, last))} leaves out {shown}. "
                    "Change or remove them first."
                )
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(current, name, value)
    diff = model_changes(before, plain(current, PLAN_FIELDS))
    if not diff:
        if current.version != expected_version:
            raise StaleEditError(current)
        return current
    with transaction.atomic():
        lock_plan(current)
        current.updated_at = timezone.now()
        save_versioned(current, fields=[*diff, "updated_at"], expected_version=expected_version)
        audit(actor=actor, action=UPDATE, obj=current, plan=current, changes=diff)
    return current


# ---------------------------------------------------------------------------------------------
# Needs from an assessment


@dataclass
class NeedsTaken:
    """What ``needs_from_assessment`` did."""

    needs: list[NeedStatement] = field(default_factory=list)
    objectives: list[Objective] = field(default_factory=list)
    #: priorities this plan had already taken
    skipped: list[Priority] = field(default_factory=list)


def needs_from_assessment(*, actor: Any, plan: Plan, assessment: Assessment) -> NeedsTaken:
    """Take a finalised assessment's agreed priorities into the plan: for each, a need statement
    (source: site visit or self-assessment, linked to the priority; the statement is what the
    evidence and ratings showed) and an objective linked to the priority and its indicator (its
    description: the suggested actions). The priority is marked "taken into the plan".

    Idempotent: a priority this plan already took is skipped (each part separately: a need is
    not added twice, nor an objective).
    """
    access = edit_access(actor, plan)
    current = access.plan
    try:
        seen = get_assessment_for_user(actor, assessment.pk).assessment
    except Exception as exc:  # Http404: the actor cannot see it
        raise ValidationError({"assessment": "Choose an assessment you can see."}) from exc
    own = (
        seen.school_id == current.school_id
        if current.school_id is not None
        else seen.district_id == current.district_id
    )
    if not own:
        raise ValidationError(
            {"assessment": "That assessment is not of this plan's school or district."}
        )
    if seen.status != Assessment.Status.FINALISED:
        raise ValidationError(
            {
                "assessment": f"Take needs from a finalised assessment; “{seen}” is at "
                f"“{seen.get_status_display().lower()}”."
            }
        )
    priorities = list(
        Priority.objects.filter(assessment=seen)
        .exclude(status=Priority.Status.PROPOSED)
        .select_related("practice", "indicator")
        .order_by("rank")
    )
    if not priorities:
        raise ValidationError(
            {
                "assessment": f"“{seen}” has no agreed priorities yet: agree them with the school "
                "in the report first."
            }
        )
    source = (
        NeedStatement.Source.SITE_VISIT
        if seen.kind == Assessment.Kind.SITE_VISIT
        else NeedStatement.Source.SELF_ASSESSMENT
    )
    result = NeedsTaken()
    with transaction.atomic():
        lock_plan(current)
        with_need = set(
            NeedStatement.objects.filter(plan=current, priority__in=priorities).values_list(
                "priority_id", flat=True
            )
        )
        with_objective = set(
            Objective.priorities.through.objects.filter(
                objective__plan=current, priority__in=priorities
            ).values_list("priority_id", flat=True)
        )
        need_order = next_order(current.needs.all())
        objective_order = next_order(current.objectives.all())
        for p in priorities:
            if p.pk in with_need and p.pk in with_objective:
                result.skipped.append(p)
                continue
            if p.pk not in with_need:
                need = NeedStatement.objects.create(
                    plan=current,
                    order=need_order,
                    statement=p.why or p.title,
                    source=source,
                    evidence=f"{seen.title} ({seen.school_year}), priority {p.rank}: {p.title}",
                    priority=p,
                )
                need_order += 1
                result.needs.append(need)
                audit(
                    actor=actor,
                    action=CREATE,
                    obj=need,
                    plan=current,
                    changes={"from_priority": p.pk, "assessment": seen.pk},
                )
            if p.pk not in with_objective:
                objective = Objective.objects.create(
                    plan=current,
                    order=objective_order,
                    title=p.title,
                    description=p.suggested_actions,
                )
                objective_order += 1
                objective.priorities.set([p])
                if p.indicator_id is not None:
                    objective.indicators.set([p.indicator_id])
                result.objectives.append(objective)
                audit(
                    actor=actor,
                    action=CREATE,
                    obj=objective,
                    plan=current,
                    changes={
                        "from_priority": p.pk,
                        "indicator": getattr(p.indicator, "code", None),
                    },
                )
            if p.status != Priority.Status.IN_PLAN:
                p.status = Priority.Status.IN_PLAN
                save_versioned(p, fields=["status"], expected_version=p.version)
                audit(
                    actor=actor,
                    action=UPDATE,
                    obj=p,
                    plan=current,
                    changes={"status": [Priority.Status.AGREED, Priority.Status.IN_PLAN]},
                )
        if result.needs or result.objectives:
            touch(current)
    return result
