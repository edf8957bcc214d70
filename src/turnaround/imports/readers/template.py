"""The generic results template: school-level results by year, subject, grade and student group.

One row per school × year × subject × grade × student group, in a CSV (UTF-8 or Latin-1, comma-
or tab-separated) or an XLSX workbook (the sheet named ``results``, else the first sheet), the
header in the first row, columns in any order. :data:`COLUMNS` is the column guide; the page that
starts an import offers the template (``template_xlsx``, ``template_csv``) with example rows.

Missing values are written as the publisher wrote them and become an empty value with a reason,
never 0: a blank cell is ``missing``; ``*``, ``**``, ``***``, ``--``, ``-`` and ``s`` are
``suppressed``; ``<10``, ``n<10`` (any number) are ``below_reporting_n``; ``N/A`` and ``NA`` are
``not_applicable``.

Every row is checked and every problem reported (row, column, value, reason); rows with a problem
are left out of the chunks, and the whole file is refused at the end. The reader is pure: whether
a school exists, and whether a key repeats one in another chunk, the results writer decides.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.files import Col, convert_columns
from turnaround.imports.problems import ProblemLog
from turnaround.imports.readers.base import Chunk, Progress, no_progress
from turnaround.imports.readers.sheet_rows import cell_text, table_rows
from turnaround.imports.targets import ALL_GRADES, GROUPS, MISSING_REASONS, SUBJECTS, TARGETS

KEY = "results-template"
SCHOOL_CODE = re.compile(r"[0-9A-Za-z-]{1,20}")
GRADES = (*(f"{g:02d}" for g in range(3, 13)), ALL_GRADES)
YEAR_MIN, YEAR_MAX = 1990, 2100

SUPPRESSED = frozenset({"*", "**", "***", "****", "--", "-", "s", "S", "suppressed"})
NOT_APPLICABLE = frozenset({"N/A", "n/a", "NA", "na", "not applicable"})
_BELOW_N = re.compile(r"(?:[nN]\s*)?(?:<|≤|<=)\s*\d+")


def marker_reason(cell: str) -> str | None:
    """The missing-value reason of a marker (already stripped), or None for a value."""
    if cell == "":
        return "missing"
    if cell in SUPPRESSED:
        return "suppressed"
    if cell in NOT_APPLICABLE:
        return "not_applicable"
    if _BELOW_N.fullmatch(cell):
        return "below_reporting_n"
    return None


@dataclass(frozen=True)
class TemplateColumn:
    """One column of the template: how it is checked, and what the guide says about it."""

    name: str
    required: bool
    content: str
    examples: tuple[str, str]
    col: Col | None = None  # for value columns: the check (kind and range)


def _value(name: str, kind: str, content: str, examples: tuple[str, str], **limits: Any) -> Any:
    return TemplateColumn(name, False, content, examples, Col(name, kind, **limits))


COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn(
        "school_code",
        True,
        "The state's code of the school, as text with its leading zeros (Massachusetts: 8 "
        "digits; Texas campus: 9; California CDS: 14). The school must already be in the "
        "platform (import the directory first). In a spreadsheet, format the column as text.",
        ("00010505", "00010505"),
    ),
    TemplateColumn(
        "year",
        True,
        "The spring year of the school year: 2017 for 2016–17. May be left out when the year "
        "is chosen on the import page.",
        ("2017", "2017"),
    ),
    TemplateColumn("subject", True, "ELA, MATH or SCI.", ("ELA", "ELA")),
    TemplateColumn(
        "grade",
        True,
        f"The tested grade, 03 to 12, or {ALL_GRADES} for all tested grades together.",
        ("10", "10"),
    ),
    TemplateColumn(
        "group",
        True,
        "The student group: " + ", ".join(GROUPS) + " (all = all students).",
        ("all", "el"),
    ),
    _value("n_tested", "count", "Students tested (a whole number ≥ 0).", ("212", "<10")),
    _value(
        "pct_level_4",
        "pct",
        "Percent at the highest achievement level (e.g. Advanced, Exceeding), 0–100.",
        ("35.4", "*"),
    ),
    _value("pct_level_3", "pct", "Percent at level 3 (e.g. Proficient), 0–100.", ("51.9", "*")),
    _value(
        "pct_level_2", "pct", "Percent at level 2 (e.g. Needs Improvement), 0–100.", ("9.4", "*")
    ),
    _value(
        "pct_level_1",
        "pct",
        "Percent at the lowest level (e.g. Warning/Failing), 0–100.",
        ("3.3", "*"),
    ),
    _value(
        "composite_index",
        "num",
        "A composite performance index such as the Massachusetts CPI, 0–100.",
        ("93.2", "*"),
        minimum=0.0,
        maximum=100.0,
    ),
    _value("mean_scale_score", "num", "Mean scale score.", ("", ""), minimum=0.0),
    _value(
        "median_sgp",
        "num",
        "Median student growth percentile, 1–99.",
        ("54", "N/A"),
        minimum=1.0,
        maximum=99.0,
    ),
    _value("sgp_n", "count", "Students included in the median SGP.", ("188", "N/A")),
)
COLUMN_NAMES = tuple(c.name for c in COLUMNS)
VALUE_COLUMNS = tuple(c for c in COLUMNS if c.col is not None)
_REQUIRED = tuple(c.name for c in COLUMNS if c.required)
assert set(COLUMN_NAMES) | {"missing"} == set(TARGETS["results"].columns)

MARKER_GUIDE = (
    ("(blank)", "missing", "not reported"),
    ("*  **  ***  --  -  s", "suppressed", "suppressed by the publisher"),
    ("<10  n<10 (any number)", "below_reporting_n", "group too small to report"),
    ("N/A  NA", "not_applicable", "does not apply (e.g. no growth percentile for science)"),
)
assert {reason for _, reason, _ in MARKER_GUIDE} == set(MISSING_REASONS)


class _ChunkIssues:
    """Forwards problems to the file's log and remembers which rows had one."""

    def __init__(self, log: ProblemLog) -> None:
        self.log = log
        self.rows: set[int] = set()

    def add(self, row: int | None, column: str | None, value: Any, reason: str) -> None:
        if row is not None:
            self.rows.add(int(row))
        self.log.add(row, column, value, reason)


