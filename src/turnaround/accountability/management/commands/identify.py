"""``turnaround identify``: identification runs, exports and cohorts from the command line.

    turnaround identify run --state MA --year 2017 --ruleset ma-2012 [--param NAME=VALUE …]
    turnaround identify export --state MA --what determinations|designations|board
        [--year 2017] [--ruleset ma-2012] [--origin official|computed] --output OUT.csv|.xlsx
    turnaround identify cohorts --state MA --year 2011 [--through 2017] [--status underperforming]
    turnaround identify worker [--once]

``run`` shows a progress bar on standard error and prints what it created, changed and left
unchanged; invalid parameters are refused naming the allowed values (exit code 1, nothing
written). The command line is the operator's: it reads and writes every school of the state.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from turnaround.accountability import exports
from turnaround.accountability.board import board_rows
from turnaround.accountability.cohorts import cohort_view
from turnaround.accountability.filters import BoardFilters, DeterminationFilters
from turnaround.accountability.models import (
    AccountabilityDetermination,
    Designation,
    DesignationStatus,
    IdentificationRun,
)
from turnaround.accountability.services.runs import (
    RunInProgress,
    identification_compute,
    parse_param_pairs,
)
from turnaround.organizations.models import State
from turnaround.organizations.selectors import FilterError


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


def _state(code: str) -> State:
    state = State.objects.filter(code=code.upper()).first()
    if state is None:
        known = ", ".join(State.objects.order_by("code").values_list("code", flat=True))
        raise CommandError(f"no state with the code {code!r}; known: {known or 'none'}")
    return state


def _messages(exc: ValidationError) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())


class Command(BaseCommand):
    help = "Identification runs, exports of determinations and designations, and cohorts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{run,export,cohorts,worker}"
        )
        run = sub.add_parser("run", help="apply a rule set to a state's stored data for a year")
        run.add_argument("--state", required=True, help="state code, e.g. MA")
        run.add_argument("--year", type=int, required=True, help="accountability (spring) year")
        run.add_argument("--ruleset", required=True, help="rule-set id (turnaround rules list)")
        run.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a rule-set parameter (repeatable), e.g. --param cum_ppi_target=75",
        )

        export = sub.add_parser("export", help="write determinations, designations or the board")
        export.add_argument("--state", required=True)
        export.add_argument(
            "--what", choices=("determinations", "designations", "board"), default="determinations"
        )
        export.add_argument("--year", type=int, default=None)
        export.add_argument("--ruleset", default="")
        export.add_argument("--origin", choices=("official", "computed"), default=None)
        export.add_argument("--output", "-o", required=True, help="OUT.csv or OUT.xlsx")

        cohorts = sub.add_parser("cohorts", help="what became of the schools designated in a year")
        cohorts.add_argument("--state", required=True)
        cohorts.add_argument("--year", type=int, required=True, help="the cohort year")
        cohorts.add_argument("--through", type=int, default=None)
        cohorts.add_argument("--status", choices=DesignationStatus.values, default="")

        worker = sub.add_parser("worker", help="carry out queued runs (JOBS_WORKER=1)")
        worker.add_argument("--once", action="store_true", help="stop when nothing is queued")
        worker.add_argument("--poll", type=float, default=2.0)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "run":
            self._run(options)
        elif action == "export":
            self._export(options)
        elif action == "cohorts":
            self._cohorts(options)
        else:
            from turnaround.accountability.jobs import run_queued

            done = run_queued(once=options["once"], poll_seconds=options["poll"])
            self.stdout.write(f"Carried out {done} queued identification run(s).")

    def _run(self, options: dict[str, Any]) -> None:
        state = _state(options["state"])
        bar = _Bar()
        try:
            params = parse_param_pairs(options["param"])
            run = identification_compute(
                actor=None,
                state=state,
                ruleset=options["ruleset"],
                year=options["year"],
                params=params,
                progress=bar,
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from exc
        except RunInProgress as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        if run.status != IdentificationRun.Status.DONE:
            raise CommandError(f"Identification run {run.pk} failed: {run.message}")
        self.stdout.write(self.style.SUCCESS(f"Identification run {run.pk}: {run.message}"))
        self.stdout.write(f"  schools evaluated: {run.schools_evaluated}")
        self.stdout.write(f"  created:           {run.created_count}")
        self.stdout.write(f"  changed:           {run.updated_count}")
        self.stdout.write(f"  unchanged:         {run.unchanged_count}")
        self.stdout.write(f"  flagged:           {run.flagged_count}")
        if run.official_count:
            self.stdout.write(
                f"  published kept:    {run.official_count} ({run.official_agree} agree)"
            )

    def _export(self, options: dict[str, Any]) -> None:
        state = _state(options["state"])
        output = Path(options["output"])
        if output.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("--output must end in .csv or .xlsx")
        if not output.parent.is_dir():
            raise CommandError(f"the folder {output.parent} does not exist")
        what = options["what"]
        try:
            if what == "determinations":
                params = {
                    "year": options["year"] or "",
                    "ruleset": options["ruleset"],
                    "origin": options["origin"] or "",
                }
                filters = DeterminationFilters.from_params(params)
                qs = (
                    AccountabilityDetermination.objects.filter(school__district__state=state)
                    .select_related("school__district__state")
                    .order_by("-year", "ruleset", "school__name", "-is_official", "pk")
                )
                for name, value in (
                    ("year", filters.year),
                    ("ruleset", filters.ruleset or None),
                ):
                    if value is not None:
                        qs = qs.filter(**{name: value})
                if filters.origin:
                    qs = qs.filter(is_official=filters.origin == "official")
                count = exports.write_table(
                    output,
                    exports.DETERMINATION_HEADER,
                    exports.determination_rows(qs.iterator(chunk_size=1000)),
                    sheet="Determinations",
                )
            elif what == "designations":
                designations = (
                    Designation.objects.filter(school__district__state=state)
                    .select_related("school__district__state", "confirmed_by", "escalated_from")
                    .order_by("-entered_year", "school__name", "pk")
                )
                count = exports.write_table(
                    output,
                    exports.DESIGNATION_HEADER,
                    exports.designation_rows(designations),
                    sheet="Designations",
                )
            else:
                board_filters = BoardFilters.from_params(
                    {"year": options["year"] or "", "ruleset": options["ruleset"]}
                )
                year, rows = board_rows(_Superuser(state), state, board_filters)
                count = exports.write_table(
                    output, exports.BOARD_HEADER, exports.board_table_rows(rows), sheet="Board"
                )
        except FilterError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} {what} rows to {output}"))

    def _cohorts(self, options: dict[str, Any]) -> None:
        state = _state(options["state"])
        through = options["through"]
        if through is not None and through < options["year"]:
            raise CommandError("--through must not be before --year")
        view = cohort_view(
            _Superuser(state),
            state,
            options["year"],
            through_year=through,
            status=options["status"],
        )
        if not view.tables:
            self.stdout.write(f"No school of {state.code} was designated in {options['year']}.")
            return
        for table in view.tables:
            self.stdout.write(
                f"\n{view.label(table.status)}: {table.size} school(s) designated in "
                f"{view.cohort_year}"
            )
            self.stdout.write(
                f"  {'year':>6} {'in status':>10} {'exited':>7} {'exited by':>10} "
                f"{'escalated':>10} {'not exited':>11}"
            )
            for row in table.rows:
                self.stdout.write(
                    f"  {row.year:>6} {row.in_status:>10} {row.exited_in_year:>7} "
                    f"{row.exited:>10} {row.escalated:>10} {100 * row.share_not_exited:>10.1f}%"
                )
            if table.status != "all":
                names = [s.name for s in view.names(table.remaining)]
                self.stdout.write(
                    f"  still in {view.through_year}: " + (", ".join(names) if names else "none")
                )


class _Superuser:
    """The operator's scope: the reach of the state's staff (every school of the state), for the
    exports and cohorts, which go through the same selectors as the pages."""

    is_authenticated = True
    is_active = True

    def __init__(self, state: State) -> None:
        from turnaround.accounts.access import Reach

        self._turnaround_reach = Reach(restricted_state_ids=frozenset({state.pk}))

    def get_username(self) -> str:
        return "command line"
