"""Prioritised next steps: proposing them from the ratings, editing, ordering and agreeing them.

``propose_priorities`` is a pure function of the ratings (plain data in, plain data out):

1. candidates are the rated indicators below the top level, except those the team marked "not a
   priority" (an indicator that is not rated has no evidence behind it and is never proposed);
2. they are ordered by consensus level, lowest first; among equal levels, KEY (high-leverage)
   indicators come first, then indicators whose practice has more *low* indicators (at or below
   the middle of the scale: No evidence or Developing on the four-level continuum), then the
   framework's order;
3. at most ``max_per_practice`` come from one practice while other practices still have
   candidates (priorities should be a few *areas*, reference §3), and at most ``limit`` in all
   (product default 4).

Each proposal carries a "why" built from the rating and its rationale ("TP2.3 rated Developing:
common assessments are not used to regroup students.") and suggested actions from the descriptor of
the next level up and the indicator's look-fors.

The services (``priorities_propose``, ``priority_save``, ``priority_reorder``, ``priority_delete``,
``priorities_agree``) check who may edit (``priorities_editable``), validate, write inside one
transaction with an audit event per change, and refuse stale edits (``save_versioned``).
``priorities_for_plan`` hands a plan everything it needs to take a priority as an objective.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max

from turnaround.assessments.access import AssessmentAccess, get_assessment_for_user
from turnaround.assessments.models import Assessment, ConsensusRating, Priority, TeamMember
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, model_changes, snapshot
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.frameworks.models import Indicator, IndicatorDescriptor, Practice, ScaleLevel

DEFAULT_LIMIT = 4
DEFAULT_MAX_PER_PRACTICE = 2
EDITABLE_FIELDS = (
    "practice_id",
    "indicator_id",
    "title",
    "why",
    "suggested_actions",
    "owner",
    "due_date",
    "status",
)
_RENUMBER_OFFSET = 10000


def max_priorities() -> int:
    """How many priorities an assessment may hold (reference §3: product default 4)."""
    return int(getattr(settings, "ASSESSMENT_MAX_PRIORITIES", DEFAULT_LIMIT))


# ---------------------------------------------------------------------------------------------
# The proposal (pure)


@dataclass(frozen=True)
class RatedIndicator:
    """One indicator's consensus rating with what a proposal needs to explain itself."""

    indicator_id: int
    code: str
    text: str
    practice_id: int
    practice_code: str
    practice_name: str
    position: int
    is_key: bool
    level: int | None
    level_label: str
    rationale: str = ""
    not_priority: bool = False
    next_level_label: str = ""
    next_descriptor: str = ""
    look_fors: str = ""


@dataclass(frozen=True)
class ProposedPriority:
    indicator_id: int
    practice_id: int
    code: str
    practice_code: str
    level: int
    is_key: bool
    title: str
    why: str
    suggested_actions: str


def _clause(text: str) -> str:
    """The first sentence of a rationale, ready to follow a colon."""
    text = " ".join(text.split())
    if not text:
        return ""
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".!? ")
    if len(first) > 1 and first[0].isupper() and not first[1].isupper():
        first = first[0].lower() + first[1:]
    return first


def _title(code: str, text: str, limit: int = 140) -> str:
    text = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].rstrip(".")
    title = f"{code}: {first}"
    if len(title) > limit:
        title = title[: limit - 1].rsplit(" ", 1)[0] + "…"
    return title


