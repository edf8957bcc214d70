"""Each writer with hand-made chunks (no reader): problems with row, column, value and reason;
new / changed / unchanged against what is stored; writes and change records in a commit."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from turnaround.accountability.models import AccountabilityDetermination
from turnaround.imports.models import ImportChange, ImportJob
from turnaround.imports.problems import ProblemLog
from turnaround.imports.targets import TARGETS
from turnaround.imports.writers import WRITERS
from turnaround.imports.writers.base import ChangeLog, KeyTracker, SchoolIndex, WriteContext
from turnaround.organizations.models import District, OrgIdentifier, School
from turnaround.performance.models import (
    AssessmentResult,
    DataSource,
    SchoolYearProfile,
    StudentAssessment,
)

pytestmark = pytest.mark.django_db

DEFAULTS: dict[str, Any] = {
    "missing": {},
    "inputs": {},
    "reasons": [],
    "title_i": "unknown",
    "is_open": True,
    "is_charter": False,
    "is_high_needs": False,
    "is_econ_disadv": False,
    "is_el": False,
    "is_swd": False,
}


def chunk(target: str, *rows: dict[str, Any], first_row: int = 2) -> pd.DataFrame:
    columns = TARGETS[target].columns
    records = []
    for i, given in enumerate(rows):
        record = {
            c: given.get(c, DEFAULTS.get(c, "" if c.endswith(("code", "name")) else None))
            for c in columns
        }
        record["_row"] = given.get("_row", first_row + i)
        records.append(record)
    return pd.DataFrame(records)


class Run:
    """One pass of one writer: ``feed`` chunks, ``close``, then look at problems and summary."""

    def __init__(self, org, target: str, *, commit: bool = False) -> None:
        self.problems = ProblemLog()
        job = source = changes = None
        if commit:
            job = ImportJob.objects.create(
                state=org.state, reader="test", file_name="t", sha256="0"
            )
            source = DataSource.objects.create(name="test import", publisher="tests")
            changes = ChangeLog(job)
        self.job, self.source, self.changes = job, source, changes
        ctx = WriteContext(
            org.state, self.problems, SchoolIndex(org.state), commit, source, changes
        )
        self.writer = WRITERS[target](ctx)

    def __call__(self, *frames: pd.DataFrame) -> Run:
        for frame in frames:
            self.writer.feed(frame)
        self.writer.close()
        if self.changes is not None:
            self.changes.flush()
        return self

    @property
    def summary(self) -> dict[str, Any]:
        return self.writer.summary.as_json()

    @property
    def found(self) -> list[tuple[int | None, str | None, str | None, str]]:
        return [(i.row, i.column, i.value, i.reason) for i in self.problems.items]


RESULT = {
    "school_code": "00350001",
    "year": 2017,
    "subject": "ELA",
    "grade": "ALL",
    "group": "all",
    "n_tested": 120,
    "pct_level_4": 10.0,
    "pct_level_3": 30.0,
    "pct_level_2": 40.0,
    "pct_level_1": 20.0,
    "composite_index": 70.0,
    "median_sgp": 45.0,
    "sgp_n": 100,
}


# ---------------------------------------------------------------------------------------------
# Results


def test_results_check_counts_new_changed_unchanged_and_writes_nothing(org):
    before = AssessmentResult.objects.count()
    run = Run(org, "results")(
        chunk(
            "results",
            RESULT,  # as stored by the org fixture
            {**RESULT, "subject": "MATH", "composite_index": 71.5},  # changed
            {**RESULT, "year": 2018},  # new
        )
    )
    assert not run.problems
    summary = run.summary
    assert (summary["new"], summary["changed"], summary["unchanged"]) == (1, 1, 1)
    assert summary["fields"] == {"composite_index": 1}
    assert AssessmentResult.objects.count() == before
    assert [p["_action"] for p in run.writer.preview] == ["unchanged", "changed", "new"]
    assert run.writer.preview[1]["_changed"] == ["composite_index"]


def test_results_commit_writes_and_records_changes(org):
    run = Run(org, "results", commit=True)(
        chunk(
            "results",
            {**RESULT, "subject": "MATH", "composite_index": 71.5},
            {
                **RESULT,
                "year": 2018,
                "n_tested": None,
                "median_sgp": None,
                "missing": {"n_tested": "suppressed", "median_sgp": "not_applicable"},
            },
        )
    )
    assert not run.problems
    changed = AssessmentResult.objects.get(
        school=org.school, year=2017, subject="MATH", grade="ALL", group="all"
    )
    assert changed.composite_index == 71.5 and changed.source == run.source
    new = AssessmentResult.objects.get(school=org.school, year=2018, subject="ELA", group="all")
    assert new.n_tested is None and new.median_sgp is None  # missing, never 0
    assert new.missing_reasons == {"n_tested": "suppressed", "median_sgp": "not_applicable"}
    records = {(c.action, c.key): c.changes for c in ImportChange.objects.filter(job=run.job)}
    assert records == {
        ("updated", "00350001 2017 MATH ALL all"): {"composite_index": [70.0, 71.5]},
        ("created", "00350001 2018 ELA ALL all"): {},
    }
    assert run.summary["missing"] == {"not_applicable": 1, "suppressed": 1}


def test_results_unknown_schools_and_other_states_schools_are_problems(org):
    run = Run(org, "results")(
        chunk(
            "results",
            {**RESULT, "school_code": "99999999"},
            {**RESULT, "school_code": "RI-01-01"},
            {**RESULT, "school_code": "350001"},  # leading zeros lost
        )
    )
    assert [(r, c, v) for r, c, v, _ in run.found] == [
        (2, "school_code", "99999999"),
        (3, "school_code", "RI-01-01"),
        (4, "school_code", "350001"),
    ]
    assert run.found[0][3].startswith("unknown school: no school of MA has this code")


def test_results_impossible_values_and_wrong_types(org):
    run = Run(org, "results")(
        chunk(
            "results",
            {**RESULT, "pct_level_4": 120.0},
            {**RESULT, "subject": "MATH", "n_tested": -5},
            {**RESULT, "subject": "SCI", "median_sgp": 0.0, "sgp_n": 2.5},
            {**RESULT, "subject": "HIST", "grade": "2", "group": "kids", "year": "soon"},
        )
    )
    assert (2, "pct_level_4", "120", "impossible value: a percent over 100") in run.found
    assert (3, "n_tested", "-5", "impossible value: a negative count") in run.found
    assert (4, "median_sgp", "0", "impossible value: below 1") in run.found
    assert (4, "sgp_n", "2.5", "must be a whole number") in run.found
    assert {c for r, c, _, _ in run.found if r == 5} == {"subject", "grade", "group", "year"}
    assert run.summary["new"] == 0  # nothing compared once a problem is found


def test_duplicate_keys_are_found_across_chunks(org):
    first = chunk("results", {**RESULT, "year": 2018}, {**RESULT, "year": 2019})
    second = chunk("results", {**RESULT, "year": 2019, "_row": 40})
    run = Run(org, "results")(first, second)
    assert run.found == [
        (
            40,
            "school_code",
            "00350001",
            "duplicate key (school_code=00350001, year=2019, subject=ELA, grade=ALL, group=all) "
            "of row 3",
        )
    ]


def test_the_key_tracker_reports_the_first_row_of_a_key():
    tracker = KeyTracker()
    keys = pd.DataFrame({"a": ["x", "y", "x"], "b": [1, 2, 1]})
    assert tracker.add(keys, pd.Series([2, 3, 4]).to_numpy()).tolist() == [-1, -1, 2]
    again = pd.DataFrame({"a": ["y", "z"], "b": [2, 2]})
    assert tracker.add(again, pd.Series([5, 6]).to_numpy()).tolist() == [3, -1]
    for start in range(10, 200, 10):  # many chunks: runs are merged, lookups stay right
        block = pd.DataFrame({"a": [f"k{start + i}" for i in range(10)], "b": [0] * 10})
        tracker.add(block, pd.Series(range(start, start + 10)).to_numpy())
    probe = pd.DataFrame({"a": ["k55", "x", "new"], "b": [0, 1, 0]})
    assert tracker.add(probe, pd.Series([900, 901, 902]).to_numpy()).tolist() == [55, 2, -1]
    assert len(tracker.runs) < 8


# ---------------------------------------------------------------------------------------------
# Profiles


def test_profiles_new_changed_and_missing_reasons(org):
    run = Run(org, "profiles", commit=True)(
        chunk(
            "profiles",
            {"school_code": "00350001", "year": 2017, "enrollment": 410, "pct_high_needs": 60.0},
            {
                "school_code": "00350002",
                "year": 2018,
                "enrollment": None,
                "pct_el": 12.5,
                "missing": {"enrollment": "suppressed"},
            },
            {"school_code": "01630001", "year": 2018, "pct_swd": 101.0},
        )
    )
    assert run.found == [(4, "pct_swd", "101", "impossible value: a percent over 100")]
    assert SchoolYearProfile.objects.filter(year=2018).count() == 0  # nothing compared or written

    run = Run(org, "profiles", commit=True)(
        chunk(
            "profiles",
            {"school_code": "00350001", "year": 2017, "enrollment": 410, "pct_high_needs": 60.0},
            {
                "school_code": "00350002",
                "year": 2018,
                "enrollment": None,
                "pct_el": 12.5,
                "missing": {"enrollment": "suppressed"},
            },
        )
    )
    assert not run.problems
    assert (run.summary["new"], run.summary["changed"]) == (1, 1)
    assert SchoolYearProfile.objects.get(school=org.school, year=2017).enrollment == 410
    new = SchoolYearProfile.objects.get(school=org.school_hs, year=2018)
    assert new.enrollment is None and new.missing_reasons == {"enrollment": "suppressed"}


# ---------------------------------------------------------------------------------------------
# Determinations

DETERMINATION = {
    "school_code": "00350001",
    "year": 2017,
    "ruleset": "ma-2012",
    "label": "Level 4",
    "level": 4,
    "percentile": 40.0,
    "reasons": ["Among lowest achieving and least improving schools"],
}


def test_determinations_are_official_and_compared(org):
    stored = {**DETERMINATION, "school_code": "00350002", "label": "Level 2", "level": 2}
    run = Run(org, "determinations", commit=True)(
        chunk(
            "determinations",
            {**stored, "percentile": 20.0, "reasons": []},  # as the org fixture stored it
            {**stored, "school_code": "01630001", "label": "Level 4", "percentile": 30.0},
            {**DETERMINATION, "year": 2018, "ppi_all": 71.5, "inputs": {"cpi": 70.1}},
        )
    )
    assert not run.problems
    assert (run.summary["new"], run.summary["changed"], run.summary["unchanged"]) == (1, 1, 1)
    new = AccountabilityDetermination.objects.get(school=org.school, year=2018)
    assert new.is_official and new.ppi_all == 71.5 and new.inputs == {"cpi": 70.1}
    assert new.reason == "Among lowest achieving and least improving schools"
    changed = ImportChange.objects.get(job=run.job, action="updated")
    assert changed.key == "01630001 2017 ma-2012"
    assert changed.changes["label"] == ["Level 3", "Level 4"]
    assert changed.changes["level"] == [3, 2]


def test_a_published_outcome_is_stored_beside_a_computed_one(org):
    computed = AccountabilityDetermination.objects.create(
        school=org.school, year=2016, ruleset="ma-2012", label="Level 2", source=org.source
    )
    run = Run(org, "determinations", commit=True)(
        chunk("determinations", {**DETERMINATION, "year": 2016})
    )
    assert run.found == []
    rows = AccountabilityDetermination.objects.filter(school=org.school, year=2016)
    assert sorted(rows.values_list("is_official", "label")) == [
        (False, "Level 2"),
        (True, DETERMINATION["label"]),
    ]
    computed.refresh_from_db()
    assert computed.label == "Level 2" and not computed.is_official


def test_determination_values_are_checked(org):
    run = Run(org, "determinations")(
        chunk(
            "determinations",
            {**DETERMINATION, "level": 6, "percentile": 100.0, "label": ""},
            {**DETERMINATION, "year": 2018, "reasons": 5, "inputs": "x"},
        )
    )
    assert {(r, c) for r, c, _, _ in run.found} == {
        (2, "level"),
        (2, "percentile"),
        (2, "label"),
        (3, "reasons"),
        (3, "inputs"),
    }


# ---------------------------------------------------------------------------------------------
# Schools

SCHOOL = {
    "state": "MA",
    "district_code": "00350000",
    "district_name": "Boston",
    "nces_leaid": "",
    "school_code": "00350001",
    "school_name": "Adams Elementary",
    "nces_id": "",
    "school_type": "",
    "grade_low": "K",
    "grade_high": "05",
    "title_i": "schoolwide",
    "is_charter": False,
    "town": "",
    "address": "",
    "zip_code": "",
    "is_open": True,
}


def test_schools_creates_districts_and_schools_and_keeps_what_the_file_lacks(org):
    version = org.school.version
    run = Run(org, "schools", commit=True)(
        chunk(
            "schools",
            {**SCHOOL, "school_name": "Adams Elementary School"},  # renamed; NCES id kept
            {
                **SCHOOL,
                "district_code": "09990000",
                "district_name": "New Regional",
                "nces_leaid": "2599999",
                "school_code": "09990005",
                "school_name": "New Regional High",
                "nces_id": "259999900005",
                "grade_low": "09",
                "grade_high": "12",
                "zip_code": "01234",
            },
        )
    )
    assert not run.problems, run.found
    assert (run.summary["new"], run.summary["changed"]) == (1, 1)
    assert run.summary["districts"] == {"new": 1, "changed": 0, "unchanged": 1}
    org.school.refresh_from_db()
    assert org.school.name == "Adams Elementary School"
    assert org.school.nces_id == "250279000001"  # an empty id in the file keeps the stored one
    assert org.school.version == version + 1
    new = School.objects.get(code="09990005")
    assert (new.school_type, new.district.name, new.zip_code) == ("HS", "New Regional", "01234")
    assert OrgIdentifier.objects.filter(
        system="NCES_SCH", value="259999900005", school=new
    ).exists()
    assert OrgIdentifier.objects.filter(
        system="NCES_LEAID", value="2599999", district=new.district
    ).exists()
    keys = set(ImportChange.objects.filter(job=run.job).values_list("target", "key", "action"))
    assert keys == {
        ("schools", "00350001", "updated"),
        ("schools", "09990005", "created"),
        ("districts", "09990000", "created"),
    }


def test_schools_problems(org):
    run = Run(org, "schools")(
        chunk(
            "schools",
            {**SCHOOL, "state": "RI"},
            {**SCHOOL, "school_code": "00350009", "grade_low": "09", "grade_high": "03"},
            {**SCHOOL, "school_code": "00350010", "grade_low": "", "grade_high": "05"},
            {**SCHOOL, "school_code": "00350011", "nces_id": "123"},
            {
                **SCHOOL,
                "school_code": "00350012",
                "nces_leaid": "2502790",
                "nces_id": "250000000012",
            },
            {**SCHOOL, "school_code": "00350013", "title_i": "maybe", "school_type": "XX"},
        )
    )
    found = {(r, c) for r, c, _, _ in run.found}
    assert found == {
        (2, "state"),
        (3, "grade_high"),
        (4, "grade_low"),
        (5, "nces_id"),
        (6, "nces_id"),
        (7, "title_i"),
        (7, "school_type"),
    }


def test_an_nces_id_held_by_another_school_is_a_problem(org):
    run = Run(org, "schools")(
        chunk(
            "schools",
            {
                **SCHOOL,
                "school_code": "00350002",
                "school_name": "Burke High",
                "nces_id": "250279000001",
                "grade_low": "09",
                "grade_high": "12",
            },
        )
    )
    assert run.found == [
        (2, "nces_id", "250279000001", "this NCES id belongs to school 00350001 in MA")
    ]


def test_a_check_pass_counts_without_writing(org):
    districts = District.objects.count()
    run = Run(org, "schools")(
        chunk("schools", {**SCHOOL, "district_code": "09990000", "school_code": "09990001"})
    )
    assert run.summary["new"] == 1 and run.writer.new_codes == {"09990001"}
    assert District.objects.count() == districts


# ---------------------------------------------------------------------------------------------
# Students

STUDENT = {
    "student_key": "a" * 64,
    "school_code": "00350001",
    "year": 2018,
    "grade": "04",
    "subject": "ELA",
    "scale_score": 241.0,
    "achievement_level": 3,
    "race": "",
}


def students(n: int, start: int = 0, **changes: Any) -> pd.DataFrame:
    rows = [
        {**STUDENT, "student_key": f"s{i:05d}", "_row": 2 + i, **changes}
        for i in range(start, start + n)
    ]
    return chunk("students", *rows)


def test_students_are_staged_compared_and_upserted(org):
    check = Run(org, "students")(students(3), students(2, start=3))
    assert (check.summary["new"], check.summary["changed"]) == (5, 0)
    assert StudentAssessment.objects.count() == 0
    assert check.writer.preview == [
        {"school_code": "00350001", "year": 2018, "subject": "ELA", "records": 5}
    ]

    commit = Run(org, "students", commit=True)(students(3), students(2, start=3))
    assert commit.summary["new"] == 5
    assert StudentAssessment.objects.filter(source=commit.source).count() == 5
    assert not ImportChange.objects.filter(job=commit.job).exists()  # created: counted only

    again = Run(org, "students", commit=True)(students(5))
    assert (again.summary["new"], again.summary["changed"], again.summary["unchanged"]) == (0, 0, 5)

    changed = Run(org, "students", commit=True)(
        students(2), students(1, start=2, scale_score=250.0, is_el=True), students(2, start=3)
    )
    assert (changed.summary["changed"], changed.summary["unchanged"]) == (1, 4)
    assert changed.summary["fields"] == {"scale_score": 1, "is_el": 1}
    record = StudentAssessment.objects.get(student_key="s00002")
    assert record.scale_score == 250.0 and record.is_el and record.source == changed.source
    assert StudentAssessment.objects.get(student_key="s00001").source == commit.source
    change = ImportChange.objects.get(job=changed.job)
    assert change.key == "s00002 2018 ELA" and change.row == 4
    assert change.changes == {"scale_score": None, "is_el": None}  # fields only, no values


def test_student_problems_never_show_a_student_key(org):
    run = Run(org, "students")(
        chunk(
            "students",
            {**STUDENT, "student_key": "secret-1"},
            {**STUDENT, "student_key": "secret-2", "scale_score": None, "grade": "4"},
            {**STUDENT, "student_key": "secret-1", "subject": "ELA", "_row": 9},
            {**STUDENT, "student_key": "", "race": "martian", "is_swd": "maybe"},
            {**STUDENT, "student_key": "secret-3", "achievement_level": 5},
        )
    )
    found = {(r, c) for r, c, _, _ in run.found}
    assert found == {
        (6, "achievement_level"),
        (3, "scale_score"),
        (3, "grade"),
        (9, "student_key"),
        (5, "student_key"),
        (5, "race"),
        (5, "is_swd"),
    }
    assert all("secret" not in str(v) + reason for _, _, v, reason in run.found)
    duplicate = next(f for f in run.found if f[0] == 9)
    assert (
        duplicate[2] is None and duplicate[3] == "duplicate key (year=2018, subject=ELA) of row 2"
    )


def test_missing_reasons_must_name_a_column_and_a_known_reason(org):
    run = Run(org, "results")(
        chunk(
            "results",
            {**RESULT, "year": 2018, "n_tested": None, "missing": {"n_tested": "lost"}},
            {**RESULT, "year": 2019, "missing": {"colour": "suppressed"}},
        )
    )
    assert [(r, c, v) for r, c, v, _ in run.found] == [
        (2, "n_tested", "lost"),
        (3, "colour", "suppressed"),
    ]
    assert run.found[0][3].startswith("unknown missing-value reason; allowed: suppressed")
