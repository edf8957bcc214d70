"""The content of an assessment's report, for the web page, the PDF and the API alike.

``report_for(access)`` reads everything a report shows, applying the access rules once:

- the executive summary and a few computed key points;
- a practice profile (how many indicators sit at each level of the scale, and the mean level, per
  practice) as a Vega-Lite spec and as the rows of the table beside it;
- every indicator's consensus rating with its level label and rationale, and the change since the
  previous visit;
- strengths and challenges per practice (``PracticeFinding``);
- amendments made after finalising, and the prioritised next steps.

Evidence is the team's working paper: it appears only for viewers with ``sees_working_papers``,
and never in the PDF (a document that leaves the platform).

**Change since the previous visit.** The previous assessment is the latest *finalised* one of the
same kind, subject (school or district) and framework that started before this one. Indicators are
matched across framework versions by ``indicator_crosswalk``: through ``Indicator.derived_from``
when the new version's indicator descends from one of the old version, otherwise by code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Prefetch, Q

from turnaround.assessments.access import AssessmentAccess
from turnaround.assessments.models import (
    Amendment,
    Assessment,
    ConsensusRating,
    Evidence,
    PracticeFinding,
    Priority,
    TeamMember,
)
from turnaround.frameworks.models import Indicator, ScaleLevel

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
NOT_RATED = "Not rated"
#: Colours of scale levels, lowest first (WCAG-checked against white text only where it is drawn);
#: the table beside every chart carries the same information as text.
LEVEL_PALETTES: dict[int, list[str]] = {
    2: ["#d83933", "#005ea2"],
    3: ["#d83933", "#ffbe2e", "#005ea2"],
    4: ["#d83933", "#ffbe2e", "#73b3e7", "#005ea2"],
    5: ["#d83933", "#fa9441", "#ffbe2e", "#73b3e7", "#005ea2"],
}
NOT_RATED_COLOUR = "#dfe1e2"


class ReportNotAvailable(Exception):
    """The assessment exists for this viewer but its report does not (a draft site visit)."""


# ---------------------------------------------------------------------------------------------
# Access


def report_visible(access: AssessmentAccess) -> bool:
    """Whether this viewer may read the report now.

    Finalised reports: everyone who sees the assessment. Drafts of a self-assessment: everyone who
    sees it (the school is its author). Drafts of a site visit: the lead, the reviewers and state
    staff only — never the assessed school, even a school-team seat.
    """
    a = access.assessment
    if a.is_locked or a.kind == Assessment.Kind.SELF:
        return True
    return access.sees_working_papers


# ---------------------------------------------------------------------------------------------
# Crosswalk between framework versions


def indicator_crosswalk(
    target_indicators: Iterable[Indicator], source_version_id: int
) -> dict[int, int | None]:
    """Map each target indicator id to its counterpart in ``source_version_id`` (or None).

    Follows ``derived_from`` back through any number of versions; an indicator whose chain does
    not reach the source version falls back to the same code there, unless that code's indicator
    is already claimed by a descendant (a renamed indicator keeps its history; a new indicator
    that reuses the old code does not inherit it).
    """
    targets = list(target_indicators)
    if not targets:
        return {}
    framework_id = (
        Indicator.objects.filter(pk=targets[0].pk)
        .values_list("framework_version__framework_id", flat=True)
        .first()
    )
    rows = Indicator.objects.filter(framework_version__framework_id=framework_id).values_list(
        "pk", "framework_version_id", "code", "derived_from_id"
    )
    info = {pk: (version_id, code, parent) for pk, version_id, code, parent in rows}
    by_code = {code: pk for pk, (v, code, _) in info.items() if v == source_version_id}
    mapping: dict[int, int | None] = {}
    claimed: set[int] = set()
    pending: list[Indicator] = []
    for ind in targets:
        current: int | None = ind.pk
        seen: set[int] = set()
        found = None
        while current is not None and current not in seen:
            seen.add(current)
            version_id, _, parent = info.get(current, (None, "", None))
            if version_id == source_version_id:
                found = current
                break
            current = parent
        if found is not None:
            mapping[ind.pk] = found
            claimed.add(found)
        else:
            pending.append(ind)
    for ind in pending:
        candidate = by_code.get(ind.code)
        mapping[ind.pk] = candidate if candidate is not None and candidate not in claimed else None
    return mapping


def previous_assessment(assessment: Assessment) -> Assessment | None:
    """The latest finalised assessment of the same kind, subject and framework before this one."""
    qs = Assessment.objects.filter(
        kind=assessment.kind,
        status=Assessment.Status.FINALISED,
        framework_version__framework_id=assessment.framework_version.framework_id,
    ).exclude(pk=assessment.pk)
    if assessment.school_id is not None:
        qs = qs.filter(school_id=assessment.school_id)
    else:
        qs = qs.filter(district_id=assessment.district_id)
    earlier = qs.filter(
        Q(start_date__lt=assessment.start_date)
        | Q(start_date=assessment.start_date, pk__lt=assessment.pk)
    )
    return earlier.select_related("framework_version__scale").order_by("-start_date", "-pk").first()


# ---------------------------------------------------------------------------------------------
# Content


@dataclass(frozen=True)
class Change:
    """How an indicator's rating compares with the previous visit."""

    #: "first_visit" (no earlier finalised visit), "new" (no counterpart in the earlier
    #: framework), "not_rated_before", "not_rated_now", or "rated" (both rated)
    kind: str
    text: str
    previous_level: int | None = None
    previous_label: str = ""
    previous_code: str = ""
    delta: int | None = None


