"""Massachusetts DESE school profiles (``MA_Public_Schools_2017.csv``): one row per school.

The whole file is checked by :func:`turnaround.analytics.accountability.files.read_ma_profiles`
(codes, every percent and count column, the published level, percentile and PPI) and further
here (ZIP codes, the MCAS columns, district prefixes). What it gives:

- ``schools``: the directory row (8-digit school and district codes, names, grades and the
  school type derived from them, charter, town, address, ZIP). Title I is not in the file
  (``unknown``). The ZIP codes of this copy lost their leading zero (``2351``); they are padded
  back to five digits, and a note says so.
- ``profiles``: enrolment, demographics, graduation and dropout. ``% Economically
  Disadvantaged`` of this copy was sorted on its own by whoever compiled it (it belongs to no
  school), so the share is recomputed from the ``Economically Disadvantaged`` count and
  ``TOTAL_Enrollment`` (one decimal). ``% Graduated`` is the four-year cohort graduation rate
  and ``% Dropped Out`` the share of that cohort that dropped out (not the annual dropout rate);
  both are ``not_applicable`` for a school without grade 12. Attendance is not in the file.
- ``results``: MCAS 2017 for all students by tested grade (3–8, 10) and subject (English, Math;
  science is not in the file): percent at each level (A, P, NI, W/F → levels 4–1), students
  included, CPI, median SGP and students in it. Grade 3 has no SGP (``not_applicable``); a
  median SGP left blank for fewer than 20 students is ``below_reporting_n``.
- ``determinations``: the published outcome, rule set ``ma-2012``: the level as label (Level 1–5
  or Insufficient data), level number, school percentile, cumulative PPI (all, high needs) and
  the published description as the reason. Levels 4 and 5 are the Commissioner's designations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.files import (
    MA_DESCRIPTION,
    MA_LEVEL,
    Col,
    RuleInputError,
    convert_columns,
    read_ma_profiles,
)
from turnaround.imports.readers._common import (
    Problems,
    as_source,
    blank_markers,
    floats,
    grade_code,
    grade_span,
    ints_or_none,
    marker_reasons,
    missing_dicts,
    option_year,
    read_state_file,
    read_table,
    school_type,
    target_frame,
    text,
    year_in_name,
)
from turnaround.imports.readers.base import (
    Chunk,
    Progress,
    no_progress,
    targets_option,
)

DEFAULT_YEAR = 2017
#: Tested grade → the ordinal in the column names.
MCAS_GRADES: Mapping[str, str] = {
    "03": "3rd",
    "04": "4th",
    "05": "5th",
    "06": "6th",
    "07": "7th",
    "08": "8th",
    "10": "10th",
}
MCAS_SUBJECTS: Mapping[str, str] = {"ELA": "English", "MATH": "Math"}
#: Column suffix → (target column, kind).
MCAS_FIELDS: Mapping[str, tuple[str, str]] = {
    "Stud. Incl. #": ("n_tested", "count"),
    "CPI": ("composite_index", "num"),
    "SGP": ("median_sgp", "num"),
    "Incl. in SGP(#)": ("sgp_n", "count"),
}
MCAS_LEVELS: Mapping[str, str] = {
    "A": "pct_level_4",
    "P": "pct_level_3",
    "NI": "pct_level_2",
    "W/F": "pct_level_1",
}
SHARES: Mapping[str, str] = {
    "pct_high_needs": "% High Needs",
    "pct_el": "% English Language Learner",
    "pct_swd": "% Students With Disabilities",
    "pct_black": "% African American",
    "pct_asian": "% Asian",
    "pct_hispanic": "% Hispanic",
    "pct_white": "% White",
    "pct_multirace": "% Multi-Race, Non-Hispanic",
    "pct_amind": "% Native American",
    "pct_pacisl": "% Native Hawaiian, Pacific Islander",
}
DIRECTORY = (
    "School Code",
    "School Name",
    "School Type",
    "Address 1",
    "Town",
    "Zip",
    "Grade",
    "District Name",
    "District Code",
)
SGP_MIN_N = 20


class MaProfilesReader:
    key = "ma-profiles"
    label = "Massachusetts school profiles (DESE, one row per school)"
    targets = ("schools", "profiles", "results", "determinations")
    declared_options = (targets_option(targets),)
    extensions = (".csv",)
    description = (
        "The DESE school profiles compiled into one CSV (MA_Public_Schools_2017.csv: "
        "profiles.doe.mass.edu, 1,861 schools × 302 columns). Gives the school directory "
        "(8-digit codes, names, grades, charter, address), the year's profile (enrolment, "
        "demographics, graduation and dropout), MCAS results of all students by tested grade "
        "and subject (percent at each level, CPI, median SGP), and the published accountability "
        "level, percentile and cumulative PPI (rule set ma-2012). The year is the option given, "
        "else the one in the file name, else 2017. The file's economically-disadvantaged percent "
        "column is out of order in this copy, so that share is recomputed from the count and "
        "enrolment; ZIP codes lost their leading zero and are padded back."
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
            read_parts=_read,
            options=options,
            progress=progress,
            chunk_rows=chunk_rows,
        )


def _read(
    path: Path, options: Mapping[str, Any], problems: Problems
) -> list[tuple[str, pd.DataFrame, list[str]]]:
    raw = read_table(path, problems)
    if raw is None:
        return []
    year = option_year(options, problems) or year_in_name(path) or DEFAULT_YEAR
    try:
        published = read_ma_profiles(as_source(raw), year=year)
    except RuleInputError as exc:
        problems.absorb(exc)
        published = None
    frame = raw.frame
    for name in DIRECTORY:
        if name not in frame.columns:
            problems.add(1, name, None, "required column missing")
    if problems:
        return []
    assert published is not None
    rows = frame.index.to_numpy()
    parts = [
        ("schools", *_schools(frame, rows, problems)),
        ("profiles", *_profiles(frame, rows, year, problems)),
        ("results", *_results(frame, year, problems)),
        ("determinations", *_determinations(frame, published, rows, year)),
    ]
    return [] if problems else parts


def _schools(
    frame: pd.DataFrame, rows: np.ndarray, problems: Problems
) -> tuple[pd.DataFrame, list[str]]:
    codes = text(frame["School Code"])
    districts = text(frame["District Code"])
    for i in np.flatnonzero([s[:4] != d[:4] for s, d in zip(codes, districts, strict=True)]):
        problems.add(
            int(rows[i]),
            "School Code",
            codes[i],
            f"the first four digits differ from the district code {districts[i]}",
        )
    kinds = text(frame["School Type"])
    for i in np.flatnonzero(~np.isin(kinds, ["Public School", "Charter School"])):
        problems.add(
            int(rows[i]), "School Type", kinds[i], "expected 'Public School' or 'Charter School'"
        )
    zips = text(frame["Zip"])
    for i in np.flatnonzero([not (z.isdigit() and 3 <= len(z) <= 5) for z in zips]):
        if zips[i]:
            problems.add(int(rows[i]), "Zip", zips[i], "a ZIP code is 3 to 5 digits")
    padded = int(sum(1 for z in zips if z and len(z) < 5))
    lows, highs, bad = [], [], []
    for i, grades in enumerate(text(frame["Grade"])):
        tokens = [t.strip() for t in grades.split(",") if t.strip()]
        unknown = [t for t in tokens if grade_code(t) is None and t.upper() != "SP"]
        if unknown:
            bad.append(i)
            problems.add(int(rows[i]), "Grade", grades, f"unknown grade {unknown[0]!r}")
        low, high = grade_span(grade_code(t) for t in tokens)
        lows.append(low)
        highs.append(high)
    address_2 = text(frame["Address 2"]) if "Address 2" in frame.columns else None
    address = text(frame["Address 1"])
    if address_2 is not None:
        address = np.asarray(
            [", ".join(p for p in pair if p) for pair in zip(address, address_2, strict=True)],
            dtype=object,
        )
    data = {
        "state": "MA",
        "district_code": districts,
        "district_name": text(frame["District Name"]),
        "school_code": codes,
        "school_name": text(frame["School Name"]),
        "school_type": np.asarray(
            [school_type(lo, hi) for lo, hi in zip(lows, highs, strict=True)], dtype=object
        ),
        "grade_low": np.asarray(lows, dtype=object),
        "grade_high": np.asarray(highs, dtype=object),
        "title_i": "unknown",
        "is_charter": kinds == "Charter School",
        "town": text(frame["Town"]),
        "address": address,
        "zip_code": np.asarray([z.zfill(5) if z else "" for z in zips], dtype=object),
        "is_open": True,
    }
    notes = ["Title I status is not in this file (unknown)"]
    if padded:
        notes.append(f"{padded} ZIP codes had lost their leading zero and were padded to 5 digits")
    return target_frame("schools", data, rows), notes


def _serves_grade_12(frame: pd.DataFrame) -> np.ndarray:
    return np.asarray(
        ["12" in [t.strip() for t in g.split(",")] for g in text(frame["Grade"])], dtype=bool
    )


def _profiles(
    frame: pd.DataFrame, rows: np.ndarray, year: int, problems: Problems
) -> tuple[pd.DataFrame, list[str]]:
    n = len(frame)
    reasons: dict[str, np.ndarray] = {}
    cols = [
        Col("TOTAL_Enrollment", "count", "enrollment", required=True),
        Col("Economically Disadvantaged", "count", "econ_count", required=True),
        *(Col(name, "pct", out, required=True) for out, name in SHARES.items()),
        Col("% Graduated", "pct", "graduation_rate_4yr", required=True),
        Col("% Dropped Out", "pct", "dropout_rate", required=True),
    ]
    cells = pd.DataFrame(index=frame.index)
    for col in cols:
        if col.name in frame.columns:
            reasons[col.target] = marker_reasons(frame[col.name])
            cells[col.name] = blank_markers(frame[col.name], reasons[col.target])
    converted = convert_columns(cells, cols, problems)
    if problems:
        return target_frame("profiles", {}, []), []
    enrollment = floats(converted["enrollment"])
    econ = floats(converted["econ_count"])
    with np.errstate(invalid="ignore", divide="ignore"):
        pct_econ = np.where(enrollment > 0, np.round(100.0 * econ / enrollment, 1), np.nan)
    over = np.flatnonzero(pct_econ > 100.0)
    for i in over:
        problems.add(
            int(rows[i]),
            "Economically Disadvantaged",
            frame["Economically Disadvantaged"].iloc[i],
            "impossible value: more economically disadvantaged students than enrolled",
        )
    econ_reason = reasons.pop("econ_count")
    reasons["pct_econ_disadv"] = np.where(
        np.isnan(pct_econ), np.where(pd.isna(econ_reason), "missing", econ_reason), None
    )
    high_school = _serves_grade_12(frame)
    for column in ("graduation_rate_4yr", "dropout_rate"):
        reasons[column] = np.where(
            pd.isna(reasons[column]) | high_school, reasons[column], "not_applicable"
        )
    data: dict[str, Any] = {
        "school_code": text(frame["School Code"]),
        "year": np.full(n, year, dtype=np.int64),
        "enrollment": ints_or_none(enrollment),
        "pct_econ_disadv": pct_econ,
        "graduation_rate_4yr": floats(converted["graduation_rate_4yr"]),
        "dropout_rate": floats(converted["dropout_rate"]),
        **{out: floats(converted[out]) for out in SHARES},
        "missing": missing_dicts(reasons, n),
    }
    notes = [
        "pct_econ_disadv recomputed from 'Economically Disadvantaged' and 'TOTAL_Enrollment' "
        "(the file's percent column is out of order)",
        "dropout_rate is the 4-year cohort's '% Dropped Out', not the annual dropout rate",
    ]
    return target_frame("profiles", data, rows), notes


def _mcas_col(name: str, out: str) -> Col:
    if out in ("n_tested", "sgp_n"):
        return Col(name, "count", out)
    if out == "median_sgp":
        return Col(name, "num", out, minimum=1.0, maximum=99.0)
    if out == "composite_index":
        return Col(name, "num", out, minimum=0.0, maximum=100.0)
    return Col(name, "pct", out)


def _results(frame: pd.DataFrame, year: int, problems: Problems) -> tuple[pd.DataFrame, list[str]]:
    parts = []
    for subject, word in MCAS_SUBJECTS.items():
        for grade, ordinal in MCAS_GRADES.items():
            prefix = f"MCAS_{ordinal}Grade_{word}_"
            names = {
                **{prefix + suffix: out for suffix, (out, _) in MCAS_FIELDS.items()},
                **{f"% {prefix}{level}": out for level, out in MCAS_LEVELS.items()},
            }
            absent = [name for name in names if name not in frame.columns]
            for name in absent:
                problems.add(1, name, None, "required column missing")
            if absent:
                continue
            given = np.zeros(len(frame), dtype=bool)
            for name in names:
                given |= text(frame[name]) != ""
            if not given.any():
                continue
            part = frame.loc[given]
            reasons: dict[str, np.ndarray] = {}
            cells = pd.DataFrame(index=part.index)
            for name, out in names.items():
                reasons[out] = marker_reasons(part[name])
                cells[name] = blank_markers(part[name], reasons[out])
            cols = [_mcas_col(name, out) for name, out in names.items()]
            for prefix_count in ("P+A #", "A #", "P #", "NI #", "W/F #"):
                name = prefix + prefix_count
                if name in part.columns:
                    cells[name] = blank_markers(part[name], marker_reasons(part[name]))
                    cols.append(Col(name, "count", f"_check:{name}"))
            converted = convert_columns(cells, cols, problems)
            if problems:
                continue
            sgp_n = floats(converted["sgp_n"])
            if grade == "03":  # no prior grade, so no growth percentile
                reasons["median_sgp"] = np.full(len(part), "not_applicable", dtype=object)
                reasons["sgp_n"] = reasons["median_sgp"]
            else:
                small = ~np.isnan(sgp_n) & (sgp_n < SGP_MIN_N)
                reasons["median_sgp"] = np.where(
                    pd.notna(reasons["median_sgp"]) & small,
                    "below_reporting_n",
                    reasons["median_sgp"],
                )
            n = len(part)
            data: dict[str, Any] = {
                "school_code": text(part["School Code"]),
                "year": np.full(n, year, dtype=np.int64),
                "subject": subject,
                "grade": grade,
                "group": "all",
                "n_tested": ints_or_none(converted["n_tested"]),
                "composite_index": floats(converted["composite_index"]),
                "median_sgp": floats(converted["median_sgp"]),
                "sgp_n": ints_or_none(sgp_n),
                "missing": missing_dicts(reasons, n),
                **{out: floats(converted[out]) for out in MCAS_LEVELS.values()},
            }
            parts.append(target_frame("results", data, part.index.to_numpy()))
    if not parts:
        return target_frame("results", {}, []), []
    results = pd.concat(parts, ignore_index=True).sort_values(["_row", "subject", "grade"])
    notes = ["MCAS 2017 by grade and subject for all students; science is not in this file"]
    return results.reset_index(drop=True), notes


def _determinations(
    frame: pd.DataFrame, published: pd.DataFrame, rows: np.ndarray, year: int
) -> tuple[pd.DataFrame, list[str]]:
    labels = text(frame[MA_LEVEL])
    given = labels != ""
    descriptions = (
        text(frame[MA_DESCRIPTION]) if MA_DESCRIPTION in frame.columns else [""] * len(frame)
    )
    level = np.asarray(
        [int(x[6:]) if x.startswith("Level ") else None for x in labels], dtype=object
    )
    n = len(frame)
    data: dict[str, Any] = {
        "school_code": published["school_id"].to_numpy(dtype=object),
        "year": np.full(n, year, dtype=np.int64),
        "ruleset": "ma-2012",
        "label": labels,
        "level": level,
        "percentile": ints_or_none(published["percentile"]),
        "ppi_all": floats(published["cum_ppi_all"]),
        "ppi_high_needs": floats(published["cum_ppi_high_needs"]),
        "reasons": [[d] if d else [] for d in descriptions],
        "inputs": [{} for _ in range(n)],
    }
    out = target_frame("determinations", data, rows)[given].reset_index(drop=True)
    notes = []
    if (~given).any():
        notes.append(f"{int((~given).sum())} schools have no published level and no determination")
    notes.append("published outcomes; levels 4 and 5 are the Commissioner's designations")
    return out, notes
