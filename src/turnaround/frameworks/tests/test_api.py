"""The frameworks API (/api/v1/frameworks…) for every persona."""

from __future__ import annotations

import json

import pytest

from turnaround.accounts.services import token_create
from turnaround.frameworks import io
from turnaround.frameworks.models import Framework, FrameworkVersion
from turnaround.frameworks.services import framework_version_create

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}
READERS = ("state_admin", "state_staff", "reviewer", "viewer", "school_leader", "district_leader")


def post(client, path: str, data: dict):
    return client.post(path, json.dumps(data), content_type="application/json")


def vpath(version: FrameworkVersion, suffix: str = "") -> str:
    return f"/api/v1/frameworks/{version.framework_id}/versions/{version.number}{suffix}"


@pytest.mark.parametrize("persona", READERS)
def test_list_for_members(personas, client_for, tp, ma_draft, persona):
    response = client_for(getattr(personas, persona)).get("/api/v1/frameworks")
    assert response.status_code == 200
    rows = {(r["key"], r["state"]): r for r in response.json()}
    assert set(rows) == {
        ("turnaround-practices", None),
        ("district-capacity", None),
        ("turnaround-practices", "MA"),
    }
    shared = rows[("turnaround-practices", None)]
    assert shared["versions"][0]["status"] == "published" and shared["can_edit"] is False
    own = rows[("turnaround-practices", "MA")]
    assert own["can_edit"] is (persona == "state_admin")
    assert shared["can_copy"] is (persona == "state_admin")


def test_list_for_outsiders_and_anonymous(personas, client_for, client, tp, ma_draft):
    assert client_for(personas.outsider).get("/api/v1/frameworks").json() == []
    ri = client_for(personas.other_state_admin).get("/api/v1/frameworks").json()
    assert {r["state"] for r in ri} == {None}
    assert client.get("/api/v1/frameworks").status_code == 401


def test_version_tree(personas, client_for, tp):
    response = client_for(personas.reviewer).get(vpath(tp))
    assert response.status_code == 200
    body = response.json()
    assert body["framework"]["key"] == "turnaround-practices" and body["status"] == "published"
    assert [lv["label"] for lv in body["scale"]["levels"]] == [
        "No evidence",
        "Developing",
        "Providing",
        "Sustaining",
    ]
    assert [p["code"] for p in body["practices"]] == ["TP1", "TP2", "TP3", "TP4"]
    first = body["practices"][0]["components"][0]["indicators"][0]
    assert first["code"] == "TP1.1" and first["is_key"] is True
    assert [d["level"] for d in first["descriptors"]] == [0, 1, 2, 3]
    assert "cst-focus-areas:leader-pipeline" in first["tags"]
    assert body["publish_problems"] == []


def test_version_tree_404s(personas, client_for, tp, ma_draft):
    assert client_for(personas.outsider).get(vpath(tp)).json() == NOT_FOUND
    assert client_for(personas.other_state_admin).get(vpath(ma_draft)).status_code == 404
    assert client_for(personas.reviewer).get(vpath(tp).replace("/1", "/9")).status_code == 404


