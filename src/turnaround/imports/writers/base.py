"""What every writer shares: the job's context, the school index, duplicate keys across chunks,
the summary of new/changed/unchanged rows, the preview and the change records.

A writer takes chunks of one target table (``feed``) and, at the end, ``close``. In a check pass
(``ctx.commit`` false) it only reads the database: it reports problems (row, column, value,
reason) and counts what a commit would create, change and leave alone. In the commit pass it
writes as well, inside the job's one transaction, recording each created or changed row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from turnaround.imports.models import ImportChange, ImportJob
from turnaround.imports.problems import ProblemLog
from turnaround.imports.targets import TARGETS, Target
from turnaround.imports.writers.values import Mask, plain
from turnaround.organizations.models import OrgIdentifier, School, State
from turnaround.performance.models import DataSource

#: Rows of each target kept in the preview.
PREVIEW_ROWS = 10
#: Change records written per batch.
CHANGE_BATCH = 2000
#: School ids per query (keeps every query well under the databases' parameter limits).
ID_BATCH = 500


def batched(items: Sequence[Any], size: int = ID_BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ChangeLog:
    """Change records of a committing job, written in batches."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.buffer: list[ImportChange] = []
        self.written = 0

    def add(
        self, target: str, key: str, action: str, changes: dict[str, Any], row: int | None
    ) -> None:
        self.buffer.append(
            ImportChange(
                job=self.job,
                target=target,
                key=key[:200],
                action=action,
                changes=changes,
                row=row,
            )
        )
        if len(self.buffer) >= CHANGE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            ImportChange.objects.bulk_create(self.buffer, batch_size=CHANGE_BATCH)
            self.written += len(self.buffer)
            self.buffer = []


class SchoolIndex:
    """The schools of one state by code: their own code first, then their other identifiers.

    Codes that belong to two schools (in different districts) are ambiguous. In a check pass,
    schools that the same file will create are added as *pending* (negative ids), so rows about
    them are not reported as unknown.
    """

    def __init__(self, state: State) -> None:
        self.state = state
        self.ids: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        for code, pk in School.objects.filter(district__state=state).values_list("code", "pk"):
            self._add(code, pk, self.ids)
        others: dict[str, int] = {}
        for value, pk in OrgIdentifier.objects.filter(school__district__state=state).values_list(
            "value", "school_id"
        ):
            if value not in self.ids:
                self._add(value, pk, others)
        self.ids.update(others)
        self._pending = 0

    def _add(self, code: str, pk: int, into: dict[str, int]) -> None:
        if code in into and into[code] != pk:
            self.ambiguous.add(code)
        into[code] = pk

    def add_pending(self, codes: Iterable[str]) -> None:
        for code in codes:
            if code not in self.ids:
                self._pending -= 1
                self.ids[code] = self._pending

    def resolve(
        self, frame: pd.DataFrame, problems: ProblemLog, column: str = "school_code"
    ) -> tuple[npt.NDArray[np.int64], Mask]:
        """School ids for a chunk's codes (0 where unknown) and the rows with a problem."""
        codes = frame[column].astype(object).where(frame[column].notna(), "").astype(str)
        codes = codes.str.strip()
        ids = codes.map(self.ids)
        unknown = ids.isna().to_numpy()
        ambiguous = codes.isin(self.ambiguous).to_numpy() if self.ambiguous else None
        rows = frame["_row"].to_numpy(np.int64)
        for i in np.flatnonzero(unknown):
            code = codes.iloc[int(i)]
            reason = (
                "a school code is required"
                if not code
                else f"unknown school: no school of {self.state.code} has this code (import "
                "the school directory first, or check the code's leading zeros)"
            )
            problems.add(int(rows[i]), column, code, reason)
        bad = unknown.copy()
        if ambiguous is not None:
            for i in np.flatnonzero(ambiguous & ~unknown):
                problems.add(
                    int(rows[i]),
                    column,
                    codes.iloc[int(i)],
                    f"ambiguous: several schools of {self.state.code} have this code",
                )
            bad |= ambiguous
        return ids.fillna(0).to_numpy(np.int64), bad


class KeyTracker:
    """The keys seen so far, as sorted runs of 64-bit hashes with the row of each.

    Sixteen bytes per row: a million keys take 16 MB. Two different keys share a hash with a
    probability of about 3·10⁻⁸ per million rows.
    """

    def __init__(self) -> None:
        self.runs: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]] = []

    def add(self, keys: pd.DataFrame, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Add a chunk's keys; per row, the earlier row with the same key, or -1."""
        first = np.full(len(keys), -1, dtype=np.int64)
        if not len(keys):
            return first
        as_text = pd.DataFrame({c: keys[c].astype(str) for c in keys.columns})
        hashes = pd.util.hash_pandas_object(as_text, index=False).to_numpy(np.uint64)
        for run_hashes, run_rows in self.runs:
            pos = np.minimum(np.searchsorted(run_hashes, hashes), len(run_hashes) - 1)
            hit = (run_hashes[pos] == hashes) & (first == -1)
            first[hit] = run_rows[pos[hit]]
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        repeat = np.zeros(len(ordered), dtype=bool)
        repeat[1:] = ordered[1:] == ordered[:-1]
        start = np.maximum.accumulate(np.where(repeat, 0, np.arange(len(ordered))))
        for i in np.flatnonzero(repeat):
            j = order[i]
            if first[j] == -1:
                first[j] = rows[order[start[i]]]
        fresh = order[~repeat]
        fresh = fresh[first[fresh] == -1]
        if len(fresh):
            self.runs.append((hashes[fresh], rows[fresh]))  # fresh is in hash order
            self._compact()
        return first

    def _compact(self) -> None:
        """Merge runs of similar size, so searching stays O(log n) runs."""
        while len(self.runs) > 1 and len(self.runs[-1][0]) * 2 >= len(self.runs[-2][0]):
            (h2, r2), (h1, r1) = self.runs.pop(), self.runs.pop()
            hashes = np.concatenate([h1, h2])
            rows = np.concatenate([r1, r2])
            order = np.argsort(hashes, kind="stable")
            self.runs.append((hashes[order], rows[order]))


@dataclass
class TargetSummary:
    """What a pass found for one target."""

    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "missing": dict(sorted(self.missing.items())),
            "fields": dict(self.fields.most_common()),
            **self.extra,
        }


