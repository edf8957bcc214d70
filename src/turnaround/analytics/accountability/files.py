"""Readers that turn the real file layouts (and the documented generic layouts) into rule inputs.

Every reader validates the whole input before returning anything: a wrong or missing column, a
value of the wrong type, a duplicate key, an impossible value (a percent over 100, a negative
count), an empty body or a file mixing encodings raises :class:`RuleInputError` with every problem
found (row, column, value, reason); nothing is produced. Row numbers count the header as row 1.
Identifiers stay strings exactly as written (leading zeros kept); missing markers become NaN,
never 0.

Layouts read
------------
``ma-profiles-2017``
    DESE school profiles (``MA_Public_Schools_2017.csv``): the published cumulative PPI (all
    students, high needs), school percentile and grades served. Raw PPI indicators are absent,
    so the published cumulative values are used. Levels 4 and 5 in the file are the
    Commissioner's designations and are read as such (an input, never computed); the other
    published levels are outcomes and are not read.
``tx-camprate``
    TEA ``CAMPRATE_YYYY.csv`` (quoted 9-digit ``CAMPUS``; ``"."`` for a missing ``CDALLS`` or
    ``C_YRS_IR``). ``Not Rated…`` and ``Data Integrity Issues`` ratings are TEA decisions and are
    read as a status; A–F, Met Standard and Improvement Required are outcomes and are not used by
    the rule (kept as ``published_rating`` for comparison).
``ca-dashboard-grad``
    CDE Dashboard graduation downloads (``graddownloadYYYY.txt``): Latin-1, tab-separated, one row
    per entity and student group with the year's and the prior year's graduates and cohort.
``ca-eligibility``
    CDE ``sch_eligibility_state_sg.csv`` (published assistance status and Title I), for
    comparisons.
``ma12``, ``ma18``, ``essa``, ``tx``
    The generic layouts (one row per school and year, ``essa`` one per school, year and group);
    their columns are listed in :data:`CANONICAL_COLUMNS`. Unknown columns are refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

Source = str | os.PathLike[str] | pd.DataFrame

#: Problems reported per input; the count of further problems is still given.
MAX_ISSUES = 200


@dataclass(frozen=True)
class InputIssue:
    """One problem in an input: where (row, column), what (value) and why."""

    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.value is not None:
            where.append(f"value {self.value!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason


class RuleInputError(ValueError):
    """An input a rule set cannot use; nothing was produced.

    Attributes
    ----------
    source : str
        The file name (or ``<DataFrame>``).
    issues : tuple of InputIssue
        The problems found (at most :data:`MAX_ISSUES` per input).
    total : int
        How many problems there were in all.
    """

    def __init__(self, source: str, issues: Sequence[InputIssue], total: int | None = None):
        self.source = source
        self.issues = tuple(issues)
        self.total = len(self.issues) if total is None else total
        super().__init__(self.describe(limit=10))

    def describe(self, limit: int | None = None) -> str:
        """A report: the source, the number of problems and each problem on its own line."""
        shown = self.issues if limit is None else self.issues[:limit]
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"{self.source}: {self.total} {noun}, nothing was produced"]
        lines += [f"  {issue}" for issue in shown]
        if self.total > len(shown):
            lines.append(f"  … and {self.total - len(shown)} more")
        return "\n".join(lines)

    @classmethod
    def merge(cls, errors: Sequence[RuleInputError]) -> RuleInputError:
        """One error for several inputs (the sources joined, issues prefixed by source)."""
        if len(errors) == 1:
            return errors[0]
        issues = [
            InputIssue(i.row, i.column, i.value, f"[{e.source}] {i.reason}")
            for e in errors
            for i in e.issues
        ]
        return cls(", ".join(e.source for e in errors), issues, sum(e.total for e in errors))


class _Issues:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[InputIssue] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, value: object, reason: str) -> None:
        self.total += 1
        if len(self.items) < MAX_ISSUES:
            shown = None if value is None else str(value)
            self.items.append(InputIssue(row, column, shown, reason))

    def raise_if_any(self) -> None:
        if self.total:
            raise RuleInputError(self.source, self.items, self.total)


# --- reading text ------------------------------------------------------------------------------

_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def decode_text(data: bytes, source: str) -> str:
    """Text of a file that is UTF-8 (with or without BOM) or Latin-1, or RuleInputError.

    A file whose bytes are partly valid UTF-8 multi-byte sequences and partly invalid UTF-8 mixes
    encodings (typically lines pasted from two exports) and is refused, naming a line of each.
    """
    if data.startswith(b"PK\x03\x04"):
        raise RuleInputError(
            source,
            [InputIssue(None, None, None, "an Excel workbook; save the sheet as CSV first")],
        )
    if b"\x00" in data[:4096]:
        raise RuleInputError(
            source,
            [InputIssue(None, None, None, "binary or UTF-16 data; save as UTF-8 or Latin-1 text")],
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8 = _UTF8_MULTIBYTE.search(data)
        if utf8 is not None:
            line_utf8 = data.count(b"\n", 0, utf8.start()) + 1
            line_bad = data.count(b"\n", 0, exc.start) + 1
            raise RuleInputError(
                source,
                [
                    InputIssue(
                        line_bad,
                        None,
                        repr(data[exc.start : exc.start + 1]),
                        f"mixed encodings: line {line_utf8} is UTF-8 but line {line_bad} is "
                        "not; save the whole file in one encoding",
                    )
                ],
            ) from exc
        return data.decode("latin-1")


@dataclass(frozen=True)
class RawTable:
    """An input as text cells: every value a ``str`` (blank for missing), header names kept."""

    frame: pd.DataFrame
    source: str
    path: Path | None


def read_raw(source: Source) -> RawTable:
    """Read a CSV or tab-separated file (or take a DataFrame) as text cells.

    The delimiter is a tab when the header line has one, else a comma. Raises RuleInputError for
    an empty file, a header without rows, repeated or blank header names and rows with the wrong
    number of fields.
    """
    if isinstance(source, pd.DataFrame):
        name = str(source.attrs.get("source", "<DataFrame>"))
        cells = _frame_as_text(source, name)
        cells.attrs.update(source.attrs)
        return RawTable(cells, name, None)
    path = Path(source)
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RuleInputError(name, [InputIssue(None, None, None, f"cannot read: {exc}")]) from exc
    text = decode_text(data, name)
    if not text.strip():
        raise RuleInputError(name, [InputIssue(None, None, None, "the file is empty")])
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    issues = _Issues(name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    _check_header(header, issues)
    rows: list[list[str]] = []
    for index, record in enumerate(reader, start=2):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line
        if len(record) != len(header):
            issues.add(
                index,
                None,
                None,
                f"{len(record)} fields where the header has {len(header)}",
            )
            continue
        rows.append(record)
    if not rows and not issues.total:
        issues.add(None, None, None, "the file has a header but no data rows")
    issues.raise_if_any()
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return RawTable(frame, name, path)


def _check_header(header: list[str], issues: _Issues) -> None:
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            issues.add(1, None, None, f"header field {position} is blank")
        elif name in seen:
            issues.add(1, name, None, "the column appears twice in the header")
        seen.add(name)


def _frame_as_text(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """A DataFrame input as cells: text, except numeric columns, which stay numbers."""
    issues = _Issues(source)
    columns = [str(c).strip() for c in frame.columns]
    _check_header(columns, issues)
    if frame.empty:
        issues.add(None, None, None, "the table has no rows")
    issues.raise_if_any()
    out: dict[str, pd.Series] = {}
    index = pd.RangeIndex(2, 2 + len(frame))
    for name, column in zip(columns, frame.columns, strict=True):
        series = frame[column]
        dtype = series.dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            out[name] = pd.Series(series.to_numpy(), index=index)  # checked as numbers
        else:
            out[name] = pd.Series(_column_text(series), index=index, dtype=object)
    return pd.DataFrame(out, index=index)


def _column_text(series: pd.Series) -> list[str]:
    """A typed column as text cells, vectorised for numeric and boolean columns."""
    if pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
        flags: list[str] = np.where(series.to_numpy(bool), "true", "false").tolist()
        return flags
    if pd.api.types.is_integer_dtype(series.dtype) and not series.isna().any():
        return series.to_numpy(np.int64).astype(str).tolist()
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(np.float64)
        whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**53)
        text = np.where(
            whole, np.where(whole, values, 0).astype(np.int64).astype(str), values.astype(str)
        )
        cells: list[str] = np.where(np.isnan(values), "", text).tolist()
        return cells
    return [_cell_text(v) for v in series.tolist()]


def _cell_text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


# --- column validation ------------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "1", "1.0", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "0.0", "f"})


@dataclass(frozen=True)
class Col:
    """How one input column is checked and converted.

    ``kind``: ``id`` (text matching ``pattern``), ``text``, ``int``, ``num``, ``count``
    (non-negative whole number), ``pct`` (0–100), ``bool``, ``choice``.
    """

    name: str
    kind: str
    out: str | None = None
    required: bool = False
    nonblank: bool = False
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    missing: tuple[str, ...] = ("",)
    describe: str = ""

    @property
    def target(self) -> str:
        return self.out or self.name


def convert_columns(
    raw: pd.DataFrame, cols: Sequence[Col], issues: _Issues
) -> dict[str, pd.Series]:
    """Check the listed columns of a text frame and convert them (NaN/None for missing)."""
    result: dict[str, pd.Series] = {}
    for col in cols:
        if col.name not in raw.columns:
            if col.required:
                issues.add(1, col.name, None, "required column missing")
            continue
        result[col.target] = _convert(raw[col.name], col, issues)
    return result


_NUMERIC_KINDS = ("int", "num", "count", "pct")


def _convert(cells: pd.Series, col: Col, issues: _Issues) -> pd.Series:
    typed = _typed(cells, col)
    if typed is not None:
        return _check_numbers(typed, np.isnan(typed.to_numpy()), col, issues, cells)
    if cells.dtype != object:  # a typed column of a frame that is not a number here
        cells = pd.Series(_column_text(cells), index=cells.index, dtype=object)
    raw = cells.tolist()
    stripped = [v.strip() for v in raw]
    absent = set(col.missing)
    missing = [v in absent for v in stripped]
    if col.nonblank:
        _report(missing, "a value is required", col, issues, cells)
    if col.kind in ("id", "text", "choice"):
        if col.kind == "choice":
            allowed = set(col.choices)
            _report(
                [not (m or v in allowed) for v, m in zip(stripped, missing, strict=True)],
                "must be one of " + ", ".join(map(repr, col.choices)),
                col,
                issues,
                cells,
            )
        elif col.pattern is not None:
            pattern = re.compile(col.pattern)
            _report(
                [not (m or pattern.fullmatch(v)) for v, m in zip(stripped, missing, strict=True)],
                f"must match {col.describe or col.pattern} (ids are read as text)",
                col,
                issues,
                cells,
            )
        kept = [None if m else v for v, m in zip(stripped, missing, strict=True)]
        return pd.Series(kept, index=cells.index, dtype=object)
    if col.kind == "bool":
        low = [v.lower() for v in stripped]
        flags: list[bool | None] = [
            True if v in _TRUE else False if v in _FALSE else None for v in low
        ]
        _report(
            [f is None and not m for f, m in zip(flags, missing, strict=True)],
            "must be true/false (or 1/0, Y/N, yes/no)",
            col,
            issues,
            cells,
        )
        return pd.Series(flags, index=cells.index, dtype=object)
    given = np.array(
        [None if m else v for v, m in zip(stripped, missing, strict=True)], dtype=object
    )
    numbers = pd.to_numeric(pd.Series(given, index=cells.index), errors="coerce")
    return _check_numbers(
        numbers.astype(np.float64), np.asarray(missing, dtype=bool), col, issues, cells
    )


def _typed(cells: pd.Series, col: Col) -> pd.Series | None:
    """A numeric column of a DataFrame input, checked without a detour through text."""
    dtype = cells.dtype
    if col.kind not in _NUMERIC_KINDS or pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_numeric_dtype(dtype):
        return cells.astype(np.float64)
    return None


def _check_numbers(
    numbers: pd.Series,
    missing: npt.NDArray[np.bool_],
    col: Col,
    issues: _Issues,
    cells: pd.Series,
) -> pd.Series:
    array = numbers.to_numpy()
    present = ~np.isnan(array)
    if col.nonblank and not present.all() and cells.dtype != object:
        _report(~present, "a value is required", col, issues, cells)
    _report(~present & ~missing, "not a number", col, issues, cells)
    minimum, maximum = col.minimum, col.maximum
    if col.kind in ("count", "pct"):
        minimum = 0.0 if minimum is None else minimum
    if col.kind == "pct":
        maximum = 100.0 if maximum is None else maximum
    with np.errstate(invalid="ignore"):
        if col.kind in ("count", "int"):
            _report(
                present & (array != np.floor(array)), "must be a whole number", col, issues, cells
            )
        if minimum is not None:
            what = "a negative count" if col.kind == "count" else f"below {minimum:g}"
            _report(present & (array < minimum), f"impossible value: {what}", col, issues, cells)
        if maximum is not None:
            what = "a percent over 100" if col.kind == "pct" else f"above {maximum:g}"
            _report(present & (array > maximum), f"impossible value: {what}", col, issues, cells)
    return numbers


def _report(
    bad: Sequence[bool] | npt.NDArray[np.bool_],
    reason: str,
    col: Col,
    issues: _Issues,
    cells: pd.Series,
) -> None:
    positions = np.flatnonzero(np.asarray(bad, dtype=bool))
    if len(positions) == 0:
        return
    rows = cells.index
    for i in positions:
        value = cells.iloc[int(i)]
        shown = "" if value is None or (isinstance(value, float) and np.isnan(value)) else value
        issues.add(int(rows[int(i)]), col.name, shown, reason)


def _text_or_none(text: pd.Series, missing: pd.Series) -> pd.Series:
    values = [None if m else t for t, m in zip(text.tolist(), missing.tolist(), strict=True)]
    return pd.Series(values, index=text.index, dtype=object)


def _show_key(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_unique(
    frame: pd.DataFrame, keys: Sequence[str], issues: _Issues, names: Sequence[str] | None = None
) -> None:
    """Report every row whose key repeats an earlier row's."""
    present = [k for k in keys if k in frame.columns]
    if len(present) != len(keys):
        return
    dup = frame.duplicated(list(keys), keep="first")
    if not dup.any():
        return
    first_row: dict[tuple[object, ...], int] = {}
    key_rows = [tuple(k) for k in frame[list(keys)].itertuples(index=False)]
    for row, key in zip(frame.index, key_rows, strict=True):
        first_row.setdefault(key, int(row))
    shown = list(names) if names is not None else list(keys)
    for row, key, repeated in zip(frame.index, key_rows, dup.tolist(), strict=True):
        if not repeated:
            continue
        text = ", ".join(f"{n}={_show_key(v)}" for n, v in zip(shown, key, strict=True))
        issues.add(int(row), shown[0], key[0], f"duplicate key ({text}) of row {first_row[key]}")


