"""The rule-set registry: ids, versions, parameter defaults and validation."""

from __future__ import annotations

import dataclasses

import pytest

from turnaround.analytics.accountability import (
    Determination,
    RuleSetError,
    evaluate,
    ruleset_get,
    ruleset_list,
)
from turnaround.analytics.accountability.ruleset import TX_A_F, ruleset_register


def test_registered_rule_sets() -> None:
    ids = [rs.id for rs in ruleset_list()]
    assert {"ma-2012", "ma-2018", "essa-csi", "tx-a-f", "ca-csi-grad"} <= set(ids)
    assert all(rs.version for rs in ruleset_list())


def test_unknown_rule_set_names_the_allowed_ids() -> None:
    with pytest.raises(RuleSetError, match="unknown rule set 'ma-2099'; allowed: ca-csi-grad"):
        ruleset_get("ma-2099")


def test_versions() -> None:
    assert ruleset_get("tx-a-f@1") is ruleset_get("tx-a-f")
    with pytest.raises(RuleSetError, match="allowed: tx-a-f@1"):
        ruleset_get("tx-a-f@9")
    with pytest.raises(ValueError, match="already registered"):
        ruleset_register(TX_A_F)


def test_defaults_from_the_reference() -> None:
    tx = ruleset_get("tx-a-f").configure()
    assert tx.get_floats("cuts") == (90, 80, 70, 60)
    ma = ruleset_get("ma-2012").configure()
    assert ma.get_float("cum_ppi_target") == 75
    assert ma.get_floats("cum_ppi_year_weights") == (1, 2, 3, 4)
    assert ruleset_get("essa-csi").configure().get_float("csi_pct") == 0.05
    assert ruleset_get("ca-csi-grad").configure().get_int("min_cohort_each_year") == 30


def test_parameters_from_text_and_with_prefix() -> None:
    rs = ruleset_get("tx-a-f")
    assert rs.configure(cuts="85,75,65,55").get_floats("cuts") == (85, 75, 65, 55)
    assert rs.configure(**{"tx.cuts": "[85, 75, 65, 55]"}).get_floats("cuts") == (85, 75, 65, 55)
    assert rs.configure(seed_first_year="false").get_bool("seed_first_year") is False
    assert rs.configure(covid_years_not_rated="2020").get_ints("covid_years_not_rated") == (2020,)
    assert ruleset_get("essa-csi").configure(min_n="10").get_int("min_n") == 10


@pytest.mark.parametrize(
    ("ruleset", "params", "message"),
    [
        ("tx-a-f", {"cuts": "60,70,80,90"}, "strictly descending"),
        ("tx-a-f", {"cuts": "90,80"}, "2 values given, 4 needed"),
        ("tx-a-f", {"colour": "red"}, "no parameter 'colour'; allowed: cuts, first_letter_year"),
        ("tx-a-f", {"seed_first_year": "perhaps"}, "allowed: true or false"),
        ("essa-csi", {"ties": "coin"}, "allowed: one of include, exclude"),
        ("essa-csi", {"csi_pct": 1.5}, "1.5 is above 1"),
        ("essa-csi", {"min_n": 20.5}, "a whole number ≥ 1"),
        ("essa-csi", {"min_n": True}, "a whole number"),
        ("ma-2012", {"l3_percentile": 0}, "0 is below 1"),
        ("ma-2018", {"cum_weights": "0.5,0.6"}, "sum to 1.1"),
        ("ma-2018", {"weights": '{"lowest": [50, 50, 0, 0, 0]}'}, "rows must be exactly"),
        ("ma-2018", {"progress_cuts": "75,80,25"}, "descending"),
        ("ca-csi-grad", {"grad_comparator": "=="}, "one of <, <="),
    ],
)
def test_invalid_parameters_are_refused_naming_allowed_values(ruleset, params, message) -> None:
    with pytest.raises(RuleSetError, match=message):
        ruleset_get(ruleset).configure(**params)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(RuleSetError) as info:
        ruleset_get("tx-a-f").configure(cuts="1", colour="red")
    assert len(info.value.problems) == 2


def test_weights_table_accepts_a_valid_replacement() -> None:
    rows = {
        "all_nonhs_el": [50, 30, 0, 10, 10],
        "all_nonhs": [60, 30, 0, 0, 10],
        "all_hs_el": [40, 20, 20, 10, 10],
        "all_hs": [47.5, 22.5, 20, 0, 10],
        "lowest": [67.5, 22.5, 0, 0, 10],
    }
    params = ruleset_get("ma-2018").configure(weights=rows)
    assert params.get_table("weights")["all_nonhs_el"] == (50, 30, 0, 10, 10)


def test_parameters_are_checked_before_any_input_is_read() -> None:
    with pytest.raises(RuleSetError):
        evaluate("tx-a-f", ["/nonexistent/CAMPRATE_2019.csv"], cuts="1,2")


def test_determination_is_immutable_and_checked() -> None:
    det = Determination("00010505", 2017, "Level 1", 1, ("Meeting",), {"ppi": 80})
    with pytest.raises(dataclasses.FrozenInstanceError):
        det.label = "Level 2"  # type: ignore[misc]
    with pytest.raises(TypeError):
        det.values["ppi"] = 3  # type: ignore[index]
    assert det.values["ppi"] == 80.0 and det.reason == "Meeting"
    with pytest.raises(ValueError, match="level"):
        Determination("x", 2017, "Level 6", 6, ())
    with pytest.raises(ValueError, match="school id"):
        Determination("", 2017, "Level 1", 1, ())
