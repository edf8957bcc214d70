"""The assessment pages: planning, evidence capture with autosave, rating, consensus,
finalising and amending — each checked in the page and in the database."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from turnaround.assessments import services
from turnaround.assessments.models import (
    Amendment,
    Assessment,
    ConsensusRating,
    Evidence,
    ReviewerRating,
)
from turnaround.assessments.tests import factories as f
from turnaround.core.testing import described_by

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def version(db):
    return f.framework_version_create()


@pytest.fixture
def visit(org, personas, version):
    v = f.visit_create(org=org, personas=personas, version=version, reviewers=(personas.reviewer,))
    return services.assessment_start(actor=personas.state_staff, assessment=v)


def test_state_staff_plan_a_visit_from_the_school(org, personas, version, client_for):
    c = client_for(personas.state_staff)
    url = f"/schools/{org.school.pk}/assessments/new"
    page = c.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<h1") == 1 and "Lead reviewer" in html
    data = {
        "kind": "site_visit",
        "framework_version": version.pk,
        "start_date": "2026-03-10",
        "end_date": "2026-03-13",
        "lead": personas.state_staff.pk,
    }
    refused = c.post(url, data)
    assert refused.status_code == 422
    assert "A site visit lasts 1–3 days; 10 March 2026 to 13 March 2026 is 4 days." in (
        refused.content.decode()
    )
    assert not Assessment.objects.exists()
    created = c.post(url, {**data, "end_date": "2026-03-11"})
    assert created.status_code == 302
    visit = Assessment.objects.get()
    assert created["Location"] == f"/assessments/{visit.pk}/"
    home = c.get(created["Location"]).content.decode()
    assert "Next step" in home and "Plan the team, the schedule" in home


def test_new_page_offers_a_school_leader_only_the_self_assessment(org, personas, client_for):
    html = (
        client_for(personas.school_leader)
        .get(f"/schools/{org.school.pk}/assessments/new")
        .content.decode()
    )
    assert 'value="self"' in html and 'value="site_visit"' not in html
    assert (
        client_for(personas.reviewer).get(f"/schools/{org.school.pk}/assessments/new").status_code
        == 404
    )


def test_list_filters(org, personas, version, visit, client_for):
    f.self_assessment_create(org=org, personas=personas, version=version)
    c = client_for(personas.state_staff)
    html = c.get("/assessments/?kind=self").content.decode()
    assert "Self-assessment: Adams Elementary" in html and visit.title not in html
    assert c.get("/assessments/?status=nonsense").status_code == 400
    fragment = c.get("/assessments/?kind=site_visit", HTTP_HX_TARGET="assessments-table", **HTMX)
    assert fragment.content.decode().lstrip().startswith('<div id="assessments-table"')


def test_plan_stale_edit_is_409(visit, personas, client_for):
    c = client_for(personas.state_staff)
    data = {
        "title": visit.title,
        "start_date": "2026-03-10",
        "end_date": "2026-03-11",
        "school_year": "2025-26",
        "purpose": "Baseline",
        "version": visit.version,
    }
    assert c.post(f"/assessments/{visit.pk}/plan/dates/", data).status_code == 302
    stale = c.post(f"/assessments/{visit.pk}/plan/dates/", {**data, "purpose": "Other"})
    assert stale.status_code == 409
    assert "was changed by someone else" in stale.content.decode()
    assert Assessment.objects.get(pk=visit.pk).purpose == "Baseline"


def test_evidence_autosave_updates_one_row(visit, personas, client_for):
    c = client_for(personas.reviewer)
    page = c.get(f"/assessments/{visit.pk}/evidence/").content.decode()
    assert 'aria-live="polite"' in page and 'hx-trigger="keyup changed delay:1s"' in page
    assert "no student names" in page
    cid = str(uuid.uuid4())
    url = f"/assessments/{visit.pk}/evidence/autosave/"
    draft = {"client_id": cid, "kind": "interview", "source": "", "note": "Teachers"}
    missing = c.post(url, draft, **HTMX)
    assert missing.status_code == 200
    assert missing.content.decode().strip() == (
        "Draft not saved yet: Source: This field is required."
    )
    assert not Evidence.objects.exists()
    draft["source"] = "grade 4 teachers"
    for note in ("Teachers meet", "Teachers meet", "Teachers meet weekly"):
        response = c.post(url, {**draft, "note": note, "indicators": ["TP1.1"]}, **HTMX)
        assert response.status_code == 200
        assert response.content.decode().startswith("Saved at ")
    stored = Evidence.objects.get()
    assert str(stored.client_id) == cid and stored.note == "Teachers meet weekly"
    assert stored.version == 2
    # the full save with a file updates the same row
    response = c.post(
        f"/assessments/{visit.pk}/evidence/save/",
        {
            **draft,
            "note": "Teachers meet weekly.",
            "indicators": ["TP1.1", "TP2.1"],
            "file": SimpleUploadedFile("agenda.pdf", b"%PDF-1.4"),
        },
    )
    assert response.status_code == 302
    stored = Evidence.objects.get()
    assert sorted(stored.indicators.values_list("code", flat=True)) == ["TP1.1", "TP2.1"]
    assert stored.file
    download = c.get(f"/assessments/{visit.pk}/evidence/{stored.pk}/file/")
    assert download.status_code == 200
    listing = c.get(
        f"/assessments/{visit.pk}/evidence/?indicator=TP2.1", HTTP_HX_TARGET="evidence-list", **HTMX
    )
    assert "Teachers meet weekly." in listing.content.decode()
    assert (
        "Teachers meet weekly."
        not in c.get(
            f"/assessments/{visit.pk}/evidence/?indicator=TP1.2",
            HTTP_HX_TARGET="evidence-list",
            **HTMX,
        ).content.decode()
    )


def test_invalid_evidence_controls_are_described_by_their_hint_and_error(
    visit, personas, client_for
):
    c = client_for(personas.reviewer)
    response = c.post(
        f"/assessments/{visit.pk}/evidence/save/",
        {"client_id": str(uuid.uuid4()), "kind": "interview", "source": "", "note": ""},
    )
    assert response.status_code == 422
    html = response.content.decode()
    note = described_by(html, "id_note")  # written by hand in evidence.html
    assert "no student names" in note["id_note_helptext"]
    assert note["id_note_error"] == "Note: This field is required."
    assert "autosave-status" in note
    source = described_by(html, "id_source")  # rendered by Django through _field.html
    assert source["id_source_helptext"].startswith("Who or what it came from")
    assert source["id_source_error"] == "Source: This field is required."
    assert not Evidence.objects.exists()


def test_rating_card_refuses_a_level_without_reasons(visit, personas, client_for):
    evidence = f.evidence_add(personas.reviewer, visit, ["TP1.1"])
    c = client_for(personas.reviewer)
    page = c.get(f"/assessments/{visit.pk}/ratings/").content.decode()
    assert "TP1.1 at providing" in page  # the descriptors to rate against
    url = f"/assessments/{visit.pk}/ratings/"
    bad = c.post(url, {"indicator": "TP1.1", "level": "2", "version": "0"}, **HTMX)
    html = bad.content.decode()
    assert bad.status_code == 200 and html.lstrip().startswith('<section id="ind-TP1-1"')
    assert "A rating needs a rationale: say what the evidence shows." in html
    assert "A rating needs at least one piece of evidence from this site visit." in html
    assert not ReviewerRating.objects.exists()
    page_post = c.post(url, {"indicator": "TP1.1", "level": "9", "version": "0"})
    assert page_post.status_code == 422
    assert not ReviewerRating.objects.exists()
    good = c.post(
        url,
        {
            "indicator": "TP1.1",
            "level": "2",
            "rationale": "Plans used.",
            "evidence": [evidence.pk],
            "version": "0",
        },
        **HTMX,
    )
    assert "Saved." in good.content.decode()
    rating = ReviewerRating.objects.get()
    assert (rating.level, rating.reviewer) == (2, personas.reviewer)
    assert list(rating.evidence.all()) == [evidence]


def test_consensus_page_marks_disagreement_in_text_and_lists_what_blocks_finalising(
    org, personas, version, client_for
):
    visit = f.visit_rated(
        org=org, personas=personas, version=version, levels={"TP1.1": (1, 3), "TP1.2": (2, 2)}
    )
    services.assessment_move_to_consensus(actor=personas.state_staff, assessment=visit)
    c = client_for(personas.state_staff)
    html = c.get(f"/assessments/{visit.pk}/consensus/").content.decode()
    assert html.count("<h1") == 1
    assert "Disagree (spread 2)" in html and "Agree" in html
    assert "TP2.1 has no consensus rating" in html
    refused = c.post(f"/assessments/{visit.pk}/finalise/", {"version": visit.version + 1})
    assert refused.status_code == 422
    assert "Cannot finalise yet: TP1.1 has no consensus rating" in refused.content.decode()
    assert Assessment.objects.get(pk=visit.pk).status == "consensus"
    evidence = visit.evidence.get()
    saved = c.post(
        f"/assessments/{visit.pk}/consensus/",
        {
            "indicator": "TP1.1",
            "level": "2",
            "rationale": "Agreed after discussion.",
            "evidence": [evidence.pk],
            "version": "0",
        },
        **HTMX,
    )
    assert "Saved." in saved.content.decode()
    assert ConsensusRating.objects.get(indicator__code="TP1.1").level == 2
    # the reviewer sees the table but cannot record the consensus
    r = client_for(personas.reviewer)
    assert r.get(f"/assessments/{visit.pk}/consensus/").status_code == 200
    response = r.post(
        f"/assessments/{visit.pk}/consensus/",
        {"indicator": "TP1.2", "level": "2", "rationale": "x", "evidence": [evidence.pk]},
    )
    assert response.status_code == 403
    assert not ConsensusRating.objects.filter(indicator__code="TP1.2").exists()


def test_finalised_visit_refuses_edits_and_amends_with_a_reason(org, personas, version, client_for):
    visit = f.visit_finalised(org=org, personas=personas, version=version)
    c = client_for(personas.state_staff)
    locked = c.post(
        f"/assessments/{visit.pk}/consensus/",
        {"indicator": "TP1.1", "level": "3", "rationale": "x", "version": "1"},
    )
    assert locked.status_code == 409
    assert "This site visit was finalised on " in locked.content.decode()
    assert "; amend it with a reason." in locked.content.decode()
    assert ConsensusRating.objects.get(assessment=visit, indicator__code="TP1.1").level == 1
    url = f"/assessments/{visit.pk}/amendments/"
    no_reason = c.post(
        url,
        {
            "target": "rating",
            "indicator": "TP1.1",
            "level": "2",
            "rationale": "Documents show providing.",
            "reason": "",
        },
    )
    assert no_reason.status_code == 422
    assert "An amendment needs a reason" in no_reason.content.decode()
    assert not Amendment.objects.exists()
    done = c.post(
        url,
        {
            "target": "rating",
            "indicator": "TP1.1",
            "level": "2",
            "rationale": "Documents show providing.",
            "reason": "The district sent the documents after the visit.",
        },
    )
    assert done.status_code == 302
    assert ConsensusRating.objects.get(assessment=visit, indicator__code="TP1.1").level == 2
    history = c.get(url).content.decode()
    assert "The district sent the documents after the visit." in history
    assert "rating TP1.1" in history and "staff" in history
    # the school reads the history, but has no amend form
    school = client_for(personas.school_leader).get(url).content.decode()
    assert "The district sent the documents after the visit." in school
    assert "Record the amendment" not in school


def _check_markup(html: str, url: str) -> None:
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert not {k: n for k, n in ids.items() if n > 1}, url
    assert not set(re.findall(r'\sfor="([^"]+)"', html)) - set(ids), url
    assert html.count("<h1") == 1, url


def test_pages_have_one_h1_unique_ids_and_labelled_controls(org, personas, version, client_for):
    visit = f.visit_rated(org=org, personas=personas, version=version, levels={"TP1.1": (1, 3)})
    services.schedule_item_add(
        actor=personas.state_staff,
        assessment=visit,
        day=visit.start_date,
        starts_at=dt.time(9),
        ends_at=dt.time(10),
        activity="interview",
        title="Principal interview",
    )
    services.questionnaire_set(actor=personas.state_staff, assessment=visit, questions=["Why?"])
    final = f.visit_finalised(org=org, personas=personas, version=version)
    own = f.self_assessment_create(org=org, personas=personas, version=version)
    staff = client_for(personas.state_staff)
    for url in (
        "/assessments/",
        f"/schools/{org.school.pk}/assessments/new",
        f"/assessments/{visit.pk}/",
        f"/assessments/{visit.pk}/plan/",
        f"/assessments/{visit.pk}/evidence/",
        f"/assessments/{visit.pk}/consensus/",
        f"/assessments/{final.pk}/amendments/",
        f"/assessments/{own.pk}/ratings/",
    ):
        response = staff.get(url)
        assert response.status_code == 200, url
        _check_markup(response.content.decode(), url)
    url = f"/assessments/{visit.pk}/ratings/"
    _check_markup(client_for(personas.reviewer).get(url).content.decode(), url)
