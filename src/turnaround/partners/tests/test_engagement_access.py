"""Who sees which engagements, and how recording or ending one changes what partner staff reach
(``accounts.access.get_reach(user).partner_school_ids``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from turnaround.accounts.access import forget_reach, get_reach, get_school_for_user
from turnaround.partners.access import visible_engagements
from turnaround.partners.models import Engagement
from turnaround.partners.services.engagements import engagement_create, engagement_end

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


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def record(actor, org, **kw):
    base = {
        "partner": org.other_partner,
        "school": org.school_hs,
        "need_area": "leadership",
        "scope": "Leadership coaching for the principal",
        "starts_on": days(-5),
        "ends_on": days(120),
        "agreement_reference": "DSA-2026-22",
    }
    base.update(kw)
    return engagement_create(actor=actor, **base)


def partner_schools(user) -> frozenset[int]:
    forget_reach(user)
    return get_reach(user).partner_school_ids


def seen(user) -> set[tuple[str, str]]:
    return {
        (e.partner.name, (e.school or e.district).name)
        for e in visible_engagements(user).select_related("partner", "school", "district")
    }


def test_a_new_engagement_in_force_gives_partner_staff_the_school(org, personas):
    staff = personas.other_partner_staff
    assert partner_schools(staff) == frozenset()
    e = record(personas.state_staff, org)
    assert partner_schools(staff) == {org.school_hs.pk}
    assert get_school_for_user(staff, org.school_hs.pk).sees_restricted
    # and only that partner's staff
    assert org.school_hs.pk not in partner_schools(personas.partner_staff)

    engagement_end(
        actor=personas.state_staff, engagement=e, ends_on=days(-1), reason="Contract ended"
    )
    assert partner_schools(staff) == frozenset()


def test_no_access_before_the_start_or_without_a_school(org, personas):
    staff = personas.other_partner_staff
    record(personas.state_staff, org, starts_on=days(10))
    record(
        personas.state_staff,
        org,
        school=None,
        district=org.district2,
        agreement_reference="",
        need_area="district_systems",
    )
    assert partner_schools(staff) == frozenset()


def test_who_sees_which_engagements(org, personas):
    record(personas.state_staff, org)  # other_partner at Burke High (Boston)
    record(
        personas.state_staff,
        org,
        partner=org.partner,
        school=org.school_other_district,
        need_area="instruction",
        agreement_reference="DSA-9",
    )  # Acme at Lynn Middle
    acme, other = "Acme Turnaround Partners", "Other Partner"
    everything = {
        (acme, "Adams Elementary"),
        (acme, "Lynn Middle"),
        (other, "Burke High"),
    }
    assert seen(personas.state_admin) == everything
    assert seen(personas.state_staff) == everything
    # the district leader: Boston's schools only
    assert seen(personas.district_leader) == {(acme, "Adams Elementary"), (other, "Burke High")}
    # the school leader: their school only
    assert seen(personas.school_leader) == {(acme, "Adams Elementary")}
    # partner staff: their organisation's only, never the other partner's
    assert seen(personas.partner_staff) == {(acme, "Adams Elementary"), (acme, "Lynn Middle")}
    assert seen(personas.other_partner_staff) == {(other, "Burke High")}
    # nobody else
    for who in ("other_state_admin", "outsider", "viewer", "ta_provider"):
        assert seen(getattr(personas, who)) == set(), who
    assert Engagement.objects.count() == 4  # the fixture's two (one expired) and these two