class ResultsTemplateReader:
    """The documented generic layout of school results (CSV or XLSX)."""

    key = KEY
    label = "Results template (CSV or XLSX)"
    targets = ("results",)
    declared_options = ()
    extensions = (".csv", ".txt", ".xlsx")
    publisher = "Uploaded with the turnaround results template"
    description = (
        "School results by year, subject, tested grade and student group, in the platform's "
        "own layout: one row per school, year, subject, grade and group, with students tested, "
        "the percent at each of four achievement levels, a composite index, mean scale score "
        "and median growth percentile. Download the template for the columns, an example and "
        "the markers for suppressed values."
    )

    def read(
        self,
        path: Path,
        *,
        options: Mapping[str, Any],
        progress: Progress = no_progress,
        chunk_rows: int = 50_000,
    ) -> Iterator[Chunk]:
        path = Path(path)
        log = ProblemLog()
        rows = table_rows(path, progress)
        first = next(rows, None)
        if first is None:
            log.add(None, None, None, "the file is empty")
            raise log.error(path.name)
        header = [cell_text(c).strip() for c in first[1]]
        while header and header[-1] == "":  # trailing empty cells of a spreadsheet row
            header.pop()
        year = options.get("year")
        self._check_header(header, log, has_year_option=year is not None)
        if log:
            raise log.error(path.name)
        buffer: list[tuple[int, list[Any]]] = []
        seen_rows = 0
        for number, cells in rows:
            if not any(_filled(c) for c in cells):
                continue
            extra = [c for c in cells[len(header) :] if cell_text(c).strip()]
            if extra or (len(cells) < len(header) and path.suffix.lower() not in (".xlsx",)):
                log.add(
                    number,
                    None,
                    None,
                    f"{len(cells)} fields where the header has {len(header)}",
                )
                continue
            seen_rows += 1
            buffer.append(
                (number, list(cells[: len(header)]) + [None] * (len(header) - len(cells)))
            )
            if len(buffer) >= chunk_rows:
                chunk = self._chunk(buffer, header, log, year)
                buffer = []
                if chunk is not None:
                    yield chunk
        if buffer:
            chunk = self._chunk(buffer, header, log, year)
            if chunk is not None:
                yield chunk
        if not seen_rows and not log:
            log.add(None, None, None, "the file has a header but no data rows")
        if log:
            raise log.error(path.name)

    # -----------------------------------------------------------------------------------------

    @staticmethod
    def _check_header(header: list[str], log: ProblemLog, *, has_year_option: bool) -> None:
        seen: set[str] = set()
        for position, name in enumerate(header, start=1):
            if not name:
                log.add(1, None, None, f"header field {position} is blank")
            elif name in seen:
                log.add(1, name, name, "the column appears twice in the header")
            elif name not in COLUMN_NAMES:
                log.add(
                    1,
                    name,
                    name,
                    "unknown column; the template's columns are " + ", ".join(COLUMN_NAMES),
                )
            seen.add(name)
        for name in _REQUIRED:
            if name not in seen and not (name == "year" and has_year_option):
                log.add(1, name, None, "required column missing")

    def _chunk(
        self, rows: list[tuple[int, list[Any]]], header: list[str], log: ProblemLog, year: Any
    ) -> Chunk | None:
        issues = _ChunkIssues(log)
        numbers = [n for n, _ in rows]
        index = pd.Index(numbers)
        if "school_code" in header:
            at = header.index("school_code")
            for number, cells in rows:
                value = cells[at]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    issues.add(
                        number,
                        "school_code",
                        cell_text(value),
                        "the school code is stored as a number, so its leading zeros may be "
                        "lost; format the column as text and type the code again",
                    )
        text = pd.DataFrame(
            [
                [c.strip() if isinstance(c, str) else cell_text(c).strip() for c in cells]
                for _, cells in rows
            ],
            columns=header,
            index=index,
            dtype=object,
        )
        out: dict[str, Any] = {"_row": pd.Series(numbers, index=index, dtype="int64")}
        out["school_code"] = self._school_code(text["school_code"], issues)
        out["year"] = self._year(text, issues, year)
        out["subject"] = self._choice(text["subject"], SUBJECTS, issues, upper=True)
        out["grade"] = self._grade(text["grade"], issues)
        out["group"] = self._choice(text["group"], GROUPS, issues, upper=False)
        missing: list[dict[str, str]] = [{} for _ in numbers]
        cleaned: dict[str, pd.Series] = {}
        for column in VALUE_COLUMNS:
            if column.name not in text.columns:
                continue
            cells = text[column.name]
            known = {cell: marker_reason(cell) for cell in pd.unique(cells)}
            reasons = [known[cell] for cell in cells.tolist()]
            for position, reason in enumerate(reasons):
                if reason is not None:
                    missing[position][column.name] = reason
            cleaned[column.name] = pd.Series(
                [
                    "" if r is not None else c
                    for c, r in zip(text[column.name], reasons, strict=True)
                ],
                index=index,
                dtype=object,
            )
        converted = convert_columns(
            pd.DataFrame(cleaned, index=index),
            [c.col for c in VALUE_COLUMNS if c.col is not None],
            issues,  # type: ignore[arg-type]  # the same add() as the files module's log
        )
        for column in VALUE_COLUMNS:
            out[column.name] = converted.get(
                column.name, pd.Series(np.nan, index=index, dtype="float64")
            ).astype("float64")
        levels = pd.DataFrame({f"pct_level_{k}": out[f"pct_level_{k}"] for k in (1, 2, 3, 4)})
        total = levels.sum(axis=1, min_count=4)
        for row in total.index[total > 101.0]:
            issues.add(
                int(row),
                "pct_level_1",
                f"{total[row]:.1f}",
                "impossible values: the four achievement-level percents add up to more than 100",
            )
        out["missing"] = pd.Series(missing, index=index, dtype=object)
        frame = pd.DataFrame(out, index=index)
        keep = ~frame["_row"].isin(issues.rows)
        frame = frame.loc[keep, ["_row", *TARGETS["results"].columns]].reset_index(drop=True)
        if frame.empty:
            return None
        return Chunk("results", frame)

    @staticmethod
    def _school_code(cells: pd.Series, issues: _ChunkIssues) -> pd.Series:
        for row, value in cells.items():
            if value == "":
                issues.add(int(row), "school_code", "", "a value is required")
            elif not SCHOOL_CODE.fullmatch(value):
                issues.add(
                    int(row),
                    "school_code",
                    value,
                    "a school code is 1–20 letters, digits or dashes",
                )
        return cells.astype(object)

    @staticmethod
    def _year(text: pd.DataFrame, issues: _ChunkIssues, option: Any) -> pd.Series:
        index = text.index
        if "year" not in text.columns:
            return pd.Series(int(option), index=index, dtype="int64")
        cells = text["year"]
        numbers = pd.to_numeric(cells.where(cells.str.fullmatch(r"\d{4}")), errors="coerce")
        wrong = numbers.isna() | (numbers < YEAR_MIN) | (numbers > YEAR_MAX)
        other = ~wrong & (numbers != int(option)) if option is not None else wrong & False
        for row in cells.index[wrong | other]:
            value = cells[row]
            if value == "":
                reason = "a value is required"
            elif wrong[row]:
                reason = f"a year is a spring year from {YEAR_MIN} to {YEAR_MAX}, e.g. 2017"
            else:
                reason = (
                    f"this import is for {option}; a row of another year belongs in its own file"
                )
            issues.add(int(row), "year", value, reason)
        return numbers.fillna(0).astype("int64")

    @staticmethod
    def _choice(
        cells: pd.Series, allowed: tuple[str, ...], issues: _ChunkIssues, *, upper: bool
    ) -> pd.Series:
        values = cells.str.upper() if upper else cells.str.lower()
        bad = ~values.isin(allowed)
        for row in cells.index[bad]:
            value = cells[row]
            reason = (
                "a value is required" if value == "" else "must be one of " + ", ".join(allowed)
            )
            issues.add(int(row), str(cells.name), value, reason)
        return values.astype(object)

    @staticmethod
    def _grade(cells: pd.Series, issues: _ChunkIssues) -> pd.Series:
        def normal(value: str) -> str:
            if value.upper() == ALL_GRADES:
                return ALL_GRADES
            return value.zfill(2) if value.isdigit() and len(value) <= 2 else value

        values = cells.map(normal)
        for row in cells.index[~values.isin(GRADES)]:
            value = cells[row]
            reason = (
                "a value is required"
                if value == ""
                else f"a tested grade is 03 to 12, or {ALL_GRADES} for all grades together"
            )
            issues.add(int(row), "grade", value, reason)
        return values.astype(object)


