"""Checking and converting the columns of a target chunk, a whole column at a time.

Readers deliver typed values, but a writer trusts nothing it is about to store: each helper here
reports every bad cell (row, column, value, reason) to the job's problem log and returns the
converted column and a mask of the rows that had a problem. Missing values (None, NaN, "") stay
missing — never 0.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from turnaround.imports.problems import ProblemLog

Mask = npt.NDArray[np.bool_]

_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0", ""})


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def as_text(values: pd.Series) -> pd.Series:
    """A column as stripped text, '' for missing (None, NaN)."""
    cells = values.astype(object)
    absent = cells.isna()
    if absent.any():
        cells = cells.where(~absent, "")
    return cells.astype(str).str.strip()


def missing_mask(values: pd.Series) -> Mask:
    mask = np.array(pd.isna(values), dtype=bool)
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
        mask |= np.array(as_text(values) == "", dtype=bool)
    return mask


def _report(
    problems: ProblemLog,
    bad: Mask,
    rows: npt.NDArray[np.int64],
    column: str,
    values: pd.Series,
    reason: str,
    *,
    hide: bool = False,
) -> None:
    for i in np.flatnonzero(bad):
        problems.add(int(rows[i]), column, None if hide else values.iloc[int(i)], reason)


def numbers(
    frame: pd.DataFrame,
    column: str,
    problems: ProblemLog,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    whole: bool = False,
    required: bool = False,
    what: str = "",
) -> tuple[npt.NDArray[np.float64], Mask]:
    """A numeric column as floats (NaN for missing) and the rows with a problem.

    ``what`` names the kind for the messages: "count" (negative counts), "percent"
    (over 100), or anything else.
    """
    values = frame[column]
    rows = frame["_row"].to_numpy(np.int64)
    absent = missing_mask(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        parsed = pd.Series(np.nan, index=values.index, dtype="float64")
    else:
        given = values.where(~absent, None) if absent.any() else values
        parsed = pd.to_numeric(given, errors="coerce").astype("float64")
    array = parsed.to_numpy(np.float64)
    present = ~np.isnan(array)
    bad = np.zeros(len(values), dtype=bool)
    not_number = ~present & ~absent
    _report(problems, not_number, rows, column, values, "not a number")
    bad |= not_number
    if required:
        _report(problems, absent, rows, column, values, "a value is required")
        bad |= absent
    with np.errstate(invalid="ignore"):
        checks: list[tuple[Mask, str]] = []
        if whole:
            checks.append((present & (array != np.floor(array)), "must be a whole number"))
        if minimum is not None:
            reason = (
                "impossible value: a negative count"
                if what == "count" and minimum == 0
                else f"impossible value: below {minimum:g}"
            )
            checks.append((present & (array < minimum), reason))
        if maximum is not None:
            reason = (
                "impossible value: a percent over 100"
                if what == "percent" and maximum == 100
                else f"impossible value: above {maximum:g}"
            )
            checks.append((present & (array > maximum), reason))
        for mask, reason in checks:
            _report(problems, mask & ~bad, rows, column, values, reason)
            bad |= mask
    return array, bad


def counts(
    frame: pd.DataFrame, column: str, problems: ProblemLog, *, required: bool = False
) -> tuple[npt.NDArray[np.float64], Mask]:
    return numbers(frame, column, problems, minimum=0, whole=True, required=required, what="count")


def percents(
    frame: pd.DataFrame, column: str, problems: ProblemLog
) -> tuple[npt.NDArray[np.float64], Mask]:
    return numbers(frame, column, problems, minimum=0, maximum=100, what="percent")


def years(frame: pd.DataFrame, problems: ProblemLog) -> tuple[npt.NDArray[np.float64], Mask]:
    return numbers(frame, "year", problems, minimum=1990, maximum=2100, whole=True, required=True)


def texts(
    frame: pd.DataFrame,
    column: str,
    problems: ProblemLog,
    *,
    required: bool = False,
    max_length: int | None = None,
    choices: Collection[str] | None = None,
    pattern: str | None = None,
    describe: str = "",
    hide: bool = False,
) -> tuple[list[str], Mask]:
    """A text column ('' for missing, stripped) and the rows with a problem."""
    values = frame[column]
    rows = frame["_row"].to_numpy(np.int64)
    text = as_text(values)
    given = np.array(text != "", dtype=bool)
    bad = np.zeros(len(text), dtype=bool)
    checks: list[tuple[Mask, str]] = []
    if required:
        checks.append((~given, "a value is required"))
    if max_length is not None:
        checks.append(
            (
                given & np.array(text.str.len() > max_length, dtype=bool),
                f"longer than {max_length} characters",
            )
        )
    if choices is not None:
        allowed = sorted(choices)
        checks.append(
            (
                given & ~np.array(text.isin(allowed), dtype=bool),
                "must be one of " + ", ".join(allowed),
            )
        )
    if pattern is not None:
        matches = np.array(text.str.fullmatch(pattern).fillna(False), dtype=bool)
        checks.append((given & ~matches, describe or f"does not match {pattern}"))
    for mask, reason in checks:
        for i in np.flatnonzero(mask & ~bad):
            problems.add(int(rows[i]), column, None if hide else values.iloc[int(i)], reason)
        bad |= mask
    return text.tolist(), bad


def flags(
    frame: pd.DataFrame, column: str, problems: ProblemLog, *, default: bool = False
) -> tuple[list[bool], Mask]:
    """A yes/no column as bools (missing → ``default``) and the rows with a problem."""
    values = frame[column]
    rows = frame["_row"].to_numpy(np.int64)
    if pd.api.types.is_bool_dtype(values.dtype):
        return [bool(v) for v in values], np.zeros(len(values), dtype=bool)
    out: list[bool] = []
    bad = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):
        if is_missing(value):
            out.append(default)
        elif isinstance(value, bool | np.bool_):
            out.append(bool(value))
        else:
            text = str(value).strip().lower()
            if text in _TRUE:
                out.append(True)
            elif text in _FALSE:
                out.append(False)
            else:
                out.append(default)
                bad[i] = True
                problems.add(int(rows[i]), column, value, "must be yes or no (true/false, 1/0)")
    return out, bad


def missing_reasons(
    frame: pd.DataFrame,
    problems: ProblemLog,
    *,
    allowed_columns: Collection[str],
    allowed_reasons: Collection[str],
) -> tuple[list[dict[str, str]], Mask]:
    """The ``missing`` column as dicts ``{column: reason}`` (None → {})."""
    values = frame["missing"] if "missing" in frame.columns else pd.Series([None] * len(frame))
    rows = frame["_row"].to_numpy(np.int64)
    out: list[dict[str, str]] = []
    bad = np.zeros(len(frame), dtype=bool)
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append({})
            continue
        if not isinstance(value, Mapping):
            bad[i] = True
            problems.add(int(rows[i]), "missing", value, "must be a mapping {column: reason}")
            out.append({})
            continue
        reasons = {}
        for column, reason in value.items():
            problem = None
            if column not in allowed_columns:
                problem = "a missing-value reason for a column this table does not have"
            elif reason not in allowed_reasons:
                problem = "unknown missing-value reason; allowed: " + ", ".join(allowed_reasons)
            if problem is not None:
                bad[i] = True
                problems.add(int(rows[i]), str(column), reason, problem)
                continue
            reasons[str(column)] = str(reason)
        out.append(reasons)
    return out, bad


def plain(value: Any) -> Any:
    """A value as JSON and the database hold it: NaN → None, numpy scalars → Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Equal as stored: None equals None, floats within 1e-9, containers element by element."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def as_int(value: float) -> int | None:
    return None if math.isnan(value) else int(round(value))


def as_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
