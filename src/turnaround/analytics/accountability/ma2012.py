"""Massachusetts 2012–2016 accountability levels (``ma-2012``; accountability.md §1).

- CPI: 100 / 75 / 50 / 25 / 0 points per student by legacy MCAS scaled score; group mean.
- Growth indicators: points from a median SGP (``median_sgp_{group}_{ela|math}`` with
  ``n_sgp_…``) by ``sgp_points_cuts`` when the frame has no points for them (``growth.py``).
- Annual PPI = (indicator points + extra credit) / number of indicators (may exceed 100).
- Cumulative PPI = (PPI₋₃·1 + PPI₋₂·2 + PPI₋₁·3 + PPI·4) / 10; with fewer years the available
  years are weighted 1..k and divided by the weights used (``partial_history``).
- School percentile 1–99 within school type.
- Level, in the order of §1.7: Insufficient data (not classifiable); Level 5 and 4 only as
  designations (inputs, never computed); Level 3 for very low participation, percentile ≤ 20,
  a subgroup among the lowest 20%, persistently low graduation; Level 2 for low participation;
  Level 1 when cumulative PPI ≥ 75 for all students and for high needs (or high needs lacks
  data); else Level 2. Every reason that applies is kept, the deciding one first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd

from turnaround.analytics.accountability.determination import Determination
from turnaround.analytics.accountability.files import (
    GRADE_ORDER,
    MA12_GROUPS,
    MA12_INDICATORS,
    highest_grade,
    school_type_from_grades,
)
from turnaround.analytics.accountability.growth import sgp_points_array
from turnaround.analytics.accountability.ruleset import MA_2012, Params

FloatArray = npt.NDArray[np.float64]

#: Lowest legacy scaled score of each CPI band and its points (accountability.md §1.2).
CPI_BANDS: tuple[tuple[float, float], ...] = (
    (240.0, 100.0),
    (230.0, 75.0),
    (220.0, 50.0),
    (210.0, 25.0),
    (200.0, 0.0),
)
PPI_POINTS: frozenset[float] = frozenset({0.0, 25.0, 50.0, 75.0, 100.0})
INSUFFICIENT = "Insufficient data"
REASON_L5 = "Chronically underperforming school"
REASON_L4 = "Among lowest achieving and least improving schools"
REASON_VERY_LOW_PART = "Very low assessment participation (Less than 90%)"
REASON_LOW_PART = "Low assessment participation (Less than 95%)"
REASON_LOW_GRAD = "Persistently low graduation rate for one or more groups"
REASON_MEETING = "Meeting gap narrowing goals"
REASON_NOT_MEETING = "Not meeting gap narrowing goals"


def cpi_points(scaled_scores: Sequence[float] | FloatArray) -> FloatArray:
    """CPI points of each legacy MCAS scaled score (200–280).

    240–280 → 100, 230–238 → 75, 220–228 → 50, 210–218 → 25, 200–208 → 0.

    Raises
    ------
    ValueError
        For a score outside 200–280 or NaN.
    """
    scores = np.asarray(scaled_scores, dtype=np.float64)
    if np.isnan(scores).any() or (scores < 200).any() or (scores > 280).any():
        raise ValueError("legacy MCAS scaled scores lie between 200 and 280")
    points = np.zeros_like(scores)
    for lowest, value in reversed(CPI_BANDS):
        points[scores >= lowest] = value
    return points


def cpi(
    scaled_scores: Sequence[float] | FloatArray,
    *,
    alt_points: Sequence[float] = (),
    min_n: int = 10,
) -> float | None:
    """Composite Performance Index of a group: mean points of its students.

    Parameters
    ----------
    scaled_scores : sequence of float
        Legacy MCAS scaled scores of the students tested on the standard test.
    alt_points : sequence of float
        Points of MCAS-Alt students, already mapped to 0/25/50/75/100.
    min_n : int
        Fewer students than this gives None (insufficient data).

    Returns
    -------
    float or None
        Unrounded; DESE publishes it to one decimal.
    """
    alt = np.asarray(alt_points, dtype=np.float64)
    if not set(alt.tolist()) <= PPI_POINTS:
        raise ValueError("MCAS-Alt points must be 0, 25, 50, 75 or 100")
    points = np.concatenate([cpi_points(scaled_scores), alt])
    if len(points) < min_n:
        return None
    return float(points.mean())


def annual_ppi(points: Sequence[float | None], extra_credit: float = 0.0) -> float | None:
    """Annual PPI = (indicator points + extra credit) / number of indicators.

    Parameters
    ----------
    points : sequence of float or None
        Points per indicator (0, 25, 50, 75 or 100); None = indicator not applicable.
    extra_credit : float
        Sum of the extra-credit awards (multiples of 25); not an indicator.

    Returns
    -------
    float or None
        None when no indicator applies. Can exceed 100 (625 / 5 = 125).
    """
    given = [float(p) for p in points if p is not None and not math.isnan(p)]
    if any(p not in PPI_POINTS for p in given):
        raise ValueError("indicator points must be 0, 25, 50, 75 or 100")
    if extra_credit < 0 or extra_credit % 25:
        raise ValueError(f"extra credit must be a non-negative multiple of 25, got {extra_credit}")
    if not given:
        return None
    return (sum(given) + extra_credit) / len(given)


@dataclass(frozen=True)
class CumulativePPI:
    """A cumulative PPI and how it was formed.

    Attributes
    ----------
    value : float or None
    years_used : int
    partial_history : bool
        Fewer annual PPIs than weights.
    capped : bool
        The weighted mean exceeded 100 and was capped.
    """

    value: float | None
    years_used: int
    partial_history: bool
    capped: bool = False


def cumulative_ppi(
    annual: Sequence[float | None],
    *,
    weights: Sequence[float] = (1.0, 2.0, 3.0, 4.0),
    cap: bool = True,
    partial: str = "reweight",
) -> CumulativePPI:
    """Weighted cumulative PPI of the most recent annual PPIs.

    Parameters
    ----------
    annual : sequence of float or None
        Annual PPIs oldest first, the last being the current year; None = no PPI that year.
        Only the last ``len(weights)`` entries are used.
    weights : sequence of float
        Year weights oldest first (1, 2, 3, 4).
    cap : bool
        Cap the result at 100 (unverified).
    partial : {"reweight", "insufficient"}
        With fewer annual PPIs than weights: weight the available years with the first k
        weights and divide by their sum, or give no value.

    Returns
    -------
    CumulativePPI
        ``value`` is None when the current year has no PPI.
    """
    if partial not in ("reweight", "insufficient"):
        raise ValueError(f"partial must be one of reweight, insufficient; got {partial!r}")
    window = list(annual)[-len(weights) :]
    if not window or window[-1] is None or math.isnan(window[-1]):
        return CumulativePPI(None, 0, True)
    present = [float(v) for v in window if v is not None and not math.isnan(v)]
    k = len(present)
    partial_history = k < len(weights)
    if partial_history and partial == "insufficient":
        return CumulativePPI(None, k, True)
    used = list(weights)[-k:] if not partial_history else list(weights)[:k]
    total = sum(w * v for w, v in zip(used, present, strict=True)) / sum(used)
    capped = cap and total > 100.0
    return CumulativePPI(min(total, 100.0) if cap else total, k, partial_history, capped)


def percentile_ranks(scores: Sequence[float] | FloatArray, *, method: str = "ceil") -> FloatArray:
    """Percentiles 1–99 of scores within one pool (higher score → higher percentile).

    ``rank`` is the ascending rank, ties sharing their mean rank; ``N`` the number of scores.

    - ``ceil``: ``ceil(100 · rank / N)``
    - ``midpoint``: ``round(100 · (rank − ½) / N)`` (halves up)

    clipped to 1–99, computed exactly (no floating-point drift at whole percents). NaN scores
    get NaN.
    """
    if method not in ("ceil", "midpoint"):
        raise ValueError(f"method must be one of ceil, midpoint; got {method!r}")
    values = np.asarray(scores, dtype=np.float64)
    out = np.full(values.shape, np.nan)
    ranked = ~np.isnan(values)
    n = int(ranked.sum())
    if n == 0:
        return out
    _, inverse, counts = np.unique(values[ranked], return_inverse=True, return_counts=True)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank2 = (2 * first + counts + 1)[inverse].astype(np.int64)  # twice the mean rank
    ceil = -((-100 * rank2) // (2 * n))
    midpoint = (100 * (rank2 - 1) + n) // (2 * n)
    pct = ceil if method == "ceil" else midpoint
    out[ranked] = np.clip(pct, 1, 99).astype(np.float64)
    return out


def percentile_within_type(
    scores: Sequence[float] | FloatArray,
    types: Sequence[str | None],
    *,
    method: str = "ceil",
) -> FloatArray:
    """Percentiles 1–99 of each score among the scores of the same school type.

    Schools with no type or no score get NaN.
    """
    values = np.asarray(scores, dtype=np.float64)
    if len(types) != len(values):
        raise ValueError("scores and types must have the same length")
    kinds = np.array(["" if t is None else str(t) for t in types], dtype=object)
    out = np.full(values.shape, np.nan)
    for kind in set(kinds.tolist()) - {""}:
        members = kinds == kind
        out[members] = percentile_ranks(values[members], method=method)
    return out


@dataclass(frozen=True)
class Ma12School:
    """One school's inputs for one year, after PPIs and percentiles are formed."""

    school_id: str
    year: int
    grades: str | None = None
    school_type: str | None = None
    n_all: float | None = None
    n_high_needs: float | None = None
    cum_ppi_all: float | None = None
    cum_ppi_high_needs: float | None = None
    percentile: float | None = None
    participation_min: float | None = None
    lowest_subgroup: bool | None = None
    subgroup_percentile_min: float | None = None
    grad_4yr: float | None = None
    grad_5yr: tuple[float | None, float | None, float | None] = (None, None, None)
    persistently_low_grad: bool | None = None
    designation: int | None = None
    held_harmless: bool = False
    prior_level: int | None = None
    flags: tuple[str, ...] = ()
    extra_values: tuple[tuple[str, float | None], ...] = ()


