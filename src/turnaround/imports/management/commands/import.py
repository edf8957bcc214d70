"""``turnaround import``: check and commit a data file from the command line (``imports.cli``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from turnaround.imports import cli


class Command(BaseCommand):
    help = (
        "Import a data file: `turnaround import FORMAT FILE --state MA [--year 2017] "
        "[--dry-run]` checks every row, reports every problem (row, column, value, reason) and "
        "exits 1 when there is any; otherwise commits all rows in one transaction. "
        "`turnaround import --list` names the formats; `--worker` carries out imports queued "
        "from the web and the API."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        status = cli.run(options, self.stdout, self.stderr)
        if status:
            raise SystemExit(status)