def _year_from(raw: RawTable, year: int | None, issues: _Issues) -> int | None:
    if year is not None:
        return year
    attr = raw.frame.attrs.get("year")
    if isinstance(attr, int):
        return attr
    if raw.path is not None:
        found = re.findall(r"(?<!\d)(20\d\d|19\d\d)(?!\d)", raw.path.stem)
        if len(found) == 1:
            return int(found[0])
    issues.add(
        None,
        None,
        raw.source,
        "cannot tell the year of this file: name it with the year (e.g. CAMPRATE_2019.csv) or "
        "pass the year",
    )
    return None


def _id_pattern(digits: int) -> str:
    return rf"\d{{{digits}}}"


# --- Massachusetts profiles --------------------------------------------------------------------

MA_PPI_ALL = "Progress and Performance Index (PPI) - All Students"
MA_PPI_HN = "Progress and Performance Index (PPI) - High Needs Students"
MA_PERCENTILE = "School Accountability Percentile (1-99)"
MA_LEVEL = "Accountability and Assistance Level"
MA_DESCRIPTION = "Accountability and Assistance Description"
MA_LEVELS = ("Level 1", "Level 2", "Level 3", "Level 4", "Level 5", "Insufficient data")
GRADE_ORDER: tuple[str, ...] = ("PK", "K", *(f"{g:02d}" for g in range(1, 13)))