@dataclass(frozen=True)
class _Cuts:
    """The parameters a level reads, looked up once per evaluation rather than per school."""

    target: float
    l3_pct: int
    insufficient_n: int
    part_l3: float
    part_l2: float
    min_n_school: int
    min_n_subgroup: int
    grad_4yr: float
    grad_5yr: float
    held_harmless_years: frozenset[int]

    @classmethod
    def of(cls, params: Params) -> _Cuts:
        return cls(
            target=params.get_float("cum_ppi_target"),
            l3_pct=params.get_int("l3_percentile"),
            insufficient_n=params.get_int("insufficient_n"),
            part_l3=params.get_float("participation_l3"),
            part_l2=params.get_float("participation_l2"),
            min_n_school=params.get_int("min_n_school"),
            min_n_subgroup=params.get_int("min_n_subgroup"),
            grad_4yr=params.get_float("grad_4yr"),
            grad_5yr=params.get_float("grad_5yr"),
            held_harmless_years=frozenset(params.get_ints("held_harmless_years")),
        )


@lru_cache(maxsize=1024)
def _top_grade(grades: str | None) -> int | None:
    return highest_grade(grades)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def ma12_level(school: Ma12School, params: Params, cuts: _Cuts | None = None) -> Determination:
    """The level of one school-year (accountability.md §1.7), with every reason that applies.

    ``cuts`` are the parameters already looked up (``_Cuts.of(params)``), for whole inputs.
    """
    c = cuts if cuts is not None else _Cuts.of(params)
    target = c.target
    l3_pct = c.l3_pct
    reasons: list[str] = []
    flags = list(school.flags)
    decided: tuple[str, int | None] | None = None
    values: dict[str, float | None] = {
        "cum_ppi_all": school.cum_ppi_all,
        "cum_ppi_high_needs": school.cum_ppi_high_needs,
        "percentile": school.percentile,
        "participation_min": school.participation_min,
        **dict(school.extra_values),
    }

    def decide(label: str, level: int | None, reason: str) -> None:
        nonlocal decided
        reasons.append(reason)
        if decided is None:
            decided = (label, level)

    top = _top_grade(school.grades)
    if top is not None and top < 3 and school.cum_ppi_all is None:
        grade = GRADE_ORDER[top + 1]
        decide(INSUFFICIENT, None, f"not classified: highest grade served is {grade}")
    if school.n_all is not None and school.n_all < c.insufficient_n:
        decide(INSUFFICIENT, None, f"fewer than {c.insufficient_n} students")
    if decided is not None:
        return _determination(school, decided, reasons, values, flags)
    if school.designation == 5:
        decide("Level 5", 5, f"{REASON_L5} (designation)")
        flags.append("designation")
    elif school.designation == 4:
        decide("Level 4", 4, f"{REASON_L4} (designation)")
        flags.append("designation")
    part = school.participation_min
    if part is not None and part < c.part_l3:
        decide(
            "Level 3",
            3,
            f"{REASON_VERY_LOW_PART}: lowest participation {_fmt(part)}% < {_fmt(c.part_l3)}%",
        )
    low_school = school.percentile is not None and school.percentile <= l3_pct
    low_sub = bool(school.lowest_subgroup) or (
        school.subgroup_percentile_min is not None and school.subgroup_percentile_min <= l3_pct
    )
    if low_school or low_sub:
        which = (
            "schools and subgroups"
            if low_school and low_sub
            else ("schools" if low_school else "subgroups")
        )
        detail = []
        if low_school:
            assert school.percentile is not None
            detail.append(f"school percentile {_fmt(school.percentile)} ≤ {l3_pct}")
        if school.subgroup_percentile_min is not None and school.subgroup_percentile_min <= l3_pct:
            detail.append(
                f"lowest subgroup percentile {_fmt(school.subgroup_percentile_min)} ≤ {l3_pct}"
            )
        elif low_sub:
            detail.append("a subgroup among the lowest 20% statewide")
        decide("Level 3", 3, f"Among lowest performing 20% of {which}: " + "; ".join(detail))
    low_grad = _low_graduation(school, c)
    if low_grad is not None:
        decide("Level 3", 3, f"{REASON_LOW_GRAD}: {low_grad}")
    if part is not None and part < c.part_l2:
        decide(
            "Level 2",
            2,
            f"{REASON_LOW_PART}: lowest participation {_fmt(part)}% < {_fmt(c.part_l2)}%",
        )
    cum_all = school.cum_ppi_all
    if cum_all is not None and school.n_all is not None and school.n_all < c.min_n_school:
        reasons.append(f"fewer than {c.min_n_school} students for an all-students PPI")
        cum_all = None
    if cum_all is None:
        decide(INSUFFICIENT, None, "no cumulative PPI for all students")
    else:
        hn = school.cum_ppi_high_needs
        hn_enough = hn is not None and (
            school.n_high_needs is None or school.n_high_needs >= c.min_n_subgroup
        )
        parts = [
            f"cumulative PPI for all students {_fmt(cum_all)} "
            f"{'≥' if cum_all >= target else '<'} {_fmt(target)}"
        ]
        if hn_enough:
            assert hn is not None
            parts.append(
                f"cumulative PPI for high-needs students {_fmt(hn)} "
                f"{'≥' if hn >= target else '<'} {_fmt(target)}"
            )
        else:
            parts.append("high-needs students: insufficient data, decided on all students")
        meets = cum_all >= target and (not hn_enough or (hn is not None and hn >= target))
        failing = [p for p in parts if " < " in p]
        if meets:
            decide("Level 1", 1, f"{REASON_MEETING}: " + "; ".join(parts))
        else:
            decide("Level 2", 2, f"{REASON_NOT_MEETING}: " + "; ".join(failing))
    assert decided is not None
    decided = _held_harmless(school, decided, reasons, flags, c)
    return _determination(school, decided, reasons, values, flags)


