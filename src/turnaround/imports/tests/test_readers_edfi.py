"""Ed-Fi ODS/API resources saved as JSON (``edfi``), on fixtures shaped like the API's answers.

The records follow the ODS/API resource shapes (Data Standard 4/5): ``schools`` with
``localEducationAgencyReference``, ``gradeLevels``, ``schoolCategories``, ``identificationCodes``,
``addresses`` and descriptor URIs; ``studentAssessments`` with ``studentReference``,
``assessmentReference``, ``schoolYearTypeReference``, ``reportedSchoolReference``,
``scoreResults`` and ``performanceLevels``. The organisations are the Ed-Fi sample district
(Grand Bend ISD); the students and scores are made up.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest

from turnaround.imports.readers import READERS
from turnaround.imports.tests.reader_helpers import KEY, chunks, find, problems, row_of, tables

READER = READERS["edfi"]
ED = "uri://ed-fi.org/"
STUDENT_IDS = ("604822", "604823", "604824")


def descriptor(kind: str, value: str) -> str:
    return f"{ED}{kind}Descriptor#{value}"


def ident(system: str, code: str) -> dict[str, str]:
    return {
        "educationOrganizationIdentificationSystemDescriptor": descriptor(
            "EducationOrganizationIdentificationSystem", system
        ),
        "identificationCode": code,
    }


def address(street: str, kind: str = "Physical", zip_code: str = "73334") -> dict[str, Any]:
    return {
        "addressTypeDescriptor": descriptor("AddressType", kind),
        "city": "Grand Bend",
        "postalCode": zip_code,
        "stateAbbreviationDescriptor": descriptor("StateAbbreviation", "TX"),
        "streetNumberName": street,
        "nameOfCounty": "Williston",
        "periods": [],
    }


def grades(*names: str) -> list[dict[str, str]]:
    return [{"gradeLevelDescriptor": descriptor("GradeLevel", n)} for n in names]


LEA = {
    "id": "2ec6bf70e0df431b9bf89ea623ab6e06",
    "localEducationAgencyId": 255901,
    "nameOfInstitution": "Grand Bend ISD",
    "localEducationAgencyCategoryDescriptor": descriptor(
        "LocalEducationAgencyCategory", "Independent"
    ),
    "categories": [
        {
            "educationOrganizationCategoryDescriptor": descriptor(
                "EducationOrganizationCategory", "Local Education Agency"
            )
        }
    ],
    "identificationCodes": [ident("SEA", "255901"), ident("NCES", "4812345")],
    "addresses": [address("P.O. Box 9000", "Mailing")],
}
SCHOOLS = [
    {
        "id": "d8da827ace254a57bd4dad3f60774fab",
        "localEducationAgencyReference": {"localEducationAgencyId": 255901},
        "schoolId": 255901001,
        "nameOfInstitution": "Grand Bend High School",
        "operationalStatusDescriptor": descriptor("OperationalStatus", "Active"),
        "administrativeFundingControlDescriptor": descriptor(
            "AdministrativeFundingControl", "Public School"
        ),
        "charterStatusDescriptor": descriptor("CharterStatus", "Not a Charter School"),
        "schoolTypeDescriptor": descriptor("SchoolType", "Regular"),
        "titleIPartASchoolDesignationDescriptor": descriptor(
            "TitleIPartASchoolDesignation", "Not A Title I School"
        ),
        "addresses": [address("P.O. Box 2035", "Mailing", "73334-2035"), address("456 Elm Street")],
        "educationOrganizationCategories": [
            {
                "educationOrganizationCategoryDescriptor": descriptor(
                    "EducationOrganizationCategory", "School"
                )
            }
        ],
        "identificationCodes": [ident("SEA", "255901001"), ident("NCES", "481234500011")],
        "schoolCategories": [
            {"schoolCategoryDescriptor": descriptor("SchoolCategory", "High School")}
        ],
        "gradeLevels": grades("Eleventh grade", "Ninth grade", "Tenth grade", "Twelfth grade"),
        "_etag": "5249003312085007491",
    },
    {
        "id": "71fc34a5e9624d3c81b7edadd0b63b38",
        "localEducationAgencyReference": {"localEducationAgencyId": 255901},
        "schoolId": 255901044,
        "nameOfInstitution": "Grand Bend Middle School",
        "operationalStatusDescriptor": descriptor("OperationalStatus", "Active"),
        "charterStatusDescriptor": descriptor("CharterStatus", "Not a Charter School"),
        "titleIPartASchoolDesignationDescriptor": descriptor(
            "TitleIPartASchoolDesignation", "Title I Schoolwide School"
        ),
        "addresses": [address("9993 Space Blvd.")],
        "educationOrganizationCategories": [
            {
                "educationOrganizationCategoryDescriptor": descriptor(
                    "EducationOrganizationCategory", "School"
                )
            }
        ],
        "identificationCodes": [ident("SEA", "255901044")],
        "schoolCategories": [
            {"schoolCategoryDescriptor": descriptor("SchoolCategory", "Middle School")}
        ],
        "gradeLevels": grades("Eighth grade", "Sixth grade", "Seventh grade"),
    },
    {
        "schoolId": 255901107,
        "localEducationAgencyReference": {"localEducationAgencyId": 255901},
        "nameOfInstitution": "Grand Bend Elementary School",
        "operationalStatusDescriptor": descriptor("OperationalStatus", "Closed"),
        "charterStatusDescriptor": descriptor("CharterStatus", "School Charter"),
        "addresses": [address("2011 Pine Road")],
        "educationOrganizationCategories": [
            {
                "educationOrganizationCategoryDescriptor": descriptor(
                    "EducationOrganizationCategory", "School"
                )
            }
        ],
        "schoolCategories": [
            {"schoolCategoryDescriptor": descriptor("SchoolCategory", "Elementary School")}
        ],
        "gradeLevels": [],
    },
]
ASSESSMENTS = [
    {
        "assessmentIdentifier": "STAAR-RDG-08",
        "namespace": "uri://tea.texas.gov/Assessment",
        "assessmentTitle": "STAAR Reading, Grade 8",
        "academicSubjects": [
            {"academicSubjectDescriptor": descriptor("AcademicSubject", "English Language Arts")}
        ],
        "assessedGradeLevels": grades("Eighth grade"),
    },
    {
        "assessmentIdentifier": "STAAR-MATH-08",
        "namespace": "uri://tea.texas.gov/Assessment",
        "assessmentTitle": "STAAR Mathematics, Grade 8",
        "academicSubjects": [
            {"academicSubjectDescriptor": descriptor("AcademicSubject", "Mathematics")}
        ],
    },
]


def scored(student: str, assessment: str, score: str, level: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "studentAssessmentIdentifier": f"{student}-{assessment}",
        "assessmentReference": {
            "assessmentIdentifier": assessment,
            "namespace": "uri://tea.texas.gov/Assessment",
        },
        "studentReference": {"studentUniqueId": student},
        "schoolYearTypeReference": {"schoolYear": 2022},
        "reportedSchoolReference": {"schoolId": 255901044},
        "administrationDate": "2022-04-12T09:00:00Z",
        "whenAssessedGradeLevelDescriptor": descriptor("GradeLevel", "Eighth grade"),
        "scoreResults": [
            {
                "assessmentReportingMethodDescriptor": descriptor(
                    "AssessmentReportingMethod", "Raw score"
                ),
                "resultDatatypeTypeDescriptor": descriptor("ResultDatatypeType", "Integer"),
                "result": "31",
            },
            {
                "assessmentReportingMethodDescriptor": descriptor(
                    "AssessmentReportingMethod", "Scale score"
                ),
                "resultDatatypeTypeDescriptor": descriptor("ResultDatatypeType", "Integer"),
                "result": score,
            },
        ],
        "performanceLevels": [
            {
                "assessmentReportingMethodDescriptor": descriptor(
                    "AssessmentReportingMethod", "Achievement Level"
                ),
                "performanceLevelDescriptor": descriptor("PerformanceLevel", level),
                "performanceLevelMet": True,
            }
        ],
    }
    record.update(extra)
    return record


STUDENT_ASSESSMENTS = [
    scored("604822", "STAAR-RDG-08", "1654", "Proficient"),
    scored("604822", "STAAR-MATH-08", "1702", "Advanced"),
    scored("604823", "STAAR-RDG-08", "1490", "Below Basic"),
    scored(
        "604824", "STAAR-MATH-08", "1577", "Basic", reportedSchoolReference={"schoolId": 255901001}
    ),
    {
        "studentAssessmentIdentifier": "604824-STAAR-RDG-08",
        "assessmentReference": {
            "assessmentIdentifier": "STAAR-RDG-08",
            "namespace": "uri://tea.texas.gov/Assessment",
        },
        "studentReference": {"studentUniqueId": "604824"},
        "schoolYearTypeReference": {"schoolYear": 2022},
        "reportedSchoolReference": {"schoolId": 255901044},
        "reasonNotTestedDescriptor": descriptor("ReasonNotTested", "Absent"),
    },
]


def document() -> dict[str, Any]:
    return copy.deepcopy(
        {
            "localEducationAgencies": [LEA],
            "schools": SCHOOLS,
            "assessments": ASSESSMENTS,
            "studentAssessments": STUDENT_ASSESSMENTS,
        }
    )


def save(tmp_path: Path, content: Any, name: str = "edfi.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")
    return path


def test_schools_from_schools_and_districts(tmp_path):
    schools = tables(READER, save(tmp_path, document()), pseudonym_key=KEY)["schools"]
    assert schools["_row"].tolist() == [1, 2, 3]
    high = row_of(schools, school_code="255901001")
    assert (high["state"], high["district_code"], high["district_name"]) == (
        "TX", "255901", "Grand Bend ISD",
    )  # fmt: skip
    assert (high["nces_id"], high["nces_leaid"]) == ("481234500011", "4812345")
    assert (high["grade_low"], high["grade_high"], high["school_type"]) == ("09", "12", "HS")
    assert (high["address"], high["town"], high["zip_code"]) == (
        "456 Elm Street",
        "Grand Bend",
        "73334",
    )
    assert high["title_i"] == "none" and not high["is_charter"] and high["is_open"]
    middle = row_of(schools, school_code="255901044")
    assert middle["title_i"] == "schoolwide" and middle["school_type"] == "MS"
    elementary = row_of(schools, school_code="255901107")  # no SEA code: the Ed-Fi id is used
    assert elementary["is_charter"] and not elementary["is_open"]
    assert (elementary["grade_low"], elementary["school_type"]) == ("", "ES")  # from the category


def test_student_assessments_are_pseudonymised_and_never_carry_the_raw_id(tmp_path):
    read = chunks(READER, save(tmp_path, document()), pseudonym_key=KEY)
    students = next(c for c in read if c.target == "students")
    frame = students.frame
    assert len(frame) == 4  # the record of a student not tested is skipped
    expected = hmac.digest(KEY.encode(), b"604822", hashlib.sha256).hex()
    reading = row_of(frame, student_key=expected, subject="ELA")
    assert (reading["year"], reading["grade"], reading["school_code"]) == (2022, "08", "255901044")
    assert (reading["scale_score"], reading["achievement_level"]) == (1654.0, 3)
    assert not reading["is_high_needs"] and reading["race"] == ""
    levels = dict(
        zip(frame["subject"] + frame["school_code"], frame["achievement_level"], strict=True)
    )
    assert levels == {"ELA255901044": 1, "MATH255901044": 4, "MATH255901001": 2}
    text = frame.to_csv() + " ".join(n for c in read for n in c.notes)
    assert not any(student in text for student in STUDENT_IDS)
    assert any("not tested" in n for n in students.notes)
    assert any("characteristics" in n for n in students.notes)


def test_one_resource_as_a_bare_array(tmp_path):
    schools = tables(READER, save(tmp_path, SCHOOLS), state="TX")["schools"]
    assert len(schools) == 3
    assert schools["district_name"].eq("").all()  # the districts are not in this file
    records = [scored("7", "X-1", "501", "Meeting Expectations", schoolYearTypeReference=None)]
    students = tables(
        READER, save(tmp_path, records, "sa.json"), pseudonym_key=KEY, subjects={"X-1": "MATH"}
    )["students"]
    assert students[["year", "subject", "achievement_level", "school_code"]].values.tolist() == [
        [2022, "MATH", 3, "255901044"]  # year from the administration date; the Ed-Fi school id
    ]


def test_levels_can_be_mapped_by_option(tmp_path):
    doc = document()
    for record in doc["studentAssessments"][:4]:
        record["performanceLevels"][0]["performanceLevelDescriptor"] = descriptor(
            "PerformanceLevel", "Level III"
        )
    error = problems(READER, save(tmp_path, doc), pseudonym_key=KEY)
    assert find(error, row=1, column="studentAssessments.performanceLevels", value="Level III")
    students = tables(
        READER, save(tmp_path, doc), pseudonym_key=KEY, performance_levels={"Level III": 4}
    )["students"]
    assert (students["achievement_level"] == 4).all()


def test_problems_never_show_a_student_id(tmp_path):
    doc = document()
    doc["studentAssessments"].append(copy.deepcopy(doc["studentAssessments"][0]))
    doc["studentAssessments"][2]["scoreResults"][1]["result"] = "high"
    doc["studentAssessments"][3]["whenAssessedGradeLevelDescriptor"] = None
    doc["studentAssessments"][1]["assessmentReference"]["assessmentIdentifier"] = "UNKNOWN"
    error = problems(READER, save(tmp_path, doc), pseudonym_key=KEY)
    assert find(error, row=6, column="studentAssessments.studentReference", reason="duplicate key")
    assert find(error, row=3, column="studentAssessments.scoreResults", value="high")
    assert find(error, row=4, column="studentAssessments.whenAssessedGradeLevelDescriptor")
    assert find(error, row=2, column="studentAssessments.assessmentReference", value="UNKNOWN")
    text = str(error) + " ".join(str(i) for i in error.issues)
    assert not any(student in text for student in STUDENT_IDS)


def test_a_key_is_required_for_student_records(tmp_path):
    error = problems(READER, save(tmp_path, document()))
    assert find(error, reason="pseudonym_key option is required")
    assert find(problems(READER, save(tmp_path, document()), pseudonym_key="short"), reason="16")


def test_bad_json_and_unknown_resources(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"schools": [\n{"schoolId": 1,}\n]}', encoding="utf-8")
    assert find(problems(READER, path), row=2, reason="not valid JSON")
    assert find(problems(READER, save(tmp_path, {"staffs": []})), column="staffs")
    assert find(problems(READER, save(tmp_path, [{"a": 1}])), reason="not Ed-Fi")
    path.write_text("", encoding="utf-8")
    assert find(problems(READER, path), reason="empty")


def test_a_school_without_a_state_or_district_is_a_problem(tmp_path):
    doc = document()
    doc["schools"][0]["addresses"] = []
    del doc["schools"][1]["localEducationAgencyReference"]
    error = problems(READER, save(tmp_path, doc), pseudonym_key=KEY)
    assert find(error, row=1, column="schools.addresses", reason="no state")
    assert find(error, row=2, column="schools.localEducationAgencyReference")


@pytest.mark.parametrize("chunk_rows", [1, 2, 50])
def test_chunk_size_does_not_change_the_rows(tmp_path, chunk_rows):
    read = tables(READER, save(tmp_path, document()), pseudonym_key=KEY, chunk_rows=chunk_rows)
    assert len(read["schools"]) == 3 and len(read["students"]) == 4
