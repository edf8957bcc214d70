"""Reads of partner data that pages, the API and the CLI share. Permission comes from ``access``.

Engagements:

- ``engagement_list(user, filters)`` — the engagements the user sees, filtered (partner, need
  area, status, district, funding source, school);
- ``engagements_for_school`` / ``engagements_for_district`` — the "Partners serving this
  school/district" lists, current and recent first;
- ``cost_by_funding`` — totals of cost by funding source;
- ``recordable_schools`` / ``recordable_districts`` / ``designation_choices`` — the choices of
  the engagement form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from turnaround.accounts.access import get_reach
from turnaround.organizations.models import District, School
from turnaround.partners.access import visible_engagements
from turnaround.partners.models import Engagement, FundingSource, NeedArea, PriorityDesignation

# ---------------------------------------------------------------------------------------------
# Status


class EngagementStatus:
    CURRENT = "current"
    UPCOMING = "upcoming"
    ENDED = "ended"
    CHOICES = (
        (CURRENT, "Current"),
        (UPCOMING, "Upcoming"),
        (ENDED, "Ended"),
    )
    VALUES = (CURRENT, UPCOMING, ENDED)


def engagement_status(engagement: Engagement, *, today: dt.date | None = None) -> str:
    day = today or timezone.localdate()
    if engagement.starts_on > day:
        return EngagementStatus.UPCOMING
    if engagement.ends_on < day:
        return EngagementStatus.ENDED
    return EngagementStatus.CURRENT


def status_label(status: str) -> str:
    return dict(EngagementStatus.CHOICES).get(status, status)


def with_status(qs: QuerySet[Engagement], *, today: dt.date | None = None) -> QuerySet[Engagement]:
    """Annotate each engagement with ``status``: current, upcoming or ended (on ``today``)."""
    day = today or timezone.localdate()
    return qs.annotate(
        status=Case(
            When(starts_on__gt=day, then=Value(EngagementStatus.UPCOMING)),
            When(ends_on__lt=day, then=Value(EngagementStatus.ENDED)),
            default=Value(EngagementStatus.CURRENT),
            output_field=CharField(),
        )
    )


def _status_q(status: str, day: dt.date) -> Q:
    if status == EngagementStatus.CURRENT:
        return Q(starts_on__lte=day, ends_on__gte=day)
    if status == EngagementStatus.UPCOMING:
        return Q(starts_on__gt=day)
    return Q(ends_on__lt=day)


# ---------------------------------------------------------------------------------------------
# Lists


class FilterError(Exception):
    """Bad filter values: ``errors`` maps the parameter to what is wrong and what is allowed."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


@dataclass(frozen=True)
class EngagementFilters:
    partner: int | None = None
    need_area: str = ""
    status: str = ""
    district: int | None = None
    funding_source: str = ""
    school: int | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> EngagementFilters:
        """Read filters from query parameters; raises ``FilterError`` naming each bad one."""
        errors: dict[str, str] = {}
        ids: dict[str, int | None] = {}
        for name in ("partner", "district", "school"):
            try:
                ids[name] = _int_or_none(params.get(name))
            except ValueError:
                errors[name] = f"“{params.get(name)}” is not an id; give a whole number."
                ids[name] = None
        area = str(params.get("need_area") or "").strip()
        if area and area not in NeedArea.values:
            errors["need_area"] = f"“{area}” is not a need area; allowed: " + ", ".join(
                NeedArea.values
            )
            area = ""
        status = str(params.get("status") or "").strip()
        if status and status not in EngagementStatus.VALUES:
            errors["status"] = f"“{status}” is not a status; allowed: " + ", ".join(
                EngagementStatus.VALUES
            )
            status = ""
        funding = str(params.get("funding_source") or "").strip()
        if funding and funding not in FundingSource.values:
            errors["funding_source"] = f"“{funding}” is not a funding source; allowed: " + (
                ", ".join(FundingSource.values)
            )
            funding = ""
        if errors:
            raise FilterError(errors)
        return cls(
            partner=ids["partner"],
            need_area=area,
            status=status,
            district=ids["district"],
            funding_source=funding,
            school=ids["school"],
        )

    def as_query(self) -> dict[str, str]:
        """The non-empty filters as query parameters (for links that keep them)."""
        pairs = {
            "partner": self.partner,
            "need_area": self.need_area,
            "status": self.status,
            "district": self.district,
            "funding_source": self.funding_source,
            "school": self.school,
        }
        return {k: str(v) for k, v in pairs.items() if v not in (None, "")}


def engagement_list(
    user: Any, filters: EngagementFilters | None = None, *, today: dt.date | None = None
) -> QuerySet[Engagement]:
    """The engagements ``user`` sees, filtered; newest start first."""
    f = filters or EngagementFilters()
    day = today or timezone.localdate()
    qs = with_status(visible_engagements(user), today=day)
    if f.partner is not None:
        qs = qs.filter(partner_id=f.partner)
    if f.need_area:
        qs = qs.filter(need_area=f.need_area)
    if f.status:
        qs = qs.filter(_status_q(f.status, day))
    if f.district is not None:
        qs = qs.filter(Q(district_id=f.district) | Q(school__district_id=f.district))
    if f.funding_source:
        qs = qs.filter(funding_source=f.funding_source)
    if f.school is not None:
        qs = qs.filter(school_id=f.school)
    return qs.select_related(
        "partner", "school__district__state", "district__state", "designation"
    ).order_by("-starts_on", "partner__name", "pk")


