"""What framework rules refuse, and where: one ``Problem`` per fault, raised together.

A location is a path into the import document (``practices[1].components[0].indicators[2]``) or,
for a stored version, the code of the practice, component or indicator at fault (``TP2.3``).
``FrameworkError`` is a Django ``ValidationError`` so forms and views that already catch those
show its messages; the API turns its problems into the project's 422 shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    loc: Loc
    msg: str

    @property
    def where(self) -> str:
        """``("practices", 1, "components", 0)`` → ``practices[1].components[0]``."""
        out = ""
        for part in self.loc:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += f".{part}" if out else str(part)
        return out

    def __str__(self) -> str:
        return f"{self.where}: {self.msg}" if self.loc else self.msg


class FrameworkError(ValidationError):
    """A framework rule refused the request; nothing was written. ``problems`` lists each fault."""

    def __init__(self, problems: str | Problem | Iterable[Problem]) -> None:
        if isinstance(problems, str):
            problems = [Problem((), problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__([str(p) for p in self.problems])

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


class VersionLocked(FrameworkError):
    """The version is published or retired: its content never changes."""


class VersionConflict(FrameworkError):
    """The request does not fit the framework's current state (e.g. a draft already exists)."""


def raise_if(problems: Sequence[Problem], error: type[FrameworkError] = FrameworkError) -> None:
    if problems:
        raise error(problems)
