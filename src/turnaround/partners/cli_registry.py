"""``turnaround partners export`` and ``turnaround partners import``: the registry in bulk.

Export
------
``turnaround partners export --format csv|xlsx --output FILE [--state MA] [--priority-only]``
writes the registry table (name, website, need areas, grade bands, regions, cost model, best
evidence tier, Priority Partner status and designations in force). ``--state`` limits the
designations to that state (default: every state); ``--priority-only`` keeps the partners with a
designation in force there.

Import
------
``turnaround partners import FILE.csv [--dry-run]`` adds or updates partners from a CSV file
(UTF-8, comma-separated, one header row, columns in any order):

==================== ========= ==============================================================
column               required  content
==================== ========= ==============================================================
name                 yes       the partner's name; a partner already in the registry with
                               this name (ignoring case) is updated and keeps its spelling,
                               otherwise one is added
website              no        a full address starting with http:// or https://
description          no        what the partner does, for whom, and how
cost_model           no        per_school, per_pupil, hourly, fixed, no_cost or other
cost_notes           no        typical fees and what they cover
grade_bands          no        codes separated by ";": elementary;middle;high
regions              no        names separated by ";": Western Massachusetts;statewide
need_areas           no        codes separated by ";": staffing_hr, learning_time,
                               sel_health, climate_culture, instruction, leadership,
                               data_use, family_engagement, district_systems
service_description  with      the description of the partner's service in each area listed
                     areas     in need_areas (one description for all of them)
==================== ========= ==============================================================

Every row is checked before anything is written; each problem is reported as "row N, column C,
value V: reason" (the header is row 1, as in a spreadsheet), and a file with any problem writes
nothing. Otherwise all rows are written in one transaction. For a partner already in the
registry an empty cell leaves the stored value as it is, and need areas not listed keep their
services; so importing the same file again changes nothing. The command prints what it created,
updated and left unchanged. ``--dry-run`` checks and reports without writing.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from turnaround.core.concurrency import StaleEditError
from turnaround.core.exports import table_csv, table_xlsx
from turnaround.organizations.models import PartnerOrganization, State
from turnaround.partners.needs import NeedArea
from turnaround.partners.services.registry import (
    MAX_TEXT,
    RegistryFilters,
    clean_profile,
    partner_create,
    partner_search,
    partner_update,
    registry_rows,
    registry_table,
    service_set,
)

COLUMNS = (
    "name",
    "website",
    "description",
    "cost_model",
    "cost_notes",
    "grade_bands",
    "regions",
    "need_areas",
    "service_description",
)
_LIST_COLUMNS = ("grade_bands", "regions")
_PROFILE_COLUMNS = ("name", "website", "description", "cost_model", "cost_notes", *_LIST_COLUMNS)

#: the import section of this docstring, shown by ``turnaround partners import --help``
IMPORT_HELP = (__doc__ or "").split("Import\n------\n", 1)[-1].replace("``", "")

Out = Any  # Django's OutputWrapper


def register(subparsers: Any) -> None:
    """Add ``export`` and ``import`` to ``turnaround partners``."""
    export = subparsers.add_parser(
        "export",
        help="write the partner registry as CSV or XLSX",
        description="Write the registry table: name, website, need areas, grade bands, "
        "regions, cost model, best evidence tier, Priority Partner status and designations "
        "in force.",
    )
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv", dest="fmt")
    export.add_argument("--output", required=True, help="the file to write")
    export.add_argument(
        "--state", default=None, help="designations of this state only, e.g. MA (default: all)"
    )
    export.add_argument(
        "--priority-only",
        action="store_true",
        help="only partners with a Priority Partner designation in force (in --state)",
    )
    export.set_defaults(func=export_command)

    imp = subparsers.add_parser(
        "import",
        help="add or update partners from a CSV file (all rows or none)",
        description=IMPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", help="a .csv file in the layout above")
    imp.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    imp.set_defaults(func=import_command)


# ---------------------------------------------------------------------------------------------
# Export


def export_command(options: dict[str, Any], stdout: Out, stderr: Out) -> int:
    states = list(State.objects.order_by("code"))
    code = (options.get("state") or "").strip().upper()
    if code:
        states = [s for s in states if s.code == code]
        if not states:
            known = ", ".join(State.objects.order_by("code").values_list("code", flat=True))
            stderr.write(f"No state {code!r}; known states: {known or 'none'}.")
            return 2
    filters = RegistryFilters(priority_only=bool(options.get("priority_only")))
    rows = registry_rows(partner_search(PartnerOrganization.objects.all(), filters, states=states))
    header, table = registry_table(rows)
    if options.get("fmt") == "xlsx":
        content = table_xlsx(header, table, "partners.xlsx", sheet="Partners").content
    else:
        content = b"".join(
            part if isinstance(part, bytes) else str(part).encode("utf-8")
            for part in table_csv(header, table, "partners.csv").streaming_content
        )
    Path(options["output"]).write_bytes(content)
    scope = f" (designations in {code})" if code else ""
    stdout.write(
        f"Wrote {len(table)} partner{'s' if len(table) != 1 else ''}{scope} to {options['output']}."
    )
    return 0


# ---------------------------------------------------------------------------------------------
# Import


@dataclass
class _Row:
    number: int
    cells: dict[str, str]
    partner: PartnerOrganization | None
    profile: dict[str, Any] = field(default_factory=dict)
    need_areas: list[str] = field(default_factory=list)
    service_description: str = ""


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _problem(row: int, column: str, value: str, reason: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    return f'row {row}, column {column}, value "{shown}": {reason}'


def _read(path: Path) -> tuple[list[str], list[dict[str, str]], list[str]]:
    """The header, the rows and the problems of the file itself."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [], [], [f"Cannot read {path}: {exc.strerror or exc}."]
    except UnicodeDecodeError:
        return [], [], [f"{path} is not UTF-8 text; save it as CSV UTF-8 and try again."]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    if not rows:
        return [], [], [f"{path} is empty; the first row must name the columns."]
    header = [h.strip().lower() for h in rows[0]]
    problems = []
    unknown = [h for h in header if h and h not in COLUMNS]
    for h in unknown:
        problems.append(
            f'row 1, column {h}, value "{h}": not a column of the layout; the columns are '
            + ", ".join(COLUMNS)
            + "."
        )
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    for h in repeated:
        problems.append(f'row 1, column {h}, value "{h}": the column appears more than once.')
    if "name" not in header:
        problems.append('row 1, column name, value "": the header has no name column.')
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        extra = [c for c in cells[len(header) :] if c.strip()]
        if extra:
            problems.append(
                _problem(
                    number,
                    f"{len(header) + 1}",
                    extra[0],
                    f"the row has more cells than the header has columns ({len(header)}).",
                )
            )
            continue
        record = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        record["_row"] = str(number)
        records.append(record)
    return header, records, problems