def propose_priorities(
    ratings: Sequence[RatedIndicator],
    *,
    top_level: int,
    low_label: str = "",
    limit: int = DEFAULT_LIMIT,
    max_per_practice: int | None = DEFAULT_MAX_PER_PRACTICE,
    exclude_indicator_ids: frozenset[int] = frozenset(),
) -> list[ProposedPriority]:
    """Rank the rated indicators into at most ``limit`` proposed priorities.

    Parameters
    ----------
    ratings
        One entry per indicator of the assessment (not-rated ones included or not; they are
        skipped).
    top_level
        The scale's highest code; indicators already there are never proposed.
    low_label
        The label of the highest *low* level (used in the "why" text), e.g. "Developing".
    limit
        How many to propose.
    max_per_practice
        At most this many from one practice while others still have candidates; None for no cap.
    exclude_indicator_ids
        Indicators that already have a priority.
    """
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")
    if max_per_practice is not None and max_per_practice < 1:
        raise ValueError(f"max_per_practice must be at least 1 or None, got {max_per_practice}")
    low_level = (top_level - 1) // 2
    rated = [r for r in ratings if r.level is not None]
    low_counts = Counter(
        r.practice_id for r in rated if r.level is not None and r.level <= low_level
    )
    rated_counts = Counter(r.practice_id for r in rated)
    candidates = [
        r
        for r in rated
        if r.level is not None
        and r.level < top_level
        and not r.not_priority
        and r.indicator_id not in exclude_indicator_ids
    ]

    def key(r: RatedIndicator) -> tuple[int, int, int, int, str]:
        return (
            int(r.level or 0),
            0 if r.is_key else 1,
            -low_counts[r.practice_id],
            r.position,
            r.code,
        )

    candidates.sort(key=key)
    chosen: list[RatedIndicator] = []
    per_practice: Counter[int] = Counter()
    for r in candidates:
        if len(chosen) >= limit:
            break
        if max_per_practice is not None and per_practice[r.practice_id] >= max_per_practice:
            continue
        chosen.append(r)
        per_practice[r.practice_id] += 1
    if len(chosen) < limit:  # too few practices to honour the cap: fill in order
        for r in candidates:
            if len(chosen) >= limit:
                break
            if r not in chosen:
                chosen.append(r)
    chosen.sort(key=key)

    out = []
    for r in chosen:
        clause = _clause(r.rationale)
        why = f"{r.code} rated {r.level_label}" + (f": {clause}." if clause else ".")
        if r.is_key:
            why += " It is a KEY (high-leverage) indicator."
        low_here = low_counts[r.practice_id]
        if low_here >= 2:
            why += (
                f" {low_here} of the {rated_counts[r.practice_id]} rated indicators in "
                f"{r.practice_code} ({r.practice_name}) are at {low_label or 'the low levels'} "
                "or below."
            )
        actions = []
        if r.next_level_label:
            step = f"Work towards {r.next_level_label}"
            actions.append(f"{step}: {r.next_descriptor.strip()}" if r.next_descriptor else step)
        if r.look_fors.strip():
            actions.append(f"Evidence to look for: {' '.join(r.look_fors.split())}")
        out.append(
            ProposedPriority(
                indicator_id=r.indicator_id,
                practice_id=r.practice_id,
                code=r.code,
                practice_code=r.practice_code,
                level=int(r.level or 0),
                is_key=r.is_key,
                title=_title(r.code, r.text),
                why=why,
                suggested_actions="\n".join(actions),
            )
        )
    return out


