"""Agreement between raters: Krippendorff's alpha and simple descriptives per unit.

A ratings matrix has one row per *unit* (something rated: an application's criterion, an
indicator) and one column per *rater*; a missing rating is NaN. Krippendorff's alpha compares the
disagreement observed within units with the disagreement expected by chance from all the values
given, ``alpha = 1 - D_o / D_e``, and is defined for any number of raters, missing values and
several levels of measurement (the ``metric``):

- ``nominal``: any two different values disagree equally;
- ``ordinal``: the distance between two ranks grows with the number of values given between them;
- ``interval``: the squared difference;
- ``ratio``: the squared difference relative to the sum (values must not be negative).

Only *pairable* values count: those in units rated by at least two raters. The computation
follows the coincidence-matrix method of Krippendorff, K. (2011), "Computing Krippendorff's
Alpha-Reliability", Annenberg School for Communication, University of Pennsylvania.

Reading alpha: 1 is perfect agreement, 0 is what chance alone gives, below 0 is systematic
disagreement. Krippendorff advises relying on data with ``alpha >= 0.800`` and drawing only
tentative conclusions for ``0.667 <= alpha < 0.800`` (Krippendorff, 2004, *Content Analysis*,
2nd ed., p. 241); ``describe_alpha`` turns a value into words along those lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "METRICS",
    "AgreementInputError",
    "AgreementResult",
    "AlphaResult",
    "UnitDescriptives",
    "agreement",
    "describe_alpha",
    "krippendorff_alpha",
    "unit_descriptives",
]

#: the levels of measurement ``krippendorff_alpha`` knows
METRICS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class AgreementInputError(ValueError):
    """The ratings or the configuration cannot be used (the message says what is allowed)."""


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's alpha for one ratings matrix, or the reason it was not computed.

    Attributes
    ----------
    alpha : float or None
        The coefficient, or ``None`` when it is undefined (see ``refusal``).
    metric : str
        The level of measurement used (one of ``METRICS``).
    refusal : str
        Empty when ``alpha`` was computed; otherwise why it was not, in plain English.
    n_units : int
        Units with at least two ratings (pairable units).
    n_raters : int
        Raters who gave at least one pairable rating.
    n_pairable : int
        Pairable values: the ``n`` of Krippendorff's formulas.
    observed_disagreement : float or None
        ``D_o``, the mean disagreement within units.
    expected_disagreement : float or None
        ``D_e``, the disagreement expected when values are paired at random.
    values : tuple of float
        The distinct pairable values, ascending (the rows and columns of ``coincidences``).
    coincidences : ndarray
        Krippendorff's coincidence matrix ``o_ck`` (read-only), shape ``(len(values),) * 2``.
    """

    alpha: float | None
    metric: str
    refusal: str
    n_units: int
    n_raters: int
    n_pairable: int
    observed_disagreement: float | None
    expected_disagreement: float | None
    values: tuple[float, ...]
    coincidences: FloatArray

    @property
    def computed(self) -> bool:
        """True when ``alpha`` holds a value."""
        return self.alpha is not None

    @property
    def reading(self) -> str:
        """The value and its plain-English reading, e.g. ``"alpha 0.62: moderate agreement"``."""
        if self.alpha is None:
            return f"alpha not computed: {self.refusal}"
        return f"alpha {self.alpha:.2f}: {describe_alpha(self.alpha)}"


@dataclass(frozen=True)
class UnitDescriptives:
    """Per-unit summaries of a ratings matrix (one entry per row, missing ratings ignored).

    Attributes
    ----------
    n : ndarray of int
        Ratings given for the unit.
    mean : ndarray of float
        Mean rating; NaN where ``n == 0``.
    sd : ndarray of float
        Sample standard deviation (``ddof=1``); NaN where ``n < 2``.
    minimum, maximum : ndarray of float
        Lowest and highest rating; NaN where ``n == 0``.
    range : ndarray of float
        ``maximum - minimum``; NaN where ``n == 0``.
    within_tolerance : ndarray of bool
        True where at least two raters rated the unit and every rating lies within
        ``tolerance`` of every other (for ``tolerance=1``: "all within one scale point").
    tolerance : float
        The largest spread still counted as agreement.
    """

    n: IntArray
    mean: FloatArray
    sd: FloatArray
    minimum: FloatArray
    maximum: FloatArray
    range: FloatArray
    within_tolerance: BoolArray
    tolerance: float

    @property
    def spread_beyond_tolerance(self) -> BoolArray:
        """True where two raters of the unit differ by more than ``tolerance``."""
        with np.errstate(invalid="ignore"):
            return np.asarray(self.range > self.tolerance, dtype=np.bool_)


@dataclass(frozen=True)
class AgreementResult:
    """``krippendorff_alpha`` and ``unit_descriptives`` of one ratings matrix together."""

    alpha: AlphaResult
    units: UnitDescriptives


