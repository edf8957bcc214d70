"""What every file reader shares: the registry, purity, problems, keys, grades and encodings."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from turnaround.imports.readers import READERS
from turnaround.imports.readers._common import (
    KeyIndex,
    Problems,
    ascii_hash64,
    combine_hash64,
    grade_code,
    grade_span,
    marker_reasons,
    pseudonymise,
    sniff_encoding,
    target_frame,
)
from turnaround.imports.targets import TARGETS

FILE_READERS = ("ma-mcas", "ma-profiles", "tx-camprate", "ca-essa", "nces-ccd", "edfi", "students")


def test_every_file_reader_is_registered_with_what_the_pages_show():
    for key in FILE_READERS:
        reader = READERS[key]
        assert reader.key == key
        assert reader.label and len(reader.description) > 100
        assert reader.extensions and all(e.startswith(".") for e in reader.extensions)
        assert reader.targets and all(t in TARGETS for t in reader.targets)


def test_readers_import_without_django():
    code = (
        "import sys\n"
        "import turnaround.imports.readers as r\n"
        "assert len(r.READERS) >= 7, r.READERS\n"
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
        "assert not loaded, loaded\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_problems_hide_student_ids_and_count_beyond_what_they_keep():
    problems = Problems("f.csv", hidden={"student_id"})
    problems.add(2, "student_id", "S123456", "a value is required")
    problems.add(3, "year", 1800, "too early")
    problems.add_many(np.arange(4, 1004), "grade", ["x"] * 1000, "bad grade")
    error = problems.error()
    assert error.total == 1002
    assert len(error.issues) == 200
    assert error.issues[0].value == "(hidden)"
    assert "S123456" not in str(error)
    assert error.issues[1].value == "1800"


def test_pseudonyms_are_hmac_sha256_of_the_id():
    key = b"a-key-of-some-length-1234"
    ids = ["S1", "ÄÖÜ-7", "0001234"]
    expected = [hmac.digest(key, i.encode(), hashlib.sha256).hex() for i in ids]
    assert pseudonymise(ids, key) == expected
    long_key = b"x" * 100  # longer than SHA-256's block: hashed first, as RFC 2104 says
    assert pseudonymise(["S1"], long_key) == [hmac.digest(long_key, b"S1", hashlib.sha256).hex()]


def test_key_index_finds_repeats_within_and_across_chunks():
    index = KeyIndex()
    first = index.add(np.array([5, 7, 5], dtype=np.uint64), np.array([2, 3, 4]))
    assert first.tolist() == [-1, -1, 2]
    first = index.add(np.array([7, 9, 9, 1], dtype=np.uint64), np.array([5, 6, 7, 8]))
    assert first.tolist() == [3, -1, 6, -1]
    assert len(index) == 4


def test_ascii_hashes_differ_for_different_keys_and_agree_for_equal_ones():
    keys = np.array(["a" * 64, "a" * 63 + "b", "short", "short"], dtype=object)
    hashes = ascii_hash64(keys)
    assert hashes[2] == hashes[3]
    assert len(set(hashes.tolist())) == 3
    combined = combine_hash64(hashes, np.array([2017, 2017, 2017, 2018]))
    assert combined[2] != combined[3]


@pytest.mark.parametrize(
    ("token", "code"),
    [("PK", "PK"), ("KG", "K"), ("K", "K"), ("EE", "PK"), ("6", "06"), ("06", "06"), ("12", "12"),
     ("13", None), ("UG", None), ("AE", None), ("M", None)],
)  # fmt: skip
def test_grade_codes(token, code):
    assert grade_code(token) == code


def test_grade_span_orders_pk_k_and_grades():
    assert grade_span(["05", "K", "PK", None, "01"]) == ("PK", "05")
    assert grade_span([None]) == ("", "")


def test_markers_become_reasons_never_zero():
    cells = pd.Series(["12", "", " ", "*", "<10", "N/A", "--", "n<5", "0"])
    reasons = marker_reasons(cells, exact={" ": "below_reporting_n"})
    assert reasons.tolist() == [
        None, "missing", "below_reporting_n", "suppressed", "below_reporting_n",
        "not_applicable", "suppressed", "below_reporting_n", None,
    ]  # fmt: skip


def test_target_frames_have_exactly_the_target_columns():
    frame = target_frame("results", {"school_code": np.array(["1"]), "year": 2017}, [2])
    assert list(frame.columns) == [*TARGETS["results"].columns, "_row"]
    assert frame["missing"].tolist() == [{}]
    assert frame["n_tested"].tolist() == [None]
    schools = target_frame("schools", {}, [2, 3])
    assert schools["title_i"].tolist() == ["unknown", "unknown"]
    assert schools["is_open"].tolist() == [True, True]


def test_encodings_are_sniffed_and_mixed_files_refused(tmp_path):
    utf8 = tmp_path / "u.csv"
    utf8.write_bytes("a,b\nPeñasco,1\n".encode())
    latin = tmp_path / "l.csv"
    latin.write_bytes("a,b\nPeñasco,1\n".encode("latin-1"))
    bom = tmp_path / "b.csv"
    bom.write_bytes(b"\xef\xbb\xbfa,b\n1,2\n")
    mixed = tmp_path / "m.csv"
    mixed.write_bytes("a,b\nPeñasco,1\n".encode() + "Señor,2\n".encode("latin-1"))
    problems = Problems("x")
    assert sniff_encoding(utf8, problems) == "utf-8"
    assert sniff_encoding(latin, problems) == "latin-1"
    assert sniff_encoding(bom, problems) == "utf-8-sig"
    assert not problems
    assert sniff_encoding(mixed, problems) is None
    (issue,) = problems.items
    assert "mixed encodings" in issue.reason and issue.row == 3
