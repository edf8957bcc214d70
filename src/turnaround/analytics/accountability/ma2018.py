"""Massachusetts 2018+ accountability (``ma-2018``; accountability.md §2).

- Each indicator earns 0–4 points per group (All students, Lowest performing) and grade span
  (non-high-school, high school). Category weights (§2.3) multiply raw points::

      pct(g) = Σ_c earned(g, c)·w(g, c) / Σ_c possible(g, c)·w(g, c)

  A missing indicator drops out of both sums; a category without indicators contributes nothing.
- A span's percentage combines All and Lowest performing (mean by default, unverified); the
  annual percentage weights the spans by the input's span weights.
- Cumulative = 40% prior year + 60% current year (current only when there is no prior year:
  ``partial_history``).
- Accountability percentile 1–99 within school type from up to three annual percentages
  weighted 15/25/60 (unverified), unless the input gives the percentile.
- Categories: Broad/comprehensive support (designation, an input); Focused/targeted support
  (percentile ≤ 10, a group percentile ≤ 5, 4-year graduation < 66.7%, participation < 95%);
  otherwise progress toward targets by the cumulative percentage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.determination import Determination
from turnaround.analytics.accountability.files import MA18_ALLOWED, MA18_INDICATORS
from turnaround.analytics.accountability.ma2012 import percentile_within_type
from turnaround.analytics.accountability.ratings import contiguous_runs
from turnaround.analytics.accountability.ruleset import (
    MA18_CATEGORIES,
    MA18_DEFAULT_WEIGHTS,
    MA_2018,
    Params,
)

SPANS: tuple[str, ...] = ("nonhs", "hs")
GROUPS: tuple[str, ...] = ("all", "lowest")
BROAD = "Broad/comprehensive support"
FOCUSED = "Focused/targeted support"
PROGRESS_LABELS: tuple[str, ...] = (
    "Meeting or exceeding targets",
    "Substantial progress toward targets",
    "Moderate progress toward targets",
    "Limited or no progress toward targets",
)
INSUFFICIENT = "Insufficient data"


@dataclass(frozen=True)
class TargetPercentage:
    """Weighted points of one group in one span.

    Attributes
    ----------
    earned, possible : float
        Weighted earned and possible points (possible 9.6 for All non-HS with EL).
    pct : float or None
        ``100 · earned / possible``; None when no indicator applies.
    weight_row : str
        Which row of the weights table applied.
    """

    earned: float
    possible: float
    pct: float | None
    weight_row: str


def weight_row(group: str, span: str, has_el: bool) -> str:
    """The weights-table row for a group and span (``all_nonhs_el`` … ``lowest``)."""
    if group not in GROUPS or span not in SPANS:
        raise ValueError(f"group must be one of {GROUPS} and span one of {SPANS}")
    if group == "lowest":
        return "lowest"
    return f"all_{span}" + ("_el" if has_el else "")


def target_percentage(
    points: Mapping[str, float | None],
    *,
    group: str,
    span: str,
    weights: Mapping[str, tuple[float, ...]] = MA18_DEFAULT_WEIGHTS,
) -> TargetPercentage:
    """Criterion-referenced target percentage of one group in one span.

    Parameters
    ----------
    points : mapping of indicator → points (0–4) or None
        Indicators as in ``files.MA18_INDICATORS`` (``ach_ela``, ``growth_math``, ``elp`` …).
    group : {"all", "lowest"}
    span : {"nonhs", "hs"}
    weights : mapping
        Rows of category weights (achievement, growth, completion, el, additional).

    Returns
    -------
    TargetPercentage
    """
    allowed = MA18_ALLOWED.get((group, span), ())
    if not allowed:
        raise ValueError(f"group must be one of {GROUPS} and span one of {SPANS}")
    present: dict[str, float] = {}
    for name, value in points.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if name not in allowed:
            raise ValueError(
                f"{group} {span} has no indicator {name!r}; allowed: {', '.join(allowed)}"
            )
        if not 0 <= value <= 4:
            raise ValueError(f"points must be between 0 and 4, got {name}={value}")
        present[name] = float(value)
    row = weight_row(group, span, "elp" in present)
    row_weights = dict(zip(MA18_CATEGORIES, weights[row], strict=True))
    earned = possible = 0.0
    for name, value in present.items():
        weight = row_weights[MA18_INDICATORS[name]] / 100.0
        earned += value * weight
        possible += 4.0 * weight
    pct = 100.0 * earned / possible if possible > 0 else None
    return TargetPercentage(earned, possible, pct, row)


def span_percentage(
    all_pct: float | None, lowest_pct: float | None, lowest_share: float
) -> float | None:
    """A span's percentage from its All and Lowest-performing percentages (either may lack)."""
    if all_pct is None:
        return lowest_pct
    if lowest_pct is None:
        return all_pct
    return (1.0 - lowest_share) * all_pct + lowest_share * lowest_pct


