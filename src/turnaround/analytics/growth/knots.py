"""Knots, boundaries and lowest/highest scores of the B-spline of one prior grade (sgp.md §2).

From data: ``knots = round(quantile_type7(v, [.2, .4, .6, .8]), 3)``,
``boundaries = round(extendrange(v, f=0.1), 3)`` and ``loss_hoss = round(range(v), 3)`` over every
score ``v`` of the prior panel (all students tested in that grade that year, not only the cohort).
Or supplied (a state's fixed set, a ``KNOTS.csv``), which then apply to every year.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from turnaround.analytics.growth.errors import GrowthInputError, ProgressionError
from turnaround.analytics.growth.records import normalise_grade

FloatArray = npt.NDArray[np.float64]

KNOT_PROBS = (0.2, 0.4, 0.6, 0.8)


@dataclass(frozen=True)
class Knots:
    """The spline set-up of one prior grade.

    Attributes
    ----------
    content_area, grade : str
    knots : tuple of 4 floats
        Interior knots, ascending.
    boundaries : (float, float)
        Boundary knots (low, high).
    loss_hoss : (float, float)
        Lowest and highest score.
    year : str or None
        The panel year the knots were computed from (``"BASELINE"`` for a stacked baseline
        cohort), or None for supplied knots that apply to every year.
    """

    content_area: str
    grade: str
    knots: tuple[float, float, float, float]
    boundaries: tuple[float, float]
    loss_hoss: tuple[float, float]
    year: str | None = None

    def __post_init__(self) -> None:
        if len(self.knots) != 4 or len(self.boundaries) != 2 or len(self.loss_hoss) != 2:
            raise GrowthInputError(
                f"{self.content_area} grade {self.grade}: need 4 knots, 2 boundaries and loss/hoss"
            )
        # normalise so that equal set-ups compare equal: "03" and 3 are grade "3", ints are floats
        object.__setattr__(self, "content_area", str(self.content_area))
        object.__setattr__(self, "grade", normalise_grade(self.grade))
        object.__setattr__(self, "knots", tuple(float(v) for v in self.knots))
        object.__setattr__(self, "boundaries", tuple(float(v) for v in self.boundaries))
        object.__setattr__(self, "loss_hoss", tuple(float(v) for v in self.loss_hoss))
        values = [*self.knots, *self.boundaries, *self.loss_hoss]
        if not all(np.isfinite(v) for v in values):
            raise GrowthInputError(f"{self.content_area} grade {self.grade}: knots must be finite")
        lo, hi = self.boundaries
        if not lo < hi:
            raise GrowthInputError(
                f"{self.content_area} grade {self.grade}: boundary_low {lo} must be below "
                f"boundary_high {hi}"
            )
        if list(self.knots) != sorted(self.knots) or self.knots[0] < lo or self.knots[3] > hi:
            raise GrowthInputError(
                f"{self.content_area} grade {self.grade}: knots {self.knots} must ascend and lie "
                f"within the boundaries {self.boundaries}"
            )

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.content_area, self.year, self.grade)


def _round(value: float, digits: int) -> float:
    # Python's round is correctly rounded (half to even on the exact binary value), as R >= 4.0.
    return float(round(float(value), digits))


def quantile_type7(values: FloatArray, probs: Iterable[float]) -> list[float]:
    """R's ``quantile(values, probs)`` (type 7), written as R computes it."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n == 0:
        raise GrowthInputError("cannot compute knots from no scores")
    out = []
    for p in probs:
        index = 1.0 + max(n - 1, 0) * p  # 1-based, as R
        lo = int(np.floor(index))
        hi = int(np.ceil(index))
        q = float(x[lo - 1])
        if index > lo and x[hi - 1] != q:
            h = index - lo
            q = (1.0 - h) * q + h * float(x[hi - 1])
        out.append(q)
    return out


def knots_from_scores(
    scores: FloatArray, *, content_area: str, grade: str, year: str | None
) -> Knots:
    """Knots, boundaries and loss/hoss of one grade from its scores (NaN ignored)."""
    v = np.asarray(scores, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        raise ProgressionError(f"no {content_area} grade {grade} scores in {year} for the knots")
    q = [_round(x, 3) for x in quantile_type7(v, KNOT_PROBS)]
    lo, hi = float(v.min()), float(v.max())
    width = hi - lo
    return Knots(
        content_area=content_area,
        grade=grade,
        knots=(q[0], q[1], q[2], q[3]),
        boundaries=(_round(lo - 0.1 * width, 3), _round(hi + 0.1 * width, 3)),
        loss_hoss=(_round(lo, 3), _round(hi, 3)),
        year=year,
    )


class KnotTable:
    """Look up knots by content area, year and grade: an exact year first, then year None."""

    def __init__(self, knots: Iterable[Knots]) -> None:
        self._by_key: dict[tuple[str, str | None, str], Knots] = {}
        for k in knots:
            if not isinstance(k, Knots):
                raise GrowthInputError(f"knots must be Knots objects, got {type(k).__name__}")
            old = self._by_key.get(k.key)
            if old is not None and old != k:
                raise GrowthInputError(
                    f"two different knot sets for {k.content_area} grade {k.grade}"
                    + (f" year {k.year}" if k.year is not None else "")
                )
            self._by_key[k.key] = k

    def find(self, content_area: str, year: str | None, grade: str) -> Knots | None:
        g = normalise_grade(grade)
        return self._by_key.get((content_area, year, g)) or self._by_key.get(
            (content_area, None, g)
        )

    def get(self, content_area: str, year: str | None, grade: str, *, needed_by: str) -> Knots:
        found = self.find(content_area, year, grade)
        if found is None:
            raise ProgressionError(
                f"no knots for {content_area} grade {grade}"
                + (f" ({year})" if year is not None else "")
                + f", needed by {needed_by}"
            )
        return found
