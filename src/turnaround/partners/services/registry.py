"""The partner registry: partners, their services by need area, contacts and evidence claims.

Writes are keyword-only ``<entity>_<action>`` functions. Each checks who may act
(``partners.access``), validates everything before it saves, runs in one transaction, records an
audit event, and raises ``ValidationError`` with a message per field (or ``PermissionDenied``),
leaving nothing written when it refuses. ``actor=None`` is the command line: an operator on the
server, who may do everything (the events are recorded as "system").

Evidence claims follow ESSA (ESEA §8101(21)(A)):

- tier 1 (strong) rests on a well-designed, well-implemented experimental study: a randomised
  controlled trial, with its citation;
- tier 2 (moderate) on a quasi-experimental study (or a trial), with its citation;
- tier 3 (promising) on a correlational study with statistical controls for selection bias (or a
  stronger design), with its citation;
- tier 4 (demonstrates a rationale) on a logic model grounded in research.

State staff confirm a claim's tier (``evidence_confirm``); the confirmed tier, when recorded, is
the claim's effective tier. Changing the tier, design or study of a confirmed claim clears the
confirmation: the state confirmed a different claim.

The second half of the module holds the reads the registry page, its export, the API and the CLI
share: filters, the best effective tier, and designations in force in the viewer's states.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.db.models import Min, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from turnaround.accounts.access import get_reach
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, model_changes, snapshot
from turnaround.core.concurrency import save_versioned
from turnaround.organizations.models import District, PartnerOrganization, School, State
from turnaround.organizations.selectors import FilterError
from turnaround.partners import access
from turnaround.partners.models import (
    Application,
    CostModel,
    EvidenceClaim,
    EvidenceTier,
    PartnerContact,
    PriorityDesignation,
    ServiceOffering,
)
from turnaround.partners.needs import GradeBand, NeedArea, area_label

__all__ = [
    "CONTACT_FIELDS",
    "EVIDENCE_FIELDS",
    "PROFILE_FIELDS",
    "DirectoryEntry",
    "RegistryFilters",
    "RegistryRow",
    "clean_profile",
    "contact_add",
    "contact_delete",
    "contact_update",
    "directory_entries",
    "evidence_add",
    "evidence_confirm",
    "evidence_delete",
    "evidence_update",
    "grade_band_labels",
    "partner_create",
    "partner_search",
    "partner_update",
    "registry_rows",
    "registry_table",
    "service_delete",
    "service_set",
    "tier_label",
    "viewer_states",
]

CREATE, UPDATE, DELETE = (
    AuditEvent.Action.CREATE,
    AuditEvent.Action.UPDATE,
    AuditEvent.Action.DELETE,
)

PROFILE_FIELDS = (
    "name",
    "website",
    "description",
    "cost_model",
    "cost_notes",
    "grade_bands",
    "regions",
)
CONTACT_FIELDS = ("name", "title", "email", "phone", "is_primary")
EVIDENCE_FIELDS = (
    "need_area",
    "claim",
    "outcome_domain",
    "study_citation",
    "study_url",
    "design",
    "tier",
    "wwc_rating",
    "summary",
)
#: changing one of these on a confirmed claim clears the state's confirmation
_EVIDENCE_BASIS = ("tier", "design", "study_citation", "study_url")

MAX_REGIONS = 30
MAX_REGION_LENGTH = 100
MAX_TEXT = 10_000

_url_validator = URLValidator(schemes=["http", "https"])
_email_validator = EmailValidator()

Design = EvidenceClaim.Design

ServiceChange = Literal["created", "updated", "unchanged"]


# ---------------------------------------------------------------------------------------------
# Who may act


def _partner_access(actor: Any, partner: PartnerOrganization) -> access.PartnerAccess | None:
    """The actor's access to ``partner``; ``None`` for the command line (may do everything)."""
    if actor is None:
        return None
    try:
        return access.get_partner_for_user(actor, partner.pk)
    except Http404 as exc:
        raise PermissionDenied("You cannot see this partner.") from exc


def _require_edit(actor: Any, partner: PartnerOrganization) -> None:
    found = _partner_access(actor, partner)
    if found is not None and not found.can_edit:
        raise PermissionDenied(
            f"Only staff of {partner.name} and state administrators can change its registry entry."
        )


def _audit(
    actor: Any,
    action: str,
    obj: Any,
    changes: Mapping[str, Any] | None = None,
    *,
    deleted: tuple[str, str] | None = None,
) -> None:
    object_type, object_repr = deleted or ("", "")
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type,
        object_repr=object_repr,
        changes=changes or {},
    )


