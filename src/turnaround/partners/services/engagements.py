"""Recording partner engagements: a partner serving one school or one district, in one need area.

Every function is keyword-only, validates before it saves, runs in one transaction and records
an audit event; a refused call writes nothing. They raise

- ``django.core.exceptions.ValidationError`` — bad input, with a message per field saying what is
  wrong and how to fix it;
- ``django.core.exceptions.PermissionDenied`` — the actor may not record engagements for that
  school or district (``partners.access.can_record_engagement_for``);
- ``turnaround.core.concurrency.StaleEditError`` — someone else saved the engagement in between.

A school engagement in force with its written agreement is what lets the partner's staff see the
school's data (``accounts.access``): so a school engagement always needs the agreement's
reference, and an engagement made under a Priority Partner designation lies inside the
designation's dates, in its need area, in its state.

``engagements_import`` is the CLI's bulk load: every row is checked first and every problem
reported as "row N, column C, value V: reason"; then all rows are written in one transaction, or
none. Re-importing a file changes nothing (rows are matched on partner, school or district, need
area and start date; only changed fields are updated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, model_changes, snapshot
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.organizations.models import District, PartnerOrganization, School, State
from turnaround.partners.access import can_record_engagement_for, can_record_engagements
from turnaround.partners.models import Engagement, FundingSource, NeedArea, PriorityDesignation
from turnaround.partners.selectors import recording_state_ids

__all__ = [
    "EDITABLE_FIELDS",
    "IMPORT_COLUMNS",
    "ImportResult",
    "StaleEditError",
    "engagement_create",
    "engagement_delete",
    "engagement_end",
    "engagement_update",
    "engagements_import",
    "long_date",
]

#: fields ``engagement_update`` changes (the model's names; foreign keys take instances)
EDITABLE_FIELDS = (
    "partner",
    "school",
    "district",
    "need_area",
    "scope",
    "starts_on",
    "ends_on",
    "cost",
    "funding_source",
    "agreement_reference",
    "designation",
)
#: the same, as stored (what the audit trail and the conditional update use)
_STORED = tuple(
    f"{f}_id" if f in ("partner", "school", "district", "designation") else f
    for f in EDITABLE_FIELDS
)

CENT = Decimal("0.01")
MAX_COST = Decimal("9999999999.99")  # max_digits=12, decimal_places=2

NOT_ALLOWED = (
    "Only state administrators, state staff and district leaders record engagements; "
    "ask one of them."
)


def long_date(value: dt.date) -> str:
    """``14 May 2026`` (no platform-specific strftime flags)."""
    return f"{value.day} {value:%B %Y}"


# ---------------------------------------------------------------------------------------------
# Checks


@dataclass
class _Values:
    partner: PartnerOrganization | None
    school: School | None
    district: District | None
    need_area: str
    scope: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    cost: Any
    funding_source: str
    agreement_reference: str
    designation: PriorityDesignation | None

    @classmethod
    def of(cls, engagement: Engagement) -> _Values:
        return cls(**{name: getattr(engagement, name) for name in EDITABLE_FIELDS})

    @property
    def organisation(self) -> School | District | None:
        return self.school if self.school is not None else self.district

    @property
    def org_field(self) -> str:
        return "school" if self.school is not None else "district"

    def state(self) -> State | None:
        if self.school is not None:
            return self.school.district.state
        if self.district is not None:
            return self.district.state
        return None


def _add(errors: dict[str, list[str]], name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _clean_cost(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        _add(errors, "cost", f"“{value}” is not an amount; write it like 12500.00.")
        return None
    if not amount.is_finite():
        _add(errors, "cost", f"“{value}” is not an amount; write it like 12500.00.")
        return None
    if amount < 0:
        _add(errors, "cost", f"The cost, {amount}, is negative; enter 0 or more.")
    if amount > MAX_COST:
        _add(errors, "cost", f"The cost, {amount}, is more than {MAX_COST}; check the amount.")
        return amount
    cents = amount.quantize(CENT)
    if cents != amount:
        _add(errors, "cost", f"The cost, {amount}, has more than 2 decimals; round it to cents.")
    return cents


def _state_names(state_ids: Iterable[int]) -> str:
    names = sorted(State.objects.filter(pk__in=state_ids).values_list("name", flat=True))
    return " and ".join(names) if names else "no state"


def _check(
    actor: Any, v: _Values, *, kept_designation_id: int | None = None
) -> tuple[dict[str, list[str]], str]:
    """Every problem with ``v``, by field, and the reason the actor may not record it (or "").

    ``kept_designation_id``: the designation the engagement already has (revoked since, it does
    not block other changes). Normalises ``v`` in place (stripped text, the cost as a Decimal).
    """
    errors: dict[str, list[str]] = {}
    v.scope = (v.scope or "").strip()
    v.need_area = (v.need_area or "").strip()
    v.funding_source = (v.funding_source or "").strip()
    v.agreement_reference = (v.agreement_reference or "").strip()

    if v.partner is None:
        _add(errors, "partner", "Choose the partner from the registry.")

    # Where: one school or one district, in a state the actor works in (and the designation's).
    denied = ""
    if v.school is not None and v.district is not None:
        _add(
            errors,
            "school",
            "Choose a school or a district, not both: an engagement serves one school, or one "
            "district for district-wide work.",
        )
    elif v.organisation is None:
        _add(
            errors,
            "school",
            "Choose the school the partner serves, or the district for district-wide work.",
        )
    else:
        org = v.organisation
        state = v.state()
        assert state is not None
        where = v.org_field
        d = v.designation
        if d is not None and d.state_id != state.pk:
            _add(
                errors,
                where,
                f"{org.name} is in {state.name}, but the Priority Partner designation is "
                f"{d.state.name}'s; choose a school or district in {d.state.name}, or record "
                "the engagement without the designation.",
            )
        states = recording_state_ids(actor)
        if state.pk not in states:
            _add(
                errors,
                where,
                f"{org.name} is in {state.name}; you record engagements only for schools and "
                f"districts in {_state_names(states)}.",
            )
        elif not can_record_engagement_for(actor, school=v.school, district=v.district):
            denied = (
                f"You may not record engagements for {org.name}: state staff of {state.name} "
                "and the leaders of its district do."
            )

    if v.need_area not in NeedArea.values:
        allowed = ", ".join(f"{c} ({label})" for c, label in NeedArea.choices)
        shown = f"“{v.need_area}” is not a need area" if v.need_area else "Choose the need area"
        _add(errors, "need_area", f"{shown}; choose one of: {allowed}.")
    if not v.scope:
        _add(errors, "scope", "Describe the scope: what the partner does, with whom, how often.")

    if v.starts_on is None:
        _add(errors, "starts_on", "Enter the start date.")
    if v.ends_on is None:
        _add(errors, "ends_on", "Enter the end date.")
    if v.starts_on is not None and v.ends_on is not None and v.ends_on < v.starts_on:
        _add(
            errors,
            "ends_on",
            f"The end, {long_date(v.ends_on)}, is before the start, {long_date(v.starts_on)}; "
            "the end is on or after the start.",
        )

    d = v.designation
    if d is not None:
        if v.partner is not None and d.partner_id != v.partner.pk:
            _add(
                errors,
                "designation",
                f"That designation belongs to {d.partner.name}, not to {v.partner.name}; choose "
                f"a designation of {v.partner.name}, or none.",
            )
        if d.revoked_at is not None and d.pk != kept_designation_id:
            _add(
                errors,
                "designation",
                f"That designation was revoked on {long_date(timezone.localdate(d.revoked_at))}"
                "; record the engagement without it.",
            )
        if v.need_area in NeedArea.values and v.need_area != d.need_area:
            _add(
                errors,
                "need_area",
                f"The designation is for {d.get_need_area_display()}, so an engagement under it "
                f"is in that area too, not {NeedArea(v.need_area).label}.",
            )
        span = f"{long_date(d.starts_on)} to {long_date(d.expires_on)}"
        for name, label in (("starts_on", "start"), ("ends_on", "end")):
            day = getattr(v, name)
            if day is not None and not (d.starts_on <= day <= d.expires_on):
                _add(
                    errors,
                    name,
                    f"The {label}, {long_date(day)}, falls outside the Priority Partner "
                    f"designation, which runs from {span}; an engagement under a designation "
                    "lies within its dates.",
                )

    if v.school is not None and not v.agreement_reference:
        _add(
            errors,
            "agreement_reference",
            "A school engagement needs the reference of its written agreement: under FERPA "
            "§99.31(a)(1) that agreement is what lets the partner's staff see the school's "
            "data. Enter its number or title.",
        )
    if len(v.agreement_reference) > 200:
        _add(errors, "agreement_reference", "The agreement reference is at most 200 characters.")

    v.cost = _clean_cost(v.cost, errors)
    if v.funding_source and v.funding_source not in FundingSource.values:
        allowed = ", ".join(f"{c} ({label})" for c, label in FundingSource.choices)
        _add(
            errors,
            "funding_source",
            f"“{v.funding_source}” is not a funding source; choose one of: {allowed}.",
        )
    return errors, denied


def _validate(actor: Any, v: _Values, *, kept_designation_id: int | None = None) -> None:
    """Raise ``PermissionDenied`` or ``ValidationError`` (all field problems at once)."""
    if not can_record_engagements(actor):
        raise PermissionDenied(NOT_ALLOWED)
    errors, denied = _check(actor, v, kept_designation_id=kept_designation_id)
    if denied:
        raise PermissionDenied(denied)
    if errors:
        raise ValidationError(errors)


def _state_id(engagement: Engagement) -> int:
    if engagement.school_id is not None:
        return engagement.school.district.state_id  # type: ignore[union-attr]
    return engagement.district.state_id  # type: ignore[union-attr]


def _fresh(engagement: Engagement | int) -> Engagement:
    pk = engagement if isinstance(engagement, int) else engagement.pk
    return Engagement.objects.select_related(
        "partner", "school__district__state", "district__state", "designation__state"
    ).get(pk=pk)


def _require_editor(actor: Any, engagement: Engagement) -> None:
    if not can_record_engagement_for(actor, school=engagement.school, district=engagement.district):
        district = engagement.school.district if engagement.school else engagement.district
        raise PermissionDenied(
            "You can see this engagement but not change it: state staff and the leaders of "
            f"{district} record engagements there."
        )


# ---------------------------------------------------------------------------------------------
# Writes


def _create(actor: Any, v: _Values) -> Engagement:
    engagement = Engagement.objects.create(
        partner=v.partner,
        school=v.school,
        district=v.district,
        need_area=v.need_area,
        scope=v.scope,
        starts_on=v.starts_on,
        ends_on=v.ends_on,
        cost=v.cost,
        funding_source=v.funding_source,
        agreement_reference=v.agreement_reference,
        designation=v.designation,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=engagement,
        state_id=_state_id(engagement),
        changes=snapshot(engagement, _STORED),
    )
    return engagement


def engagement_create(
    *,
    actor: Any,
    partner: PartnerOrganization | None,
    need_area: str,
    scope: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    school: School | None = None,
    district: District | None = None,
    cost: Decimal | str | None = None,
    funding_source: str = "",
    agreement_reference: str = "",
    designation: PriorityDesignation | None = None,
) -> Engagement:
    """Record that ``partner`` serves ``school`` (or ``district``) in ``need_area``.

    State administrators and staff record for any school or district of their state; district
    leaders for their district and its schools.
    """
    v = _Values(
        partner=partner,
        school=school,
        district=district,
        need_area=need_area,
        scope=scope,
        starts_on=starts_on,
        ends_on=ends_on,
        cost=cost,
        funding_source=funding_source,
        agreement_reference=agreement_reference,
        designation=designation,
    )
    _validate(actor, v)
    with transaction.atomic():
        return _create(actor, v)


def engagement_update(
    *,
    actor: Any,
    engagement: Engagement,
    expected_version: int | None,
    changes: Mapping[str, Any],
) -> Engagement:
    """Change any of ``EDITABLE_FIELDS``; the whole engagement is checked again.

    ``expected_version`` is the version the editor loaded (``None``: the one ``engagement``
    carries); a later save by someone else raises ``StaleEditError``.
    """
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    expected = engagement.version if expected_version is None else expected_version
    current = _fresh(engagement)
    _require_editor(actor, current)
    v = _Values.of(current)
    for name, value in changes.items():
        setattr(v, name, value)
    _validate(actor, v, kept_designation_id=current.designation_id)
    before = snapshot(current, _STORED)
    for name in EDITABLE_FIELDS:
        setattr(current, name, getattr(v, name))
    diff = model_changes(before, snapshot(current, _STORED))
    if current.version != expected:
        raise StaleEditError(current)
    if not diff:
        return current
    with transaction.atomic():
        save_versioned(current, fields=list(diff), expected_version=expected)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=current,
            state_id=_state_id(current),
            changes=diff,
        )
    return current


def engagement_end(
    *,
    actor: Any,
    engagement: Engagement,
    ends_on: dt.date | None,
    reason: str,
    expected_version: int | None = None,
) -> Engagement:
    """End an engagement early: ``ends_on`` moves earlier, with the reason in the audit trail.

    When it ends before today, the partner's staff lose access to the school's data.
    """
    expected = engagement.version if expected_version is None else expected_version
    current = _fresh(engagement)
    _require_editor(actor, current)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        _add(errors, "reason", "Say why the engagement ends early; the reason is kept on record.")
    if ends_on is None:
        _add(errors, "ends_on", "Enter the new end date.")
    elif ends_on >= current.ends_on:
        _add(
            errors,
            "ends_on",
            f"To end it early, choose a date before its current end, {long_date(current.ends_on)}"
            "; to extend it, edit the engagement.",
        )
    elif ends_on < current.starts_on:
        _add(
            errors,
            "ends_on",
            f"{long_date(ends_on)} is before it starts, {long_date(current.starts_on)}; an "
            "engagement that has not started can be deleted instead.",
        )
    if errors:
        raise ValidationError(errors)
    if current.version != expected:
        raise StaleEditError(current)
    old = current.ends_on
    current.ends_on = ends_on  # type: ignore[assignment]
    with transaction.atomic():
        save_versioned(current, fields=["ends_on"], expected_version=expected)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=current,
            state_id=_state_id(current),
            changes={"ends_on": [old.isoformat(), current.ends_on.isoformat()], "reason": reason},
        )
    return current


def engagement_delete(
    *, actor: Any, engagement: Engagement, expected_version: int | None = None
) -> None:
    """Delete an engagement recorded by mistake, only before it starts (end it otherwise)."""
    expected = engagement.version if expected_version is None else expected_version
    current = _fresh(engagement)
    _require_editor(actor, current)
    today = timezone.localdate()
    if current.starts_on <= today:
        raise ValidationError(
            {
                "starts_on": f"This engagement started on {long_date(current.starts_on)}, so "
                "its record stays: end it instead, with a reason."
            }
        )
    state_id = _state_id(current)
    record = snapshot(current, _STORED)
    label = str(current)
    pk = current.pk
    with transaction.atomic():
        deleted, _ = Engagement.objects.filter(pk=pk, version=expected).delete()
        if not deleted:
            raise StaleEditError(current)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.DELETE,
            object_type=Engagement._meta.label,
            object_repr=label,
            state_id=state_id,
            changes={**record, "id": pk},
        )
        # audit_record takes the id from ``obj``; the row is gone, so keep it in ``changes``.


# ---------------------------------------------------------------------------------------------
# Import


#: the CSV columns, in order (see the CLI's help for what each holds)
IMPORT_COLUMNS = (
    "partner",
    "school_code",
    "district_code",
    "need_area",
    "scope",
    "starts_on",
    "ends_on",
    "cost",
    "funding_source",
    "agreement_reference",
    "designation",
)
_REQUIRED_COLUMNS = frozenset(IMPORT_COLUMNS) - {"designation", "district_code", "school_code"}
#: the column each field's problems are reported against
_COLUMN_OF = {
    "partner": "partner",
    "school": "school_code",
    "district": "district_code",
    "need_area": "need_area",
    "scope": "scope",
    "starts_on": "starts_on",
    "ends_on": "ends_on",
    "cost": "cost",
    "funding_source": "funding_source",
    "agreement_reference": "agreement_reference",
    "designation": "designation",
}


@dataclass(frozen=True)
class ImportResult:
    created: list[str] = field(default_factory=list)
    #: (engagement, {field: [old, new]})
    updated: list[tuple[str, dict[str, list[Any]]]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass
class _Row:
    number: int
    raw: dict[str, str]
    values: _Values
    existing: Engagement | None = None
    diff: dict[str, list[Any]] = field(default_factory=dict)


def _problem(number: int, column: str, value: str, reason: str) -> str:
    return f"row {number}, column {column}, value “{value}”: {reason}"


def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _find_org(
    model: type[School] | type[District], code: str, states: frozenset[int]
) -> tuple[Any, str]:
    """The school or district with ``code`` (preferring the actor's states), or why not."""
    noun = "school" if model is School else "district"
    state_path = "district__state_id" if model is School else "state_id"
    found = list(
        model.objects.filter(code=code).select_related(  # type: ignore[attr-defined]
            "district__state" if model is School else "state"
        )
    )
    if not found:
        return None, f"there is no {noun} with this code."
    mine = [o for o in found if _get(o, state_path) in states]
    pick = mine or found
    if len(pick) > 1:
        return None, f"several {noun}s have this code; the file cannot say which one."
    return pick[0], ""


def _get(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def _parse_row(
    number: int, raw: dict[str, str], actor: Any, states: frozenset[int], problems: list[str]
) -> _Row | None:
    bad = len(problems)
    reported: set[str] = set()

    def report(column: str, reason: str) -> None:
        reported.add(column)
        problems.append(_problem(number, column, raw.get(column, ""), reason))

    partner = None
    if not raw["partner"]:
        report("partner", "name the partner, as in the registry.")
    else:
        partner = PartnerOrganization.objects.filter(name__iexact=raw["partner"]).first()
        if partner is None:
            report("partner", "there is no partner with this name in the registry.")

    school = district = None
    if raw["school_code"] and raw["district_code"]:
        report(
            "school_code",
            "give a school_code or a district_code (for district-wide work), not both.",
        )
    elif raw["school_code"]:
        school, why = _find_org(School, raw["school_code"], states)
        if why:
            report("school_code", why)
    elif raw["district_code"]:
        district, why = _find_org(District, raw["district_code"], states)
        if why:
            report("district_code", why)
    else:
        report("school_code", "give the school's code, or a district_code for district-wide work.")

    dates: dict[str, dt.date | None] = {}
    for column in ("starts_on", "ends_on"):
        try:
            dates[column] = _parse_date(raw[column]) if raw[column] else None
        except ValueError:
            report(column, "this is not a date; write it as YYYY-MM-DD, e.g. 2026-09-01.")
            dates[column] = None

    cost: str | None = raw["cost"].replace(",", "").removeprefix("$").strip() or None

    designation = None
    wanted = raw.get("designation", "").lower()
    if wanted in ("yes", "y", "true", "1"):
        org = school or district
        area = raw["need_area"].lower()
        start = dates["starts_on"]
        if partner is not None and org is not None and area in NeedArea.values and start:
            state = school.district.state if school else district.state  # type: ignore[union-attr]
            designation = (
                PriorityDesignation.objects.filter(
                    partner=partner,
                    state=state,
                    need_area=area,
                    revoked_at__isnull=True,
                    starts_on__lte=start,
                    expires_on__gte=start,
                )
                .select_related("partner", "state")
                .order_by("-starts_on")
                .first()
            )
            if designation is None:
                report(
                    "designation",
                    f"{partner.name} has no Priority Partner designation in force for "
                    f"{NeedArea(area).label} in {state.name} on {long_date(start)}; leave the "
                    "column empty to record the engagement without one.",
                )
    elif wanted not in ("", "no", "n", "false", "0"):
        report("designation", "write yes to attach the partner's designation, or leave it empty.")

    parsed_badly = set(reported)
    v = _Values(
        partner=partner,
        school=school,
        district=district,
        need_area=raw["need_area"].lower(),
        scope=raw["scope"],
        starts_on=dates["starts_on"],
        ends_on=dates["ends_on"],
        cost=cost,
        funding_source=raw["funding_source"].lower(),
        agreement_reference=raw["agreement_reference"],
        designation=designation,
    )
    # The rest of the checks, on what could be read (a column already reported is not again).
    errors, denied = _check(actor, v)
    if denied:
        column = "school_code" if school is not None else "district_code"
        report(column, denied)
    for name, messages in errors.items():
        column = _COLUMN_OF.get(name, name)
        if column in parsed_badly or (
            column in ("school_code", "district_code")
            and parsed_badly & {"school_code", "district_code"}
        ):
            continue
        for message in messages:
            report(column, message)
    if len(problems) > bad:
        return None
    return _Row(number=number, raw=raw, values=v)


def engagements_import(
    *, rows: Iterable[Mapping[str, Any]], actor: Any, first_row: int = 2
) -> ImportResult:
    """Check every row, then create or update them all in one transaction, or write nothing.

    ``rows`` are mappings of ``IMPORT_COLUMNS`` (as ``csv.DictReader`` gives them); rows are
    numbered from ``first_row`` (2: the header is the spreadsheet's row 1). A row with the same
    partner, school or district, need area and start date as a stored engagement updates the
    fields that differ. Raises ``ValidationError`` listing every problem, or ``PermissionDenied``
    when the actor records no engagements at all.
    """
    if not can_record_engagements(actor):
        raise PermissionDenied(NOT_ALLOWED)
    rows = list(rows)
    if not rows:
        raise ValidationError("The file has no rows under its header; nothing was imported.")
    columns = set(rows[0].keys()) - {None}
    problems: list[str] = []
    missing = sorted(_REQUIRED_COLUMNS - columns)
    if "school_code" not in columns and "district_code" not in columns:
        missing.append("school_code or district_code")
    if missing:
        problems.append(
            "The header lacks the column"
            + ("s " if len(missing) > 1 else " ")
            + ", ".join(missing)
            + "; the columns are: "
            + ", ".join(IMPORT_COLUMNS)
            + "."
        )
    unknown = sorted(c for c in columns if c not in IMPORT_COLUMNS)
    if unknown:
        problems.append(
            f"The header has unknown column{'s' if len(unknown) > 1 else ''} "
            + ", ".join(unknown)
            + "; the columns are: "
            + ", ".join(IMPORT_COLUMNS)
            + "."
        )
    if problems:
        raise ValidationError(problems)

    states = recording_state_ids(actor)
    parsed: list[_Row] = []
    seen: dict[tuple[Any, ...], int] = {}
    for offset, source in enumerate(rows):
        number = first_row + offset
        raw = {c: str(source.get(c) or "").strip() for c in IMPORT_COLUMNS}
        extra = source.get(None)  # type: ignore[call-overload]
        if extra:
            problems.append(
                f"row {number} has more values than the header has columns; "
                "check for an unquoted comma."
            )
            continue
        row = _parse_row(number, raw, actor, states, problems)
        if row is None:
            continue
        v = row.values
        key = (v.partner.pk, getattr(v.school, "pk", None), getattr(v.district, "pk", None))  # type: ignore[union-attr]
        key += (v.need_area, v.starts_on)
        if key in seen:
            problems.append(
                _problem(
                    number,
                    "starts_on",
                    raw["starts_on"],
                    f"repeats row {seen[key]} (the same partner, school or district, need area "
                    "and start date); keep one of them.",
                )
            )
            continue
        seen[key] = number
        row.existing = (
            Engagement.objects.filter(
                partner=v.partner,
                school=v.school,
                district=v.district,
                need_area=v.need_area,
                starts_on=v.starts_on,
            )
            .select_related("school__district", "district")
            .first()
        )
        if row.existing is not None:
            row.diff = model_changes(snapshot(row.existing, _STORED), _stored_values(v))
        parsed.append(row)
    if problems:
        raise ValidationError(problems)

    result = ImportResult()
    with transaction.atomic():
        for row in parsed:
            if row.existing is None:
                created = _create(actor, row.values)
                result.created.append(f"row {row.number}: {created}")
            elif row.diff:
                current = row.existing
                for name in EDITABLE_FIELDS:
                    setattr(current, name, getattr(row.values, name))
                save_versioned(current, fields=list(row.diff), expected_version=current.version)
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.UPDATE,
                    obj=current,
                    state_id=_state_id(current),
                    changes=row.diff,
                )
                result.updated.append((f"row {row.number}: {current}", row.diff))
            else:
                result.unchanged.append(f"row {row.number}: {row.existing}")
        if result.changed:
            audit_record(
                actor=actor,
                action=AuditEvent.Action.LOAD,
                object_type=Engagement._meta.label,
                object_repr="engagements import",
                changes={
                    "created": len(result.created),
                    "updated": len(result.updated),
                    "unchanged": len(result.unchanged),
                },
            )
    return result


def _stored_values(v: _Values) -> dict[str, Any]:
    """``v`` as ``audit.snapshot`` renders an engagement (ids, dates and amounts as text)."""
    out: dict[str, Any] = {}
    for name, stored in zip(EDITABLE_FIELDS, _STORED, strict=True):
        value = getattr(v, name)
        if stored.endswith("_id"):
            value = getattr(value, "pk", None)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[stored] = value
    return out


def engagement_rows_for_export(engagements: Iterable[Engagement]) -> Iterable[list[Any]]:
    """Rows in ``IMPORT_COLUMNS`` order: an export re-imports unchanged."""
    for e in engagements:
        yield [
            e.partner.name,
            e.school.code if e.school_id else "",
            e.district.code if e.district_id else "",
            e.need_area,
            e.scope,
            e.starts_on.isoformat(),
            e.ends_on.isoformat(),
            "" if e.cost is None else f"{e.cost:.2f}",
            e.funding_source,
            e.agreement_reference,
            "yes" if e.designation_id else "",
        ]
