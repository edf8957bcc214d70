"""Student-level assessment records (restricted): the documented CSV layout, streamed.

Columns (header names exactly as below; any order; no other columns):

=====================  ========  ==============================================================
column                 required  values
=====================  ========  ==============================================================
``student_id``         one of    the state or district student id: replaced by ``student_key``,
``student_key``        the two   an HMAC-SHA256 of the id under the ``pseudonym_key`` option
                                 (64 hex characters), and never kept; or an already
                                 pseudonymous key (8–64 letters, digits, ``_`` or ``-``)
``school_code``        yes       the state's school code (1–20 letters, digits or dashes)
``year``               yes       spring year, 1990–2100
``grade``              yes       tested grade, ``3``–``12`` (written ``03`` … ``12``)
``subject``            yes       ``ELA``, ``MATH`` or ``SCI``
``scale_score``        yes       a number ≥ 0
``achievement_level``  yes       1 (lowest) … 4 (highest)
``is_high_needs``,     no        true/false, 1/0, Y/N or yes/no (a blank is a problem); false
``is_econ_disadv``,              for every row when the column is absent (noted)
``is_el``, ``is_swd``
``race``               no        blank or a race code: ``black``, ``asian``, ``hispanic``,
                                 ``white``, ``multirace``, ``amind``, ``pacisl``
=====================  ========  ==============================================================

One row per student, year and subject: a repeated (student, year, subject) is a problem naming
both rows. The file is read in chunks of ``chunk_rows`` rows with pandas and checked a column at
a time on its distinct values (vectorised), so a million rows take seconds and memory stays
bounded: the duplicate check keeps a 64-bit hash and a row number per key (16 bytes), not the
rows. Problems name the row and column; the value of a student id column is shown as
``(hidden)``, never echoed, and the id is not in any message.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.imports.readers._common import (
    KeyIndex,
    Problems,
    ascii_hash64,
    combine_hash64,
    pseudonym_key,
    pseudonymise,
    read_header,
    sniff_encoding,
    stream_csv,
    target_frame,
)
from turnaround.imports.readers.base import Chunk, Progress, no_progress
from turnaround.imports.targets import GROUPS

ID_COLUMNS = ("student_id", "student_key")
REQUIRED = ("school_code", "year", "grade", "subject", "scale_score", "achievement_level")
FLAGS = ("is_high_needs", "is_econ_disadv", "is_el", "is_swd")
COLUMNS = (*ID_COLUMNS, *REQUIRED, *FLAGS, "race")
RACES = frozenset(GROUPS[5:])
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})
_SCHOOL = re.compile(r"[0-9A-Za-z-]{1,20}")
_KEY = re.compile(r"[0-9A-Za-z_-]{8,64}")
_SUBJECT_CODE = {"ELA": 1, "MATH": 2, "SCI": 3}
REQUIRED_VALUE = "a value is required"

#: A check of one distinct value: (converted value, None) or (placeholder, reason).
Check = Callable[[str], tuple[Any, str | None]]


def _year(cell: str) -> tuple[int, str | None]:
    text = cell.strip()
    if not text:
        return 0, REQUIRED_VALUE
    if not text.isdigit() or not 1990 <= int(text) <= 2100:
        return 0, "must be a year between 1990 and 2100"
    return int(text), None


def _grade(cell: str) -> tuple[str, str | None]:
    text = cell.strip()
    if not text:
        return "", REQUIRED_VALUE
    if not text.isdigit() or not 3 <= int(text) <= 12:
        return "", "must be a tested grade, 3 to 12"
    return f"{int(text):02d}", None


def _subject(cell: str) -> tuple[str, str | None]:
    text = cell.strip().upper()
    if not text:
        return "", REQUIRED_VALUE
    if text not in ("ELA", "MATH", "SCI"):
        return "", "must be one of 'ELA', 'MATH', 'SCI'"
    return text, None


def _score(cell: str) -> tuple[float, str | None]:
    text = cell.strip()
    if not text:
        return math.nan, REQUIRED_VALUE
    try:
        value = float(text)
    except ValueError:
        return math.nan, "not a number"
    if not math.isfinite(value) or value < 0:
        return math.nan, "impossible value: a scale score is a number of at least 0"
    return value, None


def _level(cell: str) -> tuple[int, str | None]:
    text = cell.strip()
    if not text:
        return 0, REQUIRED_VALUE
    try:
        value = float(text)
    except ValueError:
        return 0, "not a number"
    if value not in (1.0, 2.0, 3.0, 4.0):
        return 0, "impossible value: an achievement level is 1, 2, 3 or 4"
    return int(value), None


def _flag(cell: str) -> tuple[bool, str | None]:
    text = cell.strip().lower()
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return False, REQUIRED_VALUE if not text else "must be true/false (or 1/0, Y/N, yes/no)"


def _race(cell: str) -> tuple[str, str | None]:
    text = cell.strip().lower()
    if text and text not in RACES:
        return "", "must be blank or one of " + ", ".join(sorted(RACES))
    return text, None


def _school(cell: str) -> tuple[str, str | None]:
    text = cell.strip()
    if not text:
        return "", REQUIRED_VALUE
    if not _SCHOOL.fullmatch(text):
        return "", "must be 1–20 letters, digits or dashes (ids are read as text)"
    return text, None


CHECKS: Mapping[str, tuple[Check, Any]] = {
    "school_code": (_school, object),
    "year": (_year, np.int64),
    "grade": (_grade, object),
    "subject": (_subject, object),
    "scale_score": (_score, np.float64),
    "achievement_level": (_level, np.int64),
    **dict.fromkeys(FLAGS, (_flag, bool)),
    "race": (_race, object),
}


def check_column(
    cells: pd.Series, check: Check, dtype: Any, column: str, problems: Problems
) -> tuple[np.ndarray, np.ndarray]:
    """Convert a text column by checking each distinct value once; note the bad rows.

    Returns the converted values and the mask of bad rows.
    """
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    results = [check(str(u)) for u in uniques]
    converted = np.array([value for value, _ in results], dtype=dtype)
    reasons = [reason for _, reason in results]
    values = converted[codes]
    bad_unique = np.array([r is not None for r in reasons], dtype=bool)
    bad = bad_unique[codes]
    if bad.any():
        rows = cells.index.to_numpy()
        raw = cells.to_numpy(dtype=object)
        for reason in dict.fromkeys(r for r in reasons if r is not None):
            which = np.flatnonzero([r == reason for r in reasons])
            mask = np.isin(codes, which)
            problems.add_many(rows[mask], column, raw[mask], reason)
    return values, bad


class StudentsReader:
    key = "students"
    label = "Student assessment records (CSV, restricted)"
    targets = ("students",)
    declared_options = ()
    extensions = (".csv", ".txt")
    description = (
        "Student-level test scores in the documented CSV layout: student_id (or an already "
        "pseudonymous student_key), school_code, year, grade, subject (ELA, MATH, SCI), "
        "scale_score, achievement_level (1–4) and optional is_high_needs, is_econ_disadv, is_el, "
        "is_swd (true/false) and race. Student ids are replaced by a keyed hash (the platform's "
        "pseudonym key) as the file is read and are never stored or shown, not even in error "
        "messages. One row per student, year and subject. Large files (a million rows) are "
        "streamed in chunks."
    )

    def read(
        self,
        path: Path,
        *,
        options: Mapping[str, Any],
        progress: Progress = no_progress,
        chunk_rows: int = 50_000,
    ) -> Iterator[Chunk]:
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        path = Path(path)
        problems = Problems(path.name, hidden=ID_COLUMNS)
        yield from _read(path, options, problems, chunk_rows, progress)
        problems.raise_if_any()


def _layout(
    path: Path, options: Mapping[str, Any], problems: Problems
) -> tuple[str, str, list[str], str, bytes | None] | None:
    encoding = sniff_encoding(path, problems)
    if encoding is None:
        return None
    found = read_header(path, encoding, problems)
    if found is None:
        return None
    header, delimiter = found
    for name in header:
        if name and name not in COLUMNS:
            problems.add(1, name, None, "unknown column; allowed: " + ", ".join(COLUMNS))
    ids = [c for c in ID_COLUMNS if c in header]
    if len(ids) != 1:
        problems.add(
            1,
            None,
            None,
            "give exactly one of the columns student_id (pseudonymised here) or student_key",
        )
    for name in REQUIRED:
        if name not in header:
            problems.add(1, name, None, "required column missing")
    key = pseudonym_key(options, problems) if ids == ["student_id"] else None
    if problems:
        return None
    return encoding, delimiter, header, ids[0], key


def _read(
    path: Path,
    options: Mapping[str, Any],
    problems: Problems,
    chunk_rows: int,
    progress: Progress,
) -> Iterator[Chunk]:
    layout = _layout(path, options, problems)
    if layout is None:
        return
    encoding, delimiter, header, id_column, key = layout
    notes = [
        f"column {flag} absent: false for every student" for flag in FLAGS if flag not in header
    ]
    if id_column == "student_id":
        notes.append("student ids replaced by keyed pseudonyms (HMAC-SHA256); ids not kept")
    seen = KeyIndex()
    rows_read = 0
    for cells in stream_csv(
        path,
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        columns=header,
        chunk_rows=chunk_rows,
        problems=problems,
        progress=progress,
    ):
        rows_read += len(cells)
        chunk = _chunk(cells, id_column, key, seen, problems)
        if not problems:  # once a problem is found, the rest is only checked
            yield Chunk("students", chunk, notes)
            notes = []
    if rows_read == 0 and not problems:
        problems.add(None, None, None, "the file has a header but no data rows")


def _chunk(
    cells: pd.DataFrame,
    id_column: str,
    key: bytes | None,
    seen: KeyIndex,
    problems: Problems,
) -> pd.DataFrame:
    rows = cells.index.to_numpy()
    data: dict[str, Any] = {}
    bad_key = np.zeros(len(cells), dtype=bool)
    for column, (check, dtype) in CHECKS.items():
        if column in cells.columns:
            data[column], bad = check_column(cells[column], check, dtype, column, problems)
            if column in ("year", "subject"):
                bad_key |= bad
    ids = cells[id_column].str.strip()
    blank = (ids == "").to_numpy()
    if blank.any():
        problems.add_many(rows[blank], id_column, None, REQUIRED_VALUE)
    if id_column == "student_key":
        wrong = ~blank & ~ids.str.fullmatch(_KEY.pattern).to_numpy(dtype=bool)
        if wrong.any():
            problems.add_many(
                rows[wrong],
                id_column,
                ["(hidden)"] * int(wrong.sum()),
                "must be 8–64 letters, digits, '_' or '-'",
            )
        keys = ids.to_numpy(dtype=object)
        bad_key |= blank | wrong
    else:
        assert key is not None
        keys = np.asarray(pseudonymise(ids.tolist(), key), dtype=object)
        bad_key |= blank
    del ids
    good = ~bad_key
    subject_codes = pd.Series(data["subject"][good]).map(_SUBJECT_CODE).to_numpy(np.uint64)
    hashes = combine_hash64(ascii_hash64(keys[good]), data["year"][good], subject_codes)
    first = seen.add(hashes, rows[good])
    good_rows = rows[good]
    years, subjects = data["year"][good], data["subject"][good]
    for i in np.flatnonzero(first >= 0):
        problems.add(
            int(good_rows[i]),
            id_column,
            "(hidden)",
            f"duplicate key (the same student, year {years[i]}, {subjects[i]}) of row "
            f"{int(first[i])}",
        )
    data["student_key"] = keys
    return target_frame("students", data, rows)
