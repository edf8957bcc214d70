"""Seeded synthetic school histories, student-group results and student scores for the demo state.

The demo state is built around one real year (the Massachusetts 2017 school profiles). Everything
before it, every student-group row and every student record is generated here, deterministically:

- :func:`history_generate` — 2011–2016 school-wide results (per subject: % at each of the four
  legacy MCAS levels, CPI, median SGP, number tested) that lead to the real 2017 *anchor* along a
  trajectory (``improver``, ``stagnant``, ``decliner``, ``steady``);
- :func:`profile_generate` — 2011–2016 enrolment and demographics drifting back from 2017;
- :func:`groups_generate` — student-group rows sized from the demographics (small groups occur);
- :func:`students_generate` — pseudonymous, longitudinal student scores (scale 200–280) whose
  level distribution reproduces the school's yearly results;
- :func:`anchor_impute`, :func:`percentile_within_type`, :func:`level_determine` and
  :func:`trajectory_choose` — the small rules the demo needs around them.

Every random draw comes from ``numpy.random.default_rng([seed, key, purpose, ...])`` where ``key``
identifies the school (e.g. its 8-digit code as an integer): a school's synthetic data never
depends on which other schools are generated, or in which order.

Model
-----
Achievement levels are handled as an ordered-logit *location shift*: the cumulative shares
``P(level <= k)``, k = 1..3, are moved on the logit scale by the same amount ``d`` (positive ``d`` =
lower achievement), which keeps the shape of the school's own 2017 distribution. CPI follows the
level mix (100 for Proficient/Advanced, 62.5 for Needs Improvement, 12.5 for Warning — the band
midpoints, since published CPI splits NI and W/F into halves) plus the school's own 2017 residual.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

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

#: Logit gap of each group against the rest of its school (positive = higher achieving).
_GROUP_GAP = {
    "high_needs": -0.75,
    "econ_disadv": -0.7,
    "el": -1.2,
    "swd": -1.5,
    "black": -0.6,
    "asian": 0.5,
    "hispanic": -0.7,
    "white": 0.25,
    "multirace": 0.0,
}
#: Median-SGP gap of each group against the rest of its school.
_GROUP_SGP_GAP = {
    "high_needs": -3.0,
    "econ_disadv": -3.0,
    "el": -3.0,
    "swd": -6.0,
    "black": -3.0,
    "asian": 4.0,
    "hispanic": -2.0,
    "white": 1.0,
    "multirace": 0.0,
}
#: CPI points by level (W/F, NI, P, A): band midpoints of the 0/25 and 50/75 point halves.
_CPI_POINTS = np.array([12.5, 62.5, 100.0, 100.0])
_MIN_SGP_N = 20
_SCORE_BANDS = ((200, 218), (220, 238), (240, 258), (260, 280))


# ---------------------------------------------------------------------------------------------
# Result objects


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


# ---------------------------------------------------------------------------------------------
# Helpers


def _check_choice(name: str, value: object, allowed: Sequence[object]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def _rng(seed: int, key: int, purpose: int, *extra: int) -> np.random.Generator:
    if seed < 0 or key < 0:
        raise ValueError(f"seed and key must not be negative, got seed={seed}, key={key}")
    return np.random.default_rng([seed, key, purpose, *extra])


def _logit(p: FloatArray) -> FloatArray:
    result: FloatArray = np.log(p / (1.0 - p))
    return result


def _expit(z: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return result


def _cumulative_logits(pct_levels: FloatArray) -> FloatArray:
    """Logits of P(level <= k), k = 1..3, for rows of level percentages (…, 4)."""
    shares = pct_levels / pct_levels.sum(axis=-1, keepdims=True)
    cum = np.clip(np.cumsum(shares, axis=-1)[..., :3], 1e-3, 1.0 - 1e-3)
    return _logit(np.maximum.accumulate(cum, axis=-1))


def _levels_from_logits(z: FloatArray) -> FloatArray:
    """Level shares (…, 4), summing to 1, from cumulative logits (…, 3)."""
    cum = np.maximum.accumulate(_expit(z), axis=-1)
    zeros = np.zeros(cum.shape[:-1] + (1,))
    ones = np.ones(cum.shape[:-1] + (1,))
    shares: FloatArray = np.diff(np.concatenate([zeros, cum, ones], axis=-1), axis=-1)
    return shares


def _round_pct(pct: FloatArray) -> FloatArray:
    """Round rows to one decimal, moving the rounding error to each row's largest cell."""
    rounded = np.round(pct, 1)
    err = np.round(100.0 - rounded.sum(axis=-1), 1)
    rows = np.arange(rounded.shape[0])
    rounded[rows, np.argmax(rounded, axis=-1)] += err
    result: FloatArray = np.round(rounded, 1)
    return result


