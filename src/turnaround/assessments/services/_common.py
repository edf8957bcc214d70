"""What every assessment service shares: who may act, the lock after finalising, the audit entry,
and the checks of indicators, levels and evidence against the assessment's framework version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone

from turnaround.assessments.access import AssessmentAccess, get_assessment_for_user
from turnaround.assessments.models import Assessment, Evidence
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, snapshot
from turnaround.core.concurrency import save_versioned
from turnaround.frameworks.models import FrameworkVersion, Indicator, Practice


class AssessmentLockedError(Exception):
    """An ordinary edit of a finalised assessment: only an amendment with a reason may change it."""

    def __init__(self, assessment: Assessment) -> None:
        self.assessment = assessment
        super().__init__(locked_message(assessment))


def kind_noun(assessment: Assessment) -> str:
    return "site visit" if assessment.kind == Assessment.Kind.SITE_VISIT else "self-assessment"


def long_date(value: Any) -> str:
    """``14 May 2026`` (no platform-specific strftime flags)."""
    return f"{value.day} {value:%B %Y}"


def locked_message(assessment: Assessment) -> str:
    when = assessment.finalised_at
    day = long_date(timezone.localtime(when)) if when is not None else "an earlier date"
    return f"This {kind_noun(assessment)} was finalised on {day}; amend it with a reason."


def state_id_of(assessment: Assessment) -> int:
    if assessment.school_id is not None:
        return assessment.school.district.state_id
    return assessment.district.state_id


def access_of(actor: Any, assessment: Assessment | int) -> AssessmentAccess:
    """The actor's access to the stored assessment (read fresh, so status and version are current).

    Raises ``PermissionDenied`` when the actor cannot see it at all.
    """
    pk = assessment if isinstance(assessment, int) else assessment.pk
    try:
        return get_assessment_for_user(actor, pk)
    except Http404 as exc:
        raise PermissionDenied("You cannot see this assessment.") from exc


def refuse_if_locked(assessment: Assessment) -> None:
    if assessment.is_locked:
        raise AssessmentLockedError(assessment)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_status(assessment: Assessment, allowed: Sequence[str], action: str) -> None:
    if assessment.status not in allowed:
        names = " or ".join(str(Assessment.Status(s).label).lower() for s in allowed)
        raise ValidationError(
            f"You can {action} only while the {kind_noun(assessment)} is at “{names}”; "
            f"it is at “{assessment.get_status_display().lower()}”."
        )


def audit(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    assessment: Assessment,
    changes: dict[str, Any] | None = None,
) -> None:
    audit_record(
        actor=actor, action=action, obj=obj, state_id=state_id_of(assessment), changes=changes
    )


CREATE, UPDATE, DELETE = (
    AuditEvent.Action.CREATE,
    AuditEvent.Action.UPDATE,
    AuditEvent.Action.DELETE,
)


def plain_snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """``audit.snapshot`` that also renders times of day as text (JSON-ready)."""
    values = snapshot(obj, fields)
    return {k: v.isoformat() if isinstance(v, dt.time) else v for k, v in values.items()}


def save_fields(obj: models.Model, *, fields: list[str], expected_version: int | None) -> None:
    """Conditional update of ``fields``; ``expected_version=None`` means "the version I loaded"."""
    if hasattr(obj, "updated_at") and "updated_at" not in fields:
        obj.updated_at = timezone.now()  # type: ignore[attr-defined]
        fields = [*fields, "updated_at"]
    expected = obj.version if expected_version is None else expected_version  # type: ignore[attr-defined]
    save_versioned(obj, fields=fields, expected_version=expected)


def version_label(version: FrameworkVersion) -> str:
    return f"{version.framework.name} v{version.number}"


def indicator_of(version: FrameworkVersion, code: str | Indicator) -> Indicator:
    """The indicator with ``code`` in ``version``; refuses one of another framework version."""
    if isinstance(code, Indicator):
        if code.framework_version_id == version.pk:
            return code
        code = code.code
    found = Indicator.objects.filter(framework_version=version, code=code).first()
    if found is None:
        raise ValidationError(
            {"indicator": f"{code} is not an indicator of {version_label(version)}."}
        )
    return found


def indicators_of(version: FrameworkVersion, codes: Iterable[str]) -> list[Indicator]:
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    found = {
        i.code: i for i in Indicator.objects.filter(framework_version=version, code__in=wanted)
    }
    unknown = [c for c in wanted if c not in found]
    if unknown:
        label = version_label(version)
        raise ValidationError(
            {"indicators": [f"{c} is not an indicator of {label}." for c in unknown]}
        )
    return [found[c] for c in wanted]


def practice_of(version: FrameworkVersion, code: str | Practice) -> Practice:
    if isinstance(code, Practice):
        if code.framework_version_id == version.pk:
            return code
        code = code.code
    found = Practice.objects.filter(framework_version=version, code=code).first()
    if found is None:
        raise ValidationError(
            {"practice": f"{code} is not a practice of {version_label(version)}."}
        )
    return found


def check_level(version: FrameworkVersion, level: int | None) -> None:
    """A level is a code of the version's scale, or ``None`` for "not rated"."""
    if level is None:
        return
    levels = list(version.scale.levels.order_by("code").values_list("code", "label"))
    if level not in {code for code, _ in levels}:
        allowed = ", ".join(f"{code} {label}" for code, label in levels)
        raise ValidationError(
            {
                "level": f"{level} is not a level of the scale “{version.scale.name}”; "
                f"choose one of {allowed}, or not rated."
            }
        )


def evidence_items(assessment: Assessment, ids: Iterable[int]) -> list[Evidence]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    found = {e.pk: e for e in Evidence.objects.filter(assessment=assessment, pk__in=wanted)}
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise ValidationError(
            {
                "evidence": [
                    f"Evidence #{i} is not part of this {kind_noun(assessment)}." for i in unknown
                ]
            }
        )
    return [found[i] for i in wanted]


def check_rated_with_reasons(
    assessment: Assessment,
    *,
    level: int | None,
    rationale: str,
    evidence: Sequence[Evidence],
    needs_evidence: bool,
) -> None:
    """A rating with a level needs a rationale and (where required) linked evidence."""
    if level is None:
        return
    errors: dict[str, str] = {}
    if not rationale.strip():
        errors["rationale"] = "A rating needs a rationale: say what the evidence shows."
    if needs_evidence and not evidence:
        errors["evidence"] = (
            f"A rating needs at least one piece of evidence from this {kind_noun(assessment)}."
        )
    if errors:
        raise ValidationError(errors)
