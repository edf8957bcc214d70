"""The seeded scales, focus areas and frameworks: complete, in the project's words, idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from turnaround.audit.models import AuditEvent
from turnaround.frameworks import seed as seed_module
from turnaround.frameworks.models import (
    Framework,
    FrameworkVersion,
    Indicator,
    IndicatorDescriptor,
    Practice,
    RatingScale,
    Tag,
    Taxonomy,
)
from turnaround.frameworks.seed import frameworks_seed
from turnaround.frameworks.selectors import (
    DISTRICT_CAPACITY,
    FOCUS_AREAS,
    TURNAROUND_PRACTICES,
    current_version,
)
from turnaround.frameworks.services import framework_version_publish

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        m.__name__: m.objects.count()
        for m in (
            RatingScale,
            Taxonomy,
            Tag,
            Framework,
            FrameworkVersion,
            Practice,
            Indicator,
            IndicatorDescriptor,
            AuditEvent,
        )
    }


def test_scales():
    frameworks_seed()
    continuum = RatingScale.objects.get(key="continuum", state__isnull=True)
    assert [(lv.code, lv.label) for lv in continuum.levels.all()] == [
        (0, "No evidence"),
        (1, "Developing"),
        (2, "Providing"),
        (3, "Sustaining"),
    ]
    assert all(lv.description for lv in continuum.levels.all())
    assert not continuum.allows_not_priority
    implementation = RatingScale.objects.get(key="implementation", state__isnull=True)
    assert [lv.label for lv in implementation.levels.all()] == [
        "No development or implementation",
        "Limited development",
        "Full implementation",
    ]
    assert implementation.allows_not_priority


def test_focus_areas_taxonomy_has_twelve_tags():
    frameworks_seed()
    taxonomy = Taxonomy.objects.get(key=FOCUS_AREAS)
    tags = list(taxonomy.tags.all())
    assert len(tags) == 12
    assert len({t.key for t in tags}) == 12
    assert [t.position for t in tags] == list(range(12))
    assert {"district-capacity", "expanded-learning-time", "political-will"} <= {
        t.key for t in tags
    }


def test_turnaround_practices_are_complete():
    frameworks_seed()
    version = current_version(TURNAROUND_PRACTICES)
    assert version is not None and version.number == 1
    assert version.status == "published" and version.published_at is not None
    assert version.framework.state is None and version.framework.kind == "school"
    assert version.scale.key == "continuum"
    practices = list(version.practices.order_by("position"))
    assert [p.code for p in practices] == ["TP1", "TP2", "TP3", "TP4"]
    assert "shared responsibility" in practices[0].name
    assert "instruction" in practices[1].name.lower()
    assert "student-specific" in practices[2].name.lower()
    assert "climate" in practices[3].name.lower()
    levels = {0, 1, 2, 3}
    for practice in practices:
        indicators = list(Indicator.objects.filter(component__practice=practice))
        assert len(indicators) >= 4, practice.code
        assert practice.components.count() >= 4
        for indicator in indicators:
            assert indicator.code.startswith(practice.code + ".")
            assert indicator.text and indicator.look_fors
            assert {d.level_code for d in indicator.descriptors.all()} == levels, indicator.code
    indicators = Indicator.objects.filter(framework_version=version)
    assert indicators.filter(is_key=True).count() >= 8
    assert indicators.filter(tags__taxonomy__key=FOCUS_AREAS).distinct().count() >= 10
    assert sorted(indicators.values_list("code", flat=True))[:3] == ["TP1.1", "TP1.2", "TP1.3"]


def test_district_capacity_framework():
    frameworks_seed()
    version = current_version(DISTRICT_CAPACITY)
    framework = version.framework
    assert framework.kind == "district"
    assert (framework.practice_term, framework.component_term) == ("District system", "Support")
    assert version.scale.key == "continuum"
    assert version.practices.count() >= 5
    for indicator in Indicator.objects.filter(framework_version=version):
        assert indicator.descriptors.count() == 4


def test_seed_is_idempotent():
    first = frameworks_seed()
    assert first.changed
    assert "framework turnaround-practices v1 published" in first.created
    before = _counts()

    second = frameworks_seed()

    assert not second.changed
    assert not second.created and not second.updated
    assert "framework turnaround-practices v1" in second.unchanged
    assert _counts() == before


def test_changed_seed_text_becomes_the_next_published_version(monkeypatch):
    frameworks_seed()
    original = seed_module.seed_document

    def edited(name: str):
        doc = original(name)
        if doc["key"] == TURNAROUND_PRACTICES:
            indicator = doc["practices"][0]["components"][0]["indicators"][0]
            indicator["text"] = "Leaders state a clear vision tied to measurable goals."
        return doc

    monkeypatch.setattr(seed_module, "seed_document", edited)
    result = frameworks_seed()

    assert "framework turnaround-practices v2 published" in result.updated
    v1, v2 = FrameworkVersion.objects.filter(framework__key=TURNAROUND_PRACTICES).order_by("number")
    assert (v1.status, v2.status) == ("retired", "published")
    changed = v2.indicators.get(code="TP1.1")
    assert changed.text.startswith("Leaders state a clear vision tied")
    assert changed.derived_from == v1.indicators.get(code="TP1.1")
    assert not v2.indicators.filter(derived_from__isnull=True).exists()
    assert current_version(TURNAROUND_PRACTICES) == v2
    assert not frameworks_seed().changed


def test_current_version_prefers_the_states_published_copy(ma_draft, org, personas):
    shared = current_version(TURNAROUND_PRACTICES)
    assert current_version(TURNAROUND_PRACTICES, state=org.state) == shared  # the copy is a draft
    framework_version_publish(actor=personas.state_admin, version=ma_draft)
    assert current_version(TURNAROUND_PRACTICES, state=org.state) == ma_draft
    assert current_version(TURNAROUND_PRACTICES, state=org.other_state) == shared


def test_seed_command(capsys):
    call_command("frameworks", "seed")
    out = capsys.readouterr().out
    assert "created  framework turnaround-practices v1 published" in out
    call_command("frameworks", "seed")
    assert "Nothing to do" in capsys.readouterr().out