def test_crosswalk_in_the_tree(personas, client_for, ma_published):
    v2 = framework_version_create(actor=None, framework=ma_published.framework)
    body = client_for(personas.state_admin).get(vpath(v2)).json()
    first = body["practices"][0]["components"][0]["indicators"][0]
    assert first["derived_from"]["code"] == "TP1.1"
    assert first["derived_from"]["version"] == 1
    assert first["derived_from"]["framework_id"] == ma_published.framework_id
    assert body["previous"] == 1 and body["status"] == "draft"


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export(personas, client_for, tp, fmt):
    response = client_for(personas.school_leader).get(vpath(tp, f"/export?format={fmt}"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/json" if fmt == "json" else "application/yaml"
    )
    assert io.parse(response.content, fmt)["key"] == "turnaround-practices"
    bad = client_for(personas.school_leader).get(vpath(tp, "/export?format=csv"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "format"


def test_token_auth(personas, client, tp):
    _, raw = token_create(user=personas.state_staff, name="script")
    response = client.get("/api/v1/frameworks", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and len(response.json()) == 2


# ---------------------------------------------------------------------------------------------
# Import


def test_import_creates_a_framework(personas, client_for, tp, org):
    doc = io.version_document(tp)
    doc["key"] = "ma-tp"
    response = post(
        client_for(personas.state_admin),
        "/api/v1/frameworks/import",
        {"content": io.dumps(doc, "yaml"), "format": "yaml"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created_framework"] is True and body["version"] == 1 and body["status"] == "draft"
    assert body["counts"]["indicators"] == 21
    assert Framework.objects.get(pk=body["framework_id"]).state == org.state


def test_import_problems_are_422_with_locations(personas, client_for, tp):
    doc = io.version_document(tp)
    doc["key"] = "ma-tp"
    doc["practices"][1]["components"][0]["indicators"].append(
        {"code": "TP2.9", "text": "x", "descriptors": {"4": "too high"}}
    )
    doc["practices"][0]["components"][0]["indicators"][0]["tags"] = ["cst-focus-areas:nope"]

    response = post(
        client_for(personas.state_admin), "/api/v1/frameworks/import", {"document": doc}
    )

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert {
        "loc": [
            "body",
            "document",
            "practices",
            1,
            "components",
            0,
            "indicators",
            1,
            "descriptors",
        ],
        "msg": "level 4 is not on the scale 'continuum' (levels 0–3)",
        "type": "framework_document",
    } in detail
    assert ["body", "document", "practices", 0, "components", 0, "indicators", 0, "tags", 0] in [
        d["loc"] for d in detail
    ]
    assert not Framework.objects.filter(key="ma-tp").exists()


def test_import_syntax_error_and_missing_body(personas, client_for, seeded):
    client = client_for(personas.state_admin)
    response = post(client, "/api/v1/frameworks/import", {"content": "key: [", "format": "yaml"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "content"]
    assert response.json()["detail"][0]["msg"].startswith("not valid YAML")
    response = post(client, "/api/v1/frameworks/import", {})
    assert response.status_code == 422


@pytest.mark.parametrize("persona", ["state_staff", "reviewer", "school_leader", "outsider"])
def test_import_is_for_state_admins(personas, client_for, tp, persona):
    doc = io.version_document(tp)
    response = post(
        client_for(getattr(personas, persona)), "/api/v1/frameworks/import", {"document": doc}
    )
    assert response.status_code == 404 and response.json() == NOT_FOUND
    response = post(
        client_for(personas.state_admin),
        "/api/v1/frameworks/import",
        {"document": doc, "state": "RI"},
    )
    assert response.status_code == 404
    assert Framework.objects.count() == 2


# ---------------------------------------------------------------------------------------------
# Versions and publishing


def test_new_version_and_publish(personas, client_for, ma_published):
    client = client_for(personas.state_admin)
    fid = ma_published.framework_id
    response = post(client, f"/api/v1/frameworks/{fid}/versions", {"label": "2026"})
    assert response.status_code == 201
    v2 = response.json()
    assert (v2["number"], v2["status"], v2["previous"], v2["label"]) == (2, "draft", 1, "2026")

    again = post(client, f"/api/v1/frameworks/{fid}/versions", {})
    assert again.status_code == 409 and "still a draft" in again.json()["detail"]

    stale = post(client, f"/api/v1/frameworks/{fid}/versions/2/publish", {"expected_version": 99})
    assert stale.status_code == 409 and "changed by someone else" in stale.json()["detail"]

    response = post(
        client, f"/api/v1/frameworks/{fid}/versions/2/publish", {"expected_version": v2["version"]}
    )
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert FrameworkVersion.objects.get(pk=ma_published.pk).status == "retired"

    locked = post(client, f"/api/v1/frameworks/{fid}/versions/2/publish", {})
    assert locked.status_code == 409
    assert locked.json()["detail"] == (
        "Turnaround Practices v2 is published and cannot be changed; create a new version to "
        "change it"
    )


def test_publish_problems_are_422(personas, client_for, ma_published, rate):
    rate(ma_published.indicators.get(code="TP1.2"), n=3)
    v2 = framework_version_create(actor=None, framework=ma_published.framework)
    v2.indicators.filter(code="TP1.2").delete()
    client = client_for(personas.state_admin)

    tree = client.get(vpath(v2)).json()
    assert tree["publish_problems"] == [
        {
            "loc": ["TP1.2"],
            "msg": "TP1.2 has ratings in 3 assessments under v1; keep it, or map it to an "
            "indicator of v2 before publishing",
        }
    ]
    response = post(client, vpath(v2, "/publish"), {})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["version", "TP1.2"]
    assert FrameworkVersion.objects.get(pk=v2.pk).status == "draft"


@pytest.mark.parametrize("persona", ["state_staff", "reviewer", "other_state_admin", "outsider"])
def test_writes_are_404_for_others(personas, client_for, ma_draft, tp, persona):
    client = client_for(getattr(personas, persona))
    assert post(client, vpath(ma_draft, "/publish"), {}).status_code == 404
    assert post(client, f"/api/v1/frameworks/{tp.framework_id}/versions", {}).status_code == 404
    assert FrameworkVersion.objects.get(pk=ma_draft.pk).status == "draft"
    assert tp.framework.versions.count() == 1


def test_shared_frameworks_are_read_only_for_admins(personas, client_for, tp):
    client = client_for(personas.state_admin)
    assert post(client, f"/api/v1/frameworks/{tp.framework_id}/versions", {}).status_code == 404
    assert post(client, vpath(tp, "/publish"), {}).status_code == 404


def test_copy(personas, client_for, tp, org):
    client = client_for(personas.state_admin)
    response = post(client, vpath(tp, "/copy"), {"name": "MA practices"})
    assert response.status_code == 201
    body = response.json()
    framework = Framework.objects.get(pk=body["framework_id"])
    assert framework.state == org.state and framework.name == "MA practices"
    assert body["status"] == "draft" and body["number"] == 1
    again = post(client, vpath(tp, "/copy"), {})
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "key"]
    assert post(client_for(personas.state_staff), vpath(tp, "/copy"), {}).status_code == 404