def _cpi_approx(pct_levels: FloatArray) -> FloatArray:
    result: FloatArray = pct_levels @ _CPI_POINTS / 100.0
    return result


def _largest_remainder(shares: FloatArray, total: int) -> IntArray:
    """Whole counts summing to ``total`` in proportion to ``shares``."""
    raw = shares / shares.sum() * total
    counts: IntArray = np.floor(raw).astype(np.int64)
    short = total - int(counts.sum())
    if short > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Anchors


def anchor_impute(
    *,
    subject: str,
    n_tested: int,
    pct_high_needs: float | None,
    percentile: float | None,
    hs_share: float,
    has_growth: bool,
    seed: int,
    key: int,
) -> Anchor:
    """A plausible 2017 anchor for a school with tested grades but no published legacy result.

    In 2017 most Massachusetts schools took the Next-Generation MCAS in grades 3–8, which the
    profiles do not report on the legacy scale; their synthetic history still needs a level to
    lead to. The proficient share follows the school's high-needs share and accountability
    percentile (coefficients of a least-squares fit on the 2017 schools with legacy results).

    Parameters
    ----------
    subject : str
        One of :data:`SUBJECTS`.
    n_tested : int
        Students expected to be tested (e.g. enrolment in tested grades).
    pct_high_needs : float or None
        Percent of high-needs students; None when unknown.
    percentile : float or None
        The school's accountability percentile (1–99); None when it has none.
    hs_share : float
        Fraction (0–1) of the school's tested grades that are grade 10, where proficiency is
        higher than in grades 3–8.
    has_growth : bool
        False when no tested grade has a prior tested grade (grade 3 only): no median SGP.
    seed, key : int
        The demo seed and the school's key.

    Returns
    -------
    Anchor
    """
    _check_choice("subject", subject, SUBJECTS)
    if not 0.0 <= hs_share <= 1.0:
        raise ValueError(f"hs_share must be between 0 and 1, got {hs_share}")
    rng = _rng(seed, key, _IMPUTE, SUBJECTS.index(subject))
    base = {"ELA": (0.45, 2.2), "MATH": (0.2, 1.5)}[subject]
    gap_top = {"ELA": 2.6, "MATH": 1.5}[subject]
    hn = 45.0 if pct_high_needs is None or np.isnan(pct_high_needs) else pct_high_needs
    pct = 50.0 if percentile is None or np.isnan(percentile) else percentile
    z_pa = (
        (1.0 - hs_share) * base[0]
        + hs_share * base[1]
        + 0.3 * (pct - 50.0) / 25.0
        - 0.7 * (hn - 45.0) / 25.0
        + rng.normal(0.0, 0.35)
    )
    c2 = -z_pa  # logit of P(level <= 2) = logit(1 - P+A)
    z = np.array([c2 - 1.7, c2, c2 + gap_top])
    levels = _round_pct(_levels_from_logits(z)[None, :] * 100.0)[0]
    cpi = float(np.clip(_cpi_approx(levels) + 1.7, 0.0, 100.0))
    sgp = np.nan
    sgp_n = 0
    if has_growth:
        sgp = float(np.clip(round(50.0 + 0.15 * (pct - 50.0) + rng.normal(0.0, 6.0)), 1, 99))
        sgp_n = round(0.9 * n_tested)
    return Anchor(
        subject=subject,
        pct_levels=levels,
        cpi=round(cpi, 1),
        median_sgp=sgp,
        n_tested=max(1, int(n_tested)),
        sgp_n=sgp_n,
    )


