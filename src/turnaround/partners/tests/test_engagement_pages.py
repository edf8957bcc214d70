"""Engagement pages: the list (filters, totals, exports) per persona, recording, the detail page,
editing (a stale edit keeps the input), ending, deleting, the designation choices and the
"Partners serving this school/district" fragments."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from turnaround.partners.models import Engagement, PriorityDesignation
from turnaround.partners.selectors import engagements_for_district, engagements_for_school

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


LIST = reverse("partners:engagements")
NEW = reverse("partners:engagement_new")


def day(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def current(org):
    return Engagement.objects.get(scope="Instructional coaching")  # Acme at Adams, in force


def form_data(org, **kw):
    data = {
        "partner": org.partner.pk,
        "school": org.school_hs.pk,
        "district": "",
        "need_area": "instruction",
        "scope": "Mathematics coaching, weekly",
        "starts_on": day(-5).isoformat(),
        "ends_on": day(200).isoformat(),
        "cost": "45000.00",
        "funding_source": "title_i_1003",
        "agreement_reference": "DSA-2026-14",
        "designation": "",
    }
    data.update(kw)
    return data


def text(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------------------------------------
# The list


def test_sign_in_required(client, org):
    r = client.get(LIST)
    assert r.status_code == 302 and "login" in r["Location"]


def test_state_staff_see_every_engagement_and_may_record(org, personas, client_for):
    r = client_for(personas.state_staff).get(LIST)
    assert r.status_code == 200
    page = text(r)
    assert page.count("<h1") == 1
    assert "Adams Elementary" in page and "Lynn Middle" in page
    assert NEW in page and "Record an engagement" in page
    assert "Cost by funding source" in page


def test_school_leader_sees_own_school_and_cannot_record(org, personas, client_for):
    c = client_for(personas.school_leader)
    page = text(c.get(LIST))
    assert "Adams Elementary" in page and "Lynn Middle" not in page
    assert NEW not in page
    assert c.get(NEW).status_code == 403
    assert c.post(NEW, form_data(org)).status_code == 403
    assert Engagement.objects.count() == 2


def test_partner_staff_see_their_own_only(org, personas, client_for, current):
    Engagement.objects.create(
        partner=org.other_partner,
        school=org.school_hs,
        need_area="leadership",
        scope="Principal coaching",
        starts_on=day(-5),
        ends_on=day(100),
        agreement_reference="X-1",
    )
    mine = text(client_for(personas.partner_staff).get(LIST))
    assert "Adams Elementary" in mine and "Burke High" not in mine and "Other Partner" not in mine
    theirs = text(client_for(personas.other_partner_staff).get(LIST))
    assert "Burke High" in theirs and "Adams Elementary" not in theirs
    r = client_for(personas.other_partner_staff).get(
        reverse("partners:engagement_detail", args=[current.pk])
    )
    assert r.status_code == 404


def test_other_states_admin_sees_nothing_and_gets_404(org, personas, client_for, current):
    c = client_for(personas.other_state_admin)
    assert "No engagements match" in text(c.get(LIST))
    for name in ("engagement_detail", "engagement_edit", "engagement_end", "engagement_delete"):
        assert c.get(reverse(f"partners:{name}", args=[current.pk])).status_code == 404, name


def test_filters_and_bad_filters(org, personas, client_for):
    c = client_for(personas.state_staff)
    ended = text(c.get(LIST, {"status": "ended"}))
    assert "Lynn Middle" in ended and "Adams Elementary" not in ended
    by_district = text(c.get(LIST, {"district": org.district.pk}))
    assert "Adams Elementary" in by_district and "Lynn Middle" not in by_district
    r = c.get(LIST, {"status": "someday", "need_area": "instruction"})
    assert r.status_code == 400
    assert "“someday” is not a status" in text(r) and "Adams Elementary" in text(r)


def test_totals_by_funding_source(org, personas, client_for, current):
    Engagement.objects.filter(pk=current.pk).update(
        cost=Decimal("1234.50"), funding_source="title_i"
    )
    page = text(client_for(personas.state_staff).get(LIST))
    totals = page[page.index('id="engagement-totals"') :]
    assert "Title I, Part A" in totals and "$1,234.50" in totals
    assert "(1 without a cost)" in totals


def test_exports_keep_the_filters_and_the_viewers_reach(org, personas, client_for, current):
    Engagement.objects.filter(pk=current.pk).update(cost=Decimal("1234.50"))
    c = client_for(personas.state_staff)
    r = c.get(reverse("partners:engagements_export_csv"), {"status": "current"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Partner", "School"] and len(rows) == 2
    assert rows[1][1] == "Adams Elementary" and rows[1][11] == "1234.50"

    r = client_for(personas.school_leader).get(reverse("partners:engagements_export_xlsx"))
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Adams Elementary"]
    bad = c.get(reverse("partners:engagements_export_csv"), {"funding_source": "lottery"})
    assert bad.status_code == 400


# ---------------------------------------------------------------------------------------------
# Recording


def test_record_an_engagement(org, personas, client_for):
    c = client_for(personas.state_staff)
    page = text(c.get(NEW))
    assert "Burke High" in page and "Providence Central" not in page  # choices: MA only
    r = c.post(NEW, form_data(org))
    e = Engagement.objects.get(school=org.school_hs)
    assert r.status_code == 302 and r["Location"] == reverse(
        "partners:engagement_detail", args=[e.pk]
    )
    assert e.created_by == personas.state_staff and e.cost == Decimal("45000.00")


def test_district_leader_choices_and_refusal(org, personas, client_for):
    c = client_for(personas.district_leader)
    page = text(c.get(NEW))
    assert "Burke High" in page and "Lynn Middle" not in page
    r = c.post(NEW, form_data(org, school=org.school_other_district.pk))
    assert r.status_code == 422
    assert not Engagement.objects.filter(school=org.school_other_district, scope__contains="Math")
    assert c.post(NEW, form_data(org)).status_code == 302


def test_refusals_show_the_reason_and_save_nothing(org, personas, client_for):
    d = PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="instruction",
        starts_on=day(-30),
        expires_on=day(60),
    )
    c = client_for(personas.state_staff)
    r = c.post(NEW, form_data(org, designation=d.pk))
    assert r.status_code == 422
    assert "falls outside the Priority Partner designation" in text(r)
    assert f"{d.expires_on.day} {d.expires_on:%B %Y}" in text(r)
    r = c.post(NEW, form_data(org, agreement_reference=""))
    assert r.status_code == 422 and "FERPA §99.31(a)(1)" in text(r)
    r = c.post(NEW, form_data(org, district=org.district.pk))
    assert r.status_code == 422 and "not both" in text(r)
    assert "Mathematics coaching, weekly" in text(r)  # the input is kept
    assert not Engagement.objects.filter(school=org.school_hs).exists()


def designation(partner, state, area, start, end):
    return PriorityDesignation.objects.create(
        partner=partner, state=state, need_area=area, starts_on=day(start), expires_on=day(end)
    )


def test_designation_choices_for_the_chosen_partner(org, personas, client_for):
    mine = designation(org.partner, org.state, "leadership", -30, 600)
    designation(org.other_partner, org.state, "data_use", -30, 600)
    designation(org.partner, org.state, "instruction", -900, -1)  # expired: not offered
    designation(org.partner, org.other_state, "family_engagement", -30, 600)  # not my state
    c = client_for(personas.state_staff)
    # without a partner chosen (no JavaScript): every partner's, labelled with the partner
    page = text(c.get(NEW))
    assert "Acme Turnaround Partners: Leadership, MA" in page
    assert "Other Partner: Data use, MA" in page and "Instruction, MA" not in page
    assert "Family engagement, RI" not in page
    # the chosen partner's only, labelled with area and dates
    fragment = text(c.get(reverse("partners:engagement_designations"), {"partner": org.partner.pk}))
    assert 'id="designation-field"' in fragment
    assert f'value="{mine.pk}"' in fragment and "Leadership, MA, " in fragment
    assert "Data use" not in fragment
    assert "hx-get" in text(c.get(NEW, {"partner": org.partner.pk}))
    assert (
        client_for(personas.partner_staff)
        .get(reverse("partners:engagement_designations"))
        .status_code
        == 403
    )


# ---------------------------------------------------------------------------------------------
# One engagement


def test_detail_for_each_persona(org, personas, client_for, current):
    url = reverse("partners:engagement_detail", args=[current.pk])
    edit = reverse("partners:engagement_edit", args=[current.pk])
    staff = text(client_for(personas.state_staff).get(url))
    assert "DSA-2026-01" in staff and edit in staff
    for who in ("school_leader", "partner_staff"):
        r = client_for(getattr(personas, who)).get(url)
        assert r.status_code == 200 and edit not in text(r)


def test_partner_staff_and_school_leaders_cannot_edit(org, personas, client_for, current):
    for who in ("partner_staff", "school_leader"):
        c = client_for(getattr(personas, who))
        for name in ("engagement_edit", "engagement_end", "engagement_delete"):
            assert c.get(reverse(f"partners:{name}", args=[current.pk])).status_code == 403
        r = c.post(
            reverse("partners:engagement_edit", args=[current.pk]),
            form_data(org, school=org.school.pk, version=1),
        )
        assert r.status_code == 403
    current.refresh_from_db()
    assert current.version == 1 and current.scope == "Instructional coaching"


def test_edit_and_stale_edit(org, personas, client_for, current):
    url = reverse("partners:engagement_edit", args=[current.pk])
    c = client_for(personas.district_leader)
    page = text(c.get(url))
    assert 'name="version"' in page and "Instructional coaching" in page
    data = form_data(
        org,
        school=org.school.pk,
        scope="Coaching, twice a week",
        starts_on=current.starts_on.isoformat(),
        ends_on=current.ends_on.isoformat(),
        agreement_reference="DSA-2026-01",
        version=1,
    )
    # someone else saves first
    Engagement.objects.filter(pk=current.pk).update(scope="Changed elsewhere", version=2)
    r = c.post(url, data)
    assert r.status_code == 409
    assert "changed by someone else" in text(r)
    assert "Coaching, twice a week" in text(r)  # the user's input is kept
    current.refresh_from_db()
    assert current.scope == "Changed elsewhere" and current.version == 2

    r = c.post(url, {**data, "version": 2})
    assert r.status_code == 302
    current.refresh_from_db()
    assert current.scope == "Coaching, twice a week" and current.version == 3


def test_end_early(org, personas, client_for, current):
    url = reverse("partners:engagement_end", args=[current.pk])
    c = client_for(personas.state_staff)
    r = c.post(url, {"ends_on": day(-1).isoformat(), "reason": "", "version": 1})
    assert r.status_code == 422
    current.refresh_from_db()
    assert current.version == 1
    r = c.post(url, {"ends_on": day(-1).isoformat(), "reason": "Contract ended", "version": 1})
    assert r.status_code == 302
    current.refresh_from_db()
    assert current.ends_on == day(-1) and current.version == 2


def test_delete_only_before_the_start(org, personas, client_for, current):
    c = client_for(personas.state_staff)
    url = reverse("partners:engagement_delete", args=[current.pk])
    assert "End it early instead" in text(c.get(url))
    assert c.post(url, {"version": 1}).status_code == 422
    assert Engagement.objects.filter(pk=current.pk).exists()
    later = Engagement.objects.create(
        partner=org.partner,
        school=org.school_hs,
        need_area="leadership",
        scope="Starts next month",
        starts_on=day(30),
        ends_on=day(90),
        agreement_reference="X",
    )
    r = c.post(reverse("partners:engagement_delete", args=[later.pk]), {"version": 1})
    assert r.status_code == 302 and r["Location"] == LIST
    assert not Engagement.objects.filter(pk=later.pk).exists()


# ---------------------------------------------------------------------------------------------
# Fragments for the school profile and the district page


def test_fragments(org, personas, current):
    html = render_to_string(
        "partners/engagements/_for_school.html",
        {"engagements": engagements_for_school(personas.school_leader, org.school)},
    )
    assert "Partners serving this school" in html
    assert "Acme Turnaround Partners" in html and "Instructional coaching" in html
    assert reverse("partners:engagement_detail", args=[current.pk]) in html
    assert "Current" in html

    html = render_to_string(
        "partners/engagements/_for_district.html",
        {"engagements": engagements_for_district(personas.state_staff, org.district2)},
    )
    assert "Partners serving this district" in html and "Lynn Middle" in html
    assert "Ended" in html

    empty = render_to_string(
        "partners/engagements/_for_school.html",
        {"engagements": engagements_for_school(personas.other_partner_staff, org.school)},
    )
    assert "No partner engagements with this school" in empty
