"""The NCES CCD school directory (``nces-ccd``), on a fixture in the published layout.

The layout is the CCD school directory file (``ccd_sch_029_2223_w_1a_….csv``): the 65 columns
listed in NCES's SPSS reading program for the 2022-23 directory, in that order. The rows are
illustrative (made up for the test) but shaped like published ones: ``NCESSCH`` = ``LEAID`` +
5 digits, ``ST_SCHID`` = ``ST_LEAID`` + ``-`` + the state school id (``WI-3269-0440``,
``MA-0035-00350012`` as published), text status and type columns.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from turnaround.imports.readers import READERS
from turnaround.imports.readers.nces_ccd import state_codes, title_i_status
from turnaround.imports.tests.reader_helpers import (
    chunks,
    find,
    problems,
    row_of,
    same_rows,
    tables,
)

READER = READERS["nces-ccd"]
COLUMNS = [
    "SCHOOL_YEAR", "FIPST", "STATENAME", "ST", "SCH_NAME", "LEA_NAME", "STATE_AGENCY_NO", "UNION",
    "ST_LEAID", "LEAID", "ST_SCHID", "NCESSCH", "SCHID", "MSTREET1", "MSTREET2", "MSTREET3",
    "MCITY", "MSTATE", "MZIP", "MZIP4", "LSTREET1", "LSTREET2", "LSTREET3", "LCITY", "LSTATE",
    "LZIP", "LZIP4", "PHONE", "WEBSITE", "SY_STATUS", "SY_STATUS_TEXT", "UPDATED_STATUS",
    "UPDATED_STATUS_TEXT", "EFFECTIVE_DATE", "SCH_TYPE_TEXT", "SCH_TYPE", "RECON_STATUS",
    "OUT_OF_STATE_FLAG", "CHARTER_TEXT", "CHARTAUTH1", "CHARTAUTHN1", "CHARTAUTH2",
    "CHARTAUTHN2", "NOGRADES", "G_PK_OFFERED", "G_KG_OFFERED", "G_1_OFFERED", "G_2_OFFERED",
    "G_3_OFFERED", "G_4_OFFERED", "G_5_OFFERED", "G_6_OFFERED", "G_7_OFFERED", "G_8_OFFERED",
    "G_9_OFFERED", "G_10_OFFERED", "G_11_OFFERED", "G_12_OFFERED", "G_13_OFFERED",
    "G_UG_OFFERED", "G_AE_OFFERED", "GSLO", "GSHI", "LEVEL", "IGOFFERED",
]  # fmt: skip
GRADES = ["PK", "KG", *(str(g) for g in range(1, 14))]


def school(**values: str) -> dict[str, str]:
    """A directory row: an open regular school unless told otherwise."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        SCHOOL_YEAR="2022-2023", SY_STATUS="1", SY_STATUS_TEXT="Open", UPDATED_STATUS="1",
        UPDATED_STATUS_TEXT="Open", EFFECTIVE_DATE="07/01/2022", SCH_TYPE_TEXT="Regular School",
        SCH_TYPE="1", RECON_STATUS="No", OUT_OF_STATE_FLAG="No", CHARTER_TEXT="No",
        NOGRADES="No", IGOFFERED="As reported", UNION="N", STATE_AGENCY_NO="01",
    )  # fmt: skip
    row.update(values)
    row["SCHID"] = row["FIPST"] + row["NCESSCH"][-5:]
    row["MSTREET1"], row["MCITY"], row["MZIP"] = row["LSTREET1"], row["LCITY"], row["LZIP"]
    row["MSTATE"] = row["LSTATE"] = row["ST"]
    low, high = row["GSLO"], row["GSHI"]
    if low in GRADES_CODES and high in GRADES_CODES:
        span = GRADES[GRADES_CODES.index(low) : GRADES_CODES.index(high) + 1]
        for grade in GRADES:
            row[f"G_{grade}_OFFERED"] = "Yes" if grade in span else "No"
    return row