def school_type_from_grades(grades: str | None) -> str | None:
    """The MA school type (ES, ESMS, MS, MSHS, HS, K-12) from a grade list like ``K,01,…,05``.

    HS: lowest grade ≥ 9; ES: highest ≤ 5, or highest 6 with lowest ≤ 4; ESMS: lowest ≤ 4 and
    highest 7–8; MS: lowest 5–8 and highest ≤ 8; K-12: lowest ≤ 4 and highest ≥ 9; MSHS: lowest
    5–8 and highest ≥ 9 (an approximation of DESE's grade-span pools; unverified). None when no
    grade is recognised.
    """
    ordinals = _grade_ordinals(grades)
    if not ordinals:
        return None
    low, high = min(ordinals), max(ordinals)  # PK = -1, K = 0, grade g = g
    if low >= 9:
        return "HS"
    if high <= 5 or (high == 6 and low <= 4):
        return "ES"
    if high <= 8:
        return "ESMS" if low <= 4 else "MS"
    return "K-12" if low <= 4 else "MSHS"


def highest_grade(grades: str | None) -> int | None:
    """Highest grade served as a number (PK = −1, K = 0), or None."""
    ordinals = _grade_ordinals(grades)
    return max(ordinals) if ordinals else None


def _grade_ordinals(grades: str | None) -> list[int]:
    if not grades:
        return []
    out = []
    for part in str(grades).split(","):
        token = part.strip().upper()
        if token == "PK":
            out.append(-1)
        elif token == "K":
            out.append(0)
        elif token.isdigit() and 1 <= int(token) <= 12:
            out.append(int(token))
    return out


