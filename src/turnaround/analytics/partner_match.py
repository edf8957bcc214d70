"""Rank partners for a school's needs, with the reasons for each suggestion (issue #7 §6).

A school's **needs** are a list of :class:`Need` (need area, weight, source, reason) gathered by
pluggable sources — the latest finalised site visit or self-assessment, the school's performance
data, later its plan's benchmarks. Needs in the same area add up. A **candidate** is a partner
from the registry with what it offers per need area (:class:`AreaOffer`): whether it holds a
Priority Partner designation in force for that area (and until when), the best evidence tier
behind it, the effects measured from the platform's own data, and the grade bands it serves.

Each candidate gets four components, each between 0 and 1:

- **fit** — the share of the school's total need weight in areas the partner *covers*: areas
  where it is designated, or, for a partner with no designation at all (only when unvetted
  partners are asked for), areas where it offers a service;
- **evidence** — per covered area the best ESSA tier: tier 1 → 1, tier 2 → 0.75, tier 3 → 0.5,
  tier 4 → 0.25, no claim → 0; averaged over the covered areas weighted by need weight;
- **impact** — per covered area the measured effects classified as favourable and significant
  (the 95% interval excludes zero) → 1, favourable not significant → 0.75, none measured → 0.5,
  unfavourable not significant → 0.25, unfavourable and significant → 0; weighted as evidence.
  "Favourable" follows the outcome's direction (a fall in chronic absence is favourable). Where an
  area has several measured outcomes, a significant unfavourable one decides the class; otherwise
  the most favourable does, and every one of them is named in the reasons;
- **grade band** — per covered area the share of the school's grade bands the service lists
  (a service that states none scores 0.5; a school whose bands are unknown scores 1).

The score is the weighted mean of the components (:class:`ComponentWeights`, default fit 0.4,
evidence 0.25, impact 0.25, grade band 0.1). The ranking puts designated ("vetted") partners
before unvetted ones, and a partner with a significant unfavourable effect in a covered area is
flagged and ranked last — never hidden; within each group, the higher score first and then the
name (case-insensitive) and the partner id, so the order is deterministic. A partner that covers
none of the needs is not suggested.

Each suggestion's reasons say, per covered area, which needs it answers (the first
``MAX_QUOTED_REASONS`` of them) and what the partner brings: "Rated 'Developing' on TP4.1
School-wide behaviour expectations → climate and culture: designated Priority Partner for climate
and culture until 30 June 2027, tier 2 evidence (QED), measured effect on attendance +1.8 points
(95% CI 0.4 to 3.2, 14 schools)".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "EVIDENCE_TIER_SCORES",
    "IMPACT_CLASSES",
    "IMPACT_SCORES",
    "MAX_QUOTED_REASONS",
    "RENEWAL_WINDOW_DAYS",
    "UNSTATED_BAND_SCORE",
    "AreaNeed",
    "AreaOffer",
    "Candidate",
    "ComponentWeights",
    "Impact",
    "MatchInputError",
    "MatchResult",
    "Need",
    "ScoreComponents",
    "Suggestion",
    "format_day",
    "impact_class",
    "rank_partners",
]

ImpactClass = Literal[
    "positive_significant", "positive", "none", "negative", "negative_significant"
]

#: best first
IMPACT_CLASSES: tuple[ImpactClass, ...] = (
    "positive_significant",
    "positive",
    "none",
    "negative",
    "negative_significant",
)
IMPACT_SCORES: Mapping[ImpactClass, float] = {
    "positive_significant": 1.0,
    "positive": 0.75,
    "none": 0.5,
    "negative": 0.25,
    "negative_significant": 0.0,
}
IMPACT_LABELS: Mapping[ImpactClass, str] = {
    "positive_significant": "favourable and significant",
    "positive": "favourable, not significant",
    "none": "none measured",
    "negative": "unfavourable, not significant",
    "negative_significant": "unfavourable and significant",
}
#: ESSA tier → evidence score; no claim scores 0
EVIDENCE_TIER_SCORES: Mapping[int, float] = {1: 1.0, 2: 0.75, 3: 0.5, 4: 0.25}
#: grade-band score of a service that lists no grade band
UNSTATED_BAND_SCORE = 0.5
#: a suggestion's reason quotes at most this many of the school's needs in an area
MAX_QUOTED_REASONS = 3
#: a designation expiring within this many days is said to be due for renewal
RENEWAL_WINDOW_DAYS = 90
COMPONENTS: tuple[str, ...] = ("fit", "evidence", "impact", "grade_band")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MINUS = "\u2212"


class MatchInputError(ValueError):
    """An input to the ranking is invalid; the message names the value and what is allowed."""


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MatchInputError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _text(name: str, value: object, *, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise MatchInputError(f"{name} must be text, got {value!r}")
    if not allow_empty and not value.strip():
        raise MatchInputError(f"{name} must not be empty")
    return value


def _texts(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence | frozenset | set):
        raise MatchInputError(f"{name} must be a sequence of text, got {value!r}")
    out = tuple(value)
    for item in out:
        _text(name, item, allow_empty=False)
    return out


def format_day(day: dt.date) -> str:
    """``30 June 2027`` (independent of the locale)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _signed(value: float) -> str:
    return f"{value:+.1f}".replace("-", _MINUS)


