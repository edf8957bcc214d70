"""The results template reader on its own (pure: no database): good files in CSV and XLSX,
every kind of bad input reported with row, column, value and reason, markers turned into missing
values with a reason, streaming in chunks, and the downloadable template."""

from __future__ import annotations

import io
import math
import tracemalloc

import pytest
from openpyxl import Workbook, load_workbook

from turnaround.imports.readers import READERS
from turnaround.imports.readers.template import (
    COLUMN_NAMES,
    ResultsTemplateReader,
    marker_reason,
    template_csv,
    template_xlsx,
)
from turnaround.imports.targets import TARGETS, ImportInvalid
from turnaround.imports.tests.conftest import GOOD_ROWS, HEADER, csv_text

READER = ResultsTemplateReader()


def read_all(path, chunk_rows=50_000, progress=None, **options):
    kwargs = {"options": options, "chunk_rows": chunk_rows}
    if progress is not None:
        kwargs["progress"] = progress
    return list(READER.read(path, **kwargs))


def problems_of(path, **options):
    with pytest.raises(ImportInvalid) as info:
        read_all(path, **options)
    return info.value


def test_registered_under_its_key():
    assert READERS["results-template"].targets == ("results",)


def test_a_good_file_becomes_results_rows(write):
    chunks = read_all(write(csv_text(*GOOD_ROWS)))
    assert len(chunks) == 1 and chunks[0].target == "results"
    frame = chunks[0].frame
    assert set(frame.columns) == {"_row", *TARGETS["results"].columns}
    assert frame["_row"].tolist() == [2, 3, 4, 5, 6]
    assert frame["school_code"].tolist()[:2] == ["00350001", "00350001"]  # zeros kept
    first = frame.iloc[0]
    assert (first["year"], first["subject"], first["grade"], first["group"]) == (
        2018,
        "ELA",
        "ALL",
        "all",
    )
    assert first["pct_level_4"] == 10.5 and first["median_sgp"] == 48.0
    assert first["missing"] == {"mean_scale_score": "missing"}


def test_markers_become_missing_with_a_reason_never_zero(write):
    frame = read_all(write(csv_text(*GOOD_ROWS)))[0].frame
    el = frame.iloc[2]  # 00350001 ELA el: *, *, …, N/A, <10
    for column in ("n_tested", "pct_level_4", "composite_index", "median_sgp", "sgp_n"):
        assert math.isnan(el[column]), column
    assert el["missing"] == {
        "n_tested": "suppressed",
        "pct_level_4": "suppressed",
        "pct_level_3": "suppressed",
        "pct_level_2": "suppressed",
        "pct_level_1": "suppressed",
        "composite_index": "suppressed",
        "mean_scale_score": "missing",
        "median_sgp": "not_applicable",
        "sgp_n": "below_reporting_n",
    }


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("", "missing"),
        ("*", "suppressed"),
        ("***", "suppressed"),
        ("--", "suppressed"),
        ("<10", "below_reporting_n"),
        ("n<20", "below_reporting_n"),
        ("N/A", "not_applicable"),
        ("0", None),
        ("12.5", None),
    ],
)
def test_marker_reasons(cell, reason):
    assert marker_reason(cell) == reason


def test_codes_are_normalised(write):
    row = "00350001,2018,ela,5,EL,10,,,,,,,,"
    frame = read_all(write(csv_text(row)))[0].frame
    assert frame.iloc[0][["subject", "grade", "group"]].tolist() == ["ELA", "05", "el"]


def test_wrong_columns_are_reported_and_nothing_is_read(write):
    header = HEADER.replace("n_tested", "students").replace("group,", "")
    error = problems_of(write(csv_text("00350001,2018,ELA,ALL,120", header=header)))
    reasons = {(i.row, i.column): i.reason for i in error.issues}
    assert reasons[(1, "students")].startswith("unknown column; the template's columns are")
    assert reasons[(1, "group")] == "required column missing"


def test_repeated_and_blank_header_names(write):
    error = problems_of(write(csv_text("1,2,3", header="school_code,,school_code")))
    reasons = [(i.row, i.column, i.reason) for i in error.issues]
    assert (1, "school_code", "the column appears twice in the header") in reasons
    assert (1, None, "header field 2 is blank") in reasons


def test_wrong_types_and_impossible_values_name_row_column_value(write):
    rows = (
        "00350001,2018,ELA,ALL,all,many,10,40,30,20,,,,",  # not a number
        "00350001,2018,MATH,ALL,all,-3,10,40,30,20,,,,",  # negative count
        "00350001,2018,SCI,ALL,all,10,101,0,0,0,,,,",  # percent over 100
        "00350001,2018,ELA,04,all,10,60,50,,,,,,",  # fine alone
        "00350001,2018,ELA,05,all,10,60,50,10,10,,,,",  # levels add up to 130
        "00350001,17,HIST,13,kids,10.5,,,,,120,,0,",  # year, subject, grade, group, n, cpi, sgp
    )
    error = problems_of(write(csv_text(*rows)))
    found = {(i.row, i.column, i.value, i.reason) for i in error.issues}
    assert (2, "n_tested", "many", "not a number") in found
    assert (3, "n_tested", "-3", "impossible value: a negative count") in found
    assert (4, "pct_level_4", "101", "impossible value: a percent over 100") in found
    assert any(r == 6 and "add up to more than 100" in reason for r, _, _, reason in found)
    assert {c for r, c, _, _ in found if r == 7} == {
        "year",
        "subject",
        "grade",
        "group",
        "n_tested",
        "composite_index",
        "median_sgp",
    }
    assert not any(r == 5 for r, *_ in found)
    assert error.total == len(error.issues)


