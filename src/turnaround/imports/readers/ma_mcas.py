"""Massachusetts DESE MCAS school results, as exported from the profiles site (``.xlsx``).

One workbook per year and tested grade; one row per school and subject. The first row is often
a title (``2014 MCAS Achievement Results``) and the header below it, so the header is found by
its column names among the first rows. Values are text as exported: numbers may carry leading
spaces (``"  81.6"``).

Row numbers in problems and in ``_row`` are the sheet's own row numbers (as Excel shows them).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.files import Col, check_unique, convert_columns
from turnaround.imports.readers._common import (
    Problems,
    blank_markers,
    floats,
    ints_or_none,
    marker_reasons,
    missing_dicts,
    option_year,
    read_state_file,
    target_frame,
    year_in_name,
)
from turnaround.imports.readers.base import Chunk, Progress, no_progress

#: Where the header is looked for.
HEADER_SEARCH_ROWS = 20
CODE = "School Code"
SUBJECT = "Subject"
N_INCLUDED = "No. of Students Included"
SGP = "Median SGP"
SGP_N = "Included In Median SGP"
#: Level percent columns → target columns (A = Advanced … W/F = Warning/Failing).
LEVEL_PCT: Mapping[str, str] = {
    "A %": "pct_level_4",
    "P %": "pct_level_3",
    "NI %": "pct_level_2",
    "W/F %": "pct_level_1",
}
COUNTS = ("P+A #", "A #", "P #", "NI #", "W/F #")
REQUIRED = (CODE, SUBJECT, *LEVEL_PCT, N_INCLUDED, "CPI")
SUBJECTS: Mapping[str, str] = {
    "ENGLISH LANGUAGE ARTS": "ELA",
    "ELA": "ELA",
    "ENGLISH LANGUAGE ARTS AND LITERACY": "ELA",
    "MATHEMATICS": "MATH",
    "MATH": "MATH",
    "SCIENCE AND TECH/ENG": "SCI",
    "SCIENCE AND TECHNOLOGY/ENGINEERING": "SCI",
    "SCIENCE": "SCI",
}
_TITLE_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_GRADE_IN_TEXT = re.compile(r"grade\s*0?(\d{1,2})(?!\d)", re.IGNORECASE)
_GRADE_IN_NAME = re.compile(r"(?:(?:19|20)\d\d[-_ ]|grade[-_ ]?|gr[-_ ]?)0?(\d{1,2})(?!\d)", re.I)


class MaMcasReader:
    key = "ma-mcas"
    label = "Massachusetts MCAS school results (DESE Excel export)"
    targets = ("results",)
    declared_options = ()
    extensions = (".xlsx",)
    description = (
        "The DESE MCAS achievement results export (profiles.doe.mass.edu, 'Export to Excel'): "
        "one workbook per year and grade, one row per school and subject (English language "
        "arts, mathematics, science and technology/engineering). Gives each school's percent "
        "Advanced, Proficient, Needs Improvement and Warning/Failing (levels 4 to 1), students "
        "included, CPI, median SGP and students in it, for all students in that grade. The "
        "header may sit below a title row. The year comes from the title or the file name "
        "(mcas_2014-6.xlsx), the grade from the file name, a Grade column or the title; when "
        "the file does not say, give them as options. State and district total rows are "
        "skipped. Blank and marked cells are missing with a reason, never 0: a median SGP left "
        "blank (a space) for fewer than 20 students is 'below_reporting_n', N/A is "
        "'not_applicable' (no SGP in science), a file with no SGP at all (before 2008) is "
        "'not_applicable'."
    )

    def read(
        self,
        path: Path,
        *,
        options: Mapping[str, Any],
        progress: Progress = no_progress,
        chunk_rows: int = 50_000,
    ) -> Iterator[Chunk]:
        yield from read_state_file(
            path,
            state="MA",
            read_parts=_parts,
            options=options,
            progress=progress,
            chunk_rows=chunk_rows,
        )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _sheet_rows(path: Path, problems: Problems) -> list[tuple[int, list[str]]] | None:
    """Every non-empty row of the first sheet as text cells, with its sheet row number."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        reason = "not an Excel workbook (.xlsx)" if not isinstance(exc, OSError) else str(exc)
        problems.add(None, None, None, f"cannot read the file: {reason}")
        return None
    try:
        sheet = book.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            if any(c.strip() for c in cells):
                rows.append((number, cells))
        return rows
    finally:
        book.close()