_MA_ID = Col(
    "School Code",
    "id",
    "school_id",
    required=True,
    nonblank=True,
    pattern=_id_pattern(8),
    describe="8 digits",
)


def read_ma_profiles(source: Source, *, year: int | None = None) -> pd.DataFrame:
    """The DESE 2017 school-profiles layout as ``ma12`` rule inputs (one row per school).

    Parameters
    ----------
    source : path or DataFrame
        ``MA_Public_Schools_2017.csv`` or a frame read from it (all cells as text).
    year : int, optional
        The accountability year; by default the year in the file name (2017).

    Returns
    -------
    DataFrame
        ``school_id``, ``year``, ``grades``, ``school_type``, ``cum_ppi_all``,
        ``cum_ppi_high_needs``, ``percentile``, ``designation`` (4 or 5 from the published level,
        else NaN), ``charter``.
    """
    raw = read_raw(source)
    return _ma_profiles(raw, year)


def _ma_profiles(raw: RawTable, year: int | None) -> pd.DataFrame:
    issues = _Issues(raw.source)
    frame = raw.frame
    cols = [
        _MA_ID,
        Col("District Code", "id", pattern=_id_pattern(8), describe="8 digits"),
        Col("Grade", "text", "grades", required=True),
        Col("School Type", "text", "school_kind"),
        Col(MA_PPI_ALL, "num", "cum_ppi_all", required=True, minimum=0.0),
        Col(MA_PPI_HN, "num", "cum_ppi_high_needs", required=True, minimum=0.0),
        Col(MA_PERCENTILE, "num", "percentile", required=True, minimum=1.0, maximum=99.0),
        Col(MA_LEVEL, "choice", "published_level", required=True, choices=MA_LEVELS),
        Col(MA_DESCRIPTION, "text", "published_reason"),
    ]
    # every other percent and count column of the file must be possible too
    for name in frame.columns:
        if name.startswith("%"):
            cols.append(Col(name, "pct", out=f"_check:{name}"))
        elif name.endswith(("#", "_Enrollment")) or name in ("# in Cohort", "TOTAL_Enrollment"):
            cols.append(Col(name, "count", out=f"_check:{name}"))
    converted = convert_columns(frame, cols, issues)
    the_year = _year_from(raw, year, issues)
    out = pd.DataFrame({k: v for k, v in converted.items() if not k.startswith("_check:")})
    check_unique(out, ["school_id"], issues, ["School Code"])
    issues.raise_if_any()
    assert the_year is not None
    out["year"] = the_year
    out["school_type"] = [school_type_from_grades(g) for g in out["grades"]]
    level = out.pop("published_level")
    out["designation"] = level.map({"Level 4": 4.0, "Level 5": 5.0}).astype(np.float64)
    out["published_level"] = level
    kind = out.pop("school_kind") if "school_kind" in out else None
    out["charter"] = (kind == "Charter School") if kind is not None else False
    return out.reset_index(drop=True)


