"""Framework pages for every persona: reading, the draft editor, publishing, import and copy."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from turnaround.core.testing import described_by
from turnaround.frameworks import io
from turnaround.frameworks.models import Framework, FrameworkVersion, Indicator, Practice
from turnaround.frameworks.services import (
    framework_version_create,
    indicator_update,
)

pytestmark = pytest.mark.django_db

READERS = (
    "state_admin",
    "state_staff",
    "ta_provider",
    "reviewer",
    "viewer",
    "district_leader",
    "school_leader",
    "partner_staff",
)
NOT_EDITORS = ("state_staff", "reviewer", "school_leader", "district_leader", "other_state_admin")


def url(version: FrameworkVersion, suffix: str = "") -> str:
    return f"/frameworks/{version.framework_id}/versions/{version.number}/{suffix}"


def h1_count(response) -> int:
    return response.content.count(b"<h1")


# ---------------------------------------------------------------------------------------------
# Reading


@pytest.mark.parametrize("path", ["/frameworks/", "/frameworks/1/versions/1/"])
def test_pages_require_sign_in(client, seeded, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", READERS)
def test_every_member_reads_the_frameworks(personas, client_for, tp, ma_draft, persona):
    client = client_for(getattr(personas, persona))

    listing = client.get("/frameworks/")
    assert listing.status_code == 200 and h1_count(listing) == 1
    assert b"Turnaround Practices" in listing.content
    assert b"District capacity for turnaround" in listing.content

    page = client.get(url(tp))
    assert page.status_code == 200 and h1_count(page) == 1
    html = page.content.decode()
    assert "TP1 Leadership, shared responsibility, and professional collaboration" in html
    assert '<th scope="col">0 No evidence</th>' in html and "3 Sustaining" in html
    assert (
        html.count('class="usa-table usa-table--compact usa-table--borderless descriptor-table')
        == 21
    )
    assert "Pool of high-quality partners" in html  # a focus-area tag
    assert f'href="/frameworks/{tp.framework_id}/versions/1/export.yaml"' in html
    assert "/practices/new/" not in html  # the shared framework is read-only for everyone


def test_outsider_and_other_state_see_nothing(personas, client_for, tp, ma_draft):
    outsider = client_for(personas.outsider)
    assert outsider.get("/frameworks/").status_code == 404
    assert outsider.get(url(tp)).status_code == 404
    ri_admin = client_for(personas.other_state_admin)
    assert ri_admin.get(url(tp)).status_code == 200
    assert ri_admin.get(url(ma_draft)).status_code == 404
    assert b"Massachusetts" not in ri_admin.get("/frameworks/").content


def test_framework_link_opens_the_published_version(personas, client_for, tp):
    response = client_for(personas.reviewer).get(f"/frameworks/{tp.framework_id}/")
    assert response.status_code == 302 and response["Location"] == url(tp)


def test_crosswalk_is_shown(personas, client_for, ma_published):
    v2 = framework_version_create(actor=None, framework=ma_published.framework)
    html = client_for(personas.state_staff).get(url(v2)).content.decode()
    assert "continues TP1.3 of v1" in html
    copy_html = client_for(personas.state_staff).get(url(ma_published)).content.decode()
    assert "continues TP1.3 of Turnaround Practices v1" in copy_html


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_download(personas, client_for, tp, fmt):
    response = client_for(personas.school_leader).get(url(tp, f"export.{fmt}"))
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="turnaround-practices-v1.{fmt}"'
    )
    document = io.parse(response.content, fmt)
    assert document == io.parse(io.dumps(io.version_document(tp), fmt), fmt)
    assert client_for(personas.school_leader).get(url(tp, "export.csv")).status_code == 404


# ---------------------------------------------------------------------------------------------
# The draft editor: who may use it


def test_state_admin_sees_the_editor_of_their_draft(personas, client_for, ma_draft):
    html = client_for(personas.state_admin).get(url(ma_draft)).content.decode()
    assert "Add a practice" in html and "Publish…" in html
    assert f'name="version" value="{ma_draft.version}"' in html
    assert 'Move up <span class="usa-sr-only">TP1.1</span>' in html


@pytest.mark.parametrize("persona", NOT_EDITORS)
def test_others_cannot_edit_a_draft(personas, client_for, ma_draft, persona):
    client = client_for(getattr(personas, persona))
    practice = ma_draft.practices.get(code="TP1")
    indicator = ma_draft.indicators.get(code="TP1.1")
    if persona != "other_state_admin":
        html = client.get(url(ma_draft)).content.decode()
        assert "Add a practice" not in html and "Publish…" not in html
    for path in (
        "practices/new/",
        f"practices/{practice.pk}/edit/",
        f"indicators/{indicator.pk}/edit/",
        "publish/",
        "edit/",
    ):
        assert client.get(url(ma_draft, path)).status_code == 404, path
    response = client.post(
        url(ma_draft, "practices/new/"), {"version": ma_draft.version, "code": "X", "name": "X"}
    )
    assert response.status_code == 404
    response = client.post(
        url(ma_draft, f"indicators/{indicator.pk}/delete/"), {"version": ma_draft.version}
    )
    assert response.status_code == 404
    assert client.post(url(ma_draft, "publish/"), {"version": ma_draft.version}).status_code == 404
    assert not Practice.objects.filter(code="X").exists()
    assert Indicator.objects.filter(pk=indicator.pk).exists()
    assert FrameworkVersion.objects.get(pk=ma_draft.pk).status == "draft"


def test_shared_frameworks_are_read_only_even_for_admins(personas, client_for, tp):
    client = client_for(personas.state_admin)
    assert client.get(url(tp, "practices/new/")).status_code == 404
    assert client.post(f"/frameworks/{tp.framework_id}/versions/new/").status_code == 404
    assert tp.framework.versions.count() == 1


def test_editing_a_published_version_answers_409(personas, client_for, ma_published):
    client = client_for(personas.state_admin)
    indicator = ma_published.indicators.get(code="TP1.1")
    page = client.get(url(ma_published, f"indicators/{indicator.pk}/edit/"))
    assert page.status_code == 409
    assert b"is published" in page.content
    response = client.post(
        url(ma_published, f"indicators/{indicator.pk}/delete/"),
        {"version": ma_published.version},
    )
    assert response.status_code == 409
    assert Indicator.objects.filter(pk=indicator.pk).exists()


# ---------------------------------------------------------------------------------------------
# The draft editor: what it does


def test_add_edit_move_and_delete(personas, client_for, ma_draft):
    client = client_for(personas.state_admin)
    response = client.post(
        url(ma_draft, "practices/new/"),
        {"version": ma_draft.version, "code": "TP5", "name": "Partnerships", "summary": ""},
    )
    practice = Practice.objects.get(framework_version=ma_draft, code="TP5")
    assert response.status_code == 302 and response["Location"].endswith(f"#practice-{practice.pk}")

    v = FrameworkVersion.objects.get(pk=ma_draft.pk).version
    response = client.post(
        url(ma_draft, f"practices/{practice.pk}/components/new/"),
        {"version": v, "code": "TP5.A", "name": "Choosing partners"},
    )
    assert response.status_code == 302
    component = practice.components.get()

    form_page = client.get(url(ma_draft, f"components/{component.pk}/indicators/new/"))
    assert form_page.status_code == 200 and h1_count(form_page) == 1
    html = form_page.content.decode()
    assert '<label class="usa-label" for="id_descriptor_3">3 Sustaining' in html
    assert "What the indicator looks like at each level" in html
    v = FrameworkVersion.objects.get(pk=ma_draft.pk).version
    tag = form_page.context["form"].fields["tags"].queryset.get(key="partner-pool")
    response = client.post(
        url(ma_draft, f"components/{component.pk}/indicators/new/"),
        {
            "version": v,
            "component": component.pk,
            "code": "TP5.1",
            "text": "Partners are chosen on evidence of results.",
            "look_fors": "",
            "is_key": "on",
            "derived_from": "",
            "tags": [tag.pk],
            "descriptor_0": "No criteria.",
            "descriptor_1": "Some criteria.",
            "descriptor_2": "Criteria and goals.",
            "descriptor_3": "Reviewed and renewed on results.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    indicator = Indicator.objects.get(framework_version=ma_draft, code="TP5.1")
    assert indicator.is_key and indicator.descriptors.count() == 4
    assert list(indicator.tags.values_list("key", flat=True)) == ["partner-pool"]

    v = FrameworkVersion.objects.get(pk=ma_draft.pk).version
    response = client.post(
        url(ma_draft, f"practices/{practice.pk}/move/"), {"version": v, "offset": "-1"}
    )
    assert response.status_code == 302
    codes = list(ma_draft.practices.order_by("position").values_list("code", flat=True))
    assert codes == ["TP1", "TP2", "TP3", "TP5", "TP4"]

    v = FrameworkVersion.objects.get(pk=ma_draft.pk).version
    confirm = client.get(url(ma_draft, f"practices/{practice.pk}/delete/"))
    assert b"Delete TP5 Partnerships?" in confirm.content
    response = client.post(url(ma_draft, f"practices/{practice.pk}/delete/"), {"version": v})
    assert response.status_code == 302
    assert not Practice.objects.filter(pk=practice.pk).exists()


def test_invalid_input_is_shown_at_its_field(personas, client_for, ma_draft):
    client = client_for(personas.state_admin)
    response = client.post(
        url(ma_draft, "practices/new/"), {"version": ma_draft.version, "code": "TP1", "name": "Dup"}
    )
    assert response.status_code == 422
    assert b"TP1 is already the code of a practice of this version" in response.content
    assert not Practice.objects.filter(name="Dup").exists()


def test_an_invalid_field_is_described_by_its_hint_and_its_error(personas, client_for, ma_draft):
    client = client_for(personas.state_admin)
    response = client.post(
        url(ma_draft, "practices/new/"), {"version": ma_draft.version, "code": "TP1", "name": "Dup"}
    )
    assert response.status_code == 422
    described = described_by(response.content.decode(), "id_code")
    assert described["id_code_helptext"] == "Stable across versions, e.g. TP1"
    assert "TP1 is already the code of a practice" in described["id_code_error"]
    assert not Practice.objects.filter(name="Dup").exists()


def test_a_stale_form_answers_409(personas, client_for, ma_draft):
    client = client_for(personas.state_admin)
    indicator = ma_draft.indicators.get(code="TP1.1")
    loaded = ma_draft.version
    indicator_update(
        actor=None, indicator=indicator, expected_version=loaded, changes={"text": "Saved first."}
    )
    page = client.get(url(ma_draft, f"indicators/{indicator.pk}/edit/"))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update({"version": loaded, "text": "From an old page.", "tags": data.get("tags", [])})
    for level in range(4):
        data[f"descriptor_{level}"] = page.context["form"].initial[f"descriptor_{level}"]
    data.pop("is_key", None)

    response = client.post(url(ma_draft, f"indicators/{indicator.pk}/edit/"), data)

    assert response.status_code == 409
    assert "was changed by someone else after you opened it" in response.content.decode()
    assert Indicator.objects.get(pk=indicator.pk).text == "Saved first."
    move = client.post(
        url(ma_draft, f"indicators/{indicator.pk}/move/"), {"version": loaded, "offset": "1"}
    )
    assert move.status_code == 409 and b"Nothing was changed" in move.content


def test_details_form(personas, client_for, ma_draft):
    client = client_for(personas.state_admin)
    page = client.get(url(ma_draft, "edit/"))
    assert page.status_code == 200
    response = client.post(
        url(ma_draft, "edit/"),
        {
            "version": ma_draft.version,
            "name": "MA Turnaround Practices",
            "description": "",
            "practice_term": "Practice",
            "component_term": "Area",
            "label": "2026",
            "notes": "",
            "scale": ma_draft.scale_id,
        },
    )
    assert response.status_code == 302
    framework = Framework.objects.get(pk=ma_draft.framework_id)
    assert (framework.name, framework.component_term) == ("MA Turnaround Practices", "Area")


# ---------------------------------------------------------------------------------------------
# Versions, publishing, import and copy


def test_new_version_and_publish(personas, client_for, ma_published):
    client = client_for(personas.state_admin)
    assert b"Start a new version" in client.get(url(ma_published)).content
    response = client.post(f"/frameworks/{ma_published.framework_id}/versions/new/")
    v2 = FrameworkVersion.objects.get(framework=ma_published.framework, number=2)
    assert response.status_code == 302 and response["Location"] == url(v2)
    again = client.post(f"/frameworks/{ma_published.framework_id}/versions/new/")
    assert again.status_code == 409 and b"still a draft" in again.content

    page = client.get(url(v2, "publish/"))
    assert page.status_code == 200 and b"Publish v2" in page.content
    response = client.post(url(v2, "publish/"), {"version": v2.version})
    assert response.status_code == 302
    assert FrameworkVersion.objects.get(pk=v2.pk).status == "published"
    assert FrameworkVersion.objects.get(pk=ma_published.pk).status == "retired"


def test_publish_page_lists_problems(personas, client_for, ma_published, rate):
    rate(ma_published.indicators.get(code="TP3.2"), n=2)
    v2 = framework_version_create(actor=None, framework=ma_published.framework)
    Indicator.objects.filter(framework_version=v2, code="TP3.2").delete()
    Indicator.objects.get(framework_version=v2, code="TP3.1").descriptors.filter(
        level_code=1
    ).delete()
    client = client_for(personas.state_admin)

    page = client.get(url(v2, "publish/"))
    html = page.content.decode()
    assert "TP3.1</code>: no descriptor for level 1 (Developing)" in html
    assert (
        "TP3.2</code>: TP3.2 has ratings in 2 assessments under v1; keep it, or map it to an "
        "indicator of v2 before publishing" in html
    )
    assert "Publish v2</button>" not in html
    response = client.post(url(v2, "publish/"), {"version": v2.version})
    assert response.status_code == 422
    assert FrameworkVersion.objects.get(pk=v2.pk).status == "draft"


def test_import_page(personas, client_for, tp, org):
    client = client_for(personas.state_admin)
    assert client.get("/frameworks/import/").status_code == 200
    doc = io.version_document(tp)
    doc["key"] = "ma-practices"
    doc["practices"][1]["components"][0]["indicators"][0]["descriptors"][4] = "too high"
    bad = SimpleUploadedFile("fw.yaml", io.dumps(doc, "yaml").encode(), "application/yaml")

    response = client.post("/frameworks/import/", {"state": org.state.pk, "file": bad})

    assert response.status_code == 422
    assert (
        "<code>practices[1].components[0].indicators[0].descriptors</code>: level 4 is not on the "
        "scale &#x27;continuum&#x27; (levels 0–3)" in response.content.decode()
    )
    assert not Framework.objects.filter(key="ma-practices").exists()

    del doc["practices"][1]["components"][0]["indicators"][0]["descriptors"][4]
    good = SimpleUploadedFile("fw.json", io.dumps(doc, "json").encode(), "application/json")
    response = client.post("/frameworks/import/", {"state": org.state.pk, "file": good})
    framework = Framework.objects.get(key="ma-practices", state=org.state)
    assert response.status_code == 302
    assert response["Location"] == url(framework.versions.get())


@pytest.mark.parametrize("persona", ["state_staff", "reviewer", "school_leader", "outsider"])
def test_import_and_new_are_for_state_admins(personas, client_for, seeded, persona):
    client = client_for(getattr(personas, persona))
    assert client.get("/frameworks/import/").status_code == 404
    assert client.get("/frameworks/new/").status_code == 404


def test_copy_into_my_state(personas, client_for, tp, org):
    client = client_for(personas.state_admin)
    assert b"Copy into my state" in client.get(url(tp)).content
    page = client.get(url(tp, "copy/"))
    assert page.status_code == 200 and h1_count(page) == 1
    response = client.post(
        url(tp, "copy/"), {"state": org.state.pk, "key": "turnaround-practices", "name": "MA TP"}
    )
    copy = Framework.objects.get(state=org.state, key="turnaround-practices")
    assert response.status_code == 302 and copy.name == "MA TP"
    again = client.post(
        url(tp, "copy/"), {"state": org.state.pk, "key": "turnaround-practices", "name": "MA TP"}
    )
    assert again.status_code == 422 and b"already has a framework with key" in again.content
    assert client_for(personas.state_staff).get(url(tp, "copy/")).status_code == 404


def test_new_framework_page(personas, client_for, seeded, org):
    client = client_for(personas.state_admin)
    page = client.get("/frameworks/new/")
    scale = page.context["form"].fields["scale"].queryset.get(key="implementation")
    response = client.post(
        "/frameworks/new/",
        {
            "state": org.state.pk,
            "key": "ma-rapid",
            "name": "Rapid improvement indicators",
            "kind": "school",
            "scale": scale.pk,
            "practice_term": "Principle",
            "component_term": "Practice",
            "description": "",
        },
    )
    assert response.status_code == 302
    assert Framework.objects.get(key="ma-rapid").practice_term == "Principle"


def test_discard_a_draft(personas, client_for, ma_draft):
    client = client_for(personas.state_admin)
    response = client.post(url(ma_draft, "discard/"), {"version": ma_draft.version})
    assert response.status_code == 302
    assert not Framework.objects.filter(pk=ma_draft.framework_id).exists()
