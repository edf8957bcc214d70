"""Level shares on the ordered-logit scale (the location-shift model), their rounding, CPI
from the level mix, and whole counts from shares.
"""

from __future__ import annotations

import numpy as np

from turnaround.analytics.synthetic.common import FloatArray, IntArray

#: CPI points by level (W/F, NI, P, A): band midpoints of the 0/25 and 50/75 point halves.
_CPI_POINTS = np.array([12.5, 62.5, 100.0, 100.0])


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
