"""Median student growth percentiles in the rules: PPI growth points and the exit growth goal.

Two uses of a school's (or group's) median SGP in the Massachusetts rules
(``reference/accountability.md`` §1.3, §1.4 and §3.1):

- **PPI indicators 4 and 5** (ELA and math growth) turn a median SGP into indicator points
  (100, 75, 50, 25 or 0) by cut points; a median from fewer than ``min_n`` students (20) is not
  an indicator at all (``None``), never zero. The cut points are data (``sgp_points_cuts`` of the
  ``ma-2012`` rule set): the reference marks the exact bands unverified.
- **The Level 4 exit goal** on growth: a median SGP in the typical range or above (≥ 40) in ELA
  and math for all students and for high-needs students.

Both take medians as computed by the growth engine (``turnaround.analytics.growth``) and
aggregated per school, subject and group; each answer carries its reason in words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Lower bounds of the 25-, 50-, 75- and 100-point bands (ascending); below the first: 0 points.
DEFAULT_SGP_POINTS_CUTS: tuple[float, float, float, float] = (30.0, 40.0, 51.0, 60.0)
DEFAULT_MIN_N_SGP = 20
#: The bottom of "typical growth" (median SGP 40–60), the Level 4 exit goal.
TYPICAL_GROWTH_LOW = 40.0
_POINTS = (0.0, 25.0, 50.0, 75.0, 100.0)


@dataclass(frozen=True)
class GrowthPoints:
    """PPI points for one growth indicator.

    Attributes
    ----------
    points : float or None
        0, 25, 50, 75 or 100; None when the indicator does not apply (no median, or too few).
    reason : str
        Why, in words ("median SGP 44.5 (n = 63) ≥ 40: 50 points").
    """

    points: float | None
    reason: str


def _check_cuts(cuts: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(c) for c in cuts)
    if len(values) != 4:
        raise ValueError(
            f"sgp points need 4 cut points (25, 50, 75, 100 points), got {len(values)}"
        )
    if any(not 1.0 <= c <= 99.0 for c in values) or list(values) != sorted(set(values)):
        raise ValueError(f"sgp points cut points must rise strictly within 1–99, got {values}")
    return values


def sgp_points(
    median_sgp: float | None,
    n: int,
    *,
    cuts: Sequence[float] = DEFAULT_SGP_POINTS_CUTS,
    min_n: int = DEFAULT_MIN_N_SGP,
) -> GrowthPoints:
    """PPI points of a growth indicator from a median SGP.

    Parameters
    ----------
    median_sgp : float or None
        The group's median SGP (1–99), or None when none was computed.
    n : int
        Students behind the median.
    cuts : sequence of 4 floats
        Lower bounds of the 25-, 50-, 75- and 100-point bands, ascending.
    min_n : int
        Fewest students for the indicator to count.

    Returns
    -------
    GrowthPoints
    """
    bounds = _check_cuts(cuts)
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    if median_sgp is None or (isinstance(median_sgp, float) and math.isnan(median_sgp)):
        return GrowthPoints(None, "no median SGP: the growth indicator does not apply")
    if not 1.0 <= median_sgp <= 99.0:
        raise ValueError(f"a median SGP lies within 1–99, got {median_sgp}")
    if n < min_n:
        return GrowthPoints(
            None, f"median SGP from {n} students < {min_n}: the growth indicator does not apply"
        )
    band = sum(median_sgp >= b for b in bounds)
    points = _POINTS[band]
    why = f"< {bounds[0]:g}" if band == 0 else f"≥ {bounds[band - 1]:g}"
    return GrowthPoints(points, f"median SGP {median_sgp:g} (n = {n}) {why}: {points:g} points")


def sgp_points_array(
    medians: Sequence[float] | npt.NDArray[np.float64],
    counts: Sequence[float] | npt.NDArray[np.float64],
    *,
    cuts: Sequence[float] = DEFAULT_SGP_POINTS_CUTS,
    min_n: int = DEFAULT_MIN_N_SGP,
) -> npt.NDArray[np.float64]:
    """:func:`sgp_points` for whole columns: points per median, NaN where no indicator.

    ``counts`` NaN counts as 0 students; a count is truncated to a whole number, as
    ``sgp_points`` receives it. Raises ValueError for a median outside 1–99 (whatever its n).
    """
    bounds = np.asarray(_check_cuts(cuts), dtype=np.float64)
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    m = np.asarray(medians, dtype=np.float64)
    n = np.floor(np.nan_to_num(np.asarray(counts, dtype=np.float64), nan=0.0))
    if m.shape != n.shape:
        raise ValueError("medians and counts must have the same length")
    present = ~np.isnan(m)
    bad = present & ((m < 1.0) | (m > 99.0))
    if bad.any():
        raise ValueError(f"a median SGP lies within 1–99, got {m[bad][0]}")
    band = (np.where(present, m, 0.0)[:, None] >= bounds[None, :]).sum(axis=1)
    points = np.asarray(_POINTS, dtype=np.float64)[band]
    out: npt.NDArray[np.float64] = np.where(present & (n >= min_n), points, np.nan)
    return out


@dataclass(frozen=True)
class GrowthGoal:
    """The exit growth goal: typical growth or better in every required subject and group.

    Attributes
    ----------
    met : bool or None
        True when every required median is ≥ the goal; False when one is below; None when a
        required median is missing or rests on too few students (the goal cannot be judged).
    reasons : tuple of str
        One sentence per subject and group.
    """

    met: bool | None
    reasons: tuple[str, ...]


def growth_exit_goal(
    medians: Mapping[tuple[str, str], tuple[float | None, int]],
    *,
    subjects: Sequence[str] = ("ELA", "MATH"),
    groups: Sequence[str] = ("all", "high_needs"),
    low: float = TYPICAL_GROWTH_LOW,
    min_n: int = DEFAULT_MIN_N_SGP,
) -> GrowthGoal:
    """Whether a school's medians meet the Level 4 exit growth goal (accountability.md §3.1).

    Parameters
    ----------
    medians : mapping
        ``(subject, group) → (median SGP or None, n)``.
    subjects, groups : sequences of str
        What must meet the goal. A high-needs group with fewer than ``min_n`` students is reported
        and skipped (the goal applies to groups that can be measured); all students must count.
    low : float
        The goal: median SGP ≥ this.
    min_n : int
        Fewest students for a median to count.
    """
    reasons: list[str] = []
    verdicts: list[bool | None] = []
    for subject in subjects:
        for group in groups:
            median, n = medians.get((subject, group), (None, 0))
            label = f"{subject} {group.replace('_', '-')}"
            if median is None or n < min_n:
                if group == "all":
                    reasons.append(f"{label}: no median SGP from at least {min_n} students")
                    verdicts.append(None)
                else:
                    reasons.append(f"{label}: fewer than {min_n} students, not judged")
                continue
            ok = median >= low
            sign = "≥" if ok else "<"
            reasons.append(f"{label}: median SGP {median:g} (n = {n}) {sign} {low:g}")
            verdicts.append(ok)
    if any(v is False for v in verdicts):
        met: bool | None = False
    elif any(v is None for v in verdicts) or not verdicts:
        met = None
    else:
        met = True
    return GrowthGoal(met, tuple(reasons))