def _as_ratings(ratings: npt.ArrayLike) -> FloatArray:
    try:
        data = np.array(ratings, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AgreementInputError(
            "ratings must be numbers or missing (NaN/None) in a units × raters table"
        ) from exc
    if data.ndim != 2:
        raise AgreementInputError(
            f"ratings must be a 2-D table (units × raters), got {data.ndim} dimension(s)"
        )
    if np.isinf(data).any():
        raise AgreementInputError("ratings must be finite numbers or missing (NaN), not infinity")
    return data


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise AgreementInputError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")


def _squared_distances(metric: str, values: FloatArray, marginals: FloatArray) -> FloatArray:
    """``delta^2`` between every pair of the distinct ``values`` under ``metric``."""
    c = values[:, None]
    k = values[None, :]
    if metric == "nominal":
        return np.asarray(c != k, dtype=np.float64)
    if metric == "interval":
        return np.asarray((c - k) ** 2, dtype=np.float64)
    if metric == "ratio":
        total = c + k
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(total == 0, 0.0, (c - k) / np.where(total == 0, 1.0, total))
        return np.asarray(ratio**2, dtype=np.float64)
    # ordinal: (sum of n_g for g from c to k) - (n_c + n_k) / 2, squared
    cumulative = np.concatenate(([0.0], np.cumsum(marginals)))
    idx = np.arange(len(values))
    lo = np.minimum(idx[:, None], idx[None, :])
    hi = np.maximum(idx[:, None], idx[None, :])
    between = cumulative[hi + 1] - cumulative[lo]
    distance = between - (marginals[:, None] + marginals[None, :]) / 2.0
    return np.asarray(distance**2, dtype=np.float64)


def krippendorff_alpha(ratings: npt.ArrayLike, *, metric: str = "interval") -> AlphaResult:
    """Krippendorff's alpha for a units × raters matrix with missing values.

    Parameters
    ----------
    ratings : array_like, shape (n_units, n_raters)
        One row per unit rated, one column per rater; NaN (or None) where a rater gave no rating.
    metric : {"nominal", "ordinal", "interval", "ratio"}, default "interval"
        The level of measurement of the ratings.

    Returns
    -------
    AlphaResult
        ``alpha`` is ``None``, with ``refusal`` saying why, when fewer than two raters rated any
        common unit (nothing is pairable) or when every pairable value is the same (no variation:
        ``D_e = 0``, so alpha is undefined).

    Raises
    ------
    AgreementInputError
        When ``ratings`` is not a 2-D table of finite numbers or NaN, ``metric`` is unknown, or
        the ratio metric meets a negative value.

    Notes
    -----
    With ``m_u`` the number of ratings in unit ``u``, only units with ``m_u >= 2`` contribute.
    The coincidence matrix is ``o_ck = sum_u (number of ordered pairs (c, k) of ratings of u) /
    (m_u - 1)``, its margins ``n_c``, ``n = sum n_c``, and

    ``alpha = 1 - (n - 1) * sum o_ck delta2_ck / sum n_c n_k delta2_ck``.

    Examples
    --------
    >>> r = krippendorff_alpha([[1, 1], [2, 2], [3, 3]], metric="interval")
    >>> r.alpha
    1.0
    """
    _check_metric(metric)
    data = _as_ratings(ratings)
    present = ~np.isnan(data)
    if metric == "ratio" and (data[present] < 0).any():
        raise AgreementInputError("the ratio metric needs ratings of 0 or more")
    per_unit = present.sum(axis=1)
    pairable_units = per_unit >= 2
    pairable = present & pairable_units[:, None]
    n_raters = int(pairable.any(axis=0).sum())
    empty: FloatArray = np.zeros((0, 0), dtype=np.float64)
    empty.setflags(write=False)
    if n_raters < 2:
        return AlphaResult(
            alpha=None,
            metric=metric,
            refusal=(
                "fewer than two raters rated the same unit, so there is nothing to compare; "
                "agreement needs at least two raters' ratings of at least one common unit"
            ),
            n_units=0,
            n_raters=n_raters,
            n_pairable=0,
            observed_disagreement=None,
            expected_disagreement=None,
            values=(),
            coincidences=empty,
        )
    values = np.unique(data[pairable])
    # counts[u, v]: how many raters gave value v in unit u (pairable units only)
    rows = data[pairable_units]
    codes = np.searchsorted(values, rows)
    counts = np.zeros((rows.shape[0], len(values)), dtype=np.float64)
    row_ids, col_ids = np.nonzero(~np.isnan(rows))
    np.add.at(counts, (row_ids, codes[row_ids, col_ids]), 1.0)
    m = counts.sum(axis=1)
    pairs = counts[:, :, None] * counts[:, None, :]
    diagonal = np.arange(len(values))
    pairs[:, diagonal, diagonal] -= counts
    coincidences = (pairs / (m - 1.0)[:, None, None]).sum(axis=0)
    marginals = coincidences.sum(axis=1)
    n = float(marginals.sum())
    delta2 = _squared_distances(metric, values, marginals)
    observed = float((coincidences * delta2).sum() / n)
    expected = float((marginals[:, None] * marginals[None, :] * delta2).sum() / (n * (n - 1.0)))
    coincidences.setflags(write=False)
    refusal = ""
    if expected == 0.0:
        refusal = (
            "every rating compared is the same value, so chance agreement is perfect too "
            "and alpha is undefined (the raters do agree on these units)"
        )
    return AlphaResult(
        alpha=None if refusal else 1.0 - observed / expected,
        metric=metric,
        refusal=refusal,
        n_units=int(pairable_units.sum()),
        n_raters=n_raters,
        n_pairable=int(round(n)),
        observed_disagreement=observed,
        expected_disagreement=expected,
        values=tuple(float(v) for v in values),
        coincidences=coincidences,
    )


def unit_descriptives(ratings: npt.ArrayLike, *, tolerance: float = 1.0) -> UnitDescriptives:
    """Mean, spread and "all within ``tolerance``" of each unit (row) of a ratings matrix.

    Parameters
    ----------
    ratings : array_like, shape (n_units, n_raters)
        One row per unit; NaN (or None) where a rater gave no rating.
    tolerance : float, default 1.0
        The largest difference between two ratings of a unit still counted as agreement
        (1.0 = "within one scale point"). Must be 0 or more.

    Returns
    -------
    UnitDescriptives

    Raises
    ------
    AgreementInputError
        When ``ratings`` is not a 2-D table of finite numbers or NaN, or ``tolerance`` is
        negative.
    """
    if not tolerance >= 0:
        raise AgreementInputError(f"tolerance must be 0 or more, got {tolerance}")
    data = _as_ratings(ratings)
    present = ~np.isnan(data)
    n = present.sum(axis=1).astype(np.int64)
    filled_sum = np.where(present, data, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, filled_sum / np.maximum(n, 1), np.nan)
        squares = np.where(present, (data - mean[:, None]) ** 2, 0.0).sum(axis=1)
        sd = np.where(n > 1, np.sqrt(squares / np.maximum(n - 1, 1)), np.nan)
    minimum = np.where(n > 0, np.where(present, data, np.inf).min(axis=1, initial=np.inf), np.nan)
    maximum = np.where(n > 0, np.where(present, data, -np.inf).max(axis=1, initial=-np.inf), np.nan)
    spread = maximum - minimum
    with np.errstate(invalid="ignore"):
        within = (n >= 2) & (spread <= tolerance)
    return UnitDescriptives(
        n=n,
        mean=mean.astype(np.float64),
        sd=sd.astype(np.float64),
        minimum=minimum.astype(np.float64),
        maximum=maximum.astype(np.float64),
        range=spread.astype(np.float64),
        within_tolerance=np.asarray(within, dtype=np.bool_),
        tolerance=float(tolerance),
    )


def agreement(
    ratings: npt.ArrayLike, *, metric: str = "interval", tolerance: float = 1.0
) -> AgreementResult:
    """``krippendorff_alpha`` and ``unit_descriptives`` of the same ratings matrix.

    Parameters
    ----------
    ratings : array_like, shape (n_units, n_raters)
        One row per unit; NaN (or None) where a rater gave no rating.
    metric : {"nominal", "ordinal", "interval", "ratio"}, default "interval"
        The level of measurement for alpha.
    tolerance : float, default 1.0
        The spread still counted as agreement in the per-unit descriptives.

    Returns
    -------
    AgreementResult
    """
    return AgreementResult(
        alpha=krippendorff_alpha(ratings, metric=metric),
        units=unit_descriptives(ratings, tolerance=tolerance),
    )


def describe_alpha(alpha: float) -> str:
    """A plain-English reading of an alpha value.

    Bands: below 0 "systematic disagreement"; below 0.20 "little agreement beyond chance";
    below 0.40 "fair agreement"; below 0.667 "moderate agreement"; below 0.800 "substantial
    agreement, enough for tentative conclusions only"; from 0.800 "strong agreement". The 0.667
    and 0.800 cut-offs are Krippendorff's; the lower bands follow the words Landis and Koch (1977)
    used for kappa.

    Parameters
    ----------
    alpha : float
        A value of Krippendorff's alpha (at most 1).

    Returns
    -------
    str
    """
    if np.isnan(alpha):
        raise AgreementInputError("alpha must be a number, got NaN")
    if alpha < 0:
        return "systematic disagreement (worse than chance)"
    if alpha < 0.20:
        return "little agreement beyond chance"
    if alpha < 0.40:
        return "fair agreement"
    if alpha < 0.667:
        return "moderate agreement"
    if alpha < 0.800:
        return "substantial agreement, enough for tentative conclusions only"
    return "strong agreement"
