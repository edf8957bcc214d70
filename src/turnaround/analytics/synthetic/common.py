"""The vocabulary every generator shares: array types, subjects, years, groups, grades and
designations; one random stream per school and purpose; argument checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

SUBJECTS: tuple[str, ...] = ("ELA", "MATH")
HISTORY_YEARS: tuple[int, ...] = (2011, 2012, 2013, 2014, 2015, 2016)
ANCHOR_YEAR = 2017
TRAJECTORIES: tuple[str, ...] = ("improver", "stagnant", "decliner", "steady")
#: Student groups generated for every year (the MA accountability groups with demographic shares).
GROUPS: tuple[str, ...] = (
    "high_needs",
    "econ_disadv",
    "el",
    "swd",
    "black",
    "asian",
    "hispanic",
    "white",
    "multirace",
)
#: Demographic shares a profile carries, in percent of enrolment.
PROFILE_SHARES: tuple[str, ...] = (*GROUPS, "amind", "pacisl")
RACES: tuple[str, ...] = ("black", "asian", "hispanic", "white", "multirace", "amind", "pacisl")
FLAGS: tuple[str, ...] = ("high_needs", "econ_disadv", "el", "swd")
TESTED_GRADES: tuple[str, ...] = ("03", "04", "05", "06", "07", "08", "10")
#: Legacy MCAS: 200–280, even scores; Needs Improvement from 220, Proficient 240, Advanced 260.
CUT_SCORES: tuple[float, float, float] = (220.0, 240.0, 260.0)
SCALE_MIN, SCALE_MAX = 200.0, 280.0
DESIGNATIONS: tuple[str, ...] = ("underperforming", "chronic")

# Purposes: one independent random stream per school and purpose.
_HISTORY, _GROUP, _STUDENT, _PROFILE, _IMPUTE, _TRAJECTORY = range(6)

_MIN_SGP_N = 20


def _check_choice(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def _rng(seed: int, key: int, purpose: int, *extra: int) -> np.random.Generator:
    if seed < 0 or key < 0:
        raise ValueError(f"seed and key must not be negative, got seed={seed}, key={key}")
    return np.random.default_rng([seed, key, purpose, *extra])
