"""``turnaround rules``: list the accountability rule sets, or apply one to files (no database).

    turnaround rules list
    turnaround rules evaluate RULESET INPUT [INPUT …] --output OUT.csv [--param name=value …]

Several inputs are several years, oldest first. Every input is checked before anything is
written; a problem in any of them (or an invalid parameter) is reported and exits with code 1,
leaving no output file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from turnaround.analytics.accountability import (
    RuleInputError,
    RuleSetError,
    determinations_frame,
    evaluate,
    ruleset_list,
)

#: Problems shown per failed evaluation; the rest are counted.
SHOWN_PROBLEMS = 25


class Command(BaseCommand):
    help = (
        "Accountability rule sets without the database: 'list' names them and their parameters; "
        "'evaluate RULESET INPUT … --output OUT.csv' writes one row per school and year."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,evaluate}")
        listing = actions.add_parser("list", help="the rule sets, versions and parameters")
        listing.add_argument(
            "--brief", action="store_true", help="one line per rule set, without parameters"
        )
        run = actions.add_parser("evaluate", help="apply a rule set to input files")
        run.add_argument("ruleset", help="rule-set id (see 'rules list'), optionally id@version")
        run.add_argument("inputs", nargs="+", help="input files, one per year, oldest first")
        run.add_argument("--output", "-o", required=True, help="CSV file to write")
        run.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a rule-set parameter (repeatable), e.g. --param cuts=90,80,70,60",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list(brief=options["brief"])
        else:
            self._evaluate(options)

    def _list(self, *, brief: bool) -> None:
        for ruleset in ruleset_list():
            self.stdout.write(f"{ruleset.id}  (version {ruleset.version})  {ruleset.title}")
            if brief:
                continue
            self.stdout.write(f"  inputs: {', '.join(ruleset.layouts)}")
            for parameter in ruleset.parameters:
                mark = " (unverified)" if parameter.unverified else ""
                self.stdout.write(
                    f"  --param {parameter.name}={_show(parameter.default)}{mark}: "
                    f"{parameter.description}; {parameter.allowed()}"
                )

    def _evaluate(self, options: dict[str, Any]) -> None:
        params = _params(options["param"])
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"the output folder {output.parent} does not exist")
        missing = [p for p in options["inputs"] if not Path(p).is_file()]
        if missing:
            raise CommandError("no such input file: " + ", ".join(missing))
        try:
            determinations = evaluate(options["ruleset"], options["inputs"], **params)
        except RuleSetError as exc:
            raise CommandError("; ".join(exc.problems)) from exc
        except RuleInputError as exc:
            raise CommandError(exc.describe(limit=SHOWN_PROBLEMS)) from exc
        frame = determinations_frame(determinations)
        # write beside the target, then move into place: no half-written output
        handle, temporary = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".tmp", dir=output.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                frame.to_csv(stream, index=False)
            os.replace(temporary, output)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        years = sorted(frame["year"].unique().tolist()) if len(frame) else []
        counts = frame["determination"].value_counts()
        summary = ", ".join(f"{label} {count}" for label, count in counts.items())
        self.stdout.write(
            f"{len(frame)} determinations ({len(frame['school_id'].unique())} schools, years "
            f"{', '.join(map(str, years))}) written to {output}: {summary}"
        )


def _params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--param needs NAME=VALUE, got {pair!r}")
        if name.strip() in params:
            raise CommandError(f"--param {name.strip()} is given twice")
        params[name.strip()] = value
    return params


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(_show(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "items"):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)