def anchor_series(anchor: Anchor, *, year: int = ANCHOR_YEAR) -> ResultSeries:
    """The anchor as a one-year :class:`ResultSeries`."""
    return ResultSeries(
        subject=anchor.subject,
        trajectory="anchor",
        years=np.array([year], dtype=np.int64),
        pct_levels=anchor.pct_levels[None, :],
        cpi=np.array([anchor.cpi]),
        median_sgp=np.array([anchor.median_sgp]),
        n_tested=np.array([anchor.n_tested], dtype=np.int64),
        sgp_n=np.array([anchor.sgp_n], dtype=np.int64),
    )


# ---------------------------------------------------------------------------------------------
# School-wide history


def history_generate(
    anchor: Anchor,
    *,
    trajectory: str,
    seed: int,
    key: int,
    turn_year: int | None = None,
    depth: float | None = None,
    size_index: Sequence[float] | FloatArray | None = None,
) -> ResultSeries:
    """Synthetic 2011–2016 results for one school and subject, leading to its 2017 anchor.

    Parameters
    ----------
    anchor : Anchor
        The school's 2017 result for the subject.
    trajectory : str
        One of :data:`TRAJECTORIES`:

        - ``improver`` — flat and low until ``turn_year``, then rising steadily to the anchor,
          with above-typical growth (median SGP) while it rises;
        - ``stagnant`` — flat at about the anchor's level, growth below typical;
        - ``decliner`` — higher in 2011, falling to the anchor, growth below the anchor's;
        - ``steady`` — close to the anchor with the gentle statewide rise.
    seed, key : int
        The demo seed and the school's key (non-negative integers).
    turn_year : int, optional
        For ``improver``: the last low year (2011–2015). Drawn from 2012–2014 when omitted.
    depth : float, optional
        For ``improver``: how far below the anchor the low years sit, in logits of the
        cumulative level shares (1 ≈ from 50% to 27% proficient). Drawn from 0.9–1.5 when
        omitted.
    size_index : sequence of float, optional
        Number tested in each history year relative to 2017 (e.g. enrolment ratios); drawn as a
        small random walk when omitted.

    Returns
    -------
    ResultSeries
        Years 2011–2016.
    """
    _check_choice("trajectory", trajectory, TRAJECTORIES)
    years = np.array(HISTORY_YEARS, dtype=np.int64)
    tau = (ANCHOR_YEAR - years).astype(np.float64)  # 6 … 1 years before the anchor
    k = len(years)
    params = _rng(seed, key, _HISTORY)  # shared by both subjects: one school, one story
    noise = _rng(seed, key, _HISTORY, 1 + SUBJECTS.index(anchor.subject))
    scale = 1.1 if anchor.subject == "MATH" else 1.0

    if trajectory == "improver":
        amplitude = params.uniform(0.9, 1.5) * scale
        if depth is not None:
            if not 0.0 <= depth <= 5.0:
                raise ValueError(f"depth must be between 0 and 5 logits, got {depth}")
            amplitude = depth * scale
        turn = int(params.integers(2012, 2015)) if turn_year is None else turn_year
        if not HISTORY_YEARS[0] <= turn <= HISTORY_YEARS[-2]:
            raise ValueError(f"turn_year must be between 2011 and 2015, got {turn_year}")
        progress = np.clip((years - turn) / (ANCHOR_YEAR - turn), 0.0, 1.0)
        shift = amplitude * (1.0 - progress)
    elif trajectory == "stagnant":
        shift = np.full(k, params.uniform(-0.05, 0.15))
    elif trajectory == "decliner":
        shift = -params.uniform(0.4, 0.9) * scale * tau / 6.0
    else:  # steady
        shift = params.uniform(-0.01, 0.05) * tau

    if size_index is None:
        steps = noise.normal(0.0, 0.03, size=k)
        index = np.exp(-np.cumsum(steps[::-1])[::-1])
    else:
        index = np.asarray(size_index, dtype=np.float64)
        if index.shape != (k,) or np.any(~np.isfinite(index)) or np.any(index < 0):
            raise ValueError(f"size_index must be {k} non-negative numbers, one per history year")
    n_tested = np.maximum(0, np.round(anchor.n_tested * index)).astype(np.int64)

    p_pa = float(anchor.pct_levels[2:].sum() / 100.0)
    spread = 0.05 + 0.6 / np.sqrt(np.maximum(n_tested, 4))
    spread *= 1.0 / max(0.35, 2.0 * np.sqrt(max(p_pa * (1.0 - p_pa), 0.01)))
    shift = shift + noise.normal(0.0, 1.0, size=k) * spread

    z = _cumulative_logits(anchor.pct_levels)[None, :] + shift[:, None]
    pct_levels = _round_pct(_levels_from_logits(z) * 100.0)
    residual = anchor.cpi - float(_cpi_approx(anchor.pct_levels))
    cpi = np.round(
        np.clip(_cpi_approx(pct_levels) + residual + noise.normal(0.0, 0.8, size=k), 0.0, 100.0),
        1,
    ).astype(np.float64)

    sgp_ratio = anchor.sgp_n / anchor.n_tested if anchor.n_tested else 0.0
    sgp_n = np.round(n_tested * sgp_ratio).astype(np.int64)
    if np.isnan(anchor.median_sgp):
        sgp = np.full(k, np.nan)
    else:
        base = anchor.median_sgp
        if trajectory == "improver":
            rising = years > turn
            centre = np.where(rising, max(base, 50.0) + params.uniform(5.0, 12.0), base - 3.0)
        elif trajectory == "stagnant":
            centre = np.full(k, 0.5 * base + 0.5 * 40.0)
        elif trajectory == "decliner":
            centre = np.full(k, base - params.uniform(2.0, 7.0))
        else:
            centre = np.full(k, 0.7 * base + 0.3 * 50.0)
        jitter = noise.normal(0.0, 1.0, size=k) * (2.5 + 25.0 / np.sqrt(np.maximum(sgp_n, 1)))
        sgp = np.clip(np.round(centre + jitter, 1), 1.0, 99.0)
        sgp = np.where(sgp_n >= _MIN_SGP_N, sgp, np.nan)
        sgp_n = np.where(sgp_n >= _MIN_SGP_N, sgp_n, 0)

    return ResultSeries(
        subject=anchor.subject,
        trajectory=trajectory,
        years=years,
        pct_levels=pct_levels,
        cpi=cpi,
        median_sgp=sgp,
        n_tested=n_tested,
        sgp_n=sgp_n.astype(np.int64),
    )


