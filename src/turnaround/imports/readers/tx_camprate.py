"""Texas TEA campus accountability summaries (``CAMPRATE_YYYY.csv``): one row per campus.

The rating columns are checked by :func:`turnaround.analytics.accountability.files.
read_tx_camprate` (quoted 9-digit ``CAMPUS``, ``"."`` for a missing ``CDALLS`` or ``C_YRS_IR``,
the known ratings, every ``CPE…`` percent and count); the directory columns here.

- ``schools``: state ``TX``; ``CAMPUS`` (9 digits) and ``DISTRICT`` (6 digits) as published,
  names, the charter flag (``CFLCHART``) and the grade span (``GRDLOW``–``GRDHIGH``; ``EE``,
  early education before pre-kindergarten, is read as ``PK``). Title I, address and ZIP are not
  in the file. The file's year goes with the directory rows, so importing an older year after a
  newer one does not roll the schools back.
- ``determinations``: rule set ``tx-a-f``, the published ``C_RATING`` as label (2018: Met
  Standard, Met Alternative Standard, Improvement Required, Not Rated…; 2019: A–F, Not Rated,
  Data Integrity Issues), ``inputs`` under the ``tx`` rule set's input column names (what the
  ``tx-a-f`` identification loader reads): ``score`` (``CDALLS``, the overall scaled score),
  ``published_count`` (``C_YRS_IR``, consecutive unacceptable years), ``alternative``
  (``CFLALTED``, alternative education accountability) and, when present, the appeal decision
  ``C_APPEAL_DECISION``; ``"."`` is None there, never 0. A ``Not Rated: <reason>`` label also gives
  the reason (e.g. the Harvey Provision) as ``reasons``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.files import RuleInputError, read_tx_camprate
from turnaround.imports.readers._common import (
    Problems,
    as_source,
    floats,
    grade_code,
    grade_rank,
    ints_or_none,
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

DIRECTORY = ("CAMPUS", "CAMPNAME", "DISTRICT", "DISTNAME", "CFLCHART")


class TxCamprateReader:
    key = "tx-camprate"
    label = "Texas campus ratings (TEA CAMPRATE_YYYY.csv)"
    targets = ("schools", "determinations")
    extensions = (".csv",)
    declared_options = (targets_option(targets),)
    description = (
        "The TEA campus accountability summary (CAMPRATE_2019.csv): one row per campus with the "
        "9-digit campus and 6-digit district numbers, names, charter flag and grade span (the "
        "school directory, state TX) and the published rating C_RATING (rule set tx-a-f: "
        "Met Standard / Improvement Required in 2018, A–F from 2019, Not Rated, Data Integrity "
        "Issues) with the overall scaled score CDALLS and the consecutive years with an "
        "unacceptable rating C_YRS_IR kept as published inputs ('.' is missing, never 0). The "
        "year is the option given, else the year in the file name."
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
            state="TX",
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
    year = option_year(options, problems) or year_in_name(path)
    if year is None and not problems:
        problems.add(
            None,
            None,
            path.name,
            "cannot tell the year of this file: name it with the year (e.g. CAMPRATE_2019.csv) "
            "or pass the year",
        )
        return []
    try:
        rated = read_tx_camprate(as_source(raw), year=year)
    except RuleInputError as exc:
        problems.absorb(exc)
        rated = None
    frame = raw.frame
    for name in DIRECTORY:
        if name not in frame.columns:
            problems.add(1, name, None, "required column missing")
    if problems:
        return []
    assert rated is not None and year is not None
    rows = frame.index.to_numpy()
    schools = _schools(frame, rows, year, problems)
    determinations = _determinations(frame, rated, rows, year)
    if problems:
        return []
    return [("schools", *schools), ("determinations", *determinations)]


def _grade(frame: pd.DataFrame, name: str, rows: np.ndarray, problems: Problems) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), "", dtype=object)
    cells = text(frame[name])
    out = np.empty(len(cells), dtype=object)
    for i, cell in enumerate(cells):
        code = grade_code(cell) if cell else ""
        if code is None:
            problems.add(int(rows[i]), name, cell, "unknown grade; expected EE, PK, KG or 01–12")
            code = ""
        out[i] = code
    return out


def _schools(
    frame: pd.DataFrame, rows: np.ndarray, year: int, problems: Problems
) -> tuple[pd.DataFrame, list[str]]:
    campus = text(frame["CAMPUS"])
    district = text(frame["DISTRICT"])
    for i in np.flatnonzero([c[:6] != d for c, d in zip(campus, district, strict=True)]):
        problems.add(
            int(rows[i]), "CAMPUS", campus[i], f"does not start with its district {district[i]}"
        )
    charter = text(frame["CFLCHART"])
    for i in np.flatnonzero(~np.isin(charter, ["Y", "N"])):
        problems.add(int(rows[i]), "CFLCHART", charter[i], "must be Y or N")
    low = _grade(frame, "GRDLOW", rows, problems)
    high = _grade(frame, "GRDHIGH", rows, problems)
    for i in range(len(low)):
        if bool(low[i]) != bool(high[i]):
            low[i] = high[i] = ""
        elif low[i] and grade_rank(low[i]) > grade_rank(high[i]):
            problems.add(
                int(rows[i]),
                "GRDLOW",
                frame["GRDLOW"].iloc[i],
                f"the lowest grade is above the highest ({frame['GRDHIGH'].iloc[i]})",
            )
    data = {
        "state": "TX",
        "district_code": district,
        "district_name": text(frame["DISTNAME"]),
        "school_code": campus,
        "school_name": text(frame["CAMPNAME"]),
        "school_type": np.asarray(
            [school_type(lo, hi) for lo, hi in zip(low, high, strict=True)], dtype=object
        ),
        "grade_low": low,
        "grade_high": high,
        "is_charter": charter == "Y",
        "is_open": True,
        "year": year,
    }
    notes = ["Title I status, address and ZIP are not in this file"]
    if "GRDLOW" in frame.columns and (text(frame["GRDLOW"]) == "EE").any():
        notes.append("grade EE (early education) is read as PK")
    return target_frame("schools", data, rows, partial=True), notes


def _determinations(
    frame: pd.DataFrame, rated: pd.DataFrame, rows: np.ndarray, year: int
) -> tuple[pd.DataFrame, list[str]]:
    labels = rated["published_rating"].to_numpy(dtype=object)
    score = floats(rated["score"])
    years_ir = ints_or_none(rated["published_count"])
    alternative = rated["alternative"].to_numpy(dtype=bool)
    appeal = text(frame["C_APPEAL_DECISION"]) if "C_APPEAL_DECISION" in frame.columns else None
    inputs = []
    for i in range(len(labels)):
        entry: dict[str, Any] = {
            "score": None if np.isnan(score[i]) else float(score[i]),
            "published_count": years_ir[i],
            "alternative": bool(alternative[i]),
        }
        if appeal is not None:
            entry["C_APPEAL_DECISION"] = appeal[i] or None
        inputs.append(entry)
    reasons = [
        [label.split(":", 1)[1].strip()] if label.startswith("Not Rated:") else []
        for label in labels
    ]
    n = len(labels)
    data = {
        "school_code": rated["school_id"].to_numpy(dtype=object),
        "year": np.full(n, year, dtype=np.int64),
        "ruleset": "tx-a-f",
        "label": labels,
        "reasons": reasons,
        "inputs": inputs,
    }
    missing = int(np.isnan(score).sum())
    notes = (
        [f"{missing} campuses have no overall score (CDALLS '.'): None, never 0"] if missing else []
    )
    return target_frame("determinations", data, rows), notes
