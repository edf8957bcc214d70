"""``turnaround partners engagements-import`` and ``engagements-export``.

``turnaround partners engagements-import FILE.csv --as USERNAME`` loads engagements from a CSV
file (UTF-8, a header row, one engagement a row), recorded as that user (who must be a state
administrator, state staff or a district leader, and may record only for the schools and
districts they may record for on the site). Every row is checked first; every problem is printed
as "row N, column C, value V: reason" (rows numbered as in a spreadsheet, the header being row 1)
and then nothing is written. Otherwise all rows are written in one transaction. Importing the same
file again changes nothing: a row with the same partner, school or district, need area and start
date as a stored engagement updates only the fields that differ, and they are listed.

The columns (``engagements-export`` writes the same ones, so an export re-imports unchanged):

- ``partner`` — the partner's name as in the registry;
- ``school_code`` — the state school code; or ``district_code`` (the state district code) for
  district-wide work — one of the two;
- ``need_area`` — one of staffing_hr, learning_time, sel_health, climate_culture, instruction,
  leadership, data_use, family_engagement, district_systems;
- ``scope`` — what the partner does, with whom, how often;
- ``starts_on``, ``ends_on`` — dates as YYYY-MM-DD;
- ``cost`` — US dollars, e.g. 45000.00 (empty: not recorded);
- ``funding_source`` — one of title_i_1003, title_i, title_ii, title_iv, state_grant, district,
  philanthropy, other (empty: not recorded);
- ``agreement_reference`` — the written agreement (FERPA §99.31(a)(1)); required for a school;
- ``designation`` — optional: "yes" attaches the partner's Priority Partner designation in force
  for that area and state on the start date (the engagement must then lie within its dates).

``turnaround partners engagements-export --state MA --output FILE.csv|.xlsx [--as USERNAME]``
writes the state's engagements in those columns (with ``--as``, only those that user sees).
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from openpyxl import Workbook

from turnaround.accounts.models import User
from turnaround.core.concurrency import StaleEditError
from turnaround.core.exports import safe_cell
from turnaround.organizations.models import State
from turnaround.partners.access import visible_engagements
from turnaround.partners.models import Engagement
from turnaround.partners.services.engagements import (
    IMPORT_COLUMNS,
    engagement_rows_for_export,
    engagements_import,
)

_COLUMNS_HELP = (
    "columns: partner, school_code or district_code, need_area, scope, starts_on, ends_on "
    "(YYYY-MM-DD), cost, funding_source, agreement_reference (required for a school), "
    "designation (optional: yes)"
)

IMPORT_HELP = """\
Load engagements from a CSV file (UTF-8, a header row, one engagement a row), recorded as the
user given with --as (a state administrator, state staff or a district leader, for the schools
and districts they may record for on the site).

Every row is checked first. Every problem is printed as "row N, column C, value V: reason"
(rows numbered as in a spreadsheet, the header being row 1), and then nothing is written.
Otherwise all rows are written in one transaction. Importing the same file again changes
nothing: a row with the same partner, school or district, need area and start date as a stored
engagement updates only the fields that differ, and lists them.

Columns (engagements-export writes the same ones):
  partner              the partner's name, as in the registry
  school_code          the state school code, or leave it empty and give
  district_code        the state district code, for district-wide work
  need_area            staffing_hr, learning_time, sel_health, climate_culture, instruction,
                       leadership, data_use, family_engagement or district_systems
  scope                what the partner does, with whom, how often
  starts_on, ends_on   dates as YYYY-MM-DD
  cost                 US dollars, e.g. 45000.00 (empty: not recorded)
  funding_source       title_i_1003, title_i, title_ii, title_iv, state_grant, district,
                       philanthropy or other (empty: not recorded)
  agreement_reference  the written agreement (FERPA 99.31(a)(1)); required for a school
  designation          optional: yes attaches the partner's Priority Partner designation in
                       force for that area and state on the start date