# ---------------------------------------------------------------------------------------------
# Demographics


_SHARE_TREND = {"hispanic": -0.04, "el": -0.03, "white": 0.03, "high_needs": -0.02, "asian": -0.02}


def profile_generate(
    *,
    shares: Mapping[str, float | None],
    enrollment: float | None,
    graduation_rate: float | None,
    dropout_rate: float | None,
    seed: int,
    key: int,
) -> ProfileHistory:
    """Enrolment and demographics for 2011–2016, drifting back from the 2017 profile.

    Shares move as small random walks on the logit scale with the statewide trends of the
    period (Hispanic and English-learner shares rising, White falling); race shares are
    rescaled to keep their 2017 total. A share of exactly 0 or 100 stays as it is.

    Parameters
    ----------
    shares : mapping of str to float or None
        2017 percentages for keys of :data:`PROFILE_SHARES`; missing keys and None are unknown.
    enrollment : float or None
        2017 enrolment.
    graduation_rate, dropout_rate : float or None
        2017 percentages (None for schools without a graduating cohort).
    seed, key : int
        The demo seed and the school's key.

    Returns
    -------
    ProfileHistory
    """
    unknown = set(shares) - set(PROFILE_SHARES)
    if unknown:
        raise ValueError(
            f"unknown share {sorted(unknown)[0]!r}; allowed: {', '.join(PROFILE_SHARES)}"
        )
    rng = _rng(seed, key, _PROFILE)
    years = np.array(HISTORY_YEARS, dtype=np.int64)
    k = len(years)
    tau = (ANCHOR_YEAR - years).astype(np.float64)

    def walk(sd: float) -> FloatArray:
        steps = rng.normal(0.0, sd, size=k)
        result: FloatArray = np.cumsum(steps[::-1])[::-1]
        return result

    def value(raw: float | None) -> float:
        return np.nan if raw is None else float(raw)

    anchor = np.array([value(shares.get(name)) for name in PROFILE_SHARES])
    out = np.full((k, len(PROFILE_SHARES)), np.nan)
    for j, name in enumerate(PROFILE_SHARES):
        drift = _SHARE_TREND.get(name, 0.0) * tau + walk(0.04)
        a = anchor[j]
        if np.isnan(a):
            continue
        if a <= 0.0 or a >= 100.0:
            out[:, j] = a
            continue
        out[:, j] = _expit(_logit(np.array(a / 100.0)) + drift) * 100.0
    race_cols = [PROFILE_SHARES.index(r) for r in RACES]
    race_total = anchor[race_cols]
    if not np.any(np.isnan(race_total)) and race_total.sum() > 0:
        block = out[:, race_cols]
        out[:, race_cols] = block / block.sum(axis=1, keepdims=True) * race_total.sum()
    out = np.round(out, 1)

    if enrollment is None or np.isnan(enrollment):
        enrol = np.full(k, np.nan)
        walk(0.03)
    else:
        enrol = np.round(enrollment * np.exp(-walk(0.03)))
    grad = np.full(k, np.nan)
    drop = np.full(k, np.nan)
    g_noise, d_noise = rng.normal(0.0, 1.5, size=k), rng.normal(0.0, 0.6, size=k)
    if graduation_rate is not None:
        grad = np.round(np.clip(graduation_rate - 0.6 * tau + g_noise, 0.0, 100.0), 1)
    if dropout_rate is not None:
        drop = np.round(np.clip(dropout_rate + 0.15 * tau + d_noise, 0.0, 100.0), 1)
    return ProfileHistory(
        years=years, enrollment=enrol, shares=out, graduation_rate=grad, dropout_rate=drop
    )