def test_the_year_comes_from_the_option_when_the_file_has_no_year_column(write):
    header = HEADER.replace("year,", "")
    path = write(csv_text("00350001,ELA,ALL,all,120,10,40,30,20,,,,", header=header))
    assert read_all(path, year=2019)[0].frame["year"].tolist() == [2019]
    error = problems_of(path)
    assert [(i.column, i.reason) for i in error.issues] == [("year", "required column missing")]


def test_a_row_of_another_year_than_the_option_is_refused(write):
    error = problems_of(write(csv_text(*GOOD_ROWS)), year=2019)
    assert error.total == len(GOOD_ROWS)
    assert error.issues[0].reason.startswith("this import is for 2019")


def test_rows_with_the_wrong_number_of_fields(write):
    error = problems_of(write(csv_text("00350001,2018,ELA,ALL,all", GOOD_ROWS[0])))
    assert [(i.row, i.reason) for i in error.issues] == [(2, "5 fields where the header has 14")]


def test_an_empty_file_and_a_header_without_rows(write):
    assert problems_of(write("")).issues[0].reason == "the file is empty"
    assert problems_of(write("  \n\n")).issues[0].reason == "the file is empty"
    error = problems_of(write(HEADER + "\n\n"))
    assert error.issues[0].reason == "the file has a header but no data rows"


def test_latin1_is_read_and_mixed_encodings_are_refused(write):
    latin = csv_text(GOOD_ROWS[0]).replace("00350001", "0035Ä001").encode("latin-1")
    error = problems_of(write(latin))  # read as Latin-1: the code is then wrong, not undecodable
    assert error.issues[0].reason == "a school code is 1–20 letters, digits or dashes"
    mixed = csv_text(GOOD_ROWS[0]).encode("utf-8") + "Zoë\n".encode() + "Zoë\n".encode("latin-1")
    error = problems_of(write(mixed))
    assert error.issues[0].reason.startswith("mixed encodings: line 3 is UTF-8 but line 4 is not")


def test_binary_and_workbooks_named_csv_are_refused(write):
    assert "UTF-16" in problems_of(write("a,b\n".encode("utf-16"))).issues[0].reason
    assert "Excel workbook" in problems_of(write(template_xlsx())).issues[0].reason


def test_a_byte_order_mark_and_tabs(write):
    text = csv_text(*GOOD_ROWS).replace(",", "\t")
    chunks = read_all(write(b"\xef\xbb\xbf" + text.encode("utf-8"), "results.txt"))
    assert len(chunks[0].frame) == len(GOOD_ROWS)


def test_streams_in_chunks_of_at_most_chunk_rows(write):
    rows = [f"00350001,2018,ELA,{g:02d},all,10,,,,,,,," for g in range(3, 13)]
    chunks = read_all(write(csv_text(*rows)), chunk_rows=3)
    assert [len(c.frame) for c in chunks] == [3, 3, 3, 1]
    assert [r for c in chunks for r in c.frame["_row"]] == list(range(2, 12))


def test_bad_rows_are_left_out_of_chunks_and_reported_at_the_end(write):
    rows = ["00350001,2018,ELA,03,all,10,,,,,,,,", "00350001,2018,ELA,04,all,-1,,,,,,,,"]
    seen = []

    def consume():
        for chunk in READER.read(write(csv_text(*rows)), options={}, chunk_rows=1):
            seen.append(chunk.frame["_row"].tolist())

    with pytest.raises(ImportInvalid):
        consume()
    assert seen == [[2]]


def _peak(path, chunk_rows):
    tracemalloc.start()
    count = 0
    try:
        for chunk in READER.read(path, options={}, chunk_rows=chunk_rows):
            count += len(chunk.frame)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_bounded_by_the_chunk(write):
    """Four times the rows, the same peak: memory follows the chunk, not the file."""
    peaks = {}
    for n in (2_000, 8_000):
        rows = [f"0035{i:04d},2018,ELA,ALL,all,10,25,25,25,25,70,,50,10" for i in range(n)]
        count, peaks[n] = _peak(write(csv_text(*rows), f"rows-{n}.csv"), chunk_rows=200)
        assert count == n
    assert peaks[8_000] < 1.25 * peaks[2_000]


def test_progress_is_reported(write):
    calls = []
    read_all(write(csv_text(*GOOD_ROWS)), progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1][0] == calls[-1][1] > 0


def test_xlsx_files_are_read_and_numeric_codes_refused(write):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMN_NAMES))
    sheet.append(["00350001", 2018, "ELA", "ALL", "all", 120, 10.5, 40, 30, 19.5, 75.2, None, 48])
    sheet.append([350002, 2018, "MATH", "ALL", "all", 100, 10, 40, 30, 20, 70, None, "N/A", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = write(buffer.getvalue(), "results.xlsx")
    error = problems_of(path)
    assert [(i.row, i.column, i.value) for i in error.issues] == [(3, "school_code", "350002")]
    assert "stored as a number" in error.issues[0].reason


def test_the_downloadable_template_reads_back(write):
    chunks = read_all(write(template_xlsx(), "template.xlsx"))
    frame = chunks[0].frame
    assert frame["school_code"].tolist() == ["00010505", "00010505"]
    assert frame.iloc[1]["missing"]["n_tested"] == "below_reporting_n"
    guide = load_workbook(io.BytesIO(template_xlsx()))["columns"]
    assert [c.value for c in guide[1]] == ["column", "required", "content"]
    assert read_all(write(template_csv(), "template.csv"))[0].frame.shape[0] == 2