@dataclass(frozen=True)
class EvidenceRef:
    id: int
    kind: str
    kind_label: str
    source: str
    note: str
    collected_by: str
    collected_at: str


@dataclass(frozen=True)
class IndicatorRow:
    id: int
    code: str
    text: str
    is_key: bool
    level: int | None
    level_label: str
    rationale: str
    strengths: str
    challenges: str
    not_priority: bool
    not_priority_reason: str
    change: Change
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True)
class PracticeSection:
    id: int
    code: str
    name: str
    strengths: str
    challenges: str
    indicators: tuple[IndicatorRow, ...]
    #: (label, count) for every scale level, lowest first
    counts: tuple[tuple[str, int], ...]
    not_rated: int
    mean_level: float | None
    mean_text: str

    @property
    def rated(self) -> int:
        return sum(c for _, c in self.counts)


@dataclass(frozen=True)
class AmendmentRow:
    target: str
    reason: str
    made_by: str
    made_at: Any
    before: str
    after: str


@dataclass(frozen=True)
class PriorityRow:
    id: int
    rank: int
    title: str
    practice_code: str
    practice_name: str
    indicator_id: int | None
    indicator_code: str
    why: str
    suggested_actions: str
    owner: str
    due_date: Any
    status: str
    status_label: str
    version: int


