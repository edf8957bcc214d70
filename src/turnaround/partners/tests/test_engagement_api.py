"""The engagements API: list with filters, create, read, patch (409 when stale), end, delete —
each persona, each answer checked with the database afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from turnaround.audit.models import AuditEvent
from turnaround.partners.models import Engagement, PriorityDesignation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_dates(org):
    """Date the fixture's engagements by the site's calendar (TIME_ZONE), not the machine's, so
    "current" and "ended" hold at any hour."""
    today = timezone.localdate()
    Engagement.objects.filter(scope="Instructional coaching").update(
        starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=300)
    )
    Engagement.objects.filter(scope="Behaviour systems").update(
        starts_on=today - dt.timedelta(days=400), ends_on=today - dt.timedelta(days=1)
    )


JSON = "application/json"
URL = "/api/v1/engagements"


def days(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {"/".join(map(str, e["loc"])): e["msg"] for e in response.json()["detail"]}


def body(org, **kw):
    out = {
        "partner_id": org.partner.pk,
        "school_id": org.school_hs.pk,
        "need_area": "instruction",
        "scope": "Coaching the mathematics team",
        "starts_on": days(-5),
        "ends_on": days(200),
        "cost": "45000.00",
        "funding_source": "title_i_1003",
        "agreement_reference": "DSA-2026-14",
    }
    out.update(kw)
    return out


@pytest.fixture
def current(org):
    return Engagement.objects.get(scope="Instructional coaching")  # Acme at Adams, in force


def test_requires_authentication(client, org):
    assert client.get(URL).status_code == 401


def test_list_is_what_each_persona_sees(org, personas, client_for, current):
    def names(user, query=""):
        r = client_for(user).get(URL + query)
        assert r.status_code == 200, r.content
        return sorted((i["partner"]["name"], i["school"]["name"]) for i in r.json()["items"])

    both = [
        ("Acme Turnaround Partners", "Adams Elementary"),
        ("Acme Turnaround Partners", "Lynn Middle"),
    ]
    assert names(personas.state_staff) == both
    assert names(personas.partner_staff) == both
    assert names(personas.district_leader) == both[:1]
    assert names(personas.school_leader) == both[:1]
    assert names(personas.other_partner_staff) == []
    assert names(personas.other_state_admin) == []
    assert names(personas.state_staff, "?status=current") == both[:1]
    assert names(personas.state_staff, "?status=ended") == both[1:]
    assert names(personas.state_staff, f"?district={org.district2.pk}") == both[1:]
    assert names(personas.state_staff, "?need_area=leadership") == []
    item = client_for(personas.state_staff).get(URL + "?status=current").json()["items"][0]
    assert item["id"] == current.pk and item["status"] == "current" and item["can_edit"]
    assert item["school"]["state"] == "MA" and item["version"] == 1
    assert client_for(personas.partner_staff).get(URL).json()["items"][0]["can_edit"] is False


def test_bad_filters_are_422_naming_the_parameter(personas, client_for):
    r = client_for(personas.state_staff).get(URL + "?status=soon&funding_source=lottery")
    e = errors(r)
    assert "allowed: current, upcoming, ended" in e["query/status"]
    assert "“lottery” is not a funding source" in e["query/funding_source"]


def test_create(org, personas, client_for):
    r = client_for(personas.state_staff).post(URL, body(org), JSON)
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["school"]["name"] == "Burke High" and out["cost"] == "45000.00"
    e = Engagement.objects.get(pk=out["id"])
    assert e.created_by == personas.state_staff and e.agreement_reference == "DSA-2026-14"


def test_create_refusals_write_nothing(org, personas, client_for):
    writes = AuditEvent.objects.filter(object_type="partners.Engagement")
    before = (Engagement.objects.count(), writes.count())
    staff = client_for(personas.state_staff)
    # a school in another state: 422 with the reason
    e = errors(staff.post(URL, body(org, school_id=org.school_other_state.pk), JSON))
    assert "Providence Central is in Rhode Island" in e["body/school_id"]
    # no agreement
    e = errors(staff.post(URL, body(org, agreement_reference=""), JSON))
    assert "FERPA §99.31(a)(1)" in e["body/agreement_reference"]
    # both a school and a district
    e = errors(staff.post(URL, body(org, district_id=org.district.pk), JSON))
    assert "not both" in e["body/school_id"]
    # a district leader for another district's school: 403
    r = client_for(personas.district_leader).post(
        URL, body(org, school_id=org.school_other_district.pk), JSON
    )
    assert r.status_code == 403 and "Lynn Middle" in r.json()["detail"]
    # partner staff, school leaders: 403
    for who in ("partner_staff", "school_leader", "outsider"):
        assert client_for(getattr(personas, who)).post(URL, body(org), JSON).status_code == 403
    # unknown ids
    e = errors(staff.post(URL, body(org, partner_id=99999), JSON))
    assert "No partner with id 99999" in e["body/partner_id"]
    assert (Engagement.objects.count(), writes.count()) == before


def test_dates_outside_the_designation(org, personas, client_for):
    d = PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="instruction",
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        expires_on=timezone.localdate() + dt.timedelta(days=60),
    )
    r = client_for(personas.state_staff).post(URL, body(org, designation_id=d.pk), JSON)
    e = errors(r)
    assert "falls outside the Priority Partner designation" in e["body/ends_on"]
    assert f"{d.expires_on.day} {d.expires_on:%B %Y}" in e["body/ends_on"]
    assert not Engagement.objects.filter(school=org.school_hs).exists()
    r = client_for(personas.state_staff).post(
        URL, body(org, designation_id=d.pk, ends_on=days(50)), JSON
    )
    assert r.status_code == 201
    assert r.json()["designation"]["need_area"] == "instruction"


def test_detail_is_404_for_those_who_do_not_see_it(current, personas, client_for):
    path = f"{URL}/{current.pk}"
    assert client_for(personas.school_leader).get(path).status_code == 200
    assert client_for(personas.partner_staff).get(path).status_code == 200
    for who in ("other_state_admin", "other_partner_staff", "outsider"):
        r = client_for(getattr(personas, who)).get(path)
        assert r.status_code == 404 and r.json() == {"detail": "Not found."}
    assert client_for(personas.state_staff).get(f"{URL}/999999").status_code == 404


def test_patch_and_stale_patch(current, personas, client_for):
    path = f"{URL}/{current.pk}"
    leader = client_for(personas.district_leader)
    r = leader.patch(path, {"version": 1, "scope": "Coaching, twice a week"}, JSON)
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2
    r = leader.patch(path, {"version": 1, "scope": "Mine"}, JSON)
    assert r.status_code == 409 and "changed by someone else" in r.json()["detail"]
    current.refresh_from_db()
    assert current.scope == "Coaching, twice a week" and current.version == 2
    # partner staff see it but cannot change it; another state's admin does not see it
    r = client_for(personas.partner_staff).patch(path, {"version": 2, "scope": "x"}, JSON)
    assert r.status_code == 403
    r = client_for(personas.other_state_admin).patch(path, {"version": 2, "scope": "x"}, JSON)
    assert r.status_code == 404
    e = errors(leader.patch(path, {"version": 2, "agreement_reference": ""}, JSON))
    assert "FERPA" in e["body/agreement_reference"]
    current.refresh_from_db()
    assert current.scope == "Coaching, twice a week" and current.version == 2


def test_end_and_delete(org, current, personas, client_for):
    staff = client_for(personas.state_staff)
    path = f"{URL}/{current.pk}"
    e = errors(staff.post(f"{path}/end", {"ends_on": days(-1), "reason": ""}, JSON))
    assert "Say why" in e["body/reason"]
    r = staff.post(f"{path}/end", {"ends_on": days(-1), "reason": "Closed", "version": 1}, JSON)
    assert r.status_code == 200 and r.json()["status"] == "ended"
    current.refresh_from_db()
    assert current.ends_on == timezone.localdate() - dt.timedelta(days=1)

    e = errors(staff.delete(path))
    assert "end it instead" in e["body/starts_on"]
    r = staff.post(URL, body(org, starts_on=days(10), ends_on=days(40)), JSON)
    later = r.json()["id"]
    assert client_for(personas.partner_staff).delete(f"{URL}/{later}").status_code == 403
    assert staff.delete(f"{URL}/{later}?version=7").status_code == 409
    assert staff.delete(f"{URL}/{later}").status_code == 204
    assert not Engagement.objects.filter(pk=later).exists()
    assert Engagement.objects.filter(pk=current.pk).exists()
