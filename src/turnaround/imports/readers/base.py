"""The reader protocol: a file layout turned into chunks of a canonical target table.

A reader is pure (no Django). ``read`` is a generator: it streams the file and yields
:class:`Chunk` objects of at most ``chunk_rows`` rows, so that a large file is never held in
memory whole. Problems found while streaming are collected and raised as one
:class:`~turnaround.imports.targets.ImportInvalid` at the end (the pipeline validates a file in a
first pass that consumes every chunk, and writes only in a second pass when the first found
nothing). ``progress(done, total)`` is called as the file is read (bytes or rows; ``total`` may
be 0 when unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The default progress callback: nothing."""


@dataclass
class Chunk:
    """Rows of one target table: ``frame`` has the target's columns and ``_row``."""

    target: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)


class Reader(Protocol):
    key: str  # e.g. "ma-mcas"
    label: str  # shown on the import page
    targets: tuple[str, ...]  # the targets it yields
    extensions: tuple[str, ...]  # accepted file name endings, e.g. (".xlsx",)
    description: str  # one paragraph for the import page: what file, from where

    def read(
        self,
        path: Path,
        *,
        options: Mapping[str, Any],
        progress: Progress = no_progress,
        chunk_rows: int = 50_000,
    ) -> Iterator[Chunk]: ...
