"""CSV and XLSX tables of determinations, designations, the board and cohorts.

One header and one row builder per table, used by the pages (``core.exports`` responses) and by
``turnaround identify export`` (files). School and district codes stay text; formulas are
neutralised by ``core.exports.safe_cell``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.http import Http404, HttpResponse
from openpyxl import Workbook

from turnaround.accountability.board import BoardRow
from turnaround.accountability.cohorts import CohortView
from turnaround.accountability.models import AccountabilityDetermination, Designation
from turnaround.core.exports import safe_cell, table_csv, table_xlsx

DETERMINATION_HEADER = [
    "State",
    "District",
    "District code",
    "School",
    "School code",
    "Year",
    "Rule set",
    "Version",
    "Determination",
    "Level",
    "Percentile",
    "Cumulative PPI (all)",
    "Cumulative PPI (high needs)",
    "Years in status",
    "Reasons",
    "Origin",
    "Identification run",
]

DESIGNATION_HEADER = [
    "State",
    "District",
    "School",
    "School code",
    "Status",
    "Phase",
    "Entered",
    "Eligible to exit",
    "Exited",
    "Exit reason",
    "Rule set",
    "Confirmed by",
    "Escalated from",
]

BOARD_HEADER = [
    "District",
    "School",
    "School code",
    "Status",
    "Phase",
    "Entered",
    "Years in status",
    "Paused years",
    "Eligible to exit",
    "Latest determination",
    "Determination year",
    "Reasons",
    "Trend",
]

COHORT_HEADER = [
    "Status",
    "Cohort year",
    "Year",
    "Schools in cohort",
    "Still in status",
    "Exited that year",
    "Exited (cumulative)",
    "Escalated (cumulative)",
    "% not yet exited",
]


def reasons_of(d: AccountabilityDetermination) -> list[str]:
    if d.reasons:
        return [str(r) for r in d.reasons]
    return [d.reason] if d.reason else []


def determination_rows(
    qs: Iterable[AccountabilityDetermination],
) -> Iterator[list[Any]]:
    for d in qs:
        school = d.school
        yield [
            school.district.state.code,
            school.district.name,
            school.district.code,
            school.name,
            school.code,
            d.year,
            d.ruleset,
            d.ruleset_version,
            d.label,
            d.level,
            d.percentile,
            d.ppi_all,
            d.ppi_high_needs,
            d.years_in_status,
            "; ".join(reasons_of(d)),
            "published" if d.is_official else "computed",
            d.run_id,
        ]


def designation_rows(qs: Iterable[Designation]) -> Iterator[list[Any]]:
    for d in qs:
        school = d.school
        yield [
            school.district.state.code,
            school.district.name,
            school.name,
            school.code,
            d.get_status_display(),
            d.get_phase_display(),
            d.entered_year,
            d.eligible_exit_year,
            d.exited_year,
            d.exit_reason,
            d.ruleset,
            d.confirmed_by.get_username() if d.confirmed_by else "",
            d.escalated_from.get_status_display() if d.escalated_from else "",
        ]


def board_table_rows(rows: Sequence[BoardRow]) -> Iterator[list[Any]]:
    for r in rows:
        d = r.designation
        det = r.determination
        yield [
            d.school.district.name,
            d.school.name,
            d.school.code,
            d.get_status_display(),
            d.get_phase_display(),
            d.entered_year,
            r.years.count,
            ", ".join(str(y) for y in r.years.paused),
            d.eligible_exit_year,
            det.label if det else "",
            det.year if det else "",
            "; ".join(r.reasons),
            r.trend_text,
        ]


def cohort_table_rows(view: CohortView) -> Iterator[list[Any]]:
    for table in view.tables:
        for row in table.rows:
            yield [
                view.label(table.status),
                view.cohort_year,
                row.year,
                table.size,
                row.in_status,
                row.exited_in_year,
                row.exited,
                row.escalated,
                round(100 * row.share_not_exited, 1),
            ]


def response(
    header: list[str], rows: Iterable[Sequence[Any]], fmt: str, basename: str, *, sheet: str
) -> HttpResponse:
    if fmt == "csv":
        return table_csv(header, rows, f"{basename}.csv")  # type: ignore[return-value]
    if fmt == "xlsx":
        return table_xlsx(header, rows, f"{basename}.xlsx", sheet=sheet)
    raise Http404("Unknown format.")


def determinations_response(qs: Any, fmt: str, basename: str) -> HttpResponse:
    return response(
        DETERMINATION_HEADER,
        determination_rows(qs.iterator(chunk_size=1000)),
        fmt,
        basename,
        sheet="Determinations",
    )


def write_table(path: Path, header: list[str], rows: Iterable[Sequence[Any]], *, sheet: str) -> int:
    """Write a CSV (UTF-8 with BOM) or XLSX file by its extension; returns the rows written."""
    count = 0
    if path.suffix.lower() == ".xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(sheet[:31])
        ws.append([safe_cell(h) for h in header])
        for row in rows:
            ws.append([safe_cell(v) for v in row])
            count += 1
        wb.save(path)
        return count
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
            count += 1
    return count
