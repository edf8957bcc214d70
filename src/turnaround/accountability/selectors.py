"""Reads of determinations and designations."""

from __future__ import annotations

from django.db.models import QuerySet

from turnaround.accountability.models import AccountabilityDetermination, Designation
from turnaround.organizations.models import School


def determinations_for_school(school: School) -> list[AccountabilityDetermination]:
    return list(
        AccountabilityDetermination.objects.filter(school=school).order_by("-year", "-is_official")
    )


def designations_for_school(school: School) -> QuerySet[Designation]:
    return Designation.objects.filter(school=school).order_by("-entered_year")


def active_designation_count(schools: QuerySet[School]) -> int:
    return Designation.objects.filter(school__in=schools, exited_year__isnull=True).count()
