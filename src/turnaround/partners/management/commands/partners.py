"""``turnaround partners …``: batch work on the partner registry, engagements and impact.

Each part of the partners app contributes its subcommands from a ``cli_<part>.py`` module with a
``register(subparsers)`` function; each subcommand sets ``func(options, stdout, stderr) -> int``
(the exit status) with ``set_defaults``.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

PARTS = ("registry", "engagements", "impact")


class Command(BaseCommand):
    help = "Partner registry, engagements and impact estimates in bulk (see `partners --help`)."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        for part in PARTS:
            module = importlib.import_module(f"turnaround.partners.cli_{part}")
            module.register(subparsers)

    def handle(self, *args: Any, **options: Any) -> None:
        func = options.get("func")
        if func is None:
            raise CommandError("Name an action; `turnaround partners --help` lists them.")
        status = func(options, self.stdout, self.stderr)
        if status:
            raise SystemExit(status)
