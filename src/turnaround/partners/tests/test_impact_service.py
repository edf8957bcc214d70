"""Impact estimates from the database: the panel, engaged and comparison schools, a known effect
recovered, refusals stored as reasons, atomic overwrites, one audit event per run.

``impact_state`` builds a small state: 36 schools of two types with six years (2012–2017) of
results and profiles; 12 of them engaged by ``org.partner`` in instruction from the 2015 school
year, with ``EFFECT`` CPI points added to their ELA and mathematics achievement from 2015 on (and
nothing to growth or attendance); 2 engaged by ``org.other_partner``.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest

from turnaround.audit.models import AuditEvent
from turnaround.organizations.models import PartnerOrganization, School
from turnaround.partners.models import Engagement, ImpactEstimate
from turnaround.partners.services import impact as svc
from turnaround.performance.models import AssessmentResult, SchoolYearProfile

EFFECT = 5.0
YEARS = range(2012, 2018)
START = dt.date(2014, 9, 2)  # the 2015 school year


def build_impact_state(org, *, n_schools: int = 36, n_engaged: int = 12, seed: int = 7):
    """Schools, results and profiles with a known effect; returns who is engaged."""
    rng = np.random.default_rng(seed)
    districts = [org.district, org.district2]
    schools = School.objects.bulk_create(
        [
            School(
                district=districts[i % 2],
                code=f"IMP{i:04d}",
                name=f"Impact School {i:02d}",
                school_type="ES" if i % 3 else "MS",
                grade_low="K" if i % 3 else "06",
                grade_high="05" if i % 3 else "08",
            )
            for i in range(n_schools)
        ]
    )
    schools = list(School.objects.filter(code__startswith="IMP").order_by("code"))
    engaged = schools[:n_engaged]
    other = schools[n_engaged : n_engaged + 2]
    year_shock = {y: 0.8 * (y - 2012) + rng.normal(0, 0.5) for y in YEARS}
    results, profiles = [], []
    for i, school in enumerate(schools):
        treated = i < n_engaged
        level = rng.normal(62 if treated else 66, 6)
        sgp = rng.normal(48, 4)
        attendance = rng.normal(93, 1.2)
        for year in YEARS:
            post = treated and year >= 2015
            for subject, shift in (("ELA", 0.0), ("MATH", -3.0)):
                cpi = level + shift + year_shock[year] + rng.normal(0, 1.0)
                results.append(
                    AssessmentResult(
                        school=school,
                        year=year,
                        subject=subject,
                        group="all",
                        n_tested=200,
                        composite_index=float(np.clip(cpi + (EFFECT if post else 0.0), 0, 100)),
                        median_sgp=float(np.clip(sgp + rng.normal(0, 2), 1, 99)),
                        sgp_n=150,
                        source=org.source,
                    )
                )
            rate = float(attendance + rng.normal(0, 0.3))
            profiles.append(
                SchoolYearProfile(
                    school=school,
                    year=year,
                    enrollment=int(300 + 10 * i + rng.integers(0, 20)),
                    pct_high_needs=float(50 + (i % 7) * 3 + rng.normal(0, 1)),
                    pct_econ_disadv=float(40 + (i % 5) * 3),
                    attendance_rate=rate,
                    chronic_absence_rate=float(max(0.0, 100 - rate) * 2.2),
                    source=org.source,
                )
            )
    AssessmentResult.objects.bulk_create(results)
    SchoolYearProfile.objects.bulk_create(profiles)
    for school in engaged:
        Engagement.objects.create(
            partner=org.partner,
            school=school,
            need_area="instruction",
            scope="Coaching",
            starts_on=START,
            ends_on=dt.date(2018, 6, 30),
            cost=50000,
            funding_source="title_i_1003",
            agreement_reference="DSA-1",
        )
    for school in other:
        Engagement.objects.create(
            partner=org.other_partner,
            school=school,
            need_area="leadership",
            scope="Leadership coaching",
            starts_on=START,
            ends_on=dt.date(2017, 6, 30),
        )
    return SimpleNamespace(schools=schools, engaged=engaged, other=other)


@pytest.fixture
def impact_state(org):
    return build_impact_state(org)


def _by_outcome(rows):
    return {r.outcome: r for r in rows}


# ----------------------------------------------------------------------------- helpers


def test_engagement_start_year_is_the_spring_year_from_july():
    assert svc.engagement_start_year(dt.date(2013, 9, 3)) == 2014
    assert svc.engagement_start_year(dt.date(2014, 6, 30)) == 2014
    assert svc.engagement_start_year(dt.date(2014, 7, 1)) == 2015
    assert svc.engagement_start_year(dt.date(2015, 1, 15)) == 2015


def test_pretrend_words():
    assert svc.pretrend_words(0.41) == "no evidence of different pre-trends (p = 0.41)"
    assert svc.pretrend_words(0.012) == (
        "pre-trends differ (p = 0.01): read the estimate with caution"
    )
    assert "no pre-trend test" in svc.pretrend_words(None)


# ----------------------------------------------------------------------------- the panel


def test_panel_has_one_row_per_school_year_from_bulk_queries(
    org, impact_state, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        panel = svc.impact_panel(org.state)
    assert list(panel.columns[:6]) == [
        "school",
        "school_id",
        "school_code",
        "district_id",
        "school_type",
        "year",
    ]
    assert {*svc.OUTCOMES, "enrollment", "pct_high_needs", "pct_econ_disadv"} <= set(panel.columns)
    # 36 schools x 6 years, plus the fixture's three MA schools x 2 years; not Rhode Island's
    assert len(panel) == 36 * 6 + 3 * 2
    assert not panel.duplicated(["school", "year"]).any()
    assert org.school_other_state.pk not in set(panel["school_id"])
    row = panel[(panel["school_id"] == org.school.pk) & (panel["year"] == 2016)].iloc[0]
    assert row["achievement_ela"] == 70.0 and row["growth_math"] == 45.0
    assert np.isnan(row["attendance"]) and row["enrollment"] == 400
    assert row["school"] == str(org.school.pk) and row["school_type"] == "ES"


def test_panel_of_some_outcomes_only(org, impact_state):
    panel = svc.impact_panel(org.state, ["attendance"])
    assert "achievement_ela" not in panel.columns
    assert panel["attendance"].notna().sum() == 36 * 6


# ----------------------------------------------------------------------------- estimates


def test_known_effect_is_recovered_with_counts_and_detail(org, personas, impact_state):
    rows = svc.impact_compute(
        partner=org.partner, state=org.state, need_area="", actor=personas.state_staff
    )
    assert len(rows) == 6 and ImpactEstimate.objects.count() == 6
    by = _by_outcome(rows)
    for outcome in ("achievement_ela", "achievement_math"):
        est = by[outcome]
        assert est.refusal == ""
        assert est.ci_low < EFFECT < est.ci_high, (outcome, est.estimate, est.ci_low, est.ci_high)
        assert abs(est.estimate - EFFECT) < 1.5
        assert est.p_value < 0.001
        assert est.n_treated == 12
        assert 5 <= est.n_comparison <= 22
    # no effect was added to growth or attendance: their intervals cover zero
    for outcome in ("growth_ela", "growth_math", "attendance", "chronic_absence"):
        est = by[outcome]
        assert est.ci_low < 0 < est.ci_high, (outcome, est.estimate)
    d = by["achievement_ela"].detail
    engaged_ids = sorted(s.pk for s in impact_state.engaged)
    assert d["engaged_school_ids"] == engaged_ids
    assert len(d["comparison_school_ids"]) == by["achievement_ela"].n_comparison
    assert d["years"] == [2012, 2017]
    assert [c["start_year"] for c in d["cohorts"]] == [2015]
    assert d["reference_year"] == -1
    assert [e["relative_year"] for e in d["leads"]] == [-3, -2]
    assert [e["relative_year"] for e in d["lags"]] == [0, 1, 2]
    assert d["pretrend"]["df"][0] == 2 and 0 <= d["pretrend"]["p_value"] <= 1
    assert by["achievement_ela"].pretrend_p_value == d["pretrend"]["p_value"]
    assert set(d["cits"]) == {"trend_difference", "level_change", "slope_change"}
    assert d["cits"]["level_change"]["estimate"] == pytest.approx(EFFECT, abs=2.0)
    features = {b["feature"] for b in d["balance"]}
    assert features == {
        "achievement_ela (pre mean)",
        "achievement_ela (pre trend)",
        "enrollment (pre mean)",
        "pct_high_needs (pre mean)",
    }
    assert all("smd_before" in b and "smd_after" in b for b in d["balance"])
    assert d["matching"]["k"] == 3 and d["matching"]["exact"] == ["school_type"]
    assert "difference-in-differences" in d["method"]
    # the fixture's two engagements of the partner start after the data
    assert any("after the last year of data (2017)" in c for c in d["caveats"])
    assert d["selection"]["engaged_schools"] == 14
    assert d["selection"]["eligible_schools"] == 12


def test_schools_engaged_by_other_partners_are_never_comparisons(org, impact_state):
    rows = svc.impact_compute(partner=org.partner, state=org.state)
    others = {s.pk for s in impact_state.other}
    for row in rows:
        assert not others & set(row.detail["comparison_school_ids"])
        assert row.detail["selection"]["excluded_engaged"] == 14  # 12 + 2 within 2012–2017
    # the pool: every MA school no partner served in 2012–2017 (36 - 14 + the fixture's 3)
    assert rows[0].detail["selection"]["comparison_pool"] == 36 - 14 + 3


def test_district_engagement_excludes_its_schools_from_comparisons(org, impact_state):
    Engagement.objects.create(
        partner=org.other_partner,
        district=org.district2,
        need_area="district_systems",
        scope="District systems",
        starts_on=dt.date(2013, 9, 1),
        ends_on=dt.date(2016, 6, 30),
    )
    rows = svc.impact_compute(partner=org.partner, state=org.state)
    in_d2 = set(School.objects.filter(district=org.district2).values_list("pk", flat=True))
    for row in rows:
        assert not in_d2 & set(row.detail["comparison_school_ids"])
    assert rows[0].detail["selection"]["excluded_district_engaged"] > 0


def test_area_estimate_uses_only_that_areas_engagements(org, impact_state):
    rows = svc.impact_compute(partner=org.partner, state=org.state, need_area="instruction")
    assert {r.need_area for r in rows} == {"instruction"}
    assert _by_outcome(rows)["achievement_ela"].n_treated == 12
    refused = svc.impact_compute(partner=org.partner, state=org.state, need_area="leadership")
    assert all(r.estimate is None for r in refused)
    assert refused[0].refusal == (
        "Acme Turnaround Partners has no school engagements in Massachusetts in leadership: "
        "there is nothing to estimate."
    )


def test_too_few_engaged_schools_is_stored_as_a_reason(org, personas):
    build_impact_state(org, n_engaged=3)
    rows = svc.impact_compute(partner=org.partner, state=org.state, actor=personas.state_admin)
    assert len(rows) == 6
    for row in rows:
        assert row.estimate is None and row.ci_low is None and row.p_value is None
        assert row.n_treated == 0
        assert row.refusal.startswith(
            "Only 3 engaged schools have results before and after engagement"
        )
        assert "an estimate needs at least 5." in row.refusal
        assert row.detail["engaged_school_ids"] and row.detail["method"]


def test_refusal_for_one_outcome_only_is_in_plain_words(org, impact_state):
    # attendance disappears for most engaged schools: only 3 of 12 keep it
    SchoolYearProfile.objects.filter(school__in=impact_state.engaged[3:]).update(
        attendance_rate=None
    )
    by = _by_outcome(svc.impact_compute(partner=org.partner, state=org.state))
    assert by["achievement_ela"].estimate is not None
    assert by["attendance"].estimate is None
    assert by["attendance"].refusal.startswith("Only 3 engaged schools have attendance results")
    assert "an estimate needs at least 5." in by["attendance"].refusal
    assert "'" not in by["attendance"].refusal  # no column names


def test_recompute_overwrites_in_place(org, impact_state):
    first = _by_outcome(svc.impact_compute(partner=org.partner, state=org.state))
    AssessmentResult.objects.filter(
        school__in=impact_state.engaged, subject="ELA", year__gte=2015
    ).update(composite_index=1.0)
    second = _by_outcome(svc.impact_compute(partner=org.partner, state=org.state))
    assert ImpactEstimate.objects.count() == 6
    assert second["achievement_ela"].pk == first["achievement_ela"].pk
    assert second["achievement_ela"].estimate < -20
    assert second["achievement_ela"].computed_at >= first["achievement_ela"].computed_at
    stored = ImpactEstimate.objects.get(pk=first["achievement_ela"].pk)
    assert stored.estimate == second["achievement_ela"].estimate


def test_a_failing_run_writes_nothing(org, impact_state, monkeypatch):
    before = _by_outcome(svc.impact_compute(partner=org.partner, state=org.state))
    AssessmentResult.objects.filter(school__in=impact_state.engaged, subject="ELA").update(
        composite_index=10.0
    )
    events = AuditEvent.objects.count()

    def boom(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(svc, "audit_record", boom)
    with pytest.raises(RuntimeError):
        svc.impact_compute(partner=org.partner, state=org.state)
    for outcome, old in before.items():
        now = ImpactEstimate.objects.get(pk=old.pk)
        assert now.estimate == old.estimate and now.computed_at == old.computed_at, outcome
    assert AuditEvent.objects.count() == events


def test_each_run_is_one_audit_event_with_counts(org, personas, impact_state):
    svc.impact_compute(partner=org.partner, state=org.state, actor=personas.state_staff)
    event = AuditEvent.objects.get(object_type="partners.ImpactEstimate")
    assert event.action == "load" and event.actor == personas.state_staff
    assert event.state_id == org.state.pk
    assert event.changes == {
        "partners": 1,
        "groups": 1,
        "estimated": 6,
        "refused": 0,
        "deleted_stale": 0,
    }


def test_only_state_staff_of_the_state_may_compute(org, personas, impact_state):
    from django.core.exceptions import PermissionDenied, ValidationError

    for persona in ("district_leader", "partner_staff", "other_state_admin", "viewer"):
        with pytest.raises(PermissionDenied):
            svc.impact_compute(
                partner=org.partner, state=org.state, actor=getattr(personas, persona)
            )
    with pytest.raises(ValidationError) as err:
        svc.impact_compute(partner=org.partner, state=org.state, need_area="cooking")
    assert "need_area" in err.value.message_dict
    assert not ImpactEstimate.objects.exists()


def test_state_run_covers_every_partner_and_area_and_drops_stale_rows(org, impact_state):
    gone = PartnerOrganization.objects.create(name="Gone Partner")
    ImpactEstimate.objects.create(
        partner=gone, state=org.state, outcome="attendance", refusal="old"
    )
    ImpactEstimate.objects.create(
        partner=org.partner, state=org.state, need_area="leadership", outcome="attendance"
    )
    seen = []
    rows = svc.impact_compute_state(
        state=org.state, progress=lambda label, done, total: seen.append((label, done, total))
    )
    assert seen == [
        ("Acme Turnaround Partners", 0, 2),
        ("Other Partner", 1, 2),
        ("done", 2, 2),
    ]
    groups = {(r.partner_id, r.need_area) for r in rows}
    assert groups == {
        (org.partner.pk, ""),
        (org.partner.pk, "instruction"),
        (org.partner.pk, "climate_culture"),
        (org.other_partner.pk, ""),
        (org.other_partner.pk, "leadership"),
    }
    assert ImpactEstimate.objects.count() == 5 * 6
    assert not ImpactEstimate.objects.filter(partner=gone).exists()
    assert not ImpactEstimate.objects.filter(need_area="leadership", partner=org.partner).exists()
    other = ImpactEstimate.objects.get(
        partner=org.other_partner, need_area="", outcome="achievement_ela"
    )
    assert other.refusal.startswith("Only 2 engaged schools")
    assert AuditEvent.objects.filter(object_type="partners.ImpactEstimate").count() == 1


def test_partner_run_recomputes_every_area(org, impact_state):
    rows = svc.impact_compute_partner(partner=org.partner, state=org.state)
    assert {r.need_area for r in rows} == {"", "instruction", "climate_culture"}
    assert len(rows) == 18


def test_the_log_holds_counts_only(org, impact_state, caplog):
    caplog.set_level("INFO", logger="turnaround.partners.services.impact")
    svc.impact_compute_state(state=org.state)
    text = caplog.text
    assert "impact run MA" in text
    for school in impact_state.engaged:
        assert school.name not in text and str(school.code) not in text


def test_engagements_starting_before_two_years_of_data_are_refused_with_the_reason(
    org, impact_state
):
    early = PartnerOrganization.objects.create(name="Early Partner")
    for school in impact_state.schools[20:25]:
        Engagement.objects.create(
            partner=early,
            school=school,
            need_area="leadership",
            scope="Early work",
            starts_on=dt.date(2012, 9, 1),  # the 2013 school year: one year of data before
            ends_on=dt.date(2014, 6, 30),
        )
    rows = svc.impact_compute(partner=early, state=org.state)
    assert rows[0].estimate is None
    assert rows[0].refusal == (
        "None of the 5 engaged schools can be measured: 5 started before the data hold 2 years "
        "of results (they begin in 2012)."
    )
    assert rows[0].detail["selection"]["started_too_early"] == 5
    # and those schools are no comparison for anybody: engaged during the data's years
    acme = _by_outcome(svc.impact_compute(partner=org.partner, state=org.state))
    early_ids = {s.pk for s in impact_state.schools[20:25]}
    assert not early_ids & set(acme["achievement_ela"].detail["comparison_school_ids"])


def test_a_partner_serving_one_area_has_the_same_rows_for_all_areas(org, impact_state):
    svc.impact_compute_state(state=org.state)
    for outcome in svc.OUTCOMES:
        every = ImpactEstimate.objects.get(partner=org.other_partner, need_area="", outcome=outcome)
        one = ImpactEstimate.objects.get(
            partner=org.other_partner, need_area="leadership", outcome=outcome
        )
        assert (every.estimate, every.refusal, every.detail) == (
            one.estimate,
            one.refusal,
            one.detail,
        )
