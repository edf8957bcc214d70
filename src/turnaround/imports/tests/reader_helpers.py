"""Helpers for the reader tests: run a reader to the end, collect its chunks or its problems."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.conf import settings

from turnaround.imports.readers.base import Chunk, Reader
from turnaround.imports.targets import TARGETS, ImportInvalid

KEY = "k" * 32  # a pseudonym key for the tests


def data_file(*parts: str) -> Path:
    """A file of the real public data (skipped when the data is not there)."""
    path = Path(settings.SHARED_DATA_DIR).joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data file {path} not available")
    return path


def chunks(
    reader: Reader, path: Path, *, chunk_rows: int = 50_000, progress=None, **options: Any
) -> list[Chunk]:
    kwargs: dict[str, Any] = {"options": options, "chunk_rows": chunk_rows}
    if progress is not None:
        kwargs["progress"] = progress
    return list(reader.read(path, **kwargs))


def tables(
    reader: Reader, path: Path, *, chunk_rows: int = 50_000, **options: Any
) -> dict[str, pd.DataFrame]:
    """Every target the reader gives, each chunk's rows concatenated (targets in order given)."""
    out: dict[str, list[pd.DataFrame]] = {}
    for chunk in chunks(reader, path, chunk_rows=chunk_rows, **options):
        assert list(chunk.frame.columns) == [*TARGETS[chunk.target].columns, "_row"]
        out.setdefault(chunk.target, []).append(chunk.frame)
    return {t: pd.concat(f, ignore_index=True) for t, f in out.items()}


def problems(reader: Reader, path: Path, **options: Any) -> ImportInvalid:
    """The ImportInvalid the reader raises for ``path`` (the test fails when it raises none)."""
    with pytest.raises(ImportInvalid) as caught:
        chunks(reader, path, **options)
    return caught.value


def find(error: ImportInvalid, **where: Any) -> list[Any]:
    """The issues matching every given attribute (``row=…, column=…``; ``reason`` by substring)."""
    found = []
    for issue in error.issues:
        ok = True
        for name, value in where.items():
            if name == "reason":
                ok = ok and value in issue.reason
            else:
                ok = ok and getattr(issue, name) == value
        if ok:
            found.append(issue)
    return found


def row_of(frame: pd.DataFrame, **where: Any) -> Mapping[str, Any]:
    """The one row of ``frame`` matching the given column values."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    matched = frame[mask]
    assert len(matched) == 1, f"{len(matched)} rows match {where}"
    return matched.iloc[0].to_dict()


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal frames, dict and list cells included (NaN equals NaN)."""
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    for column in a.columns:
        for x, y in zip(a[column].tolist(), b[column].tolist(), strict=True):
            if isinstance(x, float) and isinstance(y, float) and x != x and y != y:
                continue
            if x != y and not (x is None and y is None):
                return False
    return True
