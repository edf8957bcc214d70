"""Matching: suggest vetted partners for the needs a school's site visit and data show (§6).

``school_needs(school)`` gathers the school's needs from pluggable **need sources**
(``NEED_SOURCES``): functions ``school → list[Need]``, each need an area, a weight, a source and
a reason in plain English. Two exist today:

- ``assessment_needs`` — the latest *finalised* site visit or self-assessment of the school: its
  consensus ratings at the low levels of the scale (at or below the middle, as priorities count
  them: No evidence and Developing on the four-level continuum; ratings marked "not a priority"
  are left out). The lower the level, the heavier (lowest level 2, the next 1 on the continuum),
  KEY indicators count 1.5 times. Each indicator points to need areas
  (``needs.areas_for_indicator``, following a renamed indicator back through ``derived_from``):
  its first area takes the full weight, the others half.
- ``performance_needs`` — the school's latest results (all students, all grades): a median SGP
  below 40 in ELA or mathematics points to instruction and data use; chronic absence of 20% or
  more, or attendance below 92%, to learning time, social-emotional and health needs and family
  engagement; a CPI in the lowest fifth of the state's schools of the same type (at least five of
  them that year) to instruction. Stronger signals (SGP below 30, chronic absence of 30% or more)
  weigh 2, the others 1; the lowest-fifth CPI weighs 2.

- ``benchmark_needs`` — the school's plans' active benchmarks whose latest quarterly status is
  off track (weight 2) or at risk (weight 1), pointing to the areas of the indicators of the
  objective they measure (else: an educator benchmark to leadership, a student one to
  instruction).

``partner_suggestions(user, school)`` checks ``access.can_match_for_school`` (404 otherwise),
gathers the candidates — the partners with a Priority Partner designation in force in the
school's state (every registry partner with ``include_unvetted``), their services and grade
bands, the best effective evidence tier per area, the impact estimates of that state, and their
engagements with the school now in force — and ranks them with
``turnaround.analytics.partner_match.rank_partners``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from turnaround.analytics.partner_match import (
    AreaOffer,
    Candidate,
    ComponentWeights,
    Impact,
    MatchResult,
    Need,
    Suggestion,
    format_day,
    rank_partners,
)
from turnaround.assessments.models import Assessment, ConsensusRating
from turnaround.frameworks.models import Indicator, ScaleLevel
from turnaround.organizations.grades import GRADE_CODES
from turnaround.organizations.models import PartnerOrganization, School, SchoolType
from turnaround.partners.access import (
    can_match_for_school,
    designations_in_force,
    visible_partners,
)
from turnaround.partners.models import (
    Engagement,
    EvidenceClaim,
    ImpactEstimate,
    PriorityDesignation,
    ServiceOffering,
)
from turnaround.partners.needs import INDICATOR_AREAS, GradeBand, NeedArea, areas_for_indicator
from turnaround.performance.models import (
    ALL_GRADES,
    AssessmentResult,
    SchoolYearProfile,
    StudentGroup,
    Subject,
)

__all__ = [
    "NEED_SOURCES",
    "NeedSource",
    "SchoolMatching",
    "SourceNeeds",
    "assessment_needs",
    "latest_finalised_assessment",
    "partner_suggestions",
    "performance_needs",
    "school_grade_bands",
    "school_needs",
    "school_needs_by_source",
]

#: thresholds of the performance-data source
SGP_LOW = 40.0
SGP_VERY_LOW = 30.0
CHRONIC_ABSENCE_HIGH = 20.0
CHRONIC_ABSENCE_VERY_HIGH = 30.0
ATTENDANCE_LOW = 92.0
LOWEST_SHARE = 0.2
MIN_PEERS = 5
KEY_MULTIPLIER = 1.5
SECONDARY_AREA_SHARE = 0.5

_SUBJECT_WORDS = {Subject.ELA: "ELA", Subject.MATH: "mathematics"}

#: impact outcome → (words after "effect on", higher is better)
OUTCOMES: dict[str, tuple[str, bool]] = {
    ImpactEstimate.Outcome.ACHIEVEMENT_ELA: ("achievement in ELA (CPI)", True),
    ImpactEstimate.Outcome.ACHIEVEMENT_MATH: ("achievement in mathematics (CPI)", True),
    ImpactEstimate.Outcome.GROWTH_ELA: ("growth in ELA (median SGP)", True),
    ImpactEstimate.Outcome.GROWTH_MATH: ("growth in mathematics (median SGP)", True),
    ImpactEstimate.Outcome.ATTENDANCE: ("attendance", True),
    ImpactEstimate.Outcome.CHRONIC_ABSENCE: ("chronic absence", False),
}
_ACADEMIC = ("achievement_ela", "achievement_math", "growth_ela", "growth_math")
_ATTENDANCE = ("attendance", "chronic_absence")
#: the outcomes that speak to each need area
AREA_OUTCOMES: dict[str, tuple[str, ...]] = {
    NeedArea.INSTRUCTION: _ACADEMIC,
    NeedArea.DATA_USE: _ACADEMIC,
    NeedArea.LEADERSHIP: _ACADEMIC,
    NeedArea.STAFFING_HR: _ACADEMIC,
    NeedArea.DISTRICT_SYSTEMS: _ACADEMIC,
    NeedArea.LEARNING_TIME: _ATTENDANCE + _ACADEMIC,
    NeedArea.SEL_HEALTH: _ATTENDANCE,
    NeedArea.CLIMATE_CULTURE: _ATTENDANCE,
    NeedArea.FAMILY_ENGAGEMENT: _ATTENDANCE,
}
_DESIGN_WORDS = {
    EvidenceClaim.Design.RCT: "RCT",
    EvidenceClaim.Design.QED: "QED",
    EvidenceClaim.Design.CORRELATIONAL: "correlational study",
    EvidenceClaim.Design.LOGIC_MODEL: "logic model",
    EvidenceClaim.Design.NONE: "",
}
AREA_LABELS = {str(value): str(label) for value, label in NeedArea.choices}
BAND_LABELS = {str(value): str(label) for value, label in GradeBand.choices}


# ---------------------------------------------------------------------------------------------
# Needs


@dataclass(frozen=True)
class NeedSource:
    """One pluggable source of needs: ``collect(school)`` returns its needs (maybe none)."""

    code: str
    label: str
    collect: Callable[[School], list[Need]]


def latest_finalised_assessment(school: School) -> Assessment | None:
    """The school's most recent finalised site visit or self-assessment (by end date)."""
    return (
        Assessment.objects.filter(school=school, status=Assessment.Status.FINALISED)
        .select_related("framework_version")
        .order_by("-end_date", "-pk")
        .first()
    )


