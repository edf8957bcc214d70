"""Creating an assessment and changing its plan-level fields (title, dates, purpose)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from turnaround.accounts.access import get_reach
from turnaround.accounts.models import User
from turnaround.assessments.models import Assessment, TeamMember
from turnaround.assessments.services._common import (
    CREATE,
    UPDATE,
    access_of,
    audit,
    kind_noun,
    long_date,
    refuse_if_locked,
    require,
    save_fields,
    version_label,
)
from turnaround.assessments.services.team import eligible_for_role
from turnaround.audit.services import model_changes, snapshot
from turnaround.frameworks.models import Framework, FrameworkVersion
from turnaround.organizations.models import District, School

#: A site visit lasts one to three days: the last day is at most two days after the first.
SITE_VISIT_MAX_DAYS = 3
_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def school_year_of(day: dt.date) -> str:
    """The school year a date falls in (July to June), e.g. ``2025-26``."""
    first = day.year if day.month >= 7 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def _check_school_year(value: str) -> None:
    match = _SCHOOL_YEAR.match(value)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValidationError(
            {"school_year": f"“{value}” is not a school year; write it like 2025-26."}
        )


def check_dates(kind: str, start_date: dt.date, end_date: dt.date) -> None:
    if end_date < start_date:
        raise ValidationError(
            {
                "end_date": f"The last day ({long_date(end_date)}) is before the first "
                f"({long_date(start_date)})."
            }
        )
    days = (end_date - start_date).days + 1
    if kind == Assessment.Kind.SITE_VISIT and days > SITE_VISIT_MAX_DAYS:
        raise ValidationError(
            {
                "end_date": f"A site visit lasts 1–{SITE_VISIT_MAX_DAYS} days; "
                f"{long_date(start_date)} to {long_date(end_date)} is {days} days."
            }
        )


def _check_framework(version: FrameworkVersion, *, subject: School | District) -> None:
    label = version_label(version)
    if version.status != FrameworkVersion.Status.PUBLISHED:
        raise ValidationError(
            {
                "framework_version": f"{label} is {version.get_status_display().lower()}; "
                "choose a published framework version."
            }
        )
    framework = version.framework
    wanted = Framework.Kind.SCHOOL if isinstance(subject, School) else Framework.Kind.DISTRICT
    if framework.kind != wanted:
        raise ValidationError(
            {
                "framework_version": f"{label} is a {framework.get_kind_display().lower()} "
                f"framework; a {'school' if wanted == Framework.Kind.SCHOOL else 'district'} "
                f"is assessed against a {wanted.label.lower()} framework."
            }
        )
    state_id = subject.district.state_id if isinstance(subject, School) else subject.state_id
    if framework.state_id is not None and framework.state_id != state_id:
        raise ValidationError({"framework_version": f"{label} belongs to another state."})


def assessment_create(
    *,
    actor: Any,
    kind: str,
    framework_version: FrameworkVersion,
    start_date: dt.date,
    end_date: dt.date,
    school: School | None = None,
    district: District | None = None,
    lead: User | None = None,
    title: str = "",
    school_year: str = "",
    purpose: str = "",
) -> Assessment:
    """Plan a self-assessment (by the school's or district's leaders, or state staff) or a site
    visit (by state staff, who choose the lead reviewer).

    Raises ``PermissionDenied`` when the actor may not, ``ValidationError`` for bad input; nothing
    is written then.
    """
    if kind not in Assessment.Kind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(Assessment.Kind.values)}."})
    if (school is None) == (district is None):
        raise ValidationError("An assessment looks at one school or one district.")
    subject: School | District = school if school is not None else district  # type: ignore[assignment]
    state_id = school.district.state_id if school is not None else district.state_id  # type: ignore[union-attr]
    reach = get_reach(actor)
    is_state_staff = state_id in reach.restricted_state_ids
    if school is not None:
        is_subject = school.pk in reach.school_ids or school.district_id in reach.district_ids
    else:
        is_subject = district.pk in reach.district_ids  # type: ignore[union-attr]
    if kind == Assessment.Kind.SELF:
        require(
            is_state_staff or is_subject,
            f"Only the leaders of {subject.name} or state staff can start its self-assessment.",
        )
    else:
        require(is_state_staff, "Only state staff and state administrators plan site visits.")
    _check_framework(framework_version, subject=subject)
    check_dates(kind, start_date, end_date)
    school_year = school_year.strip() or school_year_of(start_date)
    _check_school_year(school_year)
    if kind == Assessment.Kind.SITE_VISIT:
        if lead is None:
            raise ValidationError({"lead": "Choose the lead reviewer of the site visit."})
        reason = eligible_for_role(lead, role=TeamMember.Role.LEAD, state_id=state_id)
        if reason:
            raise ValidationError({"lead": reason})
    elif lead is not None:
        raise ValidationError({"lead": "A self-assessment has no lead reviewer."})
    noun = "Site visit" if kind == Assessment.Kind.SITE_VISIT else "Self-assessment"
    title = title.strip() or f"{noun}: {subject.name}, {school_year}"
    if len(title) > 300:
        raise ValidationError({"title": "A title is at most 300 characters."})
    with transaction.atomic():
        assessment = Assessment.objects.create(
            kind=kind,
            school=school,
            district=district,
            framework_version=framework_version,
            title=title,
            school_year=school_year,
            start_date=start_date,
            end_date=end_date,
            purpose=purpose.strip(),
            created_by=actor,
        )
        audit(
            actor=actor,
            action=CREATE,
            obj=assessment,
            assessment=assessment,
            changes=snapshot(
                assessment,
                [
                    "kind",
                    "school_id",
                    "district_id",
                    "framework_version_id",
                    "start_date",
                    "end_date",
                    "school_year",
                ],
            ),
        )
        seat = None
        if lead is not None:
            seat = TeamMember.objects.create(
                assessment=assessment, user=lead, role=TeamMember.Role.LEAD
            )
        elif is_subject and not is_state_staff:
            seat = TeamMember.objects.create(
                assessment=assessment, user=actor, role=TeamMember.Role.SCHOOL_TEAM
            )
        if seat is not None:
            audit(
                actor=actor,
                action=CREATE,
                obj=seat,
                assessment=assessment,
                changes={"user": seat.user.get_username(), "role": seat.role},
            )
    return assessment


PLAN_FIELDS = ("title", "start_date", "end_date", "school_year", "purpose")


def assessment_update(
    *,
    actor: Any,
    assessment: Assessment,
    expected_version: int | None,
    changes: dict[str, Any],
) -> Assessment:
    """Change the title, dates, school year or purpose while the assessment is open.

    Scheduled activities must still fall within the new dates.
    """
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed here."))
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_manage or (current.kind == Assessment.Kind.SELF and access.can_rate),
        f"Only the lead or state staff change the plan of this {kind_noun(current)}.",
    )
    before = snapshot(current, PLAN_FIELDS)
    for field, value in changes.items():
        setattr(current, field, value.strip() if isinstance(value, str) else value)
    if not current.title:
        raise ValidationError({"title": "Give the assessment a title."})
    check_dates(current.kind, current.start_date, current.end_date)
    _check_school_year(current.school_year)
    outside = current.schedule.exclude(day__range=(current.start_date, current.end_date))
    if outside.exists():
        days = sorted({long_date(d) for d in outside.values_list("day", flat=True)})
        raise ValidationError(
            {
                "start_date": "Activities are scheduled outside the new dates "
                f"({', '.join(days)}); move or delete them first."
            }
        )
    diff = model_changes(before, snapshot(current, PLAN_FIELDS))
    if not diff:
        return current
    with transaction.atomic():
        save_fields(current, fields=list(diff), expected_version=expected_version)
        audit(actor=actor, action=UPDATE, obj=current, assessment=current, changes=diff)
    return current
