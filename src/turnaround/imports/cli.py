"""``turnaround import FORMAT FILE --state MA [--year 2017] [--dry-run]``, ``--list``, ``--worker``.

The file is copied into the data directory, checked (a progress bar on standard error), and —
unless ``--dry-run`` or a problem was found — committed in one transaction. Problems are printed
on standard error as ``row R, column C, value "V": reason`` with the total, and the command exits
with status 1; nothing is written. The summary says, per table, how many rows are new, changed
and unchanged, and how many values are missing by reason. Importing the same file again changes
nothing.

Exit status: 0 done (or nothing to change), 1 problems in the file or a failed commit, 2 a bad
command (unknown format, state or file).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from tqdm import tqdm

from turnaround.imports.models import ImportJob
from turnaround.imports.pipeline import CHUNK_ROWS
from turnaround.imports.readers import READERS
from turnaround.imports.services import (
    ImportRefused,
    import_job_commit,
    import_job_create_from_path,
    import_job_validate,
    is_restricted,
)
from turnaround.imports.targets import TARGETS
from turnaround.organizations.models import State

Out = Any  # Django's OutputWrapper
PROBLEMS_PRINTED = 1000


def add_arguments(parser: Any) -> None:
    parser.add_argument("format", nargs="?", help="the file's format (see --list)")
    parser.add_argument("file", nargs="?", help="the file to import")
    parser.add_argument("--state", help="two-letter state code (default: the only state)")
    parser.add_argument("--year", type=int, help="spring year, for files that do not say it")
    parser.add_argument("--grade", help="tested grade, for files of one grade that do not say it")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an option of the format (repeatable; --list names each format's options)",
    )
    parser.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    parser.add_argument("--list", action="store_true", help="name the formats and stop")
    parser.add_argument(
        "--chunk-rows", type=int, default=CHUNK_ROWS, help=f"rows per chunk ({CHUNK_ROWS:,})"
    )
    parser.add_argument(
        "--worker", action="store_true", help="carry out imports queued from the web and the API"
    )
    parser.add_argument("--once", action="store_true", help="with --worker: stop when idle")


class _Bar:
    """One tqdm bar on stderr whose description follows the stage."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total or None, file=sys.stderr, leave=False, unit_scale=True)
        if total and self.bar.total != total:
            self.bar.total = total
        self.bar.set_description_str(stage[:40], refresh=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def run(options: dict[str, Any], stdout: Out, stderr: Out) -> int:
    if options.get("list"):
        return _list(stdout)
    if options.get("worker"):
        from turnaround.imports.jobs import run_queued

        done = run_queued(once=bool(options.get("once")))
        stdout.write(f"Carried out {done} queued import step(s).")
        return 0
    key, file = options.get("format"), options.get("file")
    if not key or not file:
        stderr.write(
            "Name a format and a file: turnaround import FORMAT FILE --state MA "
            "(turnaround import --list names the formats)."
        )
        return 2
    if key not in READERS:
        stderr.write(f"Unknown format {key!r}; the formats are: {', '.join(sorted(READERS))}.")
        return 2
    path = Path(file)
    if not path.is_file():
        stderr.write(f"No file {path}.")
        return 2
    state = _state(options.get("state"), stderr)
    if state is None:
        return 2
    given: dict[str, Any] = {"year": options.get("year"), "grade": options.get("grade")}
    for item in options.get("option") or []:
        name, sep, value = str(item).partition("=")
        if not sep:
            stderr.write(f"--option takes NAME=VALUE, got {item!r}.")
            return 2
        given[name.strip()] = value.strip()
    try:
        job = import_job_create_from_path(
            actor=None,
            state=state,
            reader_key=key,
            path=path,
            options=given,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            stderr.write(f"{field}: {' '.join(errors)}")
        return 2
    chunk_rows = int(options.get("chunk_rows") or CHUNK_ROWS)
    bar = _Bar()
    try:
        job = import_job_validate(job=job, progress=bar, chunk_rows=chunk_rows)
    finally:
        bar.close()
    if job.status == ImportJob.Status.INVALID:
        _problems(job, stderr)
        return 1
    if job.status != ImportJob.Status.READY:
        stderr.write(f"Import {job.pk}: {job.message}")
        return 1
    if options.get("dry_run"):
        _summary(job.summary, stdout)
        stdout.write(f"Dry run (import {job.pk}), nothing written. {job.message}")
        return 0
    bar = _Bar()
    try:
        job = import_job_commit(job=job, actor=None, progress=bar, chunk_rows=chunk_rows)
    except ImportRefused as exc:
        stderr.write(f"Import {job.pk}: {exc}")
        return 1
    finally:
        bar.close()
    if job.status == ImportJob.Status.INVALID:
        _problems(job, stderr)
        return 1
    if job.status != ImportJob.Status.COMMITTED:
        stderr.write(f"Import {job.pk}: {job.message}")
        return 1
    _summary(job.outcome, stdout)
    stdout.write(f"Import {job.pk}: {job.message}")
    return 0


def _list(stdout: Out) -> int:
    for key in sorted(READERS):
        reader = READERS[key]
        restricted = " [restricted: student-level]" if is_restricted(reader) else ""
        stdout.write(
            f"{key:<20} {reader.label} ({', '.join(reader.extensions)}) → "
            f"{', '.join(reader.targets)}{restricted}"
        )
        for option in getattr(reader, "declared_options", ()):
            stdout.write(
                f"    --option {option.name}=…  {option.label}: {option.syntax}. {option.help}"
            )
    return 0


def _state(code: str | None, stderr: Out) -> State | None:
    if code:
        state = State.objects.filter(code=code.strip().upper()).first()
        if state is None:
            known = ", ".join(State.objects.order_by("code").values_list("code", flat=True))
            stderr.write(f"No state {code!r}; known states: {known or 'none'}.")
        return state
    states = list(State.objects.order_by("code")[:2])
    if len(states) == 1:
        return states[0]
    stderr.write("Name the state with --state (e.g. --state MA).")
    return None


def _problems(job: ImportJob, stderr: Out) -> None:
    for problem in (job.problems or [])[:PROBLEMS_PRINTED]:
        parts = []
        if problem.get("row") is not None:
            parts.append(f"row {problem['row']}")
        if problem.get("column") is not None:
            parts.append(f"column {problem['column']}")
        if problem.get("value") is not None:
            parts.append(f'value "{problem["value"]}"')
        where = ", ".join(parts)
        stderr.write(f"{where}: {problem['reason']}" if where else problem["reason"])
    shown = min(len(job.problems or []), PROBLEMS_PRINTED)
    if job.problem_total > shown:
        stderr.write(f"… and {job.problem_total - shown:,} more.")
    stderr.write(f"Import {job.pk}: {job.message}")


def _summary(summary: dict[str, Any], stdout: Out) -> None:
    for target, part in summary.items():
        if target not in TARGETS or not isinstance(part, dict):
            continue
        line = (
            f"{target:<15} {part.get('rows', 0):>9,} rows: {part.get('new', 0):,} new, "
            f"{part.get('changed', 0):,} changed, {part.get('unchanged', 0):,} unchanged"
        )
        districts = part.get("districts")
        if districts:
            line += (
                f"; districts {districts['new']:,} new, {districts['changed']:,} changed, "
                f"{districts['unchanged']:,} unchanged"
            )
        missing = part.get("missing") or {}
        if missing:
            line += "; missing values: " + ", ".join(f"{r} {n:,}" for r, n in missing.items())
        stdout.write(line)
        fields = part.get("fields") or {}
        if fields:
            stdout.write(
                "  changed fields: " + ", ".join(f"{f} ({n:,})" for f, n in fields.items())
            )
    for note in summary.get("notes", []):
        stdout.write(f"note: {note}")