# ---------------------------------------------------------------------------------------------
# Checking values (shared by the services and the CSV import)


def _text(value: Any, *, label: str, required: bool, max_length: int) -> tuple[str, str | None]:
    """``(cleaned, error)`` for a text value."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", f"{label} must be text."
    cleaned = value.strip()
    if required and not cleaned:
        return "", f"Give the {label.lower()}."
    if len(cleaned) > max_length:
        return cleaned, (
            f"{label} is {len(cleaned)} characters long; shorten it to at most {max_length}."
        )
    return cleaned, None


def _url(value: Any, *, label: str) -> tuple[str, str | None]:
    cleaned, error = _text(value, label=label, required=False, max_length=200)
    if error or not cleaned:
        return cleaned, error
    try:
        _url_validator(cleaned)
    except ValidationError:
        return cleaned, (
            f"“{cleaned}” is not a web address; enter a full address starting with http:// or "
            "https://, e.g. https://example.org."
        )
    return cleaned, None


def _codes(
    value: Any, *, allowed: type[NeedArea] | type[GradeBand], noun: str
) -> tuple[list[str], str | None]:
    """A list of choice codes, in the choices' order, without repeats."""
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value] if value.strip() else []
    if not isinstance(value, (list, tuple, set, frozenset)):
        return [], f"Give the {noun}s as a list of codes."
    given = [str(v).strip() for v in value if str(v).strip()]
    unknown = [v for v in given if v not in allowed.values]
    if unknown:
        choices = ", ".join(f"{c} ({lbl})" for c, lbl in allowed.choices)
        bad = ", ".join(f"“{u}”" for u in unknown)
        what = f"is not a {noun}" if len(unknown) == 1 else f"are not {noun}s"
        return [], f"{bad} {what}; choose from {choices}."
    return [c for c in allowed.values if c in set(given)], None


def _regions(value: Any) -> tuple[list[str], str | None]:
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return [], "Give the regions as a list of names."
    regions: list[str] = []
    for item in value:
        if not isinstance(item, str):
            return [], "Each region must be text, e.g. “Western Massachusetts” or “statewide”."
        name = " ".join(item.split())
        if not name:
            continue
        if len(name) > MAX_REGION_LENGTH:
            return [], (
                f"The region “{name[:40]}…” is {len(name)} characters long; shorten it to at "
                f"most {MAX_REGION_LENGTH}."
            )
        if name.casefold() not in {r.casefold() for r in regions}:
            regions.append(name)
    if len(regions) > MAX_REGIONS:
        return [], f"List at most {MAX_REGIONS} regions (you gave {len(regions)})."
    return regions, None


def _cost_model(value: Any) -> tuple[str, str | None]:
    cleaned, error = _text(value, label="Cost model", required=False, max_length=20)
    if error or not cleaned:
        return cleaned, error
    if cleaned not in CostModel.values:
        choices = ", ".join(f"{c} ({lbl})" for c, lbl in CostModel.choices)
        return cleaned, f"“{cleaned}” is not a cost model; choose one of {choices}."
    return cleaned, None