# --- Texas CAMPRATE ----------------------------------------------------------------------------

TX_RATINGS = (
    "A",
    "B",
    "C",
    "D",
    "F",
    "Met Standard",
    "Met Alternative Standard",
    "Improvement Required",
    "Not Rated",
    "Data Integrity Issues",
)


def read_tx_camprate(source: Source, *, year: int | None = None) -> pd.DataFrame:
    """TEA campus ratings (``CAMPRATE_YYYY.csv``) as ``tx`` rule inputs.

    Parameters
    ----------
    source : path or DataFrame
    year : int, optional
        The rating year; by default the year in the file name.

    Returns
    -------
    DataFrame
        ``school_id`` (9-digit campus), ``year``, ``score`` (``CDALLS``, NaN for "."),
        ``status`` (``Not Rated…`` / ``Data Integrity Issues`` as published, else None),
        ``alternative`` (AEA campus), ``published_rating``, ``published_count`` (``C_YRS_IR``).
    """
    return _tx_camprate(read_raw(source), year)


def _tx_camprate(raw: RawTable, year: int | None) -> pd.DataFrame:
    issues = _Issues(raw.source)
    frame = raw.frame
    rating_text = frame["C_RATING"].str.strip() if "C_RATING" in frame else None
    cols = [
        Col(
            "CAMPUS",
            "id",
            "school_id",
            required=True,
            nonblank=True,
            pattern=_id_pattern(9),
            describe="9 digits",
        ),
        Col("CDALLS", "num", "score", required=True, minimum=0.0, maximum=100.0, missing=("", ".")),
        Col("C_YRS_IR", "count", "published_count", required=True, missing=("", ".")),
        Col("CFLALTED", "bool", "alternative", missing=("", " ")),
        Col("DISTRICT", "id", pattern=_id_pattern(6), describe="6 digits"),
    ]
    for name in frame.columns:
        if re.fullmatch(r"CPE\w+P", name):
            cols.append(Col(name, "pct", out=f"_check:{name}", missing=("", ".")))
        elif re.fullmatch(r"CPE\w+[CT]", name):
            cols.append(Col(name, "count", out=f"_check:{name}", missing=("", ".")))
    converted = convert_columns(frame, cols, issues)
    if rating_text is None:
        issues.add(1, "C_RATING", None, "required column missing")
    else:
        known = rating_text.isin(TX_RATINGS) | rating_text.str.startswith("Not Rated:")
        for row in rating_text.index[~known]:
            issues.add(
                int(row),
                "C_RATING",
                frame.at[row, "C_RATING"],
                "unknown rating; allowed: " + ", ".join(TX_RATINGS) + ", Not Rated: <reason>",
            )
    the_year = _year_from(raw, year, issues)
    out = pd.DataFrame({k: v for k, v in converted.items() if not k.startswith("_check:")})
    check_unique(out, ["school_id"], issues, ["CAMPUS"])
    issues.raise_if_any()
    assert rating_text is not None and the_year is not None
    out["year"] = the_year
    status_mask = rating_text.str.startswith("Not Rated") | (rating_text == "Data Integrity Issues")
    out["status"] = _text_or_none(rating_text, ~status_mask)
    out["published_rating"] = rating_text.astype(object)
    if "alternative" not in out:
        out["alternative"] = False
    out["alternative"] = out["alternative"].fillna(False).astype(bool)
    return out.reset_index(drop=True)


# --- California --------------------------------------------------------------------------------


