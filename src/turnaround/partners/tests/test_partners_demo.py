"""The demo partner data on the ``org`` fixture plus low-performing schools: what it creates,
that a second run creates nothing, that delete removes it, and that matching then works."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from turnaround.accountability.models import AccountabilityDetermination
from turnaround.accounts.models import Membership, Role, User
from turnaround.audit.models import AuditEvent
from turnaround.organizations.models import PartnerOrganization, School
from turnaround.partners.access import designations_in_force
from turnaround.partners.demo import (
    DEMO_PARTNER,
    DEMO_PARTNER_NAMES,
    partners_demo_create,
    partners_demo_delete,
)
from turnaround.partners.matching import partner_suggestions
from turnaround.partners.models import (
    Application,
    Decision,
    Engagement,
    EvidenceClaim,
    PartnerContact,
    PriorityDesignation,
    ReviewAssignment,
    Score,
    ServiceOffering,
    VettingCycle,
)
from turnaround.partners.needs import NeedArea
from turnaround.performance.models import AssessmentResult

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
EXPECTED = {
    "partners": 8,
    "services": 22,
    "contacts": 10,
    "evidence claims": 13,
    "vetting cycles": 2,
    "criteria": 10,
    "applications": 7,
    "review assignments": 18,
    "scores": 85,  # 17 reviews without a conflict × 5 criteria
    "decisions": 6,
    "designations": 11,  # 8 approved areas + the one renewed + 2 from the earlier list
    "historical engagements": 8,  # 18 low-performing schools // (2 × 4 partners) = 2 each
    "current engagements": 2,
}


@pytest.fixture
def demo(org, personas):
    """16 more Level 3/4 schools (2013), the core demo partner with its engagements, and users."""
    from turnaround.demo.services import PARTNER_NAME, _partner_create

    assert PARTNER_NAME == DEMO_PARTNER
    for i in range(16):
        school = School.objects.create(
            district=org.district2 if i % 2 else org.district,
            code=f"0999{i:04d}",
            name=f"Low Performing {i}",
            school_type="ES" if i % 3 else "MS",
            grade_low="K" if i % 3 else "06",
            grade_high="05" if i % 3 else "08",
        )
        AccountabilityDetermination.objects.create(
            school=school,
            year=2013,
            ruleset="ma-2012",
            label=f"Level {3 + i % 2}",
            level=3 + i % 2,
            source=org.source,
        )
        for year in range(2011, 2018):
            AssessmentResult.objects.create(
                school=school,
                year=year,
                subject="MATH",
                group="all",
                n_tested=80,
                composite_index=60.0 + i,
                median_sgp=40.0 + i,
                source=org.source,
            )
    _partner_create(org.state)  # what demo_load makes: the partner and 3 engagements
    partner = PartnerOrganization.objects.get(name=DEMO_PARTNER)
    staff = User.objects.create_user(username="partner.staff", email="ps@example.org")
    Membership.objects.create(user=staff, role=Role.PARTNER_STAFF, partner=partner)
    users = {
        "state_admin": personas.state_admin,
        "state_staff": personas.state_staff,
        "reviewer": personas.reviewer,
        "partner_staff": staff,
    }
    return {"partner": partner, "users": users, "staff": staff}


def _table_sizes() -> dict[str, int]:
    models = (
        PartnerOrganization,
        ServiceOffering,
        PartnerContact,
        EvidenceClaim,
        VettingCycle,
        Application,
        ReviewAssignment,
        Score,
        Decision,
        PriorityDesignation,
        Engagement,
    )
    return {m.__name__: m.objects.count() for m in models}


def test_create_is_idempotent(org, demo):
    counts = partners_demo_create(state=org.state, users=demo["users"])
    assert counts == EXPECTED
    sizes = _table_sizes()
    events = AuditEvent.objects.count()
    assert partners_demo_create(state=org.state, users=demo["users"]) == EXPECTED
    assert _table_sizes() == sizes
    assert AuditEvent.objects.count() == events  # nothing new, nothing recorded


def test_registry_is_fictional_and_covers_every_area(org, demo):
    partners_demo_create(state=org.state, users=demo["users"])
    fictional = PartnerOrganization.objects.filter(name__in=DEMO_PARTNER_NAMES)
    assert fictional.count() == 8
    assert set(ServiceOffering.objects.values_list("need_area", flat=True)) == set(NeedArea.values)
    assert all(
        e.endswith("@example.org") for e in PartnerContact.objects.values_list("email", flat=True)
    )
    claims = EvidenceClaim.objects.filter(partner__in=fictional)
    assert set(claims.values_list("tier", flat=True)) == {1, 2, 3, 4}
    assert all(c.study_citation.startswith("Fictional demo study, ") for c in claims)
    demo_partner = demo["partner"]
    assert set(demo_partner.services.values_list("need_area", flat=True)) == {
        "instruction",
        "data_use",
        "leadership",
    }
    assert demo_partner.evidence.exists() and demo_partner.contacts.exists()


def test_the_decided_cycle(org, demo, personas):
    partners_demo_create(state=org.state, users=demo["users"])
    cycle = VettingCycle.objects.get(state=org.state, status=VettingCycle.Status.DECIDED)
    assert TODAY - dt.timedelta(days=740) <= cycle.opens_on <= TODAY - dt.timedelta(days=700)
    assert list(cycle.criteria.values_list("name", "weight")) == [
        ("Track record of measured results", Decimal("30.00")),
        ("Evidence of effectiveness", Decimal("25.00")),
        ("Capacity", Decimal("15.00")),
        ("Alignment with the Turnaround Practices", Decimal("20.00")),
        ("Cost-effectiveness", Decimal("10.00")),
    ]
    assert (cycle.scale_min, cycle.scale_max) == (1, 4)
    applications = cycle.applications.all()
    assert applications.count() == 6
    assert {a.status for a in applications} == {Application.Status.DECIDED}
    reviews = ReviewAssignment.objects.filter(application__cycle=cycle)
    assert set(reviews.values_list("reviewer", flat=True)) == {
        personas.reviewer.pk,
        personas.state_staff.pk,
        personas.state_admin.pk,
    }
    declared = reviews.filter(conflict=ReviewAssignment.Conflict.DECLARED)
    assert declared.count() == 1
    assert not declared.get().scores.exists() and declared.get().submitted_at is None
    others = reviews.filter(conflict=ReviewAssignment.Conflict.NONE)
    assert others.count() == 17 and not others.filter(submitted_at__isnull=True).exists()
    assert all(1 <= s <= 4 for s in Score.objects.values_list("score", flat=True))
    decisions = Decision.objects.filter(application__cycle=cycle)
    approved = decisions.filter(outcome=Decision.Outcome.APPROVED)
    assert approved.count() == 5 and decisions.count() == 6
    for d in decisions:
        # the decision follows the weighted score and the cycle's threshold
        assert (d.weighted_score >= cycle.approval_threshold) == (d.outcome == "approved")
        assert set(d.need_areas) <= set(d.application.need_areas)
        assert d.decided_by == personas.state_admin
        assert d.designations.count() == len(d.need_areas)
    assert approved.filter(application__partner=demo["partner"]).exists()


def test_designations(org, demo):
    partners_demo_create(state=org.state, users=demo["users"])
    in_force = designations_in_force(org.state)
    assert in_force.count() == 10  # all but the renewed older one
    soon = in_force.filter(expires_on__lte=TODAY + dt.timedelta(days=90))
    assert soon.count() == 2
    renewal = PriorityDesignation.objects.get(renews__isnull=False)
    assert renewal.decision is not None
    assert renewal.renews.expires_on < renewal.starts_on
    assert renewal.renews.partner == renewal.partner
    assert set(in_force.filter(partner=demo["partner"]).values_list("need_area", flat=True)) == {
        "instruction",
        "data_use",
    }


def test_the_open_cycle_has_a_draft_by_the_demo_partner(org, demo):
    partners_demo_create(state=org.state, users=demo["users"])
    cycle = VettingCycle.objects.get(state=org.state, status=VettingCycle.Status.OPEN)
    assert cycle.opens_on <= TODAY <= cycle.closes_on
    (application,) = cycle.applications.all()
    assert application.partner == demo["partner"]
    assert application.status == Application.Status.DRAFT


def test_engagements(org, demo):
    partners_demo_create(state=org.state, users=demo["users"])
    history = Engagement.objects.filter(agreement_reference__startswith="DEMO-PP-H")
    assert history.values("partner").distinct().count() == 4
    for e in history:
        assert dt.date(2013, 9, 1) <= e.starts_on < dt.date(2014, 10, 1)
        assert e.ends_on <= dt.date(2017, 6, 30)
        assert AccountabilityDetermination.objects.filter(
            school=e.school, level__in=(3, 4)
        ).exists()
    schools = list(history.values_list("school", flat=True))
    assert len(schools) == len(set(schools))  # one partner per school
    low = (
        AccountabilityDetermination.objects.filter(
            school__district__state=org.state, level__in=(3, 4)
        )
        .values("school")
        .distinct()
    )
    assert len(schools) * 2 <= low.count()  # most schools stay comparisons
    current = Engagement.objects.filter(agreement_reference__startswith="DEMO-PP-C")
    assert current.count() == 2
    for e in current:
        assert e.partner == demo["partner"] and e.school.district == org.district
        assert e.designation is not None and e.designation.need_area == e.need_area
        assert e.designation.starts_on <= e.starts_on and e.ends_on <= e.designation.expires_on
    assert current.filter(starts_on__lte=TODAY, ends_on__gte=TODAY).exists()


def test_matching_then_suggests_a_designated_partner(org, demo, personas, client_for):
    partners_demo_create(state=org.state, users=demo["users"])
    AssessmentResult.objects.filter(school=org.school, year=2017, group="all").update(median_sgp=31)
    m = partner_suggestions(personas.school_leader, org.school)
    assert m.suggestions and all(s.vetted for s in m.suggestions)
    names = [s.name for s in m.suggestions]
    assert DEMO_PARTNER in names and "Northfield Instructional Partners" in names
    response = client_for(personas.school_leader).get(
        reverse("partners:school_matches", args=[org.school.pk])
    )
    assert response.status_code == 200
    assert f"1. {m.suggestions[0].name}" in response.content.decode()


def test_delete_removes_everything_it_made(org, demo):
    before = _table_sizes()
    fixture_engagements = set(Engagement.objects.values_list("pk", flat=True))
    partners_demo_create(state=org.state, users=demo["users"])
    gone = partners_demo_delete(state=org.state)
    assert gone["partners"] == 8
    assert _table_sizes() == before
    assert set(Engagement.objects.values_list("pk", flat=True)) == fixture_engagements
    assert PartnerOrganization.objects.filter(name=DEMO_PARTNER).exists()
    assert partners_demo_delete(state=org.state) == {}
    # and it can be made again
    assert partners_demo_create(state=org.state, users=demo["users"]) == EXPECTED


def test_the_demo_state_can_still_be_deleted(org, demo):
    from turnaround.demo.services import demo_delete

    partners_demo_create(state=org.state, users=demo["users"])
    demo_delete(state=org.state)
    assert not PartnerOrganization.objects.filter(name__in=DEMO_PARTNER_NAMES).exists()
    assert not VettingCycle.objects.exists()


def test_without_users_nothing_is_reviewed(org, demo):
    counts = partners_demo_create(state=org.state, users={})
    assert counts["review assignments"] == 0 and counts["scores"] == 0
    assert counts["decisions"] == 6
    assert Decision.objects.filter(weighted_score__isnull=True).count() == 6
