"""Massachusetts 2018+ criterion-referenced target percentage and categories.

Reference: the Acton-Boxborough 2024 district report worked in accountability.md §2.4 (non-HS
All 9.1 of 9.6 = 95%, Lowest performing 5.8 of 7.6 = 76%, span 86%) and the possible totals of
the published point tables (All non-HS with EL 9.6, LP 7.6, All HS with EL 10.0, without 10.7).
"""

from __future__ import annotations

import pandas as pd
import pytest

from turnaround.analytics.accountability import RuleInputError, evaluate
from turnaround.analytics.accountability.ma2018 import (
    cumulative_percentage,
    progress_label,
    span_percentage,
    target_percentage,
)

ACTON_ALL = {
    "ach_ela": 4,
    "ach_math": 4,
    "ach_sci": 4,
    "growth_ela": 3,
    "growth_math": 3,
    "elp": 4,
    "absent": 3,
}
ACTON_LOWEST = {"ach_ela": 3, "ach_math": 3, "growth_ela": 3, "growth_math": 3, "absent": 4}


def test_acton_boxborough_worked_example() -> None:
    all_ = target_percentage(ACTON_ALL, group="all", span="nonhs")
    assert all_.earned == pytest.approx(7.2 + 1.2 + 0.4 + 0.3)
    assert all_.possible == pytest.approx(9.6)
    assert round(all_.pct) == 95
    lowest = target_percentage(ACTON_LOWEST, group="lowest", span="nonhs")
    assert lowest.earned == pytest.approx(5.8) and lowest.possible == pytest.approx(7.6)
    assert round(lowest.pct) == 76
    assert round(span_percentage(all_.pct, lowest.pct, 0.5)) == 86


def test_possible_totals_of_the_published_tables() -> None:
    full_hs = {
        "ach_ela": 4,
        "ach_math": 4,
        "ach_sci": 4,
        "growth_ela": 4,
        "growth_math": 4,
        "grad": 4,
        "ext_eng": 4,
        "dropout": 4,
        "absent": 4,
        "adv_course": 4,
    }
    assert target_percentage({**full_hs, "elp": 4}, group="all", span="hs").possible == (
        pytest.approx(10.0)
    )
    no_el = target_percentage(full_hs, group="all", span="hs")
    assert no_el.possible == pytest.approx(10.7) and no_el.weight_row == "all_hs"
    assert no_el.pct == pytest.approx(100.0)


def test_missing_indicators_drop_from_earned_and_possible() -> None:
    result = target_percentage(
        {"ach_ela": 2, "ach_math": 2, "ach_sci": None, "growth_ela": 4, "elp": None},
        group="all",
        span="nonhs",
    )
    # no EL indicator → 67.5 / 22.5 weights: (4·0.675 + 4·0.225) / (8·0.675 + 4·0.225)
    assert result.pct == pytest.approx(100 * (2.7 + 0.9) / (5.4 + 0.9))
    assert target_percentage({}, group="lowest", span="hs").pct is None


def test_indicator_not_in_the_group_is_refused() -> None:
    with pytest.raises(ValueError, match="no indicator 'ach_sci'"):
        target_percentage({"ach_sci": 3}, group="lowest", span="nonhs")
    with pytest.raises(ValueError, match="between 0 and 4"):
        target_percentage({"ach_ela": 5}, group="all", span="nonhs")


def test_cumulative_and_progress_labels() -> None:
    assert cumulative_percentage(60.0, 80.0) == pytest.approx(72.0)
    assert cumulative_percentage(None, 80.0) == pytest.approx(80.0)
    assert cumulative_percentage(60.0, None) is None
    assert progress_label(75.0) == "Meeting or exceeding targets"
    assert progress_label(74.9) == "Substantial progress toward targets"
    assert progress_label(25.0) == "Moderate progress toward targets"
    assert progress_label(24.9) == "Limited or no progress toward targets"


def _row(school: str, year: int, points: int, **extra) -> dict:
    row = {"school_id": school, "year": year, "school_type": "ES"}
    row.update({f"all_nonhs_{k}": points for k in ("ach_ela", "ach_math", "growth_ela")})
    row.update(extra)
    return row


def test_evaluate_categories_and_reasons() -> None:
    y1 = pd.DataFrame([_row("A", 2018, 2), _row("B", 2018, 4), _row("C", 2018, 0)])
    y2 = pd.DataFrame(
        [
            _row("A", 2019, 4),
            _row("B", 2019, 4, designation="underperforming"),
            _row("C", 2019, 0, grad_4yr=60.0),
            _row("D", 2019, 3, participation_min=94.0),
        ]
    )
    dets = {(d.school_id, d.year): d for d in evaluate("ma-2018", [y1, y2])}
    a = dets[("A", 2019)]
    assert a.values["cumulative_pct"] == pytest.approx(0.4 * 50 + 0.6 * 100)
    assert a.label == "Meeting or exceeding targets"
    assert dets[("A", 2018)].label == "Substantial progress toward targets"
    assert "partial_history" in dets[("A", 2018)].flags
    assert dets[("B", 2019)].label == "Broad/comprehensive support"
    c = dets[("C", 2019)]
    assert c.label == "Focused/targeted support"
    assert "4-year graduation rate 60% < 66.7%" in c.reasons[0]
    assert c.reasons[-1].startswith("Limited or no progress toward targets")
    assert dets[("D", 2019)].label == "Focused/targeted support"
    # percentiles within type from 15/25/60-weighted annual percentages: C lowest, B/A highest
    assert dets[("C", 2019)].values["percentile"] == 25


def test_low_percentile_is_focused_support() -> None:
    frame = pd.DataFrame([_row("A", 2019, 4, percentile=8), _row("B", 2019, 4, percentile=11)])
    dets = {d.school_id: d for d in evaluate("ma-2018", [frame])}
    assert dets["A"].label == "Focused/targeted support"
    assert dets["B"].label == "Meeting or exceeding targets"


def test_points_outside_zero_to_four_are_refused() -> None:
    frame = pd.DataFrame([_row("A", 2019, 5)])
    with pytest.raises(RuleInputError, match="above 4"):
        evaluate("ma-2018", [frame])
