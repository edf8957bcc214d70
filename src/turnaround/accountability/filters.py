"""Query-string filters of the accountability pages, exports and API (one parser for all three).

A bad value raises ``organizations.selectors.FilterError`` naming the parameter and what is
allowed (the API answers it with 422, the pages with the form's error message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from turnaround.accountability.models import DesignationPhase, DesignationStatus
from turnaround.analytics.accountability import ruleset_list
from turnaround.organizations.selectors import FilterError

PHASE_FILTERS = {
    "open": "Identified or in turnaround",
    DesignationPhase.IDENTIFIED.value: DesignationPhase.IDENTIFIED.label,
    DesignationPhase.IN_TURNAROUND.value: DesignationPhase.IN_TURNAROUND.label,
}
ORIGINS = {"official": "Published by the state", "computed": "Computed here"}


def ruleset_ids() -> list[str]:
    return sorted({r.id for r in ruleset_list()})


def _int(
    params: Any, name: str, errors: dict[str, str], low: int = 1, high: int = 10**9
) -> int | None:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = f"must be a whole number from {low} to {high}, not {raw!r}"
        return None
    return int(raw)


def _choice(params: Any, name: str, allowed: list[str], errors: dict[str, str]) -> str:
    raw = str(params.get(name) or "").strip()
    if raw and raw not in allowed:
        errors[name] = f"unknown value {raw!r}; allowed: {', '.join(allowed)}"
        return ""
    return raw


@dataclass(frozen=True)
class BoardFilters:
    """Filters of the identification board: designations in force in ``year``."""

    year: int | None = None
    status: str = ""
    phase: str = "open"
    district: int | None = None
    ruleset: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params: Any) -> BoardFilters:
        errors: dict[str, str] = {}
        year = _int(params, "year", errors, 1990, 2100)
        status = _choice(params, "status", list(DesignationStatus.values), errors)
        phase = _choice(params, "phase", list(PHASE_FILTERS), errors) or "open"
        district = _int(params, "district", errors)
        ruleset = _choice(params, "ruleset", ruleset_ids(), errors)
        if errors:
            raise FilterError(errors)
        q = str(params.get("q") or "").strip()[:100]
        return cls(year, status, phase, district, ruleset, q)

    def as_query(self) -> dict[str, str]:
        values = {
            "year": "" if self.year is None else str(self.year),
            "status": self.status,
            "phase": "" if self.phase == "open" else self.phase,
            "district": "" if self.district is None else str(self.district),
            "ruleset": self.ruleset,
            "q": self.q,
        }
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class DeterminationFilters:
    """Filters of determination lists (exports, API)."""

    year: int | None = None
    ruleset: str = ""
    label: str = ""
    level: int | None = None
    district: int | None = None
    school: int | None = None
    origin: str = ""
    run: int | None = None
    flagged: bool = False

    @classmethod
    def from_params(cls, params: Any) -> DeterminationFilters:
        errors: dict[str, str] = {}
        year = _int(params, "year", errors, 1990, 2100)
        ruleset = _choice(params, "ruleset", ruleset_ids(), errors)
        level = _int(params, "level", errors, 1, 5)
        district = _int(params, "district", errors)
        school = _int(params, "school", errors)
        origin = _choice(params, "origin", list(ORIGINS), errors)
        run = _int(params, "run", errors)
        flagged_raw = str(params.get("flagged") or "").strip().lower()
        if flagged_raw and flagged_raw not in ("true", "false", "1", "0"):
            errors["flagged"] = f"must be true or false, not {flagged_raw!r}"
        if errors:
            raise FilterError(errors)
        return cls(
            year=year,
            ruleset=ruleset,
            label=str(params.get("label") or "").strip()[:60],
            level=level,
            district=district,
            school=school,
            origin=origin,
            run=run,
            flagged=flagged_raw in ("true", "1"),
        )

    def as_query(self) -> dict[str, str]:
        values = {
            "year": "" if self.year is None else str(self.year),
            "ruleset": self.ruleset,
            "label": self.label,
            "level": "" if self.level is None else str(self.level),
            "district": "" if self.district is None else str(self.district),
            "school": "" if self.school is None else str(self.school),
            "origin": self.origin,
            "run": "" if self.run is None else str(self.run),
            "flagged": "true" if self.flagged else "",
        }
        return {k: v for k, v in values.items() if v}