def _indicator_areas(indicator: Indicator) -> tuple[str, ...]:
    """The indicator's need areas: its own mapping, else that of the indicator it was renamed
    from (``derived_from``, back to the first version), else its practice's."""
    seen: set[int] = set()
    current: Indicator | None = indicator
    while current is not None and current.pk not in seen:
        if current.code in INDICATOR_AREAS:
            return tuple(str(a) for a in INDICATOR_AREAS[current.code])
        seen.add(current.pk)
        current = current.derived_from
    return tuple(str(a) for a in areas_for_indicator(indicator.code))


def _assessment_label(assessment: Assessment) -> str:
    kind = "Site visit" if assessment.kind == Assessment.Kind.SITE_VISIT else "Self-assessment"
    return f"{kind}, {assessment.school_year}"


def assessment_needs(school: School) -> list[Need]:
    """Needs from the low consensus ratings of the latest finalised assessment (see module)."""
    assessment = latest_finalised_assessment(school)
    if assessment is None:
        return []
    levels = dict(
        ScaleLevel.objects.filter(scale_id=assessment.framework_version.scale_id).values_list(
            "code", "label"
        )
    )
    if not levels:
        return []
    low = (max(levels) - 1) // 2
    ratings = (
        ConsensusRating.objects.filter(
            assessment=assessment, level__isnull=False, level__lte=low, not_priority=False
        )
        .select_related("indicator__component__practice", "indicator__derived_from")
        .order_by(
            "level",
            "-indicator__is_key",
            "indicator__component__practice__position",
            "indicator__component__position",
            "indicator__position",
            "indicator__code",
        )
    )
    source = _assessment_label(assessment)
    needs = []
    for rating in ratings:
        indicator = rating.indicator
        level = int(rating.level or 0)
        weight = float(low - level + 1) * (KEY_MULTIPLIER if indicator.is_key else 1.0)
        topic = indicator.component.name
        reason = f"Rated '{levels.get(level, level)}' on {indicator.code} {topic}".rstrip()
        if indicator.is_key:
            reason += " (a KEY indicator)"
        for i, area in enumerate(_indicator_areas(indicator)):
            needs.append(
                Need(
                    area=area,
                    weight=weight if i == 0 else weight * SECONDARY_AREA_SHARE,
                    source=source,
                    reason=reason,
                )
            )
    return needs