def _plain(value: float) -> str:
    return f"{value:.1f}".replace("-", _MINUS)


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:] if label[1:2].islower() or len(label) == 1 else label


# ---------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True)
class ComponentWeights:
    """Weights of the score components; any non-negative numbers, at least one above zero.

    The score divides by their sum, so ``(2, 1, 1, 0)`` and ``(0.5, 0.25, 0.25, 0)`` rank alike.
    """

    fit: float = 0.4
    evidence: float = 0.25
    impact: float = 0.25
    grade_band: float = 0.1

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            value = _number(f"weight {name!r}", getattr(self, name))
            if value < 0:
                raise MatchInputError(f"weight {name!r} must be 0 or more, got {value}")
        if self.total <= 0:
            raise MatchInputError(
                "at least one weight must be above 0; weights: " + ", ".join(COMPONENTS)
            )

    @property
    def total(self) -> float:
        return float(self.fit + self.evidence + self.impact + self.grade_band)

    @classmethod
    def from_mapping(cls, weights: Mapping[str, float]) -> ComponentWeights:
        """Defaults overridden by ``weights``; an unknown name lists the allowed ones."""
        unknown = sorted(set(weights) - set(COMPONENTS))
        if unknown:
            raise MatchInputError(
                f"unknown weight {unknown[0]!r}; allowed: {', '.join(COMPONENTS)}"
            )
        return cls(**dict(weights))


DEFAULT_WEIGHTS = ComponentWeights()


@dataclass(frozen=True)
class Need:
    """Something the school needs help with in one area.

    Attributes
    ----------
    area : str
        A need-area code (``instruction``, ``climate_culture`` …).
    weight : float
        How much it counts (above 0); needs in the same area add up.
    source : str
        Where it comes from, in words ("Site visit, 2025-26", "Performance data, 2017").
    reason : str
        Why, in plain English, with the numbers ("Rated 'Developing' on TP4.1 …").
    """

    area: str
    weight: float
    source: str
    reason: str

    def __post_init__(self) -> None:
        _text("need area", self.area, allow_empty=False)
        weight = _number("need weight", self.weight)
        if weight <= 0:
            raise MatchInputError(f"need weight must be above 0, got {weight}")
        _text("need source", self.source)
        _text("need reason", self.reason, allow_empty=False)