@dataclass(frozen=True)
class Report:
    assessment: Assessment
    is_draft: bool
    subject_name: str
    subject_kind: str
    state_name: str
    framework_name: str
    levels: tuple[tuple[int, str], ...]
    team: tuple[tuple[str, str], ...]
    executive_summary: str
    key_points: tuple[str, ...]
    practices: tuple[PracticeSection, ...]
    amendments: tuple[AmendmentRow, ...]
    priorities: tuple[PriorityRow, ...]
    previous: Assessment | None
    shows_evidence: bool
    chart_spec: dict[str, Any] = field(default_factory=dict)

    @property
    def indicator_count(self) -> int:
        return sum(len(p.indicators) for p in self.practices)

    @property
    def rated_count(self) -> int:
        return sum(p.rated for p in self.practices)

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data for the API (no model instances)."""
        a = self.assessment
        return {
            "id": a.pk,
            "title": a.title,
            "kind": a.kind,
            "status": a.status,
            "is_draft": self.is_draft,
            "subject": {"kind": self.subject_kind, "name": self.subject_name},
            "state": self.state_name,
            "framework": self.framework_name,
            "school_year": a.school_year,
            "start_date": a.start_date,
            "end_date": a.end_date,
            "finalised_at": a.finalised_at,
            "levels": [{"code": c, "label": lbl} for c, lbl in self.levels],
            "team": [{"name": n, "role": r} for n, r in self.team],
            "executive_summary": self.executive_summary,
            "key_points": list(self.key_points),
            "previous": None
            if self.previous is None
            else {
                "id": self.previous.pk,
                "title": self.previous.title,
                "school_year": self.previous.school_year,
                "start_date": self.previous.start_date,
            },
            "practices": [
                {
                    "code": p.code,
                    "name": p.name,
                    "strengths": p.strengths,
                    "challenges": p.challenges,
                    "counts": [{"label": lbl, "count": c} for lbl, c in p.counts],
                    "not_rated": p.not_rated,
                    "mean_level": p.mean_level,
                    "indicators": [
                        {
                            **{k: v for k, v in asdict(i).items() if k not in ("evidence", "id")},
                            "evidence": [asdict(e) for e in i.evidence]
                            if self.shows_evidence
                            else None,
                        }
                        for i in p.indicators
                    ],
                }
                for p in self.practices
            ],
            "amendments": [asdict(m) for m in self.amendments],
            "priorities": [asdict(p) for p in self.priorities],
            "shows_evidence": self.shows_evidence,
        }


def _person(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _mean_text(mean: float | None, labels: Mapping[int, str]) -> str:
    if mean is None:
        return "not rated"
    low, high = int(mean), int(mean) + (0 if mean == int(mean) else 1)
    if low == high:
        return f"{mean:.1f} ({labels.get(low, low)})"
    return f"{mean:.1f} (between {labels.get(low, low)} and {labels.get(high, high)})"


def _change(
    *,
    has_previous: bool,
    counterpart: int | None,
    previous_ratings: Mapping[int, int | None],
    previous_codes: Mapping[int, str],
    previous_labels: Mapping[int, str],
    level: int | None,
    labels: Mapping[int, str],
    comparable: bool,
) -> Change:
    if not has_previous:
        return Change(kind="first_visit", text="no earlier visit")
    if counterpart is None:
        return Change(kind="new", text="new")
    prev_code = previous_codes.get(counterpart, "")
    prev_level = previous_ratings.get(counterpart)
    if prev_level is None:
        return Change(kind="not_rated_before", text="not rated before", previous_code=prev_code)
    prev_label = previous_labels.get(prev_level, str(prev_level))
    if level is None:
        return Change(
            kind="not_rated_now",
            text=f"{prev_label} → not rated",
            previous_level=prev_level,
            previous_label=prev_label,
            previous_code=prev_code,
        )
    label = labels.get(level, str(level))
    delta = level - prev_level if comparable else None
    if delta is None:
        suffix = ""
    elif delta == 0:
        suffix = " (no change)"
    else:
        suffix = f" ({delta:+d})"
    return Change(
        kind="rated",
        text=f"{prev_label} → {label}{suffix}",
        previous_level=prev_level,
        previous_label=prev_label,
        previous_code=prev_code,
        delta=delta,
    )


def _plain_change(value: Any, labels: Mapping[int, str]) -> str:
    """An amendment's before/after dict as a short line ("level: Developing; rationale: …")."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    parts = []
    for key, item in value.items():
        if key == "level" and isinstance(item, int):
            item = labels.get(item, item)
        elif item is None:
            item = NOT_RATED.lower() if key == "level" else "—"
        text = str(item)
        parts.append(f"{key.replace('_', ' ')}: {text[:200]}")
    return "; ".join(parts)


def _key_points(practices: list[PracticeSection], labels: Mapping[int, str]) -> list[str]:
    total = sum(len(p.indicators) for p in practices)
    rated = sum(p.rated for p in practices)
    points = [f"{rated} of {total} indicators rated."]
    counter: Counter[str] = Counter()
    for p in practices:
        for label, count in p.counts:
            counter[label] += count
    if rated:
        ordered = [f"{counter[lbl]} {lbl}" for lbl in labels.values() if counter[lbl]]
        points.append("Ratings: " + ", ".join(ordered) + ".")
    means = [(p.mean_level, p) for p in practices if p.mean_level is not None]
    if len(means) > 1:
        high = max(means, key=lambda m: (m[0], -practices.index(m[1])))[1]
        low = min(means, key=lambda m: (m[0], practices.index(m[1])))[1]
        if high.mean_level != low.mean_level:
            points.append(f"Strongest practice: {high.code} {high.name} (mean {high.mean_text}).")
            points.append(f"Weakest practice: {low.code} {low.name} (mean {low.mean_text}).")
    return points