def read_ca_dashboard_grad(source: Source) -> pd.DataFrame:
    """A CDE Dashboard graduation download as ``ca-dashboard-grad`` rule inputs.

    Returns
    -------
    DataFrame
        ``school_id`` (14-digit CDS), ``rtype`` (S school, D district, X state), ``year``
        (from ``reportingyear``, ``2017f`` → 2017), ``group`` (``studentgroup``), ``grads``,
        ``cohort``, ``prior_grads``, ``prior_cohort`` (NaN when blank, e.g. small groups),
        ``dass`` (Dashboard Alternative School Status; None when the file has no flag).
    """
    return _ca_grad(read_raw(source))


def _ca_grad(raw: RawTable) -> pd.DataFrame:
    issues = _Issues(raw.source)
    frame = raw.frame
    cols = [
        Col(
            "cds",
            "id",
            "school_id",
            required=True,
            nonblank=True,
            pattern=_id_pattern(14),
            describe="14 digits",
        ),
        Col("rtype", "choice", required=True, nonblank=True, choices=("S", "D", "X")),
        Col("studentgroup", "text", "group", required=True, nonblank=True),
        Col("currnumer", "count", "grads", required=True),
        Col("currdenom", "count", "cohort", required=True),
        Col("priornumer", "count", "prior_grads", required=True),
        Col("priordenom", "count", "prior_cohort", required=True),
        Col("currstatus", "pct", "_check:currstatus", missing=("", "N/A")),
        Col("priorstatus", "pct", "_check:priorstatus", missing=("", "N/A")),
        Col(
            "reportingyear",
            "text",
            "year_text",
            required=True,
            nonblank=True,
            pattern=r"(19|20)\d\d[a-z]?",
            describe="a year such as 2018 or 2017f",
        ),
        Col("dass_flag", "choice", "dass_text", choices=("Y", "N")),
    ]
    if "prioryear1_numer" in frame.columns:
        # files with pooled prior years (cal_method 3yr): prior* sums up to three earlier
        # years, so the year before comes from prioryear1_*; prior* is still checked
        pooled = {"priornumer": "prioryear1_numer", "priordenom": "prioryear1_denom"}
        cols = [
            Col(pooled[c.name], "count", c.out, required=True) if c.name in pooled else c
            for c in cols
        ] + [Col(name, "count", out=f"_check:{name}") for name in pooled]
    converted = convert_columns(frame, cols, issues)
    out = pd.DataFrame({k: v for k, v in converted.items() if not k.startswith("_check:")})
    for numer, denom in (("grads", "cohort"), ("prior_grads", "prior_cohort")):
        if numer in out and denom in out:
            over = out[numer] > out[denom]
            for row in out.index[over]:
                issues.add(
                    int(row),
                    "currnumer" if numer == "grads" else "priornumer",
                    frame.at[row, "currnumer" if numer == "grads" else "priornumer"],
                    "impossible value: more graduates than students in the cohort",
                )
    check_unique(out, ["school_id", "group"], issues, ["cds", "studentgroup"])
    if "year_text" in out:
        years = out["year_text"].dropna().str[:4].unique()
        if len(years) > 1:
            issues.add(None, "reportingyear", ", ".join(years), "one file must be one year")
    issues.raise_if_any()
    out["year"] = out.pop("year_text").str[:4].astype(int)
    dass = out.pop("dass_text") if "dass_text" in out else None
    out["dass"] = (dass == "Y").astype(object) if dass is not None else None
    return out.reset_index(drop=True)


CA_STATUSES = ("General Assistance", "ATSI", "CSI Low Perform", "CSI Grad")
CA_GROUP_FLAGS = (
    "AA",
    "AI",
    "AS",
    "EL",
    "FI",
    "FOS",
    "HI",
    "HOM",
    "PI",
    "SED",
    "SWD",
    "TOM",
    "WH",
)


def read_ca_eligibility(source: Source) -> pd.DataFrame:
    """CDE ``sch_eligibility_state_sg.csv``: the published 2018 assistance status per school.

    Returns
    -------
    DataFrame
        ``school_id`` (CDS), ``year`` (``RepYr``), ``title_i``, ``status``
        (``AssistanceStatus``), one 0/1 column per ATSI student-group flag, ``groups``.
    """
    raw = read_raw(source)
    issues = _Issues(raw.source)
    cols = [
        Col(
            "CDS",
            "id",
            "school_id",
            required=True,
            nonblank=True,
            pattern=_id_pattern(14),
            describe="14 digits",
        ),
        Col("TitleI1718", "choice", "title_i_text", required=True, choices=("Yes", "No")),
        Col("AssistanceStatus", "choice", "status", required=True, choices=CA_STATUSES),
        Col("RepYr", "int", "year", required=True, nonblank=True, minimum=2000, maximum=2100),
        Col("TotStudGrps", "count", "groups"),
        *(Col(flag, "int", flag, minimum=0, maximum=1) for flag in CA_GROUP_FLAGS),
    ]
    converted = convert_columns(raw.frame, cols, issues)
    out = pd.DataFrame(converted)
    check_unique(out, ["school_id"], issues, ["CDS"])
    issues.raise_if_any()
    out["title_i"] = out.pop("title_i_text") == "Yes"
    out["year"] = out["year"].astype(int)
    return out.reset_index(drop=True)