GRADES_CODES = ["PK", "KG", *(f"{g:02d}" for g in range(1, 14))]
ROWS = [
    school(FIPST="25", STATENAME="MASSACHUSETTS", ST="MA", SCH_NAME="Abington High",
           LEA_NAME="Abington", ST_LEAID="MA-0001", LEAID="2501710", ST_SCHID="MA-0001-00010505",
           NCESSCH="250171000011", LSTREET1="201 Gliniewicz Way", LCITY="Abington",
           LZIP="02351", PHONE="(781)982-2160", GSLO="09", GSHI="12", LEVEL="High"),
    school(FIPST="25", STATENAME="MASSACHUSETTS", ST="MA",
           SCH_NAME="Abby Kelley Foster Charter Public School",
           LEA_NAME="Abby Kelley Foster Charter Public (District)", ST_LEAID="MA-0445",
           LEAID="2500044", ST_SCHID="MA-0445-04450105", NCESSCH="250004400551",
           LSTREET1="10 New Bond Street", LCITY="Worcester", LZIP="01606", CHARTER_TEXT="Yes",
           CHARTAUTH1="MA-DESE", CHARTAUTHN1="Board of Elementary and Secondary Education",
           GSLO="KG", GSHI="12", LEVEL="Other"),
    school(FIPST="06", STATENAME="CALIFORNIA", ST="CA", SCH_NAME="Escuela Niños Elementary",
           LEA_NAME="Oakland Unified", ST_LEAID="CA-0161259", LEAID="0628050",
           ST_SCHID="CA-0161259-6001788", NCESSCH="062805004716",
           LSTREET1="2111 International Blvd.", LSTREET2="Suite 3", LCITY="Oakland",
           LZIP="94606", GSLO="KG", GSHI="05",
           LEVEL="Elementary", TITLEI_STATUS_TEXT="Title I schoolwide school"),
    school(FIPST="48", STATENAME="TEXAS", ST="TX", SCH_NAME="CAYUGA H S", LEA_NAME="CAYUGA ISD",
           ST_LEAID="TX-001902", LEAID="4812450", ST_SCHID="TX-001902-001902001",
           NCESSCH="481245000823", LSTREET1="17750 N US Hwy 287", LCITY="Tennessee Colony",
           LZIP="75861", GSLO="09", GSHI="12", LEVEL="High",
           TITLEI_STATUS_TEXT="Title I schoolwide eligible- Title I targeted assistance program"),
    school(FIPST="48", STATENAME="TEXAS", ST="TX", SCH_NAME="ELKHART DAEP", LEA_NAME="ELKHART ISD",
           ST_LEAID="TX-001903", LEAID="4817880", ST_SCHID="TX-001903-001903002",
           NCESSCH="481788005533", LSTREET1="301 E Parker St", LCITY="Elkhart", LZIP="75839",
           SCH_TYPE_TEXT="Alternative Education School", SCH_TYPE="4", GSLO="N", GSHI="N",
           LEVEL="Not applicable", TITLEI_STATUS_TEXT="Not a Title I school"),
    school(FIPST="55", STATENAME="WISCONSIN", ST="WI", SCH_NAME="Lincoln Elementary",
           LEA_NAME="Wausau School District", ST_LEAID="WI-3269", LEAID="5508520",
           ST_SCHID="WI-3269-0440", NCESSCH="550852000373", LSTREET1="720 S 6th Ave",
           LCITY="Wausau", LZIP="54401", UPDATED_STATUS="2", UPDATED_STATUS_TEXT="Closed",
           GSLO="PK", GSHI="05", LEVEL="Elementary", TITLEI_STATUS_TEXT="Missing"),
    school(FIPST="36", STATENAME="NEW YORK", ST="NY", SCH_NAME="P-TECH Early College",
           LEA_NAME="New York City Geographic District #13", ST_LEAID="NY-331300010000",
           LEAID="3600087", ST_SCHID="NY-331300010000-331300011670", NCESSCH="360008706124",
           LSTREET1="150 Albany Ave", LCITY="Brooklyn", LZIP="11213", GSLO="09", GSHI="13",
           LEVEL="High"),
]  # fmt: skip


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=[*COLUMNS, "TITLEI_STATUS_TEXT"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture
def directory(tmp_path) -> Path:
    return write_csv(tmp_path / "ccd_sch_029_2223_w_1a_083023.csv", ROWS)


def test_every_row_becomes_a_school_in_the_states_own_codes(directory):
    schools = tables(READER, directory)["schools"]
    assert len(schools) == 7
    abington = row_of(schools, nces_id="250171000011")
    assert (abington["state"], abington["school_code"], abington["district_code"]) == (
        "MA", "00010505", "00010000",
    )  # fmt: skip
    assert abington["nces_leaid"] == "2501710" and abington["district_name"] == "Abington"
    assert (abington["grade_low"], abington["grade_high"], abington["school_type"]) == (
        "09", "12", "HS",
    )  # fmt: skip
    assert (abington["town"], abington["address"], abington["zip_code"]) == (
        "Abington", "201 Gliniewicz Way", "02351",
    )  # fmt: skip
    assert abington["title_i"] == "unknown" and abington["is_open"] and not abington["is_charter"]
    charter = row_of(schools, nces_id="250004400551")
    assert charter["is_charter"] and charter["school_code"] == "04450105"
    assert (charter["grade_low"], charter["school_type"]) == ("K", "K12")
    oakland = row_of(schools, nces_id="062805004716")
    assert (oakland["school_code"], oakland["district_code"]) == ("01612596001788", "0161259")
    assert oakland["school_name"] == "Escuela Niños Elementary"
    assert oakland["address"] == "2111 International Blvd., Suite 3"
    assert oakland["title_i"] == "schoolwide"
    cayuga = row_of(schools, nces_id="481245000823")
    assert (cayuga["school_code"], cayuga["district_code"]) == ("001902001", "001902")
    assert cayuga["title_i"] == "targeted"
    daep = row_of(schools, nces_id="481788005533")  # grades N: no span
    assert (daep["grade_low"], daep["grade_high"], daep["school_type"]) == ("", "", "OTHER")
    assert daep["title_i"] == "none"
    wausau = row_of(schools, nces_id="550852000373")
    assert (wausau["school_code"], wausau["district_code"]) == ("0440", "3269")
    assert not wausau["is_open"] and wausau["title_i"] == "unknown"
    ptech = row_of(schools, nces_id="360008706124")  # grade 13 is read as 12
    assert (ptech["grade_low"], ptech["grade_high"]) == ("09", "12")
    assert ptech["school_code"] == "331300011670"


def test_the_state_option_keeps_one_state(directory):
    read = chunks(READER, directory, state="TX")
    (chunk,) = read
    assert set(chunk.frame["state"]) == {"TX"} and len(chunk.frame) == 2
    assert chunk.frame["_row"].tolist() == [5, 6]
    assert any("TX" in note for note in chunk.notes)
    assert find(problems(READER, directory, state="VT"), reason="no school of this state")


def test_small_chunks_give_the_same_rows_and_progress_is_reported(directory):
    calls = []
    whole = tables(READER, directory)["schools"]
    parts = chunks(READER, directory, chunk_rows=2, progress=lambda d, t: calls.append((d, t)))
    assert len(parts) == 4
    import pandas as pd

    assert same_rows(pd.concat([c.frame for c in parts], ignore_index=True), whole)
    assert calls and calls[-1][0] == calls[-1][1]


def test_latin1_files_are_read(tmp_path):
    path = write_csv(tmp_path / "ccd.csv", ROWS, encoding="latin-1")
    schools = tables(READER, path, state="CA")["schools"]
    assert schools["school_name"].tolist() == ["Escuela Niños Elementary"]


def test_bad_ids_codes_and_duplicates(tmp_path):
    rows = [dict(r) for r in ROWS]
    rows[0]["NCESSCH"] = "250999000011"  # not under its LEAID
    rows[1]["LEAID"] = "250044"  # six digits
    rows[2]["ST_SCHID"] = "0161259-6001788"  # no state prefix
    rows[3]["GSLO"] = "K4"
    rows[4]["UPDATED_STATUS_TEXT"] = "Demolished"
    rows[5]["LZIP"] = "4401"
    rows.append(dict(ROWS[6]))
    error = problems(READER, write_csv(tmp_path / "ccd.csv", rows))
    assert find(error, row=2, column="NCESSCH", value="250999000011", reason="LEAID")
    assert find(error, row=3, column="LEAID", value="250044", reason="7 digits")
    assert find(error, row=4, column="ST_SCHID", value="0161259-6001788")
    assert find(error, row=5, column="GSLO", value="K4", reason="unknown grade")
    assert find(error, row=6, column="UPDATED_STATUS_TEXT", value="Demolished")
    assert find(error, row=7, column="LZIP", value="4401", reason="5 digits")
    assert find(error, row=9, column="NCESSCH", reason="duplicate key")
    assert find(error, row=9, column="ST_SCHID", reason="duplicate key")


def test_wrong_columns_empty_body_and_ragged_rows(tmp_path):
    path = tmp_path / "ccd.csv"
    path.write_text("NCESSCH,SCH_NAME\n250171000011,Abington High\n", encoding="utf-8")
    error = problems(READER, path)
    assert find(error, column="ST_SCHID", reason="required column missing")
    write_csv(path, [])
    assert find(problems(READER, path), reason="no data rows")
    write_csv(path, ROWS[:2])
    path.write_text(path.read_text() + "a,b,c," * 30 + "\n", encoding="utf-8")
    assert find(problems(READER, path), row=4, reason="fields")


def test_state_codes_and_title_i_texts():
    assert state_codes("WI", "WI-3269", "WI-3269-0440") == ("3269", "0440")
    assert state_codes("MA", "MA-0035", "MA-0035-00350012") == ("00350000", "00350012")
    assert state_codes("CA", "CA-0110017", "CA-0110017-0130229") == ("0110017", "01100170130229")
    assert state_codes("LA", "LA-W71", "LA-W71-W71001") == ("W71", "W71001")
    assert state_codes("TX", "TX-001902", "OK-001902-001902001") is None
    assert title_i_status("Title I targeted assistance eligible school– No program") == "none"
    assert title_i_status("Title I schoolwide eligible school-No program") == "none"
    assert title_i_status("Title I targeted assistance school") == "targeted"
    assert title_i_status("Not reported") == "unknown"
    assert title_i_status("Something else") is None
