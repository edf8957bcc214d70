"""Standing personas for every test: one per role, plus an outsider (CONVENTIONS.md, Tests)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.test import Client

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def org(db):
    """A small state: two districts, three schools, a partner serving one school, results."""
    from django.utils import timezone

    from turnaround.accountability.models import AccountabilityDetermination
    from turnaround.organizations.models import (
        District,
        PartnerOrganization,
        School,
        State,
    )
    from turnaround.partners.models import Engagement
    from turnaround.performance.models import AssessmentResult, DataSource, SchoolYearProfile

    state = State.objects.create(code="MA", fips="25", name="Massachusetts")
    other_state = State.objects.create(code="RI", fips="44", name="Rhode Island")
    d1 = District.objects.create(state=state, code="00350000", name="Boston", nces_leaid="2502790")
    d2 = District.objects.create(state=state, code="01630000", name="Lynn")
    d3 = District.objects.create(state=other_state, code="RI-01", name="Providence")
    s1 = School.objects.create(
        district=d1,
        code="00350001",
        name="Adams Elementary",
        school_type="ES",
        grade_low="K",
        grade_high="05",
        title_i="schoolwide",
        nces_id="250279000001",
    )
    s2 = School.objects.create(
        district=d1,
        code="00350002",
        name="Burke High",
        school_type="HS",
        grade_low="09",
        grade_high="12",
        title_i="none",
    )
    s3 = School.objects.create(
        district=d2,
        code="01630001",
        name="Lynn Middle",
        school_type="MS",
        grade_low="06",
        grade_high="08",
        title_i="targeted",
        is_charter=True,
    )
    s4 = School.objects.create(
        district=d3,
        code="RI-01-01",
        name="Providence Central",
        school_type="HS",
        grade_low="09",
        grade_high="12",
    )
    partner = PartnerOrganization.objects.create(name="Acme Turnaround Partners")
    other_partner = PartnerOrganization.objects.create(name="Other Partner")
    today = timezone.localdate()  # the day access rules use (TIME_ZONE), not the UTC date
    Engagement.objects.create(
        partner=partner,
        school=s1,
        need_area="instruction",
        scope="Instructional coaching",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=300),
        agreement_reference="DSA-2026-01",
    )
    Engagement.objects.create(  # expired: gives no access any more
        partner=partner,
        school=s3,
        need_area="climate_culture",
        scope="Behaviour systems",
        starts_on=today - dt.timedelta(days=400),
        ends_on=today - dt.timedelta(days=1),
        agreement_reference="DSA-2025-07",
    )
    src = DataSource.objects.create(name="Test data", publisher="tests", is_synthetic=True)
    for school, level in ((s1, 4), (s2, 2), (s3, 3), (s4, 1)):
        AccountabilityDetermination.objects.create(
            school=school,
            year=2017,
            ruleset="ma-2012",
            label=f"Level {level}",
            level=level,
            reason="Among lowest achieving and least improving schools" if level == 4 else "",
            percentile=10 * level,
            source=src,
            is_official=True,
        )
        for year in (2016, 2017):
            SchoolYearProfile.objects.create(
                school=school, year=year, enrollment=400, pct_high_needs=60.0, source=src
            )
            for subject in ("ELA", "MATH"):
                AssessmentResult.objects.create(
                    school=school,
                    year=year,
                    subject=subject,
                    group="all",
                    n_tested=120,
                    pct_level_4=10.0,
                    pct_level_3=30.0,
                    pct_level_2=40.0,
                    pct_level_1=20.0,
                    composite_index=70.0,
                    median_sgp=45.0,
                    sgp_n=100,
                    source=src,
                )
                AssessmentResult.objects.create(
                    school=school,
                    year=year,
                    subject=subject,
                    group="el",
                    n_tested=6,
                    pct_level_4=0.0,
                    pct_level_3=16.7,
                    pct_level_2=50.0,
                    pct_level_1=33.3,
                    composite_index=55.0,
                    source=src,
                )
    return SimpleNamespace(
        state=state,
        other_state=other_state,
        district=d1,
        district2=d2,
        other_district=d3,
        school=s1,
        school_hs=s2,
        school_other_district=s3,
        school_other_state=s4,
        partner=partner,
        other_partner=other_partner,
        source=src,
    )


def _user(username: str, role: str | None = None, organisation=None):
    from turnaround.accounts.models import Membership, User

    user = User.objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD
    )
    if role is not None:
        field = {
            "State": "state",
            "District": "district",
            "School": "school",
            "PartnerOrganization": "partner",
        }[type(organisation).__name__]
        Membership.objects.create(user=user, role=role, **{field: organisation})
    return user


@pytest.fixture
def personas(org):
    """One user per role, plus an outsider with no membership at all."""
    return SimpleNamespace(
        state_admin=_user("admin", "state_admin", org.state),
        state_staff=_user("staff", "state_staff", org.state),
        ta_provider=_user("ta", "ta_provider", org.state),
        reviewer=_user("reviewer", "reviewer", org.state),
        viewer=_user("viewer", "viewer", org.state),
        district_leader=_user("district", "district_leader", org.district),
        school_leader=_user("principal", "school_leader", org.school),
        partner_staff=_user("partner", "partner_staff", org.partner),
        other_partner_staff=_user("partner2", "partner_staff", org.other_partner),
        other_state_admin=_user("riadmin", "state_admin", org.other_state),
        outsider=_user("outsider"),
    )


@pytest.fixture
def persona_password() -> str:
    """The password every persona signs in with."""
    return PASSWORD


@pytest.fixture
def client_for():
    """``client_for(user)`` → a test client signed in as that user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