def _check_row(record: dict[str, str], seen: dict[str, int]) -> tuple[_Row, list[str]]:
    number = int(record["_row"])
    name = " ".join(record.get("name", "").split())
    partner = PartnerOrganization.objects.filter(name__iexact=name).first() if name else None
    row = _Row(number=number, cells=record, partner=partner)
    problems: list[str] = []
    if name:
        key = name.casefold()
        if key in seen:
            problems.append(
                _problem(
                    number,
                    "name",
                    name,
                    f"the same partner is on row {seen[key]}; give each partner one row.",
                )
            )
        seen.setdefault(key, number)
    values: dict[str, Any] = {}
    for column in _PROFILE_COLUMNS:
        cell = record.get(column, "")
        if column not in record:
            continue
        if partner is not None and not cell:
            continue  # an empty cell leaves an existing partner's value as it is
        values[column] = _split(cell) if column in _LIST_COLUMNS else cell
    if partner is None:
        values["name"] = name
    else:
        values.pop("name", None)  # matched ignoring case: the stored spelling stays
    cleaned, errors = clean_profile(values, partner=partner)
    for column, reason in errors.items():
        problems.append(_problem(number, column, record.get(column, ""), reason))
    row.profile = cleaned
    areas_cell = record.get("need_areas", "")
    areas = _split(areas_cell)
    unknown = [a for a in areas if a not in NeedArea.values]
    if unknown:
        problems.append(
            _problem(
                number,
                "need_areas",
                areas_cell,
                ", ".join(f"“{u}”" for u in unknown)
                + " not a need area; use codes from: "
                + ", ".join(NeedArea.values)
                + ".",
            )
        )
    row.need_areas = [a for a in NeedArea.values if a in areas]
    description = record.get("service_description", "").strip()
    if areas and not description:
        problems.append(
            _problem(
                number,
                "service_description",
                "",
                "the row lists need areas, so describe the service the partner offers in them.",
            )
        )
    elif description and not areas:
        problems.append(
            _problem(
                number,
                "service_description",
                description,
                "the row describes a service "
                "but lists no need_areas; add the areas it is offered in.",
            )
        )
    elif len(description) > MAX_TEXT:
        problems.append(
            _problem(
                number,
                "service_description",
                description,
                f"it is {len(description)} characters long; shorten it to at most {MAX_TEXT}.",
            )
        )
    row.service_description = description
    return row, problems


