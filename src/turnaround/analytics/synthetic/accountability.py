"""Accountability for the synthetic years: percentiles within school type and levels."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from turnaround.analytics.synthetic.common import DESIGNATIONS, FloatArray, _check_choice


def percentile_within_type(
    scores: Sequence[float] | FloatArray,
    types: Sequence[str],
    *,
    min_type_size: int = 10,
) -> FloatArray:
    """Percentile (1–99) of each score among the scores of the same school type.

    ``round(100 × (rank − 0.5) / m)`` clipped to 1–99, where ``rank`` is the average rank
    (ties share it) among the ``m`` schools of the type with a score. Schools of a type with
    fewer than ``min_type_size`` ranked schools are ranked among all schools instead. NaN
    scores get NaN.

    Parameters
    ----------
    scores : sequence of float
        A composite where higher is better; NaN = not ranked.
    types : sequence of str
        The school type of each score.
    min_type_size : int
        The fewest ranked schools a type needs to be ranked on its own.

    Returns
    -------
    ndarray of float
    """
    values = np.asarray(scores, dtype=np.float64)
    kinds = np.asarray(types, dtype=np.str_)
    if values.shape != kinds.shape:
        raise ValueError("scores and types must have the same length")
    if min_type_size < 1:
        raise ValueError(f"min_type_size must be at least 1, got {min_type_size}")
    ranked = ~np.isnan(values)
    out = np.full(values.shape, np.nan)
    for kind in np.unique(kinds):
        members = (kinds == kind) & ranked
        if members.sum() == 0:
            continue
        pool = members if members.sum() >= min_type_size else ranked
        out[members] = _percentile_ranks(values[pool])[members[pool]]
    return out


def _percentile_ranks(values: FloatArray) -> FloatArray:
    uniq, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = (first + (counts + 1) / 2.0)[inverse]
    result: FloatArray = np.clip(np.round(100.0 * (rank - 0.5) / len(values)), 1, 99)
    return result


LEVEL_REASONS: dict[int, str] = {
    5: "Chronically underperforming school",
    4: "Among lowest achieving and least improving schools",
    3: "Among lowest performing 20% of schools",
    2: "Not meeting gap narrowing goals",
    1: "Meeting gap narrowing goals",
}


def level_determine(
    *,
    percentile: float | None,
    designation: str | None,
    level3_max_percentile: float = 20.0,
    level1_min_percentile: float = 60.0,
) -> tuple[int | None, str, str]:
    """A synthetic Massachusetts 2012–2016 level from a percentile and a designation.

    Designations decide first (chronically underperforming → Level 5, underperforming →
    Level 4); then the lowest 20% by percentile within school type → Level 3; the top band →
    Level 1 (standing in for meeting the cumulative PPI target); otherwise Level 2. No
    percentile → ``Insufficient data``.

    Parameters
    ----------
    percentile : float or None
        The synthetic school percentile (1–99).
    designation : str or None
        One of :data:`DESIGNATIONS` while the school is designated, else None.
    level3_max_percentile, level1_min_percentile : float
        Band limits.

    Returns
    -------
    tuple of (int or None, str, str)
        Level, label (``"Level N"`` or ``"Insufficient data"``) and reason text.
    """
    if designation is not None:
        _check_choice("designation", designation, DESIGNATIONS)
        level = 5 if designation == "chronic" else 4
        return level, f"Level {level}", LEVEL_REASONS[level]
    if percentile is None or np.isnan(percentile):
        return None, "Insufficient data", ""
    if not 1 <= percentile <= 99:
        raise ValueError(f"percentile must be between 1 and 99, got {percentile}")
    if percentile <= level3_max_percentile:
        level = 3
    elif percentile >= level1_min_percentile:
        level = 1
    else:
        level = 2
    return level, f"Level {level}", LEVEL_REASONS[level]
