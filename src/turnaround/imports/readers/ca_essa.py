"""California CDE files of the 2018 ESSA assistance determinations (Latin-1 text).

Two layouts, told apart by their columns:

``sch_eligibility_state_sg.csv`` (one row per school) → ``schools`` and ``determinations``
    Checked by :func:`turnaround.analytics.accountability.files.read_ca_eligibility`. The
    school code is the 14-digit CDS (county 2 + district 5 + school 7) as published; the
    district code is its first seven digits; state ``CA``. ``TitleI1718`` says only Yes or No:
    No is ``none``; Yes is read as ``schoolwide`` unless the option ``title_i_yes`` says
    ``targeted`` or ``unknown`` (the file does not tell which program a Title I school runs,
    and ``schoolwide`` keeps it counted as a Title I school). The determination is rule set
    ``essa-csi`` (the federal CSI/ATSI identification, of which CA's CSI graduation rule,
    analytics' ``ca-csi-grad``, is one part) with ``AssistanceStatus`` as published as label
    (General Assistance, ATSI, CSI Low Perform, CSI Grad) and one reason per student group
    flagged for ATSI; the flags, the Title I answer and ``TotStudGrps`` are kept as inputs. The
    school columns the file lacks (grades, type, charter, address) are not provided, so stored
    values stay.

``graddownloadYYYY.txt`` (Dashboard graduation rate, tab-separated) → ``profiles``
    Checked by :func:`~turnaround.analytics.accountability.files.read_ca_dashboard_grad`. Only
    school rows (``rtype`` S) of all students (``studentgroup`` ALL) are read; the profile's
    ``graduation_rate_4yr`` is the published ``currstatus`` (the year's four-year cohort rate,
    ``currnumer`` / ``currdenom``). It is missing with reason ``below_reporting_n`` when CDE left
    it blank for a small cohort (the cohort size still shown), ``missing`` when nothing is
    shown, and ``not_applicable`` for a school with Dashboard Alternative School Status
    (``dass_flag`` Y), whose Dashboard rate is the one-year DASS rate, not the four-year rate.
    The year is the Dashboard's reporting year as the file gives it (``2017f`` → 2017), as the
    analytics' ``ca-csi-grad`` rule reads it, unless the year option is given. The file has no
    other profile column: the chunks name ``graduation_rate_4yr`` as the only column provided,
    so the stored enrolment, demographics and other rates are kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.files import (
    CA_GROUP_FLAGS,
    RuleInputError,
    read_ca_dashboard_grad,
    read_ca_eligibility,
)
from turnaround.imports.readers._common import (
    Problems,
    as_source,
    floats,
    marker_reasons,
    missing_dicts,
    option_year,
    read_state_file,
    read_table,
    target_frame,
    text,
)
from turnaround.imports.readers.base import (
    Chunk,
    Progress,
    ReaderOption,
    no_progress,
    targets_option,
)

#: ATSI student-group flags of the eligibility file and what they stand for.
GROUP_NAMES: Mapping[str, str] = {
    "AA": "African American",
    "AI": "American Indian or Alaska Native",
    "AS": "Asian",
    "EL": "English learners",
    "FI": "Filipino",
    "FOS": "Foster youth",
    "HI": "Hispanic",
    "HOM": "Homeless",
    "PI": "Pacific Islander",
    "SED": "Socioeconomically disadvantaged",
    "SWD": "Students with disabilities",
    "TOM": "Two or more races",
    "WH": "White",
}
TITLE_I_YES = ("schoolwide", "targeted", "unknown")
ELIGIBILITY_COLUMNS = ("CDS", "AssistanceStatus", "TitleI1718")
GRAD_COLUMNS = ("cds", "rtype", "studentgroup", "currnumer", "currdenom")


class CaEssaReader:
    key = "ca-essa"
    label = "California ESSA assistance and Dashboard graduation (CDE)"
    targets = ("schools", "determinations", "profiles")
    extensions = (".csv", ".txt")
    declared_options = (
        ReaderOption(
            "title_i_yes",
            "Title I 'Yes' means (assistance list)",
            "TitleI1718 says only Yes or No; which program a Yes school runs. Default schoolwide.",
            kind="choice",
            allowed=TITLE_I_YES,
        ),
        targets_option(targets),
    )
    description = (
        "California Department of Education files: the 2018 ESSA assistance list "
        "sch_eligibility_state_sg.csv (school directory by 14-digit CDS code with Title I, and "
        "the published AssistanceStatus — General Assistance, ATSI, CSI Low Perform, CSI Grad — "
        "with the student groups flagged for ATSI, rule set essa-csi) and the Dashboard "
        "graduation downloads graddownloadYYYY.txt (each high school's four-year graduation "
        "rate for all students, from the published currstatus; blank for small cohorts and "
        "not applicable to Dashboard alternative schools). Latin-1 text. Title I 'Yes' does "
        "not say which program: it is read as schoolwide unless the title_i_yes option says "
        "targeted or unknown."
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
            state="CA",
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
    columns = set(raw.frame.columns)
    if all(c in columns for c in ELIGIBILITY_COLUMNS):
        return _eligibility(raw.frame, as_source(raw), options, problems)
    if all(c in columns for c in GRAD_COLUMNS):
        return _graduation(raw.frame, as_source(raw), options, problems)
    problems.add(
        1,
        None,
        None,
        "wrong columns: neither the ESSA assistance list (needs "
        + ", ".join(ELIGIBILITY_COLUMNS)
        + ") nor a Dashboard graduation download (needs "
        + ", ".join(GRAD_COLUMNS)
        + ")",
    )
    return []


def _eligibility(
    frame: pd.DataFrame, source: pd.DataFrame, options: Mapping[str, Any], problems: Problems
) -> list[tuple[str, pd.DataFrame, list[str]]]:
    title_i_yes = str(options.get("title_i_yes") or "schoolwide")
    if title_i_yes not in TITLE_I_YES:
        problems.add(
            None,
            None,
            title_i_yes,
            "the title_i_yes option must be one of " + ", ".join(TITLE_I_YES),
        )
    try:
        published = read_ca_eligibility(source)
    except RuleInputError as exc:
        problems.absorb(exc)
        return []
    for name in ("School", "District"):
        if name not in frame.columns:
            problems.add(1, name, None, "required column missing")
    year = option_year(options, problems)
    if problems:
        return []
    rows = frame.index.to_numpy()
    cds = published["school_id"].to_numpy(dtype=object)
    n = len(cds)
    title_i = published["title_i"].to_numpy(dtype=bool)
    schools = {
        "state": "CA",
        "district_code": np.asarray([c[:7] for c in cds], dtype=object),
        "district_name": text(frame["District"]),
        "school_code": cds,
        "school_name": text(frame["School"]),
        "title_i": np.where(title_i, title_i_yes, "none").astype(object),
        "is_open": True,
    }
    flags = [f for f in CA_GROUP_FLAGS if f in published.columns]
    flag_values = {f: published[f].to_numpy(dtype=np.float64) == 1 for f in flags}
    groups = (
        published["groups"].to_numpy(dtype=np.float64)
        if "groups" in published.columns
        else np.full(n, np.nan)
    )
    reasons, inputs = [], []
    for i in range(n):
        flagged = [f for f in flags if flag_values[f][i]]
        reasons.append([f"ATSI student group: {GROUP_NAMES[f]} ({f})" for f in flagged])
        entry: dict[str, Any] = {"title_i": bool(title_i[i]), "atsi_groups": flagged}
        if not np.isnan(groups[i]):
            entry["TotStudGrps"] = int(groups[i])
        inputs.append(entry)
    determinations = {
        "school_code": cds,
        "year": published["year"].to_numpy(dtype=np.int64) if year is None else np.full(n, year),
        "ruleset": "essa-csi",
        "label": published["status"].to_numpy(dtype=object),
        "reasons": reasons,
        "inputs": inputs,
    }
    notes = [
        "grades, school type, charter status and address are not in this file",
        f"TitleI1718 'Yes' read as {title_i_yes!r} (the file does not say which program)",
    ]
    return [
        ("schools", target_frame("schools", schools, rows, partial=True), notes),
        ("determinations", target_frame("determinations", determinations, rows), []),
    ]


def _graduation(
    frame: pd.DataFrame, source: pd.DataFrame, options: Mapping[str, Any], problems: Problems
) -> list[tuple[str, pd.DataFrame, list[str]]]:
    try:
        grad = read_ca_dashboard_grad(source)
    except RuleInputError as exc:
        problems.absorb(exc)
        return []
    year = option_year(options, problems)
    if problems:
        return []
    grad.index = frame.index
    keep = (grad["rtype"] == "S") & (grad["group"] == "ALL")
    part = frame[keep]
    rows = part.index.to_numpy()
    status_cells = (
        part["currstatus"] if "currstatus" in part.columns else pd.Series("", index=part.index)
    )
    reasons = marker_reasons(status_cells)
    rate = floats(pd.to_numeric(status_cells.where(pd.isna(reasons), ""), errors="coerce"))
    cohort = grad.loc[keep, "cohort"].to_numpy(dtype=np.float64)
    small = pd.notna(reasons) & ~np.isnan(cohort)
    reasons = np.where(small, "below_reporting_n", reasons)
    dass = grad.loc[keep, "dass"].to_numpy(dtype=object)
    is_dass = np.asarray([d is True for d in dass], dtype=bool)
    rate[is_dass] = np.nan
    reasons = np.where(is_dass, "not_applicable", reasons)
    bad = np.flatnonzero(pd.isna(reasons) & np.isnan(rate))
    for i in bad:
        problems.add(int(rows[i]), "currstatus", status_cells.iloc[i], "not a number")
    over = np.flatnonzero(rate > 100.0)
    for i in over:
        problems.add(
            int(rows[i]), "currstatus", status_cells.iloc[i], "impossible value: a percent over 100"
        )
    if problems:
        return []
    n = len(part)
    years = grad.loc[keep, "year"].to_numpy(dtype=np.int64) if year is None else np.full(n, year)
    data = {
        "school_code": grad.loc[keep, "school_id"].to_numpy(dtype=object),
        "year": years,
        "graduation_rate_4yr": rate,
        "missing": missing_dicts({"graduation_rate_4yr": reasons}, n),
    }
    notes = [
        f"{n} school rows of all students read (district, state and student-group rows skipped)",
        "only the graduation rate: the stored enrolment, demographics and other rates are kept",
    ]
    if is_dass.any():
        notes.append(
            f"{int(is_dass.sum())} Dashboard alternative schools (DASS): their rate is the "
            "one-year DASS rate, not the four-year rate (not_applicable)"
        )
    return [("profiles", target_frame("profiles", data, rows, partial=True), notes)]