# ---------------------------------------------------------------------------------------------
# The downloadable template


def template_rows() -> list[list[str]]:
    """The header and the two example rows (a reported group and a suppressed one)."""
    return [
        list(COLUMN_NAMES),
        [c.examples[0] for c in COLUMNS],
        [c.examples[1] for c in COLUMNS],
    ]


def column_guide() -> list[tuple[str, str, str]]:
    """``(column, required, content)`` for the guide on the page and in the workbook."""
    return [(c.name, "yes" if c.required else "no", c.content) for c in COLUMNS]


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(template_rows())
    return buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """A workbook: the ``results`` sheet (codes formatted as text) and the column guide."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "results"
    bold = Font(bold=True)
    for r, values in enumerate(template_rows(), start=1):
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if r == 1:
                cell.font = bold
            elif COLUMNS[c - 1].name in ("school_code", "grade") or not _is_number(value):
                cell.number_format = "@"
            else:
                cell.value = float(value) if "." in value else int(value)
    sheet.column_dimensions["A"].number_format = "@"
    for position, column in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=position).column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
    guide = workbook.create_sheet("columns")
    guide.append(["column", "required", "content"])
    for row in column_guide():
        guide.append(list(row))
    guide.append([])
    guide.append(["marker", "stored as missing, reason", "meaning"])
    for row in MARKER_GUIDE:
        guide.append(list(row))
    for cell in guide[1]:
        cell.font = bold
    guide.column_dimensions["A"].width = 22
    guide.column_dimensions["B"].width = 24
    guide.column_dimensions["C"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _filled(cell: Any) -> bool:
    if isinstance(cell, str):
        return bool(cell.strip())
    return cell is not None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return value != ""
