"""Versioning rules: drafts change, published versions never do; crosswalks keep ratings whole."""

from __future__ import annotations

import pytest

from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks import io
from turnaround.frameworks.checks import publish_problems
from turnaround.frameworks.models import (
    Component,
    Framework,
    FrameworkVersion,
    Indicator,
    Practice,
    RatingScale,
)
from turnaround.frameworks.problems import FrameworkError, VersionConflict, VersionLocked
from turnaround.frameworks.services import (
    component_create,
    component_delete,
    component_move,
    component_update,
    framework_copy_to_state,
    framework_create,
    framework_version_create,
    framework_version_delete,
    framework_version_publish,
    framework_version_update,
    indicator_create,
    indicator_delete,
    indicator_move,
    indicator_update,
    practice_create,
    practice_delete,
    practice_move,
    practice_update,
)

pytestmark = pytest.mark.django_db

FULL = {0: "Not seen.", 1: "Started.", 2: "In place.", 3: "Routine and refined."}


def _v(version: FrameworkVersion) -> int:
    """The draft's current edit counter, as a page loaded now would carry it."""
    return FrameworkVersion.objects.get(pk=version.pk).version


def _fresh(version: FrameworkVersion) -> FrameworkVersion:
    return FrameworkVersion.objects.select_related("framework", "scale").get(pk=version.pk)


# ---------------------------------------------------------------------------------------------
# Published versions are immutable


def test_every_edit_service_refuses_a_published_version(tp, personas):
    version = _fresh(tp)
    practice = version.practices.get(code="TP1")
    component = practice.components.first()
    indicator = version.indicators.get(code="TP1.1")
    before = io.version_document(version)
    admin = personas.state_admin
    v = version.version
    attempts = [
        lambda: practice_create(
            actor=admin, version=version, expected_version=v, code="X", name="X"
        ),
        lambda: practice_update(
            actor=admin, practice=practice, expected_version=v, changes={"name": "X"}
        ),
        lambda: practice_delete(actor=admin, practice=practice, expected_version=v),
        lambda: practice_move(actor=admin, practice=practice, expected_version=v, offset=1),
        lambda: component_create(
            actor=admin, practice=practice, expected_version=v, code="X", name="X"
        ),
        lambda: component_update(
            actor=admin, component=component, expected_version=v, changes={"name": "X"}
        ),
        lambda: component_delete(actor=admin, component=component, expected_version=v),
        lambda: component_move(actor=admin, component=component, expected_version=v, offset=1),
        lambda: indicator_create(
            actor=admin, component=component, expected_version=v, code="X", text="X"
        ),
        lambda: indicator_update(
            actor=admin, indicator=indicator, expected_version=v, changes={"text": "X"}
        ),
        lambda: indicator_delete(actor=admin, indicator=indicator, expected_version=v),
        lambda: indicator_move(actor=admin, indicator=indicator, expected_version=v, offset=1),
        lambda: framework_version_update(
            actor=admin, version=version, expected_version=v, changes={"label": "X"}
        ),
        lambda: framework_version_delete(actor=admin, version=version, expected_version=v),
        lambda: framework_version_publish(actor=admin, version=version),
    ]
    for attempt in attempts:
        with pytest.raises(VersionLocked) as excinfo:
            attempt()
        assert str(excinfo.value) == (
            "Turnaround Practices v1 is published and cannot be changed; create a new version to "
            "change it"
        )
    assert io.version_document(_fresh(tp)) == before
    assert _fresh(tp).version == v


def test_a_retired_version_is_immutable_too(tp, personas):
    v2 = framework_version_create(actor=None, framework=tp.framework)
    framework_version_publish(actor=None, version=v2)
    retired = _fresh(tp)
    assert retired.status == "retired"
    with pytest.raises(VersionLocked, match="v1 is retired and cannot be changed"):
        practice_create(
            actor=None, version=retired, expected_version=retired.version, code="X", name="X"
        )


# ---------------------------------------------------------------------------------------------
# New versions and crosswalks


