"""The data a quarterly session reviews, frozen when the session opens.

``take_snapshot(session)`` returns plain JSON-ready data (strings, numbers, ``None``, lists and
dicts), stored in ``StrategySession.data_snapshot``; nothing reads the live tables again to show
it, so later data changes never alter what the session saw. Its shape (``SNAPSHOT_SCHEMA`` 1):

- ``organisation``: ``{"kind": "school"|"district", "id", "name"}``;
- ``results``: per subject, the latest year's results for all students, all tested grades —
  ``year``, ``n_tested``, ``pct_meeting`` (% meeting or exceeding expectations = levels 3 + 4),
  ``cpi`` (composite index) and ``median_sgp``. For a district plan, the district's schools
  combined: ``schools`` reporting that year, ``n_tested`` summed, and ``pct_meeting`` and ``cpi``
  averaged over the schools weighted by students tested (``median_sgp`` is not combined: a median
  of medians is not the district's median);
- ``profile``: the latest year with attendance or chronic absence — ``year``,
  ``attendance_rate``, ``chronic_absence_rate`` (for a district, averaged over its schools
  weighted by enrolment, with ``schools``);
- ``district_schools`` (district plans only): the district's open schools, those with results
  and those with a plan;
- ``benchmarks``: every active benchmark with its baseline and target and its latest status and
  value recorded in an *earlier* session (``latest``, or ``None``);
- ``goals``: each goal with its baseline and the target for the session's year;
- ``open_next_steps``: the plan's next steps still open when the session opened.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from turnaround.monitoring.models import BenchmarkStatus, NextStep, StrategySession
from turnaround.monitoring.selectors import quarter_label, session_label
from turnaround.organizations.models import School
from turnaround.performance.models import (
    ALL_GRADES,
    AssessmentResult,
    SchoolYearProfile,
    StudentGroup,
    Subject,
)
from turnaround.plans.models import Benchmark, Goal, Metric, Plan

SNAPSHOT_SCHEMA = 1

SUBJECT_LABELS = {str(k): str(v) for k, v in Subject.choices}
METRIC_LABELS = {str(k): str(v) for k, v in Metric.choices}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _school_results(school_id: int) -> list[dict[str, Any]]:
    rows = (
        AssessmentResult.objects.filter(
            school_id=school_id, group=StudentGroup.ALL, grade=ALL_GRADES
        )
        .order_by("subject", "-year")
        .values(
            "subject",
            "year",
            "n_tested",
            "pct_level_3",
            "pct_level_4",
            "composite_index",
            "median_sgp",
        )
    )
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["subject"] in out:
            continue
        meeting = (
            None
            if r["pct_level_3"] is None or r["pct_level_4"] is None
            else r["pct_level_3"] + r["pct_level_4"]
        )
        out[r["subject"]] = {
            "subject": r["subject"],
            "subject_label": SUBJECT_LABELS.get(r["subject"], r["subject"]),
            "year": r["year"],
            "n_tested": r["n_tested"],
            "pct_meeting": _round(meeting),
            "cpi": _round(r["composite_index"]),
            "median_sgp": _round(r["median_sgp"]),
        }
    return [out[k] for k in sorted(out, key=_subject_order)]


def _subject_order(code: str) -> tuple[int, str]:
    order = [str(s) for s in Subject.values]
    return (order.index(code) if code in order else len(order), code)


def _weighted(pairs: list[tuple[float | None, float | None]]) -> float | None:
    """The mean of values weighted by their weights (pairs with a missing part are skipped)."""
    usable = [(v, w) for v, w in pairs if v is not None and w]
    total = sum(w for _, w in usable)
    if not usable or not total:
        plain = [v for v, _ in pairs if v is not None]
        return sum(plain) / len(plain) if plain else None
    return sum(v * w for v, w in usable) / total


def _district_results(school_ids: list[int]) -> list[dict[str, Any]]:
    rows = list(
        AssessmentResult.objects.filter(
            school_id__in=school_ids, group=StudentGroup.ALL, grade=ALL_GRADES
        ).values(
            "school_id",
            "subject",
            "year",
            "n_tested",
            "pct_level_3",
            "pct_level_4",
            "composite_index",
        )
    )
    latest: dict[str, int] = {}
    for r in rows:
        latest[r["subject"]] = max(latest.get(r["subject"], 0), r["year"])
    out = []
    for subject in sorted(latest, key=_subject_order):
        year_rows = [r for r in rows if r["subject"] == subject and r["year"] == latest[subject]]
        meeting = [
            (
                None
                if r["pct_level_3"] is None or r["pct_level_4"] is None
                else r["pct_level_3"] + r["pct_level_4"],
                r["n_tested"],
            )
            for r in year_rows
        ]
        counts = [r["n_tested"] for r in year_rows if r["n_tested"] is not None]
        cpis = [(r["composite_index"], r["n_tested"]) for r in year_rows]
        out.append(
            {
                "subject": subject,
                "subject_label": SUBJECT_LABELS.get(subject, subject),
                "year": latest[subject],
                "schools": len({r["school_id"] for r in year_rows}),
                "n_tested": sum(counts) if counts else None,
                "pct_meeting": _round(_weighted(meeting)),
                "cpi": _round(_weighted(cpis)),
                "median_sgp": None,
            }
        )
    return out


def _profile(school_ids: list[int], *, combine: bool) -> dict[str, Any] | None:
    rows = list(
        SchoolYearProfile.objects.filter(school_id__in=school_ids)
        .exclude(attendance_rate__isnull=True, chronic_absence_rate__isnull=True)
        .values("school_id", "year", "enrollment", "attendance_rate", "chronic_absence_rate")
    )
    if not rows:
        return None
    year = max(r["year"] for r in rows)
    year_rows = [r for r in rows if r["year"] == year]
    if not combine:
        r = year_rows[0]
        return {
            "year": year,
            "attendance_rate": _round(r["attendance_rate"]),
            "chronic_absence_rate": _round(r["chronic_absence_rate"]),
        }
    return {
        "year": year,
        "schools": len(year_rows),
        "attendance_rate": _round(
            _weighted([(r["attendance_rate"], r["enrollment"]) for r in year_rows])
        ),
        "chronic_absence_rate": _round(
            _weighted([(r["chronic_absence_rate"], r["enrollment"]) for r in year_rows])
        ),
    }


def _benchmarks(session: StrategySession) -> list[dict[str, Any]]:
    benchmarks = list(
        Benchmark.objects.filter(plan_id=session.plan_id, is_active=True).order_by(
            "kind", "order", "pk"
        )
    )
    here = (session.year, session.quarter)
    latest: dict[int, BenchmarkStatus] = {}
    statuses = (
        BenchmarkStatus.objects.filter(benchmark__in=benchmarks, session__plan_id=session.plan_id)
        .select_related("session")
        .order_by("session__year", "session__quarter", "recorded_at")
    )
    for s in statuses:
        if (s.session.year, s.session.quarter) < here:
            latest[s.benchmark_id] = s  # later rows overwrite earlier ones
    out = []
    for b in benchmarks:
        s = latest.get(b.pk)
        out.append(
            {
                "id": b.pk,
                "kind": b.kind,
                "kind_label": b.get_kind_display(),
                "measure": b.measure,
                "data_source": b.data_source,
                "unit": b.unit,
                "baseline": b.baseline,
                "target": b.target,
                "due": b.due_label,
                "latest": None
                if s is None
                else {
                    "status": s.status,
                    "status_label": s.get_status_display(),
                    "value": s.value,
                    "session_id": s.session_id,
                    "session": session_label(s.session),
                },
            }
        )
    return out


def _goals(session: StrategySession) -> list[dict[str, Any]]:
    goals = Goal.objects.filter(plan_id=session.plan_id).prefetch_related("targets")
    out = []
    for g in goals.order_by("order", "pk"):
        target = next((t.value for t in g.targets.all() if t.year == session.year), None)
        out.append(
            {
                "id": g.pk,
                "description": g.description,
                "metric": g.metric,
                "metric_label": METRIC_LABELS.get(g.metric, g.metric),
                "subject": g.subject,
                "student_group": g.student_group,
                "baseline_value": g.baseline_value,
                "baseline_year": g.baseline_year,
                "target_year": session.year,
                "target": target,
            }
        )
    return out


def _open_steps(session: StrategySession) -> list[dict[str, Any]]:
    steps = (
        NextStep.objects.filter(plan_id=session.plan_id, closed_at__isnull=True)
        .select_related("raised_in")
        .order_by("due_on", "pk")
    )
    return [
        {
            "id": s.pk,
            "description": s.description,
            "owner": s.owner,
            "due_on": s.due_on.isoformat(),
            "raised_in": session_label(s.raised_in),
        }
        for s in steps
    ]


def take_snapshot(session: StrategySession) -> dict[str, Any]:
    """Everything the session reviews, as it stands now (see the module docstring)."""
    plan: Plan = session.plan
    snap: dict[str, Any] = {
        "schema": SNAPSHOT_SCHEMA,
        "taken_at": timezone.now().isoformat(),
        "session": quarter_label(session.year, session.quarter),
    }
    if plan.school_id is not None:
        school = plan.school
        snap["organisation"] = {"kind": "school", "id": school.pk, "name": school.name}
        snap["results"] = _school_results(school.pk)
        snap["profile"] = _profile([school.pk], combine=False)
    else:
        district = plan.district
        snap["organisation"] = {"kind": "district", "id": district.pk, "name": district.name}
        school_ids = list(
            School.objects.filter(district=district, is_open=True).values_list("pk", flat=True)
        )
        snap["results"] = _district_results(school_ids)
        snap["profile"] = _profile(school_ids, combine=True)
        with_results = set(
            AssessmentResult.objects.filter(school_id__in=school_ids, group=StudentGroup.ALL)
            .values_list("school_id", flat=True)
            .distinct()
        )
        with_plans = set(
            Plan.objects.filter(school_id__in=school_ids)
            .values_list("school_id", flat=True)
            .distinct()
        )
        snap["district_schools"] = {
            "schools": len(school_ids),
            "with_results": len(with_results),
            "with_plans": len(with_plans),
        }
    snap["benchmarks"] = _benchmarks(session)
    snap["goals"] = _goals(session)
    snap["open_next_steps"] = _open_steps(session)
    return snap