# --- generic layouts ---------------------------------------------------------------------------

_ID = Col(
    "school_id",
    "id",
    required=True,
    nonblank=True,
    pattern=r"[A-Za-z0-9][A-Za-z0-9._-]*",
    describe="letters, digits, '.', '_' or '-'",
)
_YEAR = Col("year", "int", required=True, nonblank=True, minimum=1990, maximum=2100)
_POINTS_MA12 = ("0", "25", "50", "75", "100")
MA12_INDICATORS = ("ela_cpi", "math_cpi", "sci_cpi", "ela_sgp", "math_sgp", "grad", "dropout")
MA12_GROUPS = ("all", "high_needs")
MA18_INDICATORS: Mapping[str, str] = MappingProxyType(
    {
        "ach_ela": "achievement",
        "ach_math": "achievement",
        "ach_sci": "achievement",
        "growth_ela": "growth",
        "growth_math": "growth",
        "grad": "completion",
        "ext_eng": "completion",
        "dropout": "completion",
        "elp": "el",
        "absent": "additional",
        "adv_course": "additional",
    }
)
#: Indicators each (group, span) has in the MA 2018 system (accountability.md §2.2).
MA18_ALLOWED: Mapping[tuple[str, str], tuple[str, ...]] = MappingProxyType(
    {
        ("all", "nonhs"): (
            "ach_ela",
            "ach_math",
            "ach_sci",
            "growth_ela",
            "growth_math",
            "elp",
            "absent",
        ),
        ("lowest", "nonhs"): ("ach_ela", "ach_math", "growth_ela", "growth_math", "absent"),
        ("all", "hs"): (
            "ach_ela",
            "ach_math",
            "ach_sci",
            "growth_ela",
            "growth_math",
            "grad",
            "ext_eng",
            "dropout",
            "elp",
            "absent",
            "adv_course",
        ),
        ("lowest", "hs"): ("ach_ela", "ach_math", "growth_ela", "growth_math", "absent"),
    }
)

CANONICAL_COLUMNS: Mapping[str, tuple[Col, ...]] = MappingProxyType(
    {
        "ma12": (
            _ID,
            _YEAR,
            Col("school_type", "choice", choices=("ES", "ESMS", "MS", "MSHS", "HS", "K-12")),
            Col("grades", "text"),
            Col("n_all", "count"),
            Col("n_high_needs", "count"),
            Col("cum_ppi_all", "num", minimum=0.0),
            Col("cum_ppi_high_needs", "num", minimum=0.0),
            Col("annual_ppi_all", "num", minimum=0.0),
            Col("annual_ppi_high_needs", "num", minimum=0.0),
            *(
                Col(f"pts_{g}_{i}", "choice", choices=_POINTS_MA12)
                for g in MA12_GROUPS
                for i in MA12_INDICATORS
            ),
            *(Col(f"extra_credit_{g}", "count") for g in MA12_GROUPS),
            # computed median SGPs, turned into growth points when pts_*_sgp are not given
            *(
                Col(f"median_sgp_{g}_{s}", "num", minimum=1.0, maximum=99.0)
                for g in MA12_GROUPS
                for s in ("ela", "math")
            ),
            *(Col(f"n_sgp_{g}_{s}", "count") for g in MA12_GROUPS for s in ("ela", "math")),
            Col("percentile", "num", minimum=1.0, maximum=99.0),
            Col("composite", "num"),
            Col("participation_min", "pct"),
            Col("lowest_subgroup", "bool"),
            Col("subgroup_percentile_min", "num", minimum=1.0, maximum=99.0),
            Col("grad_4yr", "pct"),
            Col("grad_5yr", "pct"),
            Col("grad_5yr_prev1", "pct"),
            Col("grad_5yr_prev2", "pct"),
            Col("persistently_low_grad", "bool"),
            Col("designation", "choice", choices=("4", "5", "underperforming", "chronic")),
            Col("held_harmless", "bool"),
            Col("prior_level", "int", minimum=1, maximum=5),
        ),
        "ma18": (
            _ID,
            _YEAR,
            Col("school_type", "text"),
            *(
                Col(f"{g}_{s}_{i}", "int", minimum=0, maximum=4)
                for (g, s), inds in MA18_ALLOWED.items()
                for i in inds
            ),
            Col("span_weight_nonhs", "num", minimum=0.0),
            Col("span_weight_hs", "num", minimum=0.0),
            Col("percentile", "num", minimum=1.0, maximum=99.0),
            Col("group_percentile_min", "num", minimum=1.0, maximum=99.0),
            Col("grad_4yr", "pct"),
            Col("participation_min", "pct"),
            Col("designation", "choice", choices=("underperforming", "chronic")),
        ),
        "essa": (
            _ID,
            _YEAR,
            Col("group", "text", required=True, nonblank=True),
            Col("n", "count"),
            Col("index", "num"),
            Col("title_i", "bool"),
            Col("high_school", "bool"),
            Col("grad_rate", "pct"),
            Col("grad_cohort", "count"),
            Col("pool", "text"),
            Col("underperforming", "bool"),
            Col("atsi_years", "count"),
        ),
        "tx": (
            _ID,
            _YEAR,
            Col("score", "num", minimum=0.0, maximum=100.0),
            Col("status", "text", pattern=r"Not Rated(: .+)?|Data Integrity Issues"),
            Col("alternative", "bool"),
            Col("published_count", "count"),
            Col("published_rating", "text"),
        ),
    }
)