def report_for(access: AssessmentAccess, *, include_evidence: bool = True) -> Report:
    """Everything the report shows to this viewer. Raises ReportNotAvailable for a draft site
    visit seen by someone outside the team and state staff.

    ``include_evidence=False`` leaves the working papers out even for viewers who may see them
    (the PDF).
    """
    if not report_visible(access):
        raise ReportNotAvailable()
    assessment = access.assessment
    version = assessment.framework_version
    levels = tuple(
        ScaleLevel.objects.filter(scale_id=version.scale_id).values_list("code", "label")
    )
    labels = dict(levels)
    shows_evidence = include_evidence and access.sees_working_papers

    indicators = list(
        Indicator.objects.filter(framework_version=version)
        .select_related("component__practice")
        .order_by("component__practice__position", "component__position", "position", "code")
    )
    rating_qs = ConsensusRating.objects.filter(assessment=assessment)
    if shows_evidence:
        rating_qs = rating_qs.prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.select_related("collected_by"))
        )
    ratings = {r.indicator_id: r for r in rating_qs}

    previous = previous_assessment(assessment)
    counterparts: dict[int, int | None] = {}
    prev_ratings: dict[int, int | None] = {}
    prev_codes: dict[int, str] = {}
    prev_labels: dict[int, str] = {}
    comparable = True
    if previous is not None:
        counterparts = indicator_crosswalk(indicators, previous.framework_version_id)
        prev_ratings = dict(
            ConsensusRating.objects.filter(assessment=previous).values_list("indicator_id", "level")
        )
        prev_codes = dict(
            Indicator.objects.filter(
                framework_version_id=previous.framework_version_id
            ).values_list("pk", "code")
        )
        prev_scale = previous.framework_version.scale_id
        prev_labels = dict(
            ScaleLevel.objects.filter(scale_id=prev_scale).values_list("code", "label")
        )
        comparable = prev_scale == version.scale_id or list(prev_labels.values()) == list(
            labels.values()
        )

    findings = {f.practice_id: f for f in PracticeFinding.objects.filter(assessment=assessment)}
    by_practice: dict[int, list[Indicator]] = {}
    practice_objs = {}
    for ind in indicators:
        practice = ind.component.practice
        practice_objs[practice.pk] = practice
        by_practice.setdefault(practice.pk, []).append(ind)
    # practices without indicators still get a section
    for practice in version.practices.all():
        practice_objs.setdefault(practice.pk, practice)
        by_practice.setdefault(practice.pk, [])
    ordered_practices = sorted(practice_objs.values(), key=lambda p: (p.position, p.code))

    sections: list[PracticeSection] = []
    for practice in ordered_practices:
        rows: list[IndicatorRow] = []
        counts: Counter[int] = Counter()
        not_rated = 0
        for ind in by_practice[practice.pk]:
            rating = ratings.get(ind.pk)
            level = rating.level if rating is not None else None
            if level is None:
                not_rated += 1
            else:
                counts[level] += 1
            evidence: tuple[EvidenceRef, ...] = ()
            if shows_evidence and rating is not None:
                evidence = tuple(
                    EvidenceRef(
                        id=e.pk,
                        kind=e.kind,
                        kind_label=e.get_kind_display(),
                        source=e.source,
                        note=e.note,
                        collected_by=_person(e.collected_by),
                        collected_at=e.collected_at.isoformat() if e.collected_at else "",
                    )
                    for e in rating.evidence.all()
                )
            rows.append(
                IndicatorRow(
                    id=ind.pk,
                    code=ind.code,
                    text=ind.text,
                    is_key=ind.is_key,
                    level=level,
                    level_label=labels.get(level, str(level)) if level is not None else NOT_RATED,
                    rationale=rating.rationale if rating is not None else "",
                    strengths=rating.strengths if rating is not None else "",
                    challenges=rating.challenges if rating is not None else "",
                    not_priority=bool(rating and rating.not_priority),
                    not_priority_reason=rating.not_priority_reason if rating is not None else "",
                    change=_change(
                        has_previous=previous is not None,
                        counterpart=counterparts.get(ind.pk),
                        previous_ratings=prev_ratings,
                        previous_codes=prev_codes,
                        previous_labels=prev_labels,
                        level=level,
                        labels=labels,
                        comparable=comparable,
                    ),
                    evidence=evidence,
                )
            )
        rated_levels = [r.level for r in rows if r.level is not None]
        mean = sum(rated_levels) / len(rated_levels) if rated_levels else None
        finding = findings.get(practice.pk)
        sections.append(
            PracticeSection(
                id=practice.pk,
                code=practice.code,
                name=practice.name,
                strengths=finding.strengths if finding else "",
                challenges=finding.challenges if finding else "",
                indicators=tuple(rows),
                counts=tuple((label, counts[code]) for code, label in levels),
                not_rated=not_rated,
                mean_level=None if mean is None else round(mean, 2),
                mean_text=_mean_text(mean, labels),
            )
        )

    amendments = tuple(
        AmendmentRow(
            target=m.target,
            reason=m.reason,
            made_by=_person(m.made_by),
            made_at=m.made_at,
            before=_plain_change(m.before, labels),
            after=_plain_change(m.after, labels),
        )
        for m in Amendment.objects.filter(assessment=assessment)
        .select_related("made_by")
        .order_by("made_at", "pk")
    )
    priorities = tuple(priority_rows(assessment))
    team = tuple(
        (_person(t.user), t.get_role_display())
        for t in TeamMember.objects.filter(assessment=assessment)
        .select_related("user")
        .order_by("role", "user__last_name", "user__username")
    )
    if assessment.school_id is not None:
        subject_name, subject_kind = assessment.school.name, "school"
        state_name = assessment.school.district.state.name
    else:
        subject_name, subject_kind = assessment.district.name, "district"
        state_name = assessment.district.state.name
    return Report(
        assessment=assessment,
        is_draft=not assessment.is_locked,
        subject_name=subject_name,
        subject_kind=subject_kind,
        state_name=state_name,
        framework_name=str(version),
        levels=levels,
        team=team,
        executive_summary=assessment.executive_summary,
        key_points=tuple(_key_points(sections, labels)),
        practices=tuple(sections),
        amendments=amendments,
        priorities=priorities,
        previous=previous,
        shows_evidence=shows_evidence,
        chart_spec=practice_profile_spec(sections, levels),
    )


