"""California CDE files (``ca-essa``): the 2018 assistance list and Dashboard graduation files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from turnaround.imports.readers import READERS
from turnaround.imports.tests.reader_helpers import (
    data_file,
    find,
    problems,
    row_of,
    same_rows,
    tables,
)

READER = READERS["ca-essa"]


def ca(name: str) -> Path:
    return data_file("ca-essa-2018", name)


@pytest.fixture(scope="module")
def eligibility():
    return tables(READER, ca("sch_eligibility_state_sg.csv"))


def test_the_assistance_list_reads_whole(eligibility):
    schools, determinations = eligibility["schools"], eligibility["determinations"]
    assert len(schools) == 9910 and len(determinations) == 9910
    assert schools["school_code"].str.fullmatch(r"\d{14}").all()
    assert (schools["district_code"] == schools["school_code"].str[:7]).all()
    assert (schools["state"] == "CA").all()
    assert schools["title_i"].value_counts().to_dict() == {"schoolwide": 6887, "none": 3023}
    assert determinations["label"].value_counts().to_dict() == {
        "General Assistance": 8270,
        "ATSI": 859,
        "CSI Low Perform": 481,
        "CSI Grad": 300,
    }
    assert (determinations["ruleset"] == "essa-csi").all()
    assert (determinations["year"] == 2018).all()


def test_values_match_the_file_and_latin1_names_are_decoded(eligibility):
    lone_tree = row_of(eligibility["determinations"], school_code="07616480100461")
    assert lone_tree["label"] == "ATSI"
    assert lone_tree["reasons"] == [
        "ATSI student group: African American (AA)",
        "ATSI student group: Students with disabilities (SWD)",
    ]
    assert lone_tree["inputs"] == {"title_i": False, "atsi_groups": ["AA", "SWD"], "TotStudGrps": 2}
    ninos = row_of(eligibility["schools"], school_code="19647330117846")
    assert ninos["school_name"] == "Para Los Niños Middle"
    assert ninos["district_name"] == "Los Angeles Unified"
    assert row_of(eligibility["schools"], school_code="34673480100040")["title_i"] == "schoolwide"


def test_title_i_yes_can_be_read_otherwise():
    read = tables(READER, ca("sch_eligibility_state_sg.csv"), title_i_yes="unknown")
    assert read["schools"]["title_i"].value_counts().to_dict() == {"unknown": 6887, "none": 3023}
    error = problems(READER, ca("sch_eligibility_state_sg.csv"), title_i_yes="maybe")
    assert find(error, value="maybe")


@pytest.mark.parametrize(
    ("name", "rows", "year"),
    [("graddownload2018.txt", 2505, 2018), ("graddownload2017f.txt", 1651, 2017)],
)
def test_graduation_files_give_school_profiles(name, rows, year):
    profiles = tables(READER, ca(name))["profiles"]
    assert len(profiles) == rows and (profiles["year"] == year).all()
    assert profiles["enrollment"].isna().all()
    rates = profiles["graduation_rate_4yr"]
    assert ((rates >= 0) & (rates <= 100) | rates.isna()).all()
    assert all(bool(m) == math.isnan(r) for m, r in zip(profiles["missing"], rates, strict=True))


def test_graduation_values_small_cohorts_and_alternative_schools():
    profiles = tables(READER, ca("graddownload2018.txt"))["profiles"]
    assert row_of(profiles, school_code="01100170112607")["graduation_rate_4yr"] == 92.0
    small = row_of(profiles, school_code="01612420110478")  # cohort of 4: rate not shown
    assert small["missing"] == {"graduation_rate_4yr": "below_reporting_n"}
    juvenile_hall = row_of(profiles, school_code="01100170130401")  # DASS
    assert math.isnan(juvenile_hall["graduation_rate_4yr"])
    assert juvenile_hall["missing"] == {"graduation_rate_4yr": "not_applicable"}
    reasons = [m.get("graduation_rate_4yr") for m in profiles["missing"]]
    assert reasons.count("not_applicable") == 863 and reasons.count("below_reporting_n") == 77


def test_small_chunks_give_the_same_rows():
    whole = tables(READER, ca("graddownload2017f.txt"))["profiles"]
    parts = tables(READER, ca("graddownload2017f.txt"), chunk_rows=100)["profiles"]
    assert same_rows(parts, whole)


def test_mixed_encodings_and_wrong_columns_are_refused(tmp_path):
    lines = ca("sch_eligibility_state_sg.csv").read_bytes().splitlines()[:5]
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(b"\n".join([*lines, "19647330117847,Niños,LAUSD,Los Angeles,Yes,"
                                  "General Assistance,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2018".encode()])
                      + b"\n" + "19647330117848,Niños,LAUSD,Los Angeles,Yes,General Assistance,"
                      "0,0,0,0,0,0,0,0,0,0,0,0,0,0,2018\n".encode("latin-1"))  # fmt: skip
    assert find(problems(READER, mixed), reason="mixed encodings")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    assert find(problems(READER, other), reason="wrong columns")


def test_bad_values_and_duplicates(tmp_path):
    lines = ca("sch_eligibility_state_sg.csv").read_text(encoding="latin-1").splitlines()[:5]
    lines[1] = lines[1].replace("General Assistance", "Needs Help")
    lines[2] = lines[2].replace("09618380100024", "9618380100024")
    lines.append(lines[3])
    path = tmp_path / "sch_eligibility_state_sg.csv"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    error = problems(READER, path)
    assert find(error, row=2, column="AssistanceStatus", value="Needs Help")
    assert find(error, row=3, column="CDS", value="9618380100024", reason="14 digits")
    assert find(error, row=6, column="CDS", reason="duplicate key")