_CANONICAL_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ma12": ("school_id", "year"),
        "ma18": ("school_id", "year"),
        "essa": ("school_id", "year", "group"),
        "tx": ("school_id", "year"),
    }
)


def read_canonical(source: Source, layout: str) -> pd.DataFrame:
    """A generic-layout input (``ma12``, ``ma18``, ``essa`` or ``tx``), validated and typed.

    Unknown columns are refused, naming the allowed ones; ids stay text.
    """
    return _canonical(read_raw(source), layout)


def _canonical(raw: RawTable, layout: str) -> pd.DataFrame:
    if layout not in CANONICAL_COLUMNS:
        raise ValueError(f"layout must be one of {', '.join(CANONICAL_COLUMNS)}; got {layout!r}")
    issues = _Issues(raw.source)
    cols = CANONICAL_COLUMNS[layout]
    allowed = {c.name for c in cols}
    for name in raw.frame.columns:
        if name not in allowed:
            issues.add(
                1,
                name,
                None,
                f"unknown column for the {layout} layout; allowed: " + ", ".join(sorted(allowed)),
            )
    converted = convert_columns(raw.frame, cols, issues)
    out = pd.DataFrame(converted, index=raw.frame.index)
    check_unique(out, list(_CANONICAL_KEYS[layout]), issues)
    if layout == "essa" and {"school_id", "year", "group"} <= set(out.columns):
        has_all = out["group"].eq("all").groupby([out["school_id"], out["year"]]).transform("any")
        for row in out.index[~has_all.astype(bool)]:
            if out.at[row, "school_id"] is not None:
                issues.add(
                    int(row),
                    "group",
                    out.at[row, "group"],
                    "this school and year has no row with group 'all' (the school row)",
                )
    issues.raise_if_any()
    out["year"] = out["year"].astype(int)
    return out.reset_index(drop=True)


# --- layout detection --------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """A file layout: the columns that identify it, what it becomes, and its reader."""

    name: str
    signature: tuple[str, ...]
    kind: str
    reader: Callable[[RawTable], pd.DataFrame]


LAYOUTS: Mapping[str, Layout] = MappingProxyType(
    {
        "ma-profiles-2017": Layout(
            "ma-profiles-2017",
            ("School Code", MA_LEVEL, MA_PPI_ALL, MA_PERCENTILE),
            "ma12",
            lambda raw: _ma_profiles(raw, None),
        ),
        "tx-camprate": Layout(
            "tx-camprate",
            ("CAMPUS", "CDALLS", "C_RATING", "C_YRS_IR"),
            "tx",
            lambda raw: _tx_camprate(raw, None),
        ),
        "ca-dashboard-grad": Layout(
            "ca-dashboard-grad",
            ("cds", "rtype", "studentgroup", "currnumer", "currdenom", "reportingyear"),
            "ca-grad",
            _ca_grad,
        ),
        **{
            name: Layout(name, ("school_id", "year"), name, partial(_canonical, layout=name))
            for name in CANONICAL_COLUMNS
        },
    }
)


def read_input(source: Source, layouts: Sequence[str]) -> tuple[str, pd.DataFrame]:
    """Detect which of ``layouts`` an input has and read it.

    Returns
    -------
    (layout name, DataFrame)

    Raises
    ------
    RuleInputError
        When the columns fit none of the layouts (naming the closest layout's missing columns),
        or when the file has any problem.
    """
    raw = read_raw(source)
    columns = set(raw.frame.columns)
    best: tuple[int, Layout] | None = None
    for name in layouts:
        layout = LAYOUTS[name]
        if all(c in columns for c in layout.signature):
            return name, layout.reader(raw)
        present = sum(c in columns for c in layout.signature)
        if best is None or present > best[0]:
            best = (present, layout)
    assert best is not None, "a rule set reads at least one layout"
    missing = [c for c in best[1].signature if c not in columns]
    reason = (
        "wrong columns: this input fits none of the layouts read here ("
        + ", ".join(layouts)
        + f"); closest is {best[1].name}, which needs "
        + ", ".join(repr(c) for c in missing)
    )
    raise RuleInputError(raw.source, [InputIssue(1, None, None, reason)])