# ---------------------------------------------------------------------------------------------
# Student groups


def groups_generate(
    series: ResultSeries,
    *,
    group_pct: FloatArray,
    seed: int,
    key: int,
) -> GroupResults:
    """Student-group results for every year of ``series``, sized from the demographics.

    A group's size is ``round(n_all × share)``; groups with fewer than one student are left
    out, so groups of 1–9 students occur in small schools (they exercise suppression). A group
    sits below or above the rest of its school by a fixed logit gap (students with disabilities
    and English learners lowest), scaled by ``1 − share`` so that a group making up almost the
    whole school matches the school; its level counts are a multinomial draw of its size.

    Parameters
    ----------
    series : ResultSeries
        The school's all-students results for the subject.
    group_pct : ndarray of float, shape (k, len(GROUPS))
        Percent of students in each of :data:`GROUPS` per year of ``series``; NaN = unknown.
    seed, key : int
        The demo seed and the school's key.

    Returns
    -------
    GroupResults
    """
    k = len(series.years)
    shares = np.asarray(group_pct, dtype=np.float64)
    if shares.shape != (k, len(GROUPS)):
        raise ValueError(
            f"group_pct must have shape ({k}, {len(GROUPS)}): one row per year, one column "
            f"per group ({', '.join(GROUPS)})"
        )
    if np.any(shares[~np.isnan(shares)] < 0) or np.any(shares[~np.isnan(shares)] > 100):
        raise ValueError("group_pct values must be percentages between 0 and 100")
    s_idx = SUBJECTS.index(series.subject)
    rng = _rng(seed, key, _GROUP, s_idx)
    effects = rng.normal(0.0, 0.2, size=len(GROUPS))  # the school's own gaps, fixed over years

    frac = np.nan_to_num(shares / 100.0, nan=0.0)
    n = np.round(series.n_tested[:, None] * frac).astype(np.int64)
    year_idx, group_idx = np.nonzero(n >= 1)
    n_rows = n[year_idx, group_idx]
    gap = np.array([_GROUP_GAP[g] for g in GROUPS])
    rest = 1.0 - frac[year_idx, group_idx]
    z = (
        _cumulative_logits(series.pct_levels[year_idx])
        - ((gap[group_idx] + effects[group_idx]) * rest)[:, None]
    )
    probs = _levels_from_logits(z)
    probs = probs / probs.sum(axis=1, keepdims=True)
    counts = rng.multinomial(n_rows, probs) if len(n_rows) else np.zeros((0, 4), np.int64)
    pct_levels = _round_pct(counts / np.maximum(n_rows, 1)[:, None] * 100.0)

    residual = series.cpi[year_idx] - _cpi_approx(series.pct_levels[year_idx])
    cpi_noise = rng.normal(0.0, 1.0, size=len(n_rows)) * (0.5 + 4.0 / np.sqrt(n_rows))
    cpi = np.round(np.clip(_cpi_approx(pct_levels) + residual + cpi_noise, 0.0, 100.0), 1).astype(
        np.float64
    )

    sgp_gap = np.array([_GROUP_SGP_GAP[g] for g in GROUPS])[group_idx] * rest
    ratio = np.where(
        series.n_tested[year_idx] > 0,
        series.sgp_n[year_idx] / np.maximum(series.n_tested[year_idx], 1),
        0.0,
    )
    sgp_n = np.round(n_rows * ratio).astype(np.int64)
    sgp_noise = rng.normal(0.0, 1.0, size=len(n_rows)) * 22.0 / np.sqrt(np.maximum(sgp_n, 1))
    sgp = np.clip(np.round(series.median_sgp[year_idx] + sgp_gap + sgp_noise, 1), 1.0, 99.0)
    has_sgp = (sgp_n >= _MIN_SGP_N) & ~np.isnan(series.median_sgp[year_idx])
    return GroupResults(
        subject=series.subject,
        years=series.years[year_idx].astype(np.int64),
        groups=np.array([GROUPS[i] for i in group_idx], dtype=np.str_),
        pct_levels=pct_levels,
        cpi=cpi,
        median_sgp=np.where(has_sgp, sgp, np.nan),
        n_tested=n_rows.astype(np.int64),
        sgp_n=np.where(has_sgp, sgp_n, 0).astype(np.int64),
    )


