"""The DESE MCAS Excel exports (``ma-mcas``): the 24 real files, and workbooks made here."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest

from turnaround.imports.readers import READERS
from turnaround.imports.tests.reader_helpers import (
    chunks,
    data_file,
    find,
    problems,
    row_of,
    same_rows,
    tables,
)

READER = READERS["ma-mcas"]
HEADER = [
    "School Name", "School Code", "Subject", "P+A #", "P+A %", "A #", "A %", "P #", "P %",
    "NI #", "NI %", "W/F #", "W/F %", "No. of Students Included", "CPI", "Median SGP",
    "Included In Median SGP",
]  # fmt: skip
#: Rows per file as read: every school row (state-total rows skipped).
EXPECTED_ROWS = {
    "2007-6": 1130, "2007-7": 928, "2007-8": 1385, "2008-6": 1130, "2008-7": 929,
    "2008-8": 1389, "2009-6": 1130, "2009-7": 932, "2009-8": 1392, "2010-6": 1123,
    "2010-7": 941, "2010-8": 1390, "2011-6": 1112, "2011-7": 938, "2011-8": 1404,
    "2012-6": 1110, "2012-7": 946, "2012-8": 1412, "2013-6": 1108, "2013-7": 935,
    "2013-8": 1395, "2014-6": 1092, "2014-7": 932, "2014-8": 1372,
}  # fmt: skip
ABBY = "04450105"  # Abby Kelley Foster Charter Public School


def mcas(name: str) -> Path:
    return data_file("ma-mcas-2007-2014", f"mcas_{name}.xlsx")


def workbook(tmp_path: Path, rows: list[list[object]], name: str = "mcas_2012-7.xlsx") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "MCAS Achievement Results"
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def good_rows() -> list[list[object]]:
    return [
        ["2012 MCAS Achievement Results"],
        HEADER,
        ["Boston - Adams", "00350001", "ENGLISH LANGUAGE ARTS", 61, 51, 1, 1, 60, 50, 55, 45, 5,
         4, 121, "  81.6", "  49.0", 118],
        ["Boston - Adams", "00350001", "MATHEMATICS", 41, 34, 13, 11, 28, 23, 45, 37, 35, 29, 121,
         "  64.0", " ", 15],
        ["Boston - Burke", "00350002", "ENGLISH LANGUAGE ARTS", "*", "*", "*", "*", "*", "*", "*",
         "*", "*", "*", "<10", "*", "", ""],
        ["State Totals - State Totals", "00000000", "MATHEMATICS", 38461, 52, 14896, 20, 23565,
         32, 20133, 28, 14295, 20, 72889, "  75.5", "  50.0", 65000],
    ]  # fmt: skip


# --- the real files ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED_ROWS))
def test_every_real_file_reads(name):
    results = tables(READER, mcas(name))["results"]
    year, grade = name.split("-")
    assert len(results) == EXPECTED_ROWS[name]
    assert (results["year"] == int(year)).all()
    assert (results["grade"] == f"{int(grade):02d}").all()
    assert set(results["subject"]) == ({"ELA", "MATH", "SCI"} if grade == "8" else {"ELA", "MATH"})
    assert not (results["school_code"] == "00000000").any()
    assert results["school_code"].str.fullmatch(r"\d{8}").all()
    assert results["_row"].min() == 3  # the title is row 1, the header row 2


def test_real_values_match_the_file():
    results = tables(READER, mcas("2008-6"))["results"]
    ela = row_of(results, school_code=ABBY, subject="ELA")
    # Abby Kelley Foster, 2008 grade 6 ELA: 142 students, A 10 %, P 52 %, NI 35 %, W/F 4 %,
    # CPI 86.3, median SGP 49 of 132 students
    assert ela["n_tested"] == 142
    assert (ela["pct_level_4"], ela["pct_level_3"], ela["pct_level_2"], ela["pct_level_1"]) == (
        10.0, 52.0, 35.0, 4.0,
    )  # fmt: skip
    assert ela["composite_index"] == pytest.approx(86.3)
    assert (ela["median_sgp"], ela["sgp_n"]) == (49.0, 132)
    assert ela["missing"] == {}
    assert ela["group"] == "all" and ela["_row"] == 3


def test_before_growth_percentiles_sgp_is_not_applicable_never_zero():
    read = chunks(READER, mcas("2007-6"))
    results = read[0].frame
    abby = row_of(results, school_code=ABBY, subject="ELA")
    assert math.isnan(abby["median_sgp"]) and abby["sgp_n"] is None
    assert abby["missing"] == {"median_sgp": "not_applicable", "sgp_n": "not_applicable"}
    assert any("2008" in note for note in read[0].notes)


def test_science_has_no_sgp_and_small_groups_are_below_reporting_n():
    results = tables(READER, mcas("2014-8"))["results"]
    science = results[results["subject"] == "SCI"]
    assert science["median_sgp"].isna().all()
    assert all(m.get("median_sgp") == "not_applicable" for m in science["missing"])
    blanked = results[[m.get("median_sgp") == "below_reporting_n" for m in results["missing"]]]
    assert len(blanked) > 0
    assert blanked["sgp_n"].map(lambda n: n is not None and n < 20).all()


def test_small_chunks_give_the_same_rows_and_progress_is_reported():
    whole = tables(READER, mcas("2013-7"))["results"]
    calls: list[tuple[int, int]] = []
    parts = chunks(
        READER, mcas("2013-7"), chunk_rows=100, progress=lambda d, t: calls.append((d, t))
    )
    assert len(parts) == math.ceil(len(whole) / 100)
    import pandas as pd

    assert same_rows(pd.concat([c.frame for c in parts], ignore_index=True), whole)
    assert calls[0] == (0, len(whole)) and calls[-1] == (len(whole), len(whole))


# --- workbooks made here -----------------------------------------------------------------------


def test_markers_become_missing_with_a_reason(tmp_path):
    read = chunks(READER, workbook(tmp_path, good_rows()))
    results = read[0].frame
    assert len(results) == 3  # the state total is skipped
    assert any("total" in n for n in read[0].notes)
    math_row = row_of(results, school_code="00350001", subject="MATH")
    assert math.isnan(math_row["median_sgp"]) and math_row["sgp_n"] == 15
    assert math_row["missing"] == {"median_sgp": "below_reporting_n"}
    burke = row_of(results, school_code="00350002")
    assert burke["n_tested"] is None and math.isnan(burke["pct_level_4"])
    assert burke["missing"]["n_tested"] == "below_reporting_n"
    assert burke["missing"]["pct_level_4"] == "suppressed"
    assert burke["missing"]["median_sgp"] == "missing"
    assert (results["year"] == 2012).all() and (results["grade"] == "07").all()


def test_the_header_is_found_below_several_title_rows(tmp_path):
    rows = [["Massachusetts"], [], ["2012 MCAS Achievement Results"], *good_rows()[1:]]
    results = tables(READER, workbook(tmp_path, rows))["results"]
    assert results["_row"].min() == 5


def test_a_header_on_the_first_row_with_year_and_grade_as_options(tmp_path):
    path = workbook(tmp_path, good_rows()[1:], name="export.xlsx")
    error = problems(READER, path)
    assert find(error, reason="cannot tell the year")
    assert find(error, reason="cannot tell the tested grade")
    results = tables(READER, path, year=2012, grade="7")["results"]
    assert results["_row"].min() == 2
    assert (results["grade"] == "07").all() and (results["year"] == 2012).all()


def test_an_option_that_contradicts_the_file_is_a_problem(tmp_path):
    error = problems(READER, workbook(tmp_path, good_rows()), year=2013)
    assert find(error, reason="differs from the file's year 2012")


def test_bad_values_are_reported_with_row_column_and_value(tmp_path):
    rows = good_rows()
    rows[2][6] = 120  # A %
    rows[3][13] = -4  # students included
    rows[3][14] = "high"  # CPI
    rows[4][2] = "HISTORY"
    error = problems(READER, workbook(tmp_path, rows))
    assert find(error, row=3, column="A %", value="120", reason="percent over 100")
    assert find(error, row=4, column="No. of Students Included", value="-4", reason="negative")
    assert find(error, row=4, column="CPI", value="high", reason="not a number")
    assert find(error, row=5, column="Subject", value="HISTORY", reason="unknown subject")


def test_duplicate_school_and_subject_is_a_problem(tmp_path):
    rows = good_rows()
    rows.insert(4, list(rows[2]))
    error = problems(READER, workbook(tmp_path, rows))
    (issue,) = find(error, column="School Code", reason="duplicate key")
    assert issue.row == 5 and "row 3" in issue.reason


def test_wrong_columns_empty_body_and_not_a_workbook(tmp_path):
    rows = good_rows()
    rows[1] = [c if c != "CPI" else "Composite" for c in rows[1]]
    assert find(problems(READER, workbook(tmp_path, rows)), column="CPI", reason="missing")
    empty = workbook(tmp_path, good_rows()[:2], name="mcas_2012-6.xlsx")
    assert find(problems(READER, empty), reason="no data rows")
    no_header = workbook(tmp_path, [["just a title"], ["a", "b"]], name="mcas_2012-8.xlsx")
    assert find(problems(READER, no_header), reason="no header row")
    fake = tmp_path / "mcas_2012-5.xlsx"
    fake.write_text("School Code,Subject\n")
    assert find(problems(READER, fake), reason="not an Excel workbook")


def test_a_file_of_another_state_is_refused_at_once(tmp_path):
    error = problems(READER, workbook(tmp_path, good_rows()), state="TX")
    assert error.total == 1 and "MA data" in error.issues[0].reason
