"""Student-level records (``students``): pseudonyms, checks, duplicates across chunks, streaming."""

from __future__ import annotations

import hashlib
import hmac
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from turnaround.imports.readers import READERS
from turnaround.imports.tests.reader_helpers import (
    KEY,
    chunks,
    find,
    problems,
    same_rows,
    tables,
)

READER = READERS["students"]
HEADER = (
    "student_id,school_code,year,grade,subject,scale_score,achievement_level,is_high_needs,"
    "is_econ_disadv,is_el,is_swd,race"
)
ROWS = [
    "SASID-1000001,00350001,2017,4,ELA,244,3,true,true,false,false,hispanic",
    "SASID-1000001,00350001,2017,04,MATH,238,2,1,1,0,0,hispanic",
    "SASID-1000002,00350002,2017,10,ELA,262,4,no,no,no,yes,",
    "SASID-1000003,01630001,2016,8,SCI,229.5,2,Y,N,Y,N,white",
    "SASID-1000002,00350002,2016,9,ELA,250,3,no,no,no,yes,",
]
IDS = ("SASID-1000001", "SASID-1000002", "SASID-1000003")


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "scores.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_rows_are_typed_and_ids_replaced_by_keyed_pseudonyms(tmp_path):
    read = chunks(READER, write(tmp_path, *ROWS), pseudonym_key=KEY)
    frame = read[0].frame
    assert frame["_row"].tolist() == [2, 3, 4, 5, 6]
    expected = hmac.digest(KEY.encode(), b"SASID-1000001", hashlib.sha256).hex()
    assert frame["student_key"].tolist()[:2] == [expected, expected]
    assert frame["student_key"].str.len().eq(64).all()
    first = frame.iloc[0]
    assert (first["school_code"], first["year"], first["grade"], first["subject"]) == (
        "00350001", 2017, "04", "ELA",
    )  # fmt: skip
    assert (first["scale_score"], first["achievement_level"], first["race"]) == (
        244.0,
        3,
        "hispanic",
    )
    assert first["is_high_needs"] and not first["is_el"]
    assert frame["grade"].tolist() == ["04", "04", "10", "08", "09"]
    assert frame["is_swd"].tolist() == [False, False, True, False, True]
    assert frame["scale_score"].dtype == np.float64 and frame["year"].dtype == np.int64
    text = frame.to_csv() + " ".join(read[0].notes)
    assert not any(i in text for i in IDS)


def test_already_pseudonymous_keys_are_kept(tmp_path):
    header = HEADER.replace("student_id", "student_key")
    rows = [r.replace("SASID-", "k_abcdef") for r in ROWS]
    students = tables(READER, write(tmp_path, *rows, header=header))["students"]
    assert students["student_key"].iloc[0] == "k_abcdef1000001"


def test_optional_columns_may_be_left_out(tmp_path):
    header = "student_id,school_code,year,grade,subject,scale_score,achievement_level"
    read = chunks(READER, write(tmp_path, "A1,00350001,2017,3,ELA,230,2", header=header),
                  pseudonym_key=KEY)  # fmt: skip
    frame = read[0].frame
    assert not frame[["is_high_needs", "is_econ_disadv", "is_el", "is_swd"]].any(axis=None)
    assert frame["race"].tolist() == [""]
    assert any("is_el absent" in note for note in read[0].notes)


def test_bad_values_are_reported_by_row_and_column(tmp_path):
    rows = list(ROWS)
    rows[0] = rows[0].replace(",2017,4,", ",17,4,")
    rows[1] = rows[1].replace(",MATH,", ",HISTORY,")
    rows[2] = rows[2].replace(",262,4,", ",-262,5,")
    rows[3] = rows[3].replace(",8,SCI,", ",1,SCI,").replace(",Y,N,Y,N,", ",Y,maybe,Y,N,")
    rows[4] = rows[4].replace(",00350002,", ",0035 0002,").replace(",yes,", ",yes,martian")
    error = problems(READER, write(tmp_path, *rows), pseudonym_key=KEY)
    assert find(error, row=2, column="year", value="17", reason="1990")
    assert find(error, row=3, column="subject", value="HISTORY")
    assert find(error, row=4, column="scale_score", value="-262", reason="impossible")
    assert find(error, row=4, column="achievement_level", value="5", reason="impossible")
    assert find(error, row=5, column="grade", value="1", reason="tested grade")
    assert find(error, row=5, column="is_econ_disadv", value="maybe")
    assert find(error, row=6, column="school_code", value="0035 0002")
    assert find(error, row=6, column="race", value="martian")


