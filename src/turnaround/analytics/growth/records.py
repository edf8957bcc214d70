"""Long-format student records: checked and normalised once, then indexed by panel.

A *panel* is one (content area, year, grade): the scores of every student tested in that grade
that year. Cohorts (``cohorts.py``) and data-derived knots (``knots.py``) are both built from
panels, so the long file is validated and split here and nowhere else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from turnaround.analytics.growth.errors import (
    DuplicateRecordError,
    GrowthInputError,
    ScoreValueError,
)

FloatArray = npt.NDArray[np.float64]

REQUIRED_COLUMNS = ("CONTENT_AREA", "YEAR", "ID", "GRADE", "SCALE_SCORE")
VALID = "VALID_CASE"

PanelKey = tuple[str, str, str]  # (content area, year, grade)


def normalise_grade(value: object) -> str:
    """``4``, ``4.0``, ``"4"`` and ``"04"`` all become ``"4"``; anything else is an error."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise GrowthInputError(
            f"GRADE must be a whole number (progressions step one grade a year), got {value!r}"
        ) from None
    if not np.isfinite(number) or number != int(number):
        raise GrowthInputError(f"GRADE must be a whole number, got {value!r}")
    return str(int(number))


def _examples(ids: Iterable[object], limit: int = 5) -> str:
    shown = [str(i) for i in list(ids)[:limit]]
    return ", ".join(shown)


def _as_id_strings(column: pd.Series) -> pd.Series:
    if column.isna().any():
        raise GrowthInputError(f"{int(column.isna().sum())} rows have no ID")
    if pd.api.types.is_float_dtype(column):
        values = column.to_numpy(dtype=np.float64)
        if np.all(values == np.round(values)):
            return pd.Series(values.astype(np.int64).astype(str), index=column.index)
    return column.astype(str).str.strip()


