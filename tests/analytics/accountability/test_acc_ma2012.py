"""Massachusetts 2012–2016 levels: CPI, PPI, cumulative PPI, percentiles, level order.

References: the CPI point table and the cumulative formula quoted from DESE 2014 school reports
("(2011*1 + 2012*2 + 2013*3 + 2014*4) / 10") in accountability.md §1.2–§1.5, a 2014 report's
annual PPI of 625 / 5 = 125, and a brute-force percentile computed with exact fractions.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from turnaround.analytics.accountability import evaluate, ruleset_get
from turnaround.analytics.accountability.ma2012 import (
    Ma12School,
    annual_ppi,
    cpi,
    cpi_points,
    cumulative_ppi,
    ma12_level,
    percentile_ranks,
    percentile_within_type,
)

PARAMS = ruleset_get("ma-2012").configure()


def test_cpi_points_by_band() -> None:
    scores = [280, 240, 238, 230, 228, 220, 218, 210, 208, 200]
    assert cpi_points(scores).tolist() == [100, 100, 75, 75, 50, 50, 25, 25, 0, 0]


def test_cpi_is_the_mean_of_points_with_a_minimum_n() -> None:
    scores = [240, 230, 220, 210, 200, 280, 238, 228, 218, 208]
    assert cpi(scores) == pytest.approx(50.0)
    assert cpi(scores[:9]) is None  # fewer than 10 students
    # 100+75+50+25+0+100+75+50+25 = 500 standard points, plus one MCAS-Alt student at 100
    assert cpi(scores[:9], alt_points=[100]) == pytest.approx(600 / 10)


def test_cpi_refuses_scores_off_the_legacy_scale() -> None:
    with pytest.raises(ValueError, match="200 and 280"):
        cpi_points([199, 240])
    with pytest.raises(ValueError, match="MCAS-Alt"):
        cpi([240] * 10, alt_points=[30])


def test_annual_ppi_with_extra_credit_can_exceed_100() -> None:
    # a 2014 school report: five indicators at 100 and 125 extra credit → 625 / 5
    assert annual_ppi([100, 100, 100, 100, 100], extra_credit=125) == pytest.approx(125.0)
    assert annual_ppi([75, 50, None, 25], extra_credit=25) == pytest.approx(175 / 3)
    assert annual_ppi([None, None]) is None


def test_annual_ppi_refuses_points_off_the_table() -> None:
    with pytest.raises(ValueError, match="0, 25, 50, 75 or 100"):
        annual_ppi([60])
    with pytest.raises(ValueError, match="multiple of 25"):
        annual_ppi([50], extra_credit=10)


def test_cumulative_ppi_weights_one_two_three_four() -> None:
    # (2011*1 + 2012*2 + 2013*3 + 2014*4) / 10
    result = cumulative_ppi([70.0, 80.0, 90.0, 60.0])
    assert result.value == pytest.approx((70 * 1 + 80 * 2 + 90 * 3 + 60 * 4) / 10)
    assert result.value == pytest.approx(74.0)
    assert not result.partial_history
    # only the last four years count
    assert cumulative_ppi([10.0, 70.0, 80.0, 90.0, 60.0]).value == pytest.approx(74.0)


def test_cumulative_ppi_partial_history_reweights_available_years() -> None:
    result = cumulative_ppi([None, 80.0, 90.0, 60.0])
    assert result.value == pytest.approx((80 * 1 + 90 * 2 + 60 * 3) / 6)
    assert result.partial_history and result.years_used == 3
    assert cumulative_ppi([80.0, 90.0, 60.0], partial="insufficient").value is None
    assert cumulative_ppi([80.0, 90.0, None]).value is None  # no PPI this year


def test_cumulative_ppi_cap() -> None:
    assert cumulative_ppi([120.0] * 4).value == pytest.approx(100.0)
    assert cumulative_ppi([120.0] * 4).capped
    assert cumulative_ppi([120.0] * 4, cap=False).value == pytest.approx(120.0)


def test_percentile_ties_by_hand() -> None:
    # ranks 1, 2.5, 2.5, 4 of N = 4
    assert percentile_ranks([10, 20, 20, 30]).tolist() == [25, 63, 63, 99]
    assert percentile_ranks([10, 20, 20, 30], method="midpoint").tolist() == [13, 50, 50, 88]
    out = percentile_ranks([5.0, np.nan, 1.0])
    assert out[0] == 99 and math.isnan(out[1]) and out[2] == 50


def _brute_force(values: list[float], method: str) -> list[int]:
    """Exact reference: rank = #below + (#equal + 1) / 2, percentile from Fractions."""
    n = len(values)
    out = []
    for v in values:
        below = sum(1 for w in values if w < v)
        equal = sum(1 for w in values if w == v)
        rank = Fraction(below) + Fraction(equal + 1, 2)
        if method == "ceil":
            pct = math.ceil(100 * rank / n)
        else:
            pct = math.floor(100 * (rank - Fraction(1, 2)) / n + Fraction(1, 2))
        out.append(min(99, max(1, pct)))
    return out


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("method", ["ceil", "midpoint"])
def test_percentiles_match_brute_force(seed: int, method: str) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 15, size=int(rng.integers(1, 60))).astype(float).tolist()
    assert percentile_ranks(values, method=method).tolist() == _brute_force(values, method)


def test_percentiles_are_within_school_type() -> None:
    out = percentile_within_type([1, 2, 1, 2, 3], ["ES", "ES", "HS", "HS", None])
    assert out[:4].tolist() == [50, 99, 50, 99] and math.isnan(out[4])


