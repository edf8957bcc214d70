"""The stacked DiD, event study and CITS against R (lm + sandwich::vcovCL), tolerance 1e-8.

Reference: ``reference/did_reference.R`` (R 4.2.2, sandwich 3.0-2) generated ``did_panel.csv``
and wrote ``did_reference.json``: it builds the stacks itself, fits ``lm`` with explicit
school-by-stack and year-by-stack dummies and takes the cluster-robust covariance from
``vcovCL(cluster = school)`` — ``type = "HC1"`` for ``fixef_k="full"``, and ``type = "HC0"``
times ``(N-1)/(N-K_nested)`` for the default ``fixef_k="nested"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from turnaround.analytics.impact import ImpactResult, impact_estimate

REF = Path(__file__).parent / "reference"
RTOL = 1e-8


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return json.loads((REF / "did_reference.json").read_text())


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(REF / "did_panel.csv", dtype={"school": str})


def _treated(panel: pd.DataFrame) -> dict[str, int]:
    first = panel.dropna(subset=["start"]).groupby("school")["start"].first()
    return {s: int(v) for s, v in first.items()}


def _fit(panel: pd.DataFrame, fixef_k: str) -> ImpactResult:
    return impact_estimate(
        panel, outcome="y", treated=_treated(panel), fixef_k=fixef_k, min_comparison=5
    )


def test_panel_is_the_one_r_used(panel: pd.DataFrame, reference: dict[str, Any]) -> None:
    assert len(panel) == 81
    assert _treated(panel) == {
        "250001": 2019,
        "250002": 2019,
        "250003": 2019,
        "250004": 2020,
        "250005": 2020,
    }
    res = _fit(panel, "nested")
    assert res.n_stacked_rows == reference["n_rows_stacked"] == 133
    assert res.n_observations == 81
    assert (res.n_treated_schools, res.n_comparison_schools) == (5, 9)
    assert res.df == reference["did"]["G"] - 1 == 13


@pytest.mark.parametrize("fixef_k", ["nested", "full"])
def test_did_matches_r(panel: pd.DataFrame, reference: dict[str, Any], fixef_k: str) -> None:
    ref = reference["did"]
    res = _fit(panel, fixef_k)
    vcov = np.array(ref[f"vcov_{fixef_k}"])
    coef = [c.estimate for c in res.cohorts]
    np.testing.assert_allclose(coef, ref["coef"], rtol=RTOL)
    np.testing.assert_allclose([c.se for c in res.cohorts], np.sqrt(np.diag(vcov)), rtol=RTOL)
    np.testing.assert_allclose([c.weight for c in res.cohorts], ref["weights"], rtol=RTOL)
    assert res.estimate == pytest.approx(ref["estimate"], rel=RTOL)
    assert res.se == pytest.approx(ref[f"se_{fixef_k}"], rel=RTOL)
    if fixef_k == "nested":
        np.testing.assert_allclose([res.ci_low, res.ci_high], ref["ci_nested"], rtol=RTOL)
        assert res.p_value == pytest.approx(ref["p_nested"], rel=RTOL)


@pytest.mark.parametrize("fixef_k", ["nested", "full"])
def test_event_study_matches_r(
    panel: pd.DataFrame, reference: dict[str, Any], fixef_k: str
) -> None:
    ref = reference["event_study"]
    res = _fit(panel, fixef_k)
    assert res.reference_year == -1
    terms = [*res.leads, *res.lags]
    assert [t.relative_year for t in terms] == ref["relative_years"] == [-4, -3, -2, 0, 1, 2]
    np.testing.assert_allclose([t.estimate for t in terms], ref["coef"], rtol=RTOL)
    se = np.sqrt(np.diag(np.array(ref[f"vcov_{fixef_k}"])))
    np.testing.assert_allclose([t.se for t in terms], se, rtol=RTOL)
    assert [t.n_treated_schools for t in terms] == [2, 5, 5, 5, 5, 2]  # 250002 lacks 2021
    if fixef_k == "nested":
        assert res.pretrend_df == tuple(ref["wald_df"]) == (3, 13)
        assert res.pretrend_stat == pytest.approx(ref["wald_F_nested"], rel=RTOL)
        assert res.pretrend_p_value == pytest.approx(ref["wald_p_nested"], rel=RTOL)


@pytest.mark.parametrize("fixef_k", ["nested", "full"])
def test_cits_matches_r(panel: pd.DataFrame, reference: dict[str, Any], fixef_k: str) -> None:
    ref = reference["cits"]
    res = _fit(panel, fixef_k)
    assert res.trend_difference is not None
    assert res.level_change is not None
    assert res.slope_change is not None
    got = [res.trend_difference, res.level_change, res.slope_change]
    np.testing.assert_allclose([c.estimate for c in got], ref["coef"], rtol=RTOL)
    se = np.sqrt(np.diag(np.array(ref[f"vcov_{fixef_k}"])))
    np.testing.assert_allclose([c.se for c in got], se, rtol=RTOL)
    crit = stats.t.ppf(0.975, ref["G"] - 1)
    for c, b, s in zip(got, ref["coef"], se, strict=True):
        assert c.df == 13
        assert c.ci_low == pytest.approx(b - crit * s, rel=RTOL)
        assert c.p_value == pytest.approx(2 * stats.t.sf(abs(b / s), 13), rel=RTOL)


def test_few_schools_caveats(panel: pd.DataFrame) -> None:
    res = _fit(panel, "nested")
    assert any(c.startswith("only 5 engaged schools: the interval is wide") for c in res.caveats)
    assert any(c.startswith("only 9 comparison schools") for c in res.caveats)
    assert any("2 different years (2019, 2020)" in c for c in res.caveats)
    assert "5 engaged schools, 9 comparison schools, 81 school-years" in res.summary()