def _fmt(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _type_plural(school_type: str) -> str:
    try:
        label = str(SchoolType(school_type).label)
    except ValueError:
        return "schools"
    if school_type == SchoolType.OTHER:
        return "schools of other types"
    if school_type == SchoolType.K12:
        return "K–12 schools"
    return f"{label.lower()} schools"


def _cpi_needs(school: School, year: int, rows: dict[str, AssessmentResult]) -> list[Need]:
    state_id = school.district.state_id
    parts = []
    for subject in (Subject.ELA, Subject.MATH):
        row = rows.get(subject)
        if row is None or row.composite_index is None:
            continue
        peers_qs = AssessmentResult.objects.filter(
            year=year,
            subject=subject,
            grade=ALL_GRADES,
            group=StudentGroup.ALL,
            school__district__state_id=state_id,
            composite_index__isnull=False,
        )
        same_type = list(
            peers_qs.filter(school__school_type=school.school_type).values_list(
                "composite_index", flat=True
            )
        )
        peers, who = same_type, _type_plural(school.school_type)
        if len(peers) < MIN_PEERS:
            peers, who = list(peers_qs.values_list("composite_index", flat=True)), "schools"
        if len(peers) < MIN_PEERS:
            continue
        at_or_below = sum(1 for v in peers if v <= row.composite_index)
        if at_or_below / len(peers) <= LOWEST_SHARE:
            parts.append(
                f"{_SUBJECT_WORDS[subject]} {_fmt(row.composite_index)} (only {at_or_below} of "
                f"the state's {len(peers)} {who} score the same or lower)"
            )
    if not parts:
        return []
    return [
        Need(
            area=NeedArea.INSTRUCTION,
            weight=2.0,
            source=f"Performance data, {year}",
            reason=f"Achievement (CPI) in the state's lowest fifth in {year}: " + ", ".join(parts),
        )
    ]


def performance_needs(school: School) -> list[Need]:
    """Needs from the school's latest growth, achievement and attendance (see module)."""
    needs: list[Need] = []
    results = AssessmentResult.objects.filter(
        school=school,
        grade=ALL_GRADES,
        group=StudentGroup.ALL,
        subject__in=(Subject.ELA, Subject.MATH),
    )
    latest = results.order_by("-year").values_list("year", flat=True).first()
    if latest is not None:
        rows = {r.subject: r for r in results.filter(year=latest)}
        low_sgp = {
            s: r.median_sgp
            for s in (Subject.ELA, Subject.MATH)
            if (r := rows.get(s)) is not None and r.median_sgp is not None
            if r.median_sgp < SGP_LOW
        }
        if low_sgp:
            weight = 2.0 if min(low_sgp.values()) < SGP_VERY_LOW else 1.0
            detail = ", ".join(f"{_SUBJECT_WORDS[s]} {_fmt(v)}" for s, v in low_sgp.items())
            reason = f"Median student growth percentile below {_fmt(SGP_LOW)} in {latest}: {detail}"
            for area in (NeedArea.INSTRUCTION, NeedArea.DATA_USE):
                needs.append(
                    Need(
                        area=area,
                        weight=weight,
                        source=f"Performance data, {latest}",
                        reason=reason,
                    )
                )
        needs += _cpi_needs(school, latest, rows)
    profile = (
        SchoolYearProfile.objects.filter(school=school)
        .filter(Q(chronic_absence_rate__isnull=False) | Q(attendance_rate__isnull=False))
        .order_by("-year")
        .first()
    )
    if profile is not None:
        chronic, attendance = profile.chronic_absence_rate, profile.attendance_rate
        signals = []
        if chronic is not None and chronic >= CHRONIC_ABSENCE_HIGH:
            signals.append(
                f"chronic absence {_fmt(chronic)}% ({_fmt(CHRONIC_ABSENCE_HIGH)}% or more)"
            )
        if attendance is not None and attendance < ATTENDANCE_LOW:
            signals.append(f"attendance rate {_fmt(attendance)}% (below {_fmt(ATTENDANCE_LOW)}%)")
        if signals:
            weight = 2.0 if chronic is not None and chronic >= CHRONIC_ABSENCE_VERY_HIGH else 1.0
            text = "; ".join(signals)
            reason = f"{text[:1].upper()}{text[1:]} in {profile.year}"
            for area in (
                NeedArea.LEARNING_TIME,
                NeedArea.SEL_HEALTH,
                NeedArea.FAMILY_ENGAGEMENT,
            ):
                needs.append(
                    Need(
                        area=area,
                        weight=weight,
                        source=f"Performance data, {profile.year}",
                        reason=reason,
                    )
                )
    return needs


_BENCHMARK_WEIGHT = {"off_track": 2.0, "at_risk": 1.0}


def benchmark_needs(school: School) -> list[Need]:
    """Needs from the plan benchmarks that the latest quarterly session found off track or at
    risk (see module)."""
    from turnaround.monitoring.models import BenchmarkStatus
    from turnaround.plans.models import Benchmark, BenchmarkKind

    latest: dict[int, BenchmarkStatus] = {}
    statuses = (
        BenchmarkStatus.objects.filter(benchmark__plan__school=school, benchmark__is_active=True)
        .select_related("session", "benchmark")
        .order_by("session__year", "session__quarter", "pk")
    )
    for status in statuses:
        latest[status.benchmark_id] = status  # the last one wins
    needs: list[Need] = []
    for status in latest.values():
        weight = _BENCHMARK_WEIGHT.get(status.status)
        if weight is None:
            continue
        benchmark: Benchmark = status.benchmark
        codes = (
            list(benchmark.objective.indicators.values_list("code", flat=True))
            if benchmark.objective_id is not None
            else []
        )
        areas: list[str] = []
        for code in codes:
            for area in areas_for_indicator(code):
                if area not in areas:
                    areas.append(area)
        if not areas:
            areas = [
                NeedArea.LEADERSHIP
                if benchmark.kind == BenchmarkKind.EDUCATOR
                else NeedArea.INSTRUCTION
            ]
        session = status.session
        quarter = f"Q{session.quarter} {session.year - 1}–{str(session.year)[-2:]}"
        value = (
            ""
            if status.value is None
            else f" at {_fmt(status.value)} (target {_fmt(benchmark.target)})"
        )
        reason = (
            f"Benchmark “{benchmark.measure}” {status.get_status_display().lower()}{value} "
            f"in the {quarter} strategy session"
        )
        for i, area in enumerate(areas):
            needs.append(
                Need(
                    area=str(area),
                    weight=weight if i == 0 else weight / 2,
                    source=f"Plan benchmarks, {quarter}",
                    reason=reason,
                )
            )
    return needs


NEED_SOURCES: tuple[NeedSource, ...] = (
    NeedSource("assessment", "Latest finalised site visit or self-assessment", assessment_needs),
    NeedSource("performance", "Performance data", performance_needs),
    NeedSource("benchmarks", "Off-track plan benchmarks", benchmark_needs),
)


@dataclass(frozen=True)
class SourceNeeds:
    """The needs one source found."""

    source: NeedSource
    needs: tuple[Need, ...]


def school_needs_by_source(
    school: School, *, sources: Sequence[NeedSource] | None = None
) -> list[SourceNeeds]:
    """Each source with the needs it found for the school, in the sources' order."""
    return [
        SourceNeeds(source=source, needs=tuple(source.collect(school)))
        for source in (NEED_SOURCES if sources is None else sources)
    ]


def school_needs(school: School, *, sources: Sequence[NeedSource] | None = None) -> list[Need]:
    """Every need of the school from each source, in the sources' order."""
    return [n for found in school_needs_by_source(school, sources=sources) for n in found.needs]


# ---------------------------------------------------------------------------------------------
# Candidates


_BAND_GRADES = {
    GradeBand.ELEMENTARY: ("PK", "K", "01", "02", "03", "04", "05"),
    GradeBand.MIDDLE: ("06", "07", "08"),
    GradeBand.HIGH: ("09", "10", "11", "12"),
}
_TYPE_BANDS = {
    SchoolType.EARLY_CHILDHOOD: (GradeBand.ELEMENTARY,),
    SchoolType.ELEMENTARY: (GradeBand.ELEMENTARY,),
    SchoolType.ELEMENTARY_MIDDLE: (GradeBand.ELEMENTARY, GradeBand.MIDDLE),
    SchoolType.MIDDLE: (GradeBand.MIDDLE,),
    SchoolType.MIDDLE_HIGH: (GradeBand.MIDDLE, GradeBand.HIGH),
    SchoolType.HIGH: (GradeBand.HIGH,),
    SchoolType.K12: (GradeBand.ELEMENTARY, GradeBand.MIDDLE, GradeBand.HIGH),
}


def school_grade_bands(school: School) -> tuple[str, ...]:
    """The grade bands a school's grades overlap (from its school type when ungraded)."""
    if school.grade_low in GRADE_CODES and school.grade_high in GRADE_CODES:
        lo, hi = GRADE_CODES.index(school.grade_low), GRADE_CODES.index(school.grade_high)
        offered = set(GRADE_CODES[lo : hi + 1])
        return tuple(str(b) for b, grades in _BAND_GRADES.items() if offered & set(grades))
    return tuple(str(b) for b in _TYPE_BANDS.get(school.school_type, ()))


def _impact(row: ImpactEstimate) -> Impact | None:
    if row.estimate is None or row.ci_low is None or row.ci_high is None:
        return None
    if not row.ci_low <= row.estimate <= row.ci_high or row.outcome not in OUTCOMES:
        return None
    words, higher = OUTCOMES[row.outcome]
    return Impact(
        outcome=words,
        estimate=row.estimate,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        n_schools=int(row.n_treated),
        higher_is_better=higher,
    )


def _candidates(
    partners: list[PartnerOrganization], school: School, day: dt.date
) -> list[Candidate]:
    state = school.district.state
    ids = [p.pk for p in partners]
    designated: dict[tuple[int, str], PriorityDesignation] = {}
    for d in designations_in_force(state, on=day).filter(partner_id__in=ids):
        key = (d.partner_id, d.need_area)
        if key not in designated or d.expires_on > designated[key].expires_on:
            designated[key] = d
    services = {
        (s.partner_id, s.need_area): s for s in ServiceOffering.objects.filter(partner_id__in=ids)
    }
    evidence: dict[tuple[int, str], EvidenceClaim] = {}
    for claim in EvidenceClaim.objects.filter(partner_id__in=ids).order_by("pk"):
        key = (claim.partner_id, claim.need_area)
        if key not in evidence or claim.effective_tier < evidence[key].effective_tier:
            evidence[key] = claim
    impacts: dict[tuple[int, str], list[ImpactEstimate]] = {}
    for row in ImpactEstimate.objects.filter(
        partner_id__in=ids, state=state, estimate__isnull=False
    ).order_by("need_area", "outcome"):
        impacts.setdefault((row.partner_id, row.need_area), []).append(row)
    engaged: dict[int, set[str]] = {}
    for e in Engagement.objects.filter(
        partner_id__in=ids, school=school, starts_on__lte=day, ends_on__gte=day
    ):
        engaged.setdefault(e.partner_id, set()).add(e.need_area)

    out = []
    for partner in partners:
        areas = sorted(
            {a for (pid, a) in services if pid == partner.pk}
            | {a for (pid, a) in designated if pid == partner.pk}
        )
        offers = []
        for area in areas:
            service = services.get((partner.pk, area))
            designation = designated.get((partner.pk, area))
            claim = evidence.get((partner.pk, area))
            tier, design = None, ""
            if claim is not None:
                tier, design = claim.effective_tier, _DESIGN_WORDS.get(claim.design, "")
            confirmed = designation.evidence_tier if designation is not None else None
            if confirmed is not None and (tier is None or confirmed < tier):
                tier, design = confirmed, "confirmed at designation"
            rows = impacts.get((partner.pk, area)) or impacts.get((partner.pk, ""), [])
            relevant = AREA_OUTCOMES.get(area, tuple(OUTCOMES))
            measured = tuple(
                i for r in rows if r.outcome in relevant and (i := _impact(r)) is not None
            )
            bands = (service.grade_bands if service is not None else []) or partner.grade_bands
            offers.append(
                AreaOffer(
                    area=area,
                    grade_bands=tuple(str(b) for b in bands or ()),
                    designated=designation is not None,
                    designation_expires_on=designation.expires_on if designation else None,
                    evidence_tier=tier,
                    evidence_design=design,
                    impacts=measured,
                    offers_service=service is not None,
                )
            )
        out.append(
            Candidate(
                partner_id=partner.pk,
                name=partner.name,
                offers=tuple(offers),
                regions=tuple(str(r) for r in partner.regions or ()),
                engaged_areas=tuple(sorted(engaged.get(partner.pk, ()))),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Suggestions


@dataclass(frozen=True)
class SchoolMatching:
    """What the matching page and API show for one school."""

    school: School
    needs: tuple[Need, ...]
    #: each need source with what it found
    by_source: tuple[SourceNeeds, ...]
    result: MatchResult
    #: the finalised assessment the ratings came from, or None
    assessment: Assessment | None
    #: some partner holds a Priority Partner designation in force in the school's state
    any_designated: bool
    include_unvetted: bool
    as_of: dt.date

    @property
    def suggestions(self) -> tuple[Suggestion, ...]:
        return self.result.suggestions

    @property
    def assessment_finalised_on(self) -> str:
        a = self.assessment
        if a is None:
            return ""
        day = timezone.localdate(a.finalised_at) if a.finalised_at else a.end_date
        return format_day(day)


def partner_suggestions(
    user: Any,
    school: School,
    *,
    include_unvetted: bool = False,
    weights: ComponentWeights | None = None,
    on: dt.date | None = None,
) -> SchoolMatching:
    """Rank partners for ``school``'s needs; Http404 unless the user may match for it."""
    if not can_match_for_school(user, school):
        raise Http404("No such school.")
    day = on or timezone.localdate()
    state = school.district.state
    in_force = designations_in_force(state, on=day)
    any_designated = in_force.exists()
    partners_qs = visible_partners(user)
    if not include_unvetted:
        partners_qs = partners_qs.filter(pk__in=in_force.values("partner_id"))
    partners = list(partners_qs.order_by("name", "pk"))
    by_source = tuple(school_needs_by_source(school))
    needs = tuple(n for found in by_source for n in found.needs)
    result = rank_partners(
        needs,
        _candidates(partners, school, day),
        school_grade_bands=school_grade_bands(school),
        weights=weights,
        include_unvetted=include_unvetted,
        area_labels=AREA_LABELS,
        band_labels=BAND_LABELS,
        as_of=day,
    )
    return SchoolMatching(
        school=school,
        needs=needs,
        by_source=by_source,
        result=result,
        assessment=latest_finalised_assessment(school),
        any_designated=any_designated,
        include_unvetted=include_unvetted,
        as_of=day,
    )