def _low_graduation(school: Ma12School, c: _Cuts) -> str | None:
    if school.persistently_low_grad:
        return "flagged in the input"
    four, fives = school.grad_4yr, school.grad_5yr
    cut4, cut5 = c.grad_4yr, c.grad_5yr
    if four is None or any(f is None for f in fives):
        return None
    if four < cut4 and all(f is not None and f < cut5 for f in fives):
        shown = ", ".join(_fmt(f) for f in fives if f is not None)
        return f"4-year rate {_fmt(four)}% < {_fmt(cut4)}% and 5-year rates {shown} < {_fmt(cut5)}%"
    return None


def _held_harmless(
    school: Ma12School,
    decided: tuple[str, int | None],
    reasons: list[str],
    flags: list[str],
    c: _Cuts,
) -> tuple[str, int | None]:
    label, level = decided
    prior = school.prior_level
    if (
        not school.held_harmless
        or school.year not in c.held_harmless_years
        or prior is None
        or not 1 <= prior <= 3
        or level is None
        or level > 3
        or level <= prior
    ):
        return decided
    reasons.insert(0, f"{school.year - 1} Level held harmless (computed {label})")
    flags.append("held_harmless")
    return f"Level {prior}", prior


def _determination(
    school: Ma12School,
    decided: tuple[str, int | None],
    reasons: list[str],
    values: dict[str, float | None],
    flags: list[str],
) -> Determination:
    return Determination(
        school_id=school.school_id,
        year=school.year,
        label=decided[0],
        level=decided[1],
        reasons=tuple(reasons),
        values=values,
        years_in_status=None,
        ruleset=MA_2012.id,
        ruleset_version=MA_2012.version,
        flags=tuple(dict.fromkeys(flags)),
    )


