"""The persona rules of vetting (issue #7), each checked on the pages AND the API:

- a partner cannot see another partner's applications or scores (listing, opening, guessing ids);
- an applicant never sees scores, only the decision;
- reviewers cannot see each other's scores before submitting their own;
- a reviewer with a declared conflict is refused scoring with that reason, and nothing is saved;
- a score outside the scale is refused naming the criterion and the range, and no score of that
  submission is saved;
- the other state's administrator gets a 404 for everything of this state's cycles.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from turnaround.partners.models import Decision, Score
from turnaround.partners.services import vetting as svc
from turnaround.partners.tests.test_vetting_services import (
    make_application,
    make_cycle,
    reviewed,
    score_and_submit,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/vetting"


def url(name: str, *args: object) -> str:
    return reverse(f"partners:{name}", args=args)


def put(client, path: str, body: object):
    return client.put(f"{API}{path}", data=json.dumps(body), content_type="application/json")


@pytest.fixture
def two_applications(org, personas):
    cycle = make_cycle(org, personas)
    acme = make_application(cycle, org, personas)
    other = make_application(cycle, org, personas, other=True, submit=False)
    return cycle, acme, other


def test_a_partner_never_sees_another_partners_application(two_applications, personas, client_for):
    cycle, acme, other = two_applications
    acme_staff = client_for(personas.partner_staff)
    # API: the list holds only Acme's; B's id is a 404 like a missing one
    listed = acme_staff.get(f"{API}/applications").json()
    assert [a["id"] for a in listed["items"]] == [acme.pk]
    assert acme_staff.get(f"{API}/applications/{other.pk}").status_code == 404
    assert acme_staff.get(f"{API}/applications/999999").status_code == 404
    assert acme_staff.get(f"{API}/applications/{other.pk}/scores").status_code == 404
    assert (
        acme_staff.patch(
            f"{API}/applications/{other.pk}",
            data=json.dumps({"version": 1, "approach": "x"}),
            content_type="application/json",
        ).status_code
        == 404
    )
    assert (
        acme_staff.post(
            f"{API}/applications/{other.pk}/withdraw", data="{}", content_type="application/json"
        ).status_code
        == 404
    )
    # pages: the same 404, and the cycle page lists only Acme's
    assert acme_staff.get(url("application_detail", other.pk)).status_code == 404
    assert acme_staff.post(url("application_withdraw", other.pk)).status_code == 404
    assert acme_staff.get(url("application_scores", other.pk)).status_code == 404
    page = acme_staff.get(url("cycle_detail", cycle.pk)).content.decode()
    assert "Acme Turnaround Partners" in page and "Other Partner" not in page
    # and the other way round
    other_staff = client_for(personas.other_partner_staff)
    assert other_staff.get(url("application_detail", acme.pk)).status_code == 404
    assert other_staff.get(f"{API}/applications/{acme.pk}").status_code == 404
    assert [a["id"] for a in other_staff.get(f"{API}/applications").json()["items"]] == [other.pk]


def test_an_applicant_never_sees_scores(org, personas, client_for):
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [4, 3])
    score_and_submit(s.r2, personas.state_staff, [3, 3])
    svc.decision_record(
        actor=personas.state_admin,
        application=s.application,
        outcome="approved",
        need_areas=["instruction"],
        rationale="Strong.",
    )
    applicant = client_for(personas.partner_staff)
    assert applicant.get(url("application_scores", s.application.pk)).status_code == 404
    assert applicant.get(f"{API}/applications/{s.application.pk}/scores").status_code == 404
    assert applicant.get(f"{API}/applications/{s.application.pk}/reviews").status_code == 404
    detail = applicant.get(f"{API}/applications/{s.application.pk}").json()
    assert detail["decision"]["outcome"] == "approved"
    assert detail["decision"]["weighted_score"] is None
    assert detail["permissions"]["sees_all_scores"] is False
    page = applicant.get(url("application_detail", s.application.pk)).content.decode()
    assert "Strong." in page
    assert "3.33" not in page and "Mean weighted score" not in page and "alpha" not in page
    cycle_page = applicant.get(url("cycle_detail", s.cycle.pk)).content.decode()
    assert "3.33" not in cycle_page


def test_reviewers_see_each_others_scores_only_after_submitting(org, personas, client_for):
    s = reviewed(org, personas)
    # reviewer 2 (state staff persona) has scored and submitted; reviewer 1 has not yet
    score_and_submit(s.r2, personas.state_staff, [1, 1])
    first = client_for(personas.reviewer)
    assert first.get(f"{API}/applications/{s.application.pk}/scores").status_code == 404
    assert first.get(f"{API}/reviews/{s.r2.pk}").status_code == 404
    assert first.get(f"{API}/applications/{s.application.pk}/reviews").status_code == 404
    assert [r["id"] for r in first.get(f"{API}/reviews").json()] == [s.r1.pk]
    assert first.get(url("application_scores", s.application.pk)).status_code == 404
    assert first.get(url("review_detail", s.r2.pk)).status_code == 404
    own_page = first.get(url("review_detail", s.r1.pk)).content.decode()
    assert "every reviewer's scores" not in own_page
    detail = first.get(f"{API}/applications/{s.application.pk}").json()
    assert detail["permissions"]["sees_all_scores"] is False
    # reviewer 1 submits: now both reviews are visible to them
    score_and_submit(s.r1, personas.reviewer, [4, 4])
    summary = first.get(f"{API}/applications/{s.application.pk}/scores")
    assert summary.status_code == 200
    assert [c["scores"] for c in summary.json()["criteria"]] == [[4, 1], [4, 1]]
    page = first.get(url("application_scores", s.application.pk))
    assert page.status_code == 200
    # still only their own review record, never the other reviewer's
    assert first.get(f"{API}/reviews/{s.r2.pk}").status_code == 404


def test_a_declared_conflict_refuses_scoring_with_the_reason(org, personas, client_for):
    s = reviewed(org, personas)
    reviewer = client_for(personas.reviewer)
    declared = reviewer.post(
        f"{API}/reviews/{s.r1.pk}/conflict",
        data=json.dumps({"conflict": "declared", "note": "I consulted for them last year."}),
        content_type="application/json",
    )
    assert declared.status_code == 200
    body = {"scores": [{"criterion_id": c.pk, "score": 3} for c in s.criteria]}
    refused = put(reviewer, f"/reviews/{s.r1.pk}/scores", body)
    assert refused.status_code == 403
    assert (
        "You declared a conflict of interest with Acme Turnaround Partners"
        in (refused.json()["detail"])
    )
    page = reviewer.post(url("review_scores", s.r1.pk), {f"score_{c.pk}": "3" for c in s.criteria})
    assert page.status_code == 403
    assert "You declared a conflict of interest" in page.content.decode()
    submit = reviewer.post(
        f"{API}/reviews/{s.r1.pk}/submit", data="{}", content_type="application/json"
    )
    assert submit.status_code == 403
    assert not Score.objects.exists()
    # the state sees the declaration (with its note) on the reviewers list
    listed = client_for(personas.state_admin).get(f"{API}/applications/{s.application.pk}/reviews")
    by_id = {r["id"]: r for r in listed.json()}
    assert by_id[s.r1.pk]["conflict"] == "declared"
    assert by_id[s.r1.pk]["conflict_note"] == "I consulted for them last year."


def test_a_score_outside_the_scale_is_refused_and_nothing_saved(org, personas, client_for):
    s = reviewed(org, personas)
    reviewer = client_for(personas.reviewer)
    reviewer.post(
        f"{API}/reviews/{s.r1.pk}/conflict",
        data=json.dumps({"conflict": "none"}),
        content_type="application/json",
    )
    track, approach = s.criteria
    body = {
        "scores": [
            {"criterion_id": track.pk, "score": 3},
            {"criterion_id": approach.pk, "score": 5},
        ]
    }
    refused = put(reviewer, f"/reviews/{s.r1.pk}/scores", body)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail == [
        {
            "loc": ["body", "scores", approach.pk],
            "msg": "“Approach”: 5 is outside the scale; give a whole number from 1 to 4.",
            "type": "value_error",
        }
    ]
    page = reviewer.post(
        url("review_scores", s.r1.pk), {f"score_{track.pk}": "3", f"score_{approach.pk}": "0"}
    )
    assert page.status_code == 422
    assert "“Approach”: 0 is outside the scale; give a whole number from 1 to 4." in (
        page.content.decode()
    )
    assert not Score.objects.exists()  # not even the valid score for “Track record”


def test_the_other_states_admin_gets_404(org, personas, client_for):
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [3, 3])
    other = client_for(personas.other_state_admin)
    pages = [
        url("cycle_detail", s.cycle.pk),
        url("cycle_edit", s.cycle.pk),
        url("cycle_criteria", s.cycle.pk),
        url("application_detail", s.application.pk),
        url("application_reviewers", s.application.pk),
        url("application_scores", s.application.pk),
        url("application_decision", s.application.pk),
        url("review_detail", s.r1.pk),
    ]
    for path in pages:
        assert other.get(path).status_code == 404, path
    assert other.post(url("cycle_status", s.cycle.pk), {"status": "decided"}).status_code == 404
    apis = [
        f"/cycles/{s.cycle.pk}",
        f"/cycles/{s.cycle.pk}/criteria",
        f"/applications/{s.application.pk}",
        f"/applications/{s.application.pk}/scores",
        f"/applications/{s.application.pk}/reviews",
        f"/reviews/{s.r1.pk}",
    ]
    for path in apis:
        assert other.get(f"{API}{path}").status_code == 404, path
    assert other.get(f"{API}/applications").json()["count"] == 0
    decide = other.post(
        f"{API}/applications/{s.application.pk}/decision",
        data=json.dumps({"outcome": "declined", "rationale": "x"}),
        content_type="application/json",
    )
    assert decide.status_code == 404
    assert not Decision.objects.exists()


def test_outsiders_and_read_only_members(org, personas, client_for):
    s = reviewed(org, personas)
    for who in ("outsider", "viewer", "district_leader", "school_leader", "ta_provider"):
        client = client_for(getattr(personas, who))
        assert client.get(url("cycle_detail", s.cycle.pk)).status_code == 404, who
        assert client.get(url("application_detail", s.application.pk)).status_code == 404, who
        assert client.get(f"{API}/applications/{s.application.pk}").status_code == 404, who
        assert client.get(f"{API}/cycles").json() == [], who
