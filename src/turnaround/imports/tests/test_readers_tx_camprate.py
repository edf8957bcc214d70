"""TEA campus ratings (``tx-camprate``): CAMPRATE_2018.csv and CAMPRATE_2019.csv."""

from __future__ import annotations

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

READER = READERS["tx-camprate"]


def camprate(year: int) -> Path:
    return data_file("tx-ratings-2018-2019", f"CAMPRATE_{year}.csv")


@pytest.mark.parametrize(("year", "campuses"), [(2018, 8759), (2019, 8838)])
def test_both_years_read_whole(year, campuses):
    read = tables(READER, camprate(year))
    assert list(read) == ["schools", "determinations"]
    assert len(read["schools"]) == campuses and len(read["determinations"]) == campuses
    assert (read["schools"]["state"] == "TX").all()
    assert read["schools"]["school_code"].str.fullmatch(r"\d{9}").all()
    assert (read["schools"]["school_code"].str[:6] == read["schools"]["district_code"]).all()
    assert (read["determinations"]["ruleset"] == "tx-a-f").all()
    assert (read["determinations"]["year"] == year).all()


def test_2018_values_match_the_file():
    read = tables(READER, camprate(2018))
    cayuga = row_of(read["schools"], school_code="001902001")
    assert cayuga["school_name"] == "CAYUGA H S" and cayuga["district_name"] == "CAYUGA ISD"
    assert (cayuga["grade_low"], cayuga["grade_high"], cayuga["school_type"]) == ("09", "12", "HS")
    elkhart = row_of(read["schools"], school_code="001903101")  # EE - 02
    assert (elkhart["grade_low"], elkhart["grade_high"]) == ("PK", "02")
    rated = row_of(read["determinations"], school_code="001902001")
    assert rated["label"] == "Met Standard"
    assert rated["inputs"] == {"score": 87.0, "published_count": None, "alternative": False}
    harvey = row_of(read["determinations"], school_code="021803102")
    assert harvey["label"] == "Not Rated: Harvey Provision"
    assert harvey["reasons"] == ["Harvey Provision"]
    labels = read["determinations"]["label"].value_counts()
    assert labels["Met Standard"] == 7607 and labels["Improvement Required"] == 339


def test_2019_dots_are_missing_never_zero():
    read = chunks(READER, camprate(2019))
    determinations = pd.concat([c.frame for c in read if c.target == "determinations"])
    daep = row_of(determinations, school_code="001903002")
    assert daep["label"] == "Not Rated"
    assert daep["inputs"]["score"] is None and daep["inputs"]["published_count"] is None
    evant = row_of(determinations, school_code="050901101")
    assert evant["label"] == "F" and evant["inputs"]["published_count"] == 4
    assert evant["inputs"]["C_APPEAL_DECISION"] is None
    gervin = row_of(determinations, school_code="015802001")
    assert gervin["label"] == "Data Integrity Issues"
    assert any("CDALLS" in note for c in read for note in c.notes)
    charters = pd.concat([c.frame for c in read if c.target == "schools"])
    assert charters["is_charter"].sum() == 747


def test_small_chunks_give_the_same_rows():
    whole = tables(READER, camprate(2019))
    parts = tables(READER, camprate(2019), chunk_rows=1000)
    assert same_rows(parts["schools"], whole["schools"])
    assert same_rows(parts["determinations"], whole["determinations"])


def test_the_year_comes_from_the_name_or_the_option(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_bytes(camprate(2019).read_bytes()[:3000].rsplit(b"\n", 1)[0] + b"\n")
    assert find(problems(READER, path), reason="cannot tell the year")
    read = tables(READER, path, year=2019)
    assert (read["determinations"]["year"] == 2019).all()


def test_bad_values_and_duplicates(tmp_path):
    lines = camprate(2019).read_text(encoding="utf-8").splitlines()[:6]
    lines[1] = lines[1].replace('"A",', '"Excellent",', 1)
    lines[2] = lines[2].replace('"001902041"', '"1902041"', 1)
    lines[3] = lines[3].replace(",91,", ",191,", 1)
    lines.append(lines[4])
    path = tmp_path / "CAMPRATE_2019.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    error = problems(READER, path)
    assert find(error, row=2, column="C_RATING", value="Excellent", reason="unknown rating")
    assert find(error, row=3, column="CAMPUS", value="1902041", reason="9 digits")
    assert find(error, row=4, column="CDALLS", value="191", reason="above 100")
    assert find(error, row=7, column="CAMPUS", reason="duplicate key")


def test_wrong_columns_and_an_empty_file(tmp_path):
    path = tmp_path / "CAMPRATE_2019.csv"
    path.write_text('CAMPUS,NAME\n"001902001",X\n', encoding="utf-8")
    error = problems(READER, path)
    assert find(error, column="CDALLS", reason="required column missing")
    path.write_text("", encoding="utf-8")
    assert find(problems(READER, path), reason="empty")