def prepare_long(long: pd.DataFrame, content_areas: Sequence[str] | None = None) -> pd.DataFrame:
    """Check and normalise a long frame; return CONTENT_AREA, YEAR, ID, GRADE, SCALE_SCORE.

    Keeps rows with ``VALID_CASE == "VALID_CASE"`` when that column is present, and only the
    given content areas when ``content_areas`` is set. YEAR, ID and CONTENT_AREA become strings,
    GRADE a normalised whole-number string, SCALE_SCORE float (NaN = not tested).

    Raises
    ------
    GrowthInputError
        Missing columns; rows without an ID, year or content area; grades that are not whole
        numbers.
    ScoreValueError
        Scores that are present but not numbers, or not finite (the rows and IDs are named).
    DuplicateRecordError
        More than one record for a student in one year and content area.
    """
    if not isinstance(long, pd.DataFrame):
        raise GrowthInputError(f"long must be a pandas DataFrame, got {type(long).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in long.columns]
    if missing:
        raise GrowthInputError(
            f"the long file lacks column(s) {', '.join(missing)}; "
            f"required: {', '.join(REQUIRED_COLUMNS)} (VALID_CASE optional)"
        )
    frame = long
    if VALID in frame.columns:
        frame = frame.loc[frame[VALID].astype(str) == VALID]
    frame = frame.loc[:, list(REQUIRED_COLUMNS)]
    for col in ("CONTENT_AREA", "YEAR"):
        if frame[col].isna().any():
            raise GrowthInputError(f"{int(frame[col].isna().sum())} rows have no {col}")
    out = pd.DataFrame(
        {
            "CONTENT_AREA": frame["CONTENT_AREA"].astype(str).str.strip(),
            "YEAR": frame["YEAR"].astype(str).str.strip(),
        },
        index=frame.index,
    )
    if content_areas is not None:
        wanted = [str(c) for c in content_areas]
        available = sorted(out["CONTENT_AREA"].unique())
        unknown = [c for c in wanted if c not in available]
        if unknown:
            raise GrowthInputError(
                f"content area(s) {', '.join(unknown)} not in the data; "
                f"available: {', '.join(available)}"
            )
        keep = out["CONTENT_AREA"].isin(wanted).to_numpy()
        out = out.loc[keep]
        frame = frame.loc[keep]
    out["ID"] = _as_id_strings(frame["ID"])
    grades = frame["GRADE"]
    if grades.isna().any():
        bad = out.loc[grades.isna().to_numpy(), "ID"]
        raise GrowthInputError(f"{len(bad)} rows have no GRADE (IDs {_examples(bad)})")
    mapping = {g: normalise_grade(g) for g in pd.unique(grades)}
    out["GRADE"] = grades.map(mapping).astype(str)
    out["SCALE_SCORE"] = _scores(frame["SCALE_SCORE"], out["ID"])
    _check_duplicates(out)
    return out.reset_index(drop=True)


def _scores(raw: pd.Series, ids: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        scores = raw.astype(np.float64)
    else:
        text = raw.astype(object)
        present = text.notna() & (text.astype(str).str.strip() != "")
        scores = pd.to_numeric(text.where(present), errors="coerce").astype(np.float64)
        bad = present & scores.isna()
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())
            raise ScoreValueError(
                f"{rows.size} SCALE_SCORE value(s) are not numbers, e.g. "
                f"{_examples(repr(v) for v in raw.iloc[rows])} "
                f"(index {_examples(raw.index[rows])}; IDs {_examples(ids.iloc[rows])})"
            )
    values = scores.to_numpy(dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        rows = np.flatnonzero(infinite)
        raise ScoreValueError(
            f"{rows.size} SCALE_SCORE value(s) are out of range (not finite) "
            f"(index {_examples(raw.index[rows])}; IDs {_examples(ids.iloc[rows])})"
        )
    return pd.Series(values, index=raw.index)


def _check_duplicates(frame: pd.DataFrame) -> None:
    dup = frame.duplicated(["CONTENT_AREA", "YEAR", "ID"], keep=False).to_numpy()
    if dup.any():
        rows = frame.loc[dup]
        first = rows.iloc[0]
        n_keys = len(rows.drop_duplicates(["CONTENT_AREA", "YEAR", "ID"]))
        raise DuplicateRecordError(
            f"{n_keys} student-year-subject key(s) have more than one record ({int(dup.sum())} "
            f"rows), e.g. ID {first['ID']} in {first['CONTENT_AREA']} {first['YEAR']}; "
            "keep one record per student, year and content area"
        )


@dataclass(frozen=True)
class Panel:
    """The students tested in one content area, year and grade, sorted by ID.

    ``scores`` holds only students with a score (NaN rows are dropped: not tested).
    """

    ids: npt.NDArray[np.str_]
    scores: FloatArray

    def series(self) -> pd.Series:
        return pd.Series(self.scores, index=pd.Index(self.ids, dtype=object), dtype=np.float64)


class PanelIndex:
    """Panels of a prepared long frame, and the years and grades each content area has."""

    def __init__(self, records: pd.DataFrame) -> None:
        tested = records.loc[records["SCALE_SCORE"].notna()]
        self._panels: dict[PanelKey, Panel] = {}
        for key, group in tested.groupby(["CONTENT_AREA", "YEAR", "GRADE"], sort=True):
            ca, year, grade = _key(key)
            order = np.argsort(group["ID"].to_numpy(dtype=str), kind="stable")
            self._panels[(ca, year, grade)] = Panel(
                ids=group["ID"].to_numpy(dtype=str)[order],
                scores=group["SCALE_SCORE"].to_numpy(dtype=np.float64)[order],
            )
        self._years: dict[str, tuple[str, ...]] = {
            str(ca): tuple(sorted(str(y) for y in ys))
            for ca, ys in records.groupby("CONTENT_AREA")["YEAR"].unique().items()
        }
        self._series: dict[PanelKey, pd.Series] = {}
        self._digests: dict[PanelKey, bytes] = {}

    @property
    def content_areas(self) -> tuple[str, ...]:
        return tuple(sorted(self._years))

    def years(self, content_area: str) -> tuple[str, ...]:
        """The years the content area has records in, sorted as strings."""
        return self._years.get(content_area, ())

    def grades(self, content_area: str, year: str) -> tuple[str, ...]:
        """Grades with at least one score in that year, in numeric order."""
        found = [g for (ca, y, g) in self._panels if ca == content_area and y == year]
        return tuple(sorted(found, key=int))

    def has(self, content_area: str, year: str, grade: str) -> bool:
        return (content_area, year, grade) in self._panels

    def panel(self, content_area: str, year: str, grade: str) -> Panel:
        key = (content_area, year, grade)
        if key not in self._panels:
            raise GrowthInputError(f"no {content_area} grade {grade} scores in {year}")
        return self._panels[key]

    def series(self, content_area: str, year: str, grade: str) -> pd.Series:
        """The panel as a Series of scores indexed by ID (cached)."""
        key = (content_area, year, grade)
        if key not in self._series:
            self._series[key] = self.panel(*key).series()
        return self._series[key]

    def digest(self, content_area: str, year: str, grade: str) -> bytes:
        """sha256 of the panel's IDs and scores (sorted by ID), cached."""
        key = (content_area, year, grade)
        if key not in self._digests:
            p = self.panel(*key)
            h = hashlib.sha256()
            h.update(f"{content_area}\x1e{year}\x1e{grade}\x1e{p.ids.size}\x1e".encode())
            h.update("\x1f".join(p.ids.tolist()).encode())
            h.update(np.ascontiguousarray(p.scores, dtype="<f8").tobytes())
            self._digests[key] = h.digest()
        return self._digests[key]


def _key(key: Hashable) -> PanelKey:
    if not isinstance(key, tuple) or len(key) != 3:
        raise TypeError(f"unexpected group key {key!r}")
    return (str(key[0]), str(key[1]), str(key[2]))
