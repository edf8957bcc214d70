"""Import and export: one schema, every problem reported with its location, nothing half-written."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from turnaround.audit.models import AuditEvent
from turnaround.frameworks import io
from turnaround.frameworks.models import Framework, FrameworkVersion, Indicator, RatingScale
from turnaround.frameworks.problems import FrameworkError
from turnaround.frameworks.seed import seed_document
from turnaround.frameworks.services import framework_import, framework_import_text

pytestmark = pytest.mark.django_db


def _problems(excinfo) -> dict[str, str]:
    return {p.where: p.msg for p in excinfo.value.problems}


def _small(**top) -> dict:
    doc = {
        "key": "mini",
        "name": "Mini framework",
        "scale": "continuum",
        "practices": [
            {
                "code": "P1",
                "name": "First practice",
                "components": [
                    {
                        "code": "P1.A",
                        "name": "First component",
                        "indicators": [
                            {
                                "code": "P1.1",
                                "text": "Something observable.",
                                "tags": ["cst-focus-areas:school-climate"],
                                "descriptors": {0: "none", 1: "some", 2: "most", 3: "all"},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    doc.update(top)
    return doc


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_round_trip_into_a_state(tp, org, personas, fmt):
    exported = io.dumps(io.version_document(tp), fmt)

    result = framework_import_text(
        actor=personas.state_admin, text=exported.encode(), state=org.state, fmt=fmt
    )

    assert result.created_framework and result.version.number == 1
    assert result.framework.state == org.state
    assert result.version.status == "draft"
    assert io.version_document(result.version) == io.version_document(tp)
    assert result.counts == {"practices": 4, "components": 20, "indicators": 21, "descriptors": 84}
    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOAD).latest("at")
    assert event.actor == personas.state_admin and event.state_id == org.state.pk


def test_round_trip_as_the_next_version_keeps_the_crosswalk(tp):
    doc = io.version_document(tp)

    result = framework_import(
        actor=None, document=yaml.safe_load(io.dumps(doc, "yaml")), state=None
    )

    v2 = result.version
    assert not result.created_framework and v2.number == 2 and v2.previous == tp
    assert io.version_document(v2) == doc
    for indicator in v2.indicators.select_related("derived_from"):
        assert indicator.derived_from.code == indicator.code
        assert indicator.derived_from.framework_version_id == tp.pk


def test_renamed_indicator_exports_its_crosswalk(tp):
    doc = io.version_document(tp)
    indicator = doc["practices"][1]["components"][2]["indicators"][0]
    assert indicator["code"] == "TP2.3"
    indicator["code"] = "TP2.3a"
    indicator["derived_from"] = "TP2.3"
    new = doc["practices"][0]["components"][0]["indicators"][0]
    new["derived_from"] = None  # TP1.1 reuses the code for something new

    v2 = framework_import(actor=None, document=doc, state=None).version

    renamed = v2.indicators.get(code="TP2.3a")
    assert renamed.derived_from == tp.indicators.get(code="TP2.3")
    assert v2.indicators.get(code="TP1.1").derived_from is None
    again = io.version_document(v2)
    assert again["practices"][1]["components"][2]["indicators"][0]["derived_from"] == "TP2.3"
    assert again["practices"][0]["components"][0]["indicators"][0]["derived_from"] is None
    assert "derived_from" not in again["practices"][0]["components"][0]["indicators"][1]


def test_every_problem_is_reported_with_its_location_and_nothing_is_written(seeded, org):
    doc = _small()
    indicators = doc["practices"][0]["components"][0]["indicators"]
    indicators[0]["descriptors"][4] = "beyond the scale"
    indicators.append({"code": "P1.1", "text": "", "tags": ["cst-focus-areas:nope"]})
    indicators.append({"code": "P1.3", "text": "Fine.", "derived_from": "X1"})
    doc["practices"].append({"code": "P2", "components": [{"code": "P2 A", "name": "x"}]})
    doc["colour"] = "blue"
    before = (Framework.objects.count(), Indicator.objects.count(), AuditEvent.objects.count())

    with pytest.raises(FrameworkError) as excinfo:
        framework_import(actor=None, document=doc, state=org.state)

    problems = _problems(excinfo)
    base = "practices[0].components[0].indicators"
    assert problems[f"{base}[0].descriptors"] == (
        "level 4 is not on the scale 'continuum' (levels 0–3)"
    )
    assert problems[f"{base}[1].code"] == f"P1.1 is used twice (also at {base}[0])"
    assert problems[f"{base}[1].text"] == "must not be empty"
    assert problems[f"{base}[1].tags[0]"].startswith("unknown tag 'cst-focus-areas:nope'; tags of")
    assert problems[f"{base}[2].derived_from"].startswith("X1: there is no earlier version")
    assert problems["practices[1].name"] == "is required"
    assert "'P2 A'" in problems["practices[1].components[0].code"]
    assert problems["colour"].startswith("unknown field; allowed: format, key, name")
    assert len(excinfo.value.problems) == 8
    after = (Framework.objects.count(), Indicator.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_scale_problems(seeded, org):
    with pytest.raises(FrameworkError) as excinfo:
        framework_import(actor=None, document=_small(scale="five-point"), state=org.state)
    assert _problems(excinfo)["scale"] == (
        "no rating scale 'five-point'; known scales: continuum, implementation"
    )

    clash = {
        "key": "continuum",
        "name": "Mine",
        "levels": [{"code": 0, "label": "Low"}, {"code": 1, "label": "High"}],
    }
    with pytest.raises(FrameworkError) as excinfo:
        framework_import(actor=None, document=_small(scale=clash), state=org.state)
    assert _problems(excinfo)["scale.levels"].startswith(
        "scale 'continuum' already exists with levels 0 No evidence, 1 Developing"
    )

    bad = {
        "key": "two",
        "name": "Two",
        "levels": [{"code": 1, "label": "A"}, {"code": 1, "label": "a"}],
    }
    with pytest.raises(FrameworkError) as excinfo:
        framework_import(actor=None, document=_small(scale=bad), state=org.state)
    problems = _problems(excinfo)
    assert problems["scale.levels[0].code"] == "must be 0: levels are numbered 0, 1, 2 … in order"
    assert problems["scale.levels[1].label"] == "'a' is already the label of level 0"


def test_an_inline_scale_is_created_for_the_state(seeded, org):
    scale = {
        "key": "yes-no",
        "name": "Yes or no",
        "levels": [{"code": 0, "label": "No"}, {"code": 1, "label": "Yes"}],
    }
    doc = _small(scale=scale)
    doc["practices"][0]["components"][0]["indicators"][0]["descriptors"] = {"0": "no", "1": "yes"}

    result = framework_import(actor=None, document=doc, state=org.state)

    stored = RatingScale.objects.get(key="yes-no")
    assert stored.state == org.state and result.version.scale == stored
    assert io.version_document(result.version)["scale"]["levels"][1] == {
        "code": 1,
        "label": "Yes",
        "description": "",
    }
    # the same scale written out again is recognised, not duplicated
    doc["key"] = "mini-two"
    framework_import(actor=None, document=doc, state=org.state)
    assert RatingScale.objects.filter(key="yes-no").count() == 1


def test_import_refuses_while_a_draft_exists(ma_draft, org):
    doc = io.version_document(ma_draft)
    with pytest.raises(FrameworkError) as excinfo:
        framework_import(actor=None, document=doc, state=org.state)
    assert _problems(excinfo)["key"] == (
        "Turnaround Practices already has a draft, v1; publish or discard it before importing "
        "another version"
    )


def test_derived_from_must_name_an_indicator_of_the_previous_version(tp):
    doc = io.version_document(tp)
    doc["practices"][0]["components"][0]["indicators"][0]["derived_from"] = "TP9.9"
    with pytest.raises(FrameworkError) as excinfo:
        framework_import(actor=None, document=doc, state=None)
    assert _problems(excinfo)["practices[0].components[0].indicators[0].derived_from"] == (
        "TP9.9 is not an indicator of v1, the version this import follows"
    )


def test_syntax_errors_say_where():
    with pytest.raises(FrameworkError) as excinfo:
        io.parse("key: a\nname: [unclosed\n", "yaml")
    assert str(excinfo.value).startswith("not valid YAML:")
    assert "line 3" in str(excinfo.value)
    with pytest.raises(FrameworkError) as excinfo:
        io.parse(b'{"key": }', filename="x.json")
    assert str(excinfo.value) == "not valid JSON: Expecting value at line 1, column 9"
    with pytest.raises(FrameworkError, match="not UTF-8"):
        io.parse(b"\xff\xfe\x00", "yaml")


def test_top_level_must_be_a_mapping(seeded):
    with pytest.raises(FrameworkError) as excinfo:
        framework_import(actor=None, document=["a"], state=None)
    assert str(excinfo.value) == "must be a mapping of fields, not a list"


def test_numbers_as_codes(seeded, org):
    doc = _small()
    doc["practices"][0]["code"] = 1  # a whole number is read as text
    doc["practices"][0]["components"][0]["code"] = 1.1  # but 1.1 could mean 1.10: quote it
    with pytest.raises(FrameworkError) as excinfo:
        framework_import(actor=None, document=doc, state=org.state)
    assert _problems(excinfo) == {
        "practices[0].components[0].code": "must be text; write 1.1 in quotes"
    }


def test_seed_files_are_valid_documents(seeded):
    for name in ("turnaround-practices.yaml", "district-capacity.yaml"):
        doc = seed_document(name)
        spec = io.validate_document(copy.deepcopy(doc), state=None)
        assert spec.key == doc["key"]


def test_export_filename_and_json_keys(tp, ma_draft):
    assert io.export_filename(tp, "yaml") == "turnaround-practices-v1.yaml"
    assert io.export_filename(ma_draft, "json") == "ma-turnaround-practices-v1.json"
    data = json.loads(io.dumps(io.version_document(tp), "json"))
    assert list(data["practices"][0]["components"][0]["indicators"][0]["descriptors"]) == [
        "0",
        "1",
        "2",
        "3",
    ]
    assert FrameworkVersion.objects.count() == 3
