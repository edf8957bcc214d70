"""The scorecard page for every persona, its recompute button and its downloads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from turnaround.audit.models import AuditEvent
from turnaround.partners.models import Engagement, ImpactEstimate
from turnaround.partners.services.impact import impact_compute_partner
from turnaround.partners.tests.test_impact_service import build_impact_state

pytestmark = pytest.mark.django_db


def url(partner) -> str:
    return reverse("partners:scorecard", args=[partner.pk])


@pytest.fixture
def impact_state(org):
    return build_impact_state(org)


@pytest.fixture
def computed(org, impact_state):
    return impact_compute_partner(partner=org.partner, state=org.state)


def test_scorecard_needs_sign_in(client, org):
    response = client.get(url(org.partner))
    assert response.status_code == 302 and "login" in response["Location"]


def test_who_sees_the_scorecard(org, personas, client_for):
    expected = {
        "state_admin": 200,
        "state_staff": 200,
        "district_leader": 200,
        "partner_staff": 200,
        "other_partner_staff": 404,
        "viewer": 404,
        "school_leader": 404,
        "outsider": 404,
    }
    for persona, status in expected.items():
        response = client_for(getattr(personas, persona)).get(url(org.partner))
        assert response.status_code == status, persona
    assert client_for(personas.state_admin).get("/partners/999999/scorecard/").status_code == 404


def test_state_staff_see_estimates_charts_tables_and_the_recompute_button(
    org,
    personas,
    client_for,
    impact_state,
    computed,
):
    response = client_for(personas.state_staff).get(url(org.partner))
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Scorecard: Acme Turnaround Partners" in html
    assert reverse("partners:partner_detail", args=[org.partner.pk]) in html
    # engagements: 12 instruction + the fixture's two; cost by funding source
    assert "Engagements by need area and status" in html
    assert "Title I §1003 school improvement" in html and "$600,000.00" in html
    assert "14 schools served" in html
    # outcomes before and after: chart and table
    assert 'data-vega-spec="means-spec"' in html and 'id="means-spec"' in html
    assert "Mean outcome of the engaged schools" in html
    # estimates: numbers, interval, n, pre-trend words; the event study with its table
    ela = ImpactEstimate.objects.get(partner=org.partner, need_area="", outcome="achievement_ela")
    assert f"{ela.estimate:+.1f}" in html
    assert f"{ela.ci_low:+.1f} to {ela.ci_high:+.1f}" in html
    assert f"{ela.n_treated} / {ela.n_comparison}" in html
    assert "no evidence of different pre-trends (p = " in html
    assert 'data-vega-spec="event-spec"' in html and "Event study: engaged minus comparison" in html
    assert "Reference year: set to 0" in html
    assert "How it is estimated." in html and "difference-in-differences" in html
    assert "Computed on " in html
    assert "started after the last year of data (2017)" in html  # a caveat, in words
    assert reverse("partners:scorecard_recompute", args=[org.partner.pk]) in html
    assert "Recompute the estimates for Massachusetts" in html


def test_refusals_show_the_reason_never_zero(org, personas, client_for):
    build_impact_state(org, n_engaged=3)
    impact_compute_partner(partner=org.partner, state=org.state)
    html = client_for(personas.state_staff).get(url(org.partner)).content.decode()
    assert "No estimate" in html
    assert "Only 3 engaged schools have results before and after engagement" in html
    assert "+0.0" not in html and "event-spec" not in html


def test_area_details_are_chosen_with_a_labelled_form(
    org,
    personas,
    client_for,
    computed,
):
    client = client_for(personas.state_staff)
    html = client.get(url(org.partner) + "?state=MA&area=instruction").content.decode()
    assert "Details: Massachusetts, instruction" in html
    assert '<label class="usa-label" for="id_detail_area">' in html
    html = client.get(url(org.partner) + "?state=XX&area=nonsense").content.decode()
    assert "Details: Massachusetts, all areas together" in html


def test_partner_staff_see_their_own_engagements_only_and_no_recompute(
    org,
    personas,
    client_for,
    impact_state,
    computed,
):
    html = client_for(personas.partner_staff).get(url(org.partner)).content.decode()
    assert impact_state.engaged[0].name in html
    for school in impact_state.other:  # the other partner's engagements
        assert school.name not in html
    assert "Estimated impact" in html and "no evidence of different pre-trends" in html
    assert "Recompute the estimates" not in html


def test_district_leader_sees_only_their_districts_engagements(
    org,
    personas,
    client_for,
    impact_state,
    computed,
):
    html = client_for(personas.district_leader).get(url(org.partner)).content.decode()
    for school in impact_state.engaged:
        assert (school.name in html) == (school.district_id == org.district.pk), school.name
    assert "Recompute the estimates" not in html


def test_other_states_estimates_are_not_shown(org, personas, client_for, computed):
    ImpactEstimate.objects.create(
        partner=org.partner,
        state=org.other_state,
        outcome="attendance",
        refusal="Rhode Island refusal text",
    )
    html = client_for(personas.state_staff).get(url(org.partner)).content.decode()
    assert "Rhode Island refusal text" not in html
    html = client_for(personas.other_state_admin).get(url(org.partner)).content.decode()
    assert "Rhode Island refusal text" in html
    assert "Acme Turnaround Partners" in html and "Massachusetts" not in html.split("Estimated")[1]


def test_recompute_by_state_staff_overwrites_and_audits(
    org,
    personas,
    client_for,
    impact_state,
    computed,
):
    before = {e.pk: e.computed_at for e in computed}
    client = client_for(personas.state_staff)
    response = client.post(
        reverse("partners:scorecard_recompute", args=[org.partner.pk]), {"state": "MA"}
    )
    assert response.status_code == 302
    assert response["Location"] == url(org.partner) + "?state=MA"
    after = ImpactEstimate.objects.filter(partner=org.partner, state=org.state)
    assert after.count() == len(before) == 18
    assert all(e.computed_at > before[e.pk] for e in after)
    event = AuditEvent.objects.get(object_type="partners.ImpactEstimate", actor__isnull=False)
    assert event.actor == personas.state_staff and event.action == "load"
    page = client.get(response["Location"]).content.decode()
    assert "Recomputed the impact estimates of Acme Turnaround Partners in Massachusetts" in page


def test_recompute_is_refused_to_others(org, personas, client_for, impact_state):
    target = reverse("partners:scorecard_recompute", args=[org.partner.pk])
    expected = {
        "district_leader": 403,
        "partner_staff": 403,
        "other_state_admin": 403,
        "other_partner_staff": 404,
        "outsider": 404,
    }
    for persona, status in expected.items():
        response = client_for(getattr(personas, persona)).post(target, {"state": "MA"})
        assert response.status_code == status, persona
    assert client_for(personas.state_staff).get(target).status_code == 405
    assert not ImpactEstimate.objects.exists()
    response = client_for(personas.state_staff).post(target, {"state": ""}, follow=True)
    assert "Choose the state to recompute the estimates for." in response.content.decode()


def test_estimates_download(org, personas, client_for, computed):
    client = client_for(personas.state_staff)
    csv = client.get(reverse("partners:scorecard_export", args=[org.partner.pk, "csv"]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("State,Need area,Outcome,Unit,Estimate")
    assert len(lines) == 1 + 18
    xlsx = client.get(reverse("partners:scorecard_export", args=[org.partner.pk, "xlsx"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd")
    other = client_for(personas.other_partner_staff)
    assert (
        other.get(reverse("partners:scorecard_export", args=[org.partner.pk, "csv"])).status_code
        == 404
    )


def test_a_partner_without_engagements_or_estimates(org, personas, client_for):
    Engagement.objects.filter(partner=org.partner).delete()
    html = client_for(personas.state_staff).get(url(org.partner)).content.decode()
    assert "No engagements of Acme Turnaround Partners are recorded" in html
    assert "No impact estimates of Acme Turnaround Partners have been computed yet" in html
    assert dt.date.today().year  # the page renders without data
