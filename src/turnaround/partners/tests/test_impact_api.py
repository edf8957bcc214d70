"""The impact and scorecard API: shapes, who sees what, who may compute, error shapes."""

from __future__ import annotations

import pytest

from turnaround.partners.models import ImpactEstimate
from turnaround.partners.services.impact import impact_compute_partner
from turnaround.partners.tests.test_impact_service import EFFECT, build_impact_state

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


@pytest.fixture
def impact_state(org):
    return build_impact_state(org)


@pytest.fixture
def computed(org, impact_state):
    return impact_compute_partner(partner=org.partner, state=org.state)


def locs(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {"/".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


def test_endpoints_need_authentication(client, org):
    base = f"/api/v1/partners/{org.partner.pk}"
    assert client.get(f"{base}/impact").status_code == 401
    assert client.get(f"{base}/scorecard").status_code == 401
    assert (
        client.post(f"{base}/impact/compute", {"state": "MA"}, "application/json").status_code
        == 401
    )


def test_impact_list_shape(org, personas, client_for, computed):
    response = client_for(personas.state_staff).get(f"/api/v1/partners/{org.partner.pk}/impact")
    assert response.status_code == 200
    items = response.json()
    assert len(items) == 18  # all areas, instruction, climate and culture x 6 outcomes
    ela = next(i for i in items if i["need_area"] == "" and i["outcome"] == "achievement_ela")
    assert set(ela) == {
        "id",
        "partner_id",
        "state",
        "need_area",
        "need_area_label",
        "outcome",
        "outcome_label",
        "unit",
        "computed_at",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "n_treated",
        "n_comparison",
        "pretrend_p_value",
        "pretrend_summary",
        "refusal",
        "detail",
    }
    assert ela["state"] == "MA" and ela["need_area_label"] == "All areas"
    assert ela["unit"] == "CPI points" and ela["refusal"] == ""
    assert ela["ci_low"] < EFFECT < ela["ci_high"] and ela["n_treated"] == 12
    assert ela["pretrend_summary"].startswith("no evidence of different pre-trends (p = ")
    d = ela["detail"]
    assert [c["start_year"] for c in d["cohorts"]] == [2015]
    assert [e["relative_year"] for e in d["leads"]] == [-3, -2]
    assert [e["relative_year"] for e in d["lags"]] == [0, 1, 2]
    assert d["reference_year"] == -1
    assert d["pretrend"]["df"][0] == 2
    assert d["cits"]["level_change"]["term"] == "level change"
    assert len(d["engaged_school_ids"]) == 12 and d["comparison_school_ids"]
    assert {b["feature"] for b in d["balance"]} >= {"enrollment (pre mean)"}
    assert d["method"] and d["estimator"] and d["years"] == [2012, 2017]
    refused = next(i for i in items if i["need_area"] == "climate_culture")
    assert refused["estimate"] is None and refused["pretrend_summary"] is None
    assert refused["refusal"].startswith("The one engaged school cannot be measured")


def test_impact_list_filters(org, personas, client_for, computed):
    client = client_for(personas.state_staff)
    base = f"/api/v1/partners/{org.partner.pk}/impact"
    assert len(client.get(f"{base}?need_area=instruction").json()) == 6
    assert len(client.get(f"{base}?need_area=").json()) == 6
    assert client.get(f"{base}?state=RI").json() == []
    assert "query/need_area" in locs(client.get(f"{base}?need_area=cooking"))


def test_who_sees_the_estimates(org, personas, client_for, computed):
    expected = {
        "state_admin": 18,
        "state_staff": 18,
        "district_leader": 18,
        "partner_staff": 18,
        "other_state_admin": 0,  # sees the scorecard, but no estimate of Rhode Island exists
    }
    for persona, n in expected.items():
        response = client_for(getattr(personas, persona)).get(
            f"/api/v1/partners/{org.partner.pk}/impact"
        )
        assert response.status_code == 200, persona
        assert len(response.json()) == n, persona
    for persona in ("other_partner_staff", "viewer", "school_leader", "outsider"):
        response = client_for(getattr(personas, persona)).get(
            f"/api/v1/partners/{org.partner.pk}/impact"
        )
        assert (response.status_code, response.json()) == (404, NOT_FOUND), persona
    missing = client_for(personas.state_admin).get("/api/v1/partners/999999/impact")
    assert (missing.status_code, missing.json()) == (404, NOT_FOUND)


def test_compute_by_state_staff_returns_the_stored_estimates(
    org, personas, client_for, impact_state
):
    client = client_for(personas.state_staff)
    base = f"/api/v1/partners/{org.partner.pk}/impact/compute"
    response = client.post(base, {"state": "ma"}, "application/json")
    assert response.status_code == 200, response.content
    items = response.json()
    assert len(items) == 18 == ImpactEstimate.objects.count()
    assert {i["need_area"] for i in items} == {"", "instruction", "climate_culture"}
    response = client.post(base, {"state": "MA", "need_area": "instruction"}, "application/json")
    assert response.status_code == 200
    assert {i["need_area"] for i in response.json()} == {"instruction"}
    assert len(response.json()) == 6
    assert ImpactEstimate.objects.count() == 18


def test_compute_errors(org, personas, client_for, impact_state):
    base = f"/api/v1/partners/{org.partner.pk}/impact/compute"
    staff = client_for(personas.state_staff)
    assert "body/state" in locs(staff.post(base, {"state": "ZZ"}, "application/json"))
    bad_area = staff.post(base, {"state": "MA", "need_area": "cooking"}, "application/json")
    assert "body/need_area" in locs(bad_area)
    assert "body/payload/state" in locs(staff.post(base, {}, "application/json"))  # ninja
    for persona in ("district_leader", "partner_staff", "other_state_admin"):
        response = client_for(getattr(personas, persona)).post(
            base, {"state": "MA"}, "application/json"
        )
        assert response.status_code == 403, persona
        assert "Only state administrators and staff of Massachusetts" in response.json()["detail"]
    for persona in ("other_partner_staff", "outsider"):
        response = client_for(getattr(personas, persona)).post(
            base, {"state": "MA"}, "application/json"
        )
        assert (response.status_code, response.json()) == (404, NOT_FOUND), persona
    assert not ImpactEstimate.objects.exists()


def test_scorecard_shape(org, personas, client_for, impact_state, computed):
    response = client_for(personas.state_staff).get(f"/api/v1/partners/{org.partner.pk}/scorecard")
    assert response.status_code == 200
    body = response.json()
    assert body["partner"] == {"id": org.partner.pk, "name": "Acme Turnaround Partners"}
    e = body["engagements"]
    assert e["total"] == 14 and e["schools_served"] == 14 and e["districts_served"] == 0
    assert {a["need_area"]: a["total"] for a in e["by_area"]} == {
        "instruction": 13,
        "climate_culture": 1,
    }
    assert {s["status"]: s["count"] for s in e["by_status"]} == {
        "current": 1,
        "upcoming": 0,
        "ended": 13,
    }
    assert e["cost_by_funding"] == [
        {
            "funding_source": "title_i_1003",
            "label": "Title I §1003 school improvement",
            "engagements": 12,
            "total": "600000.00",
        }
    ]
    item = e["items"][0]
    assert set(item) >= {"organisation", "state", "need_area", "starts_on", "status", "cost"}
    outcomes = body["outcomes"]
    ela = {o["relative_year"]: o for o in outcomes if o["outcome"] == "achievement_ela"}
    assert sorted(ela) == [-3, -2, -1, 0, 1, 2]
    assert ela[0]["n_schools"] == 12
    assert ela[0]["mean"] - ela[-1]["mean"] > 3  # the effect shows in the raw means
    assert len(body["estimates"]) == 18


def test_scorecard_lists_only_the_engagements_the_viewer_sees(
    org, personas, client_for, impact_state
):
    body = (
        client_for(personas.district_leader)
        .get(f"/api/v1/partners/{org.partner.pk}/scorecard")
        .json()
    )
    ids = {i["school_id"] for i in body["engagements"]["items"]}
    assert ids and all(
        s.district_id == org.district.pk for s in impact_state.schools if s.pk in ids
    )
    other = client_for(personas.other_partner_staff).get(
        f"/api/v1/partners/{org.partner.pk}/scorecard"
    )
    assert (other.status_code, other.json()) == (404, NOT_FOUND)
    own = (
        client_for(personas.other_partner_staff)
        .get(f"/api/v1/partners/{org.other_partner.pk}/scorecard")
        .json()
    )
    assert own["engagements"]["total"] == 2
    assert {i["need_area"] for i in own["engagements"]["items"]} == {"leadership"}
