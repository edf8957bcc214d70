"""Rule inputs from stored indicator tables: CPI points worked by hand, layouts the rules read."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from turnaround.analytics.accountability import evaluate
from turnaround.analytics.accountability.indicators import (
    ca_grad_inputs,
    cpi_indicator_points,
    essa_inputs,
    ma12_inputs,
    tx_inputs,
)


def test_cpi_points_bands() -> None:
    cpi = np.array([90.0, 81.0, 78.0, 70.0, 70.0, 70.0, 70.0, np.nan])
    prior = np.array([80.0, 80.0, 77.0, 68.0, 69.5, 72.0, np.nan, 60.0])
    target = np.full(8, 80.0)
    got = cpi_indicator_points(cpi, prior, target)
    assert got[:6].tolist() == [100.0, 75.0, 75.0, 50.0, 25.0, 0.0]
    assert math.isnan(got[6]) and math.isnan(got[7])


def results(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "school_id",
            "year",
            "subject",
            "group",
            "n_tested",
            "composite_index",
            "median_sgp",
            "sgp_n",
        ],
    )


def test_ma12_frame_targets_points_growth_and_published() -> None:
    rows = []
    for year, cpi in ((2013, 60.0), (2014, 70.0), (2015, 68.0)):
        for subject in ("ELA", "MATH"):
            rows.append(("1", year, subject, "all", 100, cpi, 55.0, 80))
            rows.append(("2", year, subject, "all", 100, 90.0, 45.0, 80))
            rows.append(("1", year, subject, "high_needs", 50, cpi - 10, 41.0, 30))
    schools = pd.DataFrame(
        {"school_id": ["1", "2"], "school_type": ["ES", "MS"], "grades": ["K,01,02,03,04,05", ""]}
    )
    growth = pd.DataFrame(
        [("1", 2015, "ELA", "all", 33.0, 70)],
        columns=["school_id", "year", "subject", "group", "median_sgp", "n"],
    )
    published = pd.DataFrame(
        [("2", 2015, 81.0, None, 77.0)],
        columns=["school_id", "year", "cum_ppi_all", "cum_ppi_high_needs", "percentile"],
    )
    designations = pd.DataFrame(
        [("1", 2015, "underperforming")], columns=["school_id", "year", "designation"]
    )
    frame = ma12_inputs(
        results(rows),
        schools,
        years=[2014, 2015],
        growth=growth,
        published=published,
        designations=designations,
    )
    one = frame[frame.school_id == "1"].set_index("year")
    # target: 60 + 40·(y − 2013)/12 → 63.3 in 2014 (70 ≥ 63.3 + 2.5: 100), 66.7 in 2015
    assert one.loc[2014, "pts_all_ela_cpi"] == 100.0
    assert one.loc[2015, "pts_all_ela_cpi"] == 75.0  # 68 within 2.5 of 66.7
    assert one.loc[2015, "median_sgp_all_ela"] == 33.0 and one.loc[2015, "n_sgp_all_ela"] == 70
    assert one.loc[2015, "median_sgp_all_math"] == 55.0  # published where nothing computed
    assert (
        one.loc[2015, "school_type"] == "ES" and one.loc[2015, "designation"] == "underperforming"
    )
    assert one.loc[2014, "designation"] is None
    two = frame[frame.school_id == "2"].set_index("year")
    assert two.loc[2015, "cum_ppi_all"] == 81.0 and two.loc[2015, "percentile"] == 77.0
    assert two.loc[2015, "school_type"] == "MS" and two.loc[2015, "grades"] is None
    dets = {(d.school_id, d.year): d for d in evaluate("ma-2012", [frame])}
    assert dets[("1", 2015)].label == "Level 4"
    assert dets[("2", 2015)].label == "Level 1"  # published cumulative 81 ≥ 75


def test_essa_frame_index_n_and_tsi_flag() -> None:
    rows = []
    for school, base in (("1", 40.0), ("2", 60.0), ("3", 80.0)):
        for subject, adj in (("ELA", 0.0), ("MATH", 2.0)):
            rows.append((school, 2016, subject, "all", 100, base + adj, None, None))
            rows.append(
                (school, 2016, subject, "el", 25 if subject == "ELA" else 30, base - 5, None, None)
            )
    schools = pd.DataFrame(
        {
            "school_id": ["1", "2", "3"],
            "title_i": [True, True, False],
            "high_school": [False, False, True],
            "pool": ["ES", "ES", "HS"],
        }
    )
    profiles = pd.DataFrame({"school_id": ["3"], "year": [2016], "graduation_rate_4yr": [64.0]})
    frame = essa_inputs(results(rows), schools, years=[2016], profiles=profiles)
    rows_of = frame.set_index(["school_id", "group"])
    assert rows_of.loc[("1", "all"), "index"] == 41.0 and rows_of.loc[("1", "el"), "n"] == 30
    assert rows_of.loc[("1", "all"), "title_i"] is True
    assert rows_of.loc[("1", "el"), "title_i"] is None
    assert bool(rows_of.loc[("1", "el"), "underperforming"]) is True
    assert bool(rows_of.loc[("3", "el"), "underperforming"]) is False
    assert rows_of.loc[("3", "all"), "grad_rate"] == 64.0
    labels = {d.school_id: d.label for d in evaluate("essa-csi", [frame])}
    assert labels == {"1": "CSI", "2": "Not identified", "3": "CSI"}


def test_texas_and_california_from_published_values() -> None:
    published = pd.DataFrame(
        {
            "school_id": ["7", "7"],
            "year": [2018, 2019],
            "label": ["Improvement Required", "Not Rated: Harvey Provision"],
            "years_in_status": [2.0, np.nan],
            "inputs": [{"score": 55, "ignored": 1}, {}],
        }
    )
    frame = tx_inputs(published)
    assert frame["status"].tolist() == [None, "Not Rated: Harvey Provision"]
    assert frame["published_rating"].tolist()[0] == "Improvement Required"
    dets = evaluate("tx-a-f", [frame])
    assert [d.years_in_status for d in dets] == [2, None]
    ca = pd.DataFrame(
        {
            "school_id": ["01234567890123"],
            "year": [2018],
            "inputs": [{"grads": 60, "cohort": 100, "prior_grads": 70, "prior_cohort": 100}],
        }
    )
    frames = ca_grad_inputs(ca)
    (det,) = evaluate("ca-csi-grad", frames)
    assert det.label == "CSI" and det.values["pooled_rate"] == 65.0
