"""Vetting pages: each checked for the owner, a read-only member and an outsider, and for the
database state after every write (a refused write leaves nothing behind)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from turnaround.partners.models import (
    Application,
    Criterion,
    PriorityDesignation,
    ReviewAssignment,
    Score,
    VettingCycle,
)
from turnaround.partners.services import vetting as svc
from turnaround.partners.tests.test_vetting_services import (
    TODAY,
    claim,
    make_application,
    make_cycle,
    reviewed,
    score_and_submit,
)

pytestmark = pytest.mark.django_db


def url(name: str, *args: object) -> str:
    return reverse(f"partners:{name}", args=args)


# ---------------------------------------------------------------------------------------------
# Cycles


def test_cycles_list_per_persona(org, personas, client_for):
    cycle = make_cycle(org, personas)
    draft = make_cycle(org, personas, status="draft", name="Next year")
    admin = client_for(personas.state_admin).get(url("cycles"))
    assert admin.status_code == 200
    body = admin.content.decode()
    assert "New cycle" in body and cycle.name in body and draft.name in body
    assert body.count("<h1>") == 1
    partner = client_for(personas.partner_staff).get(url("cycles")).content.decode()
    assert cycle.name in partner and "Next year" not in partner  # drafts are the state's
    assert url("application_new", cycle.pk) in partner
    assert "New cycle" not in partner
    outsider = client_for(personas.outsider).get(url("cycles")).content.decode()
    assert cycle.name not in outsider and "New cycle" not in outsider
    assert (
        client_for(personas.other_state_admin).get(url("cycles")).content.decode().count(cycle.name)
        == 0
    )


def test_pages_need_sign_in(org, personas, client):
    cycle = make_cycle(org, personas)
    for path in (url("cycles"), url("cycle_detail", cycle.pk), url("designations")):
        response = client.get(path)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_new_cycle(org, personas, client_for):
    client = client_for(personas.state_admin)
    assert client.get(url("cycle_new")).status_code == 200
    data = {
        "name": "Priority Partners 2027",
        "need_areas": ["instruction", "leadership"],
        "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY - dt.timedelta(days=1)).isoformat(),
        "scale_min": 1,
        "scale_max": 4,
        "approval_threshold": "3",
        "designation_starts_on": "2027-07-01",
        "designation_years": 3,
    }
    refused = client.post(url("cycle_new"), data)
    assert refused.status_code == 422
    assert "before they open" in refused.content.decode()
    assert not VettingCycle.objects.exists()
    data["closes_on"] = (TODAY + dt.timedelta(days=30)).isoformat()
    created = client.post(url("cycle_new"), data)
    cycle = VettingCycle.objects.get()
    assert created.status_code == 302 and created["Location"] == url("cycle_criteria", cycle.pk)
    assert cycle.need_areas == ["instruction", "leadership"]
    for who in ("state_staff", "partner_staff", "outsider"):
        assert client_for(getattr(personas, who)).get(url("cycle_new")).status_code == 404


def test_cycle_detail_shows_scores_to_state_staff_only(org, personas, client_for):
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [4, 3])
    score_and_submit(s.r2, personas.state_staff, [3, 3])
    staff = client_for(personas.state_staff).get(url("cycle_detail", s.cycle.pk))
    assert staff.status_code == 200
    body = staff.content.decode()
    assert "Mean weighted score" in body and "alpha" in body
    assert "3.33" in body  # (2×4+3)/3 = 3.67 and 3.00 → 3.33
    assert "Move to" not in body  # staff follow; only administrators move the status
    admin = client_for(personas.state_admin).get(url("cycle_detail", s.cycle.pk)).content
    assert "Move to “decided”" in admin.decode()
    partner = client_for(personas.partner_staff).get(url("cycle_detail", s.cycle.pk))
    assert partner.status_code == 200
    assert "Mean weighted score" not in partner.content.decode()
    assert "3.33" not in partner.content.decode()
    assert (
        client_for(personas.other_state_admin).get(url("cycle_detail", s.cycle.pk)).status_code
        == 404
    )
    assert client_for(personas.outsider).get(url("cycle_detail", s.cycle.pk)).status_code == 404


def test_status_moves_on_the_page(org, personas, client_for):
    cycle = make_cycle(org, personas, status="draft")
    admin = client_for(personas.state_admin)
    refused = admin.post(url("cycle_status", cycle.pk), {"status": "review"})
    assert refused.status_code == 422
    assert "can move only to “open”" in refused.content.decode()
    assert VettingCycle.objects.get(pk=cycle.pk).status == "draft"
    stale = admin.post(url("cycle_status", cycle.pk), {"status": "open", "version": 99})
    assert stale.status_code == 409
    moved = admin.post(url("cycle_status", cycle.pk), {"status": "open", "version": cycle.version})
    assert moved.status_code == 302
    assert VettingCycle.objects.get(pk=cycle.pk).status == "open"
    staff = client_for(personas.state_staff).post(
        url("cycle_status", cycle.pk), {"status": "review"}
    )
    assert staff.status_code == 403
    assert VettingCycle.objects.get(pk=cycle.pk).status == "open"


def test_cycle_edit(org, personas, client_for):
    cycle = make_cycle(org, personas, status="draft")
    admin = client_for(personas.state_admin)
    page = admin.get(url("cycle_edit", cycle.pk))
    assert page.status_code == 200
    data = {
        "name": "Renamed",
        "need_areas": ["instruction"],
        "opens_on": cycle.opens_on.isoformat(),
        "closes_on": cycle.closes_on.isoformat(),
        "scale_min": 1,
        "scale_max": 5,
        "approval_threshold": "6",
        "designation_starts_on": "2027-07-01",
        "designation_years": 3,
        "version": cycle.version,
    }
    refused = admin.post(url("cycle_edit", cycle.pk), data)
    assert refused.status_code == 422
    assert "must lie on the scale, from 1 to 5" in refused.content.decode()
    data["approval_threshold"] = "3.5"
    assert admin.post(url("cycle_edit", cycle.pk), data).status_code == 302
    cycle.refresh_from_db()
    assert (cycle.name, cycle.scale_max) == ("Renamed", 5)
    assert client_for(personas.state_staff).get(url("cycle_edit", cycle.pk)).status_code == 403


def test_criteria_page(org, personas, client_for):
    cycle = make_cycle(org, personas, status="draft", criteria=())
    admin = client_for(personas.state_admin)
    assert admin.get(url("cycle_criteria", cycle.pk)).status_code == 200
    refused = admin.post(
        url("cycle_criteria", cycle.pk), {"new-name": "Results", "new-weight": "0"}
    )
    assert refused.status_code == 422
    assert "above 0" in refused.content.decode()
    assert not Criterion.objects.exists()
    ok = admin.post(url("cycle_criteria", cycle.pk), {"new-name": "Results", "new-weight": "2"})
    assert ok.status_code == 302
    criterion = Criterion.objects.get()
    edited = admin.post(
        url("criterion_edit", criterion.pk),
        {f"c{criterion.pk}-name": "Results", f"c{criterion.pk}-weight": "3"},
    )
    assert edited.status_code == 302
    assert Criterion.objects.get().weight == 3
    assert client_for(personas.state_staff).get(url("cycle_criteria", cycle.pk)).status_code == 403
    assert admin.post(url("criterion_delete", criterion.pk)).status_code == 302
    assert not Criterion.objects.exists()


# ---------------------------------------------------------------------------------------------
# Applications


def test_apply_save_submit_withdraw(org, personas, client_for):
    cycle = make_cycle(org, personas)
    own = claim(org.partner)
    partner = client_for(personas.partner_staff)
    form = partner.get(url("application_new", cycle.pk))
    assert form.status_code == 200
    assert url("partner_detail", org.partner.pk) in form.content.decode()
    created = partner.post(
        url("application_new", cycle.pk),
        {"need_areas": ["instruction"], "track_record": "Ten years.", "evidence": [own.pk]},
    )
    application = Application.objects.get()
    assert created.status_code == 302
    assert created["Location"] == url("application_detail", application.pk)
    assert list(application.evidence.all()) == [own]
    detail = partner.get(url("application_detail", application.pk)).content.decode()
    assert "Before you can submit" in detail and "Submit the application" in detail
    refused = partner.post(url("application_submit", application.pk))
    assert refused.status_code == 422
    text = refused.content.decode()
    assert "the grade bands" in text and "the measured results" in text and "the approach" in text
    assert Application.objects.get().status == "draft"
    saved = partner.post(
        url("application_detail", application.pk),
        {
            "need_areas": ["instruction"],
            "grade_bands": ["elementary"],
            "track_record": "Ten years.",
            "measured_results": "Up 8 points.",
            "approach": "Coaching.",
            "evidence": [own.pk],
            "version": application.version,
        },
    )
    assert saved.status_code == 302
    assert partner.post(url("application_submit", application.pk)).status_code == 302
    assert Application.objects.get().status == "submitted"
    # the partner cannot apply twice: the apply page leads to the application
    again = partner.get(url("application_new", cycle.pk))
    assert again.status_code == 302 and again["Location"] == url(
        "application_detail", application.pk
    )
    assert partner.post(url("application_withdraw", application.pk)).status_code == 302
    assert Application.objects.get().status == "withdrawn"


def test_state_staff_do_not_see_drafts(org, personas, client_for):
    cycle = make_cycle(org, personas)
    draft = make_application(cycle, org, personas, submit=False)
    assert (
        client_for(personas.state_staff).get(url("application_detail", draft.pk)).status_code == 404
    )
    assert (
        client_for(personas.partner_staff).get(url("application_detail", draft.pk)).status_code
        == 200
    )


def test_only_the_applicant_edits(org, personas, client_for):
    cycle = make_cycle(org, personas)
    application = make_application(cycle, org, personas)
    response = client_for(personas.state_admin).post(
        url("application_detail", application.pk), {"approach": "Changed"}
    )
    assert response.status_code == 403
    assert Application.objects.get().approach != "Changed"


# ---------------------------------------------------------------------------------------------
# Reviewers and reviews


def test_assign_and_remove_reviewers(org, personas, client_for):
    cycle = make_cycle(org, personas)
    application = make_application(cycle, org, personas)
    admin = client_for(personas.state_admin)
    page = admin.get(url("application_reviewers", application.pk)).content.decode()
    assert "reviewer" in page and "partner2" not in page
    refused = admin.post(
        url("application_reviewers", application.pk), {"reviewer": personas.ta_provider.pk}
    )
    assert refused.status_code == 422
    assert not ReviewAssignment.objects.exists()
    ok = admin.post(
        url("application_reviewers", application.pk), {"reviewer": personas.reviewer.pk}
    )
    assert ok.status_code == 302
    review = ReviewAssignment.objects.get()
    assert (
        client_for(personas.state_staff)
        .get(url("application_reviewers", application.pk))
        .status_code
        == 403
    )
    assert client_for(personas.reviewer).post(url("review_unassign", review.pk)).status_code == 404
    assert (
        client_for(personas.state_staff).post(url("review_unassign", review.pk)).status_code == 403
    )
    assert (
        client_for(personas.other_state_admin).post(url("review_unassign", review.pk)).status_code
        == 404
    )
    assert admin.post(url("review_unassign", review.pk)).status_code == 302
    assert not ReviewAssignment.objects.exists()


def test_review_page_conflict_scores_submit(org, personas, client_for):
    s = reviewed(org, personas)
    reviewer = client_for(personas.reviewer)
    page = reviewer.get(url("review_detail", s.r1.pk)).content.decode()
    assert "Step 1: conflict of interest" in page
    assert "Declare first" in page and 'name="score_' not in page
    refused = reviewer.post(url("review_conflict", s.r1.pk), {"conflict": "declared"})
    assert refused.status_code == 422
    assert "Describe the conflict" in refused.content.decode()
    assert ReviewAssignment.objects.get(pk=s.r1.pk).conflict == ""
    assert reviewer.post(url("review_conflict", s.r1.pk), {"conflict": "none"}).status_code == 302
    page = reviewer.get(url("review_detail", s.r1.pk)).content.decode()
    track, approach = s.criteria
    assert f'name="score_{track.pk}"' in page
    out_of_scale = reviewer.post(
        url("review_scores", s.r1.pk),
        {f"score_{track.pk}": "3", f"score_{approach.pk}": "9"},
    )
    assert out_of_scale.status_code == 422
    assert "“Approach”: 9 is outside the scale; give a whole number from 1 to 4." in (
        out_of_scale.content.decode()
    )
    assert not Score.objects.exists()
    ok = reviewer.post(
        url("review_scores", s.r1.pk),
        {f"score_{track.pk}": "3", f"score_{approach.pk}": "2", f"comment_{track.pk}": "Good"},
    )
    assert ok.status_code == 302
    assert Score.objects.count() == 2
    assert reviewer.post(url("review_submit", s.r1.pk)).status_code == 302
    assert ReviewAssignment.objects.get(pk=s.r1.pk).submitted_at is not None
    page = reviewer.get(url("review_detail", s.r1.pk)).content.decode()
    assert "your scores are locked" in page
    # another reviewer's page is not found
    assert reviewer.get(url("review_detail", s.r2.pk)).status_code == 404


def test_declared_conflict_on_the_page_refuses_scores(org, personas, client_for):
    s = reviewed(org, personas)
    reviewer = client_for(personas.reviewer)
    reviewer.post(
        url("review_conflict", s.r1.pk), {"conflict": "declared", "conflict_note": "Ex-employer"}
    )
    track, approach = s.criteria
    refused = reviewer.post(
        url("review_scores", s.r1.pk), {f"score_{track.pk}": "3", f"score_{approach.pk}": "3"}
    )
    assert refused.status_code == 403
    assert "You declared a conflict of interest with Acme" in refused.content.decode()
    assert not Score.objects.exists()


# ---------------------------------------------------------------------------------------------
# Scores, decision, designations


def test_scores_page_shows_agreement_in_words(org, personas, client_for):
    s = reviewed(
        org,
        personas,
        criteria=(("Track record", "1"), ("Approach", "1"), ("Capacity", "1"), ("Results", "1")),
    )
    score_and_submit(s.r1, personas.reviewer, [4, 1, 3, 2])
    score_and_submit(s.r2, personas.state_staff, [4, 3, 3, 2])
    page = client_for(personas.state_admin).get(url("application_scores", s.application.pk))
    assert page.status_code == 200
    body = page.content.decode()
    alpha = svc.score_summary(s.application).alpha.alpha
    assert f"alpha {alpha:.2f}: " in body
    assert "Reviewers differ by more than one point on “Approach”" in body
    csv = client_for(personas.state_admin).get(
        url("application_scores", s.application.pk) + "?format=csv"
    )
    assert csv.status_code == 200
    content = b"".join(csv.streaming_content).decode()
    assert "Weighted total" in content
    assert (
        client_for(personas.partner_staff)
        .get(url("application_scores", s.application.pk))
        .status_code
        == 404
    )


def test_decision_page_creates_designations(org, personas, client_for):
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [4, 3])
    admin = client_for(personas.state_admin)
    assert admin.get(url("application_decision", s.application.pk)).status_code == 200
    refused = admin.post(
        url("application_decision", s.application.pk),
        {"outcome": "approved", "need_areas": ["instruction"], "rationale": ""},
    )
    assert refused.status_code == 422
    assert not PriorityDesignation.objects.exists()
    done = admin.post(
        url("application_decision", s.application.pk),
        {"outcome": "approved", "need_areas": ["instruction"], "rationale": "Strong results."},
    )
    assert done.status_code == 302
    designation = PriorityDesignation.objects.get()
    assert (designation.starts_on, designation.expires_on) == (
        dt.date(2027, 7, 1),
        dt.date(2030, 6, 30),
    )
    applicant = client_for(personas.partner_staff).get(url("application_detail", s.application.pk))
    body = applicant.content.decode()
    assert "Approved as a Priority Partner" in body and "Strong results." in body
    assert "Weighted score at the decision" not in body
    assert (
        client_for(personas.state_staff)
        .get(url("application_decision", s.application.pk))
        .status_code
        == 403
    )


def test_designations_page(org, personas, client_for):
    d = PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="instruction",
        starts_on=TODAY - dt.timedelta(days=300),
        expires_on=TODAY + dt.timedelta(days=30),
    )
    old = PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="leadership",
        starts_on=TODAY - dt.timedelta(days=900),
        expires_on=TODAY - dt.timedelta(days=10),
    )
    PriorityDesignation.objects.create(
        partner=org.other_partner,
        state=org.state,
        need_area="leadership",
        starts_on=TODAY,
        expires_on=TODAY + dt.timedelta(days=1000),
        renews=None,
    )
    staff = client_for(personas.state_staff).get(url("designations"))
    assert staff.status_code == 200
    body = staff.content.decode()
    assert "In force, expiring within 90 days" in body and "Expired" in body
    assert url("designation_revoke", d.pk) not in body  # staff follow; administrators revoke
    expiring = client_for(personas.state_staff).get(url("designations") + "?status=expired")
    assert "Leadership" in expiring.content.decode()
    assert "Instruction" not in expiring.content.decode()
    assert (
        client_for(personas.state_staff).get(url("designations") + "?status=bogus").status_code
        == 400
    )
    admin = client_for(personas.state_admin)
    refused = admin.post(url("designation_revoke", d.pk), {f"d{d.pk}-reason": ""})
    assert refused.status_code == 422
    assert PriorityDesignation.objects.get(pk=d.pk).revoked_at is None
    assert (
        admin.post(url("designation_revoke", d.pk), {f"d{d.pk}-reason": "Stopped."}).status_code
        == 302
    )
    assert PriorityDesignation.objects.get(pk=d.pk).revoked_reason == "Stopped."
    assert (
        client_for(personas.other_state_admin)
        .post(url("designation_revoke", old.pk), {f"d{old.pk}-reason": "x"})
        .status_code
        == 404
    )
    other = client_for(personas.other_state_admin).get(url("designations")).content.decode()
    assert "Acme" not in other
    for who in ("partner_staff", "reviewer", "outsider"):
        assert client_for(getattr(personas, who)).get(url("designations")).status_code == 404
    csv = client_for(personas.state_staff).get(url("designations") + "?format=csv")
    assert "Acme Turnaround Partners" in b"".join(csv.streaming_content).decode()