def cumulative_percentage(
    prior: float | None, current: float | None, weights: tuple[float, float] = (0.4, 0.6)
) -> float | None:
    """``weights[0]·prior + weights[1]·current``; the current value alone without a prior."""
    if current is None:
        return None
    if prior is None:
        return current
    return weights[0] * prior + weights[1] * current


def progress_label(cumulative: float, cuts: tuple[float, ...] = (75.0, 50.0, 25.0)) -> str:
    """Meeting or exceeding / substantial / moderate / limited or no progress toward targets."""
    for cut, label in zip(cuts, PROGRESS_LABELS, strict=False):
        if cumulative >= cut:
            return label
    return PROGRESS_LABELS[-1]


def _opt(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def ma18_determinations(frame: pd.DataFrame, params: Params) -> tuple[Determination, ...]:
    """Categories for every school and year of an ``ma18`` frame (one or several years)."""
    weights = params.get_table("weights")
    share = params.get_float("lowest_share")
    cum_w = params.get_floats("cum_weights")
    work = frame.sort_values(["school_id", "year"], kind="stable").reset_index(drop=True)
    records = work.to_dict("records")
    annual: list[float | None] = []
    details: list[dict[str, float | None]] = []
    spans_present: list[str] = []
    assumed: list[bool] = []
    for row in records:
        span_pcts: dict[str, float | None] = {}
        detail: dict[str, float | None] = {}
        for span in SPANS:
            group_pct: dict[str, float | None] = {}
            for group in GROUPS:
                points = {
                    i: _opt(row.get(f"{group}_{span}_{i}")) for i in MA18_ALLOWED[(group, span)]
                }
                result = target_percentage(points, group=group, span=span, weights=weights)
                group_pct[group] = result.pct
                detail[f"pct_{group}_{span}"] = result.pct
            span_pcts[span] = span_percentage(group_pct["all"], group_pct["lowest"], share)
        have = [s for s in SPANS if span_pcts[s] is not None]
        spans_present.append("both" if len(have) == 2 else (have[0] if have else ""))
        span_w = {s: _opt(row.get(f"span_weight_{s}")) for s in have}
        missing_w = len(have) == 2 and any(w is None for w in span_w.values())
        assumed.append(missing_w)
        if not have:
            annual.append(None)
        else:
            ws = {s: (1.0 if missing_w else (span_w[s] or 0.0)) for s in have}
            total = sum(ws.values())
            if total <= 0:
                ws, total = dict.fromkeys(have, 1.0), float(len(have))
            annual.append(sum(ws[s] * (span_pcts[s] or 0.0) for s in have) / total)
        details.append(detail)
    work["_annual"] = annual
    work["_spans"] = spans_present
    cumulative: list[float | None] = []
    composite: list[float | None] = []
    partial: list[bool] = []
    year_w = params.get_floats("percentile_year_weights")
    all_years = work["year"].astype(int).tolist()
    for start, end in contiguous_runs(work["school_id"].tolist()):
        years = all_years[start:end]
        by_year = dict(zip(years, annual[start:end], strict=True))
        for year in years:
            current, prior = by_year.get(year), by_year.get(year - 1)
            cumulative.append(cumulative_percentage(prior, current, (cum_w[0], cum_w[1])))
            partial.append(current is not None and prior is None)
            history = [by_year.get(year - k) for k in (2, 1, 0)]
            pairs = [(w, v) for w, v in zip(year_w, history, strict=True) if v is not None]
            composite.append(
                sum(w * v for w, v in pairs) / sum(w for w, _ in pairs)
                if current is not None and pairs and sum(w for w, _ in pairs) > 0
                else None
            )
    work["_cumulative"] = cumulative
    work["_composite"] = [np.nan if c is None else c for c in composite]
    percentile = work.get("percentile", pd.Series(np.nan, index=work.index)).astype(np.float64)
    types = work["school_type"] if "school_type" in work else work["_spans"]
    types = types.where(types.notna(), work["_spans"])
    ranked = pd.Series(np.nan, index=work.index)
    for _, rows in work.groupby("year"):
        ranked[rows.index] = percentile_within_type(
            rows["_composite"].to_numpy(np.float64),
            [t or None for t in types[rows.index]],
            method=params.get_str("percentile_method"),
        )
    work["_percentile"] = percentile.where(percentile.notna(), ranked)
    out = []
    for i, row in enumerate(work.to_dict("records")):
        record = {str(k): v for k, v in row.items()}
        out.append(_categorise(record, details[i], partial[i], assumed[i], params))
    out.sort(key=lambda d: (d.year, d.school_id))
    return tuple(out)


def _categorise(
    row: dict[str, object],
    detail: dict[str, float | None],
    partial: bool,
    assumed: bool,
    params: Params,
) -> Determination:
    annual = _opt(row["_annual"])
    cumulative = _opt(row["_cumulative"])
    percentile = _opt(row["_percentile"])
    reasons: list[str] = []
    flags = []
    if partial:
        flags.append("partial_history")
    if assumed:
        flags.append("span_weights_assumed")
    label: str | None = None
    designation = row.get("designation")
    if designation in ("underperforming", "chronic"):
        label = BROAD
        word = {"underperforming": "underperforming", "chronic": "chronically underperforming"}[
            designation
        ]
        reasons.append(f"{BROAD}: designated {word} (designation)")
        flags.append("designation")
    ft: list[str] = []
    ft_pct = params.get_int("ft_percentile")
    if percentile is not None and percentile <= ft_pct:
        ft.append(f"accountability percentile {_fmt(percentile)} ≤ {ft_pct}")
    group_pct = _opt(row.get("group_percentile_min"))
    if group_pct is not None and group_pct <= params.get_int("group_pctl"):
        ft.append(
            f"a student group's percentile {_fmt(group_pct)} ≤ {params.get_int('group_pctl')}"
        )
    grad = _opt(row.get("grad_4yr"))
    if grad is not None and grad < params.get_float("grad"):
        ft.append(f"4-year graduation rate {_fmt(grad)}% < {_fmt(params.get_float('grad'))}%")
    part = _opt(row.get("participation_min"))
    if part is not None and part < params.get_float("participation"):
        ft.append(
            f"assessment participation {_fmt(part)}% < {_fmt(params.get_float('participation'))}%"
        )
    if ft:
        reasons.append(f"{FOCUSED}: " + "; ".join(ft))
        label = label or FOCUSED
    if cumulative is None:
        reasons.append("no indicator with enough students")
        label = label or INSUFFICIENT
    else:
        cuts = params.get_floats("progress_cuts")
        progress = progress_label(cumulative, cuts)
        index = PROGRESS_LABELS.index(progress)
        bound = f"≥ {_fmt(cuts[index])}" if index < len(cuts) else f"< {_fmt(cuts[-1])}"
        reasons.append(f"{progress}: cumulative target percentage {_fmt(cumulative)} {bound}")
        label = label or progress
    values = {
        "annual_pct": annual,
        "cumulative_pct": cumulative,
        "percentile": percentile,
        **detail,
    }
    return Determination(
        school_id=str(row["school_id"]),
        year=int(row["year"]),  # type: ignore[call-overload]
        label=label,
        level=None,
        reasons=tuple(reasons),
        values=values,
        years_in_status=None,
        ruleset=MA_2018.id,
        ruleset_version=MA_2018.version,
        flags=tuple(flags),
    )
