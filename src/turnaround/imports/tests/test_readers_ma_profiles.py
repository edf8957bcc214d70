"""The DESE 2017 school profiles (``ma-profiles``): schools, profiles, results, determinations."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
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

READER = READERS["ma-profiles"]


@pytest.fixture(scope="module")
def profiles_file() -> Path:
    return data_file("ma-profiles-2017", "MA_Public_Schools_2017.csv")


@pytest.fixture(scope="module")
def read(profiles_file) -> dict[str, pd.DataFrame]:
    return tables(READER, profiles_file)


def small_copy(profiles_file: Path, tmp_path: Path, rows: int = 6) -> tuple[Path, list[list[str]]]:
    """The header and the first ``rows`` school rows of the real file, as cells to edit."""
    with profiles_file.open(encoding="utf-8", newline="") as handle:
        lines = [row for _, row in zip(range(rows + 1), csv.reader(handle), strict=False)]
    return tmp_path / "MA_Public_Schools_2017.csv", lines


def write(path: Path, lines: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(lines)
    return path


def test_counts_of_the_real_file(read):
    assert list(read) == ["schools", "profiles", "results", "determinations"]
    assert len(read["schools"]) == 1861
    assert len(read["profiles"]) == 1861
    assert len(read["results"]) == 3072
    assert len(read["determinations"]) == 1836  # 25 schools have no published level
    assert read["schools"]["school_code"].is_unique


def test_a_school_directory_row(read):
    abington = row_of(read["schools"], school_code="00010505")
    assert abington["state"] == "MA" and abington["district_code"] == "00010000"
    assert abington["school_name"] == "Abington High" and abington["district_name"] == "Abington"
    assert (abington["grade_low"], abington["grade_high"], abington["school_type"]) == (
        "09", "12", "HS",
    )  # fmt: skip
    assert abington["zip_code"] == "02351"  # the file's "2351", its leading zero restored
    assert abington["title_i"] == "unknown" and not abington["is_charter"]
    assert abington["_row"] == 2
    charters = read["schools"][read["schools"]["is_charter"]]
    assert len(charters) > 50 and charters["school_code"].str[:2].isin(["04", "35"]).all()


def test_a_profile_row_recomputes_the_low_income_share(read):
    abington = row_of(read["profiles"], school_code="00010505")
    assert abington["year"] == 2017 and abington["enrollment"] == 452
    assert abington["pct_econ_disadv"] == pytest.approx(round(100 * 97 / 452, 1))
    assert abington["pct_high_needs"] == 28.8
    assert (abington["graduation_rate_4yr"], abington["dropout_rate"]) == (94.7, 3.5)
    assert abington["missing"] == {}
    elementary = row_of(read["profiles"], school_code="00010003")
    assert math.isnan(elementary["graduation_rate_4yr"])
    assert elementary["missing"]["graduation_rate_4yr"] == "not_applicable"
    empty = row_of(read["profiles"], school_code="03700012")  # no enrolment, no low-income count
    assert empty["missing"]["pct_econ_disadv"] == "missing"


def test_results_by_grade_and_subject(read):
    results = read["results"]
    assert set(results["subject"]) == {"ELA", "MATH"}
    assert set(results["grade"]) == {"03", "04", "05", "06", "07", "08", "10"}
    math10 = row_of(results, school_code="00010505", subject="MATH", grade="10")
    assert math10["n_tested"] == 125 and math10["composite_index"] == 94.2
    assert math10["pct_level_4"] == 58.0 and math10["year"] == 2017
    grade3 = results[results["grade"] == "03"]
    assert grade3["median_sgp"].isna().all()
    assert all(m["median_sgp"] == "not_applicable" for m in grade3["missing"])
    small = row_of(results, school_code="06320025", subject="MATH", grade="04")
    assert math.isnan(small["median_sgp"]) and small["sgp_n"] == 18
    assert small["missing"]["median_sgp"] == "below_reporting_n"


def test_published_determinations(read):
    determinations = read["determinations"]
    assert (determinations["ruleset"] == "ma-2012").all()
    brighton = row_of(determinations, school_code="00350505")
    assert (brighton["label"], brighton["level"], brighton["percentile"]) == ("Level 4", 4, 2)
    assert brighton["ppi_all"] == 48.0
    assert brighton["reasons"] == ["Among lowest achieving and least improving schools"]
    dorchester = row_of(determinations, school_code="00350651")
    assert dorchester["percentile"] is None and math.isnan(dorchester["ppi_all"])
    counts = determinations["label"].value_counts()
    assert counts["Level 4"] == 31 and counts["Level 5"] == 4
    assert counts["Insufficient data"] == 232
    assert determinations.loc[determinations["label"] == "Insufficient data", "level"].isna().all()


def test_small_chunks_give_the_same_rows(profiles_file, read):
    parts = chunks(READER, profiles_file, chunk_rows=500)
    results = pd.concat([c.frame for c in parts if c.target == "results"], ignore_index=True)
    assert same_rows(results, read["results"])
    assert [c.target for c in parts][:4] == ["schools"] * 4  # schools first, 4 chunks of ≤ 500


def test_year_option_and_targets_option(profiles_file):
    read = tables(READER, profiles_file, year=2016, targets=["determinations"])
    assert list(read) == ["determinations"]
    assert (read["determinations"]["year"] == 2016).all()


def test_bad_values_in_a_copy(profiles_file, tmp_path):
    path, lines = small_copy(profiles_file, tmp_path)
    header = lines[0]
    lines[1][header.index("% High Needs")] = "128.8"
    lines[1][header.index("TOTAL_Enrollment")] = "many"
    lines[2][header.index("School Code")] = "10003"  # leading zeros lost
    lines.append(lines[3])  # a duplicate school
    error = problems(READER, write(path, lines))
    assert find(error, row=2, column="% High Needs", value="128.8", reason="percent over 100")
    assert find(error, row=2, column="TOTAL_Enrollment", value="many", reason="not a number")
    assert find(error, row=3, column="School Code", value="10003", reason="8 digits")
    assert find(error, row=8, column="School Code", reason="duplicate key")


def test_wrong_columns_and_empty_body(profiles_file, tmp_path):
    path, lines = small_copy(profiles_file, tmp_path)
    lines[0] = [c.replace("School Accountability Percentile (1-99)", "Pctl") for c in lines[0]]
    assert find(problems(READER, write(path, lines)), reason="required column missing")
    assert find(problems(READER, write(path, lines[:1])), reason="no data rows")


def test_a_file_of_another_state_is_refused(profiles_file):
    error = problems(READER, profiles_file, state="CA")
    assert error.total == 1 and "MA data" in str(error)
