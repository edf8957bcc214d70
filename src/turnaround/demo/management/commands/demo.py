"""``turnaround demo``: migrate, load the Massachusetts demo state and print the demo logins."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from turnaround.demo.services import (
    DemoLogin,
    demo_assessments_create,
    demo_load,
    demo_partners_create,
    demo_plans_create,
    demo_state,
    demo_users_create,
)

URL = "http://127.0.0.1:8000/"
PASSWORD_ENV = "TURNAROUND_DEMO_PASSWORD"


def _share(value: str) -> float:
    share = float(value)
    if not 0.0 <= share <= 1.0:
        raise ValueError(value)
    return share


class Command(BaseCommand):
    help = (
        "Load the demo state (Massachusetts: real 2017 profiles plus a seeded synthetic history) "
        "and create one login per role. Running it again keeps the data and resets the logins' "
        "passwords; --reset loads the data again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2017, help="seed of the synthetic data")
        parser.add_argument(
            "--schools", type=int, default=None, help="load a subset of this many schools"
        )
        parser.add_argument(
            "--student-share",
            type=_share,
            default=0.02,
            help="share (0–1) of schools with student-level scores (default 0.02)",
        )
        parser.add_argument(
            "--password",
            default=None,
            help=f"password of every demo login (else ${PASSWORD_ENV}, else a generated one)",
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete the demo state and load it again"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        if demo_state() is not None and not options["reset"]:
            self.stdout.write(
                "The demo state is already loaded; keeping it (use --reset to load it again)."
            )
        else:
            self._load(options)
        password = self._password(options["password"])
        try:
            logins = demo_users_create(password=password)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        assessments = demo_assessments_create()
        self.stdout.write(f"Frameworks seeded; the demo state has {assessments} assessments.")
        partners = demo_partners_create()
        self.stdout.write(
            "Partners: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in partners.items())
        )
        plans = demo_plans_create()
        self.stdout.write(
            "Plans: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in plans.items())
        )
        self._print_logins(logins)

    def _load(self, options: dict[str, Any]) -> None:
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in bars:  # one bar per stage, on stderr
                for bar in bars.values():
                    bar.close()
                bars[stage] = tqdm(total=total, desc=stage, file=sys.stderr, unit="step")
            bar = bars[stage]
            bar.update(done - bar.n)

        try:
            summary = demo_load(
                seed=options["seed"],
                schools=options["schools"],
                student_share=options["student_share"],
                progress=progress,
                reset=options["reset"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars.values():
                bar.close()
        counts = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in summary.counts().items())
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the demo state in {summary.seconds:.1f} s: {counts}.")
        )
        for line in summary.skipped:
            self.stdout.write(f"Skipped {line}")

    def _password(self, given: str | None) -> str:
        if given:
            return given
        from_env = os.environ.get(PASSWORD_ENV, "")
        if from_env:
            return from_env
        path = Path(settings.DATA_DIR) / "demo-password.txt"
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        password = "demo-" + secrets.token_urlsafe(12)
        path.write_text(password + "\n")
        path.chmod(0o600)
        self.stdout.write(f"Generated a demo password; it is kept in {path}.")
        return password

    def _print_logins(self, logins: list[DemoLogin]) -> None:
        header = ("Username", "Role", "Organisation", "Password")
        rows = [(x.username, x.role_label, x.organisation, x.password) for x in logins]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        line = "  ".join(f"{{:<{w}}}" for w in widths)
        self.stdout.write("")
        self.stdout.write(line.format(*header))
        self.stdout.write(line.format(*("-" * w for w in widths)))
        for row in rows:
            self.stdout.write(line.format(*row))
        self.stdout.write("")
        self.stdout.write(f"Start the server with `turnaround serve`, then open {URL}")
