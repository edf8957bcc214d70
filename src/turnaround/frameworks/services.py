"""Writes to frameworks: each checks first, then saves in one transaction, audited.

Versioning rules:

- a framework's content lives in versions; only a *draft* changes, and a framework has at most
  one draft at a time (the next version is copied from the latest published one, each indicator
  continuing its source through ``derived_from``);
- every edit of a draft names the draft's ``version`` counter it was made against
  (``expected_version``); a stale counter is a ``StaleEditError`` and nothing is written;
- a published or retired version is immutable: every edit service raises ``VersionLocked``;
- publishing checks completeness and that no rated indicator of the previous version is dropped
  without a crosswalk (``checks.publish_problems``), then retires the previously published version.

Importing (``framework_import``) and copying a seeded framework into a state
(``framework_copy_to_state``) create drafts through the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone

from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record, model_changes, snapshot
from turnaround.core.concurrency import StaleEditError, save_versioned
from turnaround.frameworks import io
from turnaround.frameworks.checks import publish_problems
from turnaround.frameworks.models import (
    Component,
    Framework,
    FrameworkVersion,
    Indicator,
    IndicatorDescriptor,
    Practice,
    RatingScale,
    ScaleLevel,
    Tag,
    code_validator,
    key_validator,
)
from turnaround.frameworks.problems import (
    FrameworkError,
    Problem,
    VersionConflict,
    VersionLocked,
    raise_if,
)
from turnaround.frameworks.selectors import crosswalk_source
from turnaround.organizations.models import State

FRAMEWORK_EDITABLE = ("name", "description", "practice_term", "component_term")
VERSION_EDITABLE = ("label", "notes", "scale")
PRACTICE_EDITABLE = ("code", "name", "summary")
COMPONENT_EDITABLE = ("code", "name", "description")
INDICATOR_EDITABLE = (
    "code",
    "text",
    "look_fors",
    "is_key",
    "component",
    "tags",
    "descriptors",
    "derived_from",
)
_LIMITS = {
    "name": 300,
    "practice_term": 40,
    "component_term": 40,
    "label": 100,
}


@dataclass(frozen=True)
class ImportResult:
    framework: Framework
    version: FrameworkVersion
    created_framework: bool
    counts: dict[str, int]


# ---------------------------------------------------------------------------------------------
# Shared checks


def _is_user(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _audit(
    actor: Any,
    action: str,
    obj: Any,
    framework: Framework,
    changes: Mapping[str, Any] | None = None,
    *,
    deleted: tuple[str, str] | None = None,
) -> None:
    """One audit event; ``deleted`` = (model label, description) of an object already gone."""
    object_type, object_repr = deleted or ("", "")
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type,
        object_repr=object_repr,
        state_id=framework.state_id,
        changes=changes or {},
    )


def locked_error(version: FrameworkVersion) -> VersionLocked:
    status = version.get_status_display().lower()
    return VersionLocked(
        f"{version.framework.name} v{version.number} is {status} and cannot be changed; create "
        "a new version to change it"
    )


def _lock_draft(version: FrameworkVersion, expected_version: int) -> FrameworkVersion:
    """The draft, locked for this transaction, with its counter moved on; raises VersionLocked
    for a published or retired version and StaleEditError when someone saved it meanwhile."""
    fresh = (
        FrameworkVersion.objects.select_for_update(of=("self",))
        .select_related("framework", "scale")
        .get(pk=version.pk)
    )
    if not fresh.is_editable:
        raise locked_error(fresh)
    save_versioned(fresh, fields=[], expected_version=expected_version)
    version.version = fresh.version
    return fresh


def _check_text(problems: list[Problem], field: str, value: Any, *, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        problems.append(Problem((field,), "must not be empty"))
    limit = _LIMITS.get(field)
    if limit and len(text) > limit:
        problems.append(Problem((field,), f"is {len(text)} characters long; at most {limit}"))
    return text


def _check_code(problems: list[Problem], value: Any, *, field: str = "code") -> str:
    code = "" if value is None else str(value).strip()
    if not code:
        problems.append(Problem((field,), "must not be empty"))
        return code
    try:
        code_validator(code)
    except Exception as exc:  # noqa: BLE001 - a ValidationError; its messages are shown
        problems.append(Problem((field,), f"{code!r}: {' '.join(getattr(exc, 'messages', []))}"))
    return code


def _code_taken(
    problems: list[Problem], model: type[Any], version: FrameworkVersion, code: str, exclude: Any
) -> None:
    if model is Practice:
        qs = Practice.objects.filter(framework_version=version)
        what = version.framework.practice_term.lower()
    elif model is Component:
        qs = Component.objects.filter(practice__framework_version=version)
        what = version.framework.component_term.lower()
    else:
        qs = Indicator.objects.filter(framework_version=version)
        what = "indicator"
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if code and qs.filter(code=code).exists():
        article = "an" if what[:1] in "aeiou" else "a"
        problems.append(
            Problem(("code",), f"{code} is already the code of {article} {what} of this version")
        )


def _resolve_tags(problems: list[Problem], tags: Iterable[Tag | str]) -> list[Tag]:
    out: list[Tag] = []
    refs: list[str] = []
    for tag in tags:
        if isinstance(tag, Tag):
            out.append(tag)
        else:
            refs.append(tag)
    if refs:
        known = {
            f"{t.taxonomy.key}:{t.key}": t
            for t in Tag.objects.select_related("taxonomy").filter(
                key__in=[r.partition(":")[2] for r in refs]
            )
        }
        for ref in refs:
            if ref in known:
                out.append(known[ref])
            else:
                problems.append(Problem(("tags",), f"unknown tag {ref!r}"))
    return out


def _check_descriptors(
    problems: list[Problem], version: FrameworkVersion, descriptors: Mapping[int, Any]
) -> dict[int, str]:
    codes = set(version.scale.levels.values_list("code", flat=True))
    out: dict[int, str] = {}
    for level, text in descriptors.items():
        if level not in codes:
            problems.append(
                Problem(
                    ("descriptors",),
                    f"level {level} is not on the scale '{version.scale.key}' "
                    f"(levels {min(codes)}–{max(codes)})",
                )
            )
            continue
        out[int(level)] = "" if text is None else str(text).strip()
    return out


def _check_derived_from(
    problems: list[Problem], version: FrameworkVersion, value: Indicator | str | None
) -> Indicator | None:
    if value is None or value == "":
        return None
    source = crosswalk_source(version)
    if source is None:
        problems.append(
            Problem(("derived_from",), "this version has no earlier version to continue")
        )
        return None
    name = f"{source.framework.name} v{source.number}"
    if isinstance(value, Indicator):
        if value.framework_version_id != source.pk:
            problems.append(
                Problem(("derived_from",), f"{value.code} is not an indicator of {name}")
            )
            return None
        return value
    found = Indicator.objects.filter(framework_version=source, code=value).first()
    if found is None:
        problems.append(Problem(("derived_from",), f"{value} is not an indicator of {name}"))
    return found


def _next_position(qs: Any) -> int:
    top = qs.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def _move(siblings: list[Any], item: Any, offset: int) -> bool:
    """Move ``item`` ``offset`` places among its ``siblings`` (in order) and renumber them."""
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    target = max(0, min(len(siblings) - 1, index + offset))
    if target == index:
        return False
    siblings.insert(target, siblings.pop(index))
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])
    return True


def _delete(obj: Any, what: str) -> None:
    try:
        obj.delete()
    except ProtectedError as exc:
        raise FrameworkError(
            f"{what} is used by assessments or later versions and cannot be deleted"
        ) from exc


# ---------------------------------------------------------------------------------------------
# Frameworks and versions


def framework_create(
    *,
    actor: Any,
    state: State | None,
    key: str,
    name: str,
    scale: RatingScale,
    kind: str = Framework.Kind.SCHOOL,
    practice_term: str = "Practice",
    component_term: str = "Component",
    description: str = "",
    label: str = "",
) -> FrameworkVersion:
    """A new framework (global when ``state`` is None) with an empty draft v1."""
    problems: list[Problem] = []
    key = (key or "").strip()
    try:
        key_validator(key)
    except Exception as exc:  # noqa: BLE001
        problems.append(Problem(("key",), f"{key!r}: {' '.join(getattr(exc, 'messages', []))}"))
    if key and Framework.objects.filter(state=state, key=key).exists():
        where = state.name if state else "the shared frameworks"
        problems.append(Problem(("key",), f"{where} already has a framework with key {key!r}"))
    if kind not in Framework.Kind.values:
        problems.append(Problem(("kind",), f"allowed: {', '.join(Framework.Kind.values)}"))
    if scale.state_id is not None and (state is None or scale.state_id != state.pk):
        problems.append(Problem(("scale",), "that scale belongs to another state"))
    values = {
        "name": _check_text(problems, "name", name, required=True),
        "practice_term": _check_text(problems, "practice_term", practice_term, required=True),
        "component_term": _check_text(problems, "component_term", component_term, required=True),
        "description": _check_text(problems, "description", description),
    }
    label = _check_text(problems, "label", label)
    raise_if(problems)
    with transaction.atomic():
        framework = Framework.objects.create(state=state, key=key, kind=kind, **values)
        version = FrameworkVersion.objects.create(
            framework=framework,
            number=1,
            label=label,
            scale=scale,
            created_by=actor if _is_user(actor) else None,
        )
        _audit(actor, AuditEvent.Action.CREATE, framework, framework, {"key": key, **values})
    return version


def framework_version_update(
    *, actor: Any, version: FrameworkVersion, expected_version: int, changes: Mapping[str, Any]
) -> FrameworkVersion:
    """Change a draft's label, notes or scale, and its framework's name, description and terms
    (which belong to the whole framework but change only while drafting)."""
    unknown = set(changes) - set(FRAMEWORK_EDITABLE) - set(VERSION_EDITABLE)
    if unknown:
        raise FrameworkError(
            [Problem((f,), "this field cannot be changed here") for f in sorted(unknown)]
        )
    with transaction.atomic():
        version = _lock_draft(version, expected_version)
        framework = version.framework
        problems: list[Problem] = []
        before_f = snapshot(framework, FRAMEWORK_EDITABLE)
        before_v = snapshot(version, ("label", "notes", "scale_id"))
        for field in FRAMEWORK_EDITABLE:
            if field in changes:
                required = field != "description"
                value = _check_text(problems, field, changes[field], required=required)
                setattr(framework, field, value)
        for field in ("label", "notes"):
            if field in changes:
                setattr(version, field, _check_text(problems, field, changes[field]))
        if "scale" in changes:
            scale = changes["scale"]
            if not isinstance(scale, RatingScale) or (
                scale.state_id is not None and scale.state_id != framework.state_id
            ):
                problems.append(Problem(("scale",), "choose a scale available to this framework"))
            else:
                version.scale = scale
        raise_if(problems)
        diff = model_changes(before_f, snapshot(framework, FRAMEWORK_EDITABLE))
        diff |= model_changes(before_v, snapshot(version, ("label", "notes", "scale_id")))
        if diff.keys() & set(FRAMEWORK_EDITABLE):
            save_versioned(
                framework,
                fields=[f for f in FRAMEWORK_EDITABLE if f in diff],
                expected_version=framework.version,
            )
        version.save(update_fields=["label", "notes", "scale"])
        _audit(actor, AuditEvent.Action.UPDATE, version, framework, diff)
    return version


def framework_version_create(
    *, actor: Any, framework: Framework, label: str = "", notes: str = ""
) -> FrameworkVersion:
    """The next version as a draft copy of the latest one, each indicator continuing its source."""
    with transaction.atomic():
        Framework.objects.select_for_update().filter(pk=framework.pk).first()
        latest = framework.versions.order_by("-number").select_related("scale").first()
        if latest is None:
            raise VersionConflict(f"{framework.name} has no version to copy")
        if latest.status == FrameworkVersion.Status.DRAFT:
            raise VersionConflict(
                f"{framework.name} v{latest.number} is still a draft; edit and publish it, or "
                "discard it, before starting another version"
            )
        version = FrameworkVersion.objects.create(
            framework=framework,
            number=latest.number + 1,
            label=label.strip(),
            notes=notes.strip(),
            scale=latest.scale,
            previous=latest,
            created_by=actor if _is_user(actor) else None,
        )
        counts = _copy_content(latest, version, link=True)
        _audit(
            actor,
            AuditEvent.Action.CREATE,
            version,
            framework,
            {"copied_from": f"v{latest.number}", **counts},
        )
    return version


def framework_version_delete(
    *, actor: Any, version: FrameworkVersion, expected_version: int
) -> None:
    """Discard a draft with all its content."""
    with transaction.atomic():
        version = _lock_draft(version, expected_version)
        framework = version.framework
        label = f"{framework.name} v{version.number}"
        _delete(version, label)
        _audit(
            actor,
            AuditEvent.Action.DELETE,
            None,
            framework,
            {"discarded": label},
            deleted=(FrameworkVersion._meta.label, label),
        )
        if not framework.versions.exists():
            framework.delete()


def framework_version_publish(
    *, actor: Any, version: FrameworkVersion, expected_version: int | None = None
) -> FrameworkVersion:
    """Publish a complete draft: it becomes immutable, and the version published before it is
    retired. Refuses (listing every problem) an incomplete draft or one that drops a rated
    indicator without a crosswalk."""
    with transaction.atomic():
        fresh = (
            FrameworkVersion.objects.select_for_update(of=("self",))
            .select_related("framework", "scale", "previous")
            .get(pk=version.pk)
        )
        if not fresh.is_editable:
            raise locked_error(fresh)
        if expected_version is not None and expected_version != fresh.version:
            raise StaleEditError(fresh)
        raise_if(publish_problems(fresh))
        now = timezone.now()
        fresh.status = FrameworkVersion.Status.PUBLISHED
        fresh.published_at = now
        fresh.published_by = actor if _is_user(actor) else None
        save_versioned(
            fresh,
            fields=["status", "published_at", "published_by"],
            expected_version=fresh.version,
        )
        retired = list(
            fresh.framework.versions.filter(status=FrameworkVersion.Status.PUBLISHED)
            .exclude(pk=fresh.pk)
            .values_list("number", flat=True)
        )
        fresh.framework.versions.filter(number__in=retired).update(
            status=FrameworkVersion.Status.RETIRED
        )
        _audit(
            actor,
            AuditEvent.Action.UPDATE,
            fresh,
            fresh.framework,
            {"status": ["draft", "published"], "retired": [f"v{n}" for n in retired]},
        )
    version.status, version.published_at, version.version = (
        fresh.status,
        fresh.published_at,
        fresh.version,
    )
    version.published_by = fresh.published_by
    return fresh


def framework_copy_to_state(
    *,
    actor: Any,
    version: FrameworkVersion,
    state: State,
    key: str | None = None,
    name: str | None = None,
) -> FrameworkVersion:
    """A state's own framework whose draft v1 copies a published version (usually a seeded one),
    each indicator continuing the one it was copied from: how a state customises wording."""
    source = version.framework
    if version.status != FrameworkVersion.Status.PUBLISHED:
        raise VersionConflict(f"only a published version can be copied; v{version.number} is not")
    if source.state_id == state.pk:
        raise VersionConflict(f"{source.name} already belongs to {state.name}")
    key = (key or source.key).strip()
    problems: list[Problem] = []
    try:
        key_validator(key)
    except Exception as exc:  # noqa: BLE001
        problems.append(Problem(("key",), f"{key!r}: {' '.join(getattr(exc, 'messages', []))}"))
    existing = Framework.objects.filter(state=state, key=key).first()
    if existing is not None:
        problems.append(
            Problem(
                ("key",),
                f"{state.name} already has a framework with key {key!r} ({existing.name}); edit "
                "it, or give the copy another key",
            )
        )
    name = _check_text(problems, "name", name or source.name, required=True)
    raise_if(problems)
    with transaction.atomic():
        framework = Framework.objects.create(
            state=state,
            key=key,
            name=name,
            kind=source.kind,
            description=source.description,
            practice_term=source.practice_term,
            component_term=source.component_term,
        )
        copy = FrameworkVersion.objects.create(
            framework=framework,
            number=1,
            label=version.label,
            notes=f"Copied from {source.name} v{version.number}.",
            scale=version.scale,
            created_by=actor if _is_user(actor) else None,
        )
        counts = _copy_content(version, copy, link=True)
        _audit(
            actor,
            AuditEvent.Action.CREATE,
            framework,
            framework,
            {"copied_from": f"{source.name} v{version.number}", **counts},
        )
    return copy


def _copy_content(
    source: FrameworkVersion, target: FrameworkVersion, *, link: bool
) -> dict[str, int]:
    practices = list(io.content_queryset(source))
    new_practices = Practice.objects.bulk_create(
        [
            Practice(
                framework_version=target,
                code=p.code,
                position=p.position,
                name=p.name,
                summary=p.summary,
            )
            for p in practices
        ]
    )
    pairs_c = [
        (
            c,
            Component(
                practice=np,
                code=c.code,
                position=c.position,
                name=c.name,
                description=c.description,
            ),
        )
        for p, np in zip(practices, new_practices, strict=True)
        for c in p.components.all()
    ]
    Component.objects.bulk_create([nc for _, nc in pairs_c])
    pairs_i = [
        (
            i,
            Indicator(
                component=nc,
                framework_version=target,
                code=i.code,
                position=i.position,
                text=i.text,
                look_fors=i.look_fors,
                is_key=i.is_key,
                derived_from=i if link else None,
            ),
        )
        for c, nc in pairs_c
        for i in c.indicators.all()
    ]
    Indicator.objects.bulk_create([ni for _, ni in pairs_i])
    descriptors = IndicatorDescriptor.objects.bulk_create(
        [
            IndicatorDescriptor(indicator=ni, level_code=d.level_code, text=d.text)
            for i, ni in pairs_i
            for d in i.descriptors.all()
        ]
    )
    through = Indicator.tags.through
    through.objects.bulk_create(
        [through(indicator_id=ni.pk, tag_id=t.pk) for i, ni in pairs_i for t in i.tags.all()]
    )
    return {
        "practices": len(new_practices),
        "components": len(pairs_c),
        "indicators": len(pairs_i),
        "descriptors": len(descriptors),
    }


# ---------------------------------------------------------------------------------------------
# Import


def framework_import(*, actor: Any, document: Any, state: State | None) -> ImportResult:
    """Store a document (see ``io``) as a new draft version of the scope's framework with its key,
    or as a new framework. Checks everything first; any problem → FrameworkError, nothing
    written."""
    spec = io.validate_document(document, state=state)
    try:
        with transaction.atomic():
            return _write_import(actor, spec)
    except IntegrityError as exc:  # a concurrent import of the same key won the race
        raise VersionConflict(
            f"{spec.name} was changed by someone else during the import; try again"
        ) from exc


def framework_import_text(
    *,
    actor: Any,
    text: str | bytes,
    state: State | None,
    fmt: io.Format | None = None,
    filename: str = "",
) -> ImportResult:
    """``framework_import`` of YAML or JSON text (format from ``fmt``, else the file name)."""
    return framework_import(
        actor=actor, document=io.parse(text, fmt, filename=filename), state=state
    )


def _write_import(actor: Any, spec: io.FrameworkSpec) -> ImportResult:
    scale = spec.scale.existing
    if scale is None:
        scale = RatingScale.objects.create(
            state=spec.state,
            key=spec.scale.key,
            name=spec.scale.name,
            description=spec.scale.description,
            allows_not_priority=spec.scale.allows_not_priority,
        )
        ScaleLevel.objects.bulk_create(
            [
                ScaleLevel(scale=scale, code=lv.code, label=lv.label, description=lv.description)
                for lv in spec.scale.levels
            ]
        )
    values = {
        "name": spec.name,
        "description": spec.description,
        "practice_term": spec.practice_term,
        "component_term": spec.component_term,
    }
    framework = spec.framework
    created = framework is None
    if framework is None:
        framework = Framework.objects.create(
            state=spec.state, key=spec.key, kind=spec.kind, **values
        )
    else:
        before = snapshot(framework, FRAMEWORK_EDITABLE)
        for field, value in values.items():
            setattr(framework, field, value)
        diff = model_changes(before, snapshot(framework, FRAMEWORK_EDITABLE))
        if diff:
            save_versioned(framework, fields=list(diff), expected_version=framework.version)
    version = FrameworkVersion.objects.create(
        framework=framework,
        number=(spec.previous.number + 1) if spec.previous else 1,
        label=spec.label,
        notes=spec.notes,
        scale=scale,
        previous=spec.previous,
        created_by=actor if _is_user(actor) else None,
    )
    counts = _write_content(version, spec)
    _audit(
        actor,
        AuditEvent.Action.LOAD,
        version,
        framework,
        {"imported": True, "new_framework": created, **counts},
    )
    return ImportResult(
        framework=framework, version=version, created_framework=created, counts=counts
    )


def _write_content(version: FrameworkVersion, spec: io.FrameworkSpec) -> dict[str, int]:
    sources: dict[str, int] = {}
    if spec.previous is not None:
        sources = dict(
            Indicator.objects.filter(framework_version=spec.previous).values_list("code", "pk")
        )
    practices = Practice.objects.bulk_create(
        [
            Practice(
                framework_version=version, code=p.code, position=n, name=p.name, summary=p.summary
            )
            for n, p in enumerate(spec.practices)
        ]
    )
    pairs_c = [
        (c, Component(practice=np, code=c.code, position=n, name=c.name, description=c.description))
        for p, np in zip(spec.practices, practices, strict=True)
        for n, c in enumerate(p.components)
    ]
    Component.objects.bulk_create([nc for _, nc in pairs_c])
    pairs_i = [
        (
            i,
            Indicator(
                component=nc,
                framework_version=version,
                code=i.code,
                position=n,
                text=i.text,
                look_fors=i.look_fors,
                is_key=i.is_key,
                derived_from_id=sources.get(i.derived_from) if i.derived_from else None,
            ),
        )
        for c, nc in pairs_c
        for n, i in enumerate(c.indicators)
    ]
    Indicator.objects.bulk_create([ni for _, ni in pairs_i])
    descriptors = IndicatorDescriptor.objects.bulk_create(
        [
            IndicatorDescriptor(indicator=ni, level_code=level, text=text)
            for i, ni in pairs_i
            for level, text in i.descriptors.items()
        ]
    )
    through = Indicator.tags.through
    through.objects.bulk_create(
        [
            through(indicator_id=ni.pk, tag_id=spec.tags[ref].pk)
            for i, ni in pairs_i
            for ref in i.tags
        ]
    )
    return {
        "practices": len(practices),
        "components": len(pairs_c),
        "indicators": len(pairs_i),
        "descriptors": len(descriptors),
    }


# ---------------------------------------------------------------------------------------------
# Editing a draft's content: practices


def practice_create(
    *,
    actor: Any,
    version: FrameworkVersion,
    expected_version: int,
    code: str,
    name: str,
    summary: str = "",
) -> Practice:
    with transaction.atomic():
        version = _lock_draft(version, expected_version)
        problems: list[Problem] = []
        code = _check_code(problems, code)
        _code_taken(problems, Practice, version, code, None)
        practice = Practice(
            framework_version=version,
            code=code,
            name=_check_text(problems, "name", name, required=True),
            summary=_check_text(problems, "summary", summary),
            position=_next_position(version.practices.all()),
        )
        raise_if(problems)
        practice.save()
        _audit(
            actor,
            AuditEvent.Action.CREATE,
            practice,
            version.framework,
            snapshot(practice, PRACTICE_EDITABLE),
        )
    return practice


def practice_update(
    *, actor: Any, practice: Practice, expected_version: int, changes: Mapping[str, Any]
) -> Practice:
    _refuse_unknown(changes, PRACTICE_EDITABLE)
    with transaction.atomic():
        version = _lock_draft(practice.framework_version, expected_version)
        problems: list[Problem] = []
        before = snapshot(practice, PRACTICE_EDITABLE)
        if "code" in changes:
            practice.code = _check_code(problems, changes["code"])
            _code_taken(problems, Practice, version, practice.code, practice)
        if "name" in changes:
            practice.name = _check_text(problems, "name", changes["name"], required=True)
        if "summary" in changes:
            practice.summary = _check_text(problems, "summary", changes["summary"])
        raise_if(problems)
        diff = model_changes(before, snapshot(practice, PRACTICE_EDITABLE))
        if diff:
            practice.save(update_fields=list(diff))
            _audit(actor, AuditEvent.Action.UPDATE, practice, version.framework, diff)
    return practice


def practice_delete(*, actor: Any, practice: Practice, expected_version: int) -> None:
    """Delete a practice of a draft with its components and indicators."""
    with transaction.atomic():
        version = _lock_draft(practice.framework_version, expected_version)
        label = str(practice)
        _delete(practice, label)
        _audit(
            actor,
            AuditEvent.Action.DELETE,
            None,
            version.framework,
            {"deleted": label},
            deleted=(Practice._meta.label, label),
        )


def practice_move(*, actor: Any, practice: Practice, expected_version: int, offset: int) -> None:
    """Move a practice ``offset`` places (−1 up, +1 down) among the draft's practices."""
    with transaction.atomic():
        version = _lock_draft(practice.framework_version, expected_version)
        siblings = list(version.practices.order_by("position", "code"))
        if _move(siblings, practice, offset):
            _audit(
                actor,
                AuditEvent.Action.UPDATE,
                practice,
                version.framework,
                {"order": [p.code for p in siblings]},
            )


