"""School-wide histories: the 2017 anchor (published or imputed), the trajectory a school
follows, and its 2011–2016 results leading to the anchor.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from turnaround.analytics.synthetic.common import (
    _HISTORY,
    _IMPUTE,
    _MIN_SGP_N,
    _TRAJECTORY,
    ANCHOR_YEAR,
    HISTORY_YEARS,
    SUBJECTS,
    TRAJECTORIES,
    FloatArray,
    _check_choice,
    _rng,
)
from turnaround.analytics.synthetic.levels import (
    _cpi_approx,
    _cumulative_logits,
    _levels_from_logits,
    _round_pct,
)
from turnaround.analytics.synthetic.results import Anchor, ResultSeries

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
