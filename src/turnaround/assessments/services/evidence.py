"""Evidence capture: create-or-update by the client's id, so a retried autosave is stored once."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from turnaround.assessments.models import Assessment, Evidence
from turnaround.assessments.services._common import (
    CREATE,
    DELETE,
    UPDATE,
    access_of,
    audit,
    indicators_of,
    kind_noun,
    refuse_if_locked,
    require,
    save_fields,
)
from turnaround.core.concurrency import StaleEditError

#: Upload limits (overridable in settings): evidence files are documents and photos, not data.
EVIDENCE_MAX_BYTES: int = getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
EVIDENCE_FILE_TYPES: tuple[str, ...] = getattr(
    settings,
    "EVIDENCE_FILE_TYPES",
    (".pdf", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".txt", ".csv", ".jpg", ".jpeg", ".png"),
)
EVIDENCE_FIELDS = ("kind", "source", "note")


def _check_file(upload: UploadedFile) -> None:
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in EVIDENCE_FILE_TYPES:
        raise ValidationError(
            {
                "file": f"Files of type “{suffix or 'none'}” are not accepted; "
                f"allowed: {', '.join(EVIDENCE_FILE_TYPES)}."
            }
        )
    if (upload.size or 0) > EVIDENCE_MAX_BYTES:
        raise ValidationError(
            {
                "file": f"The file is {upload.size / 1_048_576:.1f} MB; "
                f"the limit is {EVIDENCE_MAX_BYTES / 1_048_576:.0f} MB."
            }
        )


def _check_fields(kind: str, source: str, note: str) -> None:
    errors: dict[str, str] = {}
    if kind not in Evidence.Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(Evidence.Kind.values)}."
    if not source:
        errors["source"] = (
            "Say who or what the evidence came from, by role (e.g. grade 4 teachers)."
        )
    elif len(source) > 200:
        errors["source"] = "The source is at most 200 characters."
    if not note:
        errors["note"] = "Write the note: what you saw, heard or read."
    if errors:
        raise ValidationError(errors)


def evidence_save(
    *,
    actor: Any,
    assessment: Assessment,
    client_id: uuid.UUID | str,
    kind: str,
    source: str,
    note: str,
    indicator_codes: list[str],
    file: UploadedFile | None = None,
    expected_version: int | None = None,
) -> tuple[Evidence, bool]:
    """Create the evidence item with ``client_id`` or update it; returns ``(evidence, created)``.

    The same call repeated (an autosave retried after a dropped connection) changes nothing the
    second time. Every indicator must be one of the assessment's framework version; an item may
    be saved before it is tagged (a draft), but only tagged evidence can support a rating.
    ``expected_version`` (optional) refuses an update when someone else saved in between.
    """
    try:
        cid = client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(str(client_id))
    except ValueError as exc:
        raise ValidationError({"client_id": "The client id is not a UUID."}) from exc
    access = access_of(actor, assessment)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_rate,
        f"Only the {kind_noun(current)}'s team records evidence.",
    )
    source, note = source.strip(), note.strip()
    _check_fields(kind, source, note)
    indicators = indicators_of(current.framework_version, indicator_codes)
    if file is not None:
        _check_file(file)
    existing = Evidence.objects.filter(client_id=cid).first()
    if existing is not None and existing.assessment_id != current.pk:
        raise ValidationError(
            {"client_id": "This client id belongs to other evidence; generate a new one."}
        )
    if existing is None:
        try:
            with transaction.atomic():
                return _create(actor, current, cid, kind, source, note, indicators, file), True
        except IntegrityError:
            # the same client id arrived twice at once: the other request created it
            existing = Evidence.objects.filter(client_id=cid, assessment=current).first()
            if existing is None:
                raise
    with transaction.atomic():
        require(
            existing.collected_by_id == getattr(actor, "pk", None) or access.can_manage,
            "Only the person who collected this evidence, the lead or state staff change it.",
        )
        old_codes = sorted(existing.indicators.values_list("code", flat=True))
        new_codes = sorted(i.code for i in indicators)
        changed = [
            f
            for f, v in zip(EVIDENCE_FIELDS, (kind, source, note), strict=True)
            if getattr(existing, f) != v
        ]
        if not changed and old_codes == new_codes and file is None:
            return existing, False  # a repeat of the last save: nothing to do
        if expected_version is not None and expected_version != existing.version:
            raise StaleEditError(existing)
        existing.kind, existing.source, existing.note = kind, source, note
        save_fields(existing, fields=list(EVIDENCE_FIELDS), expected_version=expected_version)
        if old_codes != new_codes:
            existing.indicators.set(indicators)
        if file is not None:
            existing.file.save(file.name, file, save=False)
            existing.save(update_fields=["file"])
        audit(
            actor=actor,
            action=UPDATE,
            obj=existing,
            assessment=current,
            changes={
                "changed": changed,
                **({"indicators": [old_codes, new_codes]} if old_codes != new_codes else {}),
                **({"file": True} if file is not None else {}),
            },
        )
    return existing, False


def _create(
    actor: Any,
    assessment: Assessment,
    cid: uuid.UUID,
    kind: str,
    source: str,
    note: str,
    indicators: list[Any],
    file: UploadedFile | None,
) -> Evidence:
    evidence = Evidence.objects.create(
        assessment=assessment,
        client_id=cid,
        kind=kind,
        source=source,
        note=note,
        collected_by=actor,
    )
    evidence.indicators.set(indicators)
    if file is not None:
        evidence.file.save(file.name, file, save=False)
        evidence.save(update_fields=["file"])
    audit(
        actor=actor,
        action=CREATE,
        obj=evidence,
        assessment=assessment,
        changes={"kind": kind, "indicators": [i.code for i in indicators], "file": bool(file)},
    )
    return evidence


def evidence_delete(*, actor: Any, evidence: Evidence) -> None:
    """Delete an evidence item that supports no rating yet."""
    access = access_of(actor, evidence.assessment_id)
    current = access.assessment
    refuse_if_locked(current)
    require(
        access.can_rate
        and (evidence.collected_by_id == getattr(actor, "pk", None) or access.can_manage),
        "Only the person who collected this evidence, the lead or state staff delete it.",
    )
    cited = sorted(
        set(evidence.reviewer_ratings.values_list("indicator__code", flat=True))
        | set(evidence.consensus_ratings.values_list("indicator__code", flat=True))
    )
    if cited:
        raise ValidationError(
            f"This evidence supports the rating{'s' if len(cited) > 1 else ''} of "
            f"{', '.join(cited)}; unlink it from {'them' if len(cited) > 1 else 'it'} first."
        )
    with transaction.atomic():
        audit(
            actor=actor,
            action=DELETE,
            obj=evidence,
            assessment=current,
            changes={"client_id": str(evidence.client_id), "kind": evidence.kind},
        )
        if evidence.file:
            storage, name = evidence.file.storage, evidence.file.name
            transaction.on_commit(lambda: storage.delete(name))
        evidence.delete()