@dataclass(frozen=True)
class Impact:
    """One measured effect of a partner's engagements on one outcome (from the impact estimates).

    Attributes
    ----------
    outcome : str
        The outcome in words, as it reads after "effect on" ("attendance").
    estimate, ci_low, ci_high : float
        The estimate and its 95% interval, in the outcome's units.
    n_schools : int
        Engaged schools behind the estimate.
    higher_is_better : bool
        False for outcomes where a fall is favourable (chronic absence).
    unit : str
        Shown after the estimate ("points").
    """

    outcome: str
    estimate: float
    ci_low: float
    ci_high: float
    n_schools: int
    higher_is_better: bool = True
    unit: str = "points"

    def __post_init__(self) -> None:
        _text("impact outcome", self.outcome, allow_empty=False)
        est = _number("impact estimate", self.estimate)
        lo = _number("impact ci_low", self.ci_low)
        hi = _number("impact ci_high", self.ci_high)
        if not lo <= est <= hi:
            raise MatchInputError(
                f"impact on {self.outcome}: the interval ({lo} to {hi}) must contain the "
                f"estimate {est}"
            )
        if isinstance(self.n_schools, bool) or not isinstance(self.n_schools, int):
            raise MatchInputError(
                f"impact n_schools must be a whole number, got {self.n_schools!r}"
            )
        if self.n_schools < 0:
            raise MatchInputError(f"impact n_schools must be 0 or more, got {self.n_schools}")

    @property
    def excludes_zero(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0

    @property
    def impact_class(self) -> ImpactClass:
        return impact_class(self)

    def describe(self) -> str:
        """``attendance +1.8 points (95% CI 0.4 to 3.2, 14 schools)``."""
        schools = "school" if self.n_schools == 1 else "schools"
        direction = "" if self.higher_is_better else "; lower is better"
        return (
            f"{self.outcome} {_signed(self.estimate)} {self.unit} (95% CI {_plain(self.ci_low)} "
            f"to {_plain(self.ci_high)}, {self.n_schools} {schools}{direction})"
        )


def impact_class(impact: Impact) -> ImpactClass:
    """Favourable or not (in the outcome's direction), significant or not (the 95% interval
    excludes zero). An estimate of exactly zero is not favourable."""
    sign = 1.0 if impact.higher_is_better else -1.0
    effect = sign * impact.estimate
    lo, hi = sorted((sign * impact.ci_low, sign * impact.ci_high))
    if effect > 0:
        return "positive_significant" if lo > 0 else "positive"
    return "negative_significant" if hi < 0 else "negative"


def _area_impact_class(impacts: Sequence[Impact]) -> ImpactClass:
    if not impacts:
        return "none"
    classes = [impact_class(i) for i in impacts]
    if "negative_significant" in classes:
        return "negative_significant"
    return min(classes, key=IMPACT_CLASSES.index)


@dataclass(frozen=True)
class AreaOffer:
    """What a partner brings to one need area.

    Attributes
    ----------
    area : str
        The need-area code.
    grade_bands : tuple of str
        Grade bands served in this area; empty when not stated.
    designated : bool
        A Priority Partner designation for this area is in force in the school's state.
    designation_expires_on : date or None
        When that designation ends.
    evidence_tier : int or None
        The best effective ESSA tier (1–4) of the partner's evidence in this area.
    evidence_design : str
        The design of the study behind that tier, in words ("QED"), or "".
    impacts : tuple of Impact
        Effects measured in the school's state for this area (or for all the partner's work).
    offers_service : bool
        The registry lists a service in this area.
    """

    area: str
    grade_bands: tuple[str, ...] = ()
    designated: bool = False
    designation_expires_on: dt.date | None = None
    evidence_tier: int | None = None
    evidence_design: str = ""
    impacts: tuple[Impact, ...] = ()
    offers_service: bool = True

    def __post_init__(self) -> None:
        _text("offer area", self.area, allow_empty=False)
        _texts("offer grade_bands", self.grade_bands)
        tier = self.evidence_tier
        if tier is not None and (isinstance(tier, bool) or tier not in EVIDENCE_TIER_SCORES):
            raise MatchInputError(f"evidence_tier must be one of 1, 2, 3, 4 or None, got {tier!r}")
        for impact in self.impacts:
            if not isinstance(impact, Impact):
                raise MatchInputError(f"impacts must be Impact objects, got {impact!r}")


@dataclass(frozen=True)
class Candidate:
    """A partner from the registry, as the ranking sees it.

    Attributes
    ----------
    partner_id : int
    name : str
    offers : tuple of AreaOffer
        One per need area (at most one each).
    regions : tuple of str
        Where the partner works, in words (shown, not scored).
    engaged_areas : tuple of str
        Areas of the partner's engagements with this school now in force (empty: none).
    """

    partner_id: int
    name: str
    offers: tuple[AreaOffer, ...]
    regions: tuple[str, ...] = ()
    engaged_areas: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _text("candidate name", self.name, allow_empty=False)
        areas = [o.area for o in self.offers]
        duplicated = sorted({a for a in areas if areas.count(a) > 1})
        if duplicated:
            raise MatchInputError(
                f"{self.name}: one offer per need area; {duplicated[0]!r} appears twice"
            )

    @property
    def vetted(self) -> bool:
        """Holds at least one Priority Partner designation in force."""
        return any(o.designated for o in self.offers)


# ---------------------------------------------------------------------------------------------
# Outputs


@dataclass(frozen=True)
class AreaNeed:
    """The school's needs in one area, added up."""

    area: str
    label: str
    weight: float
    #: this area's share of the total need weight
    share: float
    reasons: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class ScoreComponents:
    fit: float
    evidence: float
    impact: float
    grade_band: float

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in COMPONENTS}


