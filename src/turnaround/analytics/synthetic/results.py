"""Immutable result objects: anchors, result series, profile histories, group results and
student scores.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from turnaround.analytics.synthetic.common import (
    PROFILE_SHARES,
    SUBJECTS,
    BoolArray,
    FloatArray,
    IntArray,
    StrArray,
    _check_choice,
)


def _frozen(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        copy = value.copy()
        copy.setflags(write=False)
        return copy
    return value


class _Immutable:
    """Freeze every array field after ``__init__`` (numpy arrays are otherwise writable)."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, _frozen(getattr(self, f.name)))


@dataclass(frozen=True)
class Anchor(_Immutable):
    """A school's results in the anchor year (2017) for one subject, all students.

    Attributes
    ----------
    subject : str
        One of :data:`SUBJECTS`.
    pct_levels : ndarray of shape (4,)
        Percent of students at levels 1–4 (Warning/Failing, Needs Improvement, Proficient,
        Advanced); sums to 100.
    cpi : float
        Composite Performance Index, 0–100.
    median_sgp : float
        Median student growth percentile, 1–99, or NaN when none was published.
    n_tested : int
        Students included.
    sgp_n : int
        Students included in the median SGP.
    """

    subject: str
    pct_levels: FloatArray
    cpi: float
    median_sgp: float
    n_tested: int
    sgp_n: int

    def __post_init__(self) -> None:
        _check_choice("subject", self.subject, SUBJECTS)
        levels = np.asarray(self.pct_levels, dtype=np.float64)
        if levels.shape != (4,) or np.any(levels < 0) or abs(levels.sum() - 100.0) > 1.0:
            raise ValueError("pct_levels must be four non-negative percentages summing to 100")
        if not 0.0 <= self.cpi <= 100.0:
            raise ValueError(f"cpi must be between 0 and 100, got {self.cpi}")
        if not np.isnan(self.median_sgp) and not 1.0 <= self.median_sgp <= 99.0:
            raise ValueError(f"median_sgp must be between 1 and 99 or NaN, got {self.median_sgp}")
        if self.n_tested < 1 or self.sgp_n < 0:
            raise ValueError("n_tested must be at least 1 and sgp_n not negative")
        object.__setattr__(self, "pct_levels", levels * (100.0 / levels.sum()))
        super().__post_init__()


@dataclass(frozen=True)
class ResultSeries(_Immutable):
    """One subject's school-wide (all students) results over several years.

    Attributes
    ----------
    subject : str
        One of :data:`SUBJECTS`.
    trajectory : str
        The trajectory that generated the series, or ``"anchor"`` for the real year.
    years : ndarray of int, shape (k,)
    pct_levels : ndarray of float, shape (k, 4)
        Percent at levels 1–4 per year; each row sums to 100.
    cpi : ndarray of float, shape (k,)
    median_sgp : ndarray of float, shape (k,)
        NaN where fewer than 20 students have an SGP, or none was published.
    n_tested, sgp_n : ndarray of int, shape (k,)
    """

    subject: str
    trajectory: str
    years: IntArray
    pct_levels: FloatArray
    cpi: FloatArray
    median_sgp: FloatArray
    n_tested: IntArray
    sgp_n: IntArray

    def extended(self, later: ResultSeries) -> ResultSeries:
        """This series followed by ``later`` (same subject, later years)."""
        if later.subject != self.subject:
            raise ValueError("cannot join series of different subjects")
        if len(self.years) and len(later.years) and later.years.min() <= self.years.max():
            raise ValueError("the later series must start after this one ends")
        return ResultSeries(
            subject=self.subject,
            trajectory=self.trajectory,
            years=np.concatenate([self.years, later.years]),
            pct_levels=np.concatenate([self.pct_levels, later.pct_levels]),
            cpi=np.concatenate([self.cpi, later.cpi]),
            median_sgp=np.concatenate([self.median_sgp, later.median_sgp]),
            n_tested=np.concatenate([self.n_tested, later.n_tested]),
            sgp_n=np.concatenate([self.sgp_n, later.sgp_n]),
        )


@dataclass(frozen=True)
class ProfileHistory(_Immutable):
    """Enrolment and demographics of one school for the synthetic years.

    Attributes
    ----------
    years : ndarray of int, shape (k,)
    enrollment : ndarray of float, shape (k,)
        Whole numbers; NaN where the anchor enrolment is unknown.
    shares : ndarray of float, shape (k, len(PROFILE_SHARES))
        Percent of enrolment per :data:`PROFILE_SHARES` column; NaN where unknown.
    graduation_rate, dropout_rate : ndarray of float, shape (k,)
        Percent; NaN where the school has none (not a high school).
    """

    years: IntArray
    enrollment: FloatArray
    shares: FloatArray
    graduation_rate: FloatArray
    dropout_rate: FloatArray

    def share(self, name: str) -> FloatArray:
        """The column of ``shares`` for one of :data:`PROFILE_SHARES`."""
        _check_choice("name", name, PROFILE_SHARES)
        column: FloatArray = self.shares[:, PROFILE_SHARES.index(name)]
        return column


@dataclass(frozen=True)
class GroupResults(_Immutable):
    """Student-group rows of one subject: one row per (year, group) with at least one student.

    Attributes
    ----------
    subject : str
    years : ndarray of int, shape (m,)
    groups : ndarray of str, shape (m,)
        Values of :data:`GROUPS`.
    pct_levels : ndarray of float, shape (m, 4)
        From whole-student counts, so each row sums to 100 and small groups show coarse shares.
    cpi : ndarray of float, shape (m,)
    median_sgp : ndarray of float, shape (m,)
        NaN where fewer than 20 students have an SGP.
    n_tested, sgp_n : ndarray of int, shape (m,)
    """

    subject: str
    years: IntArray
    groups: StrArray
    pct_levels: FloatArray
    cpi: FloatArray
    median_sgp: FloatArray
    n_tested: IntArray
    sgp_n: IntArray


@dataclass(frozen=True)
class StudentScores(_Immutable):
    """Pseudonymous student-level scores: one row per student, year and subject.

    Attributes
    ----------
    student_key : ndarray of str
        ``"S"`` + 16 hex digits of a hash of (seed, school key, serial); never a real id.
    year : ndarray of int
    grade : ndarray of str
        Tested grade codes (:data:`TESTED_GRADES`).
    subject : ndarray of str
    scale_score : ndarray of float
        Even numbers from 200 to 280.
    achievement_level : ndarray of int
        1–4 from :data:`CUT_SCORES`.
    is_high_needs, is_econ_disadv, is_el, is_swd : ndarray of bool
        Fixed per student.
    race : ndarray of str
        One of :data:`RACES`, or ``""`` where the school's race shares are unknown.
    """

    student_key: StrArray
    year: IntArray
    grade: StrArray
    subject: StrArray
    scale_score: FloatArray
    achievement_level: IntArray
    is_high_needs: BoolArray
    is_econ_disadv: BoolArray
    is_el: BoolArray
    is_swd: BoolArray
    race: StrArray

    def __len__(self) -> int:
        return int(self.year.shape[0])
