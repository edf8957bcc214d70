"""The analysts' file contract: a long CSV in, one row per student scored out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from turnaround.analytics.growth import GrowthInputError, ScoreValueError, SGPResult
from turnaround.analytics.growth.cli import read_knots, sgp_file

KNOTS_CSV = """content_area,grade,knot_1,knot_2,knot_3,knot_4,boundary_low,boundary_high,loss,hoss
READING,3,510,550,580,615,150,795,150,795
READING,04,545,580,610,645,180,820,180,820
"""


def test_long_file_in_sgps_out(tmp_path: Path, tiny: pd.DataFrame, tiny_result: SGPResult) -> None:
    source = tmp_path / "long.csv.gz"
    tiny.assign(LAST_NAME="x").to_csv(source, index=False)
    out = tmp_path / "out.csv"
    n = sgp_file(source, out)
    assert n == len(tiny_result.frame)
    written = pd.read_csv(out, dtype={"ID": str, "YEAR": str, "GRADE": str})
    assert list(written.columns) == [
        "CONTENT_AREA",
        "YEAR",
        "ID",
        "GRADE",
        "SGP",
        "SGP_ORDER",
        "SGP_ORDER_1",
        "SGP_ORDER_2",
        "SGP_NORM_GROUP",
    ]
    expected = tiny_result.frame[list(written.columns)]
    pd.testing.assert_frame_equal(
        written.astype({"SGP_ORDER_1": "Int64", "SGP_ORDER_2": "Int64"}),
        expected,
        check_dtype=False,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.csv.gz", "out.csv"]  # no temp


def test_knots_file_and_options(tmp_path: Path, tiny: pd.DataFrame) -> None:
    source = tmp_path / "long.csv"
    tiny.to_csv(source, index=False)
    knots = tmp_path / "KNOTS.csv"
    knots.write_text(KNOTS_CSV)
    assert [k.grade for k in read_knots(knots)] == ["3", "4"]
    out = tmp_path / "out.csv"
    n = sgp_file(source, out, knots, ["2023_2024"], ["READING"], 1)
    written = pd.read_csv(out)
    assert n == len(written) and set(written["SGP_ORDER"]) == {1}
    assert "SGP_ORDER_2" not in written.columns


def test_bad_input_writes_nothing(tmp_path: Path, tiny: pd.DataFrame) -> None:
    bad = tiny.astype({"SCALE_SCORE": object})
    bad.loc[bad.index[0], "SCALE_SCORE"] = "n/a?"
    source = tmp_path / "long.csv"
    bad.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    with pytest.raises(ScoreValueError, match="not numbers"):
        sgp_file(source, out)
    assert not out.exists()
    knots = tmp_path / "KNOTS.csv"
    knots.write_text("content_area,grade,knot_1\nREADING,3,510\n")
    with pytest.raises(GrowthInputError, match="lacks column"):
        sgp_file(source, out, knots)
    with pytest.raises(GrowthInputError, match="cannot read"):
        sgp_file(tmp_path / "missing.csv", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["KNOTS.csv", "long.csv"]