def rated_indicators(assessment: Assessment) -> tuple[list[RatedIndicator], int, str]:
    """The assessment's ratings as proposal input, with the scale's top code and low label."""
    version = assessment.framework_version
    levels = dict(ScaleLevel.objects.filter(scale_id=version.scale_id).values_list("code", "label"))
    top = max(levels) if levels else 0
    low_label = levels.get((top - 1) // 2, "")
    ratings = {r.indicator_id: r for r in ConsensusRating.objects.filter(assessment=assessment)}
    descriptors = {
        (d.indicator_id, d.level_code): d.text
        for d in IndicatorDescriptor.objects.filter(indicator__framework_version=version)
    }
    rows = []
    indicators = (
        Indicator.objects.filter(framework_version=version)
        .select_related("component__practice")
        .order_by("component__practice__position", "component__position", "position", "code")
    )
    for position, ind in enumerate(indicators):
        rating = ratings.get(ind.pk)
        level = rating.level if rating is not None else None
        practice = ind.component.practice
        next_level = None if level is None else level + 1
        rows.append(
            RatedIndicator(
                indicator_id=ind.pk,
                code=ind.code,
                text=ind.text,
                practice_id=practice.pk,
                practice_code=practice.code,
                practice_name=practice.name,
                position=position,
                is_key=ind.is_key,
                level=level,
                level_label=levels.get(level, "") if level is not None else "",
                rationale=rating.rationale if rating is not None else "",
                not_priority=bool(rating and rating.not_priority),
                next_level_label=levels.get(next_level, "") if next_level is not None else "",
                next_descriptor=descriptors.get((ind.pk, next_level), "")
                if next_level is not None
                else "",
                look_fors=ind.look_fors,
            )
        )
    return rows, top, low_label


# ---------------------------------------------------------------------------------------------
# Who may edit


def priorities_editable(access: AssessmentAccess) -> bool:
    """Lead and state staff at any time; the assessed school (or district) and its team seat in
    the prioritisation session, once the report is final. A self-assessment's team always."""
    a = access.assessment
    if access.is_state_staff or access.seat == TeamMember.Role.LEAD:
        return True
    if a.kind == Assessment.Kind.SELF:
        return access.is_subject or access.seat != ""
    return a.is_locked and (access.is_subject or access.seat == TeamMember.Role.SCHOOL_TEAM)


class PriorityEditRefused(PermissionDenied):
    """The actor may see the assessment but not change its priorities."""


def _authorise(actor: Any, assessment: Assessment) -> AssessmentAccess:
    access = get_assessment_for_user(actor, assessment.pk)
    if not priorities_editable(access):
        raise PriorityEditRefused("You cannot change the priorities of this assessment.")
    return access


def _state_id(assessment: Assessment) -> int | None:
    if assessment.school_id is not None:
        return assessment.school.district.state_id
    if assessment.district_id is not None:
        return assessment.district.state_id
    return None


def _lock(assessment: Assessment) -> None:
    """Serialise priority writes on one assessment (ranks are unique)."""
    Assessment.objects.select_for_update().filter(pk=assessment.pk).values_list("pk").first()


def _renumber(assessment: Assessment, ordered_ids: Sequence[int]) -> None:
    """Give ``ordered_ids`` ranks 1…n without tripping the unique (assessment, rank)."""
    qs = Priority.objects.filter(assessment=assessment)
    qs.update(rank=F("rank") + _RENUMBER_OFFSET)
    for rank, pk in enumerate(ordered_ids, start=1):
        Priority.objects.filter(pk=pk).update(rank=rank)


# ---------------------------------------------------------------------------------------------
# Services


def priorities_propose(
    *, assessment: Assessment, actor: Any, limit: int | None = None
) -> list[Priority]:
    """Replace the proposed (not yet agreed) priorities with a fresh proposal from the ratings.

    Agreed priorities and those taken into the plan stay, first, in their order; the proposal
    fills the remaining places up to ``limit`` (default ``max_priorities()``) with indicators that
    have no priority yet. Returns all priorities in rank order.
    """
    _authorise(actor, assessment)
    limit = max_priorities() if limit is None else limit
    state_id = _state_id(assessment)
    with transaction.atomic():
        _lock(assessment)
        existing = list(Priority.objects.filter(assessment=assessment).order_by("rank"))
        kept = [p for p in existing if p.status != Priority.Status.PROPOSED]
        for p in existing:
            if p.status == Priority.Status.PROPOSED:
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.DELETE,
                    obj=p,
                    state_id=state_id,
                    changes={"replaced_by_proposal": True, "title": p.title},
                )
                p.delete()
        _renumber(assessment, [p.pk for p in kept])
        rows, top, low_label = rated_indicators(assessment)
        proposals = propose_priorities(
            rows,
            top_level=top,
            low_label=low_label,
            limit=max(0, limit - len(kept)),
            exclude_indicator_ids=frozenset(p.indicator_id for p in kept if p.indicator_id),
        )
        for rank, proposal in enumerate(proposals, start=len(kept) + 1):
            priority = Priority.objects.create(
                assessment=assessment,
                rank=rank,
                practice_id=proposal.practice_id,
                indicator_id=proposal.indicator_id,
                title=proposal.title,
                why=proposal.why,
                suggested_actions=proposal.suggested_actions,
            )
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=priority,
                state_id=state_id,
                changes={"proposed": proposal.code, "rank": rank},
            )
    return list(
        Priority.objects.filter(assessment=assessment)
        .select_related("practice", "indicator")
        .order_by("rank")
    )


