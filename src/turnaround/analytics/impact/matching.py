"""Comparison schools for engaged schools: nearest neighbours on pre-engagement profiles.

For every engagement start year (cohort) ``s`` each school is summarised over the years before
``s`` (optionally only the last ``pre_years`` of them):

- ``"<outcome> (pre mean)"`` — the mean outcome;
- ``"<outcome> (pre trend)"`` — the least-squares slope of the outcome on the year (per year);
- ``"<covariate> (pre mean)"`` — the mean of each numeric covariate (enrolment, % low income …);
- each ``exact`` column (school type …) — its value in the latest pre-period year.

Engaged schools of cohort ``s`` are matched to never-engaged schools with the same ``exact``
values, by the Mahalanobis distance (pooled within-group covariance of the features) or the
standardised Euclidean distance (features divided by their pooled within-group SD), ``k``
neighbours each, with or without replacement (without: a global greedy pass over all pairs,
closest first, each comparison school used at most once *within a cohort*; different cohorts are
separate comparisons and may share schools), and no pair further apart than ``caliper``.

Balance is shown as standardised mean differences ``(mean_T − mean_C) / sqrt((s²_T + s²_C)/2)``
before and after matching, both divided by the *before-matching* SDs so that the two are
comparable; after matching each engaged school's ``k_i`` matches carry weight ``1/k_i``.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from turnaround.analytics.impact.errors import (
    ImpactInputError,
    InsufficientDataError,
    MatchingWarning,
)
from turnaround.analytics.impact.panel import check_choice, check_int, check_panel, check_treated

FloatArray = npt.NDArray[np.float64]

Metric = Literal["mahalanobis", "euclidean"]
METRICS: tuple[Metric, ...] = ("mahalanobis", "euclidean")

#: |SMD| above which a feature is reported as imbalanced after matching.
SMD_THRESHOLD = 0.1


@dataclass(frozen=True)
class Unmatched:
    """An engaged school left without comparison schools, and why."""

    school: str
    start_year: int
    reason: str


@dataclass(frozen=True, eq=False)
class MatchResult:
    """Comparison schools chosen for engaged schools, with balance diagnostics.

    Pass it as ``comparison=`` to :func:`~turnaround.analytics.impact.impact_estimate`: each
    cohort is then compared with its own matched schools, and unmatched engaged schools are left
    out.

    Attributes
    ----------
    pairs : DataFrame
        One row per match: ``start_year, treated_school, comparison_school, distance, rank``
        (1 = nearest) and ``weight`` (``1/k_i`` for an engaged school with ``k_i`` matches).
    treated : Mapping[str, int]
        Engaged schools that received at least one match → start year.
    comparison : Mapping[int, tuple[str, ...]]
        Start year → the distinct comparison schools matched in that cohort (sorted).
    unmatched : tuple of Unmatched
    balance : DataFrame
        One row per feature: ``feature, mean_treated_before, mean_comparison_before,
        smd_before, mean_treated_after, mean_comparison_after, smd_after``, pooled over cohorts.
    profiles : DataFrame
        The features of every engaged and candidate school per cohort: ``start_year, school,
        engaged``, the features and the exact-match columns.
    features : tuple of str
        The columns of ``profiles`` the distance uses.
    metric : str
    k : int
    replace : bool
    caliper : float or None
    exact : tuple of str
    caveats : tuple of str
        Human-readable warnings: unmatched schools, features still imbalanced.
    """

    pairs: pd.DataFrame
    treated: Mapping[str, int]
    comparison: Mapping[int, tuple[str, ...]]
    unmatched: tuple[Unmatched, ...]
    balance: pd.DataFrame
    profiles: pd.DataFrame
    features: tuple[str, ...]
    metric: str
    k: int
    replace: bool
    caliper: float | None
    exact: tuple[str, ...]
    caveats: tuple[str, ...]

    @property
    def n_treated(self) -> int:
        """Number of engaged schools matched."""
        return len(self.treated)

    @property
    def n_comparison(self) -> int:
        """Number of distinct comparison schools over all cohorts."""
        return len({s for schools in self.comparison.values() for s in schools})


def _profiles(
    df: pd.DataFrame,
    *,
    start: int,
    school: str,
    year: str,
    outcome: str,
    covariates: Sequence[str],
    exact: Sequence[str],
    pre_years: int | None,
    trend: bool,
) -> pd.DataFrame:
    lo = -(2**62) if pre_years is None else start - pre_years
    pre = df[(df[year] < start) & (df[year] >= lo)]
    out = pd.DataFrame(index=pd.Index(sorted(pre[school].unique()), name=school))
    y = pre[outcome].to_numpy()
    have = ~np.isnan(y)
    g = pre[school].to_numpy()[have]
    t = pre[year].to_numpy(dtype=np.float64)[have]
    yy = y[have]
    sums = pd.DataFrame({"s": g, "n": 1.0, "t": t, "y": yy, "tt": t * t, "ty": t * yy})
    agg = sums.groupby("s").sum().reindex(out.index)
    n = agg["n"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[f"{outcome} (pre mean)"] = agg["y"].to_numpy() / n
        if trend:
            sxx = agg["tt"].to_numpy() - agg["t"].to_numpy() ** 2 / n
            sxy = agg["ty"].to_numpy() - agg["t"].to_numpy() * agg["y"].to_numpy() / n
            slope = np.where(sxx > 1e-9, sxy / np.where(sxx > 1e-9, sxx, 1.0), np.nan)
            out[f"{outcome} (pre trend)"] = slope
    for column in covariates:
        out[f"{column} (pre mean)"] = pre.groupby(school)[column].mean().reindex(out.index)
    for column in exact:
        last = pre[pre[column].notna()].sort_values(year).groupby(school)[column].last()
        out[column] = last.reindex(out.index)
    return out


def _whitener(z_t: FloatArray, z_c: FloatArray, metric: Metric) -> FloatArray:
    """Matrix ``W`` with ``|(a - b) W|`` the chosen distance (pooled within-group scale)."""
    n_t, n_c = z_t.shape[0], z_c.shape[0]
    p = z_t.shape[1]
    cov = np.zeros((p, p))
    if n_t > 1:
        cov += (n_t - 1) * np.cov(z_t, rowvar=False).reshape(p, p)
    if n_c > 1:
        cov += (n_c - 1) * np.cov(z_c, rowvar=False).reshape(p, p)
    cov /= max(n_t + n_c - 2, 1)
    if metric == "euclidean":
        sd = np.sqrt(np.diag(cov))
        positive = sd > 1e-12 * max(float(sd.max(initial=0.0)), 1.0)
        inv = np.where(positive, 1.0 / np.where(positive, sd, 1.0), 0.0)
        return np.asarray(np.diag(inv), dtype=np.float64)
    vals, vecs = np.linalg.eigh(cov)
    keep = vals > 1e-10 * max(float(vals.max(initial=0.0)), 1e-300)
    return np.asarray(vecs[:, keep] / np.sqrt(vals[keep]), dtype=np.float64)


def _distances(a: FloatArray, b: FloatArray) -> FloatArray:
    d2 = np.sum(a * a, axis=1)[:, None] + np.sum(b * b, axis=1)[None, :] - 2.0 * a @ b.T
    return np.asarray(np.sqrt(np.maximum(d2, 0.0)), dtype=np.float64)


def _assign(dist: FloatArray, *, k: int, replace: bool) -> list[list[tuple[int, float]]]:
    """For each row, its matched columns (closest first) with distances; ``inf`` = not allowed."""
    n_t, n_c = dist.shape
    chosen: list[list[tuple[int, float]]] = [[] for _ in range(n_t)]
    if replace:
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        for i in range(n_t):
            chosen[i] = [(int(j), float(dist[i, j])) for j in order[i] if np.isfinite(dist[i, j])]
        return chosen
    rows, cols = np.nonzero(np.isfinite(dist))
    order = np.lexsort((cols, rows, dist[rows, cols]))
    used = np.zeros(n_c, dtype=bool)
    for idx in order:
        i, j = int(rows[idx]), int(cols[idx])
        if used[j] or len(chosen[i]) >= k:
            continue
        chosen[i].append((j, float(dist[i, j])))
        used[j] = True
    return chosen


def _smd_table(
    features: Sequence[str],
    treated_before: pd.DataFrame,
    comparison_before: pd.DataFrame,
    treated_after: pd.DataFrame,
    comparison_after: pd.DataFrame,
    weights_after: FloatArray,
) -> pd.DataFrame:
    rows = []
    for f in features:
        t0 = treated_before[f].to_numpy(dtype=np.float64)
        c0 = comparison_before[f].to_numpy(dtype=np.float64)
        t0, c0 = t0[~np.isnan(t0)], c0[~np.isnan(c0)]
        t1 = treated_after[f].to_numpy(dtype=np.float64)
        c1 = comparison_after[f].to_numpy(dtype=np.float64)
        ok = ~np.isnan(c1)
        var_t = float(np.var(t0, ddof=1)) if t0.size > 1 else 0.0
        var_c = float(np.var(c0, ddof=1)) if c0.size > 1 else 0.0
        sd = np.sqrt((var_t + var_c) / 2.0)
        m_t0 = float(np.mean(t0)) if t0.size else np.nan
        m_c0 = float(np.mean(c0)) if c0.size else np.nan
        m_t1 = float(np.nanmean(t1)) if np.any(~np.isnan(t1)) else np.nan
        w = weights_after[ok]
        m_c1 = float(np.sum(w * c1[ok]) / np.sum(w)) if w.size and np.sum(w) > 0 else np.nan
        rows.append(
            {
                "feature": f,
                "mean_treated_before": m_t0,
                "mean_comparison_before": m_c0,
                "smd_before": (m_t0 - m_c0) / sd if sd > 0 else np.nan,
                "mean_treated_after": m_t1,
                "mean_comparison_after": m_c1,
                "smd_after": (m_t1 - m_c1) / sd if sd > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def comparison_match(
    panel: pd.DataFrame,
    *,
    treated: Mapping[str, int],
    outcome: str,
    covariates: Sequence[str] = (),
    exact: Sequence[str] = (),
    k: int = 1,
    replace: bool = True,
    caliper: float | None = None,
    metric: Metric = "mahalanobis",
    trend: bool = True,
    pre_years: int | None = None,
    candidates: Collection[str] | None = None,
    school: str = "school",
    year: str = "year",
) -> MatchResult:
    """Choose comparison schools for engaged schools by nearest neighbours before engagement.

    Parameters
    ----------
    panel : DataFrame
        One row per school and year: ``school``, ``year``, ``outcome``, the ``covariates`` and
        ``exact`` columns. Missing values are allowed; a school whose features cannot be computed
        is not used (an engaged one is reported in ``unmatched``).
    treated : Mapping[str, int]
        Engaged school id → the first school year of engagement.
    outcome : str
        The outcome whose pre-period mean (and trend) is matched on.
    covariates : sequence of str
        Numeric columns matched on by their pre-period mean (enrolment, % low income …).
    exact : sequence of str
        Columns that must be equal within a pair (school type …).
    k : int
        Comparison schools per engaged school (fewer when the caliper or stratum runs out).
    replace : bool
        Whether one comparison school may serve several engaged schools of a cohort.
    caliper : float, optional
        Largest allowed distance, in the units of ``metric`` (standard deviations for
        ``"euclidean"``); ``None`` = no limit.
    metric : {"mahalanobis", "euclidean"}
    trend : bool
        Match on the pre-period outcome trend as well as its level (cohorts with only one
        pre-period year match on the level alone, with a caveat).
    pre_years : int, optional
        Use only the last ``pre_years`` years before each start year.
    candidates : collection of str, optional
        The schools that may serve as comparisons; default every school of the panel that is not
        in ``treated``. Engaged schools are never candidates.
    school, year : str
        Column names.

    Returns
    -------
    MatchResult

    Raises
    ------
    ImpactInputError
        Bad configuration (the message lists the allowed values) or panel.
    InsufficientDataError
        No engaged school could be matched.

    Warns
    -----
    MatchingWarning
        When some engaged schools are left unmatched.
    """
    check_choice("metric", metric, METRICS)
    k = check_int("k", k, minimum=1)
    if not isinstance(replace, bool):
        raise ImpactInputError(f"replace must be True or False, got {replace!r}")
    if not isinstance(trend, bool):
        raise ImpactInputError(f"trend must be True or False, got {trend!r}")
    if caliper is not None:
        if isinstance(caliper, bool) or not isinstance(caliper, int | float) or not caliper > 0:
            raise ImpactInputError(f"caliper must be a positive number or None, got {caliper!r}")
        caliper = float(caliper)
    if pre_years is not None:
        pre_years = check_int("pre_years", pre_years, minimum=1)
    covariates = tuple(covariates)
    exact = tuple(exact)
    if isinstance(covariates, str) or isinstance(exact, str):
        raise ImpactInputError("covariates and exact must be sequences of column names")
    overlap = set(covariates) & set(exact)
    if overlap:
        raise ImpactInputError(f"column {sorted(overlap)[0]!r} is both a covariate and exact")
    df = check_panel(panel, school=school, year=year, numeric=(outcome, *covariates), other=exact)
    engaged = check_treated(treated)
    in_panel = set(df[school])
    pool = set(in_panel) - set(engaged)
    if candidates is not None:
        if isinstance(candidates, str):
            raise ImpactInputError("candidates must be a collection of school ids, not a string")
        wanted = {str(c) for c in candidates}
        clash = sorted(wanted & set(engaged))
        if clash:
            raise ImpactInputError(
                f"school {clash[0]!r} is engaged and cannot be a comparison candidate"
            )
        pool &= wanted

    pair_rows: list[dict[str, object]] = []
    unmatched: list[Unmatched] = []
    caveats: list[str] = []
    matched: dict[str, int] = {}
    comparison: dict[int, tuple[str, ...]] = {}
    profile_parts: list[pd.DataFrame] = []
    all_features: list[str] = []
    for sid, start in sorted(engaged.items()):
        if sid not in in_panel:
            unmatched.append(Unmatched(sid, start, "no rows in the panel"))
    for start in sorted(set(engaged.values())):
        cohort = sorted(s for s, v in engaged.items() if v == start and s in in_panel)
        if not cohort:
            continue
        n_pre = df.loc[df[year] < start, year].nunique()
        if pre_years is not None:
            n_pre = min(n_pre, pre_years)
        use_trend = trend and n_pre >= 2
        if trend and not use_trend:
            caveats.append(
                f"cohort {start}: fewer than 2 pre-period years, matched on the level only"
            )
        prof = _profiles(
            df,
            start=start,
            school=school,
            year=year,
            outcome=outcome,
            covariates=covariates,
            exact=exact,
            pre_years=pre_years,
            trend=use_trend,
        )
        features = [c for c in prof.columns if c not in exact]
        for f in features:
            if f not in all_features:
                all_features.append(f)
        complete = prof[features + list(exact)].notna().all(axis=1)
        t_ids = [s for s in cohort if s in prof.index and bool(complete.get(s, False))]
        for s in cohort:
            if s not in prof.index:
                unmatched.append(Unmatched(s, start, f"no data before {start}"))
            elif s not in t_ids:
                row = prof.loc[s, features + list(exact)]
                lacking = [str(c) for c in row.index[row.isna().to_numpy()]]
                unmatched.append(Unmatched(s, start, f"no value for {lacking[0]!r} before {start}"))
        in_pool = complete.to_numpy(dtype=bool) & prof.index.isin(list(pool))
        c_ids = sorted(prof.index[in_pool].tolist())
        part = prof.loc[t_ids + c_ids].reset_index()
        part.insert(0, "start_year", start)
        part.insert(2, "engaged", [True] * len(t_ids) + [False] * len(c_ids))
        profile_parts.append(part)
        if not t_ids:
            continue
        if not c_ids:
            for s in t_ids:
                unmatched.append(Unmatched(s, start, "no comparison candidates"))
            continue
        z_t = prof.loc[t_ids, features].to_numpy(dtype=np.float64)
        z_c = prof.loc[c_ids, features].to_numpy(dtype=np.float64)
        w = _whitener(z_t, z_c, metric)
        dist = _distances(z_t @ w, z_c @ w)
        allowed = np.ones(dist.shape, dtype=bool)
        for column in exact:
            t_val = prof.loc[t_ids, column].to_numpy()
            allowed &= t_val[:, None] == prof.loc[c_ids, column].to_numpy()[None, :]
        dist = np.where(allowed, dist, np.inf)
        if caliper is not None:
            dist = np.where(dist <= caliper, dist, np.inf)
        chosen = _assign(dist, k=k, replace=replace)
        used: set[str] = set()
        for i, s in enumerate(t_ids):
            if not chosen[i]:
                if not allowed[i].any():
                    values = ", ".join(f"{c}={prof.at[s, c]!r}" for c in exact)
                    reason = f"no comparison candidate with {values}"
                elif caliper is not None and not np.isfinite(dist[i]).any():
                    reason = f"no comparison candidate within the caliper {caliper:g}"
                else:
                    reason = "every comparison candidate in reach was already used"
                unmatched.append(Unmatched(s, start, reason))
                continue
            matched[s] = start
            for rank, (j, d) in enumerate(chosen[i], start=1):
                pair_rows.append(
                    {
                        "start_year": start,
                        "treated_school": s,
                        "comparison_school": c_ids[j],
                        "distance": d,
                        "rank": rank,
                        "weight": 1.0 / len(chosen[i]),
                    }
                )
                used.add(c_ids[j])
        if used:
            comparison[start] = tuple(sorted(used))

    if not matched:
        reasons = "; ".join(f"{u.school}: {u.reason}" for u in unmatched[:3])
        raise InsufficientDataError(
            f"no engaged school could be matched to a comparison school ({reasons})"
        )
    if unmatched:
        caveats.insert(
            0,
            f"{len(unmatched)} of {len(engaged)} engaged schools have no comparison school "
            f"and are left out (first: {unmatched[0].school}: {unmatched[0].reason})",
        )
        warnings.warn(caveats[0], MatchingWarning, stacklevel=2)

    pairs = pd.DataFrame(
        pair_rows,
        columns=[
            "start_year",
            "treated_school",
            "comparison_school",
            "distance",
            "rank",
            "weight",
        ],
    )
    profiles = pd.concat(profile_parts, ignore_index=True)
    keyed = profiles.set_index(["start_year", school])
    t_before = profiles[profiles["engaged"]]
    c_before = profiles[~profiles["engaged"]]
    t_after = keyed.loc[[(v, s) for s, v in sorted(matched.items())]]
    c_after = keyed.loc[list(zip(pairs["start_year"], pairs["comparison_school"], strict=True))]
    balance = _smd_table(
        all_features,
        t_before,
        c_before,
        t_after,
        c_after,
        pairs["weight"].to_numpy(dtype=np.float64),
    )
    for feature, smd in zip(
        balance["feature"], balance["smd_after"].to_numpy(dtype=np.float64), strict=True
    ):
        if np.isfinite(smd) and abs(smd) > SMD_THRESHOLD:
            caveats.append(
                f"after matching, {feature} still differs by {smd:+.2f} standard deviations "
                f"(more than {SMD_THRESHOLD})"
            )
    return MatchResult(
        pairs=pairs,
        treated=MappingProxyType(dict(sorted(matched.items()))),
        comparison=MappingProxyType(comparison),
        unmatched=tuple(unmatched),
        balance=balance,
        profiles=profiles,
        features=tuple(all_features),
        metric=metric,
        k=k,
        replace=replace,
        caliper=caliper,
        exact=exact,
        caveats=tuple(caveats),
    )
