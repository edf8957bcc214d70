"""Student-group results, sized from the demographics."""

from __future__ import annotations

import numpy as np

from turnaround.analytics.synthetic.common import (
    _GROUP,
    _MIN_SGP_N,
    GROUPS,
    SUBJECTS,
    FloatArray,
    _rng,
)
from turnaround.analytics.synthetic.levels import (
    _cpi_approx,
    _cumulative_logits,
    _levels_from_logits,
    _round_pct,
)
from turnaround.analytics.synthetic.results import GroupResults, ResultSeries

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
