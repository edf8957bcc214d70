"""Writes to organisations. Each validates first, then saves inside one transaction, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, model_changes, snapshot
from turnaround.core.concurrency import save_versioned
from turnaround.organizations.grades import GRADE_CODES
from turnaround.organizations.models import School

SCHOOL_EDITABLE = (
    "name",
    "nces_id",
    "school_type",
    "grade_low",
    "grade_high",
    "title_i",
    "is_charter",
    "is_open",
    "address",
    "town",
    "zip_code",
)


def school_update(
    *, actor: Any, school: School, expected_version: int, changes: dict[str, Any]
) -> School:
    """Change a school's identity fields; refuse stale edits and invalid values, saving nothing."""
    unknown = set(changes) - set(SCHOOL_EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "this field cannot be changed here"))
    before = snapshot(school, SCHOOL_EDITABLE)
    for field, value in changes.items():
        setattr(school, field, value)
    school.full_clean(exclude=["district", "version"], validate_unique=True)
    if bool(school.grade_low) != bool(school.grade_high):
        missing = "grade_high" if school.grade_low else "grade_low"
        raise ValidationError(
            {
                missing: "give both the lowest and the highest grade, or neither for an ungraded "
                "school"
            }
        )
    if school.grade_low and GRADE_CODES.index(school.grade_low) > GRADE_CODES.index(
        school.grade_high
    ):
        raise ValidationError(
            {
                "grade_high": f"the highest grade ({school.grade_high}) is below the lowest "
                f"({school.grade_low})"
            }
        )
    after = snapshot(school, SCHOOL_EDITABLE)
    diff = model_changes(before, after)
    if not diff:
        return school
    with transaction.atomic():
        save_versioned(school, fields=list(diff), expected_version=expected_version)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=school,
            state_id=school.district.state_id,
            changes=diff,
        )
    return school
