"""From 100 fitted conditional quantiles to SGPs, and the output columns (sgp.md §5–§7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The 100 quantiles fitted: (1:100 - 0.5) / 100 = 0.005, 0.015, …, 0.995.
TAUS: FloatArray = (np.arange(1, 101, dtype=np.float64) - 0.5) / 100.0

PERCENTILE_DIGITS = 5


def percentiles(quantiles: FloatArray, y: FloatArray) -> IntArray:
    """SGPs from each student's 100 predicted quantiles.

    Sort each row ascending (rearrangement), round to 5 decimals, count the quantiles strictly
    below the student's score, then 0 → 1 and 100 → 99.

    Parameters
    ----------
    quantiles : ndarray, shape (n, 100)
    y : ndarray, shape (n,)

    Returns
    -------
    ndarray of int64, shape (n,), values 1…99
    """
    q = np.round(np.sort(np.asarray(quantiles, dtype=np.float64), axis=1), PERCENTILE_DIGITS)
    count = np.count_nonzero(q < np.asarray(y, dtype=np.float64)[:, None], axis=1)
    return np.asarray(np.clip(count, 1, 99), dtype=np.int64)


def norm_group(content_area: str, progression: Sequence[str], years: Sequence[str]) -> str:
    """``"2022_2023/READING_3; 2023_2024/READING_4"``: the panels of the order used."""
    return "; ".join(f"{y}/{content_area}_{g}" for g, y in zip(progression, years, strict=True))


def highest_order(sgp_by_order: IntArray) -> tuple[IntArray, IntArray]:
    """The SGP of the highest order each student has (0 = not in that order's cohort).

    Returns
    -------
    (sgp, order), with order 0 and sgp 0 for a student in no cohort.
    """
    n, m = sgp_by_order.shape
    has = sgp_by_order > 0
    # the last True column: m - 1 - argmax over the reversed columns
    last = m - 1 - np.argmax(has[:, ::-1], axis=1)
    any_order = has.any(axis=1)
    order = np.where(any_order, last + 1, 0).astype(np.int64)
    sgp = np.where(any_order, sgp_by_order[np.arange(n), last], 0).astype(np.int64)
    return sgp, order


def standardize(x: FloatArray) -> FloatArray:
    """``round((x - mean) / sd, 3)`` with the sample SD (n − 1)."""
    if x.size < 2:
        return np.full(x.shape, np.nan)
    sd = float(np.std(x, ddof=1))
    if sd == 0.0:
        return np.full(x.shape, np.nan)
    return np.asarray(np.round((x - float(np.mean(x))) / sd, 3), dtype=np.float64)


@dataclass(frozen=True)
class ScoredCohort:
    """SGPs of every order for Cohort_1 of one progression.

    Attributes
    ----------
    sgp_by_order : ndarray of int64, shape (n, m)
        Column ``k-1``: the SGP of order ``k``, 0 where the student is not in Cohort_k.
    prior : ndarray, shape (n,)
        The most recent prior score.
    """

    content_area: str
    year: str
    grade: str
    progression: tuple[str, ...]
    years: tuple[str, ...]
    ids: npt.NDArray[np.str_]
    sgp_by_order: IntArray
    prior: FloatArray


def scored_frame(blocks: Sequence[ScoredCohort], *, sgp_column: str = "SGP") -> pd.DataFrame:
    """One row per student with an SGP: the columns of ``SGPResult.frame``.

    ``CONTENT_AREA, YEAR, ID, GRADE, <sgp_column>, SGP_ORDER, SGP_ORDER_1 … SGP_ORDER_K,
    SGP_NORM_GROUP, SCALE_SCORE_PRIOR, SCALE_SCORE_PRIOR_STANDARDIZED``; ``K`` is the highest
    order of any block; per-order columns are nullable Int64.
    """
    max_order = max((b.sgp_by_order.shape[1] for b in blocks), default=0)
    parts = []
    for b in blocks:
        sgp, order = highest_order(b.sgp_by_order)
        keep = order > 0
        n = int(keep.sum())
        groups = {
            k: norm_group(b.content_area, b.progression[-k - 1 :], b.years[-k - 1 :])
            for k in range(1, b.sgp_by_order.shape[1] + 1)
        }
        data: dict[str, object] = {
            "CONTENT_AREA": np.full(n, b.content_area, dtype=object),
            "YEAR": np.full(n, b.year, dtype=object),
            "ID": b.ids[keep].astype(object),
            "GRADE": np.full(n, b.grade, dtype=object),
            sgp_column: sgp[keep],
            "SGP_ORDER": order[keep],
        }
        for k in range(1, max_order + 1):
            if k <= b.sgp_by_order.shape[1]:
                col = b.sgp_by_order[keep, k - 1].astype(np.int64)
                data[f"SGP_ORDER_{k}"] = pd.arrays.IntegerArray(col, col == 0)
            else:
                data[f"SGP_ORDER_{k}"] = pd.arrays.IntegerArray(
                    np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
                )
        data["SGP_NORM_GROUP"] = np.array([groups[int(k)] for k in order[keep]], dtype=object)
        data["SCALE_SCORE_PRIOR"] = b.prior[keep]
        data["SCALE_SCORE_PRIOR_STANDARDIZED"] = standardize(b.prior)[keep]
        parts.append(pd.DataFrame(data))
    columns = [
        "CONTENT_AREA",
        "YEAR",
        "ID",
        "GRADE",
        sgp_column,
        "SGP_ORDER",
        *[f"SGP_ORDER_{k}" for k in range(1, max_order + 1)],
        "SGP_NORM_GROUP",
        "SCALE_SCORE_PRIOR",
        "SCALE_SCORE_PRIOR_STANDARDIZED",
    ]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = pd.concat(parts, ignore_index=True)
    for c in ("CONTENT_AREA", "YEAR", "ID", "GRADE", "SGP_NORM_GROUP"):
        frame[c] = frame[c].astype(str)
    frame[sgp_column] = frame[sgp_column].astype(np.int64)
    frame["SGP_ORDER"] = frame["SGP_ORDER"].astype(np.int64)
    return frame[columns]
