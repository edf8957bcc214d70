"""What every import produces: rows of one of five canonical tables (the *targets*).

This module is the contract between the readers (``turnaround.imports.readers``: one per file
layout, pure Python, no Django) and the writers (``turnaround.imports.writers``: one per target,
which compare the rows with the database and write them). A reader turns a file into chunks of a
target table with exactly the columns named here (in any order), plus ``_row``, the row number in
the source file (the header is row 1; for JSON, the 1-based position of the record), so that a
problem found later — an unknown school, a duplicate key across chunks — names the row.

Conventions every reader keeps
------------------------------
- Identifiers are strings exactly as published (leading zeros kept).
- A missing value is ``None``/``NaN`` with its reason in the ``missing`` column (a dict
  ``{column: reason}`` with reasons from :data:`MISSING_REASONS`), never zero. Suppression
  markers (``*``, ``<10``, ``--``, blanks in a count column) become missing with reason
  ``suppressed`` or ``missing``.
- Values are in the units of the target: percents 0–100, years as the spring year (2017 for
  2016–17), subjects and student groups as the codes below.
- A reader whose file carries only some columns of a target names the columns it provides
  (``Chunk.columns``, the key columns always among them); the writers then leave the stored
  values of every other column as they are. A provided column whose value is missing in a row
  (suppressed, blank) is a real value: it replaces the stored one with None and its reason.
- Problems are :class:`turnaround.analytics.accountability.files.InputIssue` (row, column, value,
  reason), raised together as :class:`ImportInvalid` once the whole file has been read — never
  one at a time, never after yielding a chunk that would then be written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from turnaround.analytics.accountability.files import InputIssue

__all__ = [
    "GROUPS",
    "InputIssue",
    "ImportInvalid",
    "MISSING_REASONS",
    "SUBJECTS",
    "TARGETS",
    "Target",
]

#: Subject codes (``performance.models.Subject``).
SUBJECTS = ("ELA", "MATH", "SCI")

#: Student-group codes (``performance.models.StudentGroup``).
GROUPS = (
    "all",
    "high_needs",
    "econ_disadv",
    "el",
    "swd",
    "black",
    "asian",
    "hispanic",
    "white",
    "multirace",
    "amind",
    "pacisl",
)

#: Reasons a value is missing (``performance.models.MissingReason``).
MISSING_REASONS = ("suppressed", "not_applicable", "missing", "below_reporting_n")

#: The grade of a result for all tested grades together.
ALL_GRADES = "ALL"


@dataclass(frozen=True)
class Target:
    """One canonical table: its columns, the columns that identify a row, and what it feeds."""

    key: str
    label: str
    columns: tuple[str, ...]
    key_columns: tuple[str, ...]
    restricted: bool = False


TARGETS: dict[str, Target] = {
    t.key: t
    for t in (
        Target(
            "schools",
            "School and district directory",
            columns=(
                "state",  # USPS code, e.g. "MA"
                "district_code",  # the state's district code
                "district_name",
                "nces_leaid",  # 7 digits or "" when not given
                "school_code",  # the state's school code
                "school_name",
                "nces_id",  # 12 digits or ""
                "school_type",  # organizations.SchoolType code, e.g. "ES", or "" to derive
                "grade_low",  # organizations.grades code, e.g. "PK", "KG", "01" … "12", or ""
                "grade_high",
                "title_i",  # "schoolwide" | "targeted" | "none" | "unknown"
                "is_charter",  # bool
                "town",
                "address",
                "zip_code",
                "is_open",  # bool
                "year",  # spring year of the directory data, or None when the file has none
            ),
            key_columns=("state", "school_code"),
        ),
        Target(
            "results",
            "School results by year, subject, grade and student group",
            columns=(
                "school_code",
                "year",
                "subject",  # SUBJECTS
                "grade",  # "03" … "12" or ALL_GRADES
                "group",  # GROUPS
                "n_tested",
                "pct_level_4",  # highest achievement level (e.g. Advanced), percent 0–100
                "pct_level_3",
                "pct_level_2",
                "pct_level_1",  # lowest (e.g. Warning/Failing)
                "composite_index",  # CPI 0–100
                "mean_scale_score",
                "median_sgp",  # 1–99
                "sgp_n",
                "missing",  # {column: reason}
            ),
            key_columns=("school_code", "year", "subject", "grade", "group"),
        ),
        Target(
            "profiles",
            "School profile by year (enrollment, demographics, attendance)",
            columns=(
                "school_code",
                "year",
                "enrollment",
                "pct_high_needs",
                "pct_econ_disadv",
                "pct_el",
                "pct_swd",
                "pct_black",
                "pct_asian",
                "pct_hispanic",
                "pct_white",
                "pct_multirace",
                "pct_amind",
                "pct_pacisl",
                "graduation_rate_4yr",
                "dropout_rate",
                "attendance_rate",
                "chronic_absence_rate",
                "missing",
            ),
            key_columns=("school_code", "year"),
        ),
        Target(
            "determinations",
            "Published accountability outcomes",
            columns=(
                "school_code",
                "year",
                "ruleset",  # the rule set the outcome belongs to, e.g. "ma-2012", "tx-a-f"
                "label",  # e.g. "Level 3", "B", "CSI", "Not rated"
                "level",  # 1–5 or None
                "percentile",  # 1–99 or None
                "ppi_all",
                "ppi_high_needs",
                "reasons",  # list of str, as published
                "inputs",  # dict of the published indicator values kept for reference
            ),
            key_columns=("school_code", "year", "ruleset"),
        ),
        Target(
            "students",
            "Student-level assessment records (restricted)",
            columns=(
                "student_key",  # pseudonymous; never a state student id
                "school_code",
                "year",
                "grade",  # "03" … "12"
                "subject",
                "scale_score",
                "achievement_level",  # 1 (lowest) … 4
                "is_high_needs",
                "is_econ_disadv",
                "is_el",
                "is_swd",
                "race",  # a GROUPS race code or ""
            ),
            key_columns=("student_key", "year", "subject"),
            restricted=True,
        ),
    )
}


class ImportInvalid(ValueError):
    """A file that cannot be imported; nothing was written.

    ``issues`` are the problems found (at most ``MAX_ISSUES`` kept), ``total`` how many in all.
    """

    def __init__(self, source: str, issues: Sequence[InputIssue], total: int | None = None):
        self.source = source
        self.issues = tuple(issues)
        self.total = len(self.issues) if total is None else total
        noun = "problem" if self.total == 1 else "problems"
        head = f"{source}: {self.total} {noun}, nothing was imported"
        super().__init__("\n".join([head, *(f"  {i}" for i in self.issues[:10])]))
