"""The output of every rule set: one immutable determination per school and year."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

Values = Mapping[str, float | None]


def _freeze(values: Mapping[str, float | None]) -> Mapping[str, float | None]:
    clean: dict[str, float | None] = {}
    for key, value in values.items():
        if value is None:
            clean[key] = None
        else:
            number = float(value)
            clean[key] = None if number != number else number  # NaN → None
    return MappingProxyType(clean)


@dataclass(frozen=True)
class Determination:
    """What a rule set decided for one school in one year, and why.

    Attributes
    ----------
    school_id : str
        The id as written in the input (leading zeros kept).
    year : int
        Accountability year (spring year: 2017 = 2016–17).
    label : str
        The published-style outcome: ``"Level 1"``, ``"B"``, ``"CSI"``, ``"Insufficient data"`` …
    level : int or None
        1 (best) … 5 (most severe) for rule sets with levels, else None.
    reasons : tuple of str
        Every reason that applies, deciding reason first, human-readable
        (``"cumulative PPI for high-needs students 68 < 75"``).
    values : Mapping[str, float or None]
        Inputs and intermediate values the decision used (PPIs, percentiles, counts), unrounded.
    years_in_status : int or None
        Consecutive years in the status this rule set counts (Texas unacceptable years, CSI
        years), or None when the rule set does not count or the school is not in status.
    ruleset : str
        Rule-set id, e.g. ``"ma-2012"``.
    ruleset_version : str
        Version of the rule set that produced it.
    flags : tuple of str
        Qualifiers such as ``"partial_history"``, ``"published_cumulative"``, ``"designation"``,
        ``"held_harmless"``, ``"seeded_count"``.
    """

    school_id: str
    year: int
    label: str
    level: int | None
    reasons: tuple[str, ...]
    values: Values = field(default_factory=lambda: MappingProxyType({}))
    years_in_status: int | None = None
    ruleset: str = ""
    ruleset_version: str = ""
    flags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.school_id:
            raise ValueError("a determination needs a school id")
        if self.level is not None and not 1 <= self.level <= 5:
            raise ValueError(f"level must be between 1 and 5, got {self.level}")
        if self.years_in_status is not None and self.years_in_status < 0:
            raise ValueError(f"years_in_status must not be negative, got {self.years_in_status}")
        object.__setattr__(self, "reasons", tuple(self.reasons))
        object.__setattr__(self, "flags", tuple(self.flags))
        object.__setattr__(self, "values", _freeze(self.values))

    @property
    def reason(self) -> str:
        """The deciding reason (the first), or an empty string."""
        return self.reasons[0] if self.reasons else ""