def test_new_version_copies_everything_and_links_each_indicator(tp, personas):
    v2 = framework_version_create(actor=personas.state_admin, framework=tp.framework, label="2026")

    assert (v2.number, v2.status, v2.previous, v2.scale) == (2, "draft", tp, tp.scale)
    assert v2.created_by == personas.state_admin
    old = {i.code: i for i in tp.indicators.all()}
    new = list(v2.indicators.select_related("derived_from").prefetch_related("tags", "descriptors"))
    assert len(new) == len(old) == 21
    for indicator in new:
        source = old[indicator.code]
        assert indicator.derived_from == source
        assert indicator.text == source.text and indicator.is_key == source.is_key
        assert {t.pk for t in indicator.tags.all()} == {t.pk for t in source.tags.all()}
        assert {(d.level_code, d.text) for d in indicator.descriptors.all()} == {
            (d.level_code, d.text) for d in source.descriptors.all()
        }
    doc = io.version_document(v2)
    assert (doc["label"], doc["notes"]) == ("2026", "")
    doc["label"], doc["notes"] = tp.label, tp.notes
    assert doc == io.version_document(tp)
    assert AuditEvent.objects.filter(object_id=str(v2.pk), action="create").exists()


def test_only_one_draft_at_a_time(tp):
    framework_version_create(actor=None, framework=tp.framework)
    with pytest.raises(VersionConflict, match="v2 is still a draft"):
        framework_version_create(actor=None, framework=tp.framework)
    assert tp.framework.versions.count() == 2


def test_publish_retires_the_previous_version(tp, personas):
    v2 = framework_version_create(actor=None, framework=tp.framework)

    framework_version_publish(actor=personas.state_admin, version=v2, expected_version=v2.version)

    v2 = _fresh(v2)
    assert v2.status == "published" and v2.published_at and v2.published_by == personas.state_admin
    assert _fresh(tp).status == "retired"
    event = AuditEvent.objects.filter(object_id=str(v2.pk), action="update").latest("at")
    assert event.changes == {"status": ["draft", "published"], "retired": ["v1"]}


def test_publish_lists_what_is_incomplete(ma_draft, personas):
    v = ma_draft.version
    indicator = ma_draft.indicators.get(code="TP2.3")
    indicator_update(
        actor=None,
        indicator=indicator,
        expected_version=v,
        changes={"descriptors": {2: "", 3: ""}},
    )
    practice_create(
        actor=None, version=ma_draft, expected_version=ma_draft.version, code="TP5", name="Five"
    )

    with pytest.raises(FrameworkError) as excinfo:
        framework_version_publish(actor=personas.state_admin, version=ma_draft)

    assert [str(p) for p in excinfo.value.problems] == [
        "TP2.3: no descriptor for levels 2 (Providing), 3 (Sustaining)",
        "TP5: has no components; add one",
    ]
    assert _fresh(ma_draft).status == "draft"


def test_publish_refuses_to_orphan_ratings(ma_published, rate, personas):
    v1 = ma_published
    rated = v1.indicators.get(code="TP2.3")
    rate(rated, n=4)
    rate(v1.indicators.get(code="TP2.4"))
    v2 = framework_version_create(actor=None, framework=v1.framework)
    old = v2.indicators.get(code="TP2.3")
    rewritten = indicator_create(
        actor=None,
        component=old.component,
        expected_version=v2.version,
        code="TP2.6",
        text="Teams use student work to plan re-teaching, and check that it worked.",
        descriptors=FULL,
    )
    indicator_delete(actor=None, indicator=old, expected_version=_fresh(v2).version)

    with pytest.raises(FrameworkError) as excinfo:
        framework_version_publish(actor=personas.state_admin, version=v2)

    assert [str(p) for p in excinfo.value.problems] == [
        "TP2.3: TP2.3 has ratings in 4 assessments under v1; keep it, or map it to an indicator "
        "of v2 before publishing"
    ]
    assert _fresh(v2).status == "draft" and _fresh(v1).status == "published"

    # mapping the rated indicator onto one of v2 is a crosswalk: publishing goes ahead
    indicator_update(
        actor=None,
        indicator=rewritten,
        expected_version=_fresh(v2).version,
        changes={"derived_from": rated},
    )
    framework_version_publish(actor=personas.state_admin, version=v2)
    assert _fresh(v2).status == "published" and _fresh(v1).status == "retired"


def test_dropping_an_unrated_indicator_is_fine(ma_published, rate):
    rate(ma_published.indicators.get(code="TP1.1"))
    v2 = framework_version_create(actor=None, framework=ma_published.framework)
    indicator_delete(
        actor=None, indicator=v2.indicators.get(code="TP1.2"), expected_version=v2.version
    )
    assert publish_problems(_fresh(v2)) == []


# ---------------------------------------------------------------------------------------------
# Editing a draft


