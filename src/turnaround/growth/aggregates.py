"""Median and mean SGP per school × grade (and all grades) × student group, with the minimum-n rule.

Pure pandas on a frame of scored students; the service stores what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from turnaround.performance.models import ALL_GRADES, StudentGroup

#: Flag columns of a student's record → the group they put the student in.
FLAG_GROUPS: tuple[tuple[str, str], ...] = (
    ("is_high_needs", StudentGroup.HIGH_NEEDS.value),
    ("is_econ_disadv", StudentGroup.ECON_DISADV.value),
    ("is_el", StudentGroup.EL.value),
    ("is_swd", StudentGroup.SWD.value),
)
RACE_GROUPS: frozenset[str] = frozenset(
    {
        StudentGroup.AFRICAN_AMERICAN.value,
        StudentGroup.ASIAN.value,
        StudentGroup.HISPANIC.value,
        StudentGroup.WHITE.value,
        StudentGroup.MULTIRACE.value,
        StudentGroup.NATIVE_AMERICAN.value,
        StudentGroup.PACIFIC_ISLANDER.value,
    }
)
#: Columns the frame given to :func:`aggregate_sgps` must have.
SCORED_COLUMNS = (
    "school_id",
    "grade",
    "sgp",
    "is_high_needs",
    "is_econ_disadv",
    "is_el",
    "is_swd",
    "race",
)


@dataclass(frozen=True)
class Aggregate:
    school_id: int
    grade: str
    group: str
    n: int
    median_sgp: float | None
    mean_sgp: float | None
    insufficient: bool


def _membership(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean masks of the students in each group (only groups with someone in them)."""
    masks: dict[str, np.ndarray] = {StudentGroup.ALL.value: np.ones(len(frame), dtype=bool)}
    for column, group in FLAG_GROUPS:
        mask = frame[column].to_numpy(dtype=bool)
        if mask.any():
            masks[group] = mask
    race = frame["race"].to_numpy(dtype=object)
    for group in sorted(RACE_GROUPS):
        mask = race == group
        if mask.any():
            masks[group] = mask
    return masks


def aggregate_sgps(
    frame: pd.DataFrame, *, grades: Iterable[str], min_n: int, include_all_grades: bool = True
) -> list[Aggregate]:
    """Median and mean SGP with n per school × grade × group (and per school × group for ALL).

    Parameters
    ----------
    frame : DataFrame
        One row per scored student with :data:`SCORED_COLUMNS`.
    grades : iterable of str
        The grades to aggregate separately (other grades count only towards ALL).
    min_n : int
        Below this many students the median and mean are not reported (``insufficient``).
    include_all_grades : bool
        Also aggregate over every grade of the frame (grade ``ALL``).
    """
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    missing = [c for c in SCORED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the columns {', '.join(missing)}")
    wanted = set(grades)
    out: list[Aggregate] = []
    for school_id, school_rows in frame.groupby("school_id", sort=True):
        parts: list[tuple[str, pd.DataFrame]] = [
            (str(g), rows) for g, rows in school_rows.groupby("grade", sort=True) if g in wanted
        ]
        if include_all_grades:
            parts.append((ALL_GRADES, school_rows))
        for grade, rows in parts:
            sgps = rows["sgp"].to_numpy(dtype=float)
            for group, mask in _membership(rows).items():
                values = sgps[mask]
                n = int(values.size)
                if n == 0:
                    continue
                insufficient = n < min_n
                out.append(
                    Aggregate(
                        school_id=int(school_id),  # type: ignore[call-overload]
                        grade=grade,
                        group=group,
                        n=n,
                        median_sgp=None if insufficient else float(np.median(values)),
                        mean_sgp=None if insufficient else round(float(values.mean()), 1),
                        insufficient=insufficient,
                    )
                )
    return out