# ---------------------------------------------------------------------------------------------
# Components


def component_create(
    *,
    actor: Any,
    practice: Practice,
    expected_version: int,
    code: str,
    name: str,
    description: str = "",
) -> Component:
    with transaction.atomic():
        version = _lock_draft(practice.framework_version, expected_version)
        problems: list[Problem] = []
        code = _check_code(problems, code)
        _code_taken(problems, Component, version, code, None)
        component = Component(
            practice=practice,
            code=code,
            name=_check_text(problems, "name", name, required=True),
            description=_check_text(problems, "description", description),
            position=_next_position(practice.components.all()),
        )
        raise_if(problems)
        component.save()
        _audit(
            actor,
            AuditEvent.Action.CREATE,
            component,
            version.framework,
            snapshot(component, COMPONENT_EDITABLE),
        )
    return component


def component_update(
    *, actor: Any, component: Component, expected_version: int, changes: Mapping[str, Any]
) -> Component:
    _refuse_unknown(changes, COMPONENT_EDITABLE)
    with transaction.atomic():
        version = _lock_draft(component.practice.framework_version, expected_version)
        problems: list[Problem] = []
        before = snapshot(component, COMPONENT_EDITABLE)
        if "code" in changes:
            component.code = _check_code(problems, changes["code"])
            _code_taken(problems, Component, version, component.code, component)
        if "name" in changes:
            component.name = _check_text(problems, "name", changes["name"], required=True)
        if "description" in changes:
            component.description = _check_text(problems, "description", changes["description"])
        raise_if(problems)
        diff = model_changes(before, snapshot(component, COMPONENT_EDITABLE))
        if diff:
            component.save(update_fields=list(diff))
            _audit(actor, AuditEvent.Action.UPDATE, component, version.framework, diff)
    return component