def test_editing_a_draft(ma_draft, personas):
    admin = personas.state_admin
    d = ma_draft
    practice = practice_create(
        actor=admin, version=d, expected_version=_v(d), code="TP5", name="Partnerships"
    )
    component = component_create(
        actor=admin, practice=practice, expected_version=_v(d), code="TP5.A", name="Partners"
    )
    indicator = indicator_create(
        actor=admin,
        component=component,
        expected_version=_v(d),
        code="TP5.1",
        text="The school chooses partners on evidence.",
        is_key=True,
        tags=["cst-focus-areas:partner-pool"],
        descriptors=FULL,
    )
    assert indicator.framework_version == d and indicator.position == 0
    assert [t.key for t in indicator.tags.all()] == ["partner-pool"]
    assert publish_problems(_fresh(d)) == []

    indicator_update(
        actor=admin,
        indicator=indicator,
        expected_version=_v(d),
        changes={
            "code": "TP5.2",
            "text": "Partners are chosen on evidence of results.",
            "tags": [],
            "descriptors": {3: "Partners are reviewed and renewed on results."},
        },
    )
    indicator.refresh_from_db()
    assert indicator.code == "TP5.2" and not indicator.tags.exists()
    assert indicator.descriptors.get(level_code=3).text.startswith("Partners are reviewed")
    assert indicator.descriptors.count() == 4
    event = AuditEvent.objects.filter(object_id=str(indicator.pk), action="update").latest("at")
    assert event.changes["code"] == ["TP5.1", "TP5.2"]
    assert event.changes["tags"] == [["Pool of high-quality partners"], []]
    assert event.state_id == d.framework.state_id

    practice_update(
        actor=admin, practice=practice, expected_version=_v(d), changes={"name": "Partners"}
    )
    component_update(
        actor=admin, component=component, expected_version=_v(d), changes={"code": "TP5.B"}
    )
    assert Component.objects.get(pk=component.pk).code == "TP5.B"
    practice_move(actor=admin, practice=practice, expected_version=_v(d), offset=-1)
    assert [p.code for p in d.practices.order_by("position")] == ["TP1", "TP2", "TP3", "TP5", "TP4"]
    component_delete(actor=admin, component=component, expected_version=_v(d))
    assert not Indicator.objects.filter(pk=indicator.pk).exists()
    practice_delete(actor=admin, practice=practice, expected_version=_v(d))
    assert not Practice.objects.filter(pk=practice.pk).exists()
    assert AuditEvent.objects.filter(
        action="delete", object_type="frameworks.Practice", object_repr="TP5 Partners"
    ).exists()


def test_moving_indicators_and_components(ma_draft):
    d = ma_draft
    component = d.indicators.get(code="TP1.1").component
    other = d.indicators.get(code="TP1.3").component
    moved = indicator_create(
        actor=None, component=component, expected_version=_v(d), code="TP1.9", text="Nine."
    )
    indicator_move(actor=None, indicator=moved, expected_version=_v(d), offset=-1)
    assert [i.code for i in component.indicators.order_by("position")] == [
        "TP1.1",
        "TP1.9",
        "TP1.2",
    ]
    indicator_move(actor=None, indicator=moved, expected_version=_v(d), offset=-5)
    assert component.indicators.order_by("position").first().code == "TP1.9"
    indicator_update(
        actor=None, indicator=moved, expected_version=_v(d), changes={"component": other}
    )
    assert [i.code for i in other.indicators.order_by("position")] == ["TP1.3", "TP1.9"]
    component_move(actor=None, component=other, expected_version=_v(d), offset=-1)
    assert list(other.practice.components.order_by("position").values_list("code", flat=True))[
        :2
    ] == ["TP1.B", "TP1.A"]


