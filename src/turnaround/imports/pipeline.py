"""One pass of a file through its reader and the writers of its targets.

The check pass (``commit=False``) streams every chunk through the reader and the writers' checks,
collecting every problem, and counts what a commit would do; it writes nothing to the domain
tables. The commit pass (``commit=True``, inside the caller's transaction) streams the file again
and writes; it stops at the first problem (the data may have changed since the check) and raises
:class:`ImportInvalid`, so the caller's transaction rolls back.

A file that fills the school directory and other tables is read in two sweeps, schools first, so
rows about a school the same file adds find it. Memory is bounded by the chunk size: no sweep
keeps more than one chunk, the writers' key hashes (16 bytes a row) and the counts.

Writers that can (the students writer: a million rows) keep what a sound check pass staged in a
:class:`Stash` beside the stored file, so the commit loads the checked rows instead of reading
and checking the file again. The stash holds the same restricted data as the file itself; it is
used only when the file (SHA-256), the reader and its options are those of the check and the
writer finds the stored data it relied on unchanged (the school ids); otherwise the commit reads
the file as before. A check pass replaces it, a commit pass removes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

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


class Keeping(Protocol):
    """A writer that can keep a check pass's staged rows and stage them again in the commit."""

    def keep(self, folder: Path) -> None: ...
    def kept(self) -> Any: ...
    def resume(self, folder: Path, kept: Any) -> bool: ...


class Stash:
    """The rows a sound check pass staged, kept for the commit of the same file (see the module
    doc): a folder beside the stored file, one entry per writer, and a manifest written last."""

    VERSION = 1

    def __init__(self, path: Path, reader_key: str, options: Mapping[str, Any]) -> None:
        self.path = path
        self.folder = path.parent / f".{path.name}.checked"
        self.manifest = self.folder / "manifest.json"
        given = json.dumps(dict(options), sort_keys=True, default=str).encode()
        self.identity = {
            "version": self.VERSION,
            "reader": reader_key,
            "options": hashlib.sha256(given).hexdigest(),  # the pseudonym key is among them
        }

    def _file_sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self) -> Path:
        """An empty folder for a check pass's writers."""
        self.clear()
        self.folder.mkdir(parents=True)
        return self.folder

    def seal(self, parts: Mapping[str, Any], notes: list[str]) -> None:
        manifest = {**self.identity, "sha256": self._file_sha256(), "parts": parts}
        manifest["notes"] = notes
        partial = self.folder / "manifest.json.partial"
        partial.write_text(json.dumps(manifest))
        os.replace(partial, self.manifest)

    def load(self) -> dict[str, Any] | None:
        """The manifest, when it belongs to this file, reader and options."""
        try:
            manifest = json.loads(self.manifest.read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(manifest, dict):
            return None
        if any(manifest.get(k) != v for k, v in self.identity.items()):
            return None
        if manifest.get("sha256") != self._file_sha256():
            return None
        return manifest


def _stash_for(reader: Reader, path: Path, options: Mapping[str, Any]) -> Stash | None:
    """A stash when every target of the reader can keep its staged rows (one sweep)."""
    targets = tuple(reader.targets)
    if len(targets) != 1 or not hasattr(WRITERS.get(targets[0]), "resume"):
        return None
    return Stash(path, reader.key, options)


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
    stash = _stash_for(reader, path, options)
    kept = None
    if stash is not None:
        if commit:
            kept = stash.load()
        else:
            stash.start()
    pending: set[str] = set()
    verb = "writing" if commit else "checking"
    for sweep in sweeps:
        schools = SchoolIndex(state)
        schools.add_pending(pending)
        ctx = WriteContext(state, problems, schools, commit, source, changes)
        writers = {target: WRITERS[target](ctx) for target in sweep}
        stage = f"{verb} {', '.join(sweep)}"
        progress(stage, 0, 0)
        if stash is not None and kept is not None:
            progress(f"loading the checked {', '.join(sweep)}", 0, 0)
            parts = kept.get("parts", {})
            resumed = all(
                cast(Keeping, w).resume(stash.folder, parts.get(t)) for t, w in writers.items()
            )
            if resumed:
                outcome.notes = list(kept.get("notes", []))[:MAX_NOTES]
                progress(f"comparing {', '.join(sweep)} with the stored data", 0, 0)
                _close(writers, outcome)
                break
            kept = None  # the stored data changed since the check: read the file again
        elif stash is not None and not commit:
            for writer in writers.values():
                cast(Keeping, writer).keep(stash.folder)
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
                    writer.feed(chunk.frame, columns=chunk.columns)
                    if commit and problems:
                        break
        except (ImportInvalid, RuleInputError) as exc:
            problems.extend(exc.issues, exc.total)
            reader_failed = True
        progress(f"comparing {', '.join(sweep)} with the stored data", 0, 0)
        _close(writers, outcome)
        if "schools" in writers:
            pending = set(getattr(writers["schools"], "new_codes", set()))
        if stash is not None and not commit:
            if problems or reader_failed:
                stash.clear()
            else:
                stash.seal({t: cast(Keeping, w).kept() for t, w in writers.items()}, outcome.notes)
        if reader_failed or (commit and problems):
            break
    if stash is not None and commit:
        stash.clear()
    if changes is not None:
        changes.flush()
        outcome.changes_recorded = changes.written
    if commit and problems:
        raise problems.error(path.name)
    return outcome


def _close(writers: Mapping[str, Any], outcome: PassOutcome) -> None:
    for target, writer in writers.items():
        writer.close()
        outcome.summary[target] = writer.summary.as_json()
        outcome.preview[target] = writer.preview