def component_delete(*, actor: Any, component: Component, expected_version: int) -> None:
    with transaction.atomic():
        version = _lock_draft(component.practice.framework_version, expected_version)
        label = str(component)
        _delete(component, label)
        _audit(
            actor,
            AuditEvent.Action.DELETE,
            None,
            version.framework,
            {"deleted": label},
            deleted=(Component._meta.label, label),
        )


def component_move(*, actor: Any, component: Component, expected_version: int, offset: int) -> None:
    with transaction.atomic():
        version = _lock_draft(component.practice.framework_version, expected_version)
        siblings = list(component.practice.components.order_by("position", "code"))
        if _move(siblings, component, offset):
            _audit(
                actor,
                AuditEvent.Action.UPDATE,
                component,
                version.framework,
                {"order": [c.code for c in siblings]},
            )


# ---------------------------------------------------------------------------------------------
# Indicators


def indicator_create(
    *,
    actor: Any,
    component: Component,
    expected_version: int,
    code: str,
    text: str,
    look_fors: str = "",
    is_key: bool = False,
    tags: Iterable[Tag | str] = (),
    descriptors: Mapping[int, str] | None = None,
    derived_from: Indicator | str | None = None,
) -> Indicator:
    """Add an indicator to a draft's component; ``descriptors`` maps scale level codes to text
    (empty text leaves the level undescribed); ``derived_from`` is an indicator (or its code) of
    the version this draft continues."""
    with transaction.atomic():
        version = _lock_draft(component.practice.framework_version, expected_version)
        problems: list[Problem] = []
        code = _check_code(problems, code)
        _code_taken(problems, Indicator, version, code, None)
        indicator = Indicator(
            component=component,
            framework_version=version,
            code=code,
            text=_check_text(problems, "text", text, required=True),
            look_fors=_check_text(problems, "look_fors", look_fors),
            is_key=bool(is_key),
            position=_next_position(component.indicators.all()),
            derived_from=_check_derived_from(problems, version, derived_from),
        )
        tag_objects = _resolve_tags(problems, tags)
        texts = _check_descriptors(problems, version, descriptors or {})
        raise_if(problems)
        indicator.save()
        indicator.tags.set(tag_objects)
        _save_descriptors(indicator, texts)
        _audit(
            actor,
            AuditEvent.Action.CREATE,
            indicator,
            version.framework,
            {
                **snapshot(indicator, ("code", "text", "is_key", "derived_from_id")),
                "tags": sorted(str(t) for t in tag_objects),
                "descriptors": sorted(k for k, v in texts.items() if v),
            },
        )
    return indicator


