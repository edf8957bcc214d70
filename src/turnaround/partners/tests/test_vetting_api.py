"""The vetting API: every operation for the owner, a read-only member and an outsider, with the
error shapes of ``api/router.py`` (404 not yours, 403 not allowed, 422 with ``loc``, 409 stale)
and the database state after each call."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

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
API = "/api/v1/vetting"


def send(client, method: str, path: str, body: object | None = None):
    return getattr(client, method)(
        f"{API}{path}", data=json.dumps(body or {}), content_type="application/json"
    )


def locs(response) -> list[list[object]]:
    return [item["loc"] for item in response.json()["detail"]]


def cycle_body(**overrides: object) -> dict[str, object]:
    return {
        "name": "Priority Partners 2027",
        "need_areas": ["instruction", "leadership"],
        "opens_on": TODAY.isoformat(),
        "closes_on": (TODAY + dt.timedelta(days=30)).isoformat(),
        "designation_starts_on": "2027-07-01",
        **overrides,
    }


def test_anonymous_is_401(client, org):
    assert client.get(f"{API}/cycles").status_code == 401
    assert client.get(f"{API}/designations").status_code == 401


def test_cycle_create_get_patch_status(org, personas, client_for):
    admin = client_for(personas.state_admin)
    bad = send(admin, "post", "/cycles", cycle_body(scale_min=3, scale_max=2, designation_years=0))
    assert bad.status_code == 422
    assert ["body", "scale_max"] in locs(bad) and ["body", "designation_years"] in locs(bad)
    assert not VettingCycle.objects.exists()
    created = send(admin, "post", "/cycles", cycle_body())
    assert created.status_code == 201, created.content
    cycle = created.json()
    assert cycle["status"] == "draft" and cycle["state"] == "MA"
    assert cycle["permissions"]["can_manage"] is True
    assert cycle["allowed_moves"] == ["open"]
    cid = cycle["id"]
    staff = client_for(personas.state_staff)
    assert send(staff, "post", "/cycles", cycle_body(name="x")).status_code == 422  # no state
    assert (
        send(staff, "post", "/cycles", cycle_body(name="x", state_id=org.state.pk)).status_code
        == 403
    )
    assert staff.get(f"{API}/cycles/{cid}").json()["permissions"]["can_manage"] is False
    patched = send(admin, "patch", f"/cycles/{cid}", {"version": 1, "name": "Renamed"})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = send(admin, "patch", f"/cycles/{cid}", {"version": 1, "name": "Stale"})
    assert stale.status_code == 409
    assert VettingCycle.objects.get().name == "Renamed"
    assert send(staff, "patch", f"/cycles/{cid}", {"version": 2, "name": "x"}).status_code == 403
    other = client_for(personas.other_state_admin)
    assert other.get(f"{API}/cycles/{cid}").status_code == 404
    assert send(other, "patch", f"/cycles/{cid}", {"version": 2, "name": "x"}).status_code == 404
    # status moves
    refused = send(admin, "post", f"/cycles/{cid}/status", {"status": "open"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "status"]
    assert "at least one weighted criterion" in refused.json()["detail"][0]["msg"]
    skip = send(admin, "post", f"/cycles/{cid}/status", {"status": "decided"})
    assert "can move only to “open”" in skip.json()["detail"][0]["msg"]
    assert (
        send(admin, "post", f"/cycles/{cid}/criteria", {"name": "A", "weight": "2"}).status_code
        == 201
    )
    opened = send(admin, "post", f"/cycles/{cid}/status", {"status": "open", "version": 2})
    assert opened.status_code == 200 and opened.json()["status"] == "open"


def test_cycles_listed_per_persona(org, personas, client_for):
    open_cycle = make_cycle(org, personas)
    make_cycle(org, personas, status="draft", name="Draft")
    names = lambda user: {c["name"] for c in client_for(user).get(f"{API}/cycles").json()}  # noqa: E731
    assert names(personas.state_staff) == {"Priority Partners 2027", "Draft"}
    assert names(personas.partner_staff) == {open_cycle.name}
    assert names(personas.outsider) == set()
    assert names(personas.other_state_admin) == set()


def test_criteria(org, personas, client_for):
    cycle = make_cycle(org, personas, status="draft", criteria=())
    admin = client_for(personas.state_admin)
    bad = send(admin, "post", f"/cycles/{cycle.pk}/criteria", {"name": "A", "weight": "0"})
    assert bad.status_code == 422 and locs(bad) == [["body", "weight"]]
    created = send(admin, "post", f"/cycles/{cycle.pk}/criteria", {"name": "A", "weight": "1.5"})
    assert created.status_code == 201
    cid = created.json()["id"]
    assert send(admin, "patch", f"/criteria/{cid}", {"weight": "3"}).json()["weight"] == "3.00"
    staff = client_for(personas.state_staff)
    assert staff.get(f"{API}/cycles/{cycle.pk}/criteria").status_code == 200
    assert send(staff, "patch", f"/criteria/{cid}", {"weight": "1"}).status_code == 403
    assert (
        send(client_for(personas.other_state_admin), "delete", f"/criteria/{cid}").status_code
        == 404
    )
    assert send(admin, "delete", f"/criteria/{cid}").status_code == 204
    assert not Criterion.objects.exists()


def test_application_create_patch_submit_withdraw(org, personas, client_for):
    cycle = make_cycle(org, personas)
    own = claim(org.partner)
    others = claim(org.other_partner)
    partner = client_for(personas.partner_staff)
    bad = send(
        partner,
        "post",
        f"/cycles/{cycle.pk}/applications",
        {"need_areas": ["family_engagement"], "evidence_ids": [others.pk]},
    )
    assert bad.status_code == 422
    assert ["body", "need_areas"] in locs(bad) and ["body", "evidence"] in locs(bad)
    assert not Application.objects.exists()
    created = send(
        partner,
        "post",
        f"/cycles/{cycle.pk}/applications",
        {"need_areas": ["instruction"], "track_record": "Ten years.", "evidence_ids": [own.pk]},
    )
    assert created.status_code == 201
    app = created.json()
    assert app["status"] == "draft"
    assert app["missing_for_submission"] == ["grade_bands", "measured_results", "approach"]
    assert app["permissions"]["can_edit"] is True
    submit = send(partner, "post", f"/applications/{app['id']}/submit", {})
    assert submit.status_code == 422
    assert ["body", "approach"] in locs(submit)
    assert any("fill in the grade bands" in i["msg"] for i in submit.json()["detail"])
    patched = send(
        partner,
        "patch",
        f"/applications/{app['id']}",
        {
            "version": app["version"],
            "grade_bands": ["middle"],
            "measured_results": "Up.",
            "approach": "Coaching.",
        },
    )
    assert patched.status_code == 200
    stale = send(partner, "patch", f"/applications/{app['id']}", {"version": 1, "approach": "x"})
    assert stale.status_code == 409
    done = send(partner, "post", f"/applications/{app['id']}/submit", {})
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert (
        send(
            partner, "patch", f"/applications/{app['id']}", {"version": 3, "approach": "x"}
        ).status_code
        == 422
    )
    staff = client_for(personas.state_staff)
    assert send(staff, "post", f"/applications/{app['id']}/withdraw", {}).status_code == 403
    withdrawn = send(partner, "post", f"/applications/{app['id']}/withdraw", {})
    assert withdrawn.json()["status"] == "withdrawn"


def test_other_partner_staff_cannot_apply_for_acme(org, personas, client_for):
    cycle = make_cycle(org, personas)
    response = send(
        client_for(personas.other_partner_staff),
        "post",
        f"/cycles/{cycle.pk}/applications",
        {"partner_id": org.partner.pk},
    )
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_reviews_flow(org, personas, client_for):
    cycle = make_cycle(org, personas)
    application = make_application(cycle, org, personas)
    admin = client_for(personas.state_admin)
    path = f"/applications/{application.pk}/reviews"
    bad = send(admin, "post", path, {"reviewer_id": personas.ta_provider.pk})
    assert bad.status_code == 422 and locs(bad) == [["body", "reviewer"]]
    assert send(admin, "post", path, {"reviewer_id": 999999}).status_code == 422
    assert (
        send(
            client_for(personas.state_staff), "post", path, {"reviewer_id": personas.reviewer.pk}
        ).status_code
        == 403
    )
    created = send(admin, "post", path, {"reviewer_id": personas.reviewer.pk})
    assert created.status_code == 201
    rid = created.json()["id"]
    assert [r["id"] for r in client_for(personas.state_staff).get(f"{API}{path}").json()] == [rid]
    assert client_for(personas.partner_staff).get(f"{API}{path}").status_code == 404
    assert client_for(personas.reviewer).get(f"{API}{path}").status_code == 404
    send(admin, "post", f"/cycles/{cycle.pk}/status", {"status": "review"})
    reviewer = client_for(personas.reviewer)
    assert [r["id"] for r in reviewer.get(f"{API}/reviews").json()] == [rid]
    own = reviewer.get(f"{API}/reviews/{rid}").json()
    assert own["conflict"] == "" and own["scores"] == [] and own["can_score"] is False
    criteria = list(cycle.criteria.all())
    body = {"scores": [{"criterion_id": c.pk, "score": 3} for c in criteria]}
    undeclared = send(reviewer, "put", f"/reviews/{rid}/scores", body)
    assert undeclared.status_code == 403
    assert "Declare first" in undeclared.json()["detail"]
    declared = send(reviewer, "post", f"/reviews/{rid}/conflict", {"conflict": "none"})
    assert declared.status_code == 200 and declared.json()["can_score"] is True
    half = send(reviewer, "put", f"/reviews/{rid}/scores", {"scores": body["scores"][:1]})
    assert half.status_code == 422 and locs(half) == [["body", "scores"]]
    assert "not scored: “Approach”" in half.json()["detail"][0]["msg"]
    fractional = send(
        reviewer,
        "put",
        f"/reviews/{rid}/scores",
        {"scores": [{"criterion_id": criteria[0].pk, "score": 2.5}]},
    )
    assert fractional.status_code == 422
    assert not Score.objects.exists()
    scored = send(reviewer, "put", f"/reviews/{rid}/scores", {**body, "comment": "Fine."})
    assert scored.status_code == 200
    assert [s["score"] for s in scored.json()["scores"]] == [3, 3]
    submitted = send(reviewer, "post", f"/reviews/{rid}/submit", {})
    assert submitted.status_code == 200 and submitted.json()["submitted_at"]
    locked = send(reviewer, "put", f"/reviews/{rid}/scores", body)
    assert locked.status_code == 403 and "locked" in locked.json()["detail"]
    assert (
        send(admin, "delete", f"/reviews/{rid}").status_code == 422
    )  # submitted: part of the record
    assert ReviewAssignment.objects.filter(pk=rid).exists()


def test_unassign(org, personas, client_for):
    s = reviewed(org, personas)
    assert send(client_for(personas.reviewer), "delete", f"/reviews/{s.r2.pk}").status_code == 404
    assert (
        send(client_for(personas.state_staff), "delete", f"/reviews/{s.r2.pk}").status_code == 403
    )
    assert (
        send(client_for(personas.state_admin), "delete", f"/reviews/{s.r2.pk}").status_code == 204
    )
    assert not ReviewAssignment.objects.filter(pk=s.r2.pk).exists()


def test_scores_summary(org, personas, client_for):
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [4, 2])
    score_and_submit(s.r2, personas.state_staff, [3, 1])
    summary = client_for(personas.state_admin).get(f"{API}/applications/{s.application.pk}/scores")
    assert summary.status_code == 200
    data = summary.json()
    assert data["weighted_score"] == "2.83"
    assert [r["weighted_score"] for r in data["reviewers"]] == ["3.33", "2.33"]
    assert [c["scores"] for c in data["criteria"]] == [[4, 3], [2, 1]]
    assert data["agreement"]["metric"] == "interval"
    assert data["agreement"]["reading"].startswith("alpha ")
    assert data["flagged"] == []


def test_decision_and_designations(org, personas, client_for):
    claim(org.partner, "instruction", tier=2)
    s = reviewed(org, personas)
    s.application.evidence.set(org.partner.evidence.all())
    score_and_submit(s.r1, personas.reviewer, [4, 4])
    admin = client_for(personas.state_admin)
    path = f"/applications/{s.application.pk}/decision"
    bad = send(
        admin, "post", path, {"outcome": "approved", "need_areas": ["data_use"], "rationale": ""}
    )
    assert bad.status_code == 422
    assert ["body", "need_areas"] in locs(bad) and ["body", "rationale"] in locs(bad)
    assert (
        send(
            client_for(personas.state_staff),
            "post",
            path,
            {"outcome": "declined", "rationale": "x"},
        ).status_code
        == 403
    )
    assert (
        send(
            client_for(personas.other_state_admin),
            "post",
            path,
            {"outcome": "declined", "rationale": "x"},
        ).status_code
        == 404
    )
    done = send(
        admin,
        "post",
        path,
        {"outcome": "approved", "need_areas": ["instruction"], "rationale": "Good."},
    )
    assert done.status_code == 201
    decision = done.json()["decision"]
    assert decision["outcome"] == "approved" and decision["weighted_score"] == "4.00"
    applicant = client_for(personas.partner_staff).get(f"{API}/applications/{s.application.pk}")
    assert applicant.json()["decision"]["weighted_score"] is None  # applicants never see scores
    designations = client_for(personas.state_staff).get(f"{API}/designations").json()
    assert len(designations) == 1
    d = designations[0]
    assert (d["starts_on"], d["expires_on"], d["evidence_tier"]) == ("2027-07-01", "2030-06-30", 2)
    assert d["status"] == svc.designation_status(PriorityDesignation.objects.get())
    assert client_for(personas.partner_staff).get(f"{API}/designations").json() == []
    assert client_for(personas.other_state_admin).get(f"{API}/designations").json() == []
    bad_filter = client_for(personas.state_staff).get(f"{API}/designations?status=nope")
    assert bad_filter.status_code == 422 and locs(bad_filter) == [["query", "status"]]
    revoke = f"/designations/{d['id']}/revoke"
    assert send(admin, "post", revoke, {"reason": " "}).status_code == 422
    assert (
        send(client_for(personas.state_staff), "post", revoke, {"reason": "x"}).status_code == 403
    )
    assert (
        send(client_for(personas.other_state_admin), "post", revoke, {"reason": "x"}).status_code
        == 404
    )
    assert PriorityDesignation.objects.get().revoked_at is None
    revoked = send(admin, "post", revoke, {"reason": "Did not deliver."})
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_designation_renewal_link_in_the_list(org, personas, client_for):
    old = PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="instruction",
        starts_on=dt.date(2024, 7, 1),
        expires_on=dt.date(2027, 6, 30),
    )
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [3, 3])
    send(
        client_for(personas.state_admin),
        "post",
        f"/applications/{s.application.pk}/decision",
        {"outcome": "approved", "need_areas": ["instruction"], "rationale": "Renew."},
    )
    rows = {d["id"]: d for d in client_for(personas.state_staff).get(f"{API}/designations").json()}
    new = next(d for d in rows.values() if d["id"] != old.pk)
    assert new["renews_id"] == old.pk
    assert rows[old.pk]["renewed_by_id"] == new["id"]
    assert Decimal(str(PriorityDesignation.objects.get(pk=new["id"]).decision.weighted_score)) == 3
