"""The reader protocol: a file layout turned into chunks of a canonical target table.

A reader is pure (no Django). ``read`` is a generator: it streams the file and yields
:class:`Chunk` objects of at most ``chunk_rows`` rows, so that a large file is never held in
memory whole. Problems found while streaming are collected and raised as one
:class:`~turnaround.imports.targets.ImportInvalid` at the end (the pipeline validates a file in a
first pass that consumes every chunk, and writes only in a second pass when the first found
nothing). ``progress(done, total)`` is called as the file is read (bytes or rows; ``total`` may
be 0 when unknown).

Partial tables: a file that carries only some columns of a target (a graduation-rate download
holds one profile column) says so in :attr:`Chunk.columns`. The frame still has every column of
the target (the others empty), but the writers compare and write only the columns named there:
a column the file does not carry keeps what is stored, while a value the file carries but marks
missing (suppressed) replaces the stored one with None and its reason.
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
    """Rows of one target table: ``frame`` has the target's columns and ``_row``.

    ``columns`` names the target columns the file provides (always including the key columns);
    ``None`` means every column. The writers leave the stored values of the other columns alone.
    """

    target: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    columns: tuple[str, ...] | None = None


OPTION_TYPES = ("choice", "choices", "text", "texts", "mapping")


@dataclass(frozen=True)
class ReaderOption:
    """An option a reader takes beyond ``year`` and ``grade``, as people give it.

    ``kind`` says what a value is: ``choice`` (one of ``allowed``), ``choices`` (several of
    ``allowed``, comma-separated in text), ``text``, ``texts`` (comma-separated) or ``mapping``
    (``KEY=VALUE`` pairs, comma-separated in text, each value one of ``allowed`` when given).
    :meth:`clean` turns a value from a form, the API or the command line into what the reader
    reads (``choices``/``texts`` → list, ``mapping`` → dict; ``as_int`` makes mapping values
    whole numbers) or raises ``ValueError`` naming what is allowed.
    """

    name: str
    label: str
    help: str
    kind: str = "text"
    allowed: tuple[str, ...] = ()
    as_int: bool = False

    def __post_init__(self) -> None:
        if self.kind not in OPTION_TYPES:
            raise ValueError(f"option kind must be one of {', '.join(OPTION_TYPES)}")

    @property
    def syntax(self) -> str:
        """How to write a value as text (the form and the command line)."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.allowed)
        if self.kind == "choices":
            return "comma-separated, from " + ", ".join(self.allowed)
        if self.kind == "texts":
            return "comma-separated values"
        if self.kind == "mapping":
            values = f" (values: {', '.join(self.allowed)})" if self.allowed else ""
            return "comma-separated KEY=VALUE pairs" + values
        return "text"

    def clean(self, value: Any) -> Any:
        """The value as the reader reads it; ``ValueError`` when it is not allowed."""
        if self.kind == "choice":
            text = str(value).strip()
            if text not in self.allowed:
                raise ValueError(f"must be one of {', '.join(self.allowed)}; got {text!r}")
            return text
        if self.kind in ("choices", "texts"):
            items = _items(value)
            if not items:
                raise ValueError("give at least one value")
            wrong = [i for i in items if self.allowed and i not in self.allowed]
            if wrong:
                raise ValueError(
                    f"{', '.join(map(repr, wrong))} not allowed; allowed: {', '.join(self.allowed)}"
                )
            return items
        if self.kind == "mapping":
            return self._mapping(value)
        text = str(value).strip()
        if len(text) > 200:
            raise ValueError("at most 200 characters")
        return text

    def _mapping(self, value: Any) -> dict[str, Any]:
        if isinstance(value, Mapping):
            pairs = [(str(k).strip(), str(v).strip()) for k, v in value.items()]
        else:
            pairs = []
            for item in _items(value):
                key, sep, given = item.partition("=")
                if not sep or not key.strip():
                    raise ValueError(f"write KEY=VALUE pairs separated by commas; got {item!r}")
                pairs.append((key.strip(), given.strip()))
        if not pairs:
            raise ValueError("give at least one KEY=VALUE pair")
        out: dict[str, Any] = {}
        for key, given in pairs:
            if self.allowed and given not in self.allowed:
                raise ValueError(
                    f"{key}={given!r}: the value must be one of {', '.join(self.allowed)}"
                )
            out[key] = int(given) if self.as_int else given
        return out


def _items(value: Any) -> list[str]:
    if isinstance(value, str):
        parts: list[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ValueError("must be text or a list")
    return [str(p).strip() for p in parts if str(p).strip()]


def targets_option(targets: tuple[str, ...]) -> ReaderOption:
    """The ``targets`` option of a reader that fills several tables: load only some of them."""
    return ReaderOption(
        "targets",
        "Tables to load (optional)",
        "Only these of the tables the format fills; all of them when empty.",
        kind="choices",
        allowed=targets,
    )


class Reader(Protocol):
    key: str  # e.g. "ma-mcas"
    label: str  # shown on the import page
    targets: tuple[str, ...]  # the targets it yields
    extensions: tuple[str, ...]  # accepted file name endings, e.g. (".xlsx",)
    description: str  # one paragraph for the import page: what file, from where
    #: the options it takes beyond ``year`` and ``grade`` (which every format accepts); the
    #: platform's own (``state``, ``pseudonym_key``) are never among them
    declared_options: tuple[ReaderOption, ...]

    def read(
        self,
        path: Path,
        *,
        options: Mapping[str, Any],
        progress: Progress = no_progress,
        chunk_rows: int = 50_000,
    ) -> Iterator[Chunk]: ...