def _find_header(rows: list[tuple[int, list[str]]]) -> int | None:
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {c.strip() for c in cells}
        if CODE in names and SUBJECT in names:
            return index
    return None


def _year_and_grade(
    path: Path,
    titles: list[str],
    grade_column: pd.Series | None,
    options: Mapping[str, Any],
    problems: Problems,
) -> tuple[int | None, str | None]:
    title = " ".join(titles)
    in_title = set(_TITLE_YEAR.findall(title))
    year = int(in_title.pop()) if len(in_title) == 1 else year_in_name(path)
    given = option_year(options, problems)
    if year is None:
        year = given
    elif given is not None and given != year:
        problems.add(None, None, str(given), f"the year option differs from the file's year {year}")
    if year is None:
        problems.add(
            None,
            None,
            path.name,
            "cannot tell the year: the title row and the file name give none; pass the year",
        )
    if grade_column is not None:
        return year, None  # per row
    grade: str | None = None
    found = _GRADE_IN_TEXT.search(title) or _GRADE_IN_NAME.search(path.stem)
    if found and 3 <= int(found.group(1)) <= 12:
        grade = f"{int(found.group(1)):02d}"
    option = options.get("grade")
    if option not in (None, ""):
        text = str(option).strip()
        if not text.isdigit() or not 3 <= int(text) <= 12:
            problems.add(None, None, text, "the grade option must be a tested grade, 3 to 12")
        elif grade is None:
            grade = f"{int(text):02d}"
        elif grade != f"{int(text):02d}":
            problems.add(
                None, None, text, f"the grade option differs from the file's grade {grade}"
            )
    if grade is None:
        problems.add(
            None,
            None,
            path.name,
            "cannot tell the tested grade: name the file like mcas_2014-6.xlsx or pass the grade",
        )
    return year, grade


def _parts(
    path: Path, options: Mapping[str, Any], problems: Problems
) -> list[tuple[str, pd.DataFrame, list[str]]]:
    frame, notes = _read(path, options, problems)
    return [] if frame is None else [("results", frame, list(notes))]


