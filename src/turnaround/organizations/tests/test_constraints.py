"""Invariants the database itself keeps, whatever code writes the rows."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from turnaround.accountability.models import AccountabilityDetermination, Designation
from turnaround.accounts.models import Membership
from turnaround.organizations.models import District, OrgIdentifier, School
from turnaround.performance.models import AssessmentResult, StudentAssessment

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_identifier_patterns(org):
    assert refused(
        lambda: District.objects.create(state=org.state, code="X1", name="Bad", nces_leaid="12345")
    )
    assert refused(
        lambda: School.objects.create(
            district=org.district,
            code="X1",
            name="Bad",
            school_type="ES",
            grade_low="K",
            grade_high="05",
            nces_id="25027900000A",
        )
    )
    # the same NCES id twice is refused; many schools without one are fine
    assert refused(
        lambda: School.objects.create(
            district=org.district2,
            code="X2",
            name="Dup",
            school_type="ES",
            grade_low="K",
            grade_high="05",
            nces_id=org.school.nces_id,
        )
    )
    School.objects.create(
        district=org.district2,
        code="X3",
        name="No id 1",
        school_type="ES",
        grade_low="K",
        grade_high="05",
    )
    School.objects.create(
        district=org.district2,
        code="X4",
        name="No id 2",
        school_type="ES",
        grade_low="K",
        grade_high="05",
    )


def test_school_codes_unique_within_a_district_and_grades_both_or_neither(org):
    assert refused(
        lambda: School.objects.create(
            district=org.district,
            code=org.school.code,
            name="Copy",
            school_type="ES",
            grade_low="K",
            grade_high="05",
        )
    )
    assert refused(
        lambda: School.objects.create(
            district=org.district,
            code="G1",
            name="Half",
            school_type="ES",
            grade_low="K",
            grade_high="",
        )
    )
    assert refused(
        lambda: School.objects.create(
            district=org.district,
            code="T1",
            name="Type",
            school_type="ZZ",
            grade_low="K",
            grade_high="05",
        )
    )


def test_membership_scope_must_match_role(personas, org):
    user = personas.outsider
    assert refused(
        lambda: Membership.objects.create(user=user, role="district_leader", state=org.state)
    )
    assert refused(
        lambda: Membership.objects.create(user=user, role="state_admin", school=org.school)
    )
    assert refused(
        lambda: Membership.objects.create(
            user=user, role="school_leader", school=org.school, state=org.state
        )
    )
    Membership.objects.create(user=user, role="school_leader", school=org.school)
    assert refused(
        lambda: Membership.objects.create(user=user, role="school_leader", school=org.school)
    )


def test_identifier_belongs_to_exactly_one_organisation(org):
    assert refused(lambda: OrgIdentifier.objects.create(system="NCES_SCH", value="1"))
    assert refused(
        lambda: OrgIdentifier.objects.create(
            district=org.district, school=org.school, system="NCES_SCH", value="2"
        )
    )


def test_result_ranges_and_uniqueness(org):
    base = {
        "school": org.school,
        "year": 2015,
        "subject": "ELA",
        "group": "all",
        "source": org.source,
    }
    assert refused(lambda: AssessmentResult.objects.create(**base, median_sgp=0))
    assert refused(lambda: AssessmentResult.objects.create(**base, median_sgp=100))
    assert refused(lambda: AssessmentResult.objects.create(**base, composite_index=101))
    AssessmentResult.objects.create(**base, median_sgp=50)
    assert refused(lambda: AssessmentResult.objects.create(**base))


def test_determination_and_designation_rules(org):
    assert refused(
        lambda: AccountabilityDetermination.objects.create(
            school=org.school,
            year=2016,
            ruleset="ma-2012",
            label="Level 6",
            level=6,
            source=org.source,
        )
    )
    assert refused(
        lambda: AccountabilityDetermination.objects.create(
            school=org.school,
            year=2016,
            ruleset="ma-2012",
            label="Level 1",
            level=1,
            percentile=0,
            source=org.source,
        )
    )
    assert refused(
        lambda: AccountabilityDetermination.objects.create(
            school=org.school,
            year=2017,
            ruleset="ma-2012",
            label="Level 2",
            level=2,
            is_official=True,
            source=org.source,
        )
    )  # one published determination per school, year and rule set …
    AccountabilityDetermination.objects.create(
        school=org.school,
        year=2017,
        ruleset="ma-2012",
        label="Level 2",
        level=2,
        is_official=False,
        source=org.source,
    )  # … and a computed one beside it: a computation never overwrites what was published
    assert refused(
        lambda: AccountabilityDetermination.objects.create(
            school=org.school,
            year=2017,
            ruleset="ma-2012",
            label="Level 3",
            level=3,
            is_official=False,
            source=org.source,
        )
    )  # but only one computed
    assert refused(
        lambda: Designation.objects.create(
            school=org.school,
            status="underperforming",
            entered_year=2014,
            exited_year=2014,
            source=org.source,
        )
    )
    d = Designation.objects.create(
        school=org.school,
        status="underperforming",
        entered_year=2012,
        exited_year=2016,
        source=org.source,
    )
    assert d.years_in_status(2017) == 4
    open_ = Designation.objects.create(
        school=org.school_hs, status="csi", entered_year=2015, source=org.source
    )
    assert open_.years_in_status(2017) == 3


def test_student_scores_unique_and_levels_in_range(org):
    base = {
        "student_key": "S1",
        "school": org.school,
        "year": 2017,
        "grade": "04",
        "subject": "MATH",
        "scale_score": 240.0,
        "source": org.source,
    }
    assert refused(lambda: StudentAssessment.objects.create(**base, achievement_level=5))
    StudentAssessment.objects.create(**base, achievement_level=3)
    assert refused(lambda: StudentAssessment.objects.create(**base, achievement_level=3))


def test_audit_events_are_append_only(personas, org):
    from turnaround.audit.services import audit_record

    event = audit_record(actor=personas.state_admin, action="update", obj=org.school)
    event.object_repr = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        event.save()
