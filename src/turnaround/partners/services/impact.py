"""Partner impact from the platform's data, stored per partner, state, need area and outcome.

The estimator is ``turnaround.analytics.impact`` (issue 7 §4). This module turns the database into
its inputs and stores its results:

- :func:`impact_panel` — one row per school and year of a state: the six outcomes
  (``ImpactEstimate.Outcome``: CPI and median SGP of all students, all grades, in ELA and
  mathematics; attendance and chronic absence rates), the school type and the matching covariates
  (enrolment, % high needs, % economically disadvantaged), from three bulk queries.
- Engaged schools are a partner's **school** engagements in the state (in one need area, or all),
  each school from the spring year of the school year its first engagement starts in
  (:func:`engagement_start_year`), kept when the data hold at least two years before that start
  and the start year itself. Comparison schools are schools of the state that no partner served
  (school engagement, or a district-wide engagement of their district) during the data's years,
  matched by :func:`~turnaround.analytics.impact.comparison_match` — same school type, nearest on
  the outcome's level and trend before engagement, enrolment and % high needs, three per engaged
  school, with replacement — and the effect is estimated by stacked difference-in-differences.
- :func:`impact_compute` stores one :class:`~turnaround.partners.models.ImpactEstimate` per
  outcome (the estimate, or the reason it was refused in plain words) for one partner and area;
  :func:`impact_compute_partner` does every area of a partner, :func:`impact_compute_state` every
  partner of a state. Each run is one transaction and one audit event; the log gets counts only.
- :func:`scorecard_for` reads what a partner's scorecard shows to one viewer.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from turnaround.analytics.impact import (
    Coefficient,
    ImpactResult,
    InsufficientDataError,
    MatchingWarning,
    MatchResult,
    comparison_match,
    impact_estimate,
)
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.organizations.models import PartnerOrganization, School, State
from turnaround.partners import access
from turnaround.partners.models import Engagement, FundingSource, ImpactEstimate
from turnaround.partners.needs import NeedArea, area_label
from turnaround.performance.models import (
    ALL_GRADES,
    AssessmentResult,
    SchoolYearProfile,
    StudentGroup,
    Subject,
)

logger = logging.getLogger(__name__)

Outcome = ImpactEstimate.Outcome
OUTCOMES: tuple[str, ...] = tuple(Outcome.values)

#: outcome → (subject, AssessmentResult field) for the test-based outcomes
RESULT_OUTCOMES: dict[str, tuple[str, str]] = {
    Outcome.ACHIEVEMENT_ELA: (Subject.ELA, "composite_index"),
    Outcome.ACHIEVEMENT_MATH: (Subject.MATH, "composite_index"),
    Outcome.GROWTH_ELA: (Subject.ELA, "median_sgp"),
    Outcome.GROWTH_MATH: (Subject.MATH, "median_sgp"),
}
#: outcome → SchoolYearProfile field
PROFILE_OUTCOMES: dict[str, str] = {
    Outcome.ATTENDANCE: "attendance_rate",
    Outcome.CHRONIC_ABSENCE: "chronic_absence_rate",
}
COVARIATES: tuple[str, ...] = ("enrollment", "pct_high_needs", "pct_econ_disadv")

#: what each outcome is called in a sentence, and its unit
OUTCOME_NOUNS: dict[str, str] = {
    Outcome.ACHIEVEMENT_ELA: "ELA achievement",
    Outcome.ACHIEVEMENT_MATH: "mathematics achievement",
    Outcome.GROWTH_ELA: "ELA growth",
    Outcome.GROWTH_MATH: "mathematics growth",
    Outcome.ATTENDANCE: "attendance",
    Outcome.CHRONIC_ABSENCE: "chronic absence",
}
OUTCOME_UNITS: dict[str, str] = {
    Outcome.ACHIEVEMENT_ELA: "CPI points",
    Outcome.ACHIEVEMENT_MATH: "CPI points",
    Outcome.GROWTH_ELA: "SGP points",
    Outcome.GROWTH_MATH: "SGP points",
    Outcome.ATTENDANCE: "percentage points",
    Outcome.CHRONIC_ABSENCE: "percentage points",
}
COVARIATE_NOUNS: dict[str, str] = {
    "enrollment": "enrolment",
    "pct_high_needs": "% high needs",
    "pct_econ_disadv": "% economically disadvantaged",
}

#: fewest engaged / comparison schools for an estimate (below: refused with the reason)
MIN_TREATED = 5
MIN_COMPARISON = 5
#: fewest years of data before an engagement's start year for its school to count
MIN_PRE_YEARS = 2
#: comparison schools per engaged school
MATCH_K = 3
CONFIDENCE = 0.95
PRETREND_ALPHA = 0.05
#: relative years shown in the scorecard's before-and-after means
RELATIVE_YEARS = range(-3, 4)

#: ``progress(label, done, total)``: called before each partner of a run, and once at the end
ProgressCallback = Callable[[str, int, int], None]


def engagement_start_year(day: dt.date) -> int:
    """The spring year of the school year ``day`` falls in (school years start on 1 July).

    >>> engagement_start_year(dt.date(2013, 9, 3))
    2014
    >>> engagement_start_year(dt.date(2014, 6, 30))
    2014
    """
    return day.year + 1 if day.month >= 7 else day.year


def outcome_label(outcome: str) -> str:
    try:
        return str(Outcome(outcome).label)
    except ValueError:
        return outcome


# ---------------------------------------------------------------------------------------------
# The panel


def _frame(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(columns))


def impact_panel(state: State, outcomes: Sequence[str] = OUTCOMES) -> pd.DataFrame:
    """One row per school of ``state`` and year with any result or profile.

    Columns: ``school`` (the school's id as text, the estimator's key), ``school_id``,
    ``school_code``, ``district_id``, ``school_type``, ``year``, each of ``outcomes`` (float, NaN
    when missing) and the covariates ``enrollment``, ``pct_high_needs``, ``pct_econ_disadv``.
    Three queries (schools, results, profiles), whatever the number of schools.
    """
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        raise ValidationError(
            {"outcomes": f"Unknown outcome {unknown[0]!r}; choose from {', '.join(OUTCOMES)}."}
        )
    schools = _frame(
        School.objects.filter(district__state=state).values_list(
            "pk", "code", "district_id", "school_type"
        ),
        ["school_id", "school_code", "district_id", "school_type"],
    )
    key = ["school_id", "year"]
    parts: list[pd.DataFrame] = []
    result_outcomes = [o for o in outcomes if o in RESULT_OUTCOMES]
    if result_outcomes:
        subjects = sorted({RESULT_OUTCOMES[o][0] for o in result_outcomes})
        results = _frame(
            AssessmentResult.objects.filter(
                school__district__state=state,
                grade=ALL_GRADES,
                group=StudentGroup.ALL,
                subject__in=subjects,
            ).values_list("school_id", "year", "subject", "composite_index", "median_sgp"),
            ["school_id", "year", "subject", "composite_index", "median_sgp"],
        )
        for outcome in result_outcomes:
            subject, column = RESULT_OUTCOMES[outcome]
            part = results.loc[results["subject"] == subject, [*key, column]]
            parts.append(part.rename(columns={column: outcome}).set_index(key))
    profile_fields = [PROFILE_OUTCOMES[o] for o in outcomes if o in PROFILE_OUTCOMES]
    profiles = _frame(
        SchoolYearProfile.objects.filter(school__district__state=state).values_list(
            "school_id", "year", *COVARIATES, *profile_fields
        ),
        [*key, *COVARIATES, *profile_fields],
    )
    renamed = {PROFILE_OUTCOMES[o]: o for o in outcomes if o in PROFILE_OUTCOMES}
    parts.append(profiles.rename(columns=renamed).set_index(key))
    joined = pd.concat(parts, axis=1, join="outer") if parts else pd.DataFrame()
    joined = joined.reset_index() if len(joined) else pd.DataFrame(columns=key)
    panel = joined.merge(schools, on="school_id", how="inner")
    for column in (*outcomes, *COVARIATES):
        if column not in panel.columns:
            panel[column] = np.nan
        panel[column] = pd.to_numeric(panel[column], errors="coerce").astype(np.float64)
    panel["school_id"] = panel["school_id"].astype(np.int64)
    panel["year"] = panel["year"].astype(np.int64)
    panel.insert(0, "school", panel["school_id"].astype(str))
    columns = [
        "school",
        "school_id",
        "school_code",
        "district_id",
        "school_type",
        "year",
        *outcomes,
        *COVARIATES,
    ]
    return panel[columns].sort_values(["school_id", "year"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# One state's inputs, loaded once per run


@dataclass(frozen=True)
class _EngagementRow:
    partner_id: int
    school_id: int | None
    district_id: int | None
    need_area: str
    start_year: int
    end_year: int


@dataclass
class _StateData:
    state: State
    panel: pd.DataFrame
    years: tuple[int, ...]
    engagements: list[_EngagementRow]
    school_names: dict[int, str]
    #: schools (ids as text) no partner served during the panel's years: the comparison pool
    pool: frozenset[str]
    pool_excluded_school: int = 0
    pool_excluded_district: int = 0
    covariates: tuple[str, ...] = ()
    covariate_note: str = ""
    partner_schools: dict[int, set[int]] = field(default_factory=dict)


def _load_state(state: State) -> _StateData:
    panel = impact_panel(state, OUTCOMES)
    years = tuple(sorted(int(y) for y in panel["year"].unique())) if len(panel) else ()
    rows = [
        _EngagementRow(
            partner_id=p,
            school_id=s,
            district_id=d,
            need_area=a,
            start_year=engagement_start_year(starts),
            end_year=engagement_start_year(ends),
        )
        for p, s, d, a, starts, ends in Engagement.objects.filter(
            Q(school__district__state=state) | Q(district__state=state)
        ).values_list("partner_id", "school_id", "district_id", "need_area", "starts_on", "ends_on")
    ]
    names = dict(School.objects.filter(district__state=state).values_list("pk", "name"))
    first, last = (years[0], years[-1]) if years else (0, -1)
    in_years = [r for r in rows if r.start_year <= last and r.end_year >= first]
    engaged_schools = {r.school_id for r in in_years if r.school_id is not None}
    engaged_districts = {r.district_id for r in in_years if r.district_id is not None}
    school_district = dict(zip(panel["school_id"], panel["district_id"], strict=True))
    by_district = {s for s, d in school_district.items() if d in engaged_districts}
    all_schools = set(school_district)
    pool = all_schools - engaged_schools - by_district
    partner_schools: dict[int, set[int]] = defaultdict(set)
    for r in in_years:
        if r.school_id is not None:
            partner_schools[r.partner_id].add(r.school_id)
    # % high needs where the state reports it, else % economically disadvantaged
    covariates: tuple[str, ...] = ("enrollment", "pct_high_needs")
    note = ""
    if len(panel) and panel["pct_high_needs"].notna().sum() == 0:
        if panel["pct_econ_disadv"].notna().sum():
            covariates = ("enrollment", "pct_econ_disadv")
            note = "the state reports no % high needs: matched on % economically disadvantaged"
        else:
            covariates = ("enrollment",)
            note = "the state reports neither % high needs nor % economically disadvantaged"
    if len(panel) and panel["enrollment"].notna().sum() == 0:
        covariates = tuple(c for c in covariates if c != "enrollment")
    return _StateData(
        state=state,
        panel=panel,
        years=years,
        engagements=rows,
        school_names=names,
        pool=frozenset(str(s) for s in pool),
        pool_excluded_school=len(engaged_schools & all_schools),
        pool_excluded_district=len(by_district - engaged_schools),
        covariates=covariates,
        covariate_note=note,
        partner_schools=dict(partner_schools),
    )


# ---------------------------------------------------------------------------------------------
# Plain words


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def pretrend_words(p: float | None) -> str:
    """The pre-trend test in words, for a table cell."""
    if p is None:
        return "no pre-trend test (too few years before engagement)"
    if p < PRETREND_ALPHA:
        return f"pre-trends differ ({_p(p)}): read the estimate with caution"
    return f"no evidence of different pre-trends ({_p(p)})"


def _feature_label(feature: str) -> str:
    base, _, kind = feature.partition(" (")
    noun = OUTCOME_NOUNS.get(base) or COVARIATE_NOUNS.get(base) or base
    if kind.startswith("pre trend"):
        label = f"{noun}: trend before engagement (per year)"
    elif kind.startswith("pre mean"):
        label = f"{noun}: mean before engagement"
    else:
        label = noun
    return label[:1].upper() + label[1:]


def _feature_phrase(feature: str) -> str:
    """A matching feature inside a sentence: "mean ELA achievement before engagement"."""
    base, _, kind = feature.partition(" (")
    noun = OUTCOME_NOUNS.get(base) or COVARIATE_NOUNS.get(base) or base
    which = "the trend in" if kind.startswith("pre trend") else "mean"
    return f"{which} {noun} before engagement"


def _plain(text: str, outcome: str) -> str:
    """An estimator message in the scorecard's words: outcome names instead of column names."""
    noun = OUTCOME_NOUNS.get(outcome, outcome)
    text = re.sub(rf"^{re.escape(outcome)}: ", "", text)
    text = re.sub(r"\s*\((min_treated|min_comparison)=\d+\)", "", text)
    text = re.sub(r"'?([a-z_]+ \(pre (?:mean|trend)\))'?", lambda m: _feature_phrase(m[1]), text)
    text = text.replace(f"'{outcome}'", noun).replace("school(s)", "schools")
    return text[:1].upper() + text[1:]


