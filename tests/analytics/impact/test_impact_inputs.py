"""Input checks, refusals with their reasons, caveats, and the multi-outcome path."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from turnaround.analytics.impact import (
    DuplicateRowError,
    ImpactInputError,
    InsufficientDataError,
    MissingColumnError,
    PanelValueError,
    impact_estimate,
    impact_estimate_outcomes,
)


@pytest.fixture
def small(simulate: Callable[..., object]) -> tuple[pd.DataFrame, dict[str, int]]:
    sim = simulate(np.random.default_rng(3), m=2, n_treated=8, n_comparison=12)
    return sim.panel.rename(columns={"y0": "score", "y1": "attendance"}), sim.treated


def test_missing_column(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    with pytest.raises(MissingColumnError, match="panel has no column 'growth'; columns: school"):
        impact_estimate(panel, outcome="growth", treated=treated)


def test_non_numeric_outcome_names_the_row(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    panel = panel.astype({"score": object})
    panel.loc[7, "score"] = "n/a"
    with pytest.raises(PanelValueError, match="column 'score' is not numeric in row 7: 'n/a'"):
        impact_estimate(panel, outcome="score", treated=treated)
    panel.loc[7, "score"] = np.inf
    with pytest.raises(PanelValueError, match="column 'score' is not finite in row 7"):
        impact_estimate(panel, outcome="score", treated=treated)


def test_duplicate_school_year_names_the_rows(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    panel = pd.concat([panel, panel.iloc[[3]]]).reset_index(drop=True)
    last = len(panel) - 1
    with pytest.raises(
        DuplicateRowError, match=f"rows 3 and {last} are all school '000000000000' in year 2018"
    ):
        impact_estimate(panel, outcome="score", treated=treated)


def test_bad_year_and_school(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    bad = panel.astype({"year": float})
    bad.loc[5, "year"] = 2017.5
    with pytest.raises(PanelValueError, match="column 'year' must hold whole years; row 5 has"):
        impact_estimate(bad, outcome="score", treated=treated)
    bad = panel.astype({"school": object})
    bad.loc[2, "school"] = None
    with pytest.raises(PanelValueError, match="'school' \\(school id\\) is missing in row 2"):
        impact_estimate(bad, outcome="score", treated=treated)
    with pytest.raises(TypeError, match="panel must be a pandas DataFrame"):
        impact_estimate(panel.to_dict(), outcome="score", treated=treated)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"fixef_k": "stata"}, "fixef_k must be one of 'nested', 'full'; got 'stata'"),
        ({"confidence": 95}, "confidence must be strictly between 0 and 1, got 95"),
        ({"pretrend_alpha": 0.0}, "pretrend_alpha must be strictly between 0 and 1"),
        ({"min_treated": 0}, "min_treated must be at least 1, got 0"),
        ({"window": (0, 2)}, "window must be \\(first, last\\) relative years"),
        ({"treated": ["a"]}, "treated must be a mapping"),
        ({"treated": {"000000000000": 2018.5}}, "must be a whole year"),
        ({"comparison": ["000000000001"]}, "school '000000000001' is engaged \\(from 2018\\)"),
        ({"comparison": {2017: ["000000000019"]}}, "comparison has no schools for start year 2018"),
        ({"comparison": "000000000019"}, "comparison must be None, a MatchResult"),
    ],
)
def test_bad_configuration(
    small: tuple[pd.DataFrame, dict[str, int]], kw: dict[str, object], message: str
) -> None:
    panel, treated = small
    args: dict[str, object] = {"outcome": "score", "treated": treated}
    args.update(kw)
    with pytest.raises(ImpactInputError, match=message):
        impact_estimate(panel, **args)  # type: ignore[arg-type]


def test_unknown_keyword_rejected(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    with pytest.raises(TypeError, match="cluster"):
        impact_estimate(panel, outcome="score", treated=treated, cluster="district")  # type: ignore[call-arg]


def test_too_few_engaged_schools_refused_or_flagged(
    small: tuple[pd.DataFrame, dict[str, int]],
) -> None:
    panel, treated = small
    three = dict(list(treated.items())[:3])
    rest = set(treated) - set(three)
    panel = panel[~panel["school"].isin(rest)]
    with pytest.raises(
        InsufficientDataError,
        match=r"score: only 3 engaged school\(s\) have 'score' data before and after engagement; "
        r"at least 5 are needed \(min_treated=5\)",
    ):
        impact_estimate(panel, outcome="score", treated=three)
    res = impact_estimate(panel, outcome="score", treated=three, min_treated=3)
    assert res.n_treated_schools == 3
    assert (
        "only 3 engaged schools: the interval is wide and unreliable "
        "(cluster-robust standard errors are too small with few schools)"
    ) in res.caveats


def test_too_few_comparison_schools_refused(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    controls = sorted(set(panel["school"]) - set(treated))[:4]
    with pytest.raises(
        InsufficientDataError,
        match=r"only 4 comparison school\(s\) .* at least 5 are needed \(min_comparison=5\)",
    ):
        impact_estimate(panel, outcome="score", treated=treated, comparison=controls)


def test_no_pre_or_post_period_refused(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    with pytest.raises(InsufficientDataError, match="score: no pre-period data: every engagement"):
        impact_estimate(panel, outcome="score", treated=dict.fromkeys(treated, 2015))
    with pytest.raises(InsufficientDataError, match="no post-period data: every engagement starts"):
        impact_estimate(panel, outcome="score", treated=dict.fromkeys(treated, 2021))


def test_one_pre_year_means_no_pretrend_check(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    res = impact_estimate(panel, outcome="score", treated=dict.fromkeys(treated, 2016))
    assert res.pretrend_stat is None and res.pretrend_p_value is None and res.leads == ()
    assert res.trend_difference is None and res.level_change is None
    assert "fewer than 2 pre-period years: no pre-trend check possible" in res.caveats


def test_one_post_year_has_no_slope_change(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    res = impact_estimate(panel, outcome="score", treated=dict.fromkeys(treated, 2020))
    assert res.slope_change is None and res.level_change is not None
    assert [e.relative_year for e in res.lags] == [0]
    assert "only one year after engagement: the estimate is an immediate effect" in res.caveats


def test_schools_without_pre_data_are_left_out(
    small: tuple[pd.DataFrame, dict[str, int]],
) -> None:
    panel, treated = small
    first = next(iter(treated))
    panel = panel.copy()
    panel.loc[(panel["school"] == first) & (panel["year"] < 2018), "score"] = np.nan
    res = impact_estimate(panel, outcome="score", treated=treated)
    assert res.n_treated_schools == 7
    assert "1 of 8 engaged schools have no data before their start year and are left out" in (
        res.caveats
    )
    assert res.n_observations == 20 * 6 - 6


def test_window_limits_the_years(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    res = impact_estimate(panel, outcome="score", treated=treated, window=(-2, 1))
    assert res.n_observations == 20 * 4
    assert [e.relative_year for e in (*res.leads, *res.lags)] == [-2, 0, 1]


def test_integer_ids_and_frozen_result(small: tuple[pd.DataFrame, dict[str, int]]) -> None:
    panel, treated = small
    as_int = panel.assign(school=panel["school"].astype(int))
    res = impact_estimate(as_int, outcome="score", treated={int(k): v for k, v in treated.items()})
    ref = impact_estimate(panel, outcome="score", treated=treated)
    assert res.estimate == ref.estimate
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.estimate = 0.0  # type: ignore[misc]


def test_several_outcomes_equal_separate_calls(
    small: tuple[pd.DataFrame, dict[str, int]],
) -> None:
    panel, treated = small
    panel = panel.copy()
    panel.loc[[4, 40, 41], "attendance"] = np.nan  # a different missingness pattern
    both = impact_estimate_outcomes(panel, outcomes=["score", "attendance"], treated=treated)
    for res, name in zip(both, ["score", "attendance"], strict=True):
        one = impact_estimate(panel, outcome=name, treated=treated)
        assert res.outcome == name
        assert res == one
    assert both[1].n_observations == 117
