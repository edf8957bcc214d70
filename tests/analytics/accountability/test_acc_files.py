"""Readers of the real layouts and bad input: every problem reported, nothing produced."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from turnaround.analytics.accountability import RuleInputError, determinations_frame, evaluate
from turnaround.analytics.accountability.files import (
    decode_text,
    read_ca_dashboard_grad,
    read_canonical,
    read_ma_profiles,
    read_tx_camprate,
    school_type_from_grades,
)

TX_HEADER = "CAMPUS,CDALLS,C_RATING,C_YRS_IR,CFLALTED,CPETECOP"
TX_ROWS = [
    '"001902001",87,"A",.," ",36.9',
    '"001902041",55,"F",1,"N",47.3',
    '"001903002",.,"Not Rated",.,"N",.',
]
CA_HEADER = (
    "cds\trtype\tschoolname\tstudentgroup\tcurrnumer\tcurrdenom\tcurrstatus\tpriornumer\t"
    "priordenom\tpriorstatus\tdass_flag\treportingyear"
)
CA_ROW = "01611190130625\tS\tEscuela Pe\xf1a\tALL\t30\t50\t60\t64\t116\t55.2\t\t2018"


def _write(path: Path, header: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def _problems(exc: pytest.ExceptionInfo[RuleInputError]) -> list[str]:
    return [str(i) for i in exc.value.issues]


def test_tx_reader_keeps_ids_and_reads_dot_as_missing(tmp_path: Path) -> None:
    frame = read_tx_camprate(_write(tmp_path / "CAMPRATE_2019.csv", TX_HEADER, TX_ROWS))
    assert frame["school_id"].tolist() == ["001902001", "001902041", "001903002"]
    assert frame["year"].unique().tolist() == [2019]
    assert math.isnan(frame.loc[2, "score"])
    assert math.isnan(frame.loc[0, "published_count"])  # "." is missing, never 0
    assert frame["status"].tolist() == [None, None, "Not Rated"]
    out = determinations_frame(evaluate("tx-a-f", [tmp_path / "CAMPRATE_2019.csv"]))
    assert out["school_id"].tolist() == ["001902001", "001902041", "001903002"]
    # the published letter ("A" for 87 here) is an outcome, not an input: 87 is a B
    assert out["determination"].tolist() == ["B", "F", "Not Rated"]


def test_ca_reader_latin1_tab_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "grad.txt", CA_HEADER, [CA_ROW], encoding="latin-1")
    frame = read_ca_dashboard_grad(path)
    assert frame.loc[0, "school_id"] == "01611190130625"
    assert frame.loc[0, "year"] == 2018 and frame.loc[0, "prior_cohort"] == 116
    assert frame.loc[0, "dass"] is False


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "CAMPRATE_2019.csv"
    path.write_bytes(b"")
    with pytest.raises(RuleInputError, match="the file is empty"):
        evaluate("tx-a-f", [path])


def test_header_without_rows(tmp_path: Path) -> None:
    with pytest.raises(RuleInputError, match="header but no data rows"):
        evaluate("tx-a-f", [_write(tmp_path / "CAMPRATE_2019.csv", TX_HEADER, [])])


def test_wrong_columns_name_the_closest_layout(tmp_path: Path) -> None:
    path = _write(tmp_path / "CAMPRATE_2019.csv", "CAMPUS,SCORE,C_RATING", ['"001902001",1,"A"'])
    with pytest.raises(RuleInputError) as exc:
        evaluate("tx-a-f", [path])
    assert "closest is tx-camprate, which needs 'CDALLS', 'C_YRS_IR'" in _problems(exc)[0]


def test_every_bad_value_is_reported_with_row_column_value(tmp_path: Path) -> None:
    rows = [
        '"001902001",87,"A",.," ",36.9',
        '"001902001",120,"A",-1,"N",136.9',  # duplicate id, score > 100, negative, % > 100
        '"1902041",abc,"Superb",1.5,"maybe",3',  # short id, not a number, unknown rating …
    ]
    path = _write(tmp_path / "CAMPRATE_2019.csv", TX_HEADER, rows)
    with pytest.raises(RuleInputError) as exc:
        evaluate("tx-a-f", [path])
    problems = _problems(exc)
    expected = [
        "row 3, column 'CDALLS', value '120': impossible value: above 100",
        "row 3, column 'C_YRS_IR', value '-1': impossible value: a negative count",
        "row 3, column 'CPETECOP', value '136.9': impossible value: a percent over 100",
        "row 3, column 'CAMPUS', value '001902001': duplicate key (CAMPUS=001902001) of row 2",
        "row 4, column 'CAMPUS', value '1902041': must match 9 digits (ids are read as text)",
        "row 4, column 'CDALLS', value 'abc': not a number",
        "row 4, column 'C_YRS_IR', value '1.5': must be a whole number",
        "row 4, column 'CFLALTED', value 'maybe': must be true/false (or 1/0, Y/N, yes/no)",
    ]
    for line in expected:
        assert line in problems
    assert any("row 4, column 'C_RATING', value 'Superb': unknown rating" in p for p in problems)
    assert exc.value.total == len(problems)


def test_rows_with_the_wrong_number_of_fields(tmp_path: Path) -> None:
    path = _write(tmp_path / "CAMPRATE_2019.csv", TX_HEADER, ['"001902001",87,"A"'])
    with pytest.raises(RuleInputError, match="row 2: 3 fields where the header has 6"):
        evaluate("tx-a-f", [path])


def test_repeated_header_names(tmp_path: Path) -> None:
    path = _write(tmp_path / "CAMPRATE_2019.csv", TX_HEADER + ",CDALLS", [TX_ROWS[0] + ",1"])
    with pytest.raises(RuleInputError, match="appears twice in the header"):
        evaluate("tx-a-f", [path])


def test_mixed_encodings_are_refused(tmp_path: Path) -> None:
    data = (CA_HEADER + "\n").encode() + CA_ROW.encode("utf-8") + b"\n"
    data += CA_ROW.replace("01611190130625", "01611190130626").encode("latin-1") + b"\n"
    path = tmp_path / "grad.txt"
    path.write_bytes(data)
    with pytest.raises(RuleInputError, match="mixed encodings: line 2 is UTF-8 but line 3 is not"):
        evaluate("ca-csi-grad", [path])


def test_decode_text_variants() -> None:
    assert decode_text("Peña".encode(), "x") == "Peña"
    assert decode_text("Peña".encode("latin-1"), "x") == "Peña"
    assert decode_text(b"\xef\xbb\xbfgrad_group", "x") == "grad_group"
    with pytest.raises(RuleInputError, match="Excel workbook"):
        decode_text(b"PK\x03\x04rest", "x")
    with pytest.raises(RuleInputError, match="UTF-16"):
        decode_text("cds".encode("utf-16"), "x")


def test_ca_impossible_values(tmp_path: Path) -> None:
    rows = [
        CA_ROW.replace("\t30\t50\t60\t", "\t60\t50\t120\t"),  # more graduates than cohort, 120%
        CA_ROW.replace("01611190130625", "01611190130626").replace("\t64\t116\t", "\t64\t-116\t"),
    ]
    with pytest.raises(RuleInputError) as exc:
        evaluate("ca-csi-grad", [_write(tmp_path / "grad.txt", CA_HEADER, rows)])
    problems = _problems(exc)
    assert (
        "row 2, column 'currnumer', value '60': impossible value: more graduates than "
        "students in the cohort" in problems
    )
    assert "row 2, column 'currstatus', value '120': impossible value: a percent over 100" in (
        problems
    )
    assert "row 3, column 'priordenom', value '-116': impossible value: a negative count" in (
        problems
    )


def test_year_must_be_known(tmp_path: Path) -> None:
    path = _write(tmp_path / "camprate.csv", TX_HEADER, TX_ROWS)
    with pytest.raises(RuleInputError, match="cannot tell the year"):
        evaluate("tx-a-f", [path])
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.attrs["year"] = 2019
    assert len(evaluate("tx-a-f", [frame])) == 3


def test_inputs_oldest_first(tmp_path: Path) -> None:
    a = _write(tmp_path / "CAMPRATE_2019.csv", TX_HEADER, TX_ROWS)
    b = _write(tmp_path / "CAMPRATE_2018.csv", TX_HEADER, TX_ROWS)
    with pytest.raises(RuleInputError, match="oldest first"):
        evaluate("tx-a-f", [a, b])
    with pytest.raises(RuleInputError, match="no input given"):
        evaluate("tx-a-f", [])
    with pytest.raises(TypeError, match="sequence"):
        evaluate("tx-a-f", a)  # type: ignore[arg-type]


def test_problems_in_several_inputs_are_reported_together(tmp_path: Path) -> None:
    a = tmp_path / "CAMPRATE_2018.csv"
    a.write_bytes(b"")
    b = _write(tmp_path / "CAMPRATE_2019.csv", TX_HEADER, [TX_ROWS[0].replace("87", "x")])
    with pytest.raises(RuleInputError) as exc:
        evaluate("tx-a-f", [a, b])
    assert exc.value.source == "CAMPRATE_2018.csv, CAMPRATE_2019.csv"
    assert exc.value.total == 2


def test_generic_layout_refuses_unknown_columns_and_types() -> None:
    frame = pd.DataFrame(
        {
            "school_id": ["00010505", "00010505"],
            "year": [2017, 2017],
            "cum_ppi_al": [80, 70],
            "percentile": [0, 100],
        }
    )
    with pytest.raises(RuleInputError) as exc:
        read_canonical(frame, "ma12")
    problems = _problems(exc)
    assert any("column 'cum_ppi_al': unknown column for the ma12 layout" in p for p in problems)
    assert "row 2, column 'percentile', value '0': impossible value: below 1" in problems
    assert "row 3, column 'percentile', value '100': impossible value: above 99" in problems
    assert any("duplicate key (school_id=00010505, year=2017) of row 2" in p for p in problems)


def test_ma_profiles_reader(tmp_path: Path) -> None:
    header = (
        "School Code,Grade,Progress and Performance Index (PPI) - All Students,"
        "Progress and Performance Index (PPI) - High Needs Students,"
        "School Accountability Percentile (1-99),Accountability and Assistance Level,"
        "Accountability and Assistance Description,% Graduated,# in Cohort"
    )
    rows = [
        '00010505,"09,10,11,12",80.0,68.0,45.0,Level 2,Not meeting gap narrowing goals,94.7,114',
        '00350001,"K,01,02,03,04,05",40.0,40.0,3.0,Level 4,Among lowest achieving,,',
        "00350002,PK,,,,Insufficient data,,,",
    ]
    path = _write(tmp_path / "MA_Public_Schools_2017.csv", header, rows)
    frame = read_ma_profiles(path)
    assert frame["school_id"].tolist() == ["00010505", "00350001", "00350002"]
    assert frame["school_type"].tolist() == ["HS", "ES", "ES"]
    assert math.isnan(frame["designation"][0]) and frame["designation"][1] == 4.0
    got = {d.school_id: d for d in evaluate("ma-2012", [path])}
    assert got["00010505"].label == "Level 2"
    assert got["00010505"].reasons[0] == (
        "Not meeting gap narrowing goals: cumulative PPI for high-needs students 68 < 75"
    )
    assert got["00350001"].label == "Level 4"
    assert got["00350002"].label == "Insufficient data"
    bad = _write(tmp_path / "MA_Public_Schools_2017.csv", header, [rows[0].replace("94.7", "101")])
    with pytest.raises(RuleInputError, match="'% Graduated', value '101': impossible value: a "):
        evaluate("ma-2012", [bad])


@pytest.mark.parametrize(
    ("grades", "kind"),
    [
        ("K,01,02,03,04,05", "ES"),
        ("PK,K,01,02,03,04,05,06,07,08", "ESMS"),
        ("06,07,08", "MS"),
        ("05,06,07,08", "MS"),
        ("07,08,09,10,11,12", "MSHS"),
        ("09,10,11,12", "HS"),
        ("K,01,02,03,04,05,06,07,08,09,10,11,12", "K-12"),
        ("", None),
        ("SP", None),
    ],
)
def test_school_type_from_grades(grades: str, kind: str | None) -> None:
    assert school_type_from_grades(grades) == kind


def test_typed_frames_are_checked_as_numbers() -> None:
    frame = pd.DataFrame(
        {
            "school_id": ["A", "A", "B"],
            "year": [2019, 2019, 2019],
            "group": ["all", "swd", "all"],
            "n": [100, -3, 50],
            "index": [50.0, 40.0, float("nan")],
            "grad_rate": [150.0, float("nan"), 80.0],
            "title_i": [True, None, False],
        }
    )
    with pytest.raises(RuleInputError) as exc:
        evaluate("essa-csi", [frame])
    assert _problems(exc) == [
        "row 3, column 'n', value '-3': impossible value: a negative count",
        "row 2, column 'grad_rate', value '150.0': impossible value: a percent over 100",
    ]
    frame.loc[1, "n"], frame.loc[0, "grad_rate"] = 30, 90.0
    labels = {d.school_id: d.label for d in evaluate("essa-csi", [frame])}
    assert labels == {"A": "CSI", "B": "Not classified"}