def priority_rows(assessment: Assessment) -> list[PriorityRow]:
    return [
        PriorityRow(
            id=p.pk,
            rank=p.rank,
            title=p.title,
            practice_code=p.practice.code,
            practice_name=p.practice.name,
            indicator_id=p.indicator_id,
            indicator_code=p.indicator.code if p.indicator else "",
            why=p.why,
            suggested_actions=p.suggested_actions,
            owner=p.owner,
            due_date=p.due_date,
            status=p.status,
            status_label=p.get_status_display(),
            version=p.version,
        )
        for p in Priority.objects.filter(assessment=assessment)
        .select_related("practice", "indicator")
        .order_by("rank")
    ]


# ---------------------------------------------------------------------------------------------
# The practice profile chart


def level_colours(n_levels: int) -> list[str]:
    if n_levels in LEVEL_PALETTES:
        return LEVEL_PALETTES[n_levels]
    base = LEVEL_PALETTES[5]
    return [base[round(i * (len(base) - 1) / max(n_levels - 1, 1))] for i in range(n_levels)]


def practice_profile_spec(
    sections: Iterable[PracticeSection],
    levels: Iterable[tuple[int, str]],
    *,
    width: int | str = "container",
) -> dict[str, Any]:
    """A stacked horizontal bar per practice: how many indicators sit at each level.

    Bars are labelled with the practice code (the table beside the chart names each practice);
    levels keep the scale's order (lowest on the left, "Not rated" last, in grey).
    """
    levels = list(levels)
    order = [label for _, label in levels] + [NOT_RATED]
    values: list[dict[str, Any]] = []
    for p in sections:
        base = {"practice": p.code, "name": p.name}
        for position, (label, count) in enumerate(p.counts):
            if count:
                values.append({**base, "level": label, "order": position, "count": count})
        if p.not_rated:
            values.append({**base, "level": NOT_RATED, "order": len(levels), "count": p.not_rated})
    return {
        "$schema": SCHEMA,
        "description": "Number of indicators at each rating level, by practice.",
        "width": width,
        "height": {"step": 34},
        "data": {"values": values},
        "mark": {"type": "bar", "stroke": "#ffffff", "strokeWidth": 1},
        "encoding": {
            "y": {
                "field": "practice",
                "type": "nominal",
                "sort": None,
                "title": "Practice",
            },
            "x": {
                "field": "count",
                "type": "quantitative",
                "stack": "zero",
                "title": "Indicators",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "level",
                "type": "ordinal",
                "title": "Rating",
                "scale": {
                    "domain": order,
                    "range": [*level_colours(len(levels)), NOT_RATED_COLOUR],
                },
                "legend": {"orient": "bottom", "direction": "horizontal"},
            },
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "practice", "title": "Practice"},
                {"field": "name", "title": "Name"},
                {"field": "level", "title": "Rating"},
                {"field": "count", "title": "Indicators"},
            ],
        },
    }