"""


def register(subparsers: Any) -> None:
    imp = subparsers.add_parser(
        "engagements-import",
        help="load engagements from a CSV file (all rows or none; re-running changes nothing)",
        description=IMPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", help="a CSV file with a header row (UTF-8)")
    imp.add_argument(
        "--as",
        dest="username",
        required=True,
        help="the user the engagements are recorded as (state staff or a district leader)",
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="check every row and report, but write nothing"
    )
    imp.set_defaults(func=run_import)

    exp = subparsers.add_parser(
        "engagements-export",
        help="write a state's engagements as CSV or XLSX (the import's columns)",
        epilog=_COLUMNS_HELP,
    )
    exp.add_argument("--state", required=True, help="the state's postal code, e.g. MA")
    exp.add_argument("--output", required=True, help="FILE.csv or FILE.xlsx")
    exp.add_argument(
        "--as", dest="username", default=None, help="only the engagements this user sees"
    )
    exp.set_defaults(func=run_export)


def _user(username: str, stderr: Any) -> User | None:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        stderr.write(f"No active user {username!r}; give the username of an existing account.")
    return user


def _read_rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def run_import(options: dict[str, Any], stdout: Any, stderr: Any) -> int:
    path = Path(options["file"])
    if not path.is_file():
        stderr.write(f"No file {path}.")
        return 2
    actor = _user(options["username"], stderr)
    if actor is None:
        return 2
    try:
        rows = _read_rows(path)
    except UnicodeDecodeError:
        stderr.write(f"{path} is not UTF-8 text; save it as “CSV UTF-8” and try again.")
        return 2
    except csv.Error as exc:
        stderr.write(f"{path} is not a readable CSV file: {exc}.")
        return 2
    try:
        result = _import(rows, actor, dry_run=options.get("dry_run", False))
    except PermissionDenied as exc:
        stderr.write(str(exc))
        return 1
    except ValidationError as exc:
        problems = exc.messages
        word = "problem" if len(problems) == 1 else "problems"
        stderr.write(f"{len(problems)} {word}; nothing was imported:")
        for problem in problems:
            stderr.write(f"  - {problem}")
        return 1
    except StaleEditError as exc:
        stderr.write(f"{exc} Nothing was imported; run the import again.")
        return 1
    for line in result.created:
        stdout.write(f"  created    {line}")
    for line, changes in result.updated:
        what = "; ".join(f"{k}: {old!r} → {new!r}" for k, (old, new) in changes.items())
        stdout.write(f"  updated    {line} ({what})")
    for line in result.unchanged:
        stdout.write(f"  unchanged  {line}")
    verb = "Would import" if options.get("dry_run") else "Imported"
    stdout.write(
        f"{verb} {len(rows)} row{'s' if len(rows) != 1 else ''}: {len(result.created)} created, "
        f"{len(result.updated)} updated, {len(result.unchanged)} unchanged."
    )
    return 0


class _DryRun(Exception):
    def __init__(self, result: Any) -> None:
        self.result = result


def _import(rows: list[dict[str, Any]], actor: User, *, dry_run: bool) -> Any:
    if not dry_run:
        return engagements_import(rows=rows, actor=actor)
    try:
        with transaction.atomic():
            result = engagements_import(rows=rows, actor=actor)
            raise _DryRun(result)
    except _DryRun as done:
        return done.result


def run_export(options: dict[str, Any], stdout: Any, stderr: Any) -> int:
    state = State.objects.filter(code=str(options["state"]).upper()).first()
    if state is None:
        known = ", ".join(State.objects.order_by("code").values_list("code", flat=True))
        stderr.write(f"No state {options['state']!r} (known: {known or 'none'}).")
        return 2
    output = Path(options["output"])
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        stderr.write(f"Write to a .csv or .xlsx file, not {output.name}.")
        return 2
    qs = Engagement.objects.all()
    if options.get("username"):
        user = _user(options["username"], stderr)
        if user is None:
            return 2
        qs = visible_engagements(user)
    qs = (
        qs.filter(Q(school__district__state=state) | Q(district__state=state))
        .select_related("partner", "school", "district")
        .order_by("partner__name", "starts_on", "pk")
    )
    rows = list(engagement_rows_for_export(qs))
    if suffix == ".csv":
        with output.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(IMPORT_COLUMNS)
            writer.writerows([[safe_cell(v) for v in row] for row in rows])
    else:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Engagements")
        ws.append(list(IMPORT_COLUMNS))
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        wb.save(output)
    stdout.write(
        f"Wrote {len(rows)} engagement{'s' if len(rows) != 1 else ''} of {state.name} to {output}."
    )
    return 0