def _clean(assessment: Assessment, data: Mapping[str, Any], current: Priority | None) -> dict:
    """Validate the editable fields; returns attname → value for the fields given."""
    unknown = set(data) - {f.removesuffix("_id") for f in EDITABLE_FIELDS} - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "this field cannot be changed here"))
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    version_id = assessment.framework_version_id

    def get(name: str) -> Any:
        if name in data:
            return data[name]
        return data.get(f"{name}_id", ...)

    practice_raw, indicator_raw = get("practice"), get("indicator")
    practice = None
    if practice_raw is not ... and practice_raw not in (None, ""):
        pid = practice_raw.pk if isinstance(practice_raw, Practice) else practice_raw
        practice = Practice.objects.filter(pk=pid, framework_version_id=version_id).first()
        if practice is None:
            errors["practice"] = "choose a practice of this assessment's framework"
    if indicator_raw is not ...:
        if indicator_raw in (None, ""):
            out["indicator_id"] = None
        else:
            iid = indicator_raw.pk if isinstance(indicator_raw, Indicator) else indicator_raw
            indicator = (
                Indicator.objects.select_related("component")
                .filter(pk=iid, framework_version_id=version_id)
                .first()
            )
            if indicator is None:
                errors["indicator"] = "choose an indicator of this assessment's framework"
            else:
                out["indicator_id"] = indicator.pk
                if practice is None and "practice" not in errors:
                    practice = Practice.objects.get(pk=indicator.component.practice_id)
                elif practice is not None and indicator.component.practice_id != practice.pk:
                    errors["indicator"] = f"this indicator is not part of {practice.code}"
    if practice is not None:
        out["practice_id"] = practice.pk
    elif current is None and "practice" not in errors:
        errors["practice"] = "choose a practice (or an indicator)"
    limits = {"title": 300, "why": None, "suggested_actions": None, "owner": 200}
    for name, max_len in limits.items():
        if name in data:
            raw = str(data[name] or "")
            # one-line fields collapse their whitespace; the long texts keep their lines
            value = " ".join(raw.split()) if name in ("title", "owner") else raw.strip()
            if name in ("title", "why") and not value:
                errors[name] = "this field is required"
            elif max_len is not None and len(value) > max_len:
                errors[name] = f"at most {max_len} characters"
            out[name] = value
        elif current is None and name in ("title", "why"):
            errors[name] = "this field is required"
    if "due_date" in data:
        value = data["due_date"]
        if value in ("", None):
            out["due_date"] = None
        else:
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    errors["due_date"] = "a date as YYYY-MM-DD"
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                errors.setdefault("due_date", "a date as YYYY-MM-DD")
            else:
                out["due_date"] = value
    if "status" in data:
        status = data["status"]
        if status not in Priority.Status.values:
            errors["status"] = "unknown status; allowed: " + ", ".join(Priority.Status.values)
        elif (
            status != Priority.Status.PROPOSED
            and not assessment.is_locked
            and assessment.kind == Assessment.Kind.SITE_VISIT
        ):
            errors["status"] = "priorities are agreed with the school once the report is final"
        else:
            out["status"] = status
    if errors:
        raise ValidationError(errors)
    return out


def priority_save(
    *,
    actor: Any,
    assessment: Assessment,
    data: Mapping[str, Any],
    priority: Priority | None = None,
    expected_version: int | None = None,
) -> Priority:
    """Create a priority (``priority`` None; ranked last) or change one.

    ``data`` holds any of: practice, indicator (ids or objects; the practice follows from the
    indicator), title, why, suggested_actions, owner, due_date, status. A change needs
    ``expected_version`` (the version the editor loaded): a stale one raises StaleEditError.
    A priority taken into the plan is changed in the plan, not here.
    """
    _authorise(actor, assessment)
    state_id = _state_id(assessment)
    if priority is not None and priority.assessment_id != assessment.pk:
        raise ValidationError("This priority belongs to another assessment.")
    if priority is not None and priority.status == Priority.Status.IN_PLAN:
        raise ValidationError("This priority is in the plan now; change it there.")
    values = _clean(assessment, data, priority)
    with transaction.atomic():
        _lock(assessment)
        if priority is None:
            count = Priority.objects.filter(assessment=assessment).count()
            if count >= max_priorities():
                raise ValidationError(
                    f"An assessment holds at most {max_priorities()} priorities; remove one first."
                )
            top = Priority.objects.filter(assessment=assessment).aggregate(m=Max("rank"))["m"]
            priority = Priority(assessment=assessment, rank=(top or 0) + 1, **values)
            priority.full_clean(exclude=["assessment", "practice", "indicator"])
            priority.save()
            audit_record(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=priority,
                state_id=state_id,
                changes=snapshot(priority, ["rank", *EDITABLE_FIELDS]),
            )
            return priority
        if expected_version is None:
            raise ValidationError({"version": "give the version you edited"})
        before = snapshot(priority, EDITABLE_FIELDS)
        for name, value in values.items():
            setattr(priority, name, value)
        diff = model_changes(before, snapshot(priority, EDITABLE_FIELDS))
        if not diff:
            if priority.version != expected_version:
                raise StaleEditError(priority)
            return priority
        save_versioned(priority, fields=list(diff), expected_version=expected_version)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=priority,
            state_id=state_id,
            changes=diff,
        )
    return priority


