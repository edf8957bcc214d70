"""The accountability API for every persona: determinations, runs, designations (confirm,
transition, criteria), exit evaluations and reviews, cohorts."""

from __future__ import annotations

import pytest

from turnaround.accountability.models import (
    AccountabilityDetermination,
    Designation,
    IdentificationRun,
)
from turnaround.accountability.services.runs import identification_compute

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


def locs(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {"/".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


@pytest.fixture
def ran(acc, personas):
    return identification_compute(
        actor=personas.state_admin, state=acc.state, ruleset="essa-csi", year=2016
    )


def test_everything_requires_authentication(client, acc):
    for path in (
        "/api/v1/determinations",
        "/api/v1/identification/runs",
        "/api/v1/designations",
        "/api/v1/exit-reviews",
        "/api/v1/cohorts?state=MA&year=2011",
    ):
        assert client.get(path).status_code == 401, path


def test_determinations_follow_the_reach(acc, personas, client_for, ran):
    expected = {
        "state_admin": 19,
        "viewer": 19,
        "district_leader": sum(1 for s in acc.all_ma if s.district_id == acc.district.pk),
        "school_leader": 1,
        "partner_staff": 1,
        "other_state_admin": 0,
        "outsider": 0,
    }
    for persona, n in expected.items():
        body = (
            client_for(getattr(personas, persona))
            .get("/api/v1/determinations?year=2016&ruleset=essa-csi")
            .json()
        )
        assert body["count"] == n, persona
    body = (
        client_for(personas.state_admin)
        .get("/api/v1/determinations?ruleset=essa-csi&flagged=true&limit=500")
        .json()
    )
    assert body["count"] == ran.flagged_count
    item = body["items"][0]
    assert item["candidate_status"] in ("csi", "atsi", "tsi") and item["reasons"]
    assert item["school"]["code"].startswith("0") and item["run_id"] == ran.pk
    assert set(item["inputs"]) == {"input", "values", "flags"}
    assert locs(client_for(personas.state_admin).get("/api/v1/determinations?origin=maybe")) == {
        "query/origin": "unknown value 'maybe'; allowed: official, computed"
    }


def test_start_a_run_and_poll_it(acc, personas, client_for):
    c = client_for(personas.state_staff)
    response = c.post(
        "/api/v1/identification/runs",
        {"ruleset": "ma-2012", "year": 2016, "params": {"l3_percentile": 25}},
        "application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "done" and body["params"] == {"l3_percentile": 25}
    assert body["schools_evaluated"] == 19
    assert c.get(f"/api/v1/identification/runs/{body['id']}").json()["id"] == body["id"]
    assert c.get("/api/v1/identification/runs").json()["count"] == 1
    assert (
        client_for(personas.viewer).get(f"/api/v1/identification/runs/{body['id']}").json()
        == NOT_FOUND
    )
    assert (
        client_for(personas.other_state_admin).get("/api/v1/identification/runs").json()["count"]
        == 0
    )


def test_run_requests_are_validated(acc, personas, client_for):
    c = client_for(personas.state_admin)
    errors = locs(
        c.post(
            "/api/v1/identification/runs",
            {"ruleset": "ma-2012", "year": 2016, "params": {"ties": "exclude"}},
            "application/json",
        )
    )
    assert "ma-2012 has no parameter 'ties'; allowed: cum_ppi_target" in errors["body/params"]
    for persona in ("viewer", "district_leader", "outsider"):
        response = client_for(getattr(personas, persona)).post(
            "/api/v1/identification/runs", {"ruleset": "ma-2012", "year": 2016}, "application/json"
        )
        assert response.status_code == 404, persona
    IdentificationRun.objects.create(state=acc.state, year=2016, ruleset="ma-2012")
    busy = c.post(
        "/api/v1/identification/runs", {"ruleset": "ma-2012", "year": 2017}, "application/json"
    )
    assert busy.status_code == 409 and "already queued" in busy.json()["detail"]


def test_confirm_transition_criteria_and_review(acc, personas, client_for, ran):
    det = AccountabilityDetermination.objects.filter(run=ran, label="CSI").first()
    staff = client_for(personas.state_staff)
    denied = client_for(personas.district_leader).post(
        "/api/v1/designations", {"determination_id": det.pk}, "application/json"
    )
    assert denied.status_code in (403, 422)
    response = staff.post("/api/v1/designations", {"determination_id": det.pk}, "application/json")
    assert response.status_code == 201, response.content
    d = response.json()
    assert (d["status"], d["phase"], d["entered_year"], d["version"]) == (
        "csi",
        "identified",
        2016,
        1,
    )
    assert d["years_in_status"] == 2 and d["can_manage"] is True  # 2016, 2017
    path = f"/api/v1/designations/{d['id']}"
    started = staff.post(
        f"{path}/transition", {"action": "start", "version": 1}, "application/json"
    )
    assert started.json()["phase"] == "in_turnaround"
    stale = staff.post(f"{path}/transition", {"action": "start", "version": 1}, "application/json")
    assert stale.status_code == 409
    wrong = staff.post(f"{path}/transition", {"action": "start", "version": 2}, "application/json")
    assert locs(wrong) == {"body/action": "This designation is already in turnaround."}
    criteria = staff.put(
        f"{path}/exit-criteria",
        {"exit_criteria": [{"kind": "status_not", "labels": ["CSI"], "years": 1}], "version": 2},
        "application/json",
    )
    assert criteria.status_code == 200 and criteria.json()["exit_criteria"][0]["years"] == 1
    evaluation = staff.get(f"{path}/exit-evaluation?year=2016").json()
    assert evaluation["results"][0]["status"] == "not_met"
    assert evaluation["results"][0]["items"][0] == {
        "what": "Determination",
        "year": 2016,
        "value": "CSI",
        "ok": False,
    }
    assert client_for(personas.viewer).get(f"{path}/exit-evaluation").json() == NOT_FOUND
    review = staff.post(
        f"{path}/exit-reviews",
        {"review_year": 2016, "decision": "continue", "rationale": "Too early.", "version": 3},
        "application/json",
    )
    assert review.status_code == 201, review.content
    assert review.json()["next_review_year"] == 2017
    readers = {
        "state_admin": 1,
        "district_leader": int(det.school.district_id == acc.district.pk),
        "viewer": 0,
        "ta_provider": 0,
        "partner_staff": 0,
        "outsider": 0,
    }
    for persona, n in readers.items():
        assert (
            client_for(getattr(personas, persona)).get("/api/v1/exit-reviews").json()["count"] == n
        )


def test_designation_list_and_cohorts(acc, personas, client_for):
    Designation.objects.create(
        school=acc.school,
        status="underperforming",
        entered_year=2011,
        exited_year=2014,
        source=acc.source,
    )
    Designation.objects.create(school=acc.school_hs, status="underperforming", entered_year=2011)
    Designation.objects.create(school=acc.school_other_state, status="csi", entered_year=2011)
    admin = client_for(personas.state_admin)
    body = admin.get("/api/v1/designations?state=MA&in_force=2015").json()
    assert [d["school"]["name"] for d in body["items"]] == ["Burke High"]
    assert client_for(personas.school_leader).get("/api/v1/designations").json()["count"] == 1
    assert client_for(personas.other_state_admin).get("/api/v1/designations").json()["count"] == 1
    cohort = admin.get("/api/v1/cohorts?state=MA&year=2011&through=2015").json()
    table = cohort["tables"][0]
    assert (table["status"], table["size"]) == ("underperforming", 2)
    assert [r["exited"] for r in table["rows"]] == [0, 0, 0, 1, 1]
    assert [s["name"] for s in table["remaining"]] == ["Burke High"]
    assert (
        client_for(personas.outsider).get("/api/v1/cohorts?state=MA&year=2011").json() == NOT_FOUND
    )
    assert (
        client_for(personas.other_state_admin).get("/api/v1/cohorts?state=MA&year=2011").json()
        == NOT_FOUND
    )


def test_designation_list_queries_do_not_grow_with_items(acc, personas, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = client_for(personas.state_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get("/api/v1/designations?limit=500").status_code == 200
        return len(ctx.captured_queries)

    Designation.objects.create(
        school=acc.schools[0], status="csi", entered_year=2014, ruleset="essa-csi"
    )
    few = count()
    Designation.objects.bulk_create(
        [
            Designation(school=s, status="csi", entered_year=2014, ruleset="essa-csi")
            for s in acc.schools[1:]
        ]
    )
    assert count() == few
