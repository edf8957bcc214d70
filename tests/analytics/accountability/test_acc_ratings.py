"""Cut-point ratings, the shared consecutive-years counter and the Texas rule on small frames.

Counter cases are worked by hand from accountability.md §5 and §8.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from turnaround.analytics.accountability import evaluate
from turnaround.analytics.accountability.ratings import consecutive_count, rating_from_score

LETTERS = ("A", "B", "C", "D", "F")
CUTS = (90.0, 80.0, 70.0, 60.0)


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (100, "A"),
        (90, "A"),
        (89.99, "B"),
        (80, "B"),
        (79, "C"),
        (70, "C"),
        (69, "D"),
        (60, "D"),
        (59.99, "F"),
        (0, "F"),
    ],
)
def test_rating_bands_include_their_lowest_score(score: float, label: str) -> None:
    assert rating_from_score(score, CUTS, LETTERS) == label


def test_rating_of_missing_score_is_none() -> None:
    assert rating_from_score(None, CUTS, LETTERS) is None
    assert rating_from_score(math.nan, CUTS, LETTERS) is None


def test_rating_refuses_bad_cut_points() -> None:
    with pytest.raises(ValueError, match="descending"):
        rating_from_score(75, (60.0, 70.0, 80.0, 90.0), LETTERS)
    with pytest.raises(ValueError, match="labels"):
        rating_from_score(75, CUTS, ("A", "B"))


def _counts(years, states, **kw):
    return [s.count for s in consecutive_count(years, states, **kw)]


def test_counter_counts_runs_and_resets() -> None:
    years = [2015, 2016, 2017, 2018, 2019]
    assert _counts(years, ["in", "in", "out", "in", "in"]) == [1, 2, 0, 1, 2]


def test_pause_neither_counts_nor_resets() -> None:
    # F, F, Not Rated (Harvey), F → 3rd consecutive year
    steps = consecutive_count([2016, 2017, 2018, 2019], ["in", "in", "pause", "in"])
    assert [s.count for s in steps] == [1, 2, 2, 3]
    assert steps[-1].run_start == 2016


def test_missing_years_pause_by_default_and_can_reset() -> None:
    # 2020 and 2021 absent (COVID): the 2022 F continues the 2019 run
    assert _counts([2018, 2019, 2022], ["in", "in", "in"]) == [1, 2, 3]
    assert _counts([2018, 2019, 2022], ["in", "in", "in"], missing="out") == [1, 2, 1]


def test_years_to_exit_two_keeps_the_count_through_one_good_year() -> None:
    # Colorado: one year off the clock is pending exit; two in a row end the run
    steps = consecutive_count(
        [2014, 2015, 2016, 2017, 2018, 2019],
        ["in", "in", "out", "in", "out", "out"],
        years_to_exit=2,
    )
    assert [s.count for s in steps] == [1, 2, 2, 3, 3, 0]
    assert [s.pending_exit for s in steps] == [0, 0, 1, 0, 1, 0]
    assert steps[3].run_start == 2014


def test_seed_continues_a_published_count() -> None:
    steps = consecutive_count([2019], ["in"], seed=3, seed_start=2016)
    assert steps[0].count == 4 and steps[0].run_start == 2016


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"years": [2019, 2018], "states": ["in", "in"]}, "ascending"),
        ({"years": [2019], "states": ["maybe"]}, "one of"),
        ({"years": [2019], "states": ["in"], "years_to_exit": 0}, "at least 1"),
        ({"years": [2019], "states": ["in"], "missing": "skip"}, "missing"),
        ({"years": [2019], "states": ["in", "in"]}, "same length"),
    ],
)
def test_counter_refuses_bad_arguments(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        consecutive_count(**kwargs)


def _tx(rows: list[tuple]) -> list[pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=["school_id", "year", "score", "status", "published_count"])
    return [frame[frame.year == y].reset_index(drop=True) for y in sorted(frame.year.unique())]


def _by(dets):
    return {(d.school_id, d.year): d for d in dets}


def test_texas_counts_across_years_with_harvey_pause() -> None:
    inputs = _tx(
        [
            ("001", 2018, 55, None, 2),  # IR, published 2nd year
            ("001", 2019, 58, None, None),  # F → 3rd
            ("002", 2018, None, "Not Rated: Harvey Provision", None),
            ("002", 2019, 50, None, None),  # F after a pause; 2017 unknown → 1
            ("003", 2018, 57, None, 1),
            ("003", 2019, 65, None, None),  # D: chain broken by default
            ("004", 2018, 75, None, None),
            ("004", 2019, 45, None, None),  # acceptable then F → 1
        ]
    )
    got = _by(evaluate("tx-a-f", inputs))
    assert got[("001", 2018)].label == "Improvement Required"
    assert got[("001", 2018)].years_in_status == 2
    assert got[("001", 2019)].label == "F" and got[("001", 2019)].years_in_status == 3
    assert got[("002", 2018)].label == "Not Rated: Harvey Provision"
    assert got[("002", 2018)].years_in_status is None
    assert got[("002", 2019)].years_in_status == 1
    assert got[("003", 2019)].label == "D" and got[("003", 2019)].years_in_status is None
    assert got[("004", 2019)].years_in_status == 1
    assert "overall scaled score 58 < 60 (F)" in got[("001", 2019)].reasons


def test_texas_d_can_continue_the_chain() -> None:
    inputs = _tx([("003", 2018, 57, None, 1), ("003", 2019, 65, None, None)])
    got = _by(evaluate("tx-a-f", inputs, d_continues_chain_if_prior_unacceptable=True))
    assert got[("003", 2019)].years_in_status == 2


def test_texas_not_rated_can_reset() -> None:
    inputs = _tx(
        [
            ("005", 2018, 50, None, 1),
            ("005", 2019, None, "Not Rated", None),
            ("005", 2020, 50, None, None),
        ]
    )
    paused = _by(evaluate("tx-a-f", inputs, covid_years_not_rated=[2030]))
    reset = _by(
        evaluate("tx-a-f", inputs, not_rated_pauses_chain=False, covid_years_not_rated=[2030])
    )
    assert paused[("005", 2020)].years_in_status == 2
    assert reset[("005", 2020)].years_in_status == 1
    assert "2019 not rated" in "; ".join(paused[("005", 2020)].reasons)


def test_texas_covid_years_are_not_rated_and_pause() -> None:
    inputs = _tx(
        [("006", 2019, 50, None, 1), ("006", 2020, 40, None, None), ("006", 2022, 40, None, None)]
    )
    got = _by(evaluate("tx-a-f", inputs))
    assert got[("006", 2020)].label == "Not Rated"
    assert got[("006", 2022)].years_in_status == 2


def test_texas_met_alternative_standard_before_letter_grades() -> None:
    frame = pd.DataFrame(
        {
            "school_id": ["007", "008"],
            "year": [2018, 2018],
            "score": [61, 61],
            "alternative": [True, False],
        }
    )
    got = _by(evaluate("tx-a-f", [frame]))
    assert got[("007", 2018)].label == "Met Alternative Standard"
    assert got[("008", 2018)].label == "Met Standard"
