"""Input checks shared by matching and estimation: a school × year panel and the engagements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from turnaround.analytics.impact.errors import (
    DuplicateRowError,
    ImpactInputError,
    InsufficientDataError,
    MissingColumnError,
    PanelValueError,
)

FloatArray = npt.NDArray[np.float64]


def check_choice(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise ``ImpactInputError`` listing ``allowed`` when ``value`` is not one of them."""
    if value not in allowed:
        raise ImpactInputError(
            f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}"
        )


def check_int(name: str, value: object, *, minimum: int) -> int:
    """An ``int`` (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ImpactInputError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ImpactInputError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_probability(name: str, value: object) -> float:
    """A float strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ImpactInputError(f"{name} must be a number between 0 and 1, got {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ImpactInputError(f"{name} must be strictly between 0 and 1, got {value}")
    return float(value)


def _row(frame: pd.DataFrame, position: int) -> str:
    return f"row {frame.index[position]!r}"


def numeric_column(frame: pd.DataFrame, column: str) -> FloatArray:
    """``frame[column]`` as floats; NaN stays NaN (missing) but text and ±inf are errors.

    Raises
    ------
    PanelValueError
        Naming the first offending row (by index label), its school and year where known.
    """
    raw = frame[column]
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise PanelValueError(f"column {column!r} is boolean; an outcome or covariate is numeric")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        out = np.asarray(raw.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    else:
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna().to_numpy() & raw.notna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PanelValueError(
                f"column {column!r} is not numeric in {_row(frame, i)}: {raw.iloc[i]!r}"
            )
        out = np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    inf = np.isinf(out)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise PanelValueError(f"column {column!r} is not finite in {_row(frame, i)}: {out[i]}")
    return out


def check_panel(
    panel: object,
    *,
    school: str,
    year: str,
    numeric: Sequence[str] = (),
    other: Sequence[str] = (),
) -> pd.DataFrame:
    """Validate a school × year panel and return a clean copy.

    The copy has ``school`` as ``str``, ``year`` as ``int64``, each of ``numeric`` as
    ``float64`` (NaN = missing), the ``other`` columns unchanged, and a fresh ``RangeIndex``;
    error messages use the caller's index labels.

    Raises
    ------
    TypeError
        ``panel`` is not a DataFrame.
    MissingColumnError, PanelValueError, DuplicateRowError
    """
    if not isinstance(panel, pd.DataFrame):
        raise TypeError(f"panel must be a pandas DataFrame, got {type(panel).__name__}")
    wanted = [school, year, *numeric, *other]
    missing = [c for c in dict.fromkeys(wanted) if c not in panel.columns]
    if missing:
        raise MissingColumnError(
            f"panel has no column {missing[0]!r}"
            + (f" (nor {', '.join(map(repr, missing[1:]))})" if len(missing) > 1 else "")
            + f"; columns: {', '.join(map(str, panel.columns))}"
        )
    if panel.empty:
        raise ImpactInputError("panel has no rows")
    ids = panel[school]
    if ids.isna().any():
        i = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise PanelValueError(f"column {school!r} (school id) is missing in {_row(panel, i)}")
    years_raw = pd.to_numeric(panel[year], errors="coerce")
    years_f = np.asarray(years_raw.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    bad = ~np.isfinite(years_f) | (years_f != np.round(years_f))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PanelValueError(
            f"column {year!r} must hold whole years; {_row(panel, i)} has {panel[year].iloc[i]!r}"
        )
    columns: dict[str, object] = {
        school: ids.astype(str).to_numpy(dtype=object),
        year: years_f.astype(np.int64),
    }
    for column in dict.fromkeys(numeric):
        if column not in columns:
            columns[column] = numeric_column(panel, column)
    for column in dict.fromkeys(other):
        if column not in columns:
            columns[column] = panel[column].to_numpy()
    out = pd.DataFrame(columns)
    dup = out.duplicated([school, year], keep=False).to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        same = np.flatnonzero(
            dup
            & (out[school].to_numpy() == out[school].iloc[first])
            & (out[year].to_numpy() == out[year].iloc[first])
        )
        labels = " and ".join(repr(panel.index[j]) for j in same[:3])
        raise DuplicateRowError(
            f"rows {labels} are all school {out[school].iloc[first]!r} in year "
            f"{int(out[year].iloc[first])}: the panel needs one row per school and year"
        )
    return out


def check_treated(treated: object) -> dict[str, int]:
    """``{school id: engagement start year}`` with ``str`` ids and ``int`` years.

    Raises
    ------
    ImpactInputError
        ``treated`` is not a mapping, or a start year is not a whole number.
    """
    if not isinstance(treated, Mapping):
        raise ImpactInputError(
            "treated must be a mapping {school id: engagement start year}, "
            f"got {type(treated).__name__}"
        )
    out: dict[str, int] = {}
    for key, start in treated.items():
        sid = str(key)
        if isinstance(start, bool) or not isinstance(start, int | np.integer | float | np.floating):
            raise ImpactInputError(f"start year of school {sid!r} must be a year, got {start!r}")
        if not float(start).is_integer():
            raise ImpactInputError(f"start year of school {sid!r} must be a whole year: {start}")
        if sid in out:
            raise ImpactInputError(f"school {sid!r} appears twice in treated")
        out[sid] = int(start)
    if not out:
        raise InsufficientDataError(
            "treated is empty: there are no engaged schools to estimate for"
        )
    return out
