"""Reading the Massachusetts DESE 2017 school profiles (``MA_Public_Schools_2017.csv``).

The whole file is validated before anything is returned: a missing required column, or a school
or district code that is not eight digits, is reported with its row number (the header is row 1),
column and value, all at once. Ids stay strings; a blank cell is ``None``, never 0.

One column of this copy is not usable: ``% Economically Disadvantaged`` was sorted on its own by
whoever compiled the file (its values run 94.4, 93.9, … 0.0 down the rows), so it belongs to no
school. The share is recomputed from the ``Economically Disadvantaged`` count and
``TOTAL_Enrollment``, which agree with every other count/percent pair of the file.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

#: The file's place under ``settings.SHARED_DATA_DIR``.
PROFILES_FILE = Path("ma-profiles-2017") / "MA_Public_Schools_2017.csv"
ID_PATTERN = re.compile(r"^\d{8}$")
#: Tested grade → the ordinal the column names use.
MCAS_GRADES: Mapping[str, str] = MappingProxyType(
    {"03": "3rd", "04": "4th", "05": "5th", "06": "6th", "07": "7th", "08": "8th", "10": "10th"}
)
#: Subject code → the word the column names use.
MCAS_SUBJECTS: Mapping[str, str] = MappingProxyType({"ELA": "English", "MATH": "Math"})
_MCAS_FIELDS = (
    "A #",
    "P #",
    "NI #",
    "W/F #",
    "Stud. Incl. #",
    "CPI",
    "SGP",
    "Incl. in SGP(#)",
)
_MCAS_PCT = ("A", "P", "NI", "W/F")
_ENROLMENT_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "PK": "PK_Enrollment",
        "K": "K_Enrollment",
        **{f"{g:02d}": f"{g}_Enrollment" for g in range(1, 13)},
    }
)
_SHARE_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "high_needs": "% High Needs",
        "el": "% English Language Learner",
        "swd": "% Students With Disabilities",
        "black": "% African American",
        "asian": "% Asian",
        "hispanic": "% Hispanic",
        "white": "% White",
        "multirace": "% Multi-Race, Non-Hispanic",
        "amind": "% Native American",
        "pacisl": "% Native Hawaiian, Pacific Islander",
    }
)
ACCOUNTABILITY_COLUMNS = (
    "Accountability and Assistance Level",
    "Accountability and Assistance Description",
    "School Accountability Percentile (1-99)",
    "Progress and Performance Index (PPI) - All Students",
    "Progress and Performance Index (PPI) - High Needs Students",
)
_DIRECTORY_COLUMNS = (
    "School Code",
    "School Name",
    "School Type",
    "Address 1",
    "Address 2",
    "Town",
    "Zip",
    "Grade",
    "District Name",
    "District Code",
)
REQUIRED_COLUMNS: tuple[str, ...] = (
    *_DIRECTORY_COLUMNS,
    "TOTAL_Enrollment",
    *_ENROLMENT_COLUMNS.values(),
    "Economically Disadvantaged",
    *_SHARE_COLUMNS.values(),
    "% Graduated",
    "% Dropped Out",
    *(
        f"MCAS_{ordinal}Grade_{word}_{field}"
        for ordinal in MCAS_GRADES.values()
        for word in MCAS_SUBJECTS.values()
        for field in _MCAS_FIELDS
    ),
    *(
        f"% MCAS_{ordinal}Grade_{word}_{level}"
        for ordinal in MCAS_GRADES.values()
        for word in MCAS_SUBJECTS.values()
        for level in _MCAS_PCT
    ),
    *ACCOUNTABILITY_COLUMNS,
)
_BLANKS = frozenset({"", "N/A", "NA", "*", "***"})


@dataclass(frozen=True)
class RowError:
    """One problem in the file: where (row 1 is the header), which column, what value, why."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}, value {self.value!r}: {self.message}"