def _level(**kw) -> tuple[str, tuple[str, ...]]:
    det = ma12_level(Ma12School(school_id="00010001", year=2017, **kw), PARAMS)
    return det.label, det.reasons


def test_level_1_needs_all_and_high_needs_at_75() -> None:
    label, reasons = _level(cum_ppi_all=80, cum_ppi_high_needs=75, percentile=40)
    assert label == "Level 1"
    assert reasons[0].startswith("Meeting gap narrowing goals")
    label, reasons = _level(cum_ppi_all=80, cum_ppi_high_needs=68, percentile=40)
    assert label == "Level 2"
    assert reasons == (
        "Not meeting gap narrowing goals: cumulative PPI for high-needs students 68 < 75",
    )


def test_high_needs_missing_or_small_decides_on_all_students() -> None:
    assert _level(cum_ppi_all=75, percentile=40)[0] == "Level 1"
    label, _ = _level(cum_ppi_all=80, cum_ppi_high_needs=60, n_high_needs=25, percentile=40)
    assert label == "Level 1"
    assert _level(cum_ppi_all=74.9, percentile=40)[0] == "Level 2"


def test_level_3_lowest_20_percent_and_subgroups() -> None:
    label, reasons = _level(cum_ppi_all=80, cum_ppi_high_needs=80, percentile=20)
    assert label == "Level 3"
    assert reasons[0] == "Among lowest performing 20% of schools: school percentile 20 ≤ 20"
    assert _level(cum_ppi_all=80, cum_ppi_high_needs=80, percentile=21)[0] == "Level 1"
    _, reasons = _level(cum_ppi_all=60, percentile=10, subgroup_percentile_min=15)
    assert reasons[0].startswith("Among lowest performing 20% of schools and subgroups")
    label, reasons = _level(cum_ppi_all=90, percentile=60, lowest_subgroup=True)
    assert label == "Level 3" and "of subgroups" in reasons[0]


def test_participation_and_graduation() -> None:
    label, reasons = _level(cum_ppi_all=90, percentile=50, participation_min=89)
    assert label == "Level 3" and reasons[0].startswith("Very low assessment participation")
    label, reasons = _level(cum_ppi_all=90, percentile=50, participation_min=93)
    assert label == "Level 2" and reasons[0].startswith("Low assessment participation")
    label, reasons = _level(cum_ppi_all=90, percentile=50, grad_4yr=60, grad_5yr=(65.0, 66.0, 69.0))
    assert label == "Level 3" and reasons[0].startswith("Persistently low graduation")
    assert (
        _level(cum_ppi_all=90, percentile=50, grad_4yr=60, grad_5yr=(65.0, 66.0, 71.0))[0]
        == "Level 1"
    )


def test_designations_are_passed_through_with_every_other_reason() -> None:
    label, reasons = _level(cum_ppi_all=50, percentile=25, designation=4)
    assert label == "Level 4"
    assert reasons[0] == "Among lowest achieving and least improving schools (designation)"
    assert any(r.startswith("Not meeting gap narrowing goals") for r in reasons)
    assert _level(cum_ppi_all=50, percentile=5, designation=5)[0] == "Level 5"


def test_not_classified_and_insufficient_data() -> None:
    assert _level(grades="PK,K")[0] == "Insufficient data"
    assert _level(grades="K,01,02,03", percentile=40)[0] == "Insufficient data"
    assert _level(cum_ppi_all=80, n_all=8)[0] == "Insufficient data"
    # K-2 school with a published PPI was classified (2017 profiles: Boston 00350266)
    assert _level(grades="PK,K,01,02", cum_ppi_all=80)[0] == "Level 1"


def test_held_harmless_keeps_the_prior_level() -> None:
    label, reasons = _level(cum_ppi_all=60, percentile=50, held_harmless=True, prior_level=1)
    assert label == "Level 1"
    assert reasons[0] == "2016 Level held harmless (computed Level 2)"
    # a better computed level is not held down
    assert _level(cum_ppi_all=90, percentile=50, held_harmless=True, prior_level=2)[0] == (
        "Level 1"
    )


def test_evaluate_forms_cumulative_ppi_and_percentiles_from_four_years() -> None:
    years = [2011, 2012, 2013, 2014]
    frames = []
    for i, year in enumerate(years):
        frames.append(
            pd.DataFrame(
                {
                    "school_id": ["00010001", "00010002", "00010003"],
                    "year": [year] * 3,
                    "grades": ["K,01,02,03,04,05"] * 3,
                    "annual_ppi_all": [[70, 80, 90, 60][i], 90, 100],
                    "pts_high_needs_ela_cpi": ["100", "25", "100"],
                    "pts_high_needs_math_cpi": ["75", "25", "100"],
                    "composite": [1.0, 2.0, 3.0],
                }
            )
        )
    dets = {(d.school_id, d.year): d for d in evaluate("ma-2012", frames)}
    first = dets[("00010001", 2014)]
    assert first.values["cum_ppi_all"] == pytest.approx(74.0)
    assert first.values["cum_ppi_high_needs"] == pytest.approx(87.5)
    assert first.label == "Level 2"
    assert "partial_history" not in first.flags
    assert "partial_history" in dets[("00010001", 2012)].flags
    assert dets[("00010002", 2014)].label == "Level 2"  # high needs 25
    assert dets[("00010003", 2014)].label == "Level 1"
    assert [dets[(s, 2014)].values["percentile"] for s in ("00010001", "00010002", "00010003")] == [
        34,
        67,
        99,
    ]
