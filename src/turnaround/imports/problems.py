"""The problems of one import: every one counted, the first ``limit`` kept (row, column, value,
reason). Readers, writers and the pipeline add to the same log."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from typing import Any

from turnaround.imports.targets import ImportInvalid, InputIssue

#: Problems kept per job (all are counted).
MAX_PROBLEMS = 1000
#: Longest value shown in a problem.
MAX_VALUE_CHARS = 120


def shown_value(value: Any) -> str | None:
    """A cell as it is shown in a report: text, cut to MAX_VALUE_CHARS; None for no value."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        with contextlib.suppress(TypeError, ValueError):
            value = value.item()  # a numpy scalar
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    if len(text) > MAX_VALUE_CHARS:
        return text[: MAX_VALUE_CHARS - 1] + "…"
    return text


class ProblemLog:
    """Counts every problem and keeps the first ``limit``.

    ``add(row, column, value, reason)`` has the signature of the validating helpers of
    ``turnaround.analytics.accountability.files`` (``convert_columns``, ``check_unique``), so a
    log can be handed to them.
    """

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.items: list[InputIssue] = []
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    def add(self, row: int | None, column: str | None, value: Any, reason: str) -> None:
        self.total += 1
        if len(self.items) < self.limit:
            self.items.append(
                InputIssue(None if row is None else int(row), column, shown_value(value), reason)
            )

    def extend(self, issues: Iterable[InputIssue], total: int | None = None) -> None:
        """Add issues found elsewhere (a reader's), counting ``total`` when more were found."""
        kept = list(issues)
        for issue in kept:
            self.add(issue.row, issue.column, issue.value, issue.reason)
        if total is not None and total > len(kept):
            self.total += total - len(kept)

    def as_json(self) -> list[dict[str, Any]]:
        """The kept problems in file order: the file's own first, then by row."""
        ordered = sorted(self.items, key=lambda i: -1 if i.row is None else i.row)
        return [
            {"row": i.row, "column": i.column, "value": i.value, "reason": i.reason}
            for i in ordered
        ]

    def error(self, source: str) -> ImportInvalid:
        return ImportInvalid(source, self.items, self.total)