def indicator_update(
    *, actor: Any, indicator: Indicator, expected_version: int, changes: Mapping[str, Any]
) -> Indicator:
    """Change an indicator of a draft: any of ``INDICATOR_EDITABLE``. ``descriptors`` maps level
    codes to text (empty text removes that level's descriptor; levels not named are kept);
    ``tags`` replaces the tags; ``component`` moves it within the version."""
    _refuse_unknown(changes, INDICATOR_EDITABLE)
    fields = ("code", "text", "look_fors", "is_key", "component_id", "derived_from_id")
    with transaction.atomic():
        version = _lock_draft(indicator.framework_version, expected_version)
        problems: list[Problem] = []
        before = snapshot(indicator, fields)
        if "code" in changes:
            indicator.code = _check_code(problems, changes["code"])
            _code_taken(problems, Indicator, version, indicator.code, indicator)
        if "text" in changes:
            indicator.text = _check_text(problems, "text", changes["text"], required=True)
        if "look_fors" in changes:
            indicator.look_fors = _check_text(problems, "look_fors", changes["look_fors"])
        if "is_key" in changes:
            indicator.is_key = bool(changes["is_key"])
        if "component" in changes:
            target = changes["component"]
            if not isinstance(target, Component) or target.practice.framework_version_id != (
                version.pk
            ):
                problems.append(Problem(("component",), "choose a component of this version"))
            elif target.pk != indicator.component_id:
                indicator.component = target
                indicator.position = _next_position(target.indicators.all())
        if "derived_from" in changes:
            indicator.derived_from = _check_derived_from(problems, version, changes["derived_from"])
        tag_objects = _resolve_tags(problems, changes.get("tags", ()))
        texts = _check_descriptors(problems, version, changes.get("descriptors") or {})
        raise_if(problems)
        diff = model_changes(before, snapshot(indicator, fields))
        if diff:
            indicator.save(update_fields=[f.removesuffix("_id") for f in diff] + ["position"])
        if "tags" in changes:
            old = sorted(str(t) for t in indicator.tags.all())
            indicator.tags.set(tag_objects)
            new = sorted(str(t) for t in tag_objects)
            if old != new:
                diff["tags"] = [old, new]
        if texts:
            old_d = {d.level_code: d.text for d in indicator.descriptors.all()}
            _save_descriptors(indicator, texts)
            for level, text in texts.items():
                if old_d.get(level, "") != text:
                    diff[f"descriptor_{level}"] = [old_d.get(level, ""), text]
        if diff:
            _audit(actor, AuditEvent.Action.UPDATE, indicator, version.framework, diff)
    return indicator


