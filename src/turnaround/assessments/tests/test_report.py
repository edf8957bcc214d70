"""The report: content (ratings, findings, change since the previous visit across a renamed code,
amendments, priorities), the web page and the PDF, and who may read which."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from turnaround.assessments.access import get_assessment_for_user
from turnaround.assessments.models import Assessment
from turnaround.assessments.report import indicator_crosswalk, previous_assessment, report_for
from turnaround.assessments.tests import report_factories as rf

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(org, personas):
    """A 2024 visit on version 1 and a 2025 visit on version 2, where TP2.3 became TP2.6 and
    TP1.9 is new; plus a draft visit of the same school."""
    v1 = rf.make_framework()
    v2 = rf.make_next_version(v1, renames={"TP2.3": "TP2.6"}, added=("TP1.9",))
    lead = personas.state_staff
    before = rf.all_levels(v1, 1)
    before.update({"TP1.2": 2, "TP3.1": None, "TP4.4": 3})
    previous = rf.make_assessment(
        school=org.school,
        version=v1,
        lead=lead,
        levels=before,
        school_year="2024-25",
        start=dt.date(2024, 10, 8),
    )
    now = rf.all_levels(v2, 2)
    now.update({"TP1.9": 1, "TP2.1": 0, "TP4.4": 1, "TP4.5": None})
    current = rf.make_assessment(
        school=org.school,
        version=v2,
        lead=lead,
        reviewers=(personas.reviewer,),
        levels=now,
        rationales={"TP2.1": "Common assessments are not used to regroup students. More text."},
    )
    rf.add_amendment(current, by=personas.state_admin, code="TP4.4", before=2, after=1)
    rf.add_priority(current, rank=1, code="TP2.1", owner="Principal", title="Regroup by data")
    draft = rf.make_assessment(
        school=org.school,
        version=v2,
        lead=lead,
        levels=rf.all_levels(v2, 1),
        status=Assessment.Status.CONSENSUS,
        school_year="2026-27",
        start=dt.date(2026, 10, 6),
        reviewers=(personas.reviewer,),
    )
    return {"v1": v1, "v2": v2, "previous": previous, "current": current, "draft": draft}


def _rows(report):
    return {i.code: i for p in report.practices for i in p.indicators}


# ----------------------------------------------------------------------------- content


def test_crosswalk_follows_derived_from_and_falls_back_to_code(visits):
    v1, v2 = visits["v1"], visits["v2"]
    by_code_v1 = {i.code: i.pk for i in v1.indicators.all()}
    mapping = indicator_crosswalk(list(v2.indicators.all()), v1.pk)
    codes_v2 = {i.pk: i.code for i in v2.indicators.all()}
    named = {codes_v2[t]: s for t, s in mapping.items()}
    assert named["TP2.6"] == by_code_v1["TP2.3"]
    assert named["TP1.1"] == by_code_v1["TP1.1"]
    assert named["TP1.9"] is None


def test_previous_assessment_is_the_latest_finalised_earlier_one(visits):
    assert previous_assessment(visits["current"]) == visits["previous"]
    assert previous_assessment(visits["previous"]) is None
    # the draft's previous is the current (finalised) one, never another draft
    assert previous_assessment(visits["draft"]) == visits["current"]


def test_report_content(visits, personas):
    access = get_assessment_for_user(personas.state_staff, visits["current"].pk)
    report = report_for(access)
    rows = _rows(report)
    assert report.is_draft is False
    assert report.previous == visits["previous"]
    assert [p.code for p in report.practices] == ["TP1", "TP2", "TP3", "TP4"]
    assert report.indicator_count == 21 and report.rated_count == 20
    # change since the previous visit
    assert rows["TP1.1"].change.text == "Developing → Providing (+1)"
    assert rows["TP1.2"].change.text == "Providing → Providing (no change)"
    assert rows["TP2.6"].change.text == "Developing → Providing (+1)"  # crosswalked from TP2.3
    assert rows["TP2.6"].change.previous_code == "TP2.3"
    assert rows["TP2.1"].change.text == "Developing → No evidence (-1)"
    assert rows["TP4.4"].change.text == "Sustaining → Developing (-2)"
    assert rows["TP1.9"].change.text == "new"
    assert rows["TP3.1"].change.text == "not rated before"
    assert rows["TP4.5"].change.text == "Developing → not rated"
    # ratings: level label and rationale
    assert rows["TP2.1"].level_label == "No evidence"
    assert rows["TP2.1"].rationale.startswith("Common assessments are not used")
    assert rows["TP4.5"].level_label == "Not rated"
    # findings per practice and the profile
    tp2 = report.practices[1]
    assert tp2.strengths == "Strength in TP2: weekly team meetings"
    assert tp2.challenges == "Challenge in TP2: data not used to regroup"
    assert dict(tp2.counts) == {"No evidence": 1, "Developing": 0, "Providing": 4, "Sustaining": 0}
    assert tp2.mean_level == 1.6
    tp4 = report.practices[3]
    assert tp4.not_rated == 1 and tp4.rated == 4
    # amendments and priorities
    (amendment,) = report.amendments
    assert amendment.target == "rating TP4.4" and amendment.made_by == "admin"
    assert amendment.before == "level: Providing" and amendment.after == "level: Developing"
    assert "regrouping schedule" in amendment.reason
    assert [(p.rank, p.title, p.owner) for p in report.priorities] == [
        (1, "Regroup by data", "Principal")
    ]
    # the chart: one bar segment per practice and level present, on the scale's labels
    spec = report.chart_spec
    assert spec["encoding"]["color"]["scale"]["domain"] == [*rf.LEVELS, "Not rated"]
    tp2_values = [v for v in spec["data"]["values"] if v["practice"].startswith("TP2")]
    assert {(v["level"], v["count"]) for v in tp2_values} == {("No evidence", 1), ("Providing", 4)}
    assert report.key_points[0] == "20 of 21 indicators rated."
    # working papers for state staff
    assert report.shows_evidence and rows["TP2.1"].evidence[0].note.startswith("SECRET-NOTE")


def test_first_visit_has_no_comparison(visits, personas):
    report = report_for(get_assessment_for_user(personas.state_staff, visits["previous"].pk))
    assert report.previous is None
    assert {i.change.kind for i in _rows(report).values()} == {"first_visit"}


def test_report_as_dict_hides_evidence_from_the_school(visits, personas):
    data = report_for(get_assessment_for_user(personas.school_leader, visits["current"].pk))
    payload = data.as_dict()
    assert payload["shows_evidence"] is False
    first = payload["practices"][0]["indicators"][0]
    assert first["evidence"] is None
    assert "SECRET-NOTE" not in str(payload)


# ----------------------------------------------------------------------------- pages and access


def test_report_page_for_state_staff_shows_evidence_links(visits, personas, client_for):
    response = client_for(personas.state_staff).get(f"/assessments/{visits['current'].pk}/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Developing → Providing (+1)" in html
    assert "Strength in TP3: weekly team meetings" in html
    assert "Practice profile" in html and 'id="practice-profile-table"' in html
    assert "Evidence behind the ratings" in html and "SECRET-NOTE" in html
    assert 'href="#evidence-' in html
    assert "DRAFT" not in html
    assert "The district supplied the regrouping schedule" in html
    assert html.count("<h1") == 1


def test_school_leader_reads_the_final_report_without_working_papers(visits, personas, client_for):
    c = client_for(personas.school_leader)
    response = c.get(f"/assessments/{visits['current'].pk}/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Developing → Providing (+1)" in html
    assert "SECRET-NOTE" not in html and "REVIEWER-PRIVATE" not in html
    assert "#evidence-" not in html and "working papers" not in html.lower()
    # the draft is not theirs to see: the same 404 as a missing report
    assert c.get(f"/assessments/{visits['draft'].pk}/report/").status_code == 404
    assert c.get(f"/assessments/{visits['draft'].pk}/report.pdf").status_code == 404
    assert c.get("/assessments/999999/report/").status_code == 404


def test_a_school_team_seat_does_not_see_the_draft_report(visits, personas, client_for):
    from turnaround.assessments.models import TeamMember

    TeamMember.objects.create(
        assessment=visits["draft"], user=personas.school_leader, role=TeamMember.Role.SCHOOL_TEAM
    )
    c = client_for(personas.school_leader)
    assert c.get(f"/assessments/{visits['draft'].pk}/report/").status_code == 404
    assert c.get(f"/api/v1/assessments/{visits['draft'].pk}/report").status_code == 404


def test_draft_is_visible_to_the_team_with_a_banner(visits, personas, client_for):
    for persona in ("reviewer", "state_staff", "state_admin"):
        response = client_for(getattr(personas, persona)).get(
            f"/assessments/{visits['draft'].pk}/report/"
        )
        assert response.status_code == 200, persona
        assert "DRAFT — not final" in response.content.decode()


def test_who_gets_404(visits, personas, client_for):
    current = visits["current"].pk
    # the reviewer persona serves on the current visit but not on the previous one
    assert client_for(personas.reviewer).get(f"/assessments/{current}/report/").status_code == 200
    prev = visits["previous"].pk
    assert client_for(personas.reviewer).get(f"/assessments/{prev}/report/").status_code == 404
    for persona in ("outsider", "other_state_admin", "other_partner_staff"):
        c = client_for(getattr(personas, persona))
        assert c.get(f"/assessments/{current}/report/").status_code == 404, persona
        assert c.get(f"/assessments/{current}/report.pdf").status_code == 404, persona
    # a finalised report reaches the district, the school's partner and the state's viewers
    for persona in ("district_leader", "partner_staff", "viewer", "ta_provider"):
        response = client_for(getattr(personas, persona)).get(f"/assessments/{current}/report/")
        assert response.status_code == 200, persona
        assert "SECRET-NOTE" not in response.content.decode(), persona


def test_anonymous_is_sent_to_sign_in(visits, client):
    response = client.get(f"/assessments/{visits['current'].pk}/report/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ----------------------------------------------------------------------------- PDF


def _pdf_text(content: bytes) -> tuple[str, int]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), len(reader.pages)


def test_pdf_is_a_pdf_with_the_school_name_and_no_working_papers(visits, personas, client_for):
    response = client_for(personas.state_staff).get(
        f"/assessments/{visits['current'].pk}/report.pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "site-visit-report-adams-elementary-2025-26.pdf" in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text, pages = _pdf_text(response.content)
    assert "Adams Elementary" in text
    assert "Page 2 of" in text  # page numbers (the cover has none)
    assert "Developing → Providing (+1)" in text
    assert "Practice profile" in text and "Prioritised next steps" in text
    assert "SECRET-NOTE" not in text and "REVIEWER-PRIVATE" not in text
    assert pages >= 3


def test_pdf_of_a_draft_says_draft(visits, personas, client_for):
    response = client_for(personas.reviewer).get(f"/assessments/{visits['draft'].pk}/report.pdf")
    assert response.status_code == 200
    text, _ = _pdf_text(response.content)
    assert "DRAFT" in text
    assert "draft.pdf" in response["Content-Disposition"]


def test_pdf_embeds_the_chart_as_vector_drawing(visits, personas):
    from turnaround.assessments.pdf import chart_svg

    report = report_for(get_assessment_for_user(personas.state_staff, visits["current"].pk))
    svg = chart_svg(report.chart_spec)
    assert svg is not None and svg.startswith("<svg")
    assert ">TP1<" in svg and ">Providing<" in svg and "DejaVu Sans" in svg