# ---------------------------------------------------------------------------------------------
# Students


def _grade_number(code: str) -> int:
    return int(code)


def students_generate(
    *,
    series: Mapping[str, ResultSeries],
    grades: Sequence[str],
    flag_pct: Mapping[str, float | None],
    race_pct: Mapping[str, float | None],
    seed: int,
    key: int,
    stay_rate: float = 0.92,
) -> StudentScores:
    """Longitudinal student scores for one school, matching its yearly level distribution.

    Students fill the school's grades from the lowest tested grade to the highest (grade 9
    included when grades 8 and 10 are both tested); each year they move up one grade, a share
    ``1 − stay_rate`` leave, and new students fill each grade to its size (the year's number
    tested, averaged over subjects, divided by the number of tested grades). Each student
    keeps a latent ability (lower with a disability, as an English learner or economically
    disadvantaged; ELA and math correlated); a year's scores rank the school's tested students
    by ability plus noise and give the lowest ranks level 1 in exactly the school's
    proportions, so the student records reproduce the school-level results. Scale scores are
    even numbers inside each level's band (200–218, 220–238, 240–258, 260–280).

    Parameters
    ----------
    series : mapping of str to ResultSeries
        School-wide results per subject (keys from :data:`SUBJECTS`), all over the same years.
    grades : sequence of str
        The school's tested grades (a subset of :data:`TESTED_GRADES`).
    flag_pct : mapping of str to float or None
        Percent of students per flag in :data:`FLAGS`; None or missing = 0.
    race_pct : mapping of str to float or None
        Percent per race in :data:`RACES`; if any is unknown, ``race`` is left blank.
    seed, key : int
        The demo seed and the school's key.
    stay_rate : float
        Probability that a student stays in the school from one year to the next.

    Returns
    -------
    StudentScores
    """
    if not series:
        raise ValueError(f"series needs at least one of {', '.join(SUBJECTS)}")
    for subject in series:
        _check_choice("subject", subject, SUBJECTS)
    for name in grades:
        _check_choice("grade", name, TESTED_GRADES)
    for mapping, allowed, label in ((flag_pct, FLAGS, "flag"), (race_pct, RACES, "race")):
        unknown = set(mapping) - set(allowed)
        if unknown:
            raise ValueError(
                f"unknown {label} {sorted(unknown)[0]!r}; allowed: {', '.join(allowed)}"
            )
    if not 0.0 <= stay_rate <= 1.0:
        raise ValueError(f"stay_rate must be between 0 and 1, got {stay_rate}")
    subjects = [s for s in SUBJECTS if s in series]
    years = series[subjects[0]].years
    for s in subjects[1:]:
        if not np.array_equal(series[s].years, years):
            raise ValueError("every subject's series must cover the same years")
    tested = sorted({_grade_number(g) for g in grades})
    if not tested:
        return _students_empty()

    rng = _rng(seed, key, _STUDENT)
    p = {f: float(flag_pct.get(f) or 0.0) / 100.0 for f in FLAGS}
    race_known = all(race_pct.get(r) is not None for r in RACES)
    race_p = np.array([float(race_pct.get(r) or 0.0) for r in RACES])
    if race_known and race_p.sum() > 0:
        race_p = race_p / race_p.sum()
    else:
        race_known = False

    # Student attributes grow as students enter; stored in lists then stacked.
    ability: list[FloatArray] = []
    flags: list[BoolArray] = []
    race: list[str] = []

    def enter(count: int) -> IntArray:
        start = len(race)
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        hn = rng.random(count) < p["high_needs"]
        share_hn = p["high_needs"]
        cond_el = min(1.0, p["el"] / share_hn) if share_hn > 0 else 0.0
        cond_swd = min(1.0, p["swd"] / share_hn) if share_hn > 0 else 0.0
        el = hn & (rng.random(count) < cond_el)
        swd = hn & (rng.random(count) < cond_swd)
        # High needs is the union of the three groups: high-needs students who are neither EL
        # nor SWD are economically disadvantaged; the others are with the probability that
        # brings the economically-disadvantaged share to its target.
        only = share_hn * (1.0 - cond_el) * (1.0 - cond_swd)
        either = share_hn - only
        q = float(np.clip((p["econ_disadv"] - only) / either, 0.0, 1.0)) if either > 0 else 0.0
        ed = hn & ~(el | swd) | (hn & (el | swd) & (rng.random(count) < q))
        common = rng.normal(0.0, 1.0, size=count) - 0.5 * swd - 0.4 * el - 0.25 * ed
        own = rng.normal(0.0, 1.0, size=(count, len(SUBJECTS)))
        ability.append(0.8 * common[:, None] + 0.6 * own)
        flags.append(np.column_stack([hn, ed, el, swd]))
        if race_known:
            race.extend(RACES[i] for i in rng.choice(len(RACES), size=count, p=race_p))
        else:
            race.extend([""] * count)
        return np.arange(start, start + count, dtype=np.int64)

    span = range(tested[0], tested[-1] + 1)
    roster: dict[int, IntArray] = {}
    rows: dict[str, list[Any]] = {name: [] for name in ("student", "year", "grade", "subject")}
    scores: list[FloatArray] = []
    levels: list[IntArray] = []
    for t, year in enumerate(years):
        n_year = round(float(np.mean([series[s].n_tested[t] for s in subjects])))
        size = max(1, round(n_year / len(tested))) if n_year > 0 else 0
        new_roster: dict[int, IntArray] = {}
        for g in span:
            moving = roster.get(g - 1, np.zeros(0, dtype=np.int64))
            moving = moving[rng.random(len(moving)) < stay_rate]
            if len(moving) > size:
                moving = np.sort(rng.choice(moving, size=size, replace=False))
            new_roster[g] = np.concatenate([moving, enter(size - len(moving))])
        roster = new_roster
        if size == 0:
            continue
        present = np.concatenate([roster[g] for g in tested])
        present_grade = np.concatenate([np.full(len(roster[g]), g) for g in tested])
        abilities = np.vstack(ability)
        for subject in subjects:
            s_idx = SUBJECTS.index(subject)
            latent = 0.87 * abilities[present, s_idx] + 0.5 * rng.normal(size=len(present))
            counts = _largest_remainder(series[subject].pct_levels[t], len(present))
            order = np.argsort(latent, kind="stable")
            level = np.empty(len(present), dtype=np.int64)
            score = np.empty(len(present), dtype=np.float64)
            start = 0
            for lvl, count in enumerate(counts):
                idx = order[start : start + count]
                lo, hi = _SCORE_BANDS[lvl]
                u = (np.arange(count) + rng.random(count)) / max(count, 1)
                score[idx] = np.clip(2.0 * np.round((lo + u * (hi - lo)) / 2.0), lo, hi)
                level[idx] = lvl + 1
                start += count
            rows["student"].append(present)
            rows["year"].append(np.full(len(present), year, dtype=np.int64))
            rows["grade"].append(present_grade)
            rows["subject"].append(np.full(len(present), subject))
            scores.append(score)
            levels.append(level)

    if not scores:
        return _students_empty()
    student = np.concatenate(rows["student"])
    flag_matrix = np.vstack(flags)[student]
    keys = np.array(
        [
            "S" + hashlib.sha256(f"{seed}:{key}:{i}".encode()).hexdigest()[:16].upper()
            for i in range(len(race))
        ],
        dtype=np.str_,
    )
    return StudentScores(
        student_key=keys[student],
        year=np.concatenate(rows["year"]),
        grade=np.array([f"{g:02d}" for g in np.concatenate(rows["grade"])], dtype=np.str_),
        subject=np.concatenate(rows["subject"]).astype(np.str_),
        scale_score=np.concatenate(scores),
        achievement_level=np.concatenate(levels),
        is_high_needs=flag_matrix[:, 0],
        is_econ_disadv=flag_matrix[:, 1],
        is_el=flag_matrix[:, 2],
        is_swd=flag_matrix[:, 3],
        race=np.array(race, dtype=np.str_)[student] if race else np.zeros(0, dtype=np.str_),
    )


