"""Reads of organisations for pages, exports and the API. Access is applied here, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from turnaround.accountability.models import AccountabilityDetermination
from turnaround.accounts.access import visible_schools
from turnaround.organizations.models import School, SchoolType, TitleIStatus
from turnaround.performance.models import SchoolYearProfile

#: Level filter values: a level number, or one of these labels.
LEVEL_CHOICES: list[tuple[str, str]] = [
    ("1", "Level 1"),
    ("2", "Level 2"),
    ("3", "Level 3"),
    ("4", "Level 4"),
    ("5", "Level 5"),
    ("insufficient", "Insufficient data"),
    ("none", "No determination"),
]

SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "pk"),
    "district": ("district__name", "name", "pk"),
    "type": ("school_type", "name", "pk"),
    "level": ("level_sort", "name", "pk"),
    "percentile": ("current_percentile", "name", "pk"),
    "enrollment": ("current_enrollment", "name", "pk"),
}


class FilterError(ValueError):
    """A filter value that is not allowed; ``errors`` maps the parameter to the reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass(frozen=True)
class SchoolFilters:
    q: str = ""
    state: str = ""
    district: int | None = None
    school_type: str = ""
    level: str = ""
    title_i: str = ""
    charter: bool | None = None
    sort: str = "name"
    descending: bool = False

    @classmethod
    def from_params(cls, params: Any) -> SchoolFilters:
        """Parse query parameters (QueryDict or mapping); FilterError names each bad one."""
        errors: dict[str, str] = {}
        get = params.get

        district_raw = (get("district") or "").strip()
        district: int | None = None
        if district_raw:
            if district_raw.isdigit():
                district = int(district_raw)
            else:
                errors["district"] = f"must be a district id (a whole number), not {district_raw!r}"
        school_type = (get("type") or "").strip()
        if school_type and school_type not in SchoolType.values:
            errors["type"] = f"unknown school type {school_type!r}; allowed: " + ", ".join(
                SchoolType.values
            )
        level = (get("level") or "").strip()
        if level and level not in dict(LEVEL_CHOICES):
            errors["level"] = f"unknown level {level!r}; allowed: " + ", ".join(dict(LEVEL_CHOICES))
        title_i = (get("title_i") or "").strip()
        allowed_title = [*TitleIStatus.values, "any"]
        if title_i and title_i not in allowed_title:
            errors["title_i"] = f"unknown Title I status {title_i!r}; allowed: " + ", ".join(
                allowed_title
            )
        charter_raw = (get("charter") or "").strip().lower()
        charter: bool | None = None
        if charter_raw in {"true", "1", "yes"}:
            charter = True
        elif charter_raw in {"false", "0", "no"}:
            charter = False
        elif charter_raw:
            errors["charter"] = f"must be true or false, not {charter_raw!r}"
        sort = (get("sort") or "name").strip()
        descending = sort.startswith("-")
        sort_key = sort.lstrip("-")
        if sort_key not in SORTS:
            errors["sort"] = f"cannot sort by {sort_key!r}; allowed: " + ", ".join(SORTS)
        state = (get("state") or "").strip().upper()
        if state and not (len(state) == 2 and state.isalpha()):
            errors["state"] = f"must be a two-letter state code, not {state!r}"
        if errors:
            raise FilterError(errors)
        return cls(
            q=(get("q") or "").strip()[:100],
            state=state,
            district=district,
            school_type=school_type,
            level=level,
            title_i=title_i,
            charter=charter,
            sort=sort_key,
            descending=descending,
        )

    def as_params(self, **overrides: Any) -> dict[str, str]:
        """Query parameters that reproduce these filters (for links and exports)."""
        values = {
            "q": self.q,
            "state": self.state,
            "district": "" if self.district is None else str(self.district),
            "type": self.school_type,
            "level": self.level,
            "title_i": self.title_i,
            "charter": "" if self.charter is None else str(self.charter).lower(),
            "sort": ("-" if self.descending else "") + self.sort,
        }
        values.update({k: str(v) for k, v in overrides.items()})
        return {k: v for k, v in values.items() if v and not (k == "sort" and v == "name")}


def _latest_determination(field_name: str) -> Subquery:
    return Subquery(
        AccountabilityDetermination.objects.filter(school=OuterRef("pk"))
        .order_by("-year", "-is_official")
        .values(field_name)[:1]
    )


def annotate_current(qs: QuerySet[School]) -> QuerySet[School]:
    """Add the latest determination (label, level, reason, year, percentile) and enrolment."""
    return qs.annotate(
        current_label=_latest_determination("label"),
        current_level=_latest_determination("level"),
        current_reason=_latest_determination("reason"),
        current_year=_latest_determination("year"),
        current_percentile=_latest_determination("percentile"),
        current_enrollment=Subquery(
            SchoolYearProfile.objects.filter(school=OuterRef("pk"))
            .order_by("-year")
            .values("enrollment")[:1]
        ),
    ).annotate(
        # schools with no level sort after Level 5
        level_sort=Coalesce("current_level", Value(9), output_field=IntegerField()),
    )


def school_list(user: Any, filters: SchoolFilters) -> QuerySet[School]:
    """The schools ``user`` may see, filtered and sorted; with district and current status."""
    qs = annotate_current(visible_schools(user).select_related("district", "district__state"))
    if filters.state:
        qs = qs.filter(district__state__code=filters.state)
    if filters.district is not None:
        qs = qs.filter(district_id=filters.district)
    if filters.school_type:
        qs = qs.filter(school_type=filters.school_type)
    if filters.title_i == "any":
        qs = qs.filter(title_i__in=[TitleIStatus.SCHOOLWIDE, TitleIStatus.TARGETED])
    elif filters.title_i:
        qs = qs.filter(title_i=filters.title_i)
    if filters.charter is not None:
        qs = qs.filter(is_charter=filters.charter)
    if filters.q:
        from django.db.models import Q

        qs = qs.filter(
            Q(name__icontains=filters.q)
            | Q(code__startswith=filters.q)
            | Q(district__name__icontains=filters.q)
        )
    if filters.level == "insufficient":
        qs = qs.filter(current_label="Insufficient data")
    elif filters.level == "none":
        qs = qs.filter(current_label__isnull=True)
    elif filters.level:
        qs = qs.filter(current_level=int(filters.level))
    order = SORTS[filters.sort]
    if filters.descending:
        order = tuple(f"-{o}" for o in order)
    return qs.order_by(*order)


@dataclass(frozen=True)
class LevelCount:
    key: str
    label: str
    level: int | None
    count: int
    params: dict[str, str] = field(default_factory=dict)


def level_counts(qs: QuerySet[School]) -> list[LevelCount]:
    """How many schools of ``qs`` are at each current level (one grouped query)."""
    rows = (
        qs.order_by()
        .values("current_label", "current_level")
        .annotate(n=Count("pk", distinct=True))
    )
    by_key: dict[str, int] = {}
    for row in rows:
        if row["current_level"] is not None:
            key = str(row["current_level"])
        elif row["current_label"] is None:
            key = "none"
        else:
            key = "insufficient"
        by_key[key] = by_key.get(key, 0) + row["n"]
    return [
        LevelCount(
            key=key,
            label=label,
            level=int(key) if key.isdigit() else None,
            count=by_key.get(key, 0),
        )
        for key, label in LEVEL_CHOICES
        if by_key.get(key, 0) or key.isdigit()
    ]
