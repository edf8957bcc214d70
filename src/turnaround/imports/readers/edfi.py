"""Ed-Fi ODS/API resources saved as JSON (Data Standard 4/5, ODS/API 5.x–7.x).

The file is either one resource's array as the API returns it (``GET /ed-fi/schools``), or an
object holding several: ``{"schools": [...], "localEducationAgencies": [...], "assessments":
[...], "studentAssessments": [...]}``. An array's resource is told by its records' keys.
``_row`` and problem rows are the 1-based position of the record in its array; problem columns
are ``resource.field``.

``schools`` (from ``schools`` and ``localEducationAgencies``)
    The school code is the state's: the ``identificationCodes`` entry whose
    ``educationOrganizationIdentificationSystemDescriptor`` is ``SEA`` or ``State`` (option
    ``id_systems`` changes the list), else the Ed-Fi ``schoolId`` (noted); ``NCES`` gives the
    NCES id. The district is the ``localEducationAgencyReference``: its code, NCES id and name
    come from the same-file LEA record (else the Ed-Fi ``localEducationAgencyId``). Grades from
    ``gradeLevels`` (``Kindergarten`` → K, ``First grade`` → 01 …, ``Preschool/Prekindergarten``
    → PK); the school type from the grades, else from ``schoolCategories``; Title I from
    ``titleIPartASchoolDesignationDescriptor``; charter from ``charterStatusDescriptor``; open
    from ``operationalStatusDescriptor``; address, town, ZIP and state from the physical
    address (else the first), or the ``state`` option.

``students`` (from ``studentAssessments``; restricted)
    ``studentReference.studentUniqueId`` becomes ``student_key``, an HMAC-SHA256 under the
    ``pseudonym_key`` option — the raw id never leaves the reader, not even in a problem.
    The year is ``schoolYearTypeReference.schoolYear`` (or ``schoolYear``), else the spring
    year of ``administrationDate``, else the ``year`` option. The grade is
    ``whenAssessedGradeLevelDescriptor``. The school is ``reportedSchoolReference`` (Data
    Standard 4+) or ``schoolReference``, mapped to the school code of the same file's school
    record (else the Ed-Fi id is the code). The subject comes from the option ``subjects``
    (``{assessmentIdentifier: "ELA"|"MATH"|"SCI"}``) or the assessment's ``academicSubjects``;
    the scale score from the ``scoreResults`` entry whose reporting method is ``Scale score``
    (option ``score_method``); the level from ``performanceLevels`` through the option
    ``performance_levels`` (``{descriptor code value: 1–4}``) or :data:`LEVELS`. Student
    characteristics are not part of a student assessment: the flags are False and race blank
    (a note says so). A record with a ``reasonNotTestedDescriptor`` and no score is skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.files import RuleInputError, decode_text
from turnaround.imports.readers._common import (
    KeyIndex,
    Problems,
    emit,
    grade_code,
    grade_span,
    key_hashes,
    option_year,
    pseudonym_key,
    pseudonymise,
    report_duplicates,
    school_type,
    target_frame,
    wanted,
)
from turnaround.imports.readers.base import (
    Chunk,
    Progress,
    ReaderOption,
    no_progress,
    targets_option,
)

RESOURCES = ("schools", "localEducationAgencies", "assessments", "studentAssessments")
#: Default performance-level descriptor code values → our levels (1 lowest … 4 highest).
LEVELS: Mapping[str, int] = {
    "advanced": 4,
    "exceeding expectations": 4,
    "exceeds expectations": 4,
    "proficient": 3,
    "meeting expectations": 3,
    "meets expectations": 3,
    "basic": 2,
    "needs improvement": 2,
    "partially meeting expectations": 2,
    "partially meets expectations": 2,
    "approaching expectations": 2,
    "below basic": 1,
    "well below basic": 1,
    "warning": 1,
    "failing": 1,
    "warning/failing": 1,
    "not meeting expectations": 1,
    "does not meet expectations": 1,
}
GRADES: Mapping[str, str | None] = {
    "preschool/prekindergarten": "PK",
    "prekindergarten": "PK",
    "early education": "PK",
    "kindergarten": "K",
    **{
        word: f"{i:02d}"
        for i, word in enumerate(
            (
                "first grade", "second grade", "third grade", "fourth grade", "fifth grade",
                "sixth grade", "seventh grade", "eighth grade", "ninth grade", "tenth grade",
                "eleventh grade", "twelfth grade",
            ),
            start=1,
        )
    },
    "infant/toddler": None,
    "ungraded": None,
    "postsecondary": None,
    "adult education": None,
    "grade 13": None,
    "other": None,
}  # fmt: skip
SUBJECTS: Mapping[str, str] = {
    "english language arts": "ELA",
    "reading": "ELA",
    "english": "ELA",
    "mathematics": "MATH",
    "math": "MATH",
    "science": "SCI",
}
SCHOOL_CATEGORIES: Mapping[str, str] = {
    "elementary school": "ES",
    "primary school": "ES",
    "intermediate school": "ES",
    "middle school": "MS",
    "junior high school": "MS",
    "high school": "HS",
    "secondary school": "HS",
    "senior high school": "HS",
    "elementary/secondary school": "K12",
    "ungraded": "OTHER",
    "adult school": "OTHER",
    "infant/toddler school": "EC",
    "preschool/early childhood": "EC",
}
TITLE_I: Mapping[str, str] = {
    "title i schoolwide school": "schoolwide",
    "title i targeted assistance school": "targeted",
    "title i schoolwide eligible - title i targeted program": "targeted",
    "title i schoolwide eligible - title i targeted assistance program": "targeted",
    "title i targeted eligible school - no program": "none",
    "title i targeted assistance eligible school - no program": "none",
    "title i schoolwide eligible school - no program": "none",
    "not a title i school": "none",
}
NOT_CHARTER = frozenset({"not a charter school", "not applicable"})
CLOSED = frozenset({"closed", "inactive", "future", "changed agency"})
STUDENT_GROUPS_NOTE = (
    "student characteristics (high needs, low income, EL, disabilities, race) are not part of "
    "an Ed-Fi student assessment: the flags are false and race blank"
)


def code_value(descriptor: object) -> str:
    """The code value of a descriptor URI (``uri://ed-fi.org/GradeLevelDescriptor#Tenth grade``
    → ``Tenth grade``); a bare code value is returned as is."""
    text = "" if descriptor is None else str(descriptor)
    return text.rsplit("#", 1)[-1].strip()


def _norm(text: str) -> str:
    return re.sub(r"\s*[-–]\s*", " - ", re.sub(r"\s+", " ", text.strip().lower()))


class EdfiReader:
    key = "edfi"
    label = "Ed-Fi ODS/API resources (JSON)"
    targets = ("schools", "students")
    declared_options = (
        ReaderOption(
            "id_systems",
            "School identification systems",
            "Which identificationCodes systems hold the state's codes, in order of preference. "
            "Default SEA, State.",
            kind="texts",
        ),
        ReaderOption(
            "subjects",
            "Assessment subjects",
            "Subject of each assessment identifier whose academicSubjects do not say one, e.g. "
            "GR5-MATH=MATH.",
            kind="mapping",
            allowed=("ELA", "MATH", "SCI"),
        ),
        ReaderOption(
            "performance_levels",
            "Performance levels",
            "Achievement level (1 lowest to 4) of each performance level descriptor, replacing "
            "the default list, e.g. Advanced=4,Proficient=3,Basic=2,Below Basic=1.",
            kind="mapping",
            allowed=("1", "2", "3", "4"),
            as_int=True,
        ),
        ReaderOption(
            "score_method",
            "Score result to read",
            "The scoreResults assessmentReportingMethod holding the scale score. Default "
            "Scale score.",
        ),
        targets_option(targets),
    )
    extensions = (".json",)
    description = (
        "Resources read from an Ed-Fi ODS/API (Data Standard 4/5) and saved as JSON: one "
        "resource's array, or an object with schools, localEducationAgencies, assessments and "
        "studentAssessments. Schools (with their district) become directory rows keyed by the "
        "state identification code; student assessments become restricted student records: "
        "the studentUniqueId is replaced by a keyed hash (pseudonym_key option) and never "
        "stored, the scale score and performance level (Advanced/Proficient/Basic/Below Basic "
        "→ 4–1 by default, or the performance_levels option) are kept with the grade, year, "
        "subject (assessments' academic subject or the subjects option) and reported school."
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
        problems = Problems(path.name, hidden={"studentAssessments.studentReference"})
        parts = _read(path, options, problems)
        problems.raise_if_any()
        yield from emit(parts, options=options, chunk_rows=chunk_rows, progress=progress)


def _load(path: Path, problems: Problems) -> dict[str, list[Any]] | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.add(None, None, None, f"cannot read the file: {exc}")
        return None
    try:
        text = decode_text(data, path.name)
    except RuleInputError as exc:
        problems.absorb(exc)
        return None
    if not text.strip():
        problems.add(None, None, None, "the file is empty")
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(exc.lineno, None, None, f"not valid JSON: {exc.msg} (column {exc.colno})")
        return None
    if isinstance(document, list):
        resource = _kind(document)
        if resource is None:
            problems.add(
                None,
                None,
                None,
                "an array of records that are not Ed-Fi schools, localEducationAgencies, "
                "assessments or studentAssessments",
            )
            return None
        return {resource: document}
    if isinstance(document, dict):
        unknown = [k for k in document if k not in RESOURCES]
        for key in unknown:
            problems.add(None, key, None, "unknown resource; allowed: " + ", ".join(RESOURCES))
        out = {}
        for key in RESOURCES:
            value = document.get(key, [])
            if not isinstance(value, list):
                problems.add(None, key, None, "must be an array of records")
                continue
            out[key] = value
        if not any(out.values()) and not unknown:
            problems.add(None, None, None, "the file has no records")
        return out
    problems.add(None, None, None, "expected a JSON array or object of Ed-Fi resources")
    return None


def _kind(records: list[Any]) -> str | None:
    first = next((r for r in records if isinstance(r, dict)), None)
    if first is None:
        return None
    if "studentReference" in first and "assessmentReference" in first:
        return "studentAssessments"
    if "schoolId" in first:
        return "schools"
    if "localEducationAgencyId" in first:
        return "localEducationAgencies"
    if "assessmentIdentifier" in first:
        return "assessments"
    return None


def _read(
    path: Path, options: Mapping[str, Any], problems: Problems
) -> list[tuple[str, pd.DataFrame, list[str]]]:
    document = _load(path, problems)
    if document is None:
        return []
    for resource, records in document.items():
        for position, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                problems.add(position, resource, None, "each record must be a JSON object")
    if problems:
        return []
    systems = tuple(_norm(s) for s in options.get("id_systems") or ("SEA", "State"))
    leas = _leas(document.get("localEducationAgencies", []), systems, problems)
    schools, school_codes, notes = _schools(
        document.get("schools", []), leas, systems, options, problems
    )
    parts: list[tuple[str, pd.DataFrame, list[str]]] = []
    if len(schools) and wanted(options, "schools"):
        parts.append(("schools", schools, notes))
    assessments = document.get("studentAssessments", [])
    if assessments and wanted(options, "students"):
        students, student_notes = _students(
            assessments, document.get("assessments", []), school_codes, options, problems
        )
        parts.append(("students", students, student_notes))
    if not parts and not problems:
        problems.add(None, None, None, "no schools or student assessments to import")
    return [] if problems else parts


def _id_codes(record: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in record.get("identificationCodes") or []:
        if isinstance(entry, dict):
            system = _norm(
                code_value(entry.get("educationOrganizationIdentificationSystemDescriptor"))
            )
            value = str(entry.get("identificationCode") or "").strip()
            if system and value:
                out.setdefault(system, value)
    return out


def _state_code(codes: Mapping[str, str], systems: Sequence[str]) -> str | None:
    return next((codes[s] for s in systems if s in codes), None)


def _leas(
    records: list[dict[str, Any]], systems: Sequence[str], problems: Problems
) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for position, record in enumerate(records, start=1):
        lea_id = record.get("localEducationAgencyId")
        if lea_id in (None, ""):
            problems.add(
                position,
                "localEducationAgencies.localEducationAgencyId",
                None,
                "a value is required",
            )
            continue
        codes = _id_codes(record)
        nces = codes.get("nces", "")
        if nces and not re.fullmatch(r"\d{7}", nces):
            problems.add(
                position,
                "localEducationAgencies.identificationCodes",
                nces,
                "an NCES district id is 7 digits",
            )
            nces = ""
        if str(lea_id) in out:
            problems.add(
                position,
                "localEducationAgencies.localEducationAgencyId",
                lea_id,
                "the same district appears twice",
            )
        out[str(lea_id)] = {
            "code": _state_code(codes, systems) or str(lea_id),
            "name": str(record.get("nameOfInstitution") or "").strip(),
            "nces": nces,
        }
    return out


def _address(record: Mapping[str, Any]) -> Mapping[str, Any]:
    addresses = [a for a in record.get("addresses") or [] if isinstance(a, dict)]
    physical = [
        a for a in addresses if _norm(code_value(a.get("addressTypeDescriptor"))) == "physical"
    ]
    return (physical or addresses or [{}])[0]


def _schools(
    records: list[dict[str, Any]],
    leas: Mapping[str, Mapping[str, str]],
    systems: Sequence[str],
    options: Mapping[str, Any],
    problems: Problems,
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    rows: list[dict[str, Any]] = []
    positions: list[int] = []
    codes_by_id: dict[str, str] = {}
    fallback = 0
    option_state = str(options.get("state") or "").strip().upper()
    for position, record in enumerate(records, start=1):
        school_id = record.get("schoolId")
        name = str(record.get("nameOfInstitution") or "").strip()
        if school_id in (None, ""):
            problems.add(position, "schools.schoolId", None, "a value is required")
            continue
        if not name:
            problems.add(position, "schools.nameOfInstitution", None, "a value is required")
        codes = _id_codes(record)
        code = _state_code(codes, systems)
        if code is None:
            code = str(school_id)
            fallback += 1
        if not re.fullmatch(r"[0-9A-Za-z-]{1,20}", code):
            problems.add(
                position,
                "schools.identificationCodes",
                code,
                "a state school code is 1–20 letters, digits or dashes",
            )
        nces = codes.get("nces", "")
        if nces and not re.fullmatch(r"\d{12}", nces):
            problems.add(
                position, "schools.identificationCodes", nces, "an NCES school id is 12 digits"
            )
            nces = ""
        reference = record.get("localEducationAgencyReference") or {}
        lea_id = str(reference.get("localEducationAgencyId") or "")
        if not lea_id:
            problems.add(
                position,
                "schools.localEducationAgencyReference",
                None,
                "a school needs its local education agency (district)",
            )
        lea = leas.get(lea_id, {"code": lea_id, "name": "", "nces": ""})
        grades = []
        for entry in record.get("gradeLevels") or []:
            text = code_value(
                entry.get("gradeLevelDescriptor") if isinstance(entry, dict) else entry
            )
            key = text.lower()
            if key in GRADES:
                grades.append(GRADES[key])
            elif grade_code(text) is not None:
                grades.append(grade_code(text))
            else:
                problems.add(position, "schools.gradeLevels", text, "unknown grade level")
        low, high = grade_span(grades)
        kind = school_type(low, high) if low else ""
        if not kind:
            categories = [
                SCHOOL_CATEGORIES.get(_norm(code_value(c.get("schoolCategoryDescriptor"))))
                for c in record.get("schoolCategories") or []
                if isinstance(c, dict)
            ]
            known = [c for c in categories if c]
            kind = known[0] if len(set(known)) == 1 else "OTHER"
        title_text = code_value(record.get("titleIPartASchoolDesignationDescriptor"))
        title = TITLE_I.get(_norm(title_text), "unknown") if title_text else "unknown"
        if title_text and _norm(title_text) not in TITLE_I:
            problems.add(
                position,
                "schools.titleIPartASchoolDesignationDescriptor",
                title_text,
                "unknown Title I designation",
            )
        charter_text = _norm(code_value(record.get("charterStatusDescriptor")))
        status = _norm(code_value(record.get("operationalStatusDescriptor")))
        address = _address(record)
        state = code_value(address.get("stateAbbreviationDescriptor")).upper() or option_state
        if option_state and state and state != option_state:
            problems.add(
                position,
                "schools.addresses",
                state,
                f"the school's state is not the state option {option_state}",
            )
        if not re.fullmatch(r"[A-Z]{2}", state or ""):
            problems.add(
                position,
                "schools.addresses",
                None,
                "no state: give a physical address or the state option",
            )
        street = ", ".join(
            p
            for p in (
                str(address.get("streetNumberName") or "").strip(),
                str(address.get("apartmentRoomSuiteNumber") or "").strip(),
            )
            if p
        )
        zip_code = str(address.get("postalCode") or "").strip()[:5]
        if str(school_id) in codes_by_id:
            problems.add(position, "schools.schoolId", school_id, "the same school appears twice")
        codes_by_id[str(school_id)] = code
        positions.append(position)
        rows.append(
            {
                "state": state,
                "district_code": lea["code"],
                "district_name": lea["name"],
                "nces_leaid": lea["nces"],
                "school_code": code,
                "school_name": name,
                "nces_id": nces,
                "school_type": kind,
                "grade_low": low,
                "grade_high": high,
                "title_i": title,
                "is_charter": bool(charter_text) and charter_text not in NOT_CHARTER,
                "town": str(address.get("city") or "").strip(),
                "address": street,
                "zip_code": zip_code,
                "is_open": status not in CLOSED,
            }
        )
    notes = []
    if fallback:
        notes.append(
            f"{fallback} schools have no SEA identification code: their Ed-Fi schoolId is used"
        )
    if any(not r["district_name"] for r in rows):
        notes.append("districts not in the file's localEducationAgencies have no name")
    data = {c: np.asarray([r[c] for r in rows], dtype=object) for c in rows[0]} if rows else {}
    for flag in ("is_charter", "is_open"):
        if flag in data:
            data[flag] = data[flag].astype(bool)
    return target_frame("schools", data, positions), codes_by_id, notes


def _subjects(
    assessments: list[dict[str, Any]], options: Mapping[str, Any], problems: Problems
) -> dict[str, str]:
    out: dict[str, str] = {}
    for position, record in enumerate(assessments, start=1):
        identifier = str(record.get("assessmentIdentifier") or "")
        found = {
            SUBJECTS.get(_norm(code_value(s.get("academicSubjectDescriptor"))))
            for s in record.get("academicSubjects") or []
            if isinstance(s, dict)
        } - {None}
        if len(found) == 1:
            out[identifier] = str(found.pop())
        elif len(found) > 1:
            problems.add(
                position,
                "assessments.academicSubjects",
                identifier,
                "an assessment with several subjects: give the subjects option",
            )
    for identifier, subject in (options.get("subjects") or {}).items():
        if subject not in ("ELA", "MATH", "SCI"):
            problems.add(None, None, subject, "the subjects option maps to ELA, MATH or SCI")
        out[str(identifier)] = subject
    return out


def _year(record: Mapping[str, Any], default: int | None) -> int | None:
    reference = record.get("schoolYearTypeReference") or {}
    for value in (reference.get("schoolYear"), record.get("schoolYear")):
        if value not in (None, ""):
            try:
                return int(value)
            except (TypeError, ValueError):
                return -1
    when = str(record.get("administrationDate") or "")[:10]
    if when:
        try:
            day = dt.date.fromisoformat(when)
        except ValueError:
            return -1
        return day.year + 1 if day.month >= 7 else day.year
    return default


def _students(
    records: list[dict[str, Any]],
    assessments: list[dict[str, Any]],
    school_codes: Mapping[str, str],
    options: Mapping[str, Any],
    problems: Problems,
) -> tuple[pd.DataFrame, list[str]]:
    key = pseudonym_key(options, problems)
    default_year = option_year(options, problems)
    subjects = _subjects(assessments, options, problems)
    levels = {_norm(k): v for k, v in (options.get("performance_levels") or LEVELS).items()}
    for name, level in levels.items():
        if level not in (1, 2, 3, 4):
            problems.add(None, None, name, "performance_levels values must be 1, 2, 3 or 4")
    method = _norm(str(options.get("score_method") or "Scale score"))
    ids: list[str] = []
    out: dict[str, list[Any]] = {
        c: []
        for c in ("school_code", "year", "grade", "subject", "scale_score", "achievement_level")
    }
    positions: list[int] = []
    skipped = unmapped_school = 0
    res = "studentAssessments."
    for position, record in enumerate(records, start=1):
        student = (record.get("studentReference") or {}).get("studentUniqueId")
        if student in (None, ""):
            problems.add(position, res + "studentReference", None, "a studentUniqueId is required")
            continue
        scores = [s for s in record.get("scoreResults") or [] if isinstance(s, dict)]
        if not scores and record.get("reasonNotTestedDescriptor"):
            skipped += 1
            continue
        school = record.get("reportedSchoolReference") or record.get("schoolReference") or {}
        school_id = str(school.get("schoolId") or record.get("reportedSchoolIdentifier") or "")
        if not school_id:
            problems.add(
                position,
                res + "reportedSchoolReference",
                None,
                "no school: give reportedSchoolReference (Data Standard 4+)",
            )
        elif school_id not in school_codes:
            unmapped_school += 1
        year = _year(record, default_year)
        if year is None or not 1990 <= year <= 2100:
            problems.add(
                position,
                res + "schoolYearTypeReference",
                None if year in (None, -1) else year,
                "no usable school year: give schoolYearTypeReference, an "
                "administrationDate or the year option",
            )
        grade_text = code_value(record.get("whenAssessedGradeLevelDescriptor"))
        grade = GRADES.get(grade_text.lower(), grade_code(grade_text))
        if grade is None or grade in ("PK", "K", "01", "02"):
            problems.add(
                position,
                res + "whenAssessedGradeLevelDescriptor",
                grade_text or None,
                "a tested grade (third to twelfth grade) is required",
            )
        identifier = str(
            (record.get("assessmentReference") or {}).get("assessmentIdentifier") or ""
        )
        subject = subjects.get(identifier)
        if subject is None:
            problems.add(
                position,
                res + "assessmentReference",
                identifier or None,
                "unknown subject for this assessment: include the assessment with its "
                "academicSubjects, or give the subjects option",
            )
        chosen = [
            s
            for s in scores
            if _norm(code_value(s.get("assessmentReportingMethodDescriptor"))) == method
        ]
        score = None
        if not chosen:
            problems.add(position, res + "scoreResults", None, f"no {method!r} score result")
        else:
            try:
                score = float(str(chosen[0].get("result")).strip())
                if not np.isfinite(score) or score < 0:
                    raise ValueError
            except ValueError:
                problems.add(
                    position,
                    res + "scoreResults",
                    chosen[0].get("result"),
                    "the scale score must be a non-negative number",
                )
                score = None
        level = None
        named = []
        for entry in record.get("performanceLevels") or []:
            if not isinstance(entry, dict) or entry.get("performanceLevelMet") is False:
                continue
            text = code_value(entry.get("performanceLevelDescriptor"))
            named.append(text)
            if level is None and _norm(text) in levels:
                level = levels[_norm(text)]
        if level is None:
            problems.add(
                position,
                res + "performanceLevels",
                ", ".join(named) or None,
                "no performance level that maps to 1–4: give the performance_levels option",
            )
        ids.append(str(student))
        positions.append(position)
        out["school_code"].append(school_codes.get(school_id, school_id))
        out["year"].append(year if year and year > 0 else 0)
        out["grade"].append(grade or "")
        out["subject"].append(subject or "")
        out["scale_score"].append(score if score is not None else np.nan)
        out["achievement_level"].append(level or 0)
    if key is None:
        return target_frame("students", {}, []), []
    keys = np.asarray(pseudonymise(ids, key), dtype=object)
    del ids
    rows = np.asarray(positions, dtype=np.int64)
    keyed = np.asarray(
        [y > 0 and s != "" for y, s in zip(out["year"], out["subject"], strict=True)]
    )
    if keyed.any():
        first = KeyIndex().add(
            key_hashes(
                [keys[keyed], np.asarray(out["year"])[keyed], np.asarray(out["subject"])[keyed]]
            ),
            rows[keyed],
        )
        years, subjects = np.asarray(out["year"])[keyed], np.asarray(out["subject"])[keyed]
        report_duplicates(
            problems,
            first,
            rows[keyed],
            res + "studentReference",
            lambda i: (None, f"the same student, year {years[i]}, {subjects[i]}"),
        )
    if problems:
        return target_frame("students", {}, []), []
    data: dict[str, Any] = {
        "student_key": keys,
        "school_code": np.asarray(out["school_code"], dtype=object),
        "year": np.asarray(out["year"], dtype=np.int64),
        "grade": np.asarray(out["grade"], dtype=object),
        "subject": np.asarray(out["subject"], dtype=object),
        "scale_score": np.asarray(out["scale_score"], dtype=np.float64),
        "achievement_level": np.asarray(out["achievement_level"], dtype=np.int64),
    }
    notes = [STUDENT_GROUPS_NOTE]
    if skipped:
        notes.append(f"{skipped} records of students not tested (no score) skipped")
    if unmapped_school:
        notes.append(
            f"{unmapped_school} records name a school not in this file: its Ed-Fi schoolId is "
            "used as the school code"
        )
    return target_frame("students", data, rows), notes