def test_edits_are_checked_before_anything_is_saved(ma_draft):
    d = ma_draft
    component = d.indicators.get(code="TP1.1").component
    v = d.version
    with pytest.raises(FrameworkError) as excinfo:
        indicator_create(
            actor=None,
            component=component,
            expected_version=v,
            code="TP1.2",
            text=" ",
            tags=["cst-focus-areas:unknown"],
            descriptors={7: "x"},
            derived_from="TP9.9",
        )
    assert {p.where: p.msg for p in excinfo.value.problems} == {
        "code": "TP1.2 is already the code of an indicator of this version",
        "text": "must not be empty",
        "tags": "unknown tag 'cst-focus-areas:unknown'",
        "descriptors": "level 7 is not on the scale 'continuum' (levels 0–3)",
        "derived_from": "TP9.9 is not an indicator of Turnaround Practices v1",
    }
    assert _fresh(d).version == v  # the failed edit left the draft untouched
    with pytest.raises(FrameworkError, match="already the code of a practice"):
        practice_create(actor=None, version=d, expected_version=v, code="TP1", name="Again")
    with pytest.raises(FrameworkError, match="'T P'"):
        practice_update(
            actor=None,
            practice=d.practices.first(),
            expected_version=v,
            changes={"code": "T P"},
        )
    with pytest.raises(FrameworkError, match="cannot be changed here"):
        practice_update(
            actor=None, practice=d.practices.first(), expected_version=v, changes={"position": 3}
        )


def test_a_stale_edit_is_refused_and_writes_nothing(ma_draft):
    d = ma_draft
    loaded = d.version
    indicator = d.indicators.get(code="TP1.1")
    indicator_update(
        actor=None, indicator=indicator, expected_version=loaded, changes={"text": "First save."}
    )
    events = AuditEvent.objects.count()

    with pytest.raises(StaleEditError) as excinfo:
        indicator_update(
            actor=None,
            indicator=Indicator.objects.get(pk=indicator.pk),
            expected_version=loaded,
            changes={"text": "Second save, from an old page."},
        )

    assert "was changed by someone else after you opened it" in str(excinfo.value)
    assert Indicator.objects.get(pk=indicator.pk).text == "First save."
    assert AuditEvent.objects.count() == events


def test_details_of_a_draft(ma_draft, personas):
    version = framework_version_update(
        actor=personas.state_admin,
        version=ma_draft,
        expected_version=ma_draft.version,
        changes={
            "name": "Massachusetts Turnaround Practices",
            "label": "MA 2026",
            "notes": "Ours.",
        },
    )
    framework = Framework.objects.get(pk=ma_draft.framework_id)
    assert framework.name == "Massachusetts Turnaround Practices" and framework.version == 2
    assert (version.label, version.notes) == ("MA 2026", "Ours.")
    with pytest.raises(FrameworkError, match="must not be empty"):
        framework_version_update(
            actor=None, version=version, expected_version=version.version, changes={"name": ""}
        )


def test_discarding_a_draft(tp, ma_draft):
    framework_id = ma_draft.framework_id
    framework_version_delete(actor=None, version=ma_draft, expected_version=ma_draft.version)
    assert not Framework.objects.filter(pk=framework_id).exists()
    v2 = framework_version_create(actor=None, framework=tp.framework)
    framework_version_delete(actor=None, version=v2, expected_version=v2.version)
    assert list(tp.framework.versions.values_list("number", flat=True)) == [1]


# ---------------------------------------------------------------------------------------------
# Creating and copying frameworks


def test_copy_into_a_state_keeps_the_crosswalk(tp, org, personas):
    copy = framework_copy_to_state(actor=personas.state_admin, version=tp, state=org.state)

    framework = copy.framework
    assert framework.state == org.state and framework.key == tp.framework.key
    assert (copy.number, copy.status, copy.previous) == (1, "draft", None)
    assert copy.indicators.count() == 21
    assert all(i.derived_from.framework_version_id == tp.pk for i in copy.indicators.all())
    assert io.version_document(copy)["practices"] == io.version_document(tp)["practices"]
    with pytest.raises(FrameworkError, match="already has a framework with key"):
        framework_copy_to_state(actor=None, version=tp, state=org.state)
    other = framework_copy_to_state(actor=None, version=tp, state=org.state, key="tp-secondary")
    assert other.framework.key == "tp-secondary"


def test_only_published_versions_are_copied(ma_draft, org):
    with pytest.raises(VersionConflict, match="only a published version"):
        framework_copy_to_state(actor=None, version=ma_draft, state=org.other_state)


def test_framework_create(seeded, org, personas):
    scale = RatingScale.objects.get(key="implementation")
    version = framework_create(
        actor=personas.state_admin,
        state=org.state,
        key="ma-indistar",
        name="Rapid improvement indicators",
        scale=scale,
    )
    assert (version.number, version.status, version.framework.state) == (1, "draft", org.state)
    with pytest.raises(FrameworkError) as excinfo:
        framework_create(actor=None, state=org.state, key="ma-indistar", name="", scale=scale)
    assert {p.where for p in excinfo.value.problems} == {"key", "name"}
