"""One pass of a file through its reader and the writers of its targets.

The check pass (``commit=False``) streams every chunk through the reader and the writers' checks,
collecting every problem, and counts what a commit would do; it writes nothing to the domain
tables. The commit pass (``commit=True``, inside the caller's transaction) streams the file again
and writes; it stops at the first problem (the data may have changed since the check) and raises
:class:`ImportInvalid`, so the caller's transaction rolls back.

A file that fills the school directory and other tables is read in two sweeps, schools first, so
rows about a school the same file adds find it. Memory is bounded by the chunk size: no sweep
keeps more than one chunk, the writers' key hashes (16 bytes a row) and the counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from turnaround.analytics.accountability.files import RuleInputError
from turnaround.imports.models import ImportJob
from turnaround.imports.problems import ProblemLog
from turnaround.imports.readers.base import Reader
from turnaround.imports.targets import ImportInvalid
from turnaround.imports.writers import TARGET_ORDER, WRITERS
from turnaround.imports.writers.base import ChangeLog, SchoolIndex, WriteContext
from turnaround.organizations.models import State
from turnaround.performance.models import DataSource

#: ``progress(stage, done, total)``
StageProgress = Callable[[str, int, int], None]
CHUNK_ROWS = 50_000
MAX_NOTES = 20


def no_stage_progress(stage: str, done: int, total: int) -> None:
    """The default: nothing."""


@dataclass
class PassOutcome:
    problems: ProblemLog
    summary: dict[str, dict[str, Any]] = field(default_factory=dict)
    preview: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    changes_recorded: int = 0

    @property
    def changes_anything(self) -> bool:
        for part in self.summary.values():
            districts = part.get("districts", {})
            if part.get("new") or part.get("changed"):
                return True
            if districts.get("new") or districts.get("changed"):
                return True
        return False


def sweeps_of(targets: tuple[str, ...]) -> list[tuple[str, ...]]:
    ordered = tuple(t for t in TARGET_ORDER if t in targets)
    if "schools" in ordered and len(ordered) > 1:
        return [("schools",), tuple(t for t in ordered if t != "schools")]
    return [ordered]


def run_pass(
    *,
    reader: Reader,
    path: Path,
    state: State,
    options: Mapping[str, Any],
    commit: bool,
    source: DataSource | None = None,
    job: ImportJob | None = None,
    progress: StageProgress = no_stage_progress,
    chunk_rows: int = CHUNK_ROWS,
) -> PassOutcome:
    """Read ``path`` with ``reader`` and check (or write) every chunk; see the module doc."""
    if commit and (source is None or job is None):
        raise ValueError("a commit pass needs the job and its data source")
    outcome = PassOutcome(ProblemLog())
    problems = outcome.problems
    unknown = [t for t in reader.targets if t not in WRITERS]
    if unknown:
        raise ValueError(f"reader {reader.key!r} fills unknown targets: {', '.join(unknown)}")
    sweeps = sweeps_of(tuple(reader.targets))
    changes = ChangeLog(job) if commit and job is not None else None
    pending: set[str] = set()
    verb = "writing" if commit else "checking"
    for sweep in sweeps:
        schools = SchoolIndex(state)
        schools.add_pending(pending)
        ctx = WriteContext(state, problems, schools, commit, source, changes)
        writers = {target: WRITERS[target](ctx) for target in sweep}
        stage = f"{verb} {', '.join(sweep)}"
        progress(stage, 0, 0)
        chunks = reader.read(
            path,
            options=options,
            progress=lambda done, total, stage=stage: progress(stage, done, total),
            chunk_rows=chunk_rows,
        )
        reader_failed = False
        try:
            with closing(chunks):
                for chunk in chunks:
                    if chunk.target not in reader.targets:
                        raise ValueError(
                            f"reader {reader.key!r} gave rows of {chunk.target!r}, which it does "
                            "not declare"
                        )
                    writer = writers.get(chunk.target)
                    if writer is None:
                        continue
                    for note in chunk.notes:
                        if note not in outcome.notes and len(outcome.notes) < MAX_NOTES:
                            outcome.notes.append(note)
                    writer.feed(chunk.frame)
                    if commit and problems:
                        break
        except (ImportInvalid, RuleInputError) as exc:
            problems.extend(exc.issues, exc.total)
            reader_failed = True
        progress(f"comparing {', '.join(sweep)} with the stored data", 0, 0)
        for target, writer in writers.items():
            writer.close()
            outcome.summary[target] = writer.summary.as_json()
            outcome.preview[target] = writer.preview
        if "schools" in writers:
            pending = set(getattr(writers["schools"], "new_codes", set()))
        if reader_failed or (commit and problems):
            break
    if changes is not None:
        changes.flush()
        outcome.changes_recorded = changes.written
    if commit and problems:
        raise problems.error(path.name)
    return outcome