def _refusal_words(exc: InsufficientDataError, outcome: str) -> str:
    message = str(exc)
    noun = OUTCOME_NOUNS.get(outcome, outcome)
    m = re.search(r"only (\d+) engaged school\(s\) have .* at least (\d+) are needed", message)
    if m:
        n, need = int(m[1]), int(m[2])
        return (
            f"Only {_plural(n, 'engaged school')} {'has' if n == 1 else 'have'} {noun} results "
            f"before and after engagement; an estimate needs at least {need}."
        )
    m = re.search(r"only (\d+) comparison school\(s\) have .* at least (\d+) are needed", message)
    if m:
        n, need = int(m[1]), int(m[2])
        return (
            f"Only {_plural(n, 'comparison school')} {'has' if n == 1 else 'have'} {noun} results "
            f"before and after the engaged schools' start years; an estimate needs at least "
            f"{need}."
        )
    if message.startswith("no engaged school could be matched"):
        return (
            f"No engaged school could be matched to a school of the same type that no partner "
            f"served and that has {noun} results, enrolment and demographics before engagement."
        )
    return _plain(message, outcome).rstrip(".") + "."


# ---------------------------------------------------------------------------------------------
# One partner and area


@dataclass(frozen=True)
class _Row:
    """What one ImpactEstimate row will hold."""

    outcome: str
    values: dict[str, Any]

    @property
    def refused(self) -> bool:
        return bool(self.values["refusal"])


