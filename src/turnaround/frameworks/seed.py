"""The project's seeded frameworks, scales and taxonomy, loaded idempotently.

``frameworks_seed()`` reads ``seeds/*.yaml`` and makes the shared (``state=None``) content match:

- the rating scales (``scales.yaml``): created when missing; a stored scale is never changed
  (published versions rate on it);
- the Center on School Turnaround focus areas (``cst-focus-areas.yaml``): the taxonomy and its
  tags are created when missing and their names, descriptions and order kept up to date;
- the frameworks (``turnaround-practices.yaml``, ``district-capacity.yaml``, in the import schema
  of ``io``): imported and published as v1 when missing; when the seed text differs from the
  published version, imported as the next version and published (the same checks as any
  version: complete, and no rated indicator dropped without a crosswalk).

Running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.frameworks import io
from turnaround.frameworks.models import (
    Framework,
    FrameworkVersion,
    RatingScale,
    ScaleLevel,
    Tag,
    Taxonomy,
)
from turnaround.frameworks.services import framework_import, framework_version_publish

SEED_DIR = Path(__file__).resolve().parent / "seeds"
SCALES_FILE = "scales.yaml"
TAXONOMY_FILES = ("cst-focus-areas.yaml",)
FRAMEWORK_FILES = ("turnaround-practices.yaml", "district-capacity.yaml")


@dataclass(frozen=True)
class SeedResult:
    """What one run did: lines such as ``framework turnaround-practices v1 published``."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _load(name: str) -> Any:
    return yaml.safe_load((SEED_DIR / name).read_text(encoding="utf-8"))


def seed_document(name: str) -> dict[str, Any]:
    """One seeded framework document as written in ``seeds/``."""
    return dict(_load(name))


def frameworks_seed(*, actor: Any = None) -> SeedResult:
    """Load the seeds (see the module doc); one transaction, every write audited."""
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    skipped: list[str] = []
    with transaction.atomic():
        for scale in _load(SCALES_FILE)["scales"]:
            (created if _seed_scale(actor, scale) else unchanged).append(f"scale {scale['key']}")
        for name in TAXONOMY_FILES:
            new, changed = _seed_taxonomy(actor, _load(name))
            key = f"taxonomy {_load(name)['key']}"
            (created if new else updated if changed else unchanged).append(key)
        for name in FRAMEWORK_FILES:
            outcome, line = _seed_framework(actor, seed_document(name))
            {"created": created, "updated": updated, "unchanged": unchanged, "skipped": skipped}[
                outcome
            ].append(line)
    return SeedResult(tuple(created), tuple(updated), tuple(unchanged), tuple(skipped))


def _seed_scale(actor: Any, data: dict[str, Any]) -> bool:
    if RatingScale.objects.filter(state__isnull=True, key=data["key"]).exists():
        return False
    scale = RatingScale.objects.create(
        key=data["key"],
        name=data["name"],
        description=data.get("description", "").strip(),
        allows_not_priority=bool(data.get("allows_not_priority", False)),
    )
    ScaleLevel.objects.bulk_create(
        [
            ScaleLevel(
                scale=scale,
                code=level["code"],
                label=level["label"],
                description=level.get("description", "").strip(),
            )
            for level in data["levels"]
        ]
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.LOAD,
        obj=scale,
        changes={"seeded": True, "levels": [lv["label"] for lv in data["levels"]]},
    )
    return True


def _seed_taxonomy(actor: Any, data: dict[str, Any]) -> tuple[bool, bool]:
    values = {
        "name": data["name"],
        "description": data.get("description", "").strip(),
        "source": data.get("source", "").strip(),
    }
    taxonomy, new = Taxonomy.objects.get_or_create(key=data["key"], defaults=values)
    changes: dict[str, Any] = {}
    if not new:
        for name, value in values.items():
            if getattr(taxonomy, name) != value:
                changes[name] = [getattr(taxonomy, name), value]
                setattr(taxonomy, name, value)
        if changes:
            taxonomy.save(update_fields=list(changes))
    existing = {t.key: t for t in taxonomy.tags.all()}
    for position, tag in enumerate(data["tags"]):
        tag_values = {
            "name": tag["name"],
            "description": tag.get("description", "").strip(),
            "position": position,
        }
        stored = existing.get(tag["key"])
        if stored is None:
            Tag.objects.create(taxonomy=taxonomy, key=tag["key"], **tag_values)
            changes[f"tag {tag['key']}"] = [None, tag["name"]]
            continue
        diff = [n for n, v in tag_values.items() if getattr(stored, n) != v]
        if diff:
            for name in diff:
                setattr(stored, name, tag_values[name])
            stored.save(update_fields=diff)
            changes[f"tag {tag['key']}"] = diff
    if new or changes:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.LOAD,
            obj=taxonomy,
            changes={"seeded": True, **{k: str(v) for k, v in changes.items()}},
        )
    return new, bool(changes) and not new


def _seed_framework(actor: Any, document: dict[str, Any]) -> tuple[str, str]:
    key = document["key"]
    framework = Framework.objects.filter(state__isnull=True, key=key).first()
    if framework is not None:
        latest = framework.versions.order_by("-number").first()
        if latest is not None and latest.status == FrameworkVersion.Status.DRAFT:
            return "skipped", f"framework {key}: v{latest.number} is a draft; publish or discard it"
        published = framework.versions.filter(status=FrameworkVersion.Status.PUBLISHED).first()
        if published is not None:
            wanted = io.spec_document(io.validate_document(document, state=None))
            if wanted == io.version_document(published):
                return "unchanged", f"framework {key} v{published.number}"
    result = framework_import(actor=actor, document=document, state=None)
    framework_version_publish(actor=actor, version=result.version)
    outcome = "created" if result.created_framework else "updated"
    return outcome, f"framework {key} v{result.version.number} published"
