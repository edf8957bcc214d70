"""``turnaround identify run|export|cohorts``: the same services as the pages, from a shell."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from turnaround.accountability.models import AccountabilityDetermination, Designation

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("identify", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_run_prints_counts_and_is_idempotent(acc):
    text = _run(
        "run",
        "--state",
        "ma",
        "--year",
        "2016",
        "--ruleset",
        "ma-2012",
        "--param",
        "l3_percentile=25",
    )
    assert "Evaluated 19 schools with ma-2012 for 2016" in text
    assert "created:           19" in text
    again = _run(
        "run",
        "--state",
        "MA",
        "--year",
        "2016",
        "--ruleset",
        "ma-2012",
        "--param",
        "l3_percentile=25",
    )
    assert "unchanged:         19" in again and "created:           0" in again


def test_run_refuses_bad_input_and_writes_nothing(acc):
    with pytest.raises(CommandError, match=r"params: .*no parameter 'colour'; allowed: "):
        _run(
            "run",
            "--state",
            "MA",
            "--year",
            "2016",
            "--ruleset",
            "ma-2012",
            "--param",
            "colour=red",
        )
    with pytest.raises(CommandError, match="allowed: ca-csi-grad"):
        _run("run", "--state", "MA", "--year", "2016", "--ruleset", "nope")
    with pytest.raises(CommandError, match="no state with the code 'ZZ'"):
        _run("run", "--state", "ZZ", "--year", "2016", "--ruleset", "ma-2012")
    with pytest.raises(CommandError, match="failed: No school results for MA in 2031"):
        _run("run", "--state", "MA", "--year", "2031", "--ruleset", "ma-2012")
    assert not AccountabilityDetermination.objects.filter(is_official=False).exists()


def test_export_determinations_designations_and_board(acc, tmp_path: Path):
    _run("run", "--state", "MA", "--year", "2016", "--ruleset", "essa-csi")
    Designation.objects.create(school=acc.low, status="csi", entered_year=2015, ruleset="essa-csi")
    out = tmp_path / "dets.csv"
    text = _run(
        "export",
        "--state",
        "MA",
        "--what",
        "determinations",
        "--year",
        "2016",
        "--ruleset",
        "essa-csi",
        "--output",
        str(out),
    )
    assert "Wrote 19 determinations rows" in text
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {r["Origin"] for r in rows} == {"computed"} and rows[0]["School code"].startswith("0")
    xlsx = tmp_path / "designations.xlsx"
    _run("export", "--state", "MA", "--what", "designations", "--output", str(xlsx))
    sheet = load_workbook(xlsx).active
    assert sheet.cell(2, 3).value == acc.low.name
    board = tmp_path / "board.csv"
    assert "Wrote 1 board rows" in _run(
        "export", "--state", "MA", "--what", "board", "--year", "2016", "--output", str(board)
    )
    with pytest.raises(CommandError, match="must end in .csv or .xlsx"):
        _run("export", "--state", "MA", "--output", str(tmp_path / "x.txt"))


def test_cohorts_table(acc):
    Designation.objects.create(
        school=acc.low, status="underperforming", entered_year=2011, exited_year=2014
    )
    Designation.objects.create(school=acc.schools[1], status="underperforming", entered_year=2011)
    text = _run("cohorts", "--state", "MA", "--year", "2011", "--through", "2015")
    assert "Underperforming (Level 4): 2 school(s) designated in 2011" in text
    assert "    2014          1       1          1          0       50.0%" in text
    assert f"still in 2015: {acc.schools[1].name}" in text
    assert "No school of MA was designated in 2009" in _run(
        "cohorts", "--state", "MA", "--year", "2009"
    )