@dataclass(frozen=True)
class Suggestion:
    """One ranked partner with its score, its components and the reasons."""

    rank: int
    partner_id: int
    name: str
    #: designated Priority Partner in at least one area (False = "not vetted")
    vetted: bool
    score: float
    components: ScoreComponents
    #: the needs it covers, largest first
    covered_areas: tuple[str, ...]
    #: the school's need areas it does not cover
    uncovered_areas: tuple[str, ...]
    #: per covered area: the impact class (see IMPACT_CLASSES)
    impact_classes: Mapping[str, ImpactClass]
    #: a significant unfavourable measured effect in a covered area (ranked last, never hidden)
    flagged: bool
    #: areas of an engagement with this school now in force
    engaged_areas: tuple[str, ...]
    regions: tuple[str, ...]
    #: one sentence per covered area, then notes (unvetted areas, engagement, caution)
    reasons: tuple[str, ...]
    #: the score components in words
    components_text: str

    @property
    def score_percent(self) -> int:
        return round(self.score * 100)


@dataclass(frozen=True)
class MatchResult:
    suggestions: tuple[Suggestion, ...]
    #: the school's needs by area, largest first
    area_needs: tuple[AreaNeed, ...]
    total_need_weight: float
    weights: ComponentWeights
    include_unvetted: bool
    school_grade_bands: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Ranking


def _weighted_mean(values: Mapping[str, float], weights: Mapping[str, float]) -> float:
    return sum(weights[a] * values[a] for a in weights) / sum(weights.values())


def _band_score(offered: Sequence[str], school: Sequence[str]) -> float:
    if not school:
        return 1.0
    if not offered:
        return UNSTATED_BAND_SCORE
    return sum(1 for band in school if band in offered) / len(school)


def _offer_text(
    offer: AreaOffer,
    *,
    area_label: str,
    vetted_area: bool,
    school_bands: Sequence[str],
    band_labels: Mapping[str, str],
    as_of: dt.date | None,
) -> str:
    parts = []
    if vetted_area:
        text = f"designated Priority Partner for {area_label}"
        if offer.designation_expires_on is not None:
            text += f" until {format_day(offer.designation_expires_on)}"
            if as_of is not None:
                days = (offer.designation_expires_on - as_of).days
                if 0 <= days <= RENEWAL_WINDOW_DAYS:
                    text += f" (expires in {days} day{'' if days == 1 else 's'})"
        parts.append(text)
    else:
        parts.append(f"offers {area_label} services (not vetted: no Priority Partner designation)")
    if offer.evidence_tier is None:
        parts.append("no evidence claim in this area")
    else:
        design = f" ({offer.evidence_design})" if offer.evidence_design else ""
        parts.append(f"tier {offer.evidence_tier} evidence{design}")
    if offer.impacts:
        described = [i.describe() for i in offer.impacts]
        noun = "effect" if len(described) == 1 else "effects"
        parts.append(f"measured {noun} on " + "; on ".join(described))
        if _area_impact_class(offer.impacts) == "negative_significant":
            parts[-1] += " — a significant unfavourable effect"
    else:
        parts.append("no measured effect yet")
    if school_bands:
        missing = [b for b in school_bands if offer.grade_bands and b not in offer.grade_bands]
        if not offer.grade_bands:
            parts.append("grade bands not stated")
        elif missing:
            names = ", ".join(_lower_first(band_labels.get(b, b)) for b in missing)
            parts.append(f"does not list the school's {names} grades")
    return ", ".join(parts)