def _read(
    path: Path, options: Mapping[str, Any], problems: Problems
) -> tuple[pd.DataFrame | None, list[str]]:
    rows = _sheet_rows(path, problems)
    if rows is None:
        return None, []
    if not rows:
        problems.add(None, None, None, "the file is empty")
        return None, []
    header_at = _find_header(rows)
    if header_at is None:
        problems.add(
            None,
            None,
            None,
            f"no header row in the first {HEADER_SEARCH_ROWS} rows: expected the columns "
            + ", ".join(repr(c) for c in REQUIRED),
        )
        return None, []
    header_row, header_cells = rows[header_at]
    header = [c.strip() for c in header_cells]
    while header and not header[-1]:
        header.pop()
    for position, name in enumerate(header, start=1):
        if not name:
            problems.add(header_row, None, None, f"header field {position} is blank")
    for name in {n for n in header if n and header.count(n) > 1}:
        problems.add(header_row, name, None, "the column appears twice in the header")
    for name in REQUIRED:
        if name not in header:
            problems.add(header_row, name, None, "required column missing")
    body = rows[header_at + 1 :]
    if not body:
        problems.add(None, None, None, "the file has a header but no data rows")
    if problems:
        return None, []
    width = len(header)
    cells = []
    for number, values in body:
        extra = [v for v in values[width:] if v.strip()]
        if extra:
            problems.add(number, None, extra[0], f"a value beyond the {width} header columns")
        cells.append((values + [""] * width)[:width])
    raw = pd.DataFrame(cells, columns=header, index=[n for n, _ in body], dtype=object)
    titles = [" ".join(c for c in cells_ if c.strip()) for _, cells_ in rows[:header_at]]
    grade_column = raw["Grade"] if "Grade" in raw.columns else None
    year, grade = _year_and_grade(path, titles, grade_column, options, problems)

    codes = raw[CODE].str.strip()
    aggregate = codes.str.fullmatch(r"\d{4}0000")  # state totals (00000000) and district rows
    notes = []
    if aggregate.any():
        notes.append(
            f"{int(aggregate.sum())} state or district total rows (codes ending 0000) skipped"
        )
        raw = raw[~aggregate.to_numpy()]
    if raw.empty:
        problems.add(None, None, None, "the file has no school rows")
        return None, []

    # reasons first (on the cells as written), then numbers on the cells with markers blanked
    sgp_cells = raw[SGP] if SGP in raw.columns else pd.Series("", index=raw.index)
    reasons: dict[str, np.ndarray] = {}
    value_columns = {**LEVEL_PCT, N_INCLUDED: "n_tested", "CPI": "composite_index"}
    for name, out in value_columns.items():
        reasons[out] = marker_reasons(raw[name])
    sgp_reasons = marker_reasons(sgp_cells, exact={" ": "below_reporting_n"})
    sgp_n_cells = raw[SGP_N] if SGP_N in raw.columns else pd.Series("", index=raw.index)
    sgp_n_reasons = marker_reasons(sgp_n_cells)
    if all(r is not None and r in ("missing", "not_applicable") for r in sgp_reasons):
        sgp_reasons = np.full(len(raw), "not_applicable", dtype=object)
        sgp_n_reasons = np.full(len(raw), "not_applicable", dtype=object)
        notes.append("no median SGP in this file (MCAS growth percentiles start with 2008)")
    else:
        # a missing count shares the median's reason (N/A for science, blank when unreported)
        for i, (own, median) in enumerate(zip(sgp_n_reasons, sgp_reasons, strict=True)):
            if own is not None and median is not None:
                sgp_n_reasons[i] = median
    reasons["median_sgp"] = sgp_reasons
    reasons["sgp_n"] = sgp_n_reasons

    clean = pd.DataFrame(index=raw.index)
    clean[CODE] = raw[CODE]
    extra = [c for c in (*COUNTS, "P+A %") if c in raw.columns]
    for name in (*LEVEL_PCT, N_INCLUDED, "CPI", *extra):
        clean[name] = blank_markers(raw[name], marker_reasons(raw[name]))
    clean[SGP] = blank_markers(sgp_cells, sgp_reasons)
    clean[SGP_N] = blank_markers(sgp_n_cells, marker_reasons(sgp_n_cells))
    cols = [
        Col(
            CODE,
            "id",
            "school_code",
            required=True,
            nonblank=True,
            pattern=r"\d{8}",
            describe="8 digits",
        ),
        *(Col(name, "pct", out) for name, out in LEVEL_PCT.items()),
        Col(N_INCLUDED, "count", "n_tested"),
        Col("CPI", "num", "composite_index", minimum=0.0, maximum=100.0),
        Col(SGP, "num", "median_sgp", minimum=1.0, maximum=99.0),
        Col(SGP_N, "count", "sgp_n"),
        *(Col(name, "count", f"_check:{name}") for name in COUNTS if name in clean.columns),
        # the sum of two rounded percents: 38 % A and 63 % P are published as 101 % P+A
        Col("P+A %", "num", "_check:P+A %", minimum=0.0, maximum=101.0),
    ]
    converted = convert_columns(clean, cols, problems)

    subject_text = raw[SUBJECT].str.strip().str.upper()
    subject = subject_text.map(SUBJECTS)
    for row in subject.index[subject.isna()]:
        problems.add(
            int(row),
            SUBJECT,
            raw.at[row, SUBJECT],
            "unknown subject; allowed: ENGLISH LANGUAGE ARTS, MATHEMATICS, SCIENCE AND TECH/ENG",
        )
    grades = pd.Series(grade, index=raw.index, dtype=object)
    if grade_column is not None:
        grades = (
            raw["Grade"]
            .str.strip()
            .map(lambda g: f"{int(g):02d}" if g.isdigit() and 3 <= int(g) <= 12 else None)
        )
        for row in grades.index[grades.isna()]:
            problems.add(int(row), "Grade", raw.at[row, "Grade"], "must be a tested grade, 3 to 12")
    keyed = pd.DataFrame(
        {"school_code": converted["school_code"], "subject": subject, "grade": grades}
    )
    check_unique(keyed, ["school_code", "subject", "grade"], problems, [CODE, SUBJECT, "Grade"])
    if problems:
        return None, notes

    n = len(raw)
    data: dict[str, Any] = {
        "school_code": converted["school_code"].to_numpy(dtype=object),
        "year": np.full(n, year, dtype=np.int64),
        "subject": subject.to_numpy(dtype=object),
        "grade": grades.to_numpy(dtype=object),
        "group": "all",
        "n_tested": ints_or_none(converted["n_tested"]),
        "composite_index": floats(converted["composite_index"]),
        "median_sgp": floats(converted["median_sgp"]),
        "sgp_n": ints_or_none(converted["sgp_n"]),
        "missing": missing_dicts(reasons, n),
    }
    for out in LEVEL_PCT.values():
        data[out] = floats(converted[out])
    return target_frame("results", data, raw.index.to_numpy()), notes
