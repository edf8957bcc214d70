"""CSV and XLSX exports of the schools table (the same rows and columns as the page)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

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


def _safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _rows(qs: QuerySet[School]) -> Iterator[list[Any]]:
    for school in qs.iterator(chunk_size=500):
        yield [_safe(get(school)) for _, get in COLUMNS]


class _Echo:
    def write(self, value: str) -> str:
        return value


def schools_csv(qs: QuerySet[School]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def stream() -> Iterator[str]:
        yield "\ufeff"  # so spreadsheet software reads UTF-8
        yield writer.writerow([name for name, _ in COLUMNS])
        for row in _rows(qs):
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def schools_xlsx(qs: QuerySet[School]) -> HttpResponse:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Schools")
    ws.append([name for name, _ in COLUMNS])
    for row in _rows(qs):
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    return response
