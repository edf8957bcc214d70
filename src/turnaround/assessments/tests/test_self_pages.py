"""The self-assessment rating page (Indistar style): rate, mark not a priority with a reason,
score priority and opportunity, see how many indicators are being worked on, finalise."""

from __future__ import annotations

import datetime as dt

import pytest

from turnaround.assessments import services
from turnaround.assessments.models import Assessment, ConsensusRating, PracticeFinding
from turnaround.assessments.tests import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def self_assessment(org, personas):
    scale = f.scale_create(key="implementation", labels=f.IMPLEMENTATION, allows_not_priority=True)
    version = f.framework_version_create(
        name="Rapid improvement", key="ri", scale=scale, prefix="RI"
    )
    a = services.assessment_create(
        actor=personas.school_leader,
        kind="self",
        school=org.school,
        framework_version=version,
        start_date=dt.date(2026, 1, 12),
        end_date=dt.date(2026, 2, 20),
    )
    return services.assessment_start(actor=personas.school_leader, assessment=a)


def test_rate_in_the_indistar_style(self_assessment, personas, client_for):
    c = client_for(personas.school_leader)
    url = f"/assessments/{self_assessment.pk}/ratings/"
    html = c.get(url).content.decode()
    assert html.count("<h1") == 1
    assert "Not a priority for now" in html and "Priority score" in html
    assert "0 of 4 indicators rated." in html
    missing_reason = c.post(
        url,
        {
            "indicator": "RI1.2",
            "level": "0",
            "rationale": "Not started",
            "not_priority": "on",
            "version": "0",
        },
        **HTMX,
    )
    assert "Say why this indicator is not a priority." in missing_reason.content.decode()
    assert not ConsensusRating.objects.exists()
    ok = c.post(
        url,
        {
            "indicator": "RI1.2",
            "level": "0",
            "rationale": "Not started",
            "not_priority": "on",
            "not_priority_reason": "The district runs this for us.",
            "version": "0",
        },
        **HTMX,
    )
    assert "Saved." in ok.content.decode()
    c.post(
        url,
        {
            "indicator": "RI1.1",
            "level": "1",
            "rationale": "Partly in place.",
            "priority_score": "3",
            "opportunity_score": "2",
            "version": "0",
        },
    )
    row = ConsensusRating.objects.get(indicator__code="RI1.1")
    assert (row.level, row.priority_score, row.opportunity_score) == (1, 3, 2)
    html = c.get(url).content.decode()
    assert "2 of 4 indicators rated." in html
    assert "<strong>1</strong> being worked on (1 of them KEY)." in html
    assert "1 marked not a priority." in html
    saved = c.post(
        f"/assessments/{self_assessment.pk}/findings/",
        {"practice": "RI1", "strengths": "A shared vision.", "challenges": "", "version": "0"},
    )
    assert saved.status_code == 302
    assert PracticeFinding.objects.get().strengths == "A shared vision."


def test_finalise_lists_what_is_missing(self_assessment, personas, client_for):
    c = client_for(personas.school_leader)
    html = c.get(f"/assessments/{self_assessment.pk}/ratings/").content.decode()
    assert "RI1.1 has no consensus rating" in html
    refused = c.post(f"/assessments/{self_assessment.pk}/finalise/")
    assert refused.status_code == 422
    assert Assessment.objects.get(pk=self_assessment.pk).status == "in_progress"
    for code in ("RI1.1", "RI1.2", "RI2.1", "RI2.2"):
        services.consensus_rating_save(
            actor=personas.school_leader,
            assessment=self_assessment,
            indicator=code,
            level=2,
            rationale="Full implementation.",
        )
    done = c.post(f"/assessments/{self_assessment.pk}/finalise/")
    assert done.status_code == 302
    assert Assessment.objects.get(pk=self_assessment.pk).status == "finalised"
    # the district sees the finalised self-assessment; another school's leader does not
    assert (
        client_for(personas.district_leader).get(f"/assessments/{self_assessment.pk}/").status_code
        == 200
    )
