"""CSV and XLSX exports of the schools table (the same rows and columns as the page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from turnaround.core.exports import table_csv, table_xlsx
from turnaround.organizations.models import School

COLUMNS: list[tuple[str, Any]] = [
    ("State", lambda s: s.district.state.code),
    ("District code", lambda s: s.district.code),
    ("District", lambda s: s.district.name),
    ("School code", lambda s: s.code),
    ("NCES school id", lambda s: s.nces_id),
    ("School", lambda s: s.name),
    ("School type", lambda s: s.get_school_type_display()),
    ("Grades", lambda s: s.grade_span),
    ("Title I", lambda s: s.get_title_i_display()),
    ("Charter", lambda s: "yes" if s.is_charter else "no"),
    ("Enrollment", lambda s: s.current_enrollment),
    ("Accountability year", lambda s: s.current_year),
    ("Accountability status", lambda s: s.current_label),
    ("Reason", lambda s: s.current_reason),
    ("Percentile", lambda s: s.current_percentile),
]


def _filename(ext: str) -> str:
    return f"schools-{timezone.localdate():%Y-%m-%d}.{ext}"


def _rows(qs: QuerySet[School]) -> Iterator[list[Any]]:
    for school in qs.iterator(chunk_size=500):
        yield [get(school) for _, get in COLUMNS]


def schools_csv(qs: QuerySet[School]) -> StreamingHttpResponse:
    return table_csv([name for name, _ in COLUMNS], _rows(qs), _filename("csv"))


def schools_xlsx(qs: QuerySet[School]) -> HttpResponse:
    return table_xlsx([name for name, _ in COLUMNS], _rows(qs), _filename("xlsx"), sheet="Schools")