def _num(value: Any) -> float | None:
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _clean(obj: Any) -> Any:
    """JSON-ready: NaN and infinities become null, tuples lists, numpy scalars Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return _num(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _coef(c: Coefficient | None) -> dict[str, Any] | None:
    return None if c is None else _clean(asdict(c))


def method_words(state_data_years: Sequence[int], covariates: Sequence[str]) -> str:
    """The method in one paragraph, for the scorecard."""
    span = (
        f"{state_data_years[0]}–{state_data_years[-1]}" if state_data_years else "the data's years"
    )
    covs = " and ".join(COVARIATE_NOUNS.get(c, c) for c in covariates) or "no other covariates"
    return (
        f"Each engaged school is compared with the {MATCH_K} most similar schools of the same "
        f"type in the state that no partner served during {span} (nearest neighbours, chosen with "
        f"replacement, on the outcome's level and trend in the years before engagement, {covs}); "
        "a school counts from the school year its first engagement started, when the data hold at "
        f"least {MIN_PRE_YEARS} years before it. The effect is the change after engagement in "
        "engaged schools minus the change in their comparison schools (stacked "
        "difference-in-differences: each start year is its own comparison, and the overall "
        "estimate averages them by number of engaged schools), with standard errors clustered by "
        f"school and {round(CONFIDENCE * 100)}% confidence intervals. An event study shows the "
        "difference year by year around the start; a joint test of the years before the start "
        "checks that the groups moved in parallel beforehand, and an interrupted time series "
        "gives the change in level and slope. Estimates from fewer than "
        f"{MIN_TREATED} engaged or {MIN_COMPARISON} comparison schools are refused. These are "
        "observational estimates: a partner brought in after a bad year, or other changes at the "
        "same time, can look like an effect."
    )


def _refusal_row(outcome: str, reason: str, base: dict[str, Any]) -> _Row:
    return _Row(
        outcome,
        {
            "estimate": None,
            "se": None,
            "ci_low": None,
            "ci_high": None,
            "p_value": None,
            "n_treated": 0,
            "n_comparison": 0,
            "pretrend_p_value": None,
            "refusal": reason,
            "detail": _clean({**base, "outcome": outcome}),
        },
    )


def _used_schools(
    panel: pd.DataFrame, outcome: str, treated: dict[str, int], cohorts: Iterable[int]
) -> list[str]:
    """Engaged schools the estimate used: outcome data before and from their start year."""
    keep = set(cohorts)
    have = panel.loc[panel[outcome].notna(), ["school", "year"]]
    first = have.groupby("school")["year"].min()
    last = have.groupby("school")["year"].max()
    return sorted(
        (
            s
            for s, start in treated.items()
            if start in keep and s in first.index and first[s] < start <= last[s]
        ),
        key=int,
    )


def _match_caveats(match: MatchResult, names: dict[int, str], outcome: str) -> list[str]:
    out: list[str] = []
    if match.unmatched:
        shown = "; ".join(
            f"{names.get(int(u.school), u.school)} ({_plain(u.reason, outcome)})"
            for u in match.unmatched[:5]
        )
        more = " …" if len(match.unmatched) > 5 else ""
        out.append(
            f"{_plural(len(match.unmatched), 'engaged school')} found no comparable school and "
            f"{'is' if len(match.unmatched) == 1 else 'are'} left out: {shown}{more}"
        )
    for caveat in match.caveats:
        if "have no comparison school and are left out" in caveat:
            continue  # said above, with names
        out.append(_plain(caveat, outcome))
    return out


def _estimate_row(
    data: _StateData,
    panel: pd.DataFrame,
    *,
    outcome: str,
    treated: dict[str, int],
    base: dict[str, Any],
) -> _Row:
    """Match and estimate one outcome; ``panel`` holds the engaged and candidate schools."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MatchingWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            match = comparison_match(
                panel,
                treated=treated,
                outcome=outcome,
                covariates=data.covariates,
                exact=("school_type",),
                k=MATCH_K,
                replace=True,
                candidates=data.pool,
            )
        used = set(match.treated) | {s for v in match.comparison.values() for s in v}
        sub = panel.loc[panel["school"].isin(used)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result: ImpactResult = impact_estimate(
                sub,
                outcome=outcome,
                treated=dict(match.treated),
                comparison=match,
                min_treated=MIN_TREATED,
                min_comparison=MIN_COMPARISON,
                confidence=CONFIDENCE,
                pretrend_alpha=PRETREND_ALPHA,
            )
    except InsufficientDataError as exc:
        return _refusal_row(outcome, _refusal_words(exc, outcome), base)

    engaged_used = _used_schools(
        sub, outcome, dict(match.treated), (c.start_year for c in result.cohorts)
    )
    comparison_used = sorted(
        {s for c in result.cohorts for s in match.comparison.get(c.start_year, ())}, key=int
    )
    have = sub.loc[sub[outcome].notna(), "year"]
    caveats: list[str] = list(base.get("caveats", []))
    caveats += _match_caveats(match, data.school_names, outcome)
    for caveat in result.caveats:
        if "had no matched comparison school" in caveat:
            continue  # the matching caveat names them
        caveats.append(_plain(caveat, outcome))
    balance = [
        {"feature": str(r["feature"]), "label": _feature_label(str(r["feature"])), **r}
        for r in match.balance.to_dict(orient="records")
    ]
    detail = {
        **base,
        "outcome": outcome,
        "unit": OUTCOME_UNITS[outcome],
        "se": result.se,
        "df": result.df,
        "confidence": result.confidence,
        "n_observations": result.n_observations,
        "n_stacked_rows": result.n_stacked_rows,
        "cohorts": [asdict(c) for c in result.cohorts],
        "reference_year": result.reference_year,
        "leads": [asdict(e) for e in result.leads],
        "lags": [asdict(e) for e in result.lags],
        "pretrend": {
            "stat": result.pretrend_stat,
            "df": list(result.pretrend_df) if result.pretrend_df else None,
            "p_value": result.pretrend_p_value,
        },
        "cits": {
            "trend_difference": _coef(result.trend_difference),
            "level_change": _coef(result.level_change),
            "slope_change": _coef(result.slope_change),
        },
        "balance": balance,
        "matching": {
            **base["matching"],
            "n_matched": match.n_treated,
            "n_comparison_matched": match.n_comparison,
            "unmatched": [
                {"school_id": int(u.school), "start_year": u.start_year, "reason": u.reason}
                for u in match.unmatched
            ],
        },
        "caveats": list(dict.fromkeys(caveats)),
        "estimator": result.method,
        "years": [int(have.min()), int(have.max())] if len(have) else base["years"],
        "engaged_school_ids": [int(s) for s in engaged_used],
        "comparison_school_ids": [int(s) for s in comparison_used],
    }
    return _Row(
        outcome,
        {
            "estimate": _num(result.estimate),
            "se": _num(result.se),
            "ci_low": _num(result.ci_low),
            "ci_high": _num(result.ci_high),
            "p_value": _num(result.p_value),
            "n_treated": result.n_treated_schools,
            "n_comparison": result.n_comparison_schools,
            "pretrend_p_value": _num(result.pretrend_p_value),
            "refusal": "",
            "detail": _clean(detail),
        },
    )


def _too_few_words(
    *, n: int, total: int, too_early: int, too_late: int, no_data: int, first: Any, last: Any
) -> str:
    """Why there are too few engaged schools, before looking at any outcome."""
    parts = []
    if too_early:
        parts.append(
            f"{too_early} started before the data hold {MIN_PRE_YEARS} years of results "
            f"(they begin in {first})"
        )
    if too_late:
        parts.append(f"{too_late} started after {last}, the last year with data")
    if no_data:
        parts.append(f"{no_data} {'has' if no_data == 1 else 'have'} no results or profiles")
    why = " and ".join(parts)
    if n == 0:
        if total == 1:
            return f"The one engaged school cannot be measured: it {why.split(' ', 1)[1]}."
        return f"None of the {total} engaged schools can be measured: {why}."
    return (
        f"Only {_plural(n, 'engaged school')} {'has' if n == 1 else 'have'} results before and "
        f"after engagement; an estimate needs at least {MIN_TREATED}."
        + (f" Of the {total} engaged schools, {why}." if why else "")
    )


def _group_rows(
    data: _StateData,
    partner: PartnerOrganization,
    need_area: str,
    outcomes: Sequence[str] = OUTCOMES,
) -> list[_Row]:
    """The rows of one partner and area (``''`` = all areas) in one state."""
    state = data.state
    years = data.years
    first, last = (years[0], years[-1]) if years else (None, None)
    mine = [
        r
        for r in data.engagements
        if r.partner_id == partner.pk and (not need_area or r.need_area == need_area)
    ]
    starts: dict[int, int] = {}
    for r in mine:
        if r.school_id is not None:
            starts[r.school_id] = min(r.start_year, starts.get(r.school_id, r.start_year))
    n_districts = len({r.district_id for r in mine if r.district_id is not None})
    too_early = {s: y for s, y in starts.items() if sum(1 for v in years if v < y) < MIN_PRE_YEARS}
    too_late = {
        s: y for s, y in starts.items() if s not in too_early and (last is None or y > last)
    }
    eligible = {s: y for s, y in starts.items() if s not in too_early and s not in too_late}
    in_panel = set(data.panel["school_id"].tolist())
    no_data = sum(1 for s in eligible if s not in in_panel)
    eligible = {s: y for s, y in eligible.items() if s in in_panel}
    others = {
        s for pid, schools in data.partner_schools.items() if pid != partner.pk for s in schools
    }
    shared = sorted(s for s in eligible if s in others)

    caveats: list[str] = []
    if too_early:
        caveats.append(
            f"{_plural(len(too_early), 'engaged school')} started before the data hold "
            f"{MIN_PRE_YEARS} years of results to compare with and "
            f"{'is' if len(too_early) == 1 else 'are'} left out"
        )
    if too_late:
        caveats.append(
            f"{_plural(len(too_late), 'engaged school')} started after the last year of data "
            f"({last}) and cannot be measured yet"
        )
    if n_districts:
        caveats.append(
            f"{_plural(n_districts, 'district-wide engagement')} "
            f"{'is' if n_districts == 1 else 'are'} not estimated (only school engagements are)"
        )
    if shared:
        caveats.append(
            f"{_plural(len(shared), 'engaged school')} {'was' if len(shared) == 1 else 'were'} "
            "also served by another partner in the same years: the estimate includes their work"
        )
    if data.covariate_note:
        caveats.append(data.covariate_note)
    area_words = f" in {area_label(need_area).lower()}" if need_area else ""
    base: dict[str, Any] = {
        "method": method_words(years, data.covariates),
        "years": [first, last] if years else None,
        "panel_years": list(years),
        "selection": {
            "engaged_schools": len(starts),
            "eligible_schools": len(eligible),
            "started_too_early": len(too_early),
            "started_after_data": len(too_late),
            "without_data": no_data,
            "district_engagements": n_districts,
            "also_served_by_others": len(shared),
            "comparison_pool": len(data.pool),
            "excluded_engaged": data.pool_excluded_school,
            "excluded_district_engaged": data.pool_excluded_district,
            "start_years": dict(sorted(Counter(eligible.values()).items())),
        },
        "matching": {
            "k": MATCH_K,
            "replace": True,
            "exact": ["school_type"],
            "covariates": list(data.covariates),
            "metric": "mahalanobis",
        },
        "caveats": caveats,
        "engaged_school_ids": sorted(eligible),
        "comparison_school_ids": [],
        "cohorts": [],
        "leads": [],
        "lags": [],
        "balance": [],
    }
    if not starts:
        reason = (
            f"{partner.name} has no school engagements in {state.name}{area_words}"
            + (
                f" (only {_plural(n_districts, 'district-wide engagement')}, which are not "
                "estimated)"
                if n_districts
                else ""
            )
            + ": there is nothing to estimate."
        )
        return [_refusal_row(o, reason, base) for o in outcomes]
    if not years:
        reason = f"{state.name} has no results or profiles loaded: there is nothing to compare."
        return [_refusal_row(o, reason, base) for o in outcomes]
    if len(eligible) < MIN_TREATED:
        reason = _too_few_words(
            n=len(eligible),
            total=len(starts),
            too_early=len(too_early),
            too_late=len(too_late),
            no_data=no_data,
            first=first,
            last=last,
        )
        return [_refusal_row(o, reason, base) for o in outcomes]
    treated = {str(s): y for s, y in eligible.items()}
    # only engaged schools and candidates of their school types can take part (exact matching):
    # leaving the rest out keeps the matching's work in proportion
    panel = data.panel
    types = set(panel.loc[panel["school"].isin(treated), "school_type"])
    panel = panel.loc[
        (panel["school"].isin(treated) | panel["school"].isin(data.pool))
        & panel["school_type"].isin(types)
    ]
    return [_estimate_row(data, panel, outcome=o, treated=treated, base=base) for o in outcomes]


# ---------------------------------------------------------------------------------------------
# Runs: compute, store atomically, audit once


def _check_args(*, state: object, need_area: str | None = None, actor: object = None) -> None:
    if not isinstance(state, State):
        raise ValidationError({"state": "Name a state."})
    if need_area and need_area not in NeedArea.values:
        raise ValidationError(
            {
                "need_area": f"{need_area!r} is not a need area; choose one of "
                f"{', '.join(NeedArea.values)}, or leave it empty for all areas."
            }
        )
    if actor is not None and state.pk not in access.staff_state_ids(actor):
        raise PermissionDenied(
            f"Only state administrators and staff of {state.name} can compute impact estimates."
        )


def _partner_areas(data: _StateData, partner_id: int) -> list[str]:
    return sorted({r.need_area for r in data.engagements if r.partner_id == partner_id})


def _partner_groups(
    data: _StateData, partner: PartnerOrganization, areas: Sequence[str]
) -> dict[tuple[int, str], list[_Row]]:
    """The rows of each area of ``areas`` (``''`` = all together). A partner that served in one
    area only has the same engagements for "all areas" and that area: computed once."""
    out: dict[tuple[int, str], list[_Row]] = {}
    served = _partner_areas(data, partner.pk)
    for area in areas:
        if area and "" in areas and served == [area] and (partner.pk, "") in out:
            out[(partner.pk, area)] = out[(partner.pk, "")]
        else:
            out[(partner.pk, area)] = _group_rows(data, partner, area)
    return out


def _store(
    *,
    state: State,
    groups: dict[tuple[int, str], list[_Row]],
    computed_at: dt.datetime,
    stale: Q | None,
    actor: Any,
    label: str,
) -> list[ImpactEstimate]:
    """Write every row of the run in one transaction (overwriting), delete ``stale``, audit."""
    stored: list[ImpactEstimate] = []
    partner_ids = sorted({p for p, _ in groups})
    with transaction.atomic():
        # one writer per partner at a time (PostgreSQL; SQLite serialises writes anyway)
        list(
            PartnerOrganization.objects.select_for_update()
            .filter(pk__in=partner_ids)
            .values_list("pk", flat=True)
        )
        deleted = 0
        if stale is not None:
            deleted, _ = ImpactEstimate.objects.filter(state=state).filter(stale).delete()
        for (partner_id, need_area), rows in groups.items():
            for row in rows:
                obj, _ = ImpactEstimate.objects.update_or_create(
                    partner_id=partner_id,
                    state=state,
                    need_area=need_area,
                    outcome=row.outcome,
                    defaults={**row.values, "computed_at": computed_at},
                )
                stored.append(obj)
        all_rows = [r for rows in groups.values() for r in rows]
        counts = {
            "partners": len(partner_ids),
            "groups": len(groups),
            "estimated": sum(1 for r in all_rows if not r.refused),
            "refused": sum(1 for r in all_rows if r.refused),
            "deleted_stale": deleted,
        }
        audit_record(
            actor=actor,
            action=AuditEvent.Action.LOAD,
            object_type=ImpactEstimate._meta.label,
            object_repr=label,
            state_id=state.pk,
            changes=counts,
        )
    logger.info(
        "impact run %s: %d partner(s), %d group(s), %d estimated, %d refused",
        state.code,
        counts["partners"],
        counts["groups"],
        counts["estimated"],
        counts["refused"],
    )
    return stored


def impact_compute(
    *,
    partner: PartnerOrganization,
    state: State,
    need_area: str = "",
    actor: Any = None,
) -> list[ImpactEstimate]:
    """Estimate ``partner``'s impact in ``state`` (one area, or ``''`` for all) on every outcome.

    Overwrites the stored estimates of that partner, state and area in one transaction, one row
    per outcome: the estimate, or ``refusal`` with the reason in plain words. ``actor`` (a user)
    must be state staff of ``state``; ``None`` is the system (the CLI).

    Raises
    ------
    ValidationError
        ``state`` is not a state, or ``need_area`` not a need area.
    PermissionDenied
        ``actor`` is not a state administrator or staff member of ``state``.
    """
    need_area = need_area or ""
    _check_args(state=state, need_area=need_area, actor=actor)
    data = _load_state(state)
    rows = _group_rows(data, partner, need_area)
    return _store(
        state=state,
        groups={(partner.pk, need_area): rows},
        computed_at=timezone.now(),
        stale=None,
        actor=actor,
        label=f"Impact estimates: {partner.name} in {state.code}"
        + (f", {area_label(need_area)}" if need_area else ""),
    )


def impact_compute_partner(
    *, partner: PartnerOrganization, state: State, actor: Any = None
) -> list[ImpactEstimate]:
    """:func:`impact_compute` for all areas together and for each area the partner served in
    ``state``, from one load of the state's data; estimates of areas it no longer serves in are
    deleted. One transaction, one audit event."""
    _check_args(state=state, actor=actor)
    data = _load_state(state)
    areas = ["", *_partner_areas(data, partner.pk)]
    groups = _partner_groups(data, partner, areas)
    return _store(
        state=state,
        groups=groups,
        computed_at=timezone.now(),
        stale=Q(partner=partner) & ~Q(need_area__in=areas),
        actor=actor,
        label=f"Impact estimates: {partner.name} in {state.code}, every area",
    )


def impact_compute_state(
    *,
    state: State,
    actor: Any = None,
    progress: ProgressCallback | None = None,
    partners: Sequence[PartnerOrganization] | None = None,
    need_area: str | None = None,
) -> list[ImpactEstimate]:
    """Every partner with engagements in ``state``: all areas together and each area.

    ``partners`` limits the run to some partners, ``need_area`` to one area (the CLI's
    ``--partner`` and ``--area``); a full run (neither given) also deletes the estimates of
    partners and areas without engagements any more. The state's data are loaded once; the run is
    one transaction and one audit event. ``progress(partner name, done, total)`` is called before
    each partner and with ``("done", total, total)`` at the end.
    """
    _check_args(state=state, need_area=need_area, actor=actor)
    started = time.perf_counter()
    data = _load_state(state)
    engaged_partner_ids = sorted({r.partner_id for r in data.engagements})
    if partners is None:
        chosen = list(PartnerOrganization.objects.filter(pk__in=engaged_partner_ids))
    else:
        chosen = list(partners)
    groups: dict[tuple[int, str], list[_Row]] = {}
    for i, partner in enumerate(chosen):
        if progress is not None:
            progress(partner.name, i, len(chosen))
        areas = [need_area] if need_area else ["", *_partner_areas(data, partner.pk)]
        groups.update(_partner_groups(data, partner, areas))
    if progress is not None:
        progress("done", len(chosen), len(chosen))
    stale: Q | None = None
    if partners is None and need_area is None:
        keep = Q(pk__in=[])
        for partner_id, area in groups:
            keep |= Q(partner_id=partner_id, need_area=area)
        stale = ~keep
    stored = _store(
        state=state,
        groups=groups,
        computed_at=timezone.now(),
        stale=stale,
        actor=actor,
        label=f"Impact estimates: every partner in {state.code}",
    )
    logger.info(
        "impact run %s: %d school-years, %d partner(s) in %.1f s",
        state.code,
        len(data.panel),
        len(chosen),
        time.perf_counter() - started,
    )
    return stored


# ---------------------------------------------------------------------------------------------
# Reads for the scorecard


def engagement_status(e: Engagement, today: dt.date) -> str:
    if e.starts_on > today:
        return "upcoming"
    if e.ends_on < today:
        return "ended"
    return "current"


STATUS_LABELS = {"current": "Current", "upcoming": "Upcoming", "ended": "Ended"}


@dataclass(frozen=True)
class EstimateView:
    """A stored estimate with its words and numbers ready for a table."""

    obj: ImpactEstimate
    state_code: str
    state_name: str

    @property
    def outcome_label(self) -> str:
        return outcome_label(self.obj.outcome)

    @property
    def area_label(self) -> str:
        return area_label(self.obj.need_area) if self.obj.need_area else "All areas"

    @property
    def is_refused(self) -> bool:
        return self.obj.estimate is None

    @property
    def decimals(self) -> int:
        return 2 if self.obj.outcome in PROFILE_OUTCOMES else 1

    def fmt(self, value: float | None, *, sign: bool = False) -> str:
        if value is None:
            return "—"
        if round(value, self.decimals) == 0:
            value = 0.0  # never "-0.0"
        return f"{value:+.{self.decimals}f}" if sign else f"{value:.{self.decimals}f}"

    @property
    def estimate_text(self) -> str:
        return self.fmt(self.obj.estimate, sign=True)

    @property
    def ci_text(self) -> str:
        return f"{self.fmt(self.obj.ci_low, sign=True)} to {self.fmt(self.obj.ci_high, sign=True)}"

    @property
    def p_text(self) -> str:
        return "—" if self.obj.p_value is None else _p(self.obj.p_value)

    @property
    def pretrend_text(self) -> str:
        return pretrend_words(self.obj.pretrend_p_value)

    @property
    def pretrend_differs(self) -> bool:
        p = self.obj.pretrend_p_value
        return p is not None and p < PRETREND_ALPHA

    @property
    def unit(self) -> str:
        return OUTCOME_UNITS.get(self.obj.outcome, "")

    @property
    def caveats(self) -> list[str]:
        return list(self.obj.detail.get("caveats", []))

    @property
    def event_rows(self) -> list[dict[str, Any]]:
        """Leads, the reference year (0 by construction) and lags, by relative year."""
        d = self.obj.detail
        rows = [{**e, "reference": False} for e in [*d.get("leads", []), *d.get("lags", [])]]
        ref = d.get("reference_year")
        if ref is not None:
            rows.append(
                {
                    "relative_year": ref,
                    "estimate": 0.0,
                    "ci_low": None,
                    "ci_high": None,
                    "se": None,
                    "p_value": None,
                    "n_treated_schools": None,
                    "reference": True,
                }
            )
        return sorted(rows, key=lambda r: r["relative_year"])

    @property
    def balance(self) -> list[dict[str, Any]]:
        return list(self.obj.detail.get("balance", []))

    @property
    def cits(self) -> list[dict[str, Any]]:
        d = self.obj.detail.get("cits") or {}
        names = {
            "trend_difference": "Difference in trend before engagement (per year)",
            "level_change": "Change in level at engagement",
            "slope_change": "Change in slope after engagement (per year)",
        }
        return [{"name": names[k], **d[k]} for k in names if d.get(k)]

    def as_dict(self) -> dict[str, Any]:
        o = self.obj
        return {
            "id": o.pk,
            "partner_id": o.partner_id,
            "state": self.state_code,
            "need_area": o.need_area,
            "need_area_label": self.area_label,
            "outcome": o.outcome,
            "outcome_label": self.outcome_label,
            "unit": self.unit,
            "computed_at": o.computed_at,
            "estimate": o.estimate,
            "se": o.se,
            "ci_low": o.ci_low,
            "ci_high": o.ci_high,
            "p_value": o.p_value,
            "n_treated": o.n_treated,
            "n_comparison": o.n_comparison,
            "pretrend_p_value": o.pretrend_p_value,
            "pretrend_summary": None if self.is_refused else self.pretrend_text,
            "refusal": o.refusal,
            "detail": o.detail,
        }


def visible_estimates(user: Any, partner: PartnerOrganization) -> list[EstimateView]:
    """The stored estimates of ``partner`` in the states whose scorecard the user sees."""
    state_ids = access.scorecard_state_ids(user, partner)
    rows = (
        ImpactEstimate.objects.filter(partner=partner, state_id__in=state_ids)
        .select_related("state")
        .order_by("state__code", "need_area", "outcome")
    )
    order = {o: i for i, o in enumerate(OUTCOMES)}
    views = [EstimateView(r, r.state.code, r.state.name) for r in rows]
    return sorted(
        views, key=lambda v: (v.state_code, v.obj.need_area, order.get(v.obj.outcome, 99))
    )


def _outcome_means(engagements: Sequence[Engagement]) -> list[dict[str, Any]]:
    """Mean of each outcome over the engaged schools, by year relative to their first start."""
    starts: dict[int, int] = {}
    for e in engagements:
        if e.school_id is not None:
            y = engagement_start_year(e.starts_on)
            starts[e.school_id] = min(y, starts.get(e.school_id, y))
    if not starts:
        return []
    ids = list(starts)
    frames: list[pd.DataFrame] = []
    results = _frame(
        AssessmentResult.objects.filter(
            school_id__in=ids,
            grade=ALL_GRADES,
            group=StudentGroup.ALL,
            subject__in=[Subject.ELA, Subject.MATH],
        ).values_list("school_id", "year", "subject", "composite_index", "median_sgp"),
        ["school_id", "year", "subject", "composite_index", "median_sgp"],
    )
    for outcome, (subject, column) in RESULT_OUTCOMES.items():
        part = results.loc[results["subject"] == subject, ["school_id", "year", column]]
        frames.append(part.rename(columns={column: "value"}).assign(outcome=outcome))
    profiles = _frame(
        SchoolYearProfile.objects.filter(school_id__in=ids).values_list(
            "school_id", "year", *PROFILE_OUTCOMES.values()
        ),
        ["school_id", "year", *PROFILE_OUTCOMES.values()],
    )
    for outcome, column in PROFILE_OUTCOMES.items():
        part = profiles[["school_id", "year", column]]
        frames.append(part.rename(columns={column: "value"}).assign(outcome=outcome))
    long = pd.concat(frames, ignore_index=True)
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    long = long[long["value"].notna()]
    if long.empty:
        return []
    long["relative_year"] = long["year"] - long["school_id"].map(starts)
    long = long[long["relative_year"].isin(list(RELATIVE_YEARS))]
    grouped = long.groupby(["outcome", "relative_year"])["value"].agg(["mean", "count"])
    order = {o: i for i, o in enumerate(OUTCOMES)}
    out = [
        {
            "outcome": str(o),
            "outcome_label": outcome_label(str(o)),
            "relative_year": int(r),
            "mean": round(float(m), 2),
            "n_schools": int(n),
        }
        for (o, r), (m, n) in grouped.iterrows()
    ]
    return sorted(out, key=lambda row: (order.get(row["outcome"], 99), row["relative_year"]))


def _state_code(e: Engagement) -> str:
    district = e.school.district if e.school is not None else e.district
    return str(district.state.code) if district is not None else ""


@dataclass
class Scorecard:
    """What a partner's scorecard shows to one viewer."""

    partner: PartnerOrganization
    engagements: list[Engagement]
    status_of: dict[int, str]
    by_area: list[dict[str, Any]]
    by_status: list[dict[str, Any]]
    cost_by_funding: list[dict[str, Any]]
    total_cost: Decimal
    schools_served: int
    districts_served: int
    outcome_means: list[dict[str, Any]]
    estimates: list[EstimateView]
    state_ids: frozenset[int]

    @property
    def engagement_rows(self) -> list[tuple[Engagement, str]]:
        return [(e, self.status_of[e.pk]) for e in self.engagements]

    def engagement_summary(self) -> dict[str, Any]:
        return {
            "total": len(self.engagements),
            "schools_served": self.schools_served,
            "districts_served": self.districts_served,
            "by_area": self.by_area,
            "by_status": self.by_status,
            "cost_by_funding": self.cost_by_funding,
            "total_cost": self.total_cost,
            "items": [
                {
                    "id": e.pk,
                    "school_id": e.school_id,
                    "district_id": e.district_id,
                    "organisation": str(e.school or e.district),
                    "state": _state_code(e),
                    "need_area": e.need_area,
                    "need_area_label": area_label(e.need_area),
                    "starts_on": e.starts_on,
                    "ends_on": e.ends_on,
                    "status": self.status_of[e.pk],
                    "cost": e.cost,
                    "funding_source": e.funding_source,
                    "funding_source_label": e.get_funding_source_display() or "Not recorded",
                }
                for e in self.engagements
            ],
        }


def scorecard_for(user: Any, partner: PartnerOrganization) -> Scorecard:
    """The scorecard of ``partner`` as ``user`` sees it: only the engagements they may see, the
    estimates of the states they may see. The caller has checked ``sees_scorecard``."""
    today = timezone.localdate()
    engagements = list(
        access.visible_engagements(user)
        .filter(partner=partner)
        .select_related("school__district__state", "district__state")
        .order_by("-starts_on", "pk")
    )
    status_of = {e.pk: engagement_status(e, today) for e in engagements}
    area_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for e in engagements:
        area_counts[e.need_area][status_of[e.pk]] += 1
    by_area = [
        {
            "need_area": a,
            "label": area_label(a),
            "total": sum(c.values()),
            **{s: c.get(s, 0) for s in STATUS_LABELS},
        }
        for a, c in sorted(area_counts.items(), key=lambda kv: area_label(kv[0]))
    ]
    status_counts = Counter(status_of.values())
    by_status = [
        {"status": s, "label": label, "count": status_counts.get(s, 0)}
        for s, label in STATUS_LABELS.items()
    ]
    costs: dict[str, Decimal] = defaultdict(Decimal)
    counted: Counter[str] = Counter()
    for e in engagements:
        if e.cost is not None:
            costs[e.funding_source] += e.cost
            counted[e.funding_source] += 1
    labels = dict(FundingSource.choices)
    cost_by_funding = [
        {
            "funding_source": f,
            "label": labels.get(f, "Not recorded") if f else "Not recorded",
            "engagements": counted[f],
            "total": costs[f],
        }
        for f in sorted(costs, key=lambda k: -costs[k])
    ]
    return Scorecard(
        partner=partner,
        engagements=engagements,
        status_of=status_of,
        by_area=by_area,
        by_status=by_status,
        cost_by_funding=cost_by_funding,
        total_cost=sum(costs.values(), Decimal(0)),
        schools_served=len({e.school_id for e in engagements if e.school_id is not None}),
        districts_served=len({e.district_id for e in engagements if e.district_id is not None}),
        outcome_means=_outcome_means(engagements),
        estimates=visible_estimates(user, partner),
        state_ids=access.scorecard_state_ids(user, partner),
    )