@dataclass(frozen=True)
class FundingTotal:
    code: str
    label: str
    total: Decimal
    count: int
    #: engagements without a recorded cost, counted but not summed
    no_cost: int = 0


@dataclass(frozen=True)
class FundingTotals:
    rows: list[FundingTotal] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    count: int = 0


def cost_by_funding(qs: QuerySet[Engagement]) -> FundingTotals:
    """Cost summed by funding source (sources in their listed order; "not recorded" last)."""
    labels = dict(FundingSource.choices)
    found = {
        row["funding_source"]: row
        for row in qs.order_by()
        .values("funding_source")
        .annotate(
            total=Sum("cost"), n=Count("pk"), no_cost=Count("pk", filter=Q(cost__isnull=True))
        )
    }
    rows = [
        FundingTotal(
            code=code,
            label=str(labels.get(code, "Not recorded")),
            total=Decimal(found[code]["total"] or 0).quantize(Decimal("0.01")),
            count=found[code]["n"],
            no_cost=found[code]["no_cost"],
        )
        for code in [*FundingSource.values, ""]
        if code in found
    ]
    total = sum((r.total for r in rows), Decimal("0.00"))
    return FundingTotals(rows=rows, total=total, count=sum(r.count for r in rows))


def _current_first(engagements: Iterable[Engagement], today: dt.date) -> list[Engagement]:
    rank = {EngagementStatus.CURRENT: 0, EngagementStatus.UPCOMING: 1, EngagementStatus.ENDED: 2}

    def key(e: Engagement) -> tuple[int, int, str]:
        status = getattr(e, "status", None) or engagement_status(e, today=today)
        if status == EngagementStatus.UPCOMING:
            order = e.starts_on.toordinal()  # the soonest first
        else:
            order = -e.ends_on.toordinal()  # the most recent end first
        return rank[status], order, e.partner.name

    return sorted(engagements, key=key)


def engagements_for_school(user: Any, school: School) -> list[Engagement]:
    """Engagements at ``school`` that ``user`` may see: current first, then upcoming, then ended
    (most recent first)."""
    today = timezone.localdate()
    qs = (
        with_status(visible_engagements(user), today=today)
        .filter(school=school)
        .select_related("partner", "designation")
    )
    return _current_first(qs, today)


def engagements_for_district(user: Any, district: District) -> list[Engagement]:
    """Engagements with ``district`` itself and with its schools that ``user`` may see, current
    first, then upcoming, then ended (most recent first)."""
    today = timezone.localdate()
    qs = (
        with_status(visible_engagements(user), today=today)
        .filter(Q(district=district) | Q(school__district=district))
        .select_related("partner", "school", "designation")
    )
    return _current_first(qs, today)


# ---------------------------------------------------------------------------------------------
# Form choices


def recording_state_ids(user: Any) -> frozenset[int]:
    """The states where ``user`` records engagements (state roles, and district leaders' states)."""
    reach = get_reach(user)
    states = set(reach.restricted_state_ids)
    if reach.district_ids:
        states |= set(
            District.objects.filter(pk__in=reach.district_ids).values_list("state_id", flat=True)
        )
    return frozenset(states)


def recordable_schools(user: Any) -> QuerySet[School]:
    """Schools ``user`` may record an engagement for (mirrors ``can_record_engagement_for``)."""
    reach = get_reach(user)
    if not (reach.restricted_state_ids or reach.district_ids):
        return School.objects.none()
    return (
        School.objects.filter(
            Q(district__state_id__in=reach.restricted_state_ids)
            | Q(district_id__in=reach.district_ids)
        )
        .select_related("district")
        .order_by("district__name", "name")
    )


def recordable_districts(user: Any) -> QuerySet[District]:
    reach = get_reach(user)
    if not (reach.restricted_state_ids or reach.district_ids):
        return District.objects.none()
    return District.objects.filter(
        Q(state_id__in=reach.restricted_state_ids) | Q(pk__in=reach.district_ids)
    ).order_by("name")


def designation_choices(
    user: Any, *, partner_id: int | None, keep: PriorityDesignation | None = None
) -> QuerySet[PriorityDesignation]:
    """The partner's designations in force (or starting later) in the states where ``user``
    records engagements; ``keep`` stays among them (the one an engagement already has)."""
    today = timezone.localdate()
    q = Q(
        state_id__in=recording_state_ids(user),
        revoked_at__isnull=True,
        expires_on__gte=today,
    )
    if partner_id is not None:
        q &= Q(partner_id=partner_id)
    if keep is not None:
        q |= Q(pk=keep.pk)
    return (
        PriorityDesignation.objects.filter(q)
        .select_related("partner", "state")
        .order_by("partner__name", "need_area", "starts_on")
    )


def designation_label(d: PriorityDesignation, *, with_partner: bool = False) -> str:
    """``Instruction, MA, 1 Jul 2025 – 30 Jun 2028`` (with the partner's name when asked)."""
    text = (
        f"{d.get_need_area_display()}, {d.state.code}, {_day(d.starts_on)} – {_day(d.expires_on)}"
    )
    if d.revoked_at is not None:
        text += " (revoked)"
    return f"{d.partner.name}: {text}" if with_partner else text


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"
