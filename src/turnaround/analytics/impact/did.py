"""Stacked difference-in-differences, event study and comparative interrupted time series.

See the package docstring for the method; this module builds the stacked panel, runs the three
regressions through :func:`~turnaround.analytics.impact.ols.cluster_ols` and assembles the
results with their caveats.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from turnaround.analytics.impact.errors import ImpactInputError, InsufficientDataError
from turnaround.analytics.impact.matching import MatchResult
from turnaround.analytics.impact.ols import FIXEF_K, ClusterFit, CollinearError, FixefK, cluster_ols
from turnaround.analytics.impact.panel import (
    check_choice,
    check_int,
    check_panel,
    check_probability,
    check_treated,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Below this many engaged (or comparison) schools the result carries a "few schools" caveat:
#: cluster-robust standard errors are known to be too small with few clusters on one side.
FEW_SCHOOLS = 10

Comparison = MatchResult | Mapping[int, Collection[str]] | Collection[str] | None

METHOD = (
    "stacked difference-in-differences: one sub-experiment per engagement start year (engaged "
    "schools of that year against never-engaged comparison schools), school-by-stack and "
    "year-by-stack fixed effects; the overall estimate averages the start-year estimates "
    "weighted by their number of engaged schools; CR1 standard errors clustered by school, "
    "t distribution with G - 1 degrees of freedom"
)


@dataclass(frozen=True)
class Coefficient:
    """One regression coefficient with its cluster-robust inference.

    Attributes
    ----------
    term : str
    estimate, se, ci_low, ci_high, p_value : float
        Two-sided p-value and interval from the t distribution with ``df`` degrees of freedom.
    df : int
    """

    term: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: int


@dataclass(frozen=True)
class EventTimeEstimate:
    """The engaged-minus-comparison difference ``relative_year`` years from engagement start.

    Relative to the reference year (normally −1, the last year before engagement).

    Attributes
    ----------
    relative_year : int
        Year minus start year: negative = before engagement (a *lead*), 0 = first year.
    estimate, se, ci_low, ci_high, p_value : float
    n_treated_schools : int
        Engaged schools observed at this relative year.
    """

    relative_year: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treated_schools: int


@dataclass(frozen=True)
class CohortEstimate:
    """The difference-in-differences estimate of one engagement start year.

    Attributes
    ----------
    start_year : int
    estimate, se, ci_low, ci_high, p_value : float
    n_treated_schools, n_comparison_schools : int
    weight : float
        Share of this cohort in the overall estimate (its share of engaged schools).
    """

    start_year: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treated_schools: int
    n_comparison_schools: int
    weight: float


@dataclass(frozen=True)
class ImpactResult:
    """The estimated effect of engagement on one outcome, with its checks and caveats.

    Attributes
    ----------
    outcome : str
    estimate : float
        Average effect on engaged schools (ATT): outcome change after engagement in engaged
        schools minus the change in their comparison schools, averaged over start years by
        number of engaged schools.
    se, ci_low, ci_high, p_value : float
        CR1 cluster-robust (by school) standard error, ``confidence`` interval and two-sided
        p-value, t distribution with ``df`` degrees of freedom.
    df : int
        ``G - 1`` for ``G`` schools (clusters).
    confidence : float
    n_treated_schools, n_comparison_schools : int
        Schools with outcome data both before and after their (cohort's) start year.
    n_observations : int
        Distinct school-year rows used.
    n_stacked_rows : int
        Rows of the stacked regression (a comparison school counts once per cohort it serves).
    cohorts : tuple of CohortEstimate
    reference_year : int or None
        Relative year the event study is normalised to (−1 unless that year has no data).
    leads, lags : tuple of EventTimeEstimate
        Event-study coefficients before (relative year < reference) and from engagement start.
    pretrend_stat : float or None
        Wald F statistic of the joint test that all leads are zero (cluster-robust covariance),
        ``None`` with fewer than 2 pre-period years.
    pretrend_df : tuple of int or None
        Its numerator and denominator degrees of freedom ``(number of leads, G - 1)``.
    pretrend_p_value : float or None
    trend_difference : Coefficient or None
        Comparative interrupted time series: engaged minus comparison pre-period linear trend
        (per year); ``None`` with fewer than 2 pre-period years.
    level_change, slope_change : Coefficient or None
        CITS change in level at engagement start relative to the engaged schools' projected
        pre-period trend, and change in slope (``None`` with fewer than 2 post-period years).
    caveats : tuple of str
        Human-readable warnings to show beside the number.
    method : str
    """

    outcome: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: int
    confidence: float
    n_treated_schools: int
    n_comparison_schools: int
    n_observations: int
    n_stacked_rows: int
    cohorts: tuple[CohortEstimate, ...]
    reference_year: int | None
    leads: tuple[EventTimeEstimate, ...]
    lags: tuple[EventTimeEstimate, ...]
    pretrend_stat: float | None
    pretrend_df: tuple[int, int] | None
    pretrend_p_value: float | None
    trend_difference: Coefficient | None
    level_change: Coefficient | None
    slope_change: Coefficient | None
    caveats: tuple[str, ...]
    method: str = METHOD

    def summary(self) -> str:
        """A few lines of plain text: the estimate, n, the pre-trend check and the caveats."""
        pct = round(self.confidence * 100)
        lines = [
            f"{self.outcome}: effect {self.estimate:.3g} (SE {self.se:.3g}; {pct}% CI "
            f"{self.ci_low:.3g} to {self.ci_high:.3g}; {_p(self.p_value)})",
            f"{self.n_treated_schools} engaged schools, {self.n_comparison_schools} comparison "
            f"schools, {self.n_observations} school-years",
        ]
        if self.pretrend_p_value is not None and self.pretrend_df is not None:
            lines.append(
                f"pre-trend test: F({self.pretrend_df[0]}, {self.pretrend_df[1]}) = "
                f"{self.pretrend_stat:.3g}, {_p(self.pretrend_p_value)}"
            )
        lines.extend(f"caveat: {c}" for c in self.caveats)
        return "\n".join(lines)


def _p(p: float) -> str:
    """``"p = 0.02"``, ``"p = 0.004"``, ``"p < 0.001"``."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


@dataclass(frozen=True, eq=False)
class _Design:
    """The stacked panel of one missingness pattern."""

    rows: IntArray  # row of the clean panel, per stacked row
    stack: IntArray  # cohort index
    school: IntArray  # school code (cluster)
    rel: IntArray  # year - start year
    treated: BoolArray
    absorb: IntArray  # stack x school code
    nuisance: FloatArray  # stack x year dummies
    cohorts: tuple[int, ...]
    n_treated: tuple[int, ...]
    n_comparison: tuple[int, ...]


def _stack(
    df: pd.DataFrame,
    have: BoolArray,
    *,
    school: str,
    year: str,
    engaged: Mapping[str, int],
    controls: Mapping[int, frozenset[str]],
    window: tuple[int, int] | None,
) -> tuple[_Design | None, list[str], dict[str, int]]:
    """Stack the sub-experiments; return the design (None if empty), caveats and drop counts."""
    ids = df[school].to_numpy(dtype=object)
    years = df[year].to_numpy(dtype=np.int64)
    start_of = np.array([engaged.get(s, -1) for s in ids], dtype=np.int64)
    is_engaged = np.array([s in engaged for s in ids], dtype=bool)
    parts: list[tuple[int, IntArray, BoolArray]] = []
    caveats: list[str] = []
    drops = {"no_pre": 0, "no_post": 0, "no_data": 0}
    kept_cohorts: list[int] = []
    n_t: list[int] = []
    n_c: list[int] = []
    for start in sorted(set(engaged.values())):
        comp = controls[start]
        in_stack = have & ((is_engaged & (start_of == start)) | np.isin(ids, list(comp)))
        if window is not None:
            in_stack &= (years >= start + window[0]) & (years <= start + window[1])
        idx = np.flatnonzero(in_stack)
        sch = ids[idx]
        pre = pd.Series(years[idx] < start).groupby(sch).any()
        post = pd.Series(years[idx] >= start).groupby(sch).any()
        ok_school = pre & post
        for sid, st in engaged.items():
            if st != start:
                continue
            if sid not in ok_school.index:
                drops["no_data"] += 1
            elif not pre[sid]:
                drops["no_pre"] += 1
            elif not post[sid]:
                drops["no_post"] += 1
        keep_ids = set(ok_school.index[ok_school.to_numpy()])
        idx = idx[np.isin(sch, list(keep_ids))]
        t_mask = is_engaged[idx]
        nt = len(set(ids[idx][t_mask]))
        nc = len(set(ids[idx][~t_mask]))
        if nt == 0:
            continue
        if nc == 0:
            caveats.append(
                f"engagements starting in {start} have no comparison school with data before "
                f"and after {start} and are left out"
            )
            continue
        kept_cohorts.append(start)
        n_t.append(nt)
        n_c.append(nc)
        parts.append((start, idx, t_mask))
    if not parts:
        return None, caveats, drops
    rows = np.concatenate([p[1] for p in parts])
    stack = np.concatenate([np.full(p[1].size, i, dtype=np.int64) for i, p in enumerate(parts)])
    treated = np.concatenate([p[2] for p in parts])
    starts = np.array(kept_cohorts, dtype=np.int64)[stack]
    rel = years[rows] - starts
    school_codes, _ = pd.factorize(ids[rows])
    absorb, _ = pd.factorize(pd.MultiIndex.from_arrays([stack, school_codes]))
    sy, sy_levels = pd.factorize(pd.MultiIndex.from_arrays([stack, years[rows]]))
    nuisance = np.zeros((rows.size, len(sy_levels)))
    nuisance[np.arange(rows.size), sy] = 1.0
    design = _Design(
        rows=rows,
        stack=stack,
        school=np.asarray(school_codes, dtype=np.int64),
        rel=np.asarray(rel, dtype=np.int64),
        treated=treated,
        absorb=np.asarray(absorb, dtype=np.int64),
        nuisance=nuisance,
        cohorts=tuple(kept_cohorts),
        n_treated=tuple(n_t),
        n_comparison=tuple(n_c),
    )
    return design, caveats, drops


def _fit(design: _Design, y: FloatArray, X: FloatArray, fixef_k: FixefK) -> ClusterFit:
    return cluster_ols(
        y,
        X,
        absorb=design.absorb,
        nuisance=design.nuisance,
        clusters=design.school,
        n_strata=len(design.cohorts),
        fixef_k=fixef_k,
    )


def _t_inference(
    est: FloatArray, se: FloatArray, df: int, confidence: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    crit = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2.0 * stats.t.sf(np.abs(est / se), df)
    return est - crit * se, est + crit * se, np.asarray(p, dtype=np.float64)


def _coefficients(fit: ClusterFit, j: int, term: str, confidence: float) -> list[Coefficient]:
    est = fit.coef[j]
    se = np.sqrt(fit.vcov[:, j, j])
    lo, hi, p = _t_inference(est, se, fit.df, confidence)
    return [
        Coefficient(
            term, float(est[i]), float(se[i]), float(lo[i]), float(hi[i]), float(p[i]), fit.df
        )
        for i in range(est.size)
    ]


def _resolve_controls(
    comparison: Comparison,
    engaged: dict[str, int],
    in_panel: set[str],
) -> tuple[dict[str, int], dict[int, frozenset[str]], list[str]]:
    caveats: list[str] = []
    cohorts = sorted(set(engaged.values()))
    if isinstance(comparison, MatchResult):
        left_out = sorted(set(engaged) - set(comparison.treated))
        if left_out:
            caveats.append(
                f"{len(left_out)} engaged school(s) had no matched comparison school and are "
                f"left out ({', '.join(left_out[:5])}{' …' if len(left_out) > 5 else ''})"
            )
        engaged = {s: v for s, v in engaged.items() if s in comparison.treated}
        if not engaged:
            raise InsufficientDataError("none of the engaged schools has matched comparisons")
        mismatch = [s for s, v in engaged.items() if comparison.treated[s] != v]
        if mismatch:
            raise ImpactInputError(
                f"school {mismatch[0]!r} starts in {engaged[mismatch[0]]} but was matched for "
                f"{comparison.treated[mismatch[0]]}: match with the same treated mapping"
            )
        controls = {s: frozenset(comparison.comparison.get(s, ())) for s in cohorts}
    elif comparison is None:
        common = frozenset(in_panel - set(engaged))
        controls = dict.fromkeys(cohorts, common)
    elif isinstance(comparison, Mapping):
        controls = {}
        for key, schools in comparison.items():
            if isinstance(schools, str) or not isinstance(schools, Collection):
                raise ImpactInputError(
                    f"comparison[{key!r}] must be a collection of school ids, got {schools!r}"
                )
            controls[int(key)] = frozenset(str(s) for s in schools)
        missing = [c for c in cohorts if c not in controls]
        if missing:
            raise ImpactInputError(
                f"comparison has no schools for start year {missing[0]}; "
                f"keys needed: {', '.join(map(str, cohorts))}"
            )
    elif isinstance(comparison, Collection) and not isinstance(comparison, str):
        common = frozenset(str(s) for s in comparison)
        controls = dict.fromkeys(cohorts, common)
    else:
        raise ImpactInputError(
            "comparison must be None, a MatchResult, a collection of school ids or a mapping "
            f"{{start year: school ids}}; got {type(comparison).__name__}"
        )
    for start, schools in controls.items():
        clash = sorted(schools & set(engaged))
        if clash:
            raise ImpactInputError(
                f"school {clash[0]!r} is engaged (from {engaged[clash[0]]}) and cannot be a "
                f"comparison school{f' for {start}' if len(cohorts) > 1 else ''}: comparisons "
                "must never be engaged in the panel's years"
            )
    unknown = sorted({s for v in controls.values() for s in v} - in_panel)
    if unknown:
        caveats.append(
            f"{len(unknown)} comparison school(s) have no rows in the panel "
            f"({', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''})"
        )
    return engaged, {s: controls[s] for s in cohorts}, caveats


def impact_estimate(
    panel: pd.DataFrame,
    *,
    outcome: str,
    treated: Mapping[str, int],
    comparison: Comparison = None,
    window: tuple[int, int] | None = None,
    min_treated: int = 5,
    min_comparison: int = 5,
    confidence: float = 0.95,
    pretrend_alpha: float = 0.05,
    fixef_k: FixefK = "nested",
    school: str = "school",
    year: str = "year",
) -> ImpactResult:
    """Estimate the effect of engagement on one outcome by stacked difference-in-differences.

    Parameters
    ----------
    panel : DataFrame
        One row per school and year with ``school``, ``year`` and ``outcome``; a missing
        outcome (NaN) drops that school-year.
    outcome : str
        Numeric outcome column (achievement, growth, attendance …).
    treated : Mapping[str, int]
        Engaged school id → first school year of engagement (the first post-period year).
        Different schools may start in different years.
    comparison : MatchResult, collection of str, mapping of int to collection of str, or None
        Comparison schools: a :class:`MatchResult` (each start year against its own matches),
        one collection for every start year, a mapping ``{start year: school ids}``, or ``None``
        for every never-engaged school of the panel. Comparison schools must not be engaged.
        Each comparison school enters a start year's sub-experiment once, unweighted, however
        many engaged schools it was matched to.
    window : (int, int), optional
        ``(first, last)`` relative years kept in each sub-experiment, e.g. ``(-3, 2)`` for three
        years before and three from engagement start; default all years of the panel.
    min_treated, min_comparison : int
        Fewest engaged / comparison schools (with data before and after the start year) for
        which an estimate is made; fewer raise :class:`InsufficientDataError`.
    confidence : float
        Coverage of the confidence intervals.
    pretrend_alpha : float
        Level below which the pre-trend tests add a caveat.
    fixef_k : {"nested", "full"}
        How the fixed effects count in ``K`` of the CR1 factor ``G/(G-1) (N-1)/(N-K)``:
        ``"nested"`` leaves out the school effects, nested in the school clusters (Stata's
        ``xtreg, fe vce(cluster)``, fixest's default); ``"full"`` counts every dummy, as
        ``lm`` + ``sandwich::vcovCL(type = "HC1")`` does, which inflates the SE when there
        are few years per school.
    school, year : str
        Column names.

    Returns
    -------
    ImpactResult

    Raises
    ------
    ImpactInputError
        Bad configuration (the message lists the allowed values) or panel.
    InsufficientDataError
        Too few schools, or no data before or after engagement.
    """
    return impact_estimate_outcomes(
        panel,
        outcomes=(outcome,),
        treated=treated,
        comparison=comparison,
        window=window,
        min_treated=min_treated,
        min_comparison=min_comparison,
        confidence=confidence,
        pretrend_alpha=pretrend_alpha,
        fixef_k=fixef_k,
        school=school,
        year=year,
    )[0]


def impact_estimate_outcomes(
    panel: pd.DataFrame,
    *,
    outcomes: Sequence[str],
    treated: Mapping[str, int],
    comparison: Comparison = None,
    window: tuple[int, int] | None = None,
    min_treated: int = 5,
    min_comparison: int = 5,
    confidence: float = 0.95,
    pretrend_alpha: float = 0.05,
    fixef_k: FixefK = "nested",
    school: str = "school",
    year: str = "year",
) -> tuple[ImpactResult, ...]:
    """:func:`impact_estimate` for several outcome columns of one panel, in one pass.

    Outcomes with the same missing values share one design and are fitted together, so many
    outcomes (or simulation replicates) cost little more than one.

    Returns
    -------
    tuple of ImpactResult
        In the order of ``outcomes``.

    Raises
    ------
    InsufficientDataError
        For the first outcome that cannot be estimated; the message names it.
    """
    if isinstance(outcomes, str) or not outcomes:
        raise ImpactInputError("outcomes must be a non-empty sequence of column names")
    outcomes = tuple(outcomes)
    min_treated = check_int("min_treated", min_treated, minimum=1)
    min_comparison = check_int("min_comparison", min_comparison, minimum=1)
    confidence = check_probability("confidence", confidence)
    pretrend_alpha = check_probability("pretrend_alpha", pretrend_alpha)
    check_choice("fixef_k", fixef_k, FIXEF_K)
    if window is not None and (
        not isinstance(window, tuple)
        or len(window) != 2
        or not all(isinstance(w, int) and not isinstance(w, bool) for w in window)
        or not window[0] < 0 <= window[1]
    ):
        raise ImpactInputError(
            f"window must be (first, last) relative years with first < 0 <= last, "
            f"e.g. (-3, 2); got {window!r}"
        )
    for name in (school, year):
        if name in outcomes:
            raise ImpactInputError(f"{name!r} is the school or year column, not an outcome")
    df = check_panel(panel, school=school, year=year, numeric=outcomes)
    engaged = check_treated(treated)
    in_panel = set(df[school])
    engaged, controls, base_caveats = _resolve_controls(comparison, engaged, in_panel)
    absent = sorted(set(engaged) - in_panel)
    if absent:
        base_caveats.append(
            f"{len(absent)} engaged school(s) have no rows in the panel "
            f"({', '.join(absent[:5])}{' …' if len(absent) > 5 else ''}) and are left out"
        )
        engaged = {s: v for s, v in engaged.items() if s in in_panel}
        if not engaged:
            raise InsufficientDataError("none of the engaged schools has rows in the panel")

    values = df[list(outcomes)].to_numpy(dtype=np.float64)
    patterns: dict[bytes, list[int]] = {}
    for j in range(len(outcomes)):
        patterns.setdefault(np.isnan(values[:, j]).tobytes(), []).append(j)
    results: list[ImpactResult | None] = [None] * len(outcomes)
    for cols in patterns.values():
        have = ~np.isnan(values[:, cols[0]])
        design, stack_caveats, drops = _stack(
            df,
            have,
            school=school,
            year=year,
            engaged=engaged,
            controls=controls,
            window=window,
        )
        name = outcomes[cols[0]]
        _refuse(design, drops, df, have, school, year, engaged, name, min_treated, min_comparison)
        assert design is not None
        caveats = [*base_caveats, *stack_caveats, *_drop_caveats(drops, len(engaged))]
        for j, res in zip(
            cols,
            _estimate(
                design,
                values[design.rows][:, cols],
                [outcomes[c] for c in cols],
                caveats=caveats,
                confidence=confidence,
                pretrend_alpha=pretrend_alpha,
                fixef_k=fixef_k,
                n_observations=int(np.unique(design.rows).size),
            ),
            strict=True,
        ):
            results[j] = res
    return tuple(r for r in results if r is not None)


def _drop_caveats(drops: dict[str, int], n_engaged: int) -> list[str]:
    out = []
    labels = {
        "no_data": "have no data for this outcome",
        "no_pre": "have no data before their start year",
        "no_post": "have no data from their start year on",
    }
    for key, label in labels.items():
        if drops[key]:
            out.append(f"{drops[key]} of {n_engaged} engaged schools {label} and are left out")
    return out


def _refuse(
    design: _Design | None,
    drops: dict[str, int],
    df: pd.DataFrame,
    have: BoolArray,
    school: str,
    year: str,
    engaged: Mapping[str, int],
    outcome: str,
    min_treated: int,
    min_comparison: int,
) -> None:
    years = df.loc[have, year]
    first, last = (int(years.min()), int(years.max())) if years.size else (0, 0)
    if design is None or sum(design.n_treated) == 0:
        if years.size and all(s <= first for s in engaged.values()):
            raise InsufficientDataError(
                f"{outcome}: no pre-period data: every engagement starts in or before {first}, "
                f"the first year with {outcome!r} data"
            )
        if years.size and all(s > last for s in engaged.values()):
            raise InsufficientDataError(
                f"{outcome}: no post-period data: every engagement starts after {last}, "
                f"the last year with {outcome!r} data"
            )
        reasons = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in drops.items() if v)
        raise InsufficientDataError(
            f"{outcome}: no engaged school has comparison schools and {outcome!r} data both "
            f"before and after its start year ({reasons or 'no comparison data'})"
        )
    n_t = sum(design.n_treated)
    if n_t < min_treated:
        raise InsufficientDataError(
            f"{outcome}: only {n_t} engaged school(s) have {outcome!r} data before and after "
            f"engagement; at least {min_treated} are needed (min_treated={min_treated})"
        )
    n_c = len(set(design.school[~design.treated].tolist()))
    if n_c < min_comparison:
        raise InsufficientDataError(
            f"{outcome}: only {n_c} comparison school(s) have {outcome!r} data before and after "
            f"the start year; at least {min_comparison} are needed "
            f"(min_comparison={min_comparison})"
        )


def _estimate(
    design: _Design,
    y: FloatArray,
    names: Sequence[str],
    *,
    caveats: Sequence[str],
    confidence: float,
    pretrend_alpha: float,
    fixef_k: FixefK,
    n_observations: int,
) -> list[ImpactResult]:
    m = y.shape[1]
    n_cohorts = len(design.cohorts)
    post = design.rel >= 0
    t = design.treated
    # 1. difference in differences, one treatment column per cohort
    X = np.zeros((design.rows.size, n_cohorts))
    X[np.arange(design.rows.size), design.stack] = 1.0
    X *= (t & post)[:, None]
    try:
        did = _fit(design, y, X, fixef_k)
    except CollinearError as exc:
        raise InsufficientDataError(
            f"{names[0]}: the engagement effect is not identified from these data "
            "(every year with engaged schools after engagement lacks comparison data)"
        ) from exc
    w = np.asarray(design.n_treated, dtype=np.float64)
    w /= w.sum()
    est = w @ did.coef
    se = np.sqrt(np.einsum("i,kij,j->k", w, did.vcov, w))
    lo, hi, p = _t_inference(est, se, did.df, confidence)
    c_se = np.sqrt(np.diagonal(did.vcov, axis1=1, axis2=2))  # (m, S)
    c_lo, c_hi, c_p = _t_inference(did.coef.T, c_se, did.df, confidence)
    n_comparison = len(set(design.school[~t].tolist()))

    # 2. event study: one column per relative year of engaged schools except the reference
    rel_t = design.rel[t]
    present = sorted(set(rel_t.tolist()))
    pre_years = [r for r in present if r < 0]
    reference = -1 if -1 in present else (max(pre_years) if pre_years else None)
    es_terms = [r for r in present if r != reference]
    es: ClusterFit | None = None
    es_caveat: str | None = None
    if reference is not None and es_terms:
        E = np.zeros((design.rows.size, len(es_terms)))
        for j, r in enumerate(es_terms):
            E[:, j] = t & (design.rel == r)
        try:
            es = _fit(design, y, E, fixef_k)
        except CollinearError:
            es_caveat = "the event study is not identified from these data"
    leads_idx = [j for j, r in enumerate(es_terms) if reference is not None and r < reference]
    n_at = {r: len(set(design.school[t & (design.rel == r)].tolist())) for r in es_terms}

    # 3. comparative interrupted time series
    cits: ClusterFit | None = None
    if len(pre_years) >= 2:
        cols = [t * design.rel, (t & post).astype(np.float64)]
        if len({r for r in present if r >= 0}) >= 2:
            cols.append(t * post * design.rel)
        try:
            cits = _fit(design, y, np.column_stack(cols).astype(np.float64), fixef_k)
        except CollinearError:
            es_caveat = (es_caveat + "; " if es_caveat else "") + (
                "the interrupted time series is not identified from these data"
            )

    fixed = list(caveats)
    n_t = sum(design.n_treated)
    if n_t < FEW_SCHOOLS:
        fixed.append(
            f"only {n_t} engaged schools: the interval is wide and unreliable "
            "(cluster-robust standard errors are too small with few schools)"
        )
    if n_comparison < FEW_SCHOOLS:
        fixed.append(f"only {n_comparison} comparison schools: the interval is wide and unreliable")
    if len(pre_years) < 2:
        fixed.append("fewer than 2 pre-period years: no pre-trend check possible")
    if not any(r >= 1 for r in present):
        fixed.append("only one year after engagement: the estimate is an immediate effect")
    if es_caveat:
        fixed.append(es_caveat)
    if n_cohorts > 1:
        fixed.append(
            f"engagement starts in {n_cohorts} different years "
            f"({', '.join(map(str, design.cohorts))}); each is compared with never-engaged "
            "schools and the estimates are averaged by number of engaged schools"
        )

    trend_all: list[Coefficient] = []
    level_all: list[Coefficient] = []
    slope_all: list[Coefficient] = []
    if cits is not None:
        trend_all = _coefficients(cits, 0, "pre-period trend difference", confidence)
        level_all = _coefficients(cits, 1, "level change", confidence)
        if cits.coef.shape[0] > 2:
            slope_all = _coefficients(cits, 2, "slope change", confidence)

    f_all = f_p_all = np.full(m, np.nan)
    if es is not None:
        es_se = np.sqrt(np.diagonal(es.vcov, axis1=1, axis2=2))  # (m, terms)
        es_lo, es_hi, es_p = _t_inference(es.coef.T, es_se, es.df, confidence)
        q = len(leads_idx)
        if q and q <= es.df:
            # Wald F = b' V^-1 b / q for the leads, per outcome
            bl = es.coef[leads_idx].T  # (m, q)
            vl = es.vcov[:, leads_idx][:, :, leads_idx]  # (m, q, q)
            f_all = np.einsum("kq,kq->k", bl, np.linalg.solve(vl, bl[:, :, None])[:, :, 0]) / q
            f_p_all = stats.f.sf(f_all, q, es.df)

    results = []
    for k in range(m):
        own = list(fixed)
        leads: list[EventTimeEstimate] = []
        lags: list[EventTimeEstimate] = []
        f_stat: float | None = None
        f_df: tuple[int, int] | None = None
        f_p: float | None = None
        if es is not None:
            b = es.coef[:, k]
            for j, r in enumerate(es_terms):
                item = EventTimeEstimate(
                    r,
                    float(b[j]),
                    float(es_se[k, j]),
                    float(es_lo[k, j]),
                    float(es_hi[k, j]),
                    float(es_p[k, j]),
                    n_at[r],
                )
                (leads if j in leads_idx else lags).append(item)
            q = len(leads_idx)
            if q and q <= es.df:
                f_stat = float(f_all[k])
                f_df = (q, es.df)
                f_p = float(f_p_all[k])
                if f_p < pretrend_alpha:
                    own.append(
                        f"pre-trends differ ({_p(f_p)}): the comparison group may not be a "
                        "valid counterfactual"
                    )
            elif q:
                own.append(f"{q} leads but only {es.df + 1} schools: no joint pre-trend test")
        trend_diff = trend_all[k] if trend_all else None
        level = level_all[k] if level_all else None
        slope = slope_all[k] if slope_all else None
        if trend_diff is not None and trend_diff.p_value < pretrend_alpha:
            own.append(
                f"pre-period trends differ by {trend_diff.estimate:+.3g} per year "
                f"({_p(trend_diff.p_value)}): consider the interrupted time series "
                "level and slope changes rather than the difference in differences"
            )
        cohorts = tuple(
            CohortEstimate(
                start_year=design.cohorts[i],
                estimate=float(did.coef[i, k]),
                se=float(c_se[k, i]),
                ci_low=float(c_lo[k, i]),
                ci_high=float(c_hi[k, i]),
                p_value=float(c_p[k, i]),
                n_treated_schools=design.n_treated[i],
                n_comparison_schools=design.n_comparison[i],
                weight=float(w[i]),
            )
            for i in range(n_cohorts)
        )
        results.append(
            ImpactResult(
                outcome=names[k],
                estimate=float(est[k]),
                se=float(se[k]),
                ci_low=float(lo[k]),
                ci_high=float(hi[k]),
                p_value=float(p[k]),
                df=did.df,
                confidence=confidence,
                n_treated_schools=n_t,
                n_comparison_schools=n_comparison,
                n_observations=n_observations,
                n_stacked_rows=int(design.rows.size),
                cohorts=cohorts,
                reference_year=reference,
                leads=tuple(leads),
                lags=tuple(lags),
                pretrend_stat=f_stat,
                pretrend_df=f_df,
                pretrend_p_value=f_p,
                trend_difference=trend_diff,
                level_change=level,
                slope_change=slope,
                caveats=tuple(own),
            )
        )
    return results