def _students_empty() -> StudentScores:
    none_i = np.zeros(0, dtype=np.int64)
    none_s = np.zeros(0, dtype=np.str_)
    none_b = np.zeros(0, dtype=np.bool_)
    return StudentScores(
        student_key=none_s,
        year=none_i,
        grade=none_s,
        subject=none_s,
        scale_score=np.zeros(0),
        achievement_level=none_i,
        is_high_needs=none_b,
        is_econ_disadv=none_b,
        is_el=none_b,
        is_swd=none_b,
        race=none_s,
    )


def levels_from_scores(scores: Sequence[float] | FloatArray) -> IntArray:
    """Legacy MCAS achievement level (1–4) of each scale score, from :data:`CUT_SCORES`."""
    values = np.asarray(scores, dtype=np.float64)
    if np.any((values < SCALE_MIN) | (values > SCALE_MAX)):
        raise ValueError(f"scale scores must lie between {SCALE_MIN:g} and {SCALE_MAX:g}")
    result: IntArray = np.searchsorted(np.array(CUT_SCORES), values, side="right") + 1
    return result.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Accountability for the synthetic years


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


_TRAJECTORY_MIX: dict[str, tuple[float, float, float, float]] = {
    # improver, stagnant, decliner, steady
    "designated": (0.25, 0.60, 0.15, 0.0),
    "level3": (0.0, 0.75, 0.15, 0.10),
    "level12": (0.15, 0.0, 0.15, 0.70),
    "other": (0.05, 0.05, 0.10, 0.80),
}


