"""Exit reviews (criteria judged against the stored data, decisions applied) and cohort counts."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from turnaround.accountability.cohorts import cohort_view
from turnaround.accountability.models import AccountabilityDetermination, Designation, ExitReview
from turnaround.accountability.services.exit_reviews import exit_evaluation, exit_review_record
from turnaround.audit.models import AuditEvent
from turnaround.growth.models import GrowthAggregate

pytestmark = pytest.mark.django_db


def _designation(acc, school, status="underperforming", entered=2014, **kw):
    return Designation.objects.create(
        school=school, status=status, entered_year=entered, ruleset="ma-2012", **kw
    )


def _plan(school, designation, targets):
    from turnaround.plans.models import Goal, GoalTarget, Plan

    plan = Plan.objects.create(
        school=school,
        title="Turnaround plan",
        first_year=2015,
        last_year=2017,
        designation=designation,
    )
    for description, metric, subject, value in targets:
        goal = Goal.objects.create(
            plan=plan, metric=metric, description=description, subject=subject
        )
        GoalTarget.objects.create(goal=goal, year=2016, value=value)
    return plan


def test_exit_evaluation_per_criterion_against_stored_data(acc):
    school = acc.schools[10]  # median SGP 55 (all), 49 (high needs)
    d = _designation(acc, school)
    _plan(
        school,
        d,
        [
            ("ELA CPI to 80", "composite_index", "ELA", 80.0),
            ("Math proficiency to 99", "proficiency", "MATH", 99.0),
        ],
    )
    for year, level, pct in ((2015, 3, 18), (2016, 3, 25)):
        AccountabilityDetermination.objects.create(
            school=school,
            year=year,
            ruleset="ma-2012",
            label=f"Level {level}",
            level=level,
            percentile=pct,
            source=acc.source,
        )
    Designation.objects.filter(pk=d.pk).update(
        exit_criteria=[
            {"kind": "annual_goals"},
            {"kind": "median_sgp", "low": 40, "groups": ["all", "high_needs"]},
            {"kind": "level_at_most", "max_level": 3, "years": 2},
            {"kind": "percentile_at_least", "min": 20, "years": 2},
            {"kind": "graduation_at_least", "min": 67},
        ]
    )
    d.refresh_from_db()
    evaluation = exit_evaluation(d, 2016)
    by_kind = {r.criterion.kind: r for r in evaluation.results}
    goals = by_kind["annual_goals"]
    assert goals.status == "not_met"  # CPI 84 ≥ 80, but math proficiency 51 < 99
    assert goals.summary == "1 of 2 goals met"
    assert [i.ok for i in goals.items] == [True, False]
    assert by_kind["median_sgp"].status == "met"
    assert [i.value for i in by_kind["median_sgp"].items][0].startswith("55 (n = 110) ≥ 40")
    assert by_kind["level_at_most"].status == "met"
    pct = by_kind["percentile_at_least"]
    assert pct.status == "not_met" and "not met in 2015: percentile 18 < 20" in pct.summary
    assert by_kind["graduation_at_least"].status == "no_data"  # an elementary school
    assert not evaluation.all_met
    # computed growth wins over the published median when the growth app has one
    GrowthAggregate.objects.create(
        school=school,
        year=2016,
        subject="ELA",
        group="all",
        n=30,
        median_sgp=31.0,
        mean_sgp=33.0,
        min_n=20,
    )
    evaluation = exit_evaluation(d, 2016)
    growth = next(r for r in evaluation.results if r.criterion.kind == "median_sgp")
    assert growth.status == "not_met" and "ELA, all students" in growth.summary


def test_exit_decision_closes_the_designation(acc, personas):
    school = acc.schools[12]
    d = _designation(acc, school, entered=2013)
    Designation.objects.filter(pk=d.pk).update(exit_criteria=[{"kind": "median_sgp", "low": 40}])
    review = exit_review_record(
        actor=personas.state_staff,
        designation=d,
        review_year=2016,
        decision="exit",
        rationale="Typical growth or better in both subjects; conditions in place.",
        expected_version=1,
    )
    d.refresh_from_db()
    assert (d.phase, d.exited_year) == ("exited", 2017)
    assert d.exit_reason.startswith("Typical growth")
    assert review.all_met and review.results[0]["status"] == "met"
    assert review.results[0]["items"][0]["ok"] is True
    assert AuditEvent.objects.filter(object_type="accountability.ExitReview").count() == 1
    with pytest.raises(ValidationError, match="already ended in 2017"):
        exit_review_record(
            actor=personas.state_staff,
            designation=d,
            review_year=2017,
            decision="exit",
            rationale="again",
        )


def test_continue_and_escalate(acc, personas):
    d = _designation(acc, acc.low, entered=2013)
    review = exit_review_record(
        actor=personas.state_admin,
        designation=d,
        review_year=2016,
        decision="continue",
        rationale="Goals not met yet.",
    )
    d.refresh_from_db()
    assert d.is_open and d.eligible_exit_year == 2017 == review.next_review_year
    review = exit_review_record(
        actor=personas.state_admin,
        designation=d,
        review_year=2017,
        decision="escalate",
        rationale="No improvement in three years.",
        expected_version=d.version,
    )
    d.refresh_from_db()
    assert d.phase == "escalated" and review.escalated_to.status == "chronic"
    assert review.escalated_to.entered_year == 2018


def test_exit_review_refusals(acc, personas):
    d = _designation(acc, acc.low, status="tx_turnaround", entered=2015)
    with pytest.raises(ValidationError) as caught:
        exit_review_record(
            actor=personas.state_admin,
            designation=d,
            review_year=2014,
            decision="escalate",
            rationale="",
        )
    errors = caught.value.message_dict
    assert "from the year entered (2015)" in errors["review_year"][0]
    assert "no more severe status" in errors["decision"][0]
    assert "rationale" in errors
    with pytest.raises(PermissionDenied):
        exit_review_record(
            actor=personas.district_leader,
            designation=d,
            review_year=2016,
            decision="exit",
            rationale="x",
        )
    assert not ExitReview.objects.exists()


def test_cohort_counts(acc, personas):
    s = acc.schools
    _designation(acc, s[0], entered=2011, exited_year=2014)
    _designation(acc, s[1], entered=2011, exited_year=2016)
    _designation(acc, s[2], entered=2011)
    esc = _designation(acc, s[3], entered=2011, exited_year=2015, phase="escalated")
    _designation(acc, s[3], status="chronic", entered=2015, escalated_from=esc)
    _designation(acc, s[4], status="csi", entered=2011, exited_year=2013)
    _designation(acc, s[5], entered=2012)
    view = cohort_view(personas.state_admin, acc.state, 2011, through_year=2016)
    tables = {t.status: t for t in view.tables}
    up = tables["underperforming"]
    assert up.size == 4
    by_year = {r.year: r for r in up.rows}
    assert (by_year[2013].exited, by_year[2014].exited, by_year[2016].exited) == (0, 1, 2)
    assert by_year[2015].escalated == 1 and by_year[2016].in_status == 1
    assert by_year[2016].share_not_exited == 0.5
    assert up.remaining == (str(s[2].pk),)
    assert tables["csi"].rows[-1].exited == 1
    assert tables["all"].size == 5
    # the district leader sees the cohort of their district's schools only
    mine = cohort_view(personas.district_leader, acc.state, 2011, through_year=2016)
    assert {t.status: t.size for t in mine.tables}["underperforming"] == sum(
        1 for x in (s[0], s[1], s[2], s[3]) if x.district_id == acc.district.pk
    )