@dataclass
class WriteContext:
    """One pass of one job: where rows go, what is known, and whether to write."""

    state: State
    problems: ProblemLog
    schools: SchoolIndex
    commit: bool = False
    source: DataSource | None = None
    changes: ChangeLog | None = None


class Writer:
    """Base of the writers: checks common to every target, then ``check`` and ``apply``."""

    target: ClassVar[str]
    #: columns shown in problems by name only, never by value (student ids)
    hidden: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, ctx: WriteContext) -> None:
        self.ctx = ctx
        self.spec: Target = TARGETS[self.target]
        self.keys = KeyTracker()
        self.summary = TargetSummary()
        self.preview: list[dict[str, Any]] = []
        #: the target columns the current chunk's file provides (see ``feed``)
        self.given: frozenset[str] = frozenset(self.spec.columns)

    @property
    def problems(self) -> ProblemLog:
        return self.ctx.problems

    def feed(self, frame: pd.DataFrame, *, columns: Sequence[str] | None = None) -> None:
        """Check one chunk and, when the file is sound so far, compare (and write) it.

        ``columns`` are the target columns the file provides (``Chunk.columns``; None for all):
        the stored values of the others are kept.
        """
        given = self.spec.columns if columns is None else tuple(columns)
        unknown = [c for c in given if c not in self.spec.columns]
        unkeyed = [c for c in self.spec.key_columns if c not in given]
        if unknown or unkeyed:
            raise ValueError(
                f"the reader named columns {self.target} does not have ({', '.join(unknown)}) "
                f"or left out key columns ({', '.join(unkeyed)})"
            )
        self.given = frozenset(given)
        absent = [c for c in ("_row", *self.spec.columns) if c not in frame.columns]
        if absent:
            for column in absent:
                self.problems.add(
                    None, column, None, f"the reader gave no {column!r} column for {self.target}"
                )
            return
        frame = frame.reset_index(drop=True)
        if frame["_row"].isna().any():
            frame["_row"] = frame["_row"].fillna(0)
        frame["_row"] = frame["_row"].astype("int64")
        self.summary.rows += len(frame)
        typed, bad = self.check(frame)
        bad = bad | self._duplicates(typed, bad)
        ids, unknown = (
            self.ctx.schools.resolve(frame, self.problems)
            if self._resolves()
            else (
                None,
                np.zeros(len(frame), dtype=bool),
            )
        )
        if ids is not None:
            typed["school_id"] = ids
        bad = bad | unknown
        if self.problems:
            return  # keep checking later chunks, but compare and write only a sound file
        self.apply(typed)

    def close(self) -> None:
        """The end of the file (the students writer does its work here)."""

    # --- for subclasses -----------------------------------------------------------------------

    def check(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, Mask]:
        """Typed columns (at least the key columns and ``_row``) and the rows with a problem."""
        raise NotImplementedError

    def apply(self, typed: pd.DataFrame) -> None:
        """Compare a sound chunk with the database; in a commit, write it."""
        raise NotImplementedError

    def _resolves(self) -> bool:
        return "school_code" in self.spec.columns and self.target != "schools"

    # --- shared -------------------------------------------------------------------------------

    def _duplicates(self, typed: pd.DataFrame, bad: Mask) -> Mask:
        keys = list(self.spec.key_columns)
        rows = typed["_row"].to_numpy(np.int64)
        good = ~bad
        first = np.full(len(typed), -1, dtype=np.int64)
        first[good] = self.keys.add(typed.loc[good, keys], rows[good])
        repeated = first >= 0
        column = "school_code" if "school_code" in keys else keys[0]
        for i in np.flatnonzero(repeated):
            shown = [f"{k}={typed[k].iloc[int(i)]}" for k in keys if k not in self.hidden]
            value = None if column in self.hidden else typed[column].iloc[int(i)]
            self.problems.add(
                int(rows[i]),
                column,
                value,
                f"duplicate key ({', '.join(shown)}) of row {int(first[i])}",
            )
        return repeated

    def note_preview(
        self, values: dict[str, Any], action: str, changed: Sequence[str] = (), *, row: int
    ) -> None:
        if len(self.preview) < PREVIEW_ROWS:
            item = {k: plain(v) for k, v in values.items()}
            item["_row"] = int(row)
            item["_action"] = action
            if changed:
                item["_changed"] = list(changed)
            self.preview.append(item)

    def record(
        self, key: str, action: str, changes: dict[str, Any], row: int | None, target: str = ""
    ) -> None:
        if self.ctx.changes is not None:
            self.ctx.changes.add(target or self.target, key, action, changes, row)
