"""``turnaround rules list`` and ``turnaround rules evaluate``: files in, CSV out, no database.

No test here is marked ``django_db``: pytest-django fails any of them that touches the database.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

TX_HEADER = "CAMPUS,CDALLS,C_RATING,C_YRS_IR,CFLALTED"
TX_2018 = ['"001902001",55,"Improvement Required",2,"N"', '"001902041",75,"Met Standard",.,"N"']
TX_2019 = [
    '"001902001",58,"F",.,"N"',
    '"001902041",83,"B",.,"N"',
    '"001903002",.,"Not Rated",.,"N"',
]


def _write(path: Path, rows: list[str], header: str = TX_HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _run(*args: str) -> str:
    out = StringIO()
    call_command("rules", *args, stdout=out)
    return out.getvalue()


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_list_names_every_rule_set_with_parameters() -> None:
    text = _run("list")
    for ruleset in ("ma-2012", "ma-2018", "essa-csi", "tx-a-f", "ca-csi-grad"):
        assert f"{ruleset}  (version 1)" in text
    assert "--param cuts=90,80,70,60: " in text
    assert "--param cap_cum_ppi=true (unverified)" in text
    assert "--param ties=include: " in text and "one of include, exclude" in text
    brief = _run("list", "--brief")
    assert "--param" not in brief and len(brief.splitlines()) == 5


def test_evaluate_writes_one_row_per_school_and_year(tmp_path: Path) -> None:
    a = _write(tmp_path / "CAMPRATE_2018.csv", TX_2018)
    b = _write(tmp_path / "CAMPRATE_2019.csv", TX_2019)
    out = tmp_path / "out.csv"
    text = _run("evaluate", "tx-a-f", str(a), str(b), "--output", str(out))
    assert "5 determinations (3 schools, years 2018, 2019)" in text
    rows = {(r["school_id"], r["year"]): r for r in _rows(out)}
    assert list(_rows(out)[0])[:6] == [
        "school_id",
        "year",
        "determination",
        "level",
        "reasons",
        "years_in_status",
    ]
    assert rows[("001902001", "2019")]["determination"] == "F"
    assert rows[("001902001", "2019")]["years_in_status"] == "3"
    assert rows[("001902001", "2019")]["reasons"] == (
        "overall scaled score 58 < 60 (F); 3rd consecutive unacceptable year"
    )
    assert rows[("001902041", "2019")]["determination"] == "B"
    assert rows[("001902041", "2019")]["years_in_status"] == ""
    assert rows[("001903002", "2019")]["determination"] == "Not Rated"


def test_parameters_change_the_outcome(tmp_path: Path) -> None:
    b = _write(tmp_path / "CAMPRATE_2019.csv", TX_2019)
    out = tmp_path / "out.csv"
    _run("evaluate", "tx-a-f", str(b), "-o", str(out), "--param", "cuts=95,85,75,55")
    rows = {r["school_id"]: r for r in _rows(out)}
    assert rows["001902001"]["determination"] == "D"  # 58 ≥ 55
    assert rows["001902041"]["determination"] == "C"  # 83 < 85


def test_invalid_parameters_are_refused_with_allowed_values(tmp_path: Path) -> None:
    b = _write(tmp_path / "CAMPRATE_2019.csv", TX_2019)
    out = tmp_path / "out.csv"
    with pytest.raises(CommandError, match="descending") as exc:
        _run("evaluate", "tx-a-f", str(b), "-o", str(out), "--param", "cuts=60,70,80,90")
    assert exc.value.returncode == 1
    with pytest.raises(CommandError, match="no parameter 'colour'; allowed: cuts"):
        _run("evaluate", "tx-a-f", str(b), "-o", str(out), "--param", "colour=red")
    with pytest.raises(CommandError, match="NAME=VALUE"):
        _run("evaluate", "tx-a-f", str(b), "-o", str(out), "--param", "cuts")
    with pytest.raises(CommandError, match="unknown rule set 'tx-2030'; allowed: ca-csi-grad"):
        _run("evaluate", "tx-2030", str(b), "-o", str(out))
    assert not out.exists()


def test_a_bad_file_writes_nothing(tmp_path: Path) -> None:
    good = _write(tmp_path / "CAMPRATE_2018.csv", TX_2018)
    bad = _write(tmp_path / "CAMPRATE_2019.csv", [TX_2019[0].replace("58", "158")])
    out = tmp_path / "out.csv"
    out.write_text("previous result\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        _run("evaluate", "tx-a-f", str(good), str(bad), "-o", str(out))
    message = str(exc.value)
    assert "CAMPRATE_2019.csv: 1 problem, nothing was produced" in message
    assert "row 2, column 'CDALLS', value '158': impossible value: above 100" in message
    assert out.read_text(encoding="utf-8") == "previous result\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_missing_input_or_output_folder(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such input file"):
        _run("evaluate", "tx-a-f", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv"))
    b = _write(tmp_path / "CAMPRATE_2019.csv", TX_2019)
    with pytest.raises(CommandError, match="output folder .* does not exist"):
        _run("evaluate", "tx-a-f", str(b), "-o", str(tmp_path / "missing" / "o.csv"))


def test_exit_code_from_the_command_line(tmp_path: Path) -> None:
    bad = tmp_path / "CAMPRATE_2019.csv"
    bad.write_bytes(b"")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "turnaround.config.settings_test"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "turnaround.cli",
            "rules",
            "evaluate",
            "tx-a-f",
            str(bad),
            "--output",
            str(tmp_path / "out.csv"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert "the file is empty" in result.stderr
    assert not (tmp_path / "out.csv").exists()


MA_FILE = Path(settings.SHARED_DATA_DIR) / "ma-profiles-2017" / "MA_Public_Schools_2017.csv"


@pytest.mark.skipif(not MA_FILE.exists(), reason="the shared data are not available")
def test_contract_on_the_massachusetts_profiles(tmp_path: Path) -> None:
    out = tmp_path / "ma.csv"
    _run("evaluate", "ma-2012", str(MA_FILE), "--output", str(out))
    rows = {r["school_id"]: r for r in _rows(out)}
    assert len(rows) == 1861
    abington = rows["00010505"]  # leading zeros kept
    assert abington["year"] == "2017"
    assert abington["determination"] in {"Level 1", "Level 2"}
    assert abington["reasons"].startswith(("Meeting", "Not meeting"))
    assert {r["determination"] for r in rows.values()} == {
        "Level 1",
        "Level 2",
        "Level 3",
        "Level 4",
        "Level 5",
        "Insufficient data",
    }