def _write(row: _Row) -> str:
    """Write one checked row; a line saying what happened."""
    changes: list[str] = []
    partner = row.partner
    if partner is None:
        profile = dict(row.profile)
        partner = partner_create(actor=None, **profile)
        verb = "created"
    else:
        before = partner.version
        fields = sorted(k for k in row.profile if row.profile[k] != getattr(partner, k))
        partner_update(actor=None, partner=partner, changes=row.profile)
        verb = "updated" if partner.version != before else "unchanged"
        changes += fields
    existing = {s.need_area: s for s in partner.services.all()}
    for area in row.need_areas:
        bands = existing[area].grade_bands if area in existing else []
        _, what = service_set(
            actor=None,
            partner=partner,
            need_area=area,
            description=row.service_description,
            grade_bands=bands,
        )
        if what != "unchanged" and verb != "created":
            verb = "updated"
            changes.append(f"service {area} {what}")
    detail = f" ({', '.join(changes)})" if verb == "updated" and changes else ""
    return f"{verb:>9}  {partner.name}{detail}"


def import_rows(path: Path, *, dry_run: bool = False) -> tuple[list[str], list[str]]:
    """Check every row of the file, then write them all or none: ``(report, problems)``."""
    _, records, problems = _read(path)
    if problems:
        return [], problems
    seen: dict[str, int] = {}
    checked = []
    for record in records:
        row, row_problems = _check_row(record, seen)
        checked.append(row)
        problems += row_problems
    if problems:
        return [], problems
    lines: list[str] = []
    try:
        with transaction.atomic():
            for row in checked:
                lines.append(_guard(row, _write))
            if dry_run:
                transaction.set_rollback(True)
    except _RowFailed as exc:
        return [], [str(exc)]
    return lines, []


class _RowFailed(Exception):
    pass


def _guard(row: _Row, write: Callable[[_Row], str]) -> str:
    """A refusal while writing (a partner changed meanwhile) undoes every row."""
    try:
        return write(row)
    except ValidationError as exc:
        reasons = "; ".join(exc.messages)
        raise _RowFailed(_problem(row.number, "name", row.cells.get("name", ""), reasons)) from exc
    except StaleEditError as exc:
        raise _RowFailed(_problem(row.number, "name", row.cells.get("name", ""), str(exc))) from exc


def import_command(options: dict[str, Any], stdout: Out, stderr: Out) -> int:
    path = Path(options["file"])
    if not path.is_file():
        stderr.write(f"No file {path}.")
        return 2
    dry_run = bool(options.get("dry_run"))
    lines, problems = import_rows(path, dry_run=dry_run)
    if problems:
        for problem in problems:
            stderr.write(problem)
        word = "problem" if len(problems) == 1 else "problems"
        stderr.write(f"{len(problems)} {word}; nothing was written.")
        return 1
    for line in lines:
        stdout.write(line)
    counts = {
        verb: sum(1 for line in lines if line.split()[0] == verb)
        for verb in ("created", "updated", "unchanged")
    }
    summary = ", ".join(f"{n} {verb}" for verb, n in counts.items())
    if dry_run:
        stdout.write(f"Dry run, nothing written: {summary}.")
    else:
        stdout.write(f"Imported {len(lines)} row{'s' if len(lines) != 1 else ''}: {summary}.")
    return 0