def priority_reorder(
    *,
    actor: Any,
    assessment: Assessment,
    order: Sequence[int],
    expected_versions: Mapping[int, int] | None = None,
) -> list[Priority]:
    """Put the assessment's priorities in ``order`` (every priority id, once).

    With ``expected_versions`` ({id: version}) a priority changed since the editor loaded it
    raises StaleEditError and nothing moves.
    """
    _authorise(actor, assessment)
    state_id = _state_id(assessment)
    with transaction.atomic():
        _lock(assessment)
        current = {p.pk: p for p in Priority.objects.filter(assessment=assessment)}
        order = [int(pk) for pk in order]
        if sorted(order) != sorted(current) or len(set(order)) != len(order):
            raise ValidationError({"order": "list every priority of this assessment exactly once"})
        for pk, version in (expected_versions or {}).items():
            if pk in current and current[pk].version != version:
                raise StaleEditError(current[pk])
        Priority.objects.filter(assessment=assessment).update(rank=F("rank") + _RENUMBER_OFFSET)
        for rank, pk in enumerate(order, start=1):
            p = current[pk]
            old_rank = p.rank
            p.rank = rank
            save_versioned(p, fields=["rank"], expected_version=p.version)
            if old_rank != rank:
                audit_record(
                    actor=actor,
                    action=AuditEvent.Action.UPDATE,
                    obj=p,
                    state_id=state_id,
                    changes={"rank": [old_rank, rank]},
                )
    return list(Priority.objects.filter(assessment=assessment).order_by("rank"))


def priority_move(
    *, actor: Any, priority: Priority, direction: str, expected_version: int
) -> list[Priority]:
    """Move one priority up or down a place (the page's buttons)."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "up or down"})
    ids = list(
        Priority.objects.filter(assessment_id=priority.assessment_id)
        .order_by("rank")
        .values_list("pk", flat=True)
    )
    i = ids.index(priority.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return priority_reorder(
        actor=actor,
        assessment=priority.assessment,
        order=ids,
        expected_versions={priority.pk: expected_version},
    )


def priority_delete(*, actor: Any, priority: Priority, expected_version: int) -> None:
    """Remove a priority (not one taken into the plan) and close the gap in the ranks."""
    assessment = priority.assessment
    _authorise(actor, assessment)
    if priority.status == Priority.Status.IN_PLAN:
        raise ValidationError("This priority is in the plan now; remove it there first.")
    with transaction.atomic():
        _lock(assessment)
        deleted, _ = Priority.objects.filter(pk=priority.pk, version=expected_version).delete()
        if deleted != 1:
            raise StaleEditError(priority)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.DELETE,
            obj=priority,
            state_id=_state_id(assessment),
            changes=snapshot(priority, ["rank", *EDITABLE_FIELDS]),
        )
        rest = Priority.objects.filter(assessment=assessment).order_by("rank")
        _renumber(assessment, list(rest.values_list("pk", flat=True)))


def priorities_agree(*, actor: Any, assessment: Assessment) -> int:
    """Mark every proposed priority as agreed with the school (the prioritisation session).
    Returns how many changed."""
    _authorise(actor, assessment)
    if not assessment.is_locked and assessment.kind == Assessment.Kind.SITE_VISIT:
        raise ValidationError("Priorities are agreed with the school once the report is final.")
    state_id = _state_id(assessment)
    with transaction.atomic():
        _lock(assessment)
        proposed = list(
            Priority.objects.filter(assessment=assessment, status=Priority.Status.PROPOSED)
        )
        for p in proposed:
            p.status = Priority.Status.AGREED
            save_versioned(p, fields=["status"], expected_version=p.version)
            audit_record(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=p,
                state_id=state_id,
                changes={"status": [Priority.Status.PROPOSED, Priority.Status.AGREED]},
            )
    return len(proposed)


# ---------------------------------------------------------------------------------------------
# For plans


def priorities_for_plan(assessment: Assessment, *, agreed_only: bool = False) -> list[dict]:
    """Each priority with everything a plan needs to take it as an objective, in rank order.

    Keys: id, version, rank, status, title, why, suggested_actions, owner, due_date, practice
    {id, code, name}, indicator {id, code, text} or None, assessment {id, title, school_year,
    school_id, district_id, framework_version_id}. ``agreed_only`` leaves out proposals.
    """
    qs = Priority.objects.filter(assessment=assessment).select_related("practice", "indicator")
    if agreed_only:
        qs = qs.exclude(status=Priority.Status.PROPOSED)
    source = {
        "id": assessment.pk,
        "title": assessment.title,
        "school_year": assessment.school_year,
        "school_id": assessment.school_id,
        "district_id": assessment.district_id,
        "framework_version_id": assessment.framework_version_id,
    }
    return [
        {
            "id": p.pk,
            "version": p.version,
            "rank": p.rank,
            "status": p.status,
            "title": p.title,
            "why": p.why,
            "suggested_actions": p.suggested_actions,
            "owner": p.owner,
            "due_date": p.due_date,
            "practice": {"id": p.practice.pk, "code": p.practice.code, "name": p.practice.name},
            "indicator": None
            if p.indicator is None
            else {"id": p.indicator.pk, "code": p.indicator.code, "text": p.indicator.text},
            "assessment": source,
        }
        for p in qs.order_by("rank")
    ]
