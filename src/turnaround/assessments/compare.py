"""Across schools: a heatmap of consensus levels, the distribution per indicator, trajectories.

Who sees what (``compare_scope_for_user``):

- state administrators and state staff: every school of their state;
- a district leader: the schools of its district(s) in that state;
- viewers and TA providers of the state (the public-view roles): the **distribution only**, with
  counts under ``settings.REPORTING_MIN_N`` suppressed (and a second count wherever the first could
  be worked out from the published total) — never a named school's ratings;
- everybody else: 404, as for anything that is not theirs.

The rows are the latest finalised site visit per school in the chosen school year on the chosen
framework. Columns are the practices and indicators of the newest framework version among those
visits; a visit on an older version is mapped onto them with ``indicator_crosswalk`` (renamed
codes follow ``derived_from``). Practice codes are stable across versions, so trajectories (mean
level per practice by year) compare practices by code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.utils import timezone

from turnaround.accounts.access import get_reach
from turnaround.analytics.suppression import suppress
from turnaround.assessments.models import Assessment, ConsensusRating
from turnaround.assessments.report import (
    NOT_RATED,
    NOT_RATED_COLOUR,
    SCHEMA,
    indicator_crosswalk,
    level_colours,
)
from turnaround.core.exports import table_csv, table_xlsx
from turnaround.frameworks.models import Framework, FrameworkVersion, Indicator, ScaleLevel
from turnaround.organizations.models import District, State
from turnaround.organizations.selectors import FilterError

YEAR_PATTERN = re.compile(r"^\d{4}-\d{2}$")
PUBLIC_ROLES = frozenset({"viewer", "ta_provider"})
SUPPRESSED = "suppressed"


# ---------------------------------------------------------------------------------------------
# Filters and scope


@dataclass(frozen=True)
class CompareFilters:
    state: str = ""
    framework: int | None = None
    year: str = ""
    district: int | None = None
    #: the school whose trajectory is drawn (the table lists every school)
    school: int | None = None

    @classmethod
    def from_params(cls, params: Any) -> CompareFilters:
        """Parse query parameters; FilterError names each bad one and what is allowed."""
        errors: dict[str, str] = {}
        get = params.get
        state = (get("state") or "").strip().upper()
        if state and not (len(state) == 2 and state.isalpha()):
            errors["state"] = f"must be a two-letter state code, not {state!r}"
        ints: dict[str, int | None] = {}
        for name in ("framework", "district", "school"):
            raw = (get(name) or "").strip()
            ints[name] = None
            if raw:
                if raw.isdigit():
                    ints[name] = int(raw)
                else:
                    errors[name] = f"must be an id (a whole number), not {raw!r}"
        year = (get("year") or "").strip()
        if year and not YEAR_PATTERN.match(year):
            errors["year"] = f"must be a school year such as 2025-26, not {year!r}"
        if errors:
            raise FilterError(errors)
        return cls(
            state=state,
            framework=ints["framework"],
            year=year,
            district=ints["district"],
            school=ints["school"],
        )

    def as_params(self, **overrides: Any) -> dict[str, str]:
        values = {
            "state": self.state,
            "framework": "" if self.framework is None else str(self.framework),
            "year": self.year,
            "district": "" if self.district is None else str(self.district),
            "school": "" if self.school is None else str(self.school),
        }
        values.update({k: "" if v is None else str(v) for k, v in overrides.items()})
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class CompareScope:
    state: State
    #: None for the whole state, else the districts the user leads
    district_ids: frozenset[int] | None
    #: distribution only, suppressed (viewer, TA provider)
    public: bool

    def schools_q(self, prefix: str = "school__") -> Q:
        q = Q(**{f"{prefix}district__state_id": self.state.pk})
        if self.district_ids is not None:
            q &= Q(**{f"{prefix}district_id__in": self.district_ids})
        return q


def compare_scope_for_user(user: Any, state_code: str = "") -> CompareScope:
    """What ``user`` may compare in ``state_code`` (their first state when empty); else 404."""
    reach = get_reach(user)
    leader_states = dict(
        District.objects.filter(pk__in=reach.district_ids).values_list("pk", "state_id")
    )
    public_ok = bool(reach.roles & PUBLIC_ROLES)
    candidates = list(reach.restricted_state_ids) + sorted(set(leader_states.values()))
    if public_ok:
        candidates += sorted(reach.public_state_ids)
    if state_code:
        state = State.objects.filter(code=state_code.upper(), pk__in=candidates).first()
    else:
        state = State.objects.filter(pk__in=candidates).order_by("name").first()
    if state is None:
        raise Http404("Nothing to compare.")
    if state.pk in reach.restricted_state_ids:
        return CompareScope(state=state, district_ids=None, public=False)
    mine = frozenset(d for d, s in leader_states.items() if s == state.pk)
    if mine:
        return CompareScope(state=state, district_ids=mine, public=False)
    return CompareScope(state=state, district_ids=None, public=True)


def _visits(scope: CompareScope) -> Any:
    return Assessment.objects.filter(
        scope.schools_q(),
        kind=Assessment.Kind.SITE_VISIT,
        status=Assessment.Status.FINALISED,
        school__isnull=False,
    )


def framework_choices(scope: CompareScope) -> list[Framework]:
    """School frameworks available in the state (seeded or the state's own)."""
    return list(
        Framework.objects.filter(
            Q(state__isnull=True) | Q(state_id=scope.state.pk), kind=Framework.Kind.SCHOOL
        ).order_by("name")
    )


def district_choices(scope: CompareScope) -> list[District]:
    qs = District.objects.filter(state=scope.state)
    if scope.district_ids is not None:
        qs = qs.filter(pk__in=scope.district_ids)
    return list(qs.order_by("name"))


def resolve_filters(scope: CompareScope, filters: CompareFilters) -> CompareFilters:
    """Fill in defaults (the framework and year of the latest visit) and check the district."""
    frameworks = {f.pk for f in framework_choices(scope)}
    framework = filters.framework
    if framework is not None and framework not in frameworks:
        raise FilterError(
            {"framework": "unknown framework; allowed: " + ", ".join(map(str, sorted(frameworks)))}
        )
    if filters.district is not None:
        allowed = {d.pk for d in district_choices(scope)}
        if filters.district not in allowed:
            raise Http404("No such district.")
    latest = _visits(scope).order_by("-start_date", "-pk")
    if framework is None:
        framework = (
            latest.filter(framework_version__framework_id__in=frameworks)
            .values_list("framework_version__framework_id", flat=True)
            .first()
        )
        if framework is None and frameworks:
            framework = min(frameworks)
    year = filters.year
    if not year:
        year = (
            latest.filter(framework_version__framework_id=framework)
            .values_list("school_year", flat=True)
            .first()
            or ""
        )
    return CompareFilters(
        state=scope.state.code,
        framework=framework,
        year=year,
        district=filters.district,
        school=filters.school,
    )


def year_choices(scope: CompareScope, framework_id: int | None) -> list[str]:
    qs = _visits(scope).filter(framework_version__framework_id=framework_id)
    return sorted(set(qs.values_list("school_year", flat=True)), reverse=True)


# ---------------------------------------------------------------------------------------------
# The comparison


@dataclass(frozen=True)
class Column:
    indicator_id: int
    code: str
    text: str
    practice_code: str
    is_key: bool


@dataclass(frozen=True)
class PracticeColumn:
    code: str
    name: str


@dataclass(frozen=True)
class HeatmapRow:
    school_id: int
    school_code: str
    school_name: str
    district_name: str
    assessment_id: int
    visit_date: Any
    framework_version: str
    #: per indicator column: (level code or None, label)
    cells: tuple[tuple[int | None, str], ...]
    #: per practice column: mean level or None
    practice_means: tuple[float | None, ...]


@dataclass(frozen=True)
class DistributionRow:
    code: str
    practice_code: str
    text: str
    #: per scale level, lowest first, then "Not rated": a count, or None when suppressed
    counts: tuple[int | None, ...]
    total: int

    @property
    def suppressed(self) -> bool:
        return any(c is None for c in self.counts)


@dataclass(frozen=True)
class TrajectoryRow:
    school_id: int
    school_name: str
    practice_code: str
    #: per year in ``Comparison.trajectory_years``: mean level or None
    means: tuple[float | None, ...]


@dataclass(frozen=True)
class Comparison:
    scope: CompareScope
    filters: CompareFilters
    framework: Framework | None
    column_version: FrameworkVersion | None
    levels: tuple[tuple[int, str], ...]
    columns: tuple[Column, ...]
    practices: tuple[PracticeColumn, ...]
    rows: tuple[HeatmapRow, ...]
    distribution: tuple[DistributionRow, ...]
    distribution_labels: tuple[str, ...]
    trajectory_years: tuple[str, ...]
    trajectories: tuple[TrajectoryRow, ...]
    reporting_min_n: int
    suppressed_any: bool = False
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.scope.public


def _latest_per_school(assessments: Iterable[Assessment]) -> list[Assessment]:
    """The latest visit of each school; ``assessments`` ordered newest first."""
    seen: set[int] = set()
    out = []
    for a in assessments:
        if a.school_id not in seen:
            seen.add(a.school_id)
            out.append(a)
    return out


def _mean(values: Sequence[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def comparison_for(scope: CompareScope, filters: CompareFilters) -> Comparison:
    """The heatmap, distribution and trajectories for ``filters`` (already resolved)."""
    framework = Framework.objects.filter(pk=filters.framework).first()
    visits = _visits(scope).filter(framework_version__framework_id=filters.framework)
    if filters.district is not None:
        visits = visits.filter(school__district_id=filters.district)
    visits = visits.select_related("school__district", "framework_version")
    year_visits = _latest_per_school(
        visits.filter(school_year=filters.year).order_by("school_id", "-start_date", "-pk")
    )
    year_visits.sort(key=lambda a: (a.school.name, a.school_id))
    min_n = int(settings.REPORTING_MIN_N)

    if year_visits:
        column_version = max((a.framework_version for a in year_visits), key=lambda v: v.number)
    else:
        column_version = (
            FrameworkVersion.objects.filter(framework=framework)
            .exclude(status=FrameworkVersion.Status.DRAFT)
            .order_by("-number")
            .first()
            if framework is not None
            else None
        )
    levels: tuple[tuple[int, str], ...] = ()
    indicators: list[Indicator] = []
    if column_version is not None:
        levels = tuple(
            ScaleLevel.objects.filter(scale_id=column_version.scale_id).values_list("code", "label")
        )
        indicators = list(
            Indicator.objects.filter(framework_version=column_version)
            .select_related("component__practice")
            .order_by("component__practice__position", "component__position", "position", "code")
        )
    labels = dict(levels)
    columns = tuple(
        Column(
            indicator_id=i.pk,
            code=i.code,
            text=i.text,
            practice_code=i.component.practice.code,
            is_key=i.is_key,
        )
        for i in indicators
    )
    practices_seen: dict[str, str] = {}
    for i in indicators:
        practices_seen.setdefault(i.component.practice.code, i.component.practice.name)
    practices = tuple(PracticeColumn(code=c, name=n) for c, n in practices_seen.items())

    levels_by_assessment = _levels_by_assessment([a.pk for a in year_visits])
    crosswalks: dict[int, dict[int, int | None]] = {}
    rows = []
    for a in year_visits:
        if a.framework_version_id not in crosswalks:
            crosswalks[a.framework_version_id] = indicator_crosswalk(
                indicators, a.framework_version_id
            )
        walk = crosswalks[a.framework_version_id]
        ratings = levels_by_assessment.get(a.pk, {})
        cells = []
        by_practice: dict[str, list[int]] = defaultdict(list)
        for col in columns:
            source = walk.get(col.indicator_id)
            level = ratings.get(source) if source is not None else None
            cells.append((level, labels.get(level, str(level)) if level is not None else NOT_RATED))
            if level is not None:
                by_practice[col.practice_code].append(level)
        rows.append(
            HeatmapRow(
                school_id=a.school_id,
                school_code=a.school.code,
                school_name=a.school.name,
                district_name=a.school.district.name,
                assessment_id=a.pk,
                visit_date=a.start_date,
                framework_version=str(a.framework_version.number),
                cells=tuple(cells),
                practice_means=tuple(_mean(by_practice.get(p.code, [])) for p in practices),
            )
        )

    distribution, suppressed_any = _distribution(
        columns, rows, levels, public=scope.public, min_n=min_n
    )
    years: tuple[str, ...] = ()
    trajectories: tuple[TrajectoryRow, ...] = ()
    if not scope.public:
        years, trajectories = _trajectories(visits, [p.code for p in practices])
    comparison = Comparison(
        scope=scope,
        filters=filters,
        framework=framework,
        column_version=column_version,
        levels=levels,
        columns=columns,
        practices=practices,
        rows=tuple(rows) if not scope.public else (),
        distribution=distribution,
        distribution_labels=(*(lbl for _, lbl in levels), NOT_RATED),
        trajectory_years=years,
        trajectories=trajectories,
        reporting_min_n=min_n,
        suppressed_any=suppressed_any,
    )
    comparison.charts.update(_charts(comparison))
    return comparison


def _levels_by_assessment(ids: Sequence[int]) -> dict[int, dict[int, int | None]]:
    out: dict[int, dict[int, int | None]] = defaultdict(dict)
    for aid, iid, level in ConsensusRating.objects.filter(assessment_id__in=ids).values_list(
        "assessment_id", "indicator_id", "level"
    ):
        out[aid][iid] = level
    return out


def _distribution(
    columns: Sequence[Column],
    rows: Sequence[HeatmapRow],
    levels: Sequence[tuple[int, str]],
    *,
    public: bool,
    min_n: int,
) -> tuple[tuple[DistributionRow, ...], bool]:
    """Count of schools per level for each indicator (with "not rated" last).

    For public-view roles every count under ``min_n`` is hidden, and within an indicator, whose
    total is published, a single hidden count would be recoverable by subtraction, so the
    smallest visible one is hidden too (``analytics.suppression.suppress``).
    """
    codes = [c for c, _ in levels]
    raw: list[list[int]] = []
    for j, _col in enumerate(columns):
        counts = [0] * (len(codes) + 1)
        for row in rows:
            level = row.cells[j][0]
            if level is None or level not in codes:
                counts[-1] += 1
            else:
                counts[codes.index(level)] += 1
        raw.append(counts)
    hidden_flat: list[bool] = []
    if public and raw:
        flat = [c for counts in raw for c in counts]
        partition = [col.code for col, counts in zip(columns, raw, strict=True) for _ in counts]
        hidden_flat = list(suppress(flat, reporting_min_n=min_n, partition=partition).hidden)
    out = []
    k = 0
    suppressed_any = False
    for col, counts in zip(columns, raw, strict=True):
        shown: list[int | None] = []
        for c in counts:
            if hidden_flat and hidden_flat[k]:
                shown.append(None)
                suppressed_any = True
            else:
                shown.append(c)
            k += 1
        out.append(
            DistributionRow(
                code=col.code,
                practice_code=col.practice_code,
                text=col.text,
                counts=tuple(shown),
                total=sum(counts),
            )
        )
    return tuple(out), suppressed_any


def _trajectories(
    visits: Any, practice_codes: Sequence[str]
) -> tuple[tuple[str, ...], tuple[TrajectoryRow, ...]]:
    """Mean level per practice (by code) of each school's latest visit in every year."""
    latest: dict[tuple[int, str], Assessment] = {}
    for a in visits.order_by("school_id", "school_year", "-start_date", "-pk"):
        latest.setdefault((a.school_id, a.school_year), a)
    if not latest:
        return (), ()
    years = tuple(sorted({y for _, y in latest}))
    ids = [a.pk for a in latest.values()]
    means: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for aid, practice_code, level in ConsensusRating.objects.filter(
        assessment_id__in=ids, level__isnull=False
    ).values_list("assessment_id", "indicator__component__practice__code", "level"):
        means[aid][practice_code].append(level)
    schools: dict[int, str] = {}
    for (school_id, _), a in latest.items():
        schools[school_id] = a.school.name
    out = []
    for school_id, name in sorted(schools.items(), key=lambda kv: (kv[1], kv[0])):
        for code in practice_codes:
            row = []
            for year in years:
                a = latest.get((school_id, year))
                row.append(_mean(means[a.pk][code]) if a is not None else None)
            out.append(
                TrajectoryRow(
                    school_id=school_id, school_name=name, practice_code=code, means=tuple(row)
                )
            )
    return years, tuple(out)


# ---------------------------------------------------------------------------------------------
# Charts


def _charts(c: Comparison) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    order = [label for _, label in c.levels] + [NOT_RATED]
    colour = {
        "field": "level",
        "type": "ordinal",
        "title": "Rating",
        "scale": {"domain": order, "range": [*level_colours(len(c.levels)), NOT_RATED_COLOUR]},
        "legend": {"orient": "bottom", "direction": "horizontal"},
    }
    if c.rows:
        values = [
            {
                "school": row.school_name,
                "indicator": col.code,
                "practice": col.practice_code,
                "level": label,
            }
            for row in c.rows
            for col, (_, label) in zip(c.columns, row.cells, strict=True)
        ]
        charts["heatmap"] = {
            "$schema": SCHEMA,
            "description": "Consensus rating of each indicator (columns) for each school (rows).",
            "width": {"step": 26},
            "height": {"step": 22},
            "data": {"values": values},
            "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 1},
            "encoding": {
                "x": {
                    "field": "indicator",
                    "type": "ordinal",
                    "sort": [col.code for col in c.columns],
                    "title": "Indicator",
                    "axis": {"orient": "top", "labelAngle": -60},
                },
                "y": {
                    "field": "school",
                    "type": "ordinal",
                    "sort": [row.school_name for row in c.rows],
                    "title": None,
                    "axis": {"labelLimit": 240},
                },
                "color": colour,
                "tooltip": [
                    {"field": "school", "title": "School"},
                    {"field": "practice", "title": "Practice"},
                    {"field": "indicator", "title": "Indicator"},
                    {"field": "level", "title": "Rating"},
                ],
            },
        }
    dist_values = []
    for d in c.distribution:
        for label, count in zip(c.distribution_labels, d.counts, strict=True):
            if count:  # suppressed (None) and zero counts draw nothing
                dist_values.append({"indicator": d.code, "level": label, "schools": count})
    if dist_values:
        charts["distribution"] = {
            "$schema": SCHEMA,
            "description": "Number of schools at each rating level, by indicator.",
            "width": "container",
            "height": 240,
            "data": {"values": dist_values},
            "mark": "bar",
            "encoding": {
                "x": {
                    "field": "indicator",
                    "type": "ordinal",
                    "sort": [col.code for col in c.columns],
                    "title": "Indicator",
                },
                "y": {
                    "field": "schools",
                    "type": "quantitative",
                    "stack": "zero",
                    "title": "Schools",
                    "axis": {"tickMinStep": 1, "format": "d"},
                },
                "color": colour,
                "order": {"field": "level", "sort": "ascending"},
                "tooltip": [
                    {"field": "indicator", "title": "Indicator"},
                    {"field": "level", "title": "Rating"},
                    {"field": "schools", "title": "Schools"},
                ],
            },
        }
    focus = _trajectory_focus(c)
    if focus is not None:
        values = [
            {"year": year, "practice": t.practice_code, "mean": mean}
            for t in c.trajectories
            if t.school_id == focus
            for year, mean in zip(c.trajectory_years, t.means, strict=True)
            if mean is not None
        ]
        top = max((code for code, _ in c.levels), default=3)
        charts["trajectory"] = {
            "$schema": SCHEMA,
            "description": "Mean consensus level per practice by school year.",
            "width": "container",
            "height": 240,
            "data": {"values": values},
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "year", "type": "ordinal", "title": "School year"},
                "y": {
                    "field": "mean",
                    "type": "quantitative",
                    "title": "Mean level",
                    "scale": {"domain": [0, top]},
                    "axis": {
                        "values": [code for code, _ in c.levels],
                        "labelExpr": _label_expr(c.levels),
                    },
                },
                "color": {"field": "practice", "type": "nominal", "title": "Practice"},
                "strokeDash": {"field": "practice", "type": "nominal"},
                "tooltip": [
                    {"field": "year", "title": "Year"},
                    {"field": "practice", "title": "Practice"},
                    {"field": "mean", "title": "Mean level"},
                ],
            },
        }
        charts["trajectory_school"] = focus
    return charts


def _label_expr(levels: Sequence[tuple[int, str]]) -> str:
    """A Vega expression that writes a level's label on the axis instead of its code."""
    expr = "datum.label"
    for code, label in reversed(levels):
        safe = label.replace("\\", "\\\\").replace("'", "\\'")
        expr = f"datum.value === {code} ? '{safe}' : ({expr})"
    return expr


def _trajectory_focus(c: Comparison) -> int | None:
    schools = [t.school_id for t in c.trajectories]
    if not schools:
        return None
    if c.filters.school in schools:
        return c.filters.school
    shown = [r.school_id for r in c.rows if r.school_id in schools]
    return shown[0] if shown else schools[0]


# ---------------------------------------------------------------------------------------------
# Tables for export (the same rows and columns as the page)


def heatmap_table(c: Comparison) -> tuple[list[str], list[list[Any]]]:
    header = [
        "School code",
        "School",
        "District",
        "Visit date",
        "Framework version",
        *(f"{p.code} mean level" for p in c.practices),
        *(col.code for col in c.columns),
    ]
    rows = [
        [
            r.school_code,
            r.school_name,
            r.district_name,
            r.visit_date.isoformat(),
            r.framework_version,
            *(m for m in r.practice_means),
            *(label for _, label in r.cells),
        ]
        for r in c.rows
    ]
    return header, rows


def distribution_table(c: Comparison) -> tuple[list[str], list[list[Any]]]:
    header = [
        "Indicator",
        "Practice",
        "Indicator text",
        *(f"Schools: {label}" for label in c.distribution_labels),
        "Schools",
    ]
    rows = [
        [
            d.code,
            d.practice_code,
            d.text,
            *(SUPPRESSED if n is None else n for n in d.counts),
            d.total,
        ]
        for d in c.distribution
    ]
    return header, rows


def _filename(c: Comparison, what: str, ext: str) -> str:
    year = c.filters.year or "all"
    return f"{what}-{c.scope.state.code}-{year}-{timezone.localdate():%Y-%m-%d}.{ext}"


EXPORTS: Mapping[str, Any] = {"heatmap": heatmap_table, "distribution": distribution_table}


def export_response(c: Comparison, what: str, fmt: str) -> HttpResponse:
    """``what`` is heatmap or distribution; ``fmt`` csv or xlsx. The heatmap names schools and
    is never exported for the public-view roles (404)."""
    if what not in EXPORTS or fmt not in ("csv", "xlsx") or (what == "heatmap" and c.public):
        raise Http404("No such export.")
    header, rows = EXPORTS[what](c)
    name = _filename(c, f"site-visit-{what}", fmt)
    if fmt == "csv":
        return table_csv(header, rows, name)
    return table_xlsx(header, rows, name, sheet="Heatmap" if what == "heatmap" else "Distribution")