def test_blanks_are_problems_and_ids_are_never_shown(tmp_path):
    rows = [
        ",00350001,2017,4,ELA,244,3,true,true,false,false,",
        "SASID-1000009,00350001,2017,4,ELA,,3,true,,false,false,",
    ]
    error = problems(READER, write(tmp_path, *rows), pseudonym_key=KEY)
    assert find(error, row=2, column="student_id", reason="a value is required")
    assert find(error, row=3, column="scale_score", reason="a value is required")
    assert find(error, row=3, column="is_econ_disadv", reason="a value is required")
    assert "SASID" not in str(error)


def test_duplicates_across_chunks_name_both_rows_and_hide_the_student(tmp_path):
    rows = [*ROWS, ROWS[3].replace(",229.5,", ",231,")]
    error = problems(READER, write(tmp_path, *rows), pseudonym_key=KEY, chunk_rows=2)
    (issue,) = find(error, reason="duplicate key")
    assert (issue.row, issue.column, issue.value) == (7, "student_id", "(hidden)")
    assert "row 5" in issue.reason and "2016" in issue.reason and "SCI" in issue.reason
    assert not any(i in str(error) for i in IDS)


def test_small_chunks_give_the_same_rows_and_progress_is_reported(tmp_path):
    path = write(tmp_path, *ROWS)
    whole = tables(READER, path, pseudonym_key=KEY)["students"]
    calls: list[tuple[int, int]] = []
    parts = chunks(READER, path, pseudonym_key=KEY, chunk_rows=2,
                   progress=lambda d, t: calls.append((d, t)))  # fmt: skip
    assert [len(c.frame) for c in parts] == [2, 2, 1]
    assert same_rows(pd.concat([c.frame for c in parts], ignore_index=True), whole)
    assert calls[-1] == (path.stat().st_size, path.stat().st_size)


def test_layout_problems(tmp_path):
    error = problems(READER, write(tmp_path, *ROWS, header=HEADER + ",name"), pseudonym_key=KEY)
    assert find(error, row=1, column="name", reason="unknown column")
    both = HEADER.replace("school_code", "student_key")
    assert find(problems(READER, write(tmp_path, *ROWS, header=both), pseudonym_key=KEY),
                reason="exactly one")  # fmt: skip
    no_year = HEADER.replace("year", "yr")
    error = problems(READER, write(tmp_path, *ROWS, header=no_year), pseudonym_key=KEY)
    assert find(error, column="year", reason="required column missing")
    assert find(problems(READER, write(tmp_path, *ROWS)), reason="pseudonym_key")
    assert find(problems(READER, write(tmp_path), pseudonym_key=KEY), reason="no data rows")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert find(problems(READER, empty, pseudonym_key=KEY), reason="empty")


def test_ragged_rows_and_mixed_encodings(tmp_path):
    rows = [*ROWS[:2], ROWS[2] + ",extra", ROWS[3].rsplit(",", 2)[0]]
    error = problems(READER, write(tmp_path, *rows), pseudonym_key=KEY)
    assert find(error, row=4, reason="13 fields where the header has 12")
    assert find(error, row=5, reason="10 fields where the header has 12")
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        (HEADER + "\n" + ROWS[0].replace("hispanic", "") + "\n").encode()
        + "SASID-é,00350001,2017,4,MATH,240,3,1,1,0,0,\n".encode()
        + "SASID-é,00350001,2016,4,MATH,240,3,1,1,0,0,\n".encode("latin-1")
    )
    assert find(problems(READER, path, pseudonym_key=KEY), reason="mixed encodings")


def test_a_hundred_thousand_rows_stream_in_bounded_memory(tmp_path):
    n = 100_000
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "student_id": [f"S{i // 2:08d}" for i in range(n)],
            "school_code": rng.choice(["00350001", "00350002", "01630001"], n),
            "year": 2017,
            "grade": rng.integers(3, 9, n),
            "subject": np.where(np.arange(n) % 2 == 0, "ELA", "MATH"),
            "scale_score": rng.integers(200, 281, n),
            "achievement_level": rng.integers(1, 5, n),
            "is_high_needs": rng.integers(0, 2, n),
            "is_econ_disadv": rng.integers(0, 2, n),
            "is_el": rng.integers(0, 2, n),
            "is_swd": rng.integers(0, 2, n),
            "race": rng.choice(["", "black", "white", "hispanic", "asian"], n),
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    tracemalloc.start()
    try:
        total = 0
        for chunk in READER.read(path, options={"pseudonym_key": KEY}, chunk_rows=10_000):
            total += len(chunk.frame)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == n
    assert peak < 60 * 2**20, f"peak {peak / 2**20:.0f} MB"


@pytest.mark.parametrize("state", ["MA", "TX"])
def test_the_state_option_is_not_needed(tmp_path, state):
    students = tables(READER, write(tmp_path, *ROWS), pseudonym_key=KEY, state=state)["students"]
    assert len(students) == 5