def _components_text(c: ScoreComponents, best_tier: int | None) -> str:
    tier = f" (best: tier {best_tier})" if best_tier is not None else " (no evidence claim)"
    return (
        f"fit {c.fit * 100:.0f}% of the weighted needs; evidence {c.evidence:.2f}{tier}; "
        f"impact {c.impact:.2f}; grade band {c.grade_band:.2f}"
    )


def rank_partners(
    needs: Sequence[Need],
    candidates: Sequence[Candidate],
    *,
    school_grade_bands: Sequence[str] = (),
    weights: ComponentWeights | Mapping[str, float] | None = None,
    include_unvetted: bool = False,
    area_labels: Mapping[str, str] | None = None,
    band_labels: Mapping[str, str] | None = None,
    as_of: dt.date | None = None,
) -> MatchResult:
    """Rank ``candidates`` for ``needs``.

    Parameters
    ----------
    needs : sequence of Need
        The school's needs; several in one area add up.
    candidates : sequence of Candidate
        Registry partners with their offers.
    school_grade_bands : sequence of str
        The school's grade-band codes; empty when unknown (the grade-band component is then 1).
    weights : ComponentWeights or mapping, optional
        Component weights (names: fit, evidence, impact, grade_band); defaults for those missing.
    include_unvetted : bool
        Also suggest partners with no designation in force, covering the areas where they offer a
        service; they rank after every designated partner.
    area_labels, band_labels : mapping, optional
        Code → words for need areas and grade bands, used in the reasons.
    as_of : date, optional
        Today, to say when a designation expires within ``RENEWAL_WINDOW_DAYS``.

    Returns
    -------
    MatchResult

    Raises
    ------
    MatchInputError
        A need, candidate or weight is invalid (the message says which and what is allowed).
    """
    if weights is None:
        wts = DEFAULT_WEIGHTS
    elif isinstance(weights, ComponentWeights):
        wts = weights
    elif isinstance(weights, Mapping):
        wts = ComponentWeights.from_mapping(weights)
    else:
        raise MatchInputError(
            f"weights must be ComponentWeights or a mapping of {', '.join(COMPONENTS)}; "
            f"got {weights!r}"
        )
    if not isinstance(include_unvetted, bool):
        raise MatchInputError(f"include_unvetted must be True or False, got {include_unvetted!r}")
    school_bands = _texts("school_grade_bands", school_grade_bands)
    labels = dict(area_labels or {})
    bands = dict(band_labels or {})

    def label(area: str) -> str:
        return labels.get(area, area.replace("_", " "))

    weight_by_area: dict[str, float] = {}
    reasons_by_area: dict[str, list[str]] = {}
    sources_by_area: dict[str, list[str]] = {}
    for need in needs:
        if not isinstance(need, Need):
            raise MatchInputError(f"needs must be Need objects, got {need!r}")
        weight_by_area[need.area] = weight_by_area.get(need.area, 0.0) + float(need.weight)
        reasons_by_area.setdefault(need.area, []).append(need.reason)
        if need.source not in sources_by_area.setdefault(need.area, []):
            sources_by_area[need.area].append(need.source)
    total = sum(weight_by_area.values())
    order = sorted(weight_by_area, key=lambda a: (-weight_by_area[a], a))
    area_needs = tuple(
        AreaNeed(
            area=a,
            label=label(a),
            weight=weight_by_area[a],
            share=weight_by_area[a] / total,
            reasons=tuple(reasons_by_area[a]),
            sources=tuple(sources_by_area[a]),
        )
        for a in order
    )

    scored: list[tuple[tuple[int, int, float, str, str, int], Suggestion]] = []
    for cand in candidates:
        if not isinstance(cand, Candidate):
            raise MatchInputError(f"candidates must be Candidate objects, got {cand!r}")
        vetted = cand.vetted
        if not vetted and not include_unvetted:
            continue
        offers = {o.area: o for o in cand.offers}
        pool = {a: o for a, o in offers.items() if o.designated} if vetted else dict(offers)
        if not vetted:
            pool = {a: o for a, o in pool.items() if o.offers_service}
        covered = [a for a in order if a in pool]
        if not covered:
            continue
        covered_weight = sum(weight_by_area[a] for a in covered)
        classes = {a: _area_impact_class(pool[a].impacts) for a in covered}

        area_weights = {a: weight_by_area[a] for a in covered}
        components = ScoreComponents(
            fit=covered_weight / total,
            evidence=_weighted_mean(
                {a: EVIDENCE_TIER_SCORES.get(pool[a].evidence_tier or 0, 0.0) for a in covered},
                area_weights,
            ),
            impact=_weighted_mean({a: IMPACT_SCORES[classes[a]] for a in covered}, area_weights),
            grade_band=_weighted_mean(
                {a: _band_score(pool[a].grade_bands, school_bands) for a in covered}, area_weights
            ),
        )
        score = (
            wts.fit * components.fit
            + wts.evidence * components.evidence
            + wts.impact * components.impact
            + wts.grade_band * components.grade_band
        ) / wts.total
        flagged = "negative_significant" in classes.values()

        reasons = []
        for a in covered:
            quoted = list(dict.fromkeys(reasons_by_area[a]))
            need_text = "; ".join(quoted[:MAX_QUOTED_REASONS])
            if len(quoted) > MAX_QUOTED_REASONS:
                more = len(quoted) - MAX_QUOTED_REASONS
                need_text += f"; and {more} more need{'' if more == 1 else 's'} in this area"
            offer_text = _offer_text(
                pool[a],
                area_label=_lower_first(label(a)),
                vetted_area=vetted,
                school_bands=school_bands,
                band_labels=bands,
                as_of=as_of,
            )
            reasons.append(f"{need_text} → {_lower_first(label(a))}: {offer_text}")
        if vetted:
            unvetted_needed = [
                a for a in order if a in offers and a not in pool and offers[a].offers_service
            ]
            if unvetted_needed:
                names = ", ".join(_lower_first(label(a)) for a in unvetted_needed)
                where = "that area" if len(unvetted_needed) == 1 else "those areas"
                reasons.append(f"Also offers {names}; not vetted in {where}, so not counted.")
        if cand.engaged_areas:
            names = ", ".join(_lower_first(label(a)) for a in sorted(set(cand.engaged_areas)))
            reasons.append(f"Already working with this school ({names}).")
        if flagged:
            bad = ", ".join(
                _lower_first(label(a)) for a in covered if classes[a] == "negative_significant"
            )
            reasons.append(
                f"Caution: a significant unfavourable measured effect in {bad}; ranked last. "
                "Read the scorecard before choosing this partner."
            )
        tiers = [t for a in covered if (t := pool[a].evidence_tier) is not None]
        best_tier = min(tiers) if tiers else None
        key = (
            1 if flagged else 0,
            0 if vetted else 1,
            -round(score, 12),
            cand.name.casefold(),
            cand.name,
            cand.partner_id,
        )
        suggestion = Suggestion(
            rank=0,
            partner_id=cand.partner_id,
            name=cand.name,
            vetted=vetted,
            score=score,
            components=components,
            covered_areas=tuple(covered),
            uncovered_areas=tuple(a for a in order if a not in pool),
            impact_classes=classes,
            flagged=flagged,
            engaged_areas=tuple(sorted(set(cand.engaged_areas))),
            regions=tuple(cand.regions),
            reasons=tuple(reasons),
            components_text=_components_text(components, best_tier),
        )
        scored.append((key, suggestion))
    scored.sort(key=lambda item: item[0])
    suggestions = tuple(
        replace(suggestion, rank=rank) for rank, (_, suggestion) in enumerate(scored, start=1)
    )
    return MatchResult(
        suggestions=suggestions,
        area_needs=area_needs,
        total_need_weight=total,
        weights=wts,
        include_unvetted=include_unvetted,
        school_grade_bands=school_bands,
    )
