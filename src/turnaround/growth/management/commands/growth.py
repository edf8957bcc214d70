"""``turnaround growth``: student growth percentiles from the command line.

- ``turnaround growth compute --year 2017 [--content-areas ELA MATH] [--state MA]`` computes a
  state's SGPs from its stored student records (only the cohorts whose inputs changed), with a
  progress bar on standard error; it prints what was recomputed and what was unchanged.
- ``turnaround growth sgp INPUT --output OUT.csv [--knots KNOTS.csv] [--years Y …]
  [--content-areas C …] [--max-order K]`` computes SGPs from a long file without touching the
  database (the analysts' contract of issue 4).
- ``turnaround growth worker [--once]`` carries out growth runs queued from the web or the API
  (production, with ``JOBS_WORKER=1``).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from turnaround.growth.executors import EXECUTOR_KINDS, get_executor
from turnaround.growth.models import GROWTH_SUBJECTS, CohortFit, GrowthRun
from turnaround.growth.services import RunInProgress, growth_compute


class _Bar:
    """One tqdm bar on stderr whose description follows the stage."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, desc=stage, file=sys.stderr, unit="step", leave=False)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.set_description_str(stage[:40], refresh=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = "Student growth percentiles: compute a state's, score a long file, or run queued jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{compute,sgp,worker}")

        compute = sub.add_parser(
            "compute", help="compute a state's SGPs from its student records (changed cohorts)"
        )
        compute.add_argument("--year", type=int, required=True, help="spring year to score")
        compute.add_argument(
            "--content-areas",
            nargs="+",
            default=None,
            metavar="AREA",
            help=f"content areas (default: {' '.join(GROWTH_SUBJECTS)})",
        )
        compute.add_argument(
            "--state", default=None, help="state code (default: the only state with students)"
        )
        compute.add_argument(
            "--executor",
            choices=EXECUTOR_KINDS,
            default=None,
            help="where the fits run (default: GROWTH_EXECUTOR)",
        )

        sgp = sub.add_parser("sgp", help="SGPs of a long file, written to a CSV (no database)")
        sgp.add_argument("input", help="long file: CONTENT_AREA, YEAR, ID, GRADE, SCALE_SCORE")
        sgp.add_argument("--output", required=True, help="CSV to write (.gz to compress)")
        sgp.add_argument("--knots", default=None, help="KNOTS.csv with knots and boundaries")
        sgp.add_argument("--years", nargs="+", default=None, metavar="YEAR")
        sgp.add_argument("--content-areas", nargs="+", default=None, metavar="AREA")
        sgp.add_argument("--max-order", type=int, default=None, help="at most this many priors")
        sgp.add_argument("--executor", choices=EXECUTOR_KINDS, default="inline")

        worker = sub.add_parser("worker", help="carry out queued growth runs (JOBS_WORKER=1)")
        worker.add_argument("--once", action="store_true", help="stop when nothing is queued")
        worker.add_argument("--poll", type=float, default=2.0, help="seconds between looks")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "compute":
            self._compute(options)
        elif action == "sgp":
            self._sgp(options)
        else:
            from turnaround.growth.jobs import run_queued

            done = run_queued(once=options["once"], poll_seconds=options["poll"])
            self.stdout.write(f"Carried out {done} queued growth run(s).")

    def _compute(self, options: dict[str, Any]) -> None:
        bar = _Bar()
        try:
            run = growth_compute(
                year=options["year"],
                content_areas=options["content_areas"],
                actor=None,
                state=options["state"],
                progress=bar,
                executor=options["executor"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        except RunInProgress as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if run.status != GrowthRun.Status.DONE:
            raise CommandError(f"Growth run {run.pk} failed: {run.message}")
        unchanged = [
            str(f)
            for f in CohortFit.objects.filter(
                state=run.state, year=run.year, content_area__in=run.content_areas
            )
            if str(f) not in run.recomputed
        ]
        self.stdout.write(self.style.SUCCESS(f"Growth run {run.pk}: {run.message}"))
        self.stdout.write(
            "Recomputed: " + (", ".join(run.recomputed) if run.recomputed else "nothing")
        )
        self.stdout.write(
            "Unchanged (skipped): " + (", ".join(unchanged) if unchanged else "nothing")
        )

    def _sgp(self, options: dict[str, Any]) -> None:
        try:
            from turnaround.analytics.growth import GrowthInputError
            from turnaround.analytics.growth.cli import sgp_file
        except ImportError as exc:
            raise CommandError(
                f"the growth engine is not installed (turnaround.analytics.growth): {exc}"
            ) from exc
        bar = _Bar()
        try:
            with get_executor(options["executor"]) as pool:
                n = sgp_file(
                    options["input"],
                    options["output"],
                    options["knots"],
                    options["years"],
                    options["content_areas"],
                    options["max_order"],
                    executor=pool,
                    progress=lambda done, total: bar("fitting cohorts", done, total),
                )
        except GrowthInputError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(f"Wrote the SGPs of {n:,} students to {options['output']}.")
        )