# --- whole inputs ------------------------------------------------------------------------------


def _opt(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _annual_column(frame: pd.DataFrame, group: str) -> pd.Series:
    """Annual PPIs of a group, vectorised (:func:`annual_ppi` row by row gives the same)."""
    given = frame.get(f"annual_ppi_{group}")
    columns = [f"pts_{group}_{i}" for i in MA12_INDICATORS if f"pts_{group}_{i}" in frame]
    if not columns:
        if given is None:
            return pd.Series(np.nan, index=frame.index)
        return given.astype(np.float64)
    points = frame[columns].apply(pd.to_numeric).to_numpy(dtype=np.float64, na_value=np.nan)
    present = ~np.isnan(points)
    if present.any() and not np.isin(points[present], sorted(PPI_POINTS)).all():
        raise ValueError("indicator points must be 0, 25, 50, 75 or 100")
    extra_col = frame.get(f"extra_credit_{group}")
    extra = (
        pd.to_numeric(extra_col).fillna(0.0).to_numpy(dtype=np.float64)
        if extra_col is not None
        else np.zeros(len(frame))
    )
    wrong = (extra < 0) | (np.mod(extra, 25.0) != 0)
    if wrong.any():
        raise ValueError(
            f"extra credit must be a non-negative multiple of 25, got {float(extra[wrong][0])}"
        )
    count = present.sum(axis=1)
    total = np.where(present, points, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        annual = np.where(count > 0, (total + extra) / np.maximum(count, 1), np.nan)
    result = pd.Series(annual, index=frame.index)
    if given is not None:
        result = given.astype(np.float64).where(given.notna(), result)
    return result


def _growth_points_from_medians(work: pd.DataFrame, group: str, params: Params) -> None:
    """Fill ``pts_{group}_{subject}_sgp`` from ``median_sgp_{group}_{subject}`` and its ``n``.

    Points given in the input are kept; a median from too few students is no indicator (NaN).
    """
    cuts = params.get_floats("sgp_points_cuts")
    min_n = params.get_int("min_n_sgp")
    for subject in ("ela", "math"):
        median_col, n_col = f"median_sgp_{group}_{subject}", f"n_sgp_{group}_{subject}"
        if median_col not in work:
            continue
        medians = pd.to_numeric(work[median_col], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        counts_col = work.get(n_col, pd.Series(0, index=work.index))
        counts = pd.to_numeric(counts_col, errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        series = pd.Series(
            sgp_points_array(medians, counts, cuts=cuts, min_n=min_n), index=work.index
        )
        points_col = f"pts_{group}_{subject}_sgp"
        if points_col in work:
            given = pd.to_numeric(work[points_col], errors="coerce")
            series = given.where(given.notna(), series)
        work[points_col] = series


def _lagged(lookup: pd.Series, keys: npt.NDArray[np.int64], lag: int) -> FloatArray:
    """The looked-up values ``lag`` years before each key (NaN when that year is absent)."""
    found: FloatArray = lookup.reindex(keys - lag).to_numpy(dtype=np.float64, na_value=np.nan)
    return found


def _cumulative_columns(
    ids: np.ndarray,
    years: np.ndarray,
    annual: FloatArray,
    given: FloatArray,
    *,
    weights: tuple[float, ...],
    cap: bool,
    partial: str,
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Cumulative PPIs of every row (and their partial-history flags), vectorised.

    Row by row this is :func:`cumulative_ppi` over the annual PPIs of the row's year and the
    ``len(weights) − 1`` years before it (exact years of the same school), unless a cumulative
    value is given, which is used as it is.
    """
    k = len(weights)
    codes, _ = pd.factorize(ids)
    keys = codes.astype(np.int64) * 10_000 + years.astype(np.int64)  # school × year, exact
    lookup = pd.Series(annual, index=keys)
    lookup = lookup[~lookup.index.duplicated(keep="last")]
    window = np.column_stack([_lagged(lookup, keys, k - 1 - j) for j in range(k)])
    present = ~np.isnan(window)
    count = present.sum(axis=1)
    position = np.clip(np.cumsum(present, axis=1) - 1, 0, k - 1)
    w = np.asarray(weights, dtype=np.float64)[position]
    numerator = np.where(present, window * w, 0.0).sum(axis=1)
    denominator = np.where(present, w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = numerator / denominator
    partial_history = count < k
    value = np.where(present[:, -1], total, np.nan)
    if partial == "insufficient":
        value = np.where(partial_history, np.nan, value)
    if cap:
        value = np.where(value > 100.0, 100.0, value)
    flags = partial_history & ~np.isnan(value)
    has_given = ~np.isnan(given)
    return np.where(has_given, given, value), flags & ~has_given


def ma12_determinations(frame: pd.DataFrame, params: Params) -> tuple[Determination, ...]:
    """Levels for every school and year of an ``ma12`` frame (one or several years).

    Cumulative PPIs given in the input (``cum_ppi_*``, e.g. the published 2017 values) are used
    as they are; otherwise they are formed from the annual PPIs of that year and the three before
    it present in the input. Percentiles given are used; otherwise ``composite`` is ranked within
    school type and year.
    """
    work = frame.copy()
    if "school_type" not in work or work["school_type"].isna().all():
        grades = work.get("grades", pd.Series(None, index=work.index, dtype=object))
        work["school_type"] = [school_type_from_grades(g) for g in grades]
    for group in MA12_GROUPS:
        _growth_points_from_medians(work, group, params)
        work[f"_annual_{group}"] = _annual_column(work, group)
    work = work.sort_values(["school_id", "year"], kind="stable")
    weights = params.get_floats("cum_ppi_year_weights")
    cap = params.get_bool("cap_cum_ppi")
    partial = params.get_str("partial_history")
    ids = work["school_id"].to_numpy()
    all_years = work["year"].to_numpy(dtype=np.int64)
    cum: dict[str, FloatArray] = {}
    partial_flags = np.zeros(len(work), dtype=bool)
    for group in MA12_GROUPS:
        given = (
            pd.to_numeric(work[f"cum_ppi_{group}"], errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            if f"cum_ppi_{group}" in work
            else np.full(len(work), np.nan)
        )
        cum[group], flags = _cumulative_columns(
            ids,
            all_years,
            work[f"_annual_{group}"].to_numpy(dtype=np.float64, na_value=np.nan),
            given,
            weights=weights,
            cap=cap,
            partial=partial,
        )
        if group == "all":
            partial_flags = flags
    for group in MA12_GROUPS:
        work[f"_cum_{group}"] = cum[group]
    work["_partial"] = partial_flags
    percentile = work.get("percentile", pd.Series(np.nan, index=work.index)).astype(np.float64)
    if "composite" in work and work["composite"].notna().any():
        ranked = pd.Series(np.nan, index=work.index)
        for _, rows in work.groupby("year"):
            ranked[rows.index] = percentile_within_type(
                rows["composite"].to_numpy(np.float64),
                rows["school_type"].tolist(),
                method=params.get_str("percentile_method"),
            )
        percentile = percentile.where(percentile.notna(), ranked)
    work["_percentile"] = percentile
    needed = [name for name in _ROW_COLUMNS if name in work]
    columns = [_cells(work[name]) for name in needed]
    cuts = _Cuts.of(params)
    out = [
        ma12_level(_school(dict(zip(needed, row, strict=True))), params, cuts)
        for row in zip(*columns, strict=True)
    ]
    out.sort(key=lambda d: (d.year, d.school_id))
    return tuple(out)


def _cells(column: pd.Series) -> list[object]:
    """A column as Python values; numbers as floats with None for missing (what ``_opt`` gives)."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan).tolist()
        return [None if v != v else v for v in values]
    return column.tolist()


#: The columns a level reads (``_school``), besides those the rule forms (``_…``).
_ROW_COLUMNS = (
    "school_id",
    "year",
    "grades",
    "school_type",
    "n_all",
    "n_high_needs",
    "cum_ppi_all",
    "_cum_all",
    "_cum_high_needs",
    "_percentile",
    "_partial",
    "_annual_all",
    "_annual_high_needs",
    "participation_min",
    "lowest_subgroup",
    "subgroup_percentile_min",
    "grad_4yr",
    "grad_5yr",
    "grad_5yr_prev1",
    "grad_5yr_prev2",
    "persistently_low_grad",
    "designation",
    "held_harmless",
    "prior_level",
)


def _num(value: object) -> float | None:
    """``_opt`` with a shortcut for the floats and Nones ``_cells`` gives."""
    if value is None:
        return None
    if type(value) is float:
        return value if value == value else None
    return _opt(value)


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _school(row: dict[str, object]) -> Ma12School:
    get = row.get
    designation_text = get("designation")
    designation: int | None = None
    if isinstance(designation_text, str):
        designation = {"4": 4, "5": 5, "underperforming": 4, "chronic": 5}[designation_text]
    elif _num(designation_text) is not None:
        designation = int(_num(designation_text) or 0)
    prior = _num(get("prior_level"))
    flags = ["partial_history"] if get("_partial") else []
    if _num(get("cum_ppi_all")) is not None:
        flags.append("published_cumulative")
    grades = get("grades")
    kind = get("school_type")
    return Ma12School(
        school_id=str(row["school_id"]),
        year=int(row["year"]),  # type: ignore[call-overload]
        grades=grades if isinstance(grades, str) else None,
        school_type=kind if isinstance(kind, str) else None,
        n_all=_num(get("n_all")),
        n_high_needs=_num(get("n_high_needs")),
        cum_ppi_all=_num(get("_cum_all")),
        cum_ppi_high_needs=_num(get("_cum_high_needs")),
        percentile=_num(get("_percentile")),
        participation_min=_num(get("participation_min")),
        lowest_subgroup=_flag(get("lowest_subgroup")),
        subgroup_percentile_min=_num(get("subgroup_percentile_min")),
        grad_4yr=_num(get("grad_4yr")),
        grad_5yr=(
            _num(get("grad_5yr")),
            _num(get("grad_5yr_prev1")),
            _num(get("grad_5yr_prev2")),
        ),
        persistently_low_grad=_flag(get("persistently_low_grad")),
        designation=designation,
        held_harmless=_flag(get("held_harmless")) is True,
        prior_level=int(prior) if prior is not None else None,
        flags=tuple(flags),
        extra_values=(
            ("annual_ppi_all", _num(get("_annual_all"))),
            ("annual_ppi_high_needs", _num(get("_annual_high_needs"))),
        ),
    )
