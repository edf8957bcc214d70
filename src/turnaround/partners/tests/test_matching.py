"""Matching, Django side: the needs from assessments and performance data, the candidates
gathered from designations, evidence, impact estimates and engagements, and who may ask.

The helpers at the top (``designate``, ``service``, ``assessed`` …) are used by the page and API
tests too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from turnaround.accounts.models import Membership, Role, User
from turnaround.analytics.partner_match import Need, format_day
from turnaround.assessments.models import Assessment, ConsensusRating
from turnaround.assessments.tests import report_factories as rf
from turnaround.organizations.models import School
from turnaround.partners.matching import (
    NEED_SOURCES,
    NeedSource,
    assessment_needs,
    partner_suggestions,
    performance_needs,
    school_grade_bands,
    school_needs,
    school_needs_by_source,
)
from turnaround.partners.models import (
    EvidenceClaim,
    ImpactEstimate,
    PriorityDesignation,
    ServiceOffering,
)
from turnaround.performance.models import AssessmentResult, SchoolYearProfile

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


# ---------------------------------------------------------------------------------------------
# Helpers shared with the page and API tests


def designate(partner, area, state, *, tier=None, days_left=400, starts_days_ago=30, **extra):
    return PriorityDesignation.objects.create(
        partner=partner,
        state=state,
        need_area=area,
        starts_on=TODAY - dt.timedelta(days=starts_days_ago),
        expires_on=TODAY + dt.timedelta(days=days_left),
        evidence_tier=tier,
        **extra,
    )


def service(partner, area, bands=("elementary",)):
    return ServiceOffering.objects.create(
        partner=partner, need_area=area, description=f"{area} support", grade_bands=list(bands)
    )


def claim(partner, area, tier, *, design="qed", confirmed=None):
    return EvidenceClaim.objects.create(
        partner=partner,
        need_area=area,
        claim=f"Improves {area}",
        outcome_domain="attendance",
        study_citation="Fictional test study, 2015",
        design=design,
        tier=tier,
        confirmed_tier=confirmed,
        summary="What it shows.",
    )


def impact(partner, state, outcome, estimate, lo, hi, *, area="", n=14):
    return ImpactEstimate.objects.create(
        partner=partner,
        state=state,
        need_area=area,
        outcome=outcome,
        estimate=estimate,
        ci_low=lo,
        ci_high=hi,
        n_treated=n,
        n_comparison=3 * n,
    )


def assessed(org, lead, *, levels=None, status=Assessment.Status.FINALISED, **kwargs):
    """A site visit of org.school on a small Turnaround Practices framework (TP1–TP4 × 5; KEY
    at positions 1 and 3): everything Providing, except ``levels``."""
    version = kwargs.pop("version", None) or rf.make_framework()
    all_levels = rf.all_levels(version, 2)
    all_levels.update(levels or {"TP4.1": 1, "TP2.2": 0})
    return rf.make_assessment(
        school=org.school, version=version, lead=lead, levels=all_levels, status=status, **kwargs
    )


def other_district_leader(org):
    user = User.objects.create_user(username="lynnlead", email="lynn@example.org", password="x")
    Membership.objects.create(user=user, role=Role.DISTRICT_LEADER, district=org.district2)
    return user


def matching_world(org):
    """org.partner designated for climate and culture (tier 2 QED, +1.8 attendance) and
    instruction; org.other_partner in the registry only (instruction, not vetted)."""
    designate(org.partner, "climate_culture", org.state, tier=2, days_left=200)
    designate(org.partner, "instruction", org.state)
    service(org.partner, "climate_culture")
    service(org.partner, "instruction")
    claim(org.partner, "climate_culture", 2)
    impact(org.partner, org.state, "attendance", 1.8, 0.4, 3.2)
    service(org.other_partner, "instruction")


# ---------------------------------------------------------------------------------------------
# Needs from the latest finalised assessment


def test_assessment_needs_weigh_low_ratings_and_key_indicators(org, personas):
    visit = assessed(org, personas.state_staff)
    needs = assessment_needs(org.school)
    # TP2.2 No evidence (level 0, not KEY): weight 2 → data use 2, instruction 1 (second area).
    # TP4.1 Developing (level 1, KEY): weight 1 × 1.5 → climate and culture.
    assert [(n.area, n.weight) for n in needs] == [
        ("data_use", 2.0),
        ("instruction", 1.0),
        ("climate_culture", 1.5),
    ]
    assert needs[0].reason == (
        "Rated 'No evidence' on TP2.2 Intentional practices for improving instruction (all)"
    )
    assert needs[2].reason.endswith("(a KEY indicator)")
    assert {n.source for n in needs} == {f"Site visit, {visit.school_year}"}


def test_only_the_latest_finalised_assessment_counts(org, personas):
    version = rf.make_framework()
    assessed(org, personas.state_staff, version=version, start=dt.date(2024, 10, 1))
    assessed(
        org,
        personas.state_staff,
        version=version,
        levels={"TP1.2": 1},
        kind=Assessment.Kind.SELF,
        school_year="2025-26",
        start=dt.date(2025, 10, 1),
    )
    assessed(  # later, but not finalised
        org,
        personas.state_staff,
        version=version,
        levels={"TP3.3": 0},
        status=Assessment.Status.CONSENSUS,
        start=dt.date(2026, 1, 10),
    )
    needs = assessment_needs(org.school)
    assert {n.reason.split(" on ")[1][:5] for n in needs} == {"TP1.2"}
    assert needs[0].source == "Self-assessment, 2025-26"


def test_not_priority_and_unrated_indicators_are_no_needs(org, personas):
    visit = assessed(org, personas.state_staff, levels={"TP4.1": 1, "TP2.2": None})
    ConsensusRating.objects.filter(assessment=visit, indicator__code="TP4.1").update(
        not_priority=True, not_priority_reason="Handled by the district this year."
    )
    assert assessment_needs(org.school) == []


def test_a_renamed_indicator_keeps_its_areas(org, personas):
    v1 = rf.make_framework()
    v2 = rf.make_next_version(v1, renames={"TP4.1": "TP4.9"})
    assessed(org, personas.state_staff, version=v2, levels={"TP4.9": 1})
    # TP4.9 has no mapping of its own; TP4.1's (climate and culture only) is used rather than
    # the practice's (climate and culture, SEL).
    assert [n.area for n in assessment_needs(org.school)] == ["climate_culture"]


def test_no_finalised_assessment_no_assessment_needs(org, personas):
    assessed(org, personas.state_staff, status=Assessment.Status.IN_PROGRESS)
    assert assessment_needs(org.school) == []


# ---------------------------------------------------------------------------------------------
# Needs from performance data


def _result(school, subject, **values):
    AssessmentResult.objects.filter(
        school=school, year=2017, subject=subject, group="all", grade="ALL"
    ).update(**values)


def test_low_growth_and_chronic_absence(org):
    assert performance_needs(org.school) == []  # fixture: SGP 45, no attendance data
    _result(org.school, "MATH", median_sgp=34)
    _result(org.school, "ELA", median_sgp=38)
    SchoolYearProfile.objects.filter(school=org.school, year=2017).update(
        chronic_absence_rate=24.5, attendance_rate=93.0
    )
    needs = performance_needs(org.school)
    assert [(n.area, n.weight) for n in needs] == [
        ("instruction", 1.0),
        ("data_use", 1.0),
        ("learning_time", 1.0),
        ("sel_health", 1.0),
        ("family_engagement", 1.0),
    ]
    assert needs[0].reason == (
        "Median student growth percentile below 40 in 2017: ELA 38, mathematics 34"
    )
    assert needs[2].reason == "Chronic absence 24.5% (20% or more) in 2017"
    assert {n.source for n in needs} == {"Performance data, 2017"}


def test_very_low_growth_and_very_high_absence_weigh_two(org):
    _result(org.school, "MATH", median_sgp=28)
    SchoolYearProfile.objects.filter(school=org.school, year=2017).update(
        chronic_absence_rate=31.0, attendance_rate=89.5
    )
    needs = performance_needs(org.school)
    assert {n.weight for n in needs} == {2.0}
    assert needs[-1].reason == (
        "Chronic absence 31% (20% or more); attendance rate 89.5% (below 92%) in 2017"
    )


def test_cpi_in_the_lowest_fifth_of_the_same_school_type(org):
    # Five more elementary schools, all with a higher CPI: Adams is 1 of 6 at or below its own
    # 70 (1/6 ≤ 1/5), so in the lowest fifth.
    for i, cpi in enumerate((75, 80, 85, 90, 95)):
        school = School.objects.create(
            district=org.district2,
            code=f"0163010{i}",
            name=f"Peer {i}",
            school_type="ES",
            grade_low="K",
            grade_high="05",
        )
        for subject in ("ELA", "MATH"):
            AssessmentResult.objects.create(
                school=school,
                year=2017,
                subject=subject,
                group="all",
                n_tested=100,
                composite_index=cpi,
                source=org.source,
            )
    needs = performance_needs(org.school)
    assert [(n.area, n.weight) for n in needs] == [("instruction", 2.0)]
    assert needs[0].reason == (
        "Achievement (CPI) in the state's lowest fifth in 2017: ELA 70 (only 1 of the state's 6 "
        "elementary schools score the same or lower), mathematics 70 (only 1 of the state's 6 "
        "elementary schools score the same or lower)"
    )
    # with fewer than five peers nothing is said (Burke High is the only high school)
    assert performance_needs(org.school_hs) == []


def test_need_sources_are_pluggable(org, personas):
    assessed(org, personas.state_staff)
    extra = NeedSource(
        "extra",
        "Another source",
        lambda school: [
            Need("leadership", 1.0, "Plan benchmark", f"Benchmark off track at {school.name}")
        ],
    )
    found = school_needs_by_source(org.school, sources=(*NEED_SOURCES, extra))
    assert [f.source.code for f in found] == ["assessment", "performance", "benchmarks", "extra"]
    assert [n.area for n in found[3].needs] == ["leadership"]
    assert len(school_needs(org.school)) == 3


def test_school_grade_bands(org):
    assert school_grade_bands(org.school) == ("elementary",)
    assert school_grade_bands(org.school_hs) == ("high",)
    span = School(school_type="EMS", grade_low="04", grade_high="08")
    assert school_grade_bands(span) == ("elementary", "middle")
    assert school_grade_bands(School(school_type="K12")) == ("elementary", "middle", "high")


# ---------------------------------------------------------------------------------------------
# Suggestions


def test_suggests_the_designated_partner_with_reasons(org, personas):
    matching_world(org)
    assessed(org, personas.state_staff)
    m = partner_suggestions(personas.state_staff, org.school)
    assert m.any_designated and m.assessment is not None
    assert [s.name for s in m.suggestions] == ["Acme Turnaround Partners"]
    (s,) = m.suggestions
    assert s.vetted
    assert s.covered_areas == ("climate_culture", "instruction")  # data use is not designated
    assert s.uncovered_areas == ("data_use",)
    expires = TODAY + dt.timedelta(days=200)
    climate = [r for r in s.reasons if "→ climate and culture" in r][0]
    assert climate.startswith("Rated 'Developing' on TP4.1")
    assert f"until {format_day(expires)}" in climate
    assert "tier 2 evidence (QED)" in climate
    assert "measured effect on attendance +1.8 points (95% CI 0.4 to 3.2, 14 schools)" in climate
    # the fixture's engagement of Acme at Adams in instruction, in force today
    assert "Already working with this school (instruction)." in s.reasons
    # weights: data use 2, climate 1.5, instruction 1 → fit (1.5 + 1) / 4.5
    assert s.components.fit == pytest.approx(2.5 / 4.5)


def test_unvetted_partners_on_request(org, personas):
    matching_world(org)
    assessed(org, personas.state_staff)
    m = partner_suggestions(personas.state_staff, org.school, include_unvetted=True)
    assert [(s.name, s.vetted) for s in m.suggestions] == [
        ("Acme Turnaround Partners", True),
        ("Other Partner", False),
    ]
    assert "not vetted" in m.suggestions[1].reasons[0]


def test_designations_out_of_force_or_elsewhere_do_not_count(org, personas):
    assessed(org, personas.state_staff)
    service(org.partner, "climate_culture")
    designate(org.partner, "climate_culture", org.state, days_left=-1, starts_days_ago=400)
    designate(org.partner, "climate_culture", org.state, revoked_at=timezone.now())
    designate(org.partner, "climate_culture", org.other_state)
    designate(org.partner, "climate_culture", org.state, starts_days_ago=-10)  # not yet
    m = partner_suggestions(personas.state_staff, org.school)
    assert not m.any_designated
    assert m.suggestions == ()
    m = partner_suggestions(personas.state_staff, org.school, include_unvetted=True)
    assert [(s.name, s.vetted) for s in m.suggestions] == [("Acme Turnaround Partners", False)]


def test_evidence_and_impact_inputs(org, personas):
    assessed(org, personas.state_staff, levels={"TP4.1": 1})
    designate(org.partner, "climate_culture", org.state, tier=3)
    designate(org.other_partner, "climate_culture", org.state)
    claim(org.partner, "climate_culture", 4, design="logic_model", confirmed=2)
    claim(org.other_partner, "climate_culture", 1, design="rct")
    # Acme: fewer chronically absent students (favourable, significant) for this area; an
    # estimate of another state is ignored. Other Partner: a significant fall in attendance.
    impact(org.partner, org.state, "chronic_absence", -2.0, -3.1, -0.9, area="climate_culture")
    impact(org.partner, org.other_state, "attendance", -5.0, -6.0, -4.0)
    impact(org.other_partner, org.state, "attendance", -1.5, -2.5, -0.5)
    impact(org.other_partner, org.state, "growth_math", 3.0, 1.0, 5.0)  # not a climate outcome
    m = partner_suggestions(personas.state_staff, org.school)
    acme, other = m.suggestions
    assert acme.name == "Acme Turnaround Partners" and not acme.flagged
    assert acme.impact_classes == {"climate_culture": "positive_significant"}
    assert "tier 2 evidence (logic model)" in acme.reasons[0]  # confirmed tier 2 beats 3
    assert "chronic absence \u22122.0 points" in acme.reasons[0]
    assert other.flagged and other.rank == 2
    assert other.impact_classes == {"climate_culture": "negative_significant"}
    assert "growth in mathematics" not in other.reasons[0]


@pytest.mark.parametrize("who", ["state_staff", "state_admin", "district_leader", "school_leader"])
def test_who_may_match(org, personas, who):
    matching_world(org)
    m = partner_suggestions(getattr(personas, who), org.school)
    assert m.school == org.school


@pytest.mark.parametrize(
    "who", ["viewer", "reviewer", "ta_provider", "partner_staff", "outsider", "other_state_admin"]
)
def test_who_may_not(org, personas, who):
    with pytest.raises(Http404):
        partner_suggestions(getattr(personas, who), org.school)


def test_another_districts_leader_may_not(org, personas):
    with pytest.raises(Http404):
        partner_suggestions(other_district_leader(org), org.school)
