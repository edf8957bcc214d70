"""Enrolment and demographics for the synthetic years, drifting back from 2017."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from turnaround.analytics.synthetic.common import (
    _PROFILE,
    ANCHOR_YEAR,
    HISTORY_YEARS,
    PROFILE_SHARES,
    RACES,
    FloatArray,
    _rng,
)
from turnaround.analytics.synthetic.levels import _expit, _logit
from turnaround.analytics.synthetic.results import ProfileHistory

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
