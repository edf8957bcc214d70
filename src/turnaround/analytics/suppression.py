"""Small-cell suppression for audiences that may only see protected aggregates.

Implements the primary, top/bottom-coding and complementary steps of the pipeline in
``reference/data-and-privacy.md`` §6.2 for the tables the product shows per school: one row per
student group with its number of students (n) and statistics derived from it.

- *Primary*: every statistic of a group with ``n < reporting_min_n`` is hidden.
- *Complementary*: where groups partition a total that is published (race/ethnicity groups add up
  to all students), a single hidden member could be recovered by subtraction, so the smallest
  visible sibling is hidden too; repeated until nothing changes.
- *Top/bottom coding*: a percentage near 0 or 100 is shown as a band sized by n
  (``≤5%`` / ``≥95%``) instead of the exact value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: (minimum n, band width in percentage points): larger groups get narrower bands.
DEFAULT_BANDS: tuple[tuple[int, float], ...] = ((300, 1.0), (100, 2.0), (40, 5.0), (0, 10.0))


@dataclass(frozen=True)
class SuppressionResult:
    """Which rows are hidden, and why.

    Attributes
    ----------
    hidden : ndarray of bool
        True where every statistic of the row must be withheld.
    primary : ndarray of bool
        True where the row itself is below the reporting minimum.
    complementary : ndarray of bool
        True where the row was hidden only to protect a sibling.
    """

    hidden: npt.NDArray[np.bool_]
    primary: npt.NDArray[np.bool_]
    complementary: npt.NDArray[np.bool_]


def suppress(
    n: Sequence[float | None] | npt.NDArray[np.float64],
    *,
    reporting_min_n: int,
    partition: Sequence[str | None] | None = None,
) -> SuppressionResult:
    """Primary and complementary suppression for one table of group rows.

    Parameters
    ----------
    n : sequence of float or None
        Number of students per row; ``None``/NaN counts as unknown and is hidden.
    reporting_min_n : int
        Rows with fewer students are hidden (the privacy threshold, not an accountability n).
    partition : sequence of str or None, optional
        For each row, the name of the partition it belongs to (rows of one partition add up to a
        published total), or ``None`` for rows that are not part of any partition.

    Returns
    -------
    SuppressionResult
    """
    if reporting_min_n < 1:
        raise ValueError(f"reporting_min_n must be at least 1, got {reporting_min_n}")
    counts = np.array([np.nan if v is None else float(v) for v in n], dtype=np.float64)
    if partition is not None and len(partition) != len(counts):
        raise ValueError("partition must have one entry per row")
    primary = ~(counts >= reporting_min_n)
    hidden = primary.copy()
    if partition is not None:
        names = {p for p in partition if p is not None}
        members = {
            name: np.array([i for i, p in enumerate(partition) if p == name], dtype=np.intp)
            for name in names
        }
        changed = True
        while changed:
            changed = False
            for idx in members.values():
                hidden_here = hidden[idx]
                if hidden_here.sum() == 1 and len(idx) > 1:
                    visible = idx[~hidden_here]
                    smallest = visible[np.argmin(counts[visible])]
                    hidden[smallest] = True
                    changed = True
    return SuppressionResult(hidden=hidden, primary=primary, complementary=hidden & ~primary)


def code_extreme(
    pct: float | None,
    n: float | None,
    *,
    bands: tuple[tuple[int, float], ...] = DEFAULT_BANDS,
) -> str | None:
    """A band such as ``"≤5%"`` or ``"≥95%"`` when ``pct`` is too close to 0 or 100, else None.

    Parameters
    ----------
    pct : float or None
        A percentage between 0 and 100.
    n : float or None
        The number of students it is a percentage of.
    bands : tuple of (int, float)
        ``(minimum n, band width)`` pairs, largest minimum first.
    """
    if pct is None or n is None or np.isnan(pct):
        return None
    if not 0.0 <= pct <= 100.0:
        raise ValueError(f"a percentage must be between 0 and 100, got {pct}")
    width = bands[-1][1]
    for min_n, band in bands:
        if n >= min_n:
            width = band
            break
    if pct <= width:
        return f"≤{width:g}%"
    if pct >= 100.0 - width:
        return f"≥{100.0 - width:g}%"
    return None
