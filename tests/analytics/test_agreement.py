"""Krippendorff's alpha checked against the published worked example and a brute-force count.

References
----------
1. Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*. Annenberg School for
   Communication, University of Pennsylvania (https://repository.upenn.edu/asc_papers/43/),
   section C, "Multiple observers, any level of measurement, missing data": four observers
   (A–D) code twelve units on a 1–5 scale with gaps. Unit 12 has a single value (not pairable)
   and unit 1 has one missing. The paper works the coincidence matrix by hand and reports
   alpha = 0.743 (nominal), 0.815 (ordinal), 0.849 (interval) and 0.797 (ratio); the paper
   prints three decimals, so the tolerance is 5e-4. The table is typed below observers × units,
   as printed, and transposed into units × raters.
2. A brute-force computation written straight from the definition, with no coincidence matrix:
   ``D_o`` is the mean of ``delta^2`` over every ordered pair of ratings within a unit, each unit
   weighted by ``1 / (m_u - 1)`` and the total divided by ``n``; ``D_e`` is the mean of
   ``delta^2`` over every ordered pair of distinct pairable ratings anywhere. For the ordinal
   metric the ranks' marginal frequencies ``n_g`` are counted from the pairable values
   directly. Random matrices with missing values are compared to 1e-10.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from turnaround.analytics.agreement import (
    METRICS,
    AgreementInputError,
    agreement,
    describe_alpha,
    krippendorff_alpha,
    unit_descriptives,
)

NAN = np.nan

#: Krippendorff (2011), section C: rows are observers A–D, columns units 1–12.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
        [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN],
    ]
).T

PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


@pytest.mark.parametrize(("metric", "expected"), sorted(PUBLISHED.items()))
def test_krippendorff_2011_worked_example(metric: str, expected: float) -> None:
    result = krippendorff_alpha(KRIPPENDORFF_2011, metric=metric)
    assert result.alpha is not None
    assert result.alpha == pytest.approx(expected, abs=5e-4)
    assert result.refusal == ""
    # 11 pairable units (unit 12 has one value), 4 raters, n = 40 pairable values (p. 4)
    assert result.n_units == 11
    assert result.n_raters == 4
    assert result.n_pairable == 40
    assert result.values == (1.0, 2.0, 3.0, 4.0, 5.0)


def test_krippendorff_2011_coincidence_matrix() -> None:
    """The coincidence matrix of section C, margins 9, 13, 10, 5, 3 (values 1–5), n = 40.

    Worked by hand: e.g. value 1 pairs with itself in unit 1 (1, 1, 1: 6 ordered pairs / 2 = 3),
    unit 8 (1, 1, 2, 1: 6 / 3 = 2) and unit 11 (1, 1: 2 / 1 = 2), so o_11 = 7; unit 6 holds
    1, 2, 3, 4 and adds 1/3 to every pair of different values among them.
    """
    result = krippendorff_alpha(KRIPPENDORFF_2011, metric="nominal")
    expected = np.array(
        [
            [7, 4 / 3, 1 / 3, 1 / 3, 0],
            [4 / 3, 10, 4 / 3, 1 / 3, 0],
            [1 / 3, 4 / 3, 8, 1 / 3, 0],
            [1 / 3, 1 / 3, 1 / 3, 4, 0],
            [0, 0, 0, 0, 3],
        ]
    )
    np.testing.assert_allclose(result.coincidences, expected, atol=1e-12)
    np.testing.assert_allclose(result.coincidences.sum(axis=1), [9, 13, 10, 5, 3], atol=1e-12)
    assert not result.coincidences.flags.writeable


# ---------------------------------------------------------------------------------------------
# Brute force


def _delta2(metric: str, a: float, b: float, marginals: dict[float, int]) -> float:
    if metric == "nominal":
        return 0.0 if a == b else 1.0
    if metric == "interval":
        return (a - b) ** 2
    if metric == "ratio":
        return 0.0 if a + b == 0 else ((a - b) / (a + b)) ** 2
    lo, hi = min(a, b), max(a, b)
    between = sum(count for value, count in marginals.items() if lo <= value <= hi)
    return (between - (marginals[a] + marginals[b]) / 2) ** 2


def _brute_force_alpha(data: npt.NDArray[np.float64], metric: str) -> float:
    units = [[v for v in row if not np.isnan(v)] for row in data]
    units = [u for u in units if len(u) >= 2]
    pooled = [v for u in units for v in u]
    n = len(pooled)
    marginals: dict[float, int] = {}
    for v in pooled:
        marginals[v] = marginals.get(v, 0) + 1
    within = 0.0
    for u in units:
        total = sum(
            _delta2(metric, u[i], u[j], marginals)
            for i, j in itertools.permutations(range(len(u)), 2)
        )
        within += total / (len(u) - 1)
    d_o = within / n
    d_e = sum(
        _delta2(metric, pooled[i], pooled[j], marginals)
        for i, j in itertools.permutations(range(n), 2)
    ) / (n * (n - 1))
    return 1.0 - d_o / d_e


def _random_ratings(seed: int) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    units = int(rng.integers(3, 12))
    raters = int(rng.integers(2, 6))
    truth = rng.integers(1, 6, size=(units, 1))
    noise = rng.integers(-1, 2, size=(units, raters)) * (rng.random((units, raters)) < 0.5)
    data = np.clip(truth + noise, 1, 5).astype(np.float64)
    data[rng.random((units, raters)) < 0.2] = np.nan
    return data


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("seed", range(25))
def test_matches_brute_force_on_random_data(metric: str, seed: int) -> None:
    data = _random_ratings(seed)
    result = krippendorff_alpha(data, metric=metric)
    if result.alpha is None:  # a draw with no variation or nothing pairable
        assert result.refusal
        return
    assert result.alpha == pytest.approx(_brute_force_alpha(data, metric), abs=1e-10)


def test_brute_force_reproduces_the_published_example_too() -> None:
    for metric, expected in PUBLISHED.items():
        assert _brute_force_alpha(KRIPPENDORFF_2011, metric) == pytest.approx(expected, abs=5e-4)


# ---------------------------------------------------------------------------------------------
# Properties


def test_perfect_agreement_is_one_and_rater_order_does_not_matter() -> None:
    data = np.array([[1, 1, 1], [2, 2, NAN], [4, 4, 4]], dtype=float)
    assert krippendorff_alpha(data).alpha == pytest.approx(1.0)
    shuffled = KRIPPENDORFF_2011[::-1, [2, 0, 3, 1]]
    assert krippendorff_alpha(shuffled).alpha == pytest.approx(
        krippendorff_alpha(KRIPPENDORFF_2011).alpha
    )


def test_interval_alpha_is_unchanged_by_a_linear_rescaling() -> None:
    a = krippendorff_alpha(KRIPPENDORFF_2011, metric="interval").alpha
    b = krippendorff_alpha(KRIPPENDORFF_2011 * 2.5 + 10, metric="interval").alpha
    assert a == pytest.approx(b)


def test_systematic_disagreement_is_negative() -> None:
    data = np.array([[1, 4], [4, 1], [1, 4], [4, 1]], dtype=float)
    result = krippendorff_alpha(data)
    assert result.alpha is not None and result.alpha < 0
    assert "systematic disagreement" in result.reading


# ---------------------------------------------------------------------------------------------
# Refusals


def test_one_rater_is_refused_with_a_reason() -> None:
    result = krippendorff_alpha([[1], [2], [3]])
    assert result.alpha is None
    assert not result.computed
    assert "fewer than two raters" in result.refusal
    assert result.n_raters == 0
    assert result.reading.startswith("alpha not computed: fewer than two raters")


def test_raters_who_never_rate_the_same_unit_are_refused() -> None:
    result = krippendorff_alpha([[1, NAN], [NAN, 2], [3, NAN]])
    assert result.alpha is None
    assert "fewer than two raters" in result.refusal


def test_no_variation_is_refused_with_a_reason() -> None:
    result = krippendorff_alpha([[3, 3], [3, 3]])
    assert result.alpha is None
    assert "same value" in result.refusal
    assert result.n_pairable == 4


def test_bad_configuration_lists_what_is_allowed() -> None:
    with pytest.raises(AgreementInputError, match="nominal, ordinal, interval, ratio"):
        krippendorff_alpha([[1, 2]], metric="cardinal")
    with pytest.raises(AgreementInputError, match="2-D"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(AgreementInputError, match="infinity"):
        krippendorff_alpha([[1, np.inf]])
    with pytest.raises(AgreementInputError, match="numbers or missing"):
        krippendorff_alpha([["a", "b"]])
    with pytest.raises(AgreementInputError, match="0 or more"):
        krippendorff_alpha([[1, -1]], metric="ratio")
    with pytest.raises(TypeError):
        krippendorff_alpha([[1, 2]], metrik="interval")  # type: ignore[call-arg]


def test_none_counts_as_missing() -> None:
    with_none = krippendorff_alpha([[1, 2, None], [3, 3, 4], [None, 1, 1]])
    with_nan = krippendorff_alpha([[1, 2, NAN], [3, 3, 4], [NAN, 1, 1]])
    assert with_none.alpha == pytest.approx(with_nan.alpha)


# ---------------------------------------------------------------------------------------------
# Descriptives and readings


def test_unit_descriptives_of_the_published_example() -> None:
    d = unit_descriptives(KRIPPENDORFF_2011)
    assert d.n.tolist() == [3, 4, 4, 4, 4, 4, 4, 4, 4, 3, 2, 1]
    np.testing.assert_allclose(d.mean[[1, 5, 7]], [2.25, 2.5, 1.25])
    # unit 6 holds 1, 2, 3, 4: sample SD sqrt(5/3)
    assert d.sd[5] == pytest.approx(np.sqrt(5 / 3))
    assert np.isnan(d.sd[11])  # one value: no SD
    assert d.range[5] == 3
    assert d.within_tolerance.tolist() == [True] * 5 + [False] + [True] * 5 + [False]
    assert d.spread_beyond_tolerance.tolist() == [False] * 5 + [True] + [False] * 6


def test_unit_descriptives_of_an_empty_row_and_strict_tolerance() -> None:
    d = unit_descriptives([[NAN, NAN], [1, 2]], tolerance=0)
    assert d.n.tolist() == [0, 2]
    assert np.isnan(d.mean[0]) and np.isnan(d.range[0])
    assert d.within_tolerance.tolist() == [False, False]
    assert d.spread_beyond_tolerance.tolist() == [False, True]
    with pytest.raises(AgreementInputError, match="tolerance"):
        unit_descriptives([[1, 2]], tolerance=-1)


def test_agreement_combines_both() -> None:
    result = agreement(KRIPPENDORFF_2011, metric="ordinal")
    assert result.alpha.metric == "ordinal"
    assert result.alpha.alpha == pytest.approx(0.815, abs=5e-4)
    assert result.units.n.shape == (12,)


@pytest.mark.parametrize(
    ("alpha", "words"),
    [
        (-0.2, "systematic disagreement"),
        (0.1, "little agreement"),
        (0.3, "fair agreement"),
        (0.62, "moderate agreement"),
        (0.7, "tentative conclusions"),
        (0.85, "strong agreement"),
        (1.0, "strong agreement"),
    ],
)
def test_describe_alpha(alpha: float, words: str) -> None:
    assert words in describe_alpha(alpha)


def test_reading_matches_the_page_wording() -> None:
    data = np.array([[1, 2], [3, 3], [4, 3], [2, 2], [1, 3]], dtype=float)
    result = krippendorff_alpha(data)
    assert result.alpha is not None
    assert result.reading == f"alpha {result.alpha:.2f}: {describe_alpha(result.alpha)}"
    with pytest.raises(AgreementInputError):
        describe_alpha(float("nan"))


def test_descriptives_of_a_table_without_raters_are_missing_not_an_error() -> None:
    """A cycle page asks for descriptives before any review is submitted: units × 0 raters."""
    from turnaround.analytics.agreement import unit_descriptives

    result = unit_descriptives(np.empty((3, 0)))
    assert result.n.tolist() == [0, 0, 0]
    assert np.isnan(result.minimum).all() and np.isnan(result.maximum).all()
