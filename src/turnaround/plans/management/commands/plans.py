"""``turnaround plans …``: batch work on turnaround plans.

- ``turnaround plans export --state MA [--status state_approved] [--format pdf|csv|xlsx]
  --output DIR`` writes a state's plans: one PDF per plan (named from the school or district code
  and the school years, e.g. ``00350001-2026-2029.pdf``), or one CSV/XLSX per table (goals,
  benchmarks, actions) covering every plan, with the organisation columns first. It prints one
  progress line per plan. Everything is written to a temporary directory first and moved into
  DIR only when every file is ready, so a failure leaves nothing partial behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from turnaround.plans.exports import TABLES, plan_file_stem, table_bytes, table_for
from turnaround.plans.models import Plan, PlanStatus

FORMATS = ("pdf", "csv", "xlsx")


def _state_code(plan: Plan) -> str:
    district = plan.school.district if plan.school is not None else plan.district
    return district.state.code  # type: ignore[union-attr]


class Command(BaseCommand):
    help = "Turnaround plans in bulk: `plans export --state MA --output DIR` (see --help)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="{export}", required=True)
        export = sub.add_parser(
            "export", help="write a state's plans as PDFs, or their tables as CSV/XLSX"
        )
        export.add_argument("--state", required=True, help="state code, e.g. MA")
        export.add_argument(
            "--status",
            choices=list(PlanStatus.values),
            default=None,
            help="only plans in this status (default: every status)",
        )
        export.add_argument(
            "--format",
            choices=FORMATS,
            default="pdf",
            help="pdf: one file per plan; csv or xlsx: one file per table (default: pdf)",
        )
        export.add_argument("--output", required=True, help="directory to write into")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options)

    # -----------------------------------------------------------------------------------------

    def _plans(self, state_code: str, status: str | None) -> list[Plan]:
        from turnaround.organizations.models import State

        state = State.objects.filter(code__iexact=state_code.strip()).first()
        if state is None:
            known = ", ".join(State.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                f"No state with the code “{state_code}”. "
                f"Known states: {known or 'none (load organisations first)'}."
            )
        qs = Plan.objects.filter(
            Q(school__district__state=state) | Q(district__state=state)
        ).select_related("school__district__state", "district__state")
        if status:
            qs = qs.filter(status=status)
        return sorted(
            qs,
            key=lambda p: (
                (p.school or p.district).code,  # type: ignore[union-attr]
                p.first_year,
                p.pk,
            ),
        )

    def _staging(self, output: Path) -> tuple[Path, bool]:
        """A temporary directory on the same file system as ``output`` (so the final move is a
        rename), and whether ``output`` already existed."""
        if output.exists() and not output.is_dir():
            raise CommandError(f"Cannot write to {output}: it is a file, not a directory.")
        existed = output.is_dir()
        parent = output if existed else output.parent
        try:
            if not existed:
                parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".plans-export-", dir=parent))
        except OSError as exc:
            raise CommandError(
                f"Cannot write to {output}: {exc.strerror or exc}. "
                "Choose a directory you can write to."
            ) from exc
        return staging, existed

    def _export(self, options: dict[str, Any]) -> None:
        fmt = options["format"]
        plans = self._plans(options["state"], options["status"])
        output = Path(options["output"]).expanduser()
        which = f" with status {options['status']}" if options["status"] else ""
        if not plans:
            self.stdout.write(f"No plans in {options['state'].upper()}{which}; nothing written.")
            return
        staging, existed = self._staging(output)
        try:
            if fmt == "pdf":
                written = self._write_pdfs(plans, staging)
            else:
                written = self._write_tables(plans, staging, fmt)
            self._publish(staging, output, existed, written)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {len(plans)} plan(s){which} to {output}: {', '.join(written)}."
            )
        )

    def _progress(self, i: int, n: int, plan: Plan, note: str) -> None:
        org = plan.school or plan.district
        self.stdout.write(
            f"[{i}/{n}] {org.code} {org.name} — {plan.title} "  # type: ignore[union-attr]
            f"({plan.get_status_display().lower()}): {note}"
        )

    def _write_pdfs(self, plans: list[Plan], staging: Path) -> list[str]:
        from turnaround.plans.pdf import render_plan_pdf

        written: list[str] = []
        stems: dict[str, int] = {}
        for plan in plans:
            stem = plan_file_stem(plan)
            stems[stem] = stems.get(stem, 0) + 1
        for i, plan in enumerate(plans, start=1):
            stem = plan_file_stem(plan)
            name = f"{stem}-plan{plan.pk}.pdf" if stems[stem] > 1 else f"{stem}.pdf"
            (staging / name).write_bytes(render_plan_pdf(plan))
            written.append(name)
            self._progress(i, len(plans), plan, name)
        return written

    def _write_tables(self, plans: list[Plan], staging: Path, fmt: str) -> list[str]:
        tables = {name: table_for(plans, name) for name in TABLES}
        counts: dict[int, dict[str, int]] = {}
        for name, table in tables.items():
            for row in table.rows:
                plan_id = row[5]  # "Plan id" in ORG_HEADER
                counts.setdefault(plan_id, {}).setdefault(name, 0)
                counts[plan_id][name] += 1
        for i, plan in enumerate(plans, start=1):
            c = counts.get(plan.pk, {})
            note = ", ".join(f"{c.get(name, 0)} {name}" for name in TABLES)
            self._progress(i, len(plans), plan, note)
        code = tables["goals"].rows[0][0] if tables["goals"].rows else _state_code(plans[0])
        written = []
        for name, table in tables.items():
            filename = f"{code}-plan-{name}.{fmt}"
            (staging / filename).write_bytes(table_bytes(table, fmt))
            written.append(filename)
        return written

    def _publish(self, staging: Path, output: Path, existed: bool, names: list[str]) -> None:
        if not existed:
            mask = os.umask(0)
            os.umask(mask)
            staging.chmod(0o777 & ~mask)  # mkdtemp makes it private; DIR gets the usual mode
            os.replace(staging, output)
            return
        for name in names:
            os.replace(staging / name, output / name)
        shutil.rmtree(staging, ignore_errors=True)
