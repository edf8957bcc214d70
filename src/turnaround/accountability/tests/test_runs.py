"""Identification runs: stored determinations, idempotent reruns, recorded changes, published
determinations kept, parameters refused by name, one run per state at a time."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from turnaround.accountability.models import (
    AccountabilityDetermination,
    Designation,
    DeterminationChange,
    IdentificationRun,
)
from turnaround.accountability.services.runs import (
    RunInProgress,
    identification_compute,
    identification_run_create,
    parse_param_pairs,
)
from turnaround.audit.models import AuditEvent
from turnaround.performance.models import AssessmentResult

pytestmark = pytest.mark.django_db


def _run(acc, actor, ruleset="ma-2012", year=2016, **params):
    return identification_compute(
        actor=actor, state=acc.state, ruleset=ruleset, year=year, params=params
    )


def _computed(acc, ruleset="ma-2012", year=2016):
    return AccountabilityDetermination.objects.filter(
        school__district__state=acc.state, ruleset=ruleset, year=year, is_official=False
    )


def test_run_stores_one_determination_per_school_with_reasons_and_inputs(acc, personas):
    run = _run(acc, personas.state_admin)
    assert run.status == IdentificationRun.Status.DONE, run.message
    dets = list(_computed(acc))
    assert len(dets) == len(acc.all_ma) == run.schools_evaluated == run.created_count
    assert not AccountabilityDetermination.objects.filter(
        school=acc.school_other_state, is_official=False
    ).exists()
    for det in dets:
        assert det.run_id == run.pk and det.computed_at is not None
        assert det.reasons and det.reason == det.reasons[0]
        assert det.inputs["input"]["n_all"] == 120
        assert "cum_ppi_all" in det.inputs["values"]
    low = next(d for d in dets if d.school_id == acc.low.pk)
    assert low.level == 3 and low.percentile <= 20
    assert any("percentile" in r and "≤ 20" in r for r in low.reasons)
    assert any("cumulative PPI for all students" in r and "< 75" in r for r in low.reasons)
    assert run.changes.filter(kind="created").count() == len(dets)
    assert AuditEvent.objects.filter(object_id=str(run.pk), action="load").exists()
    assert AuditEvent.objects.filter(object_id=str(run.pk), action="create").exists()


def test_rerun_on_the_same_data_changes_nothing(acc, personas):
    first = _run(acc, personas.state_admin)
    before = {d.pk: (d.run_id, d.computed_at, d.label, d.inputs) for d in _computed(acc)}
    second = _run(acc, personas.state_staff)
    assert second.status == "done"
    assert (second.created_count, second.updated_count) == (0, 0)
    assert second.unchanged_count == len(before)
    assert not DeterminationChange.objects.filter(run=second).exists()
    after = {d.pk: (d.run_id, d.computed_at, d.label, d.inputs) for d in _computed(acc)}
    assert after == before
    assert all(v[0] == first.pk for v in after.values())


def test_rerun_with_changed_data_updates_and_records_what_changed(acc, personas):
    _run(acc, personas.state_admin)
    # the strongest school collapses in 2016: its CPIs fall 40 points
    strong = acc.schools[-1]
    for r in AssessmentResult.objects.filter(school=strong, year=2016):
        r.composite_index = max(0.0, (r.composite_index or 0) - 40)
        r.save(update_fields=["composite_index"])
    run = _run(acc, personas.state_admin)
    assert run.updated_count >= 1
    change = DeterminationChange.objects.get(run=run, school=strong)
    assert change.kind == "updated"
    assert "values.cum_ppi_all" in change.changes
    old, new = change.changes["values.cum_ppi_all"]
    assert new < old
    det = _computed(acc).get(school=strong)
    assert det.run_id == run.pk
    unchanged = _computed(acc).exclude(run=run)
    assert unchanged.count() == run.unchanged_count


def test_published_determinations_are_never_overwritten(acc, personas):
    published = {
        d.school_id: (d.label, d.level, d.percentile, d.reason)
        for d in AccountabilityDetermination.objects.filter(is_official=True, year=2017)
    }
    run = _run(acc, personas.state_admin, year=2017)
    assert run.status == "done"
    assert run.official_count == 3  # Adams, Burke and Lynn were published for 2017
    kept = {
        d.school_id: (d.label, d.level, d.percentile, d.reason)
        for d in AccountabilityDetermination.objects.filter(is_official=True, year=2017)
    }
    assert kept == published
    adams = _computed(acc, year=2017).get(school=acc.school)
    assert adams.percentile == 40  # the published percentile is read as published
    assert "published_cumulative" not in adams.flags


def test_designations_are_inputs_of_the_levels(acc, personas):
    Designation.objects.create(
        school=acc.low, status="chronic", entered_year=2014, source=acc.source
    )
    _run(acc, personas.state_admin)
    det = _computed(acc).get(school=acc.low)
    assert (det.label, det.level) == ("Level 5", 5)
    assert det.reasons[0] == "Chronically underperforming school (designation)"
    assert "designation" in det.flags


def test_invalid_parameters_are_refused_naming_the_allowed_values(acc, personas):
    with pytest.raises(ValidationError) as caught:
        identification_run_create(
            state=acc.state,
            ruleset="ma-2012",
            year=2016,
            params={"cum_ppi_target": "lots", "colour": "red"},
            actor=personas.state_admin,
        )
    problems = caught.value.message_dict["params"]
    assert any("cum_ppi_target=lots is invalid" in p and "allowed: a number" in p for p in problems)
    assert any("no parameter 'colour'" in p and "cum_ppi_target" in p for p in problems)
    with pytest.raises(ValidationError) as caught:
        identification_run_create(
            state=acc.state, ruleset="ma-2099", year=1800, params={}, actor=personas.state_admin
        )
    assert "allowed: ca-csi-grad, essa-csi, ma-2012" in caught.value.message_dict["ruleset"][0]
    assert "between 1990 and 2100" in caught.value.message_dict["year"][0]
    assert not IdentificationRun.objects.exists()


def test_valid_parameters_are_kept_on_the_run_and_change_the_outcome(acc, personas):
    run = _run(acc, personas.state_admin, cum_ppi_target="30")
    assert run.params == {"cum_ppi_target": 30.0}
    assert _computed(acc).filter(level=1).exists()  # every school is now over the target


def test_parse_param_pairs():
    assert parse_param_pairs(["a=1", " b = x,y ", "# note", ""]) == {"a": "1", "b": "x,y"}
    with pytest.raises(ValidationError, match="NAME=VALUE"):
        parse_param_pairs(["nonsense"])


def test_one_run_per_state_at_a_time(acc, personas):
    queued = IdentificationRun.objects.create(state=acc.state, year=2016, ruleset="ma-2012")
    with pytest.raises(RunInProgress, match="already queued"):
        identification_run_create(
            state=acc.state, ruleset="essa-csi", year=2016, actor=personas.state_admin
        )
    queued.status = "done"
    queued.save()
    assert identification_run_create(
        state=acc.state, ruleset="essa-csi", year=2016, actor=personas.state_admin
    )


def test_a_year_without_data_fails_and_stores_nothing(acc, personas):
    run = _run(acc, personas.state_admin, year=2030)
    assert run.status == "failed"
    assert "No school results for MA in 2030" in run.message
    assert not AccountabilityDetermination.objects.filter(year=2030).exists()


def test_essa_run_flags_csi_atsi_and_tsi(acc, personas):
    run = _run(acc, personas.state_admin, ruleset="essa-csi")
    dets = list(_computed(acc, ruleset="essa-csi"))
    labels = {d.label for d in dets}
    assert "CSI" in labels and run.flagged_count >= 1
    csi = next(d for d in dets if d.label == "CSI")
    assert csi.reasons[0].startswith("CSI:")
    assert csi.years_in_status >= 1


def test_texas_run_reads_published_scores_and_pauses_not_rated_years(acc, personas):
    school = acc.schools[3]
    for year, label, score in (
        (2018, "Improvement Required", 55),
        (2019, "Not Rated", None),
        (2020, "F", 50),
        (2021, "F", 52),
    ):
        AccountabilityDetermination.objects.create(
            school=school,
            year=year,
            ruleset="tx-a-f",
            label=label,
            is_official=True,
            source=acc.source,
            inputs={} if score is None else {"score": score},
            years_in_status=1 if year == 2018 else None,  # the published C_YRS_IR
        )
    run = _run(acc, personas.state_admin, ruleset="tx-a-f", year=2021, covid_years_not_rated="2030")
    assert run.status == "done", run.message
    det = _computed(acc, ruleset="tx-a-f", year=2021).get(school=school)
    assert det.label == "F"
    assert det.years_in_status == 3  # 2018, 2020, 2021; 2019 not rated: paused
    assert run.flagged_count == 1
