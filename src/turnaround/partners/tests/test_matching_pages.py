"""The matching page for each persona: needs with sources and reasons, ranked suggestions with
their components and links, the no-assessment and no-designation messages, and 404s."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from turnaround.partners.tests.test_matching import (
    assessed,
    matching_world,
    other_district_leader,
)

pytestmark = pytest.mark.django_db


def _url(school, **query):
    url = reverse("partners:school_matches", args=[school.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_url():
    assert reverse("partners:school_matches", args=[7]) == "/schools/7/partners/"


@pytest.mark.parametrize("who", ["state_staff", "district_leader", "school_leader"])
def test_the_page_for_those_who_choose_partners(org, personas, client_for, who):
    matching_world(org)
    assessed(org, personas.state_staff)
    response = client_for(getattr(personas, who)).get(_url(org.school))
    assert response.status_code == 200
    text = _text(response)
    assert text.count("<h1") == 1
    assert "Partners for Adams Elementary" in text
    # the needs, with where they come from and why
    assert "Rated 'Developing' on TP4.1" in text
    assert "Site visit, 2025-26" in text
    assert "no-assessment" not in text
    # the suggestion: rank, label, components as text, reasons and links
    assert "1. Acme Turnaround Partners" in text
    assert "Priority Partner</span>" in text
    assert "fit 56% of the weighted needs" in text
    assert "measured effect on attendance +1.8 points (95% CI 0.4 to 3.2, 14 schools)" in text
    assert reverse("partners:partner_detail", args=[org.partner.pk]) in text
    assert reverse("partners:scorecard", args=[org.partner.pk]) in text
    # the registry-only partner is not suggested by default
    assert "Other Partner" not in text
    assert 'for="include-unvetted"' in text


def test_unvetted_partners_are_labelled(org, personas, client_for):
    matching_world(org)
    assessed(org, personas.state_staff)
    response = client_for(personas.state_staff).get(_url(org.school, include_unvetted=1))
    text = _text(response)
    assert "2. Other Partner" in text
    assert "Not vetted</span>" in text
    assert 'name="include_unvetted" value="1" checked' in text


def test_without_a_finalised_assessment_the_needs_come_from_data(org, personas, client_for):
    from turnaround.performance.models import AssessmentResult

    matching_world(org)
    AssessmentResult.objects.filter(school=org.school, year=2017, group="all").update(median_sgp=33)
    text = _text(client_for(personas.school_leader).get(_url(org.school)))
    assert 'id="no-assessment"' in text
    assert "has no finalised site visit or self-assessment yet" in text
    assert "Median student growth percentile below 40 in 2017: ELA 33, mathematics 33" in text
    assert "Performance data, 2017" in text
    assert "1. Acme Turnaround Partners" in text  # designated for instruction


def test_without_designations_say_so_and_offer_the_unvetted_list(org, personas, client_for):
    from turnaround.partners.tests.test_matching import service

    assessed(org, personas.state_staff)
    service(org.other_partner, "climate_culture")
    text = _text(client_for(personas.state_staff).get(_url(org.school)))
    assert 'id="no-designated"' in text
    assert "No partner holds a Priority Partner designation in force in Massachusetts" in text
    assert _url(org.school, include_unvetted=1) in text
    text = _text(client_for(personas.state_staff).get(_url(org.school, include_unvetted=1)))
    assert "1. Other Partner" in text and "Not vetted</span>" in text


def test_no_needs(org, personas, client_for):
    text = _text(client_for(personas.state_staff).get(_url(org.school)))
    assert 'id="no-needs"' in text


@pytest.mark.parametrize(
    "who", ["viewer", "partner_staff", "outsider", "reviewer", "other_state_admin"]
)
def test_404_for_everyone_else(org, personas, client_for, who):
    matching_world(org)
    assert client_for(getattr(personas, who)).get(_url(org.school)).status_code == 404


def test_404_for_another_districts_leader_and_a_missing_school(org, personas, client_for):
    assert client_for(other_district_leader(org)).get(_url(org.school)).status_code == 404
    missing = reverse("partners:school_matches", args=[999999])
    assert client_for(personas.state_staff).get(missing).status_code == 404


def test_sign_in_required(org, client):
    response = client.get(_url(org.school))
    assert response.status_code == 302
    assert "login" in response["Location"]
