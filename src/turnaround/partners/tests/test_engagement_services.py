"""Engagement services: who may record for which school or district, every refusal with its
reason and nothing written, versioned updates, ending early and deleting before the start."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError
from turnaround.partners.models import Engagement, PriorityDesignation
from turnaround.partners.selectors import (
    cost_by_funding,
    engagement_list,
    engagements_for_district,
    engagements_for_school,
)
from turnaround.partners.services.engagements import (
    engagement_create,
    engagement_delete,
    engagement_end,
    engagement_update,
)

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


def designation(partner, state, *, area="instruction", start=-100, end=900, **kw):
    return PriorityDesignation.objects.create(
        partner=partner,
        state=state,
        need_area=area,
        starts_on=days(start),
        expires_on=days(end),
        **kw,
    )


def values(org, **overrides):
    """A valid school engagement of org.partner at org.school_hs, overridable."""
    base = {
        "partner": org.partner,
        "school": org.school_hs,
        "need_area": "instruction",
        "scope": "Weekly coaching of the grade 9 mathematics team",
        "starts_on": days(-10),
        "ends_on": days(200),
        "cost": Decimal("45000.00"),
        "funding_source": "title_i_1003",
        "agreement_reference": "DSA-2026-14",
    }
    base.update(overrides)
    return base


def counts():
    return Engagement.objects.count(), AuditEvent.objects.count()


def refused(exc: ValidationError) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


# ---------------------------------------------------------------------------------------------
# Create: who


def test_state_staff_record_for_any_school_of_their_state(org, personas):
    e = engagement_create(actor=personas.state_staff, **values(org))
    assert e.pk and e.version == 1 and e.created_by == personas.state_staff
    assert e.cost == Decimal("45000.00")
    event = AuditEvent.objects.get(object_type="partners.Engagement", object_id=str(e.pk))
    assert event.action == "create" and event.state_id == org.state.pk
    assert event.changes["school_id"] == org.school_hs.pk


def test_state_admin_records_a_district_wide_engagement_without_an_agreement(org, personas):
    e = engagement_create(
        actor=personas.state_admin,
        **values(org, school=None, district=org.district2, agreement_reference=""),
    )
    assert e.district == org.district2 and e.school is None


def test_district_leader_records_for_own_schools_and_district_only(org, personas):
    leader = personas.district_leader
    engagement_create(actor=leader, **values(org))
    engagement_create(actor=leader, **values(org, school=None, district=org.district))
    before = counts()
    with pytest.raises(PermissionDenied, match="Lynn Middle"):
        engagement_create(actor=leader, **values(org, school=org.school_other_district))
    with pytest.raises(PermissionDenied):
        engagement_create(actor=leader, **values(org, school=None, district=org.district2))
    assert counts() == before


@pytest.mark.parametrize(
    "who", ["school_leader", "partner_staff", "viewer", "ta_provider", "outsider"]
)
def test_others_cannot_record(org, personas, who):
    before = counts()
    with pytest.raises(PermissionDenied, match="state staff and district leaders"):
        engagement_create(actor=getattr(personas, who), **values(org))
    assert counts() == before


def test_a_school_in_another_state_is_refused_with_the_reason(org, personas):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, school=org.school_other_state))
    message = refused(exc.value)["school"]
    assert "Providence Central is in Rhode Island" in message
    assert "Massachusetts" in message
    assert counts() == before


def test_the_other_states_admin_cannot_record_for_this_state(org, personas):
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.other_state_admin, **values(org))
    assert "Burke High is in Massachusetts" in refused(exc.value)["school"]
    assert Engagement.objects.filter(school=org.school_hs).count() == 0


# ---------------------------------------------------------------------------------------------
# Create: what


def test_school_xor_district(org, personas):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, district=org.district))
    assert "not both" in refused(exc.value)["school"]
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, school=None))
    assert "Choose the school" in refused(exc.value)["school"]
    assert counts() == before


def test_a_school_engagement_needs_its_written_agreement(org, personas):
    before = counts()
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, agreement_reference="  "))
    message = refused(exc.value)["agreement_reference"]
    assert "FERPA §99.31(a)(1)" in message and "see the school's data" in message
    assert counts() == before


def test_every_problem_is_reported_at_once(org, personas):
    with pytest.raises(ValidationError) as exc:
        engagement_create(
            actor=personas.state_staff,
            **values(
                org,
                need_area="magic",
                scope="",
                starts_on=days(10),
                ends_on=days(5),
                cost="-5",
                funding_source="lottery",
            ),
        )
    errors = refused(exc.value)
    assert set(errors) == {"need_area", "scope", "ends_on", "cost", "funding_source"}
    assert "“magic” is not a need area" in errors["need_area"]
    assert "is before the start" in errors["ends_on"]
    assert "negative" in errors["cost"]
    assert "“lottery” is not a funding source" in errors["funding_source"]
    assert Engagement.objects.filter(school=org.school_hs).count() == 0


def test_cost_has_at_most_two_decimals(org, personas):
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, cost="12.345"))
    assert "more than 2 decimals" in refused(exc.value)["cost"]
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, cost="twelve"))
    assert "not an amount" in refused(exc.value)["cost"]
    e = engagement_create(actor=personas.state_staff, **values(org, cost="1200.5"))
    assert e.cost == Decimal("1200.50")


# ---------------------------------------------------------------------------------------------
# Under a designation


def test_an_engagement_under_a_designation(org, personas):
    d = designation(org.partner, org.state)
    e = engagement_create(actor=personas.state_staff, **values(org, designation=d))
    assert e.designation == d


def test_dates_outside_the_designation_are_refused_naming_the_dates(org, personas):
    d = designation(org.partner, org.state, start=-100, end=100)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        engagement_create(
            actor=personas.state_staff,
            **values(org, designation=d, starts_on=days(-200), ends_on=days(300)),
        )
    errors = refused(exc.value)
    span = f"{d.starts_on.day} {d.starts_on:%B %Y} to {d.expires_on.day} {d.expires_on:%B %Y}"
    assert "falls outside the Priority Partner designation" in errors["starts_on"]
    assert span in errors["starts_on"] and span in errors["ends_on"]
    start = days(-200)
    assert f"The start, {start.day} {start:%B %Y}" in errors["starts_on"]
    assert counts() == before


def test_the_designation_must_be_the_partners_in_the_area_and_in_force(org, personas):
    others = designation(org.other_partner, org.state)
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, designation=others))
    assert (
        "belongs to Other Partner, not to Acme Turnaround Partners"
        in (refused(exc.value)["designation"])
    )

    leadership = designation(org.partner, org.state, area="leadership")
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, designation=leadership))
    assert "The designation is for Leadership" in refused(exc.value)["need_area"]

    revoked = designation(
        org.partner, org.state, revoked_at=timezone.now(), revoked_reason="Did not deliver"
    )
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, designation=revoked))
    assert "was revoked" in refused(exc.value)["designation"]
    assert Engagement.objects.filter(school=org.school_hs).count() == 0


def test_a_designation_revoked_later_does_not_block_other_changes(org, personas):
    d = designation(org.partner, org.state)
    e = engagement_create(actor=personas.state_staff, **values(org, designation=d))
    PriorityDesignation.objects.filter(pk=d.pk).update(revoked_at=timezone.now())
    e = engagement_update(
        actor=personas.state_staff, engagement=e, expected_version=1, changes={"scope": "New"}
    )
    assert e.version == 2 and e.designation_id == d.pk


def test_the_school_must_be_in_the_designations_state(org, personas):
    ri = designation(org.partner, org.other_state)
    with pytest.raises(ValidationError) as exc:
        engagement_create(actor=personas.state_staff, **values(org, designation=ri))
    message = refused(exc.value)["school"]
    assert "Burke High is in Massachusetts, but the Priority Partner designation is Rhode " in (
        message
    )


# ---------------------------------------------------------------------------------------------
# Update, end, delete


@pytest.fixture
def engagement(org, personas):
    return engagement_create(actor=personas.state_staff, **values(org))


def test_update_changes_only_what_differs_and_is_versioned(engagement, personas):
    e = engagement_update(
        actor=personas.district_leader,
        engagement=engagement,
        expected_version=1,
        changes={"scope": "Coaching, twice a week", "cost": Decimal("50000")},
    )
    e.refresh_from_db()
    assert e.version == 2 and e.scope == "Coaching, twice a week" and e.cost == Decimal("50000")
    event = AuditEvent.objects.filter(action="update", object_id=str(e.pk)).get()
    assert set(event.changes) == {"scope", "cost"}
    assert event.changes["cost"] == ["45000.00", "50000.00"]

    same = engagement_update(
        actor=personas.state_staff,
        engagement=e,
        expected_version=2,
        changes={"scope": "Coaching, twice a week"},
    )
    assert same.version == 2


def test_a_stale_update_is_refused_and_writes_nothing(engagement, personas):
    Engagement.objects.filter(pk=engagement.pk).update(scope="Changed elsewhere", version=2)
    with pytest.raises(StaleEditError, match="changed by someone else"):
        engagement_update(
            actor=personas.state_staff,
            engagement=engagement,
            expected_version=1,
            changes={"scope": "Mine"},
        )
    engagement.refresh_from_db()
    assert engagement.scope == "Changed elsewhere" and engagement.version == 2


def test_an_update_is_checked_again(engagement, personas):
    with pytest.raises(ValidationError) as exc:
        engagement_update(
            actor=personas.state_staff,
            engagement=engagement,
            expected_version=1,
            changes={"agreement_reference": "", "ends_on": days(-20)},
        )
    assert set(refused(exc.value)) == {"agreement_reference", "ends_on"}
    with pytest.raises(ValidationError):
        engagement_update(
            actor=personas.state_staff,
            engagement=engagement,
            expected_version=1,
            changes={"created_by": None},
        )
    engagement.refresh_from_db()
    assert engagement.version == 1 and engagement.agreement_reference == "DSA-2026-14"


@pytest.mark.parametrize("who", ["partner_staff", "school_leader", "other_state_admin"])
def test_only_recorders_update(engagement, personas, who):
    with pytest.raises(PermissionDenied):
        engagement_update(
            actor=getattr(personas, who),
            engagement=engagement,
            expected_version=1,
            changes={"scope": "Mine"},
        )
    engagement.refresh_from_db()
    assert engagement.version == 1


def test_end_early_with_a_reason(engagement, personas):
    e = engagement_end(
        actor=personas.state_staff,
        engagement=engagement,
        ends_on=days(-1),
        reason="The school ended the contract",
    )
    e.refresh_from_db()
    assert e.ends_on == days(-1) and e.version == 2
    event = AuditEvent.objects.filter(action="update", object_id=str(e.pk)).get()
    assert event.changes["reason"] == "The school ended the contract"
    assert event.changes["ends_on"] == [days(200).isoformat(), days(-1).isoformat()]


def test_end_refusals(engagement, personas):
    cases = [
        ({"ends_on": days(-1), "reason": " "}, "reason", "Say why"),
        ({"ends_on": days(300), "reason": "x"}, "ends_on", "before its current end"),
        ({"ends_on": days(-30), "reason": "x"}, "ends_on", "can be deleted instead"),
    ]
    for kwargs, name, text in cases:
        with pytest.raises(ValidationError) as exc:
            engagement_end(actor=personas.state_staff, engagement=engagement, **kwargs)
        assert text in refused(exc.value)[name]
    with pytest.raises(PermissionDenied):
        engagement_end(
            actor=personas.partner_staff, engagement=engagement, ends_on=days(-1), reason="x"
        )
    engagement.refresh_from_db()
    assert engagement.ends_on == days(200) and engagement.version == 1


def test_delete_only_before_it_starts(engagement, org, personas):
    with pytest.raises(ValidationError) as exc:
        engagement_delete(actor=personas.state_staff, engagement=engagement)
    assert "end it instead" in refused(exc.value)["starts_on"]
    assert Engagement.objects.filter(pk=engagement.pk).exists()

    later = engagement_create(
        actor=personas.state_staff, **values(org, starts_on=days(30), ends_on=days(90))
    )
    pk = later.pk
    engagement_delete(actor=personas.state_staff, engagement=later)
    assert not Engagement.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="delete", object_type="partners.Engagement")
    assert event.changes["id"] == pk


def test_a_stale_delete_is_refused(org, personas):
    later = engagement_create(
        actor=personas.state_staff, **values(org, starts_on=days(30), ends_on=days(90))
    )
    Engagement.objects.filter(pk=later.pk).update(version=5)
    with pytest.raises(StaleEditError):
        engagement_delete(actor=personas.state_staff, engagement=later, expected_version=1)
    assert Engagement.objects.filter(pk=later.pk).exists()


# ---------------------------------------------------------------------------------------------
# Selectors


def test_lists_for_a_school_and_a_district_current_first(org, personas):
    ended = engagement_create(
        actor=personas.state_staff,
        **values(org, school=org.school, starts_on=days(-300), ends_on=days(-100)),
    )
    upcoming = engagement_create(
        actor=personas.state_staff,
        **values(org, school=org.school, need_area="leadership", starts_on=days(20)),
    )
    wide = engagement_create(
        actor=personas.state_staff,
        **values(org, school=None, district=org.district, agreement_reference=""),
    )
    current = Engagement.objects.get(scope="Instructional coaching")  # the fixture's
    rows = engagements_for_school(personas.state_staff, org.school)
    assert rows == [current, upcoming, ended]
    assert [r.status for r in rows] == ["current", "upcoming", "ended"]
    district_rows = engagements_for_district(personas.district_leader, org.district)
    assert set(district_rows) == {current, upcoming, ended, wide}
    assert district_rows[-1] == ended
    assert engagements_for_school(personas.other_partner_staff, org.school) == []
    assert engagements_for_school(personas.other_state_admin, org.school) == []
    assert len(engagements_for_school(personas.partner_staff, org.school)) == 3


def test_cost_by_funding_source(org, personas):
    engagement_create(actor=personas.state_staff, **values(org))
    engagement_create(
        actor=personas.state_staff,
        **values(org, need_area="leadership", cost=Decimal("5000"), funding_source="title_i"),
    )
    engagement_create(
        actor=personas.state_staff,
        **values(org, need_area="data_use", cost=Decimal("1000.25"), funding_source="title_i"),
    )
    totals = cost_by_funding(engagement_list(personas.state_staff))
    by = {r.code: r for r in totals.rows}
    assert by["title_i_1003"].total == Decimal("45000.00")
    assert by["title_i"].total == Decimal("6000.25") and by["title_i"].count == 2
    assert by[""].count == 2 and by[""].no_cost == 2  # the fixture's two, without cost
    assert totals.total == Decimal("51000.25") and totals.count == 5
    assert [r.code for r in totals.rows] == ["title_i_1003", "title_i", ""]
