"""NCES Common Core of Data (CCD) school directory files (``ccd_sch_029_YYZZ_w_….csv``).

One row per school, nationally (about 100,000), read in chunks with only the columns used:

==========================  =====================================================================
CCD column                  target column
==========================  =====================================================================
``ST``                      ``state`` (``FIPST``, when given, must be the state's FIPS code)
``LEAID``                   ``nces_leaid`` (7 digits: state FIPS 2 + district 5)
``LEA_NAME``                ``district_name``
``ST_LEAID``                ``district_code`` (state prefix removed, see below)
``NCESSCH``                 ``nces_id`` (12 digits: ``LEAID`` + school 5; the prefix is checked)
``ST_SCHID``                ``school_code`` (see below)
``SCH_NAME``                ``school_name``
``GSLO``/``GSHI``           ``grade_low``/``grade_high`` (``KG`` → ``K``; ``13`` → ``12``;
                            ``UG``, ``AE``, ``N``, ``M`` → none, and then no span at all)
``LSTREET1–3``, ``LCITY``,  ``address``, ``town``, ``zip_code`` (location, not mailing, address)
``LZIP``
``CHARTER_TEXT``            ``is_charter`` (Yes; No, Not applicable and Missing are False)
``UPDATED_STATUS_TEXT``     ``is_open``: Open, New, Added, Changed Boundary/Agency, Reopened are
(else ``SY_STATUS_TEXT``)   open; Closed, Inactive, Future are not (a closed school is flagged,
                            never deleted)
``TITLEI_STATUS_TEXT``      ``title_i`` when the file has it (the 129 "school characteristics"
                            file, merged by the user): schoolwide school → ``schoolwide``; targeted
                            assistance school, or schoolwide-eligible running a targeted program →
                            ``targeted``; not Title I, or eligible with no program → ``none``;
                            else ``unknown``
==========================  =====================================================================

State codes. ``ST_LEAID`` is ``ST-<state district id>`` and ``ST_SCHID`` is
``ST-<state district id>-<state school id>`` (``WI-3269``, ``WI-3269-0440``). The state school
id is the part after ``ST_LEAID`` + ``-`` (so a district id containing a dash is no problem);
the school code is that part, and the district code the part after ``ST-`` of ``ST_LEAID`` —
except where the state's own codes are built differently:

- ``MA``: ``MA-0035-00350012``: the school part is already the 8-digit DESE code; the district
  code is its first four digits + ``0000`` (DESE's 8-digit district code).
- ``CA``: ``CA-0161119-0130229``: the CDE school code is the 14-digit CDS = district part
  (county 2 + district 5) + school part (7); the district code is the 7-digit district part.

``SCH_TYPE_TEXT`` and ``LEVEL`` are checked but not kept (the school type comes from the grade
span). Option ``state`` keeps only that state's rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.imports.readers._common import (
    KeyIndex,
    Problems,
    chunks_of,
    grade_code,
    grade_span,
    key_hashes,
    known_grade,
    read_header,
    report_duplicates,
    school_type,
    sniff_encoding,
    stream_csv,
    target_frame,
    wanted,
)
from turnaround.imports.readers.base import Chunk, Progress, no_progress

REQUIRED = ("ST", "LEAID", "LEA_NAME", "ST_LEAID", "NCESSCH", "ST_SCHID", "SCH_NAME")
OPTIONAL = (
    "SCHOOL_YEAR",
    "FIPST",
    "LSTREET1",
    "LSTREET2",
    "LSTREET3",
    "LCITY",
    "LZIP",
    "GSLO",
    "GSHI",
    "SCH_TYPE_TEXT",
    "CHARTER_TEXT",
    "SY_STATUS_TEXT",
    "UPDATED_STATUS_TEXT",
    "LEVEL",
    "TITLEI_STATUS_TEXT",
)
#: USPS code → ANSI/FIPS state code (states, DC, territories; BI = Bureau of Indian Education).
FIPS: Mapping[str, str] = {
    "AL": "01", "AK": "02", "AZ": "04", "AR": "05", "CA": "06", "CO": "08", "CT": "09",
    "DE": "10", "DC": "11", "FL": "12", "GA": "13", "HI": "15", "ID": "16", "IL": "17",
    "IN": "18", "IA": "19", "KS": "20", "KY": "21", "LA": "22", "ME": "23", "MD": "24",
    "MA": "25", "MI": "26", "MN": "27", "MS": "28", "MO": "29", "MT": "30", "NE": "31",
    "NV": "32", "NH": "33", "NJ": "34", "NM": "35", "NY": "36", "NC": "37", "ND": "38",
    "OH": "39", "OK": "40", "OR": "41", "PA": "42", "RI": "44", "SC": "45", "SD": "46",
    "TN": "47", "TX": "48", "UT": "49", "VT": "50", "VA": "51", "WA": "53", "WV": "54",
    "WI": "55", "WY": "56", "BI": "59", "AS": "60", "GU": "66", "MP": "69", "PR": "72",
    "VI": "78",
}  # fmt: skip
OPEN = frozenset({"open", "new", "added", "changed boundary/agency", "reopened"})
NOT_OPEN = frozenset({"closed", "inactive", "future"})
CHARTER = {"yes": True, "no": False, "not applicable": False, "missing": False, "": False}
SCHOOL_TYPES = frozenset(
    {
        "regular school",
        "special education school",
        "career and technical school",
        "career or technical school",
        "alternative education school",
        "",
    }
)
#: CCD marks for missing (M), not applicable (N) and the numeric −1/−2/−9 codes.
MARKS = frozenset({"M", "N", "-1", "-2", "-9", "†", "‡"})
_CODE = re.compile(r"[0-9A-Za-z-]{1,20}")


def title_i_status(text: str) -> str | None:
    """Our Title I code for a CCD ``TITLEI_STATUS_TEXT`` (None when unrecognised)."""
    key = re.sub(r"\s*[-–]\s*", "-", text.strip().lower())
    key = re.sub(r"^\d+-", "", key)  # "5-Title I schoolwide school" as some extracts write it
    if key in ("", "missing", "not reported", "not applicable", "m", "n"):
        return "unknown"
    if key == "not a title i school" or key.endswith("no program"):
        return "none"
    if key == "title i schoolwide school":
        return "schoolwide"
    if key in (
        "title i targeted assistance school",
        "title i schoolwide eligible-title i targeted assistance program",
    ):
        return "targeted"
    return None


def state_codes(state: str, st_leaid: str, st_schid: str) -> tuple[str, str] | None:
    """(district code, school code) in the state's own form, or None when the ids don't fit."""
    prefix = f"{state}-"
    if not st_leaid.startswith(prefix) or not st_schid.startswith(st_leaid + "-"):
        return None
    district = st_leaid[len(prefix) :]
    school = st_schid[len(st_leaid) + 1 :]
    if not district or not school:
        return None
    if state == "MA":
        return school[:4] + "0000", school
    if state == "CA":
        return district, district + school
    return district, school


def _status(row: Mapping[str, str]) -> str:
    for name in ("UPDATED_STATUS_TEXT", "SY_STATUS_TEXT"):
        value = re.sub(r"^\d+\s*-\s*", "", row.get(name, "").strip()).lower()
        if value:
            return value
    return ""


class NcesCcdReader:
    key = "nces-ccd"
    label = "NCES Common Core of Data school directory (CSV)"
    targets = ("schools",)
    declared_options = ()
    extensions = (".csv", ".txt")
    description = (
        "The NCES Common Core of Data school directory (nces.ed.gov/ccd, file "
        "ccd_sch_029_YYZZ_w_….csv, one row per public school in the country): state, NCES "
        "district and school ids (LEAID, NCESSCH), the state's own district and school codes "
        "from ST_LEAID and ST_SCHID with the 'ST-' prefix removed (Massachusetts: the 8-digit "
        "DESE codes; California: the 14-digit CDS code), names, grade span (GSLO–GSHI), "
        "location address, charter flag, open or closed status and, when the columns of the "
        "'school characteristics' file are merged in, Title I status. Give the state option to "
        "keep one state's schools."
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
        problems = Problems(path.name)
        frames = list(_read(path, options, problems, chunk_rows, progress))
        problems.raise_if_any()
        if not wanted(options, "schools"):
            return
        frame = pd.concat(frames, ignore_index=True) if frames else target_frame("schools", {}, [])
        yield from chunks_of("schools", frame, chunk_rows, _notes(frame, options))


def _notes(frame: pd.DataFrame, options: Mapping[str, Any]) -> list[str]:
    notes = []
    if options.get("state"):
        notes.append(f"only the schools of {options['state']} are kept")
    closed = int((~frame["is_open"]).sum()) if len(frame) else 0
    if closed:
        notes.append(f"{closed} schools are closed, inactive or not yet open (is_open false)")
    return notes


def _read(
    path: Path,
    options: Mapping[str, Any],
    problems: Problems,
    chunk_rows: int,
    progress: Progress,
) -> Iterator[pd.DataFrame]:
    encoding = sniff_encoding(path, problems)
    if encoding is None:
        return
    found = read_header(path, encoding, problems)
    if found is None:
        return
    header, delimiter = found
    for name in REQUIRED:
        if name not in header:
            problems.add(1, name, None, "required column missing")
    if problems:
        return
    only = str(options.get("state") or "").strip().upper()
    if only and only not in FIPS and not re.fullmatch(r"[A-Z]{2}", only):
        problems.add(None, None, only, "the state option must be a two-letter state code")
        return
    columns = [c for c in (*REQUIRED, *OPTIONAL) if c in header]
    by_nces, by_code = KeyIndex(), KeyIndex()
    seen_rows = 0
    for cells in stream_csv(
        path,
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        columns=columns,
        chunk_rows=chunk_rows,
        problems=problems,
        progress=progress,
    ):
        seen_rows += len(cells)
        cells = cells.apply(lambda c: c.str.strip())
        if only:
            cells = cells[cells["ST"].to_numpy() == only]
            if cells.empty:
                continue
        frame = _chunk(cells, problems)
        _duplicates(frame, by_nces, by_code, problems)
        yield frame
    if seen_rows == 0 and not problems:
        problems.add(None, None, None, "the file has a header but no data rows")
    elif only and len(by_nces) == 0 and not problems:
        problems.add(None, "ST", only, "no school of this state in the file")


def _duplicates(
    frame: pd.DataFrame, by_nces: KeyIndex, by_code: KeyIndex, problems: Problems
) -> None:
    rows = frame["_row"].to_numpy()
    nces = frame["nces_id"].to_numpy(dtype=object)
    states = frame["state"].to_numpy(dtype=object)
    codes = frame["school_code"].to_numpy(dtype=object)
    first = by_nces.add(key_hashes([nces]), rows)
    report_duplicates(problems, first, rows, "NCESSCH", lambda i: (nces[i], f"NCESSCH={nces[i]}"))
    first = by_code.add(key_hashes([states, codes]), rows)
    report_duplicates(
        problems,
        first,
        rows,
        "ST_SCHID",
        lambda i: (codes[i], f"ST={states[i]}, state school code={codes[i]}"),
    )


def _chunk(cells: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    rows = cells.index.to_numpy()
    get = {c: cells[c].tolist() for c in cells.columns}
    n = len(cells)
    out: dict[str, list[Any]] = {
        c: [] for c in ("state", "district_code", "district_name", "nces_leaid", "school_code",
                        "school_name", "nces_id", "school_type", "grade_low", "grade_high",
                        "title_i", "is_charter", "town", "address", "zip_code", "is_open")
    }  # fmt: skip

    def value(name: str, i: int) -> str:
        cell = get[name][i] if name in get else ""
        return "" if cell in MARKS else cell

    for i in range(n):
        row = int(rows[i])
        st = get["ST"][i]
        leaid, ncessch = get["LEAID"][i], get["NCESSCH"][i]
        if not re.fullmatch(r"[A-Z]{2}", st):
            problems.add(row, "ST", st, "must be a two-letter state code")
        if not re.fullmatch(r"\d{7}", leaid):
            problems.add(row, "LEAID", leaid, "must match 7 digits (ids are read as text)")
        elif st in FIPS and leaid[:2] != FIPS[st]:
            problems.add(row, "LEAID", leaid, f"does not start with {st}'s FIPS code {FIPS[st]}")
        if not re.fullmatch(r"\d{12}", ncessch):
            problems.add(row, "NCESSCH", ncessch, "must match 12 digits (ids are read as text)")
        elif ncessch[:7] != leaid:
            problems.add(row, "NCESSCH", ncessch, f"does not start with its LEAID {leaid}")
        fipst = value("FIPST", i)
        if fipst and st in FIPS and fipst.zfill(2) != FIPS[st]:
            problems.add(row, "FIPST", fipst, f"is not {st}'s FIPS code {FIPS[st]}")
        codes = state_codes(st, get["ST_LEAID"][i], get["ST_SCHID"][i])
        if codes is None:
            problems.add(
                row,
                "ST_SCHID",
                get["ST_SCHID"][i],
                f"expected ST-<district>-<school> starting with ST_LEAID {get['ST_LEAID'][i]!r}",
            )
            codes = ("", "")
        elif not (_CODE.fullmatch(codes[0]) and _CODE.fullmatch(codes[1])):
            problems.add(
                row,
                "ST_SCHID",
                get["ST_SCHID"][i],
                "the state codes must be 1–20 letters, digits or dashes",
            )
        if not get["SCH_NAME"][i]:
            problems.add(row, "SCH_NAME", "", "a value is required")
        grades = []
        for name in ("GSLO", "GSHI"):
            code = value(name, i)
            if code and not known_grade(code):
                problems.add(row, name, code, "unknown grade; expected PK, KG, 01–13, UG, AE, N, M")
            grades.append(grade_code(code) if code != "13" else "12")
        low, high = grade_span(grades) if all(grades) else ("", "")
        charter_text = value("CHARTER_TEXT", i).lower()
        if charter_text not in CHARTER:
            problems.add(
                row,
                "CHARTER_TEXT",
                get["CHARTER_TEXT"][i],
                "must be Yes, No, Not applicable or Missing",
            )
        status = _status({k: value(k, i) for k in ("UPDATED_STATUS_TEXT", "SY_STATUS_TEXT")})
        if status and status not in OPEN | NOT_OPEN:
            column = "UPDATED_STATUS_TEXT" if value("UPDATED_STATUS_TEXT", i) else "SY_STATUS_TEXT"
            problems.add(
                row,
                column,
                get[column][i],
                "unknown status; allowed: Open, Closed, New, "
                "Added, Changed Boundary/Agency, Inactive, Future, Reopened",
            )
        kind = value("SCH_TYPE_TEXT", i).lower()
        if re.sub(r"^\d+\s*-\s*", "", kind) not in SCHOOL_TYPES:
            problems.add(row, "SCH_TYPE_TEXT", get["SCH_TYPE_TEXT"][i], "unknown school type")
        title = (
            title_i_status(get["TITLEI_STATUS_TEXT"][i])
            if "TITLEI_STATUS_TEXT" in get
            else "unknown"
        )
        if title is None:
            problems.add(
                row, "TITLEI_STATUS_TEXT", get["TITLEI_STATUS_TEXT"][i], "unknown Title I status"
            )
        zip_code = value("LZIP", i)
        if zip_code and not re.fullmatch(r"\d{5}", zip_code):
            problems.add(row, "LZIP", zip_code, "a ZIP code is 5 digits (leading zeros kept)")
        out["state"].append(st)
        out["district_code"].append(codes[0])
        out["district_name"].append(get["LEA_NAME"][i])
        out["nces_leaid"].append(leaid)
        out["school_code"].append(codes[1])
        out["school_name"].append(get["SCH_NAME"][i])
        out["nces_id"].append(ncessch)
        out["school_type"].append(school_type(low, high))
        out["grade_low"].append(low)
        out["grade_high"].append(high)
        out["title_i"].append(title or "unknown")
        out["is_charter"].append(CHARTER.get(charter_text, False))
        out["town"].append(value("LCITY", i))
        out["address"].append(
            ", ".join(p for p in (value(f"LSTREET{k}", i) for k in (1, 2, 3)) if p)
        )
        out["zip_code"].append(zip_code)
        out["is_open"].append(status not in NOT_OPEN)
    data: dict[str, Any] = {k: np.asarray(v, dtype=object) for k, v in out.items()}
    data["is_charter"] = np.asarray(out["is_charter"], dtype=bool)
    data["is_open"] = np.asarray(out["is_open"], dtype=bool)
    return target_frame("schools", data, rows)