def indicator_delete(*, actor: Any, indicator: Indicator, expected_version: int) -> None:
    """Delete an indicator of a draft (publishing later checks that no rated indicator of the
    previous version is left without a continuation)."""
    with transaction.atomic():
        version = _lock_draft(indicator.framework_version, expected_version)
        label = indicator.code
        _delete(indicator, f"Indicator {label}")
        _audit(
            actor,
            AuditEvent.Action.DELETE,
            None,
            version.framework,
            {"deleted": label},
            deleted=(Indicator._meta.label, f"{label} of {version}"),
        )


def indicator_move(*, actor: Any, indicator: Indicator, expected_version: int, offset: int) -> None:
    with transaction.atomic():
        version = _lock_draft(indicator.framework_version, expected_version)
        siblings = list(indicator.component.indicators.order_by("position", "code"))
        if _move(siblings, indicator, offset):
            _audit(
                actor,
                AuditEvent.Action.UPDATE,
                indicator,
                version.framework,
                {"order": [i.code for i in siblings]},
            )


def _save_descriptors(indicator: Indicator, texts: Mapping[int, str]) -> None:
    for level, text in texts.items():
        if text:
            IndicatorDescriptor.objects.update_or_create(
                indicator=indicator, level_code=level, defaults={"text": text}
            )
        else:
            IndicatorDescriptor.objects.filter(indicator=indicator, level_code=level).delete()


def _refuse_unknown(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise FrameworkError(
            [Problem((f,), "this field cannot be changed here") for f in sorted(unknown)]
        )