def trajectory_choose(*, level: int | None, exited: bool, seed: int, key: int) -> str:
    """The trajectory of a school's synthetic history, from its real 2017 level.

    Schools that exited a designation are ``improver`` (the exit must show in the data);
    designated Level 4–5 schools are mostly ``stagnant``; Level 3 schools mostly ``stagnant``;
    Level 1–2 schools mostly ``steady``.

    Parameters
    ----------
    level : int or None
        The official 2017 level (1–5), None when the school had none.
    exited : bool
        True for a school given a synthetic designation that it exited.
    seed, key : int
        The demo seed and the school's key.

    Returns
    -------
    str
        One of :data:`TRAJECTORIES`.
    """
    if level is not None and level not in (1, 2, 3, 4, 5):
        raise ValueError(f"level must be one of 1, 2, 3, 4, 5 or None; got {level!r}")
    if exited:
        return "improver"
    band = (
        "designated"
        if level in (4, 5)
        else "level3"
        if level == 3
        else "level12"
        if level in (1, 2)
        else "other"
    )
    weights = np.array(_TRAJECTORY_MIX[band])
    pick = _rng(seed, key, _TRAJECTORY).choice(len(TRAJECTORIES), p=weights / weights.sum())
    return TRAJECTORIES[int(pick)]