def clean_profile(
    values: Mapping[str, Any], *, partner: PartnerOrganization | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Normalise the profile fields present in ``values``: ``(cleaned, errors by field)``.

    The name must be unique in the registry (ignoring case) — ``partner`` is the one being
    edited, which may keep its own name.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    checks = {
        "name": lambda v: _text(v, label="Name", required=True, max_length=200),
        "website": lambda v: _url(v, label="Website"),
        "description": lambda v: _text(v, label="Description", required=False, max_length=MAX_TEXT),
        "cost_model": _cost_model,
        "cost_notes": lambda v: _text(v, label="Cost notes", required=False, max_length=MAX_TEXT),
        "grade_bands": lambda v: _codes(v, allowed=GradeBand, noun="grade band"),
        "regions": _regions,
    }
    for name, check in checks.items():
        if name not in values:
            continue
        value, error = check(values[name])
        if error:
            errors[name] = error
        else:
            cleaned[name] = value
    if "name" in cleaned:
        clash = PartnerOrganization.objects.filter(name__iexact=cleaned["name"])
        if partner is not None:
            clash = clash.exclude(pk=partner.pk)
        if clash.exists():
            errors["name"] = (
                f"A partner named “{cleaned['name']}” is already in the registry; open it and "
                "edit it there instead of adding it again."
            )
    return cleaned, errors


def _unknown_fields(changes: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError(
            {
                name: f"“{name}” cannot be changed on {what}; the fields are {', '.join(allowed)}."
                for name in unknown
            }
        )


# ---------------------------------------------------------------------------------------------
# Partners


def partner_create(
    *,
    actor: Any,
    name: str,
    website: str = "",
    description: str = "",
    cost_model: str = "",
    cost_notes: str = "",
    grade_bands: Iterable[str] = (),
    regions: Iterable[str] = (),
) -> PartnerOrganization:
    """Add a partner to the registry (state administrators)."""
    if actor is not None and not access.can_create_partner(actor):
        raise PermissionDenied("Only state administrators can add partners to the registry.")
    values = {
        "name": name,
        "website": website,
        "description": description,
        "cost_model": cost_model,
        "cost_notes": cost_notes,
        "grade_bands": list(grade_bands),
        "regions": list(regions),
    }
    cleaned, errors = clean_profile(values)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        partner = PartnerOrganization.objects.create(**cleaned)
        _audit(actor, CREATE, partner, snapshot(partner, PROFILE_FIELDS))
    return partner


def partner_update(
    *,
    actor: Any,
    partner: PartnerOrganization,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> PartnerOrganization:
    """Change profile fields; ``expected_version`` is the version the editor loaded (``None``:
    the one of ``partner``). A stale version raises ``StaleEditError``; no change saves nothing."""
    _require_edit(actor, partner)
    _unknown_fields(changes, PROFILE_FIELDS, "a partner")
    cleaned, errors = clean_profile(changes, partner=partner)
    if errors:
        raise ValidationError(errors)
    before = snapshot(partner, cleaned)
    changed = model_changes(before, cleaned)
    if not changed:
        return partner
    with transaction.atomic():
        for name in changed:
            setattr(partner, name, cleaned[name])
        version = partner.version if expected_version is None else expected_version
        save_versioned(partner, fields=sorted(changed), expected_version=version)
        _audit(actor, UPDATE, partner, changed)
    return partner


# ---------------------------------------------------------------------------------------------
# Services (one per need area)


def service_set(
    *,
    actor: Any,
    partner: PartnerOrganization,
    need_area: str,
    description: str,
    grade_bands: Iterable[str] = (),
) -> tuple[ServiceOffering, ServiceChange]:
    """Create or replace the partner's service in ``need_area``: ``(service, what happened)``."""
    _require_edit(actor, partner)
    errors: dict[str, str] = {}
    if need_area not in NeedArea.values:
        choices = ", ".join(f"{c} ({lbl})" for c, lbl in NeedArea.choices)
        errors["need_area"] = f"“{need_area}” is not a need area; choose one of {choices}."
    text, error = _text(description, label="Description", required=True, max_length=MAX_TEXT)
    if error:
        errors["description"] = (
            "Describe what the partner does in this area." if not text else error
        )
    bands, error = _codes(list(grade_bands), allowed=GradeBand, noun="grade band")
    if error:
        errors["grade_bands"] = error
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        service = (
            ServiceOffering.objects.select_for_update()
            .filter(partner=partner, need_area=need_area)
            .first()
        )
        if service is None:
            service = ServiceOffering.objects.create(
                partner=partner, need_area=need_area, description=text, grade_bands=bands
            )
            _audit(actor, CREATE, service, snapshot(service, ("need_area", "description")))
            return service, "created"
        after = {"description": text, "grade_bands": bands}
        changed = model_changes(snapshot(service, after), after)
        if not changed:
            return service, "unchanged"
        service.description, service.grade_bands = text, bands
        service.save(update_fields=sorted(changed))
        _audit(actor, UPDATE, service, changed)
    return service, "updated"


def service_delete(*, actor: Any, partner: PartnerOrganization, need_area: str) -> None:
    _require_edit(actor, partner)
    service = ServiceOffering.objects.filter(partner=partner, need_area=need_area).first()
    if service is None:
        raise ValidationError(
            {"need_area": f"{partner.name} offers no service in “{area_label(need_area)}”."}
        )
    with transaction.atomic():
        label, text = service._meta.label, str(service)
        service.delete()
        _audit(actor, DELETE, None, {"need_area": need_area}, deleted=(label, text))


# ---------------------------------------------------------------------------------------------
# Contacts


def _clean_contact(values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, label, required, length in (
        ("name", "Name", True, 200),
        ("title", "Title", False, 200),
        ("email", "Email", False, 254),
        ("phone", "Phone", False, 40),
    ):
        if name not in values:
            continue
        text, error = _text(values[name], label=label, required=required, max_length=length)
        if error:
            errors[name] = error
        else:
            cleaned[name] = text
    if cleaned.get("email"):
        try:
            _email_validator(cleaned["email"])
        except ValidationError:
            errors["email"] = (
                f"“{cleaned['email']}” is not an email address; enter one like name@example.org."
            )
    if cleaned.get("phone") and not any(ch.isdigit() for ch in cleaned["phone"]):
        errors["phone"] = f"“{cleaned['phone']}” has no digits; enter a phone number."
    if "is_primary" in values:
        if not isinstance(values["is_primary"], bool):
            errors["is_primary"] = "Say true or false: is this the primary contact?"
        else:
            cleaned["is_primary"] = values["is_primary"]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _only_primary(contact: PartnerContact) -> list[int]:
    """Make ``contact`` the partner's only primary contact; the others' ids that changed."""
    others = list(
        PartnerContact.objects.filter(partner_id=contact.partner_id, is_primary=True)
        .exclude(pk=contact.pk)
        .values_list("pk", flat=True)
    )
    PartnerContact.objects.filter(pk__in=others).update(is_primary=False)
    return others


def contact_add(
    *,
    actor: Any,
    partner: PartnerOrganization,
    name: str,
    title: str = "",
    email: str = "",
    phone: str = "",
    is_primary: bool = False,
) -> PartnerContact:
    """Add a contact; a primary contact replaces the previous primary one."""
    _require_edit(actor, partner)
    cleaned = _clean_contact(
        {"name": name, "title": title, "email": email, "phone": phone, "is_primary": is_primary}
    )
    with transaction.atomic():
        contact = PartnerContact.objects.create(partner=partner, **cleaned)
        changes: dict[str, Any] = snapshot(contact, CONTACT_FIELDS)
        if contact.is_primary:
            changes["no_longer_primary"] = _only_primary(contact)
        _audit(actor, CREATE, contact, changes)
    return contact


def contact_update(
    *, actor: Any, contact: PartnerContact, changes: Mapping[str, Any]
) -> PartnerContact:
    _require_edit(actor, contact.partner)
    _unknown_fields(changes, CONTACT_FIELDS, "a contact")
    cleaned = _clean_contact(changes)
    changed = model_changes(snapshot(contact, cleaned), cleaned)
    if not changed:
        return contact
    with transaction.atomic():
        for name in changed:
            setattr(contact, name, cleaned[name])
        contact.save(update_fields=sorted(changed))
        audit_changes: dict[str, Any] = dict(changed)
        if contact.is_primary and "is_primary" in changed:
            audit_changes["no_longer_primary"] = _only_primary(contact)
        _audit(actor, UPDATE, contact, audit_changes)
    return contact


def contact_delete(*, actor: Any, contact: PartnerContact) -> None:
    _require_edit(actor, contact.partner)
    with transaction.atomic():
        label, text = contact._meta.label, str(contact)
        before = snapshot(contact, CONTACT_FIELDS)
        contact.delete()
        _audit(actor, DELETE, None, before, deleted=(label, text))


# ---------------------------------------------------------------------------------------------
# Evidence claims


def tier_label(tier: int | None) -> str:
    if tier is None:
        return "No evidence claims"
    try:
        return str(EvidenceTier(tier).label)
    except ValueError:
        return f"Tier {tier}"


def _tier(value: Any) -> tuple[int | None, str | None]:
    allowed = "; ".join(f"{t} ({lbl.split('— ', 1)[-1]})" for t, lbl in EvidenceTier.choices)
    if isinstance(value, bool):
        return None, f"Choose an ESSA tier: {allowed}."
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None, f"Choose an ESSA tier: {allowed}."
        if not value.isdigit():
            return None, f"“{value}” is not an ESSA tier; choose one of {allowed}."
        value = int(value)
    if not isinstance(value, int):
        return None, f"Choose an ESSA tier: {allowed}."
    if value not in EvidenceTier.values:
        return None, f"{value} is not an ESSA tier; choose one of {allowed}."
    return value, None


def _tier_basis_errors(
    tier: int, *, design: str, citation: str, field_prefix: str = "", verb: str = "claim"
) -> dict[str, str]:
    """What the ESSA tier needs of the study behind it (empty when the claim holds)."""
    errors: dict[str, str] = {}
    tier_name = {1: "tier 1 (strong)", 2: "tier 2 (moderate)", 3: "tier 3 (promising)"}
    if tier == 1 and design != Design.RCT:
        errors["design"] = (
            f"A {tier_name[1]} {verb} needs a randomised controlled trial: ESSA defines strong "
            "evidence as a well-designed, well-implemented experimental study. A "
            "quasi-experimental design supports tier 2, a correlational study tier 3."
        )
    elif tier == 2 and design not in (Design.RCT, Design.QED):
        errors["design"] = (
            f"A {tier_name[2]} {verb} needs a randomised controlled trial or a "
            "quasi-experimental design: ESSA defines moderate evidence as at least one "
            "well-designed quasi-experimental study. A correlational study supports tier 3, a "
            "logic model tier 4."
        )
    elif tier == 3 and design not in (Design.RCT, Design.QED, Design.CORRELATIONAL):
        errors["design"] = (
            f"A {tier_name[3]} {verb} needs at least a correlational study with statistical "
            "controls for selection bias: that is ESSA's definition of promising evidence. A "
            "logic model alone supports tier 4."
        )
    if tier in (1, 2) and not citation:
        errors["study_citation"] = (
            f"A {tier_name[tier]} {verb} needs the citation of its study: ESSA tiers 1 and 2 "
            "rest on a specific well-designed study, and reviewers must be able to read it."
        )
    elif tier == 3 and not citation:
        errors["study_citation"] = (
            f"A {tier_name[3]} {verb} needs the citation of its correlational study: without a "
            "study that can be checked, the evidence only demonstrates a rationale (tier 4)."
        )
    if field_prefix:
        return {field_prefix: " ".join(errors.values())} if errors else {}
    return errors


def _clean_evidence(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the present fields of a claim (all of them together: the tier rules need each)."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if "need_area" in values:
        area = values["need_area"]
        if area not in NeedArea.values:
            choices = ", ".join(f"{c} ({lbl})" for c, lbl in NeedArea.choices)
            errors["need_area"] = f"“{area}” is not a need area; choose one of {choices}."
        else:
            cleaned["need_area"] = area
    for name, label, required, length in (
        ("claim", "Claim", True, 300),
        ("outcome_domain", "Outcome domain", True, 100),
        ("study_citation", "Study citation", False, MAX_TEXT),
        ("summary", "Summary", True, MAX_TEXT),
    ):
        if name in values:
            text, error = _text(values[name], label=label, required=required, max_length=length)
            if error:
                errors[name] = error
            else:
                cleaned[name] = text
    if not errors.get("summary") and "summary" in values and not cleaned.get("summary"):
        errors["summary"] = "Say what the evidence shows, and what it does not show."
    if "study_url" in values:
        url, error = _url(values["study_url"], label="Study link")
        if error:
            errors["study_url"] = error
        else:
            cleaned["study_url"] = url
    if "design" in values:
        design = values["design"]
        if design not in Design.values:
            choices = ", ".join(f"{c} ({lbl})" for c, lbl in Design.choices)
            errors["design"] = f"“{design}” is not a study design; choose one of {choices}."
        else:
            cleaned["design"] = design
    if "wwc_rating" in values:
        rating = values["wwc_rating"] or ""
        if rating not in EvidenceClaim.WWCRating.values:
            choices = ", ".join(
                f"{c or '(empty)'} ({lbl})" for c, lbl in EvidenceClaim.WWCRating.choices
            )
            errors["wwc_rating"] = (
                f"“{rating}” is not a What Works Clearinghouse rating; choose one of {choices}."
            )
        else:
            cleaned["wwc_rating"] = rating
    if "tier" in values:
        tier, error = _tier(values["tier"])
        if error:
            errors["tier"] = error
        else:
            cleaned["tier"] = tier
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_basis(claim: Mapping[str, Any]) -> None:
    errors = _tier_basis_errors(
        claim["tier"], design=claim["design"], citation=claim.get("study_citation", "")
    )
    if errors:
        raise ValidationError(errors)


def evidence_add(
    *,
    actor: Any,
    partner: PartnerOrganization,
    need_area: str,
    claim: str,
    outcome_domain: str,
    design: str,
    tier: int,
    summary: str,
    study_citation: str = "",
    study_url: str = "",
    wwc_rating: str = "",
) -> EvidenceClaim:
    _require_edit(actor, partner)
    cleaned = _clean_evidence(
        {
            "need_area": need_area,
            "claim": claim,
            "outcome_domain": outcome_domain,
            "design": design,
            "tier": tier,
            "summary": summary,
            "study_citation": study_citation,
            "study_url": study_url,
            "wwc_rating": wwc_rating,
        }
    )
    _check_basis(cleaned)
    with transaction.atomic():
        created = EvidenceClaim.objects.create(partner=partner, **cleaned)
        _audit(actor, CREATE, created, snapshot(created, EVIDENCE_FIELDS))
    return created


def evidence_update(
    *,
    actor: Any,
    claim: EvidenceClaim,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
) -> EvidenceClaim:
    """Change a claim; changing its tier, design or study clears a confirmation."""
    _require_edit(actor, claim.partner)
    _unknown_fields(changes, EVIDENCE_FIELDS, "an evidence claim")
    cleaned = _clean_evidence(changes)
    merged = {**snapshot(claim, EVIDENCE_FIELDS), **cleaned}
    _check_basis(merged)
    changed = model_changes(snapshot(claim, cleaned), cleaned)
    if not changed:
        return claim
    fields = sorted(changed)
    audit_changes: dict[str, Any] = dict(changed)
    with transaction.atomic():
        for name in changed:
            setattr(claim, name, cleaned[name])
        if claim.confirmed_tier is not None and set(changed) & set(_EVIDENCE_BASIS):
            audit_changes["confirmed_tier"] = [claim.confirmed_tier, None]
            claim.confirmed_tier, claim.confirmed_by, claim.confirmed_on = None, None, None
            fields += ["confirmed_tier", "confirmed_by", "confirmed_on"]
        version = claim.version if expected_version is None else expected_version
        save_versioned(claim, fields=fields, expected_version=version)
        _audit(actor, UPDATE, claim, audit_changes)
    return claim


def evidence_delete(*, actor: Any, claim: EvidenceClaim) -> None:
    """Delete a claim, unless an application that is no longer a draft cites it."""
    _require_edit(actor, claim.partner)
    cited = (
        Application.objects.filter(evidence=claim)
        .exclude(status=Application.Status.DRAFT)
        .select_related("cycle")
        .first()
    )
    if cited is not None:
        raise ValidationError(
            f"This claim is part of the application to “{cited.cycle.name}” "
            f"({cited.get_status_display().lower()}), and reviewers must see what was "
            "submitted; add a corrected claim instead of deleting this one."
        )
    with transaction.atomic():
        label, text = claim._meta.label, str(claim)
        before = snapshot(claim, EVIDENCE_FIELDS)
        claim.delete()
        _audit(actor, DELETE, None, before, deleted=(label, text))


def evidence_confirm(
    *,
    actor: Any,
    claim: EvidenceClaim,
    confirmed_tier: int | str | None,
    expected_version: int | None = None,
    on: dt.date | None = None,
) -> EvidenceClaim:
    """Record the state's confirmed tier (``None`` clears it), by whom and when."""
    found = _partner_access(actor, claim.partner)
    if found is not None and not found.can_confirm_evidence:
        raise PermissionDenied("Only state administrators and staff confirm evidence tiers.")
    tier: int | None = None
    if confirmed_tier is not None and confirmed_tier != "":
        tier, error = _tier(confirmed_tier)
        if error:
            raise ValidationError({"confirmed_tier": error})
        assert tier is not None
        errors = _tier_basis_errors(
            tier,
            design=claim.design,
            citation=claim.study_citation,
            field_prefix="confirmed_tier",
            verb="confirmation",
        )
        if errors:
            raise ValidationError(errors)
    day = (on or timezone.localdate()) if tier is not None else None
    by = actor if (tier is not None and getattr(actor, "is_authenticated", False)) else None
    with transaction.atomic():
        before = claim.confirmed_tier
        claim.confirmed_tier, claim.confirmed_by, claim.confirmed_on = tier, by, day
        version = claim.version if expected_version is None else expected_version
        save_versioned(
            claim,
            fields=["confirmed_tier", "confirmed_by", "confirmed_on"],
            expected_version=version,
        )
        _audit(
            actor,
            UPDATE,
            claim,
            {"confirmed_tier": [before, tier], "confirmed_on": day.isoformat() if day else None},
        )
    return claim


# ---------------------------------------------------------------------------------------------
# Reads: the registry list, its export and the public directory


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class RegistryFilters:
    """The registry's filters: name text, need area, grade band, evidence tier (the best
    effective tier is this tier or stronger) and Priority Partners only."""

    q: str = ""
    need_area: str = ""
    grade_band: str = ""
    tier: int | None = None
    priority_only: bool = False

    @classmethod
    def parse(cls, params: Any) -> tuple[RegistryFilters, dict[str, str]]:
        """The filters that are valid, and the reason for each parameter that is not."""
        get = params.get
        errors: dict[str, str] = {}
        q = " ".join(str(get("q") or "").split())[:100]
        area = str(get("need_area") or "").strip()
        if area and area not in NeedArea.values:
            errors["need_area"] = f"unknown need area {area!r}; allowed: " + ", ".join(
                NeedArea.values
            )
            area = ""
        band = str(get("grade_band") or "").strip()
        if band and band not in GradeBand.values:
            errors["grade_band"] = f"unknown grade band {band!r}; allowed: " + ", ".join(
                GradeBand.values
            )
            band = ""
        tier_raw = str(get("tier") or "").strip()
        tier: int | None = None
        if tier_raw:
            if tier_raw in {"1", "2", "3", "4"}:
                tier = int(tier_raw)
            else:
                errors["tier"] = f"unknown evidence tier {tier_raw!r}; allowed: 1, 2, 3, 4"
        priority_raw = str(get("priority") or "").strip().lower()
        if priority_raw not in _TRUE | _FALSE:
            errors["priority"] = f"must be true or false, not {priority_raw!r}"
        return (
            cls(
                q=q,
                need_area=area,
                grade_band=band,
                tier=tier,
                priority_only=priority_raw in _TRUE,
            ),
            errors,
        )

    @classmethod
    def from_params(cls, params: Any) -> RegistryFilters:
        """Parse query parameters; ``FilterError`` names each bad one."""
        filters, errors = cls.parse(params)
        if errors:
            raise FilterError(errors)
        return filters

    def as_query(self) -> dict[str, str]:
        """The non-empty filters as query parameters (for pagination and export links)."""
        out = {
            "q": self.q,
            "need_area": self.need_area,
            "grade_band": self.grade_band,
            "tier": str(self.tier) if self.tier else "",
            "priority": "1" if self.priority_only else "",
        }
        return {k: v for k, v in out.items() if v}


def viewer_states(user: Any) -> list[State]:
    """The states whose designations the registry shows the user: those they hold a role in,
    or where their district or school is. Partner staff (and anyone else reaching no state) see
    designations in every state."""
    if user is None:
        return list(State.objects.all())
    reach = get_reach(user)
    ids = set(reach.state_ids)
    ids |= set(
        District.objects.filter(pk__in=reach.district_ids).values_list("state_id", flat=True)
    )
    ids |= set(
        School.objects.filter(pk__in=reach.school_ids).values_list("district__state_id", flat=True)
    )
    states = State.objects.filter(pk__in=ids) if ids else State.objects.all()
    return list(states.order_by("code"))


def _in_force(states: Sequence[State]) -> QuerySet[PriorityDesignation]:
    qs = PriorityDesignation.objects.none()
    for state in states:
        qs = qs | access.designations_in_force(state)
    return qs


def partner_search(
    base: QuerySet[PartnerOrganization], filters: RegistryFilters, *, states: Sequence[State]
) -> QuerySet[PartnerOrganization]:
    """``base`` filtered, by name, with ``best_tier`` (the best effective tier of its claims)
    and ``designations_in_force`` (in ``states``) and ``services`` prefetched."""
    best = (
        EvidenceClaim.objects.filter(partner=OuterRef("pk"))
        .annotate(effective=Coalesce("confirmed_tier", "tier"))
        .values("partner")
        .annotate(best=Min("effective"))
        .values("best")[:1]
    )
    qs = base.annotate(best_tier=Subquery(best))
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.need_area:
        qs = qs.filter(
            pk__in=ServiceOffering.objects.filter(need_area=filters.need_area).values("partner_id")
        )
    if filters.grade_band:
        # The stored list is JSON text on every backend: match the quoted code.
        qs = qs.filter(grade_bands__icontains=f'"{filters.grade_band}"')
    if filters.tier is not None:
        qs = qs.filter(best_tier__lte=filters.tier)
    in_force = _in_force(states)
    if filters.priority_only:
        qs = qs.filter(pk__in=in_force.values("partner_id"))
    return qs.order_by("name", "pk").prefetch_related(
        Prefetch(
            "designations",
            queryset=in_force.select_related("state").order_by("state__code", "need_area"),
            to_attr="designations_in_force",
        ),
        Prefetch("services", queryset=ServiceOffering.objects.order_by("need_area")),
    )


@dataclass(frozen=True)
class RegistryRow:
    partner: PartnerOrganization
    need_areas: list[str]
    best_tier: int | None
    designations: list[PriorityDesignation]

    @property
    def need_area_labels(self) -> list[str]:
        return [area_label(a) for a in self.need_areas]

    @property
    def grade_band_labels(self) -> list[str]:
        return grade_band_labels(self.partner.grade_bands)

    @property
    def best_tier_label(self) -> str:
        return tier_label(self.best_tier)

    @property
    def is_priority(self) -> bool:
        return bool(self.designations)

    @property
    def is_starred(self) -> bool:
        return any(d.is_starred for d in self.designations)

    @property
    def status_label(self) -> str:
        if self.is_starred:
            return "Priority Partner, evidence-based (ESSA tier 1–3)"
        if self.is_priority:
            return "Priority Partner"
        return "Not a Priority Partner"

    @property
    def designation_lines(self) -> list[str]:
        return [designation_line(d) for d in self.designations]


def grade_band_labels(codes: Iterable[str]) -> list[str]:
    labels = dict(GradeBand.choices)
    return [str(labels.get(code, code)) for code in codes]


def designation_line(d: PriorityDesignation) -> str:
    star = " ★ evidence-based" if d.is_starred else ""
    return f"{d.get_need_area_display()} ({d.state.code}, until {d.expires_on:%d %b %Y}){star}"


def registry_rows(partners: Iterable[PartnerOrganization]) -> list[RegistryRow]:
    """Rows of partners from ``partner_search`` (which prefetched what the rows need)."""
    return [
        RegistryRow(
            partner=p,
            need_areas=[s.need_area for s in p.services.all()],
            best_tier=getattr(p, "best_tier", None),
            designations=list(getattr(p, "designations_in_force", [])),
        )
        for p in partners
    ]


REGISTRY_HEADER = (
    "Name",
    "Website",
    "Need areas",
    "Grade bands",
    "Regions",
    "Cost model",
    "Best evidence tier",
    "Priority Partner status",
    "Priority Partner designations in force",
)


def registry_table(rows: Iterable[RegistryRow]) -> tuple[tuple[str, ...], list[list[Any]]]:
    """The header and rows of the registry export (page, CLI)."""
    costs = dict(CostModel.choices)
    out = [
        [
            r.partner.name,
            r.partner.website,
            "; ".join(r.need_area_labels),
            "; ".join(r.grade_band_labels),
            "; ".join(r.partner.regions),
            str(costs.get(r.partner.cost_model, r.partner.cost_model)),
            r.best_tier_label if r.best_tier is not None else "",
            r.status_label,
            "; ".join(r.designation_lines),
        ]
        for r in rows
    ]
    return REGISTRY_HEADER, out


@dataclass(frozen=True)
class DirectoryEntry:
    """One partner of the public directory: designations in force in the state, services in
    those areas, and the primary contact's name and email (never a phone number)."""

    partner: PartnerOrganization
    designations: list[PriorityDesignation]
    services: list[ServiceOffering]
    contact_name: str = ""
    contact_email: str = ""
    areas: list[str] = field(default_factory=list)

    @property
    def is_starred(self) -> bool:
        return any(d.is_starred for d in self.designations)


def directory_entries(
    state: State, *, need_area: str = "", partner_id: int | None = None
) -> list[DirectoryEntry]:
    """The public directory of ``state`` (``access.directory_partners``), by name."""
    in_force = access.designations_in_force(state).order_by("need_area")
    partners = access.directory_partners(state)
    if need_area:
        partners = partners.filter(pk__in=in_force.filter(need_area=need_area).values("partner"))
    if partner_id is not None:
        partners = partners.filter(pk=partner_id)
    partners = partners.order_by("name", "pk").prefetch_related(
        Prefetch("designations", queryset=in_force, to_attr="designations_in_force"),
        Prefetch("services", queryset=ServiceOffering.objects.order_by("need_area")),
        Prefetch("contacts", queryset=PartnerContact.objects.order_by("-is_primary", "name", "pk")),
    )
    entries = []
    for p in partners:
        designations = list(p.designations_in_force)  # type: ignore[attr-defined]
        areas = list(dict.fromkeys(d.need_area for d in designations))
        contacts = list(p.contacts.all())
        contact = contacts[0] if contacts else None
        entries.append(
            DirectoryEntry(
                partner=p,
                designations=designations,
                services=[s for s in p.services.all() if s.need_area in areas],
                contact_name=contact.name if contact else "",
                contact_email=contact.email if contact else "",
                areas=areas,
            )
        )
    return entries
