"""Plan health at a glance, for the state and district dashboards, and a plan's "where are we
now" progress.

**Which plan a row shows.** One row per school (and per district with a district plan) with a plan
in force: the latest plan (by first year) that the state has approved or that is in monitoring
(it has sessions — e.g. an approved plan being amended).

**The figures of a row.**

- Benchmarks: each active benchmark's *latest* status (from the latest session, by school year and
  quarter, that recorded one); the shares on track / at risk / off track / met are of all active
  benchmarks, and "not yet reported" (no status in any session) is counted separately, so the five
  add up to the active benchmarks.
- Overdue actions: actions of active objectives due before today and neither done nor dropped.
- Overdue next steps: open next steps due before today.
- Last session: the latest session that has opened (scheduled ones have not happened yet).
- Days since the last update: from the latest of the plan's own last change, the last session's
  date and the last benchmark status recorded.
- Health: **red** when at least a quarter of the active benchmarks are off track or nothing has
  been updated for more than 120 days; **amber** when any benchmark is off track or at risk or not
  yet reported, anything is overdue, or no session has been held; **green** otherwise.

Everything is computed with a fixed number of aggregate queries (the plans with their session,
status and overdue figures as subqueries; one grouped count of benchmark statuses; one query of
designations), whatever the number of schools.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from turnaround.accountability.models import Designation, DesignationStatus
from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.monitoring.selectors import quarter_label
from turnaround.plans.models import Action, ActionStatus, Benchmark, Plan, PlanStatus

STATUSES: tuple[tuple[str, str], ...] = (
    ("on_track", "On track"),
    ("at_risk", "At risk"),
    ("off_track", "Off track"),
    ("met", "Met"),
    ("not_reported", "Not yet reported"),
)
HEALTH_LABELS = {"red": "Needs attention", "amber": "Watch", "green": "On course"}
RED_OFF_TRACK_SHARE = 25.0
STALE_DAYS = 120
CLOSED_ACTION_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)
HELD_OR_OPEN = (StrategySession.Status.OPEN, StrategySession.Status.HELD)


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class PlanHealth:
    plan_id: int
    plan_title: str
    plan_status: str
    plan_status_label: str
    kind: str  # "school" or "district"
    school_id: int | None
    name: str
    district_id: int
    district_name: str
    exit_eligible_year: int | None
    designation: str
    designation_entered: int | None
    counts: dict[str, int] = field(default_factory=dict)
    active_benchmarks: int = 0
    overdue_actions: int = 0
    overdue_next_steps: int = 0
    last_session_on: dt.date | None = None
    last_session_id: int | None = None
    last_session_label: str = ""
    last_update_on: dt.date | None = None
    days_since_update: int | None = None

    def share(self, status: str) -> float | None:
        return _share(self.counts.get(status, 0), self.active_benchmarks)

    @cached_property
    def shares(self) -> dict[str, float | None]:
        return {key: self.share(key) for key, _ in STATUSES}

    @cached_property
    def health(self) -> str:
        off = self.share("off_track") or 0.0
        stale = self.days_since_update is not None and self.days_since_update > STALE_DAYS
        if off >= RED_OFF_TRACK_SHARE or stale:
            return "red"
        c = self.counts
        if (
            c.get("off_track")
            or c.get("at_risk")
            or c.get("not_reported")
            or self.overdue_actions
            or self.overdue_next_steps
            or self.last_session_on is None
        ):
            return "amber"
        return "green"

    @property
    def health_label(self) -> str:
        return HEALTH_LABELS[self.health]

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "plan_title": self.plan_title,
            "plan_status": self.plan_status,
            "kind": self.kind,
            "school_id": self.school_id,
            "name": self.name,
            "district_id": self.district_id,
            "district_name": self.district_name,
            "designation": self.designation,
            "designation_entered": self.designation_entered,
            "exit_eligible_year": self.exit_eligible_year,
            "active_benchmarks": self.active_benchmarks,
            "counts": {key: self.counts.get(key, 0) for key, _ in STATUSES},
            "shares": self.shares,
            "overdue_actions": self.overdue_actions,
            "overdue_next_steps": self.overdue_next_steps,
            "last_session_on": self.last_session_on,
            "last_session_id": self.last_session_id,
            "last_update_on": self.last_update_on,
            "days_since_update": self.days_since_update,
            "health": self.health,
        }


def _count(qs: QuerySet[Any], outer: str) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``qs`` rows whose ``outer`` is the outer plan."""
    counted = (
        qs.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _in_force(plans: QuerySet[Plan], today: dt.date) -> list[Plan]:
    monitored = StrategySession.objects.values("plan_id")
    last_sessions = StrategySession.objects.filter(
        plan=OuterRef("pk"), status__in=HELD_OR_OPEN
    ).order_by("-year", "-quarter", "-held_on")
    candidates = (
        plans.filter(Q(status=PlanStatus.STATE_APPROVED) | Q(pk__in=monitored))
        .select_related("school__district", "district", "designation")
        .annotate(
            last_session_on=Subquery(last_sessions.values("held_on")[:1]),
            last_session_id=Subquery(last_sessions.values("pk")[:1]),
            last_session_year=Subquery(last_sessions.values("year")[:1]),
            last_session_quarter=Subquery(last_sessions.values("quarter")[:1]),
            last_status_at=Subquery(
                BenchmarkStatus.objects.filter(session__plan=OuterRef("pk"))
                .order_by("-recorded_at")
                .values("recorded_at")[:1]
            ),
            overdue_actions=_count(
                Action.objects.filter(
                    strategy__objective__is_active=True, due_on__lt=today
                ).exclude(status__in=CLOSED_ACTION_STATUSES),
                "strategy__objective__plan",
            ),
            overdue_next_steps=_count(
                NextStep.objects.filter(closed_at__isnull=True, due_on__lt=today), "plan"
            ),
        )
        .order_by("-first_year", "-pk")
    )
    chosen: dict[tuple[str, int], Plan] = {}
    for plan in candidates:
        key = ("school", plan.school_id) if plan.school_id else ("district", plan.district_id)
        chosen.setdefault(key, plan)  # type: ignore[arg-type]
    return list(chosen.values())


def plan_health(plans: QuerySet[Plan], *, today: dt.date | None = None) -> list[PlanHealth]:
    """One row per school (or district) with a plan in force among ``plans`` (already limited to
    what the user sees). Sorted by name."""
    today = today or timezone.localdate()
    in_force = _in_force(plans, today)
    ids = [p.pk for p in in_force]
    latest_status = (
        BenchmarkStatus.objects.filter(benchmark=OuterRef("pk"))
        .order_by("-session__year", "-session__quarter", "-recorded_at", "-pk")
        .values("status")[:1]
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    grouped = (
        Benchmark.objects.filter(plan_id__in=ids, is_active=True)
        .annotate(latest=Subquery(latest_status))
        .order_by()
        .values("plan_id", "latest")
        .annotate(n=Count("pk"))
    )
    for row in grouped:
        key = row["latest"] or "not_reported"
        counts[row["plan_id"]][key] = counts[row["plan_id"]].get(key, 0) + row["n"]
    school_ids = [p.school_id for p in in_force if p.school_id and p.designation_id is None]
    current_designation: dict[int, Designation] = {}
    for d in Designation.objects.filter(
        school_id__in=school_ids, exited_year__isnull=True
    ).order_by("school_id", "-entered_year"):
        current_designation.setdefault(d.school_id, d)
    labels = dict(DesignationStatus.choices)
    rows = []
    for p in in_force:
        designation = p.designation or current_designation.get(p.school_id or 0)
        school = p.school
        district = school.district if school is not None else p.district
        last_status_day = (
            timezone.localdate(p.last_status_at) if p.last_status_at is not None else None
        )
        updates = [timezone.localdate(p.updated_at), p.last_session_on, last_status_day]
        known = [d for d in updates if d is not None]
        last_update = max(known) if known else None
        plan_counts = counts.get(p.pk, {})
        rows.append(
            PlanHealth(
                plan_id=p.pk,
                plan_title=p.title,
                plan_status=p.status,
                plan_status_label=p.get_status_display(),
                kind="school" if school is not None else "district",
                school_id=p.school_id,
                name=school.name if school is not None else f"{district.name} (district plan)",
                district_id=district.pk,
                district_name=district.name,
                exit_eligible_year=p.exit_eligible_year,
                designation=str(labels.get(designation.status, designation.status))
                if designation
                else "",
                designation_entered=designation.entered_year if designation else None,
                counts=plan_counts,
                active_benchmarks=sum(plan_counts.values()),
                overdue_actions=p.overdue_actions,
                overdue_next_steps=p.overdue_next_steps,
                last_session_on=p.last_session_on,
                last_session_id=p.last_session_id,
                last_session_label=quarter_label(p.last_session_year, p.last_session_quarter)
                if p.last_session_id
                else "",
                last_update_on=last_update,
                days_since_update=max(0, (today - last_update).days) if last_update else None,
            )
        )
    rows.sort(key=lambda r: (r.name.lower(), r.plan_id))
    return rows


SORTS: dict[str, Any] = {
    "name": lambda r: r.name.lower(),
    "district": lambda r: (r.district_name.lower(), r.name.lower()),
    "health": lambda r: ({"red": 0, "amber": 1, "green": 2}[r.health], r.name.lower()),
    "on_track": lambda r: r.share("on_track"),
    "at_risk": lambda r: r.share("at_risk"),
    "off_track": lambda r: r.share("off_track"),
    "met": lambda r: r.share("met"),
    "not_reported": lambda r: r.counts.get("not_reported", 0),
    "overdue_actions": lambda r: r.overdue_actions,
    "overdue_next_steps": lambda r: r.overdue_next_steps,
    "last_session": lambda r: r.last_session_on,
    "days_since_update": lambda r: r.days_since_update,
    "exit_year": lambda r: r.exit_eligible_year,
}


def sort_rows(rows: list[PlanHealth], sort: str) -> list[PlanHealth]:
    """Sort by one of ``SORTS`` (``-name`` for descending); missing values always last."""
    descending = sort.startswith("-")
    key = SORTS[sort.lstrip("-")]
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=key, reverse=descending)
    return present + missing


def filter_rows(
    rows: list[PlanHealth], *, district_id: int | None = None, health: str = ""
) -> list[PlanHealth]:
    if district_id is not None:
        rows = [r for r in rows if r.district_id == district_id]
    if health:
        rows = [r for r in rows if r.health == health]
    return rows


EXPORT_HEADER = [
    "School or district",
    "District",
    "Plan",
    "Plan status",
    "Designation",
    "Designated since",
    "Exit-eligible year",
    "Active benchmarks",
    "On track",
    "At risk",
    "Off track",
    "Met",
    "Not yet reported",
    "On track (%)",
    "At risk (%)",
    "Off track (%)",
    "Met (%)",
    "Overdue actions",
    "Overdue next steps",
    "Last session",
    "Last session date",
    "Days since last update",
    "Health",
]


def export_rows(rows: list[PlanHealth]) -> list[list[Any]]:
    out = []
    for r in rows:
        c = r.counts
        out.append(
            [
                r.name,
                r.district_name,
                r.plan_title,
                r.plan_status_label,
                r.designation,
                r.designation_entered,
                r.exit_eligible_year,
                r.active_benchmarks,
                c.get("on_track", 0),
                c.get("at_risk", 0),
                c.get("off_track", 0),
                c.get("met", 0),
                c.get("not_reported", 0),
                r.share("on_track"),
                r.share("at_risk"),
                r.share("off_track"),
                r.share("met"),
                r.overdue_actions,
                r.overdue_next_steps,
                r.last_session_label,
                r.last_session_on.isoformat() if r.last_session_on else "",
                r.days_since_update,
                r.health_label,
            ]
        )
    return out


# ---------------------------------------------------------------------------------------------
# One plan: "where are we now"

ACTION_GROUPS: tuple[tuple[str, str], ...] = (
    ("done", "Done"),
    ("in_progress", "In progress (including blocked)"),
    ("not_started", "Not started"),
    ("overdue", "Overdue"),
)


@dataclass
class Progress:
    plan: Plan
    #: one row per session: label, session id, status counts (held sessions: what was
    #: recorded; open and scheduled ones also count active benchmarks not yet reported)
    sessions: list[dict[str, Any]]
    #: action counts by group (dropped actions are left out and counted apart)
    actions: dict[str, int]
    dropped_actions: int
    #: each active benchmark with its latest status
    benchmarks: list[dict[str, Any]]

    @property
    def actions_total(self) -> int:
        return sum(self.actions.values())

    @property
    def action_rows(self) -> list[dict[str, Any]]:
        total = self.actions_total
        return [
            {
                "key": key,
                "label": label,
                "count": self.actions.get(key, 0),
                "share": _share(self.actions.get(key, 0), total),
            }
            for key, label in ACTION_GROUPS
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan.pk,
            "sessions": self.sessions,
            "actions": self.action_rows,
            "actions_total": self.actions_total,
            "dropped_actions": self.dropped_actions,
            "benchmarks": self.benchmarks,
        }


def action_group(status: str, due_on: dt.date, today: dt.date) -> str | None:
    if status == ActionStatus.DROPPED:
        return None
    if status == ActionStatus.DONE:
        return "done"
    if due_on < today:
        return "overdue"
    if status in (ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED):
        return "in_progress"
    return "not_started"


def plan_progress(plan: Plan, *, today: dt.date | None = None) -> Progress:
    today = today or timezone.localdate()
    sessions = list(StrategySession.objects.filter(plan=plan).order_by("year", "quarter"))
    per_session: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        BenchmarkStatus.objects.filter(session__plan=plan)
        .order_by()
        .values("session_id", "status")
        .annotate(n=Count("pk"))
    ):
        per_session[row["session_id"]][row["status"]] = row["n"]
    benchmarks = list(
        Benchmark.objects.filter(plan=plan, is_active=True).order_by("kind", "order", "pk")
    )
    latest: dict[int, BenchmarkStatus] = {}
    for s in (
        BenchmarkStatus.objects.filter(session__plan=plan)
        .select_related("session")
        .order_by("session__year", "session__quarter", "recorded_at", "pk")
    ):
        latest[s.benchmark_id] = s
    recorded_in: dict[int, set[int]] = defaultdict(set)
    for session_id, benchmark_id in BenchmarkStatus.objects.filter(session__plan=plan).values_list(
        "session_id", "benchmark_id"
    ):
        recorded_in[session_id].add(benchmark_id)
    session_rows = []
    for s in sessions:
        c = dict(per_session.get(s.pk, {}))
        if s.status != StrategySession.Status.HELD:
            c["not_reported"] = sum(1 for b in benchmarks if b.pk not in recorded_in[s.pk])
        session_rows.append(
            {
                "session_id": s.pk,
                "label": quarter_label(s.year, s.quarter),
                "held_on": s.held_on,
                "status": s.status,
                "counts": {key: c.get(key, 0) for key, _ in STATUSES},
            }
        )
    actions: dict[str, int] = defaultdict(int)
    dropped = 0
    for status, due_on in Action.objects.filter(
        strategy__objective__plan=plan, strategy__objective__is_active=True
    ).values_list("status", "due_on"):
        group = action_group(status, due_on, today)
        if group is None:
            dropped += 1
        else:
            actions[group] += 1
    bench_rows = []
    for b in benchmarks:
        s = latest.get(b.pk)
        bench_rows.append(
            {
                "id": b.pk,
                "kind": b.kind,
                "kind_label": b.get_kind_display(),
                "measure": b.measure,
                "unit": b.unit,
                "baseline": b.baseline,
                "target": b.target,
                "due": b.due_label,
                "status": s.status if s else "not_reported",
                "status_label": s.get_status_display() if s else "Not yet reported",
                "value": s.value if s else None,
                "session_id": s.session_id if s else None,
                "session": quarter_label(s.session.year, s.session.quarter) if s else "",
            }
        )
    return Progress(
        plan=plan,
        sessions=session_rows,
        actions=dict(actions),
        dropped_actions=dropped,
        benchmarks=bench_rows,
    )