class ProfileFileError(ValueError):
    """The file failed validation; ``errors`` lists every problem found."""

    def __init__(self, path: Path, errors: list[RowError]) -> None:
        self.path = path
        self.errors = errors
        shown = "\n".join(f"  {e}" for e in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{path.name}: {len(errors)} problem(s)\n{shown}{more}")


@dataclass(frozen=True)
class McasResult:
    """A school's 2017 legacy MCAS result for one subject and tested grade (all students).

    Counts are whole numbers of students; percentages are as published (whole percents, so a
    row may add up to 99 or 101). Level 4 is Advanced, 3 Proficient, 2 Needs Improvement and 1
    Warning/Failing.
    """

    subject: str
    grade: str
    n_included: int
    n_level_4: int | None
    n_level_3: int | None
    n_level_2: int | None
    n_level_1: int | None
    pct_level_4: float | None
    pct_level_3: float | None
    pct_level_2: float | None
    pct_level_1: float | None
    cpi: float | None
    median_sgp: float | None
    sgp_n: int | None


@dataclass(frozen=True)
class SchoolProfile:
    """One row of the profiles file, as plain values.

    ``row`` is the file row (the header is row 1). Percentages are of enrolment. ``level`` is
    the number of an official ``Level N`` label, None for ``Insufficient data`` or a blank.
    """

    row: int
    school_code: str
    school_name: str
    is_charter: bool
    district_code: str
    district_name: str
    address: str
    town: str
    zip_code: str
    grades: tuple[str, ...]
    enrollment: int | None
    enrollment_by_grade: Mapping[str, int | None]
    econ_disadv_count: int | None
    shares: Mapping[str, float | None]
    pct_graduated: float | None
    pct_dropped_out: float | None
    mcas: tuple[McasResult, ...]
    accountability_label: str | None
    accountability_reason: str | None
    accountability_percentile: int | None
    ppi_all: float | None
    ppi_high_needs: float | None

    @property
    def pct_econ_disadv(self) -> float | None:
        """Economically disadvantaged students as a percent of enrolment (one decimal)."""
        if self.econ_disadv_count is None or not self.enrollment:
            return None
        return round(100.0 * self.econ_disadv_count / self.enrollment, 1)

    @property
    def level(self) -> int | None:
        label = self.accountability_label or ""
        return int(label[6:]) if label.startswith("Level ") and label[6:].isdigit() else None

    def mcas_for(self, subject: str) -> tuple[McasResult, ...]:
        return tuple(r for r in self.mcas if r.subject == subject)


def file_checksum(path: Path) -> str:
    """SHA-256 of the file's bytes, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


class _Row:
    """Typed access to one CSV row that records problems instead of raising."""

    def __init__(self, number: int, raw: dict[str, str], errors: list[RowError]) -> None:
        self.number = number
        self.raw = raw
        self.errors = errors

    def text(self, column: str) -> str | None:
        value = (self.raw.get(column) or "").strip()
        return None if value in _BLANKS else value

    def number_or_none(self, column: str) -> float | None:
        value = self.text(column)
        if value is None:
            return None
        try:
            return float(value.replace(",", ""))
        except ValueError:
            self.errors.append(RowError(self.number, column, value, "not a number"))
            return None

    def count(self, column: str) -> int | None:
        value = self.number_or_none(column)
        if value is None:
            return None
        if value < 0 or value != int(value):
            self.errors.append(
                RowError(self.number, column, self.raw[column], "not a whole number of students")
            )
            return None
        return int(value)

    def code(self, column: str) -> str:
        value = self.raw.get(column) or ""
        if not ID_PATTERN.match(value):
            self.errors.append(
                RowError(self.number, column, value, "an organisation code is eight digits")
            )
        return value


def _mcas(row: _Row) -> tuple[McasResult, ...]:
    results = []
    for subject, word in MCAS_SUBJECTS.items():
        for grade, ordinal in MCAS_GRADES.items():
            prefix = f"MCAS_{ordinal}Grade_{word}_"
            n = row.count(prefix + "Stud. Incl. #")
            if not n:
                continue
            pct = {level: row.number_or_none(f"% {prefix}{level}") for level in _MCAS_PCT}
            results.append(
                McasResult(
                    subject=subject,
                    grade=grade,
                    n_included=n,
                    n_level_4=row.count(prefix + "A #"),
                    n_level_3=row.count(prefix + "P #"),
                    n_level_2=row.count(prefix + "NI #"),
                    n_level_1=row.count(prefix + "W/F #"),
                    pct_level_4=pct["A"],
                    pct_level_3=pct["P"],
                    pct_level_2=pct["NI"],
                    pct_level_1=pct["W/F"],
                    cpi=row.number_or_none(prefix + "CPI"),
                    median_sgp=row.number_or_none(prefix + "SGP"),
                    sgp_n=row.count(prefix + "Incl. in SGP(#)"),
                )
            )
    return tuple(results)


def _profile(row: _Row) -> SchoolProfile:
    school_code = row.code("School Code")
    district_code = row.code("District Code")
    if (
        ID_PATTERN.match(school_code)
        and ID_PATTERN.match(district_code)
        and (school_code[:4] != district_code[:4])
    ):
        row.errors.append(
            RowError(
                row.number,
                "School Code",
                school_code,
                f"the first four digits differ from district {district_code}",
            )
        )
    school_type = row.text("School Type") or ""
    if school_type not in ("Public School", "Charter School"):
        row.errors.append(
            RowError(
                row.number,
                "School Type",
                school_type,
                "expected 'Public School' or 'Charter School'",
            )
        )
    address = ", ".join(filter(None, (row.text("Address 1"), row.text("Address 2"))))
    zip_code = row.text("Zip") or ""
    if zip_code and not zip_code.isdigit():
        row.errors.append(RowError(row.number, "Zip", zip_code, "a ZIP code is digits"))
    grades = tuple(g.strip() for g in (row.text("Grade") or "").split(",") if g.strip())
    percentile = row.number_or_none("School Accountability Percentile (1-99)")
    return SchoolProfile(
        row=row.number,
        school_code=school_code,
        school_name=row.text("School Name") or "",
        is_charter=school_type == "Charter School",
        district_code=district_code,
        district_name=row.text("District Name") or "",
        address=address,
        town=row.text("Town") or "",
        zip_code=zip_code.zfill(5) if zip_code else "",
        grades=grades,
        enrollment=row.count("TOTAL_Enrollment"),
        enrollment_by_grade=MappingProxyType(
            {grade: row.count(column) for grade, column in _ENROLMENT_COLUMNS.items()}
        ),
        econ_disadv_count=row.count("Economically Disadvantaged"),
        shares=MappingProxyType(
            {name: row.number_or_none(column) for name, column in _SHARE_COLUMNS.items()}
        ),
        pct_graduated=row.number_or_none("% Graduated"),
        pct_dropped_out=row.number_or_none("% Dropped Out"),
        mcas=_mcas(row),
        accountability_label=row.text("Accountability and Assistance Level"),
        accountability_reason=row.text("Accountability and Assistance Description"),
        accountability_percentile=None if percentile is None else int(percentile),
        ppi_all=row.number_or_none("Progress and Performance Index (PPI) - All Students"),
        ppi_high_needs=row.number_or_none(
            "Progress and Performance Index (PPI) - High Needs Students"
        ),
    )


def profiles_read(path: Path) -> list[SchoolProfile]:
    """Every school of the profiles file, after validating the whole file.

    Parameters
    ----------
    path : Path
        The CSV file (UTF-8, one header row).

    Raises
    ------
    ProfileFileError
        Listing every missing column and every bad value with its row number.
    """
    errors: list[RowError] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ProfileFileError(
                path, [RowError(1, c, "", "required column is missing") for c in missing]
            )
        profiles = [_profile(_Row(i, raw, errors)) for i, raw in enumerate(reader, start=2)]
    seen: dict[str, int] = {}
    for p in profiles:
        if p.school_code in seen:
            errors.append(
                RowError(
                    p.row,
                    "School Code",
                    p.school_code,
                    f"the same code is on row {seen[p.school_code]}",
                )
            )
        seen.setdefault(p.school_code, p.row)
    if errors:
        raise ProfileFileError(path, errors)
    return profiles
