"""ESSA CSI / ATSI / TSI and California's pooled CSI graduation rule, on hand-made cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from turnaround.analytics.accountability import RuleInputError, evaluate, ruleset_get
from turnaround.analytics.accountability.essa import (
    ca_csi_grad_determinations,
    csi_count,
    lowest_share,
    pooled_rate,
)


def test_csi_count_is_the_ceiling_without_float_drift() -> None:
    assert csi_count(60, 0.05) == 3  # 0.05 * 60 = 3.0000000000000004 in floats
    assert csi_count(61, 0.05) == 4
    assert csi_count(20, 0.05) == 1
    assert csi_count(0, 0.05) == 0


def test_lowest_share_includes_ties_at_the_cut() -> None:
    index = [10.0, 20.0, 20.0, 30.0, np.nan] + [50.0] * 36  # 40 ranked → 2 identified
    mask, cut, count = lowest_share(index, share=0.05)
    assert count == 2 and cut == 20.0
    assert mask[:5].tolist() == [True, True, True, False, False]
    mask, cut, _ = lowest_share(index, share=0.05, ties="exclude")
    assert mask[:5].tolist() == [True, False, False, False, False]
    mask, cut, _ = lowest_share([1.0, 2.0, 3.0], share=0.34, higher_is_better=False)
    assert mask.tolist() == [False, True, True] and cut == 2.0


def _school(sid, year, index, title_i=True, n=100, **kw):
    return {
        "school_id": sid,
        "year": year,
        "group": "all",
        "n": n,
        "index": index,
        "title_i": title_i,
        **kw,
    }


def _group(sid, year, group, index, n=40, **kw):
    return {"school_id": sid, "year": year, "group": group, "n": n, "index": index, **kw}


def _essa_year(year: int, extra: list[dict] | None = None) -> pd.DataFrame:
    rows = [_school(f"S{i:02d}", year, float(i)) for i in range(1, 21)]  # 20 Title I → 1 CSI
    rows.append(_school("N01", year, 0.5, False))  # lowest but not Title I
    # graduation applies to every high school, Title I or not
    rows.append(_school("H01", year, 15.0, False, high_school=True, grad_rate=66, grad_cohort=50))
    rows.append(_school("H02", year, 15.0, False, high_school=True, grad_rate=67, grad_cohort=10))
    rows.append(_school("X01", year, np.nan))
    rows += extra or []
    return pd.DataFrame(rows)


def test_csi_lowest_five_percent_of_title_i_and_graduation() -> None:
    dets = {d.school_id: d for d in evaluate("essa-csi", [_essa_year(2019)])}
    assert dets["S01"].label == "CSI"
    assert "1 of 20 identified" in dets["S01"].reasons[0]
    assert dets["S02"].label == "Not identified"
    assert dets["N01"].label == "Not identified"
    assert "not Title I" in dets["N01"].reasons[0]
    assert dets["H01"].label == "CSI" and "graduation rate 66% ≤ 67%" in dets["H01"].reasons[0]
    assert dets["H02"].label == "Not identified"  # cohort 10 < 20
    assert dets["X01"].label == "Not classified"
    strict = {
        d.school_id: d
        for d in evaluate("essa-csi", [_essa_year(2019)], grad_threshold=66, grad_comparator="<")
    }
    assert strict["H01"].label == "Not identified"


def test_atsi_groups_at_or_below_the_csi_schools() -> None:
    extra = [
        _group("S10", 2019, "swd", 0.8),  # below the CSI school's all-students index 1
        _group("S11", 2019, "el", 1.0, n=10),  # too few students
        _group("S12", 2019, "el", 5.0),
    ]
    dets = {d.school_id: d for d in evaluate("essa-csi", [_essa_year(2019, extra)])}
    assert dets["S10"].label == "ATSI" and "swd 0.8" in dets["S10"].reasons[0]
    assert dets["S11"].label == "Not identified"
    assert dets["S12"].label == "Not identified"


def test_tsi_needs_consecutive_flagged_years_and_atsi_escalates_to_csi() -> None:
    frames = []
    for year in (2017, 2018, 2019):
        extra = [
            _group("S15", year, "hisp", 9.0, underperforming=True),
            _group("S16", year, "hisp", 9.0, underperforming=year != 2018),
            _group("S17", year, "swd", 0.5),
        ]
        frames.append(_essa_year(year, extra))
    frames[0].loc[frames[0].school_id == "S17", "atsi_years"] = 2
    dets = {(d.school_id, d.year): d for d in evaluate("essa-csi", frames)}
    assert dets[("S15", 2018)].label == "Not identified"
    assert dets[("S15", 2019)].label == "TSI"
    assert dets[("S15", 2019)].years_in_status == 1
    assert dets[("S16", 2019)].label == "Not identified"
    # ATSI for 2 years before the input + 2017 + 2018 = 4 → CSI from 2018
    assert dets[("S17", 2017)].label == "ATSI"
    assert dets[("S17", 2018)].label == "CSI"
    assert "ATSI for 4 consecutive years" in dets[("S17", 2018)].reasons[0]
    assert dets[("S17", 2019)].years_in_status == 2
    assert dets[("S01", 2019)].years_in_status == 3


def test_pools_rank_separately() -> None:
    frame = _essa_year(2019)
    frame["pool"] = np.where(frame.school_id.isin(["S19", "S20"]), "hs", "k8")
    dets = {d.school_id: d for d in evaluate("essa-csi", [frame], pooling="by_pool")}
    assert dets["S19"].label == "CSI"  # lowest of its own pool of two
    assert dets["S01"].label == "CSI"


def test_every_school_needs_its_all_students_row() -> None:
    frame = pd.DataFrame([_group("S01", 2019, "swd", 1.0)])
    with pytest.raises(RuleInputError, match="no row with group 'all'"):
        evaluate("essa-csi", [frame])


def test_pooled_rate() -> None:
    assert pooled_rate([50, 60], [100, 100]) == pytest.approx(55.0)
    assert pooled_rate([0], [0]) is None


def _ca(rows, year=2018):
    frame = pd.DataFrame(
        rows, columns=["school_id", "grads", "cohort", "prior_grads", "prior_cohort", "dass"]
    )
    frame["rtype"], frame["group"], frame["year"] = "S", "ALL", year
    return frame


def test_california_pooled_graduation_rule() -> None:
    params = ruleset_get("ca-csi-grad").configure()
    frame = _ca(
        [
            ("01", 60, 100, 74, 100, None),  # (60 + 74) / 200 = 67.0 → not < 67
            ("02", 60, 100, 73.6, 100, None),  # 66.8% → CSI (a school at 66.8% was identified)
            ("03", 10, 40, 10, 29, None),  # prior cohort 29 < 30
            ("04", 10, 40, 10, 40, True),  # DASS: not evaluated
            ("05", 10, None, 10, 40, None),
        ]
    )
    dets = {d.school_id: d for d in ca_csi_grad_determinations([frame], params)}
    assert dets["01"].label == "Not identified"
    assert dets["02"].label == "CSI"
    assert (
        dets["02"].reasons[0] == "CSI: graduation rate 2017–2018 66.8% < 67% (133 of 200 graduated)"
    )
    assert dets["03"].reasons[0] == "insufficient cohort: 2017 cohort 29 (< 30)"
    assert dets["04"].label == "Not classified"
    assert dets["05"].label == "Not identified"
    dass = ruleset_get("ca-csi-grad").configure(dass="standard", grad_comparator="<=")
    dets = {d.school_id: d for d in ca_csi_grad_determinations([frame], dass)}
    assert dets["04"].label == "CSI" and dets["01"].label == "CSI"


def test_california_prior_year_from_the_previous_input() -> None:
    params = ruleset_get("ca-csi-grad").configure(prior_source="previous_input")
    y1 = _ca([("01", 20, 40, 0, 0, None)], year=2017)
    y2 = _ca([("01", 20, 40, 40, 40, None)], year=2018)
    dets = {(d.school_id, d.year): d for d in ca_csi_grad_determinations([y1, y2], params)}
    assert dets[("01", 2018)].values["pooled_rate"] == pytest.approx(50.0)
    assert dets[("01", 2017)].label == "Not identified"  # no earlier input
