"""Designations: confirmed from a determination, the lifecycle and its refusals, the 4% cap,
versions, audit, and years in status across paused years."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from turnaround.accountability.models import (
    AccountabilityDetermination,
    Designation,
)
from turnaround.accountability.services.designations import (
    designation_confirm,
    designation_escalate,
    designation_exit,
    designation_start,
    designation_transition,
    designation_update,
)
from turnaround.accountability.services.runs import identification_compute
from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError

pytestmark = pytest.mark.django_db


def _det(acc, school, label="CSI", ruleset="essa-csi", year=2016, **kw):
    return AccountabilityDetermination.objects.create(
        school=school, year=year, ruleset=ruleset, label=label, source=acc.source, **kw
    )


def test_confirm_from_a_flagged_determination(acc, personas):
    det = _det(acc, acc.low)
    d = designation_confirm(actor=personas.state_staff, determination=det, notes="board vote")
    assert (d.status, d.phase, d.entered_year, d.eligible_exit_year) == (
        "csi",
        "identified",
        2016,
        2019,
    )
    assert d.determination == det and d.ruleset == "essa-csi"
    assert d.confirmed_by == personas.state_staff and d.confirmed_at is not None
    assert d.exit_criteria == [{"kind": "status_not", "labels": ["CSI"], "years": 2}]
    event = AuditEvent.objects.get(object_type="accountability.Designation", action="create")
    assert event.changes["determination"] == det.pk and event.actor == personas.state_staff


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("state_admin", True),
        ("state_staff", True),
        ("district_leader", False),
        ("school_leader", False),
        ("viewer", False),
        ("ta_provider", False),
        ("partner_staff", False),
        ("other_state_admin", False),
        ("outsider", False),
    ],
)
def test_only_state_staff_confirm(acc, personas, who, allowed):
    det = _det(acc, acc.school)
    if allowed:
        designation_confirm(actor=getattr(personas, who), determination=det)
        assert Designation.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            designation_confirm(actor=getattr(personas, who), determination=det)
        assert not Designation.objects.exists()


def test_confirm_refusals_name_the_problem_and_write_nothing(acc, personas):
    not_flagged = _det(acc, acc.low, label="Not identified")
    with pytest.raises(ValidationError) as caught:
        designation_confirm(actor=personas.state_admin, determination=not_flagged)
    assert "does not flag the school" in caught.value.message_dict["status"][0]
    det = _det(acc, acc.low, year=2017)
    designation_confirm(actor=personas.state_admin, determination=det)
    with pytest.raises(ValidationError) as caught:
        designation_confirm(actor=personas.state_admin, determination=det)
    assert "already designated" in caught.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as caught:
        designation_confirm(
            actor=personas.state_admin, determination=det, status="tsi", eligible_exit=2017
        )
    assert "must be after the year entered" in caught.value.message_dict["eligible_exit_year"][0]
    with pytest.raises(ValidationError, match="unknown status"):
        designation_confirm(actor=personas.state_admin, determination=det, status="nope")
    assert Designation.objects.count() == 1


def test_the_four_percent_cap_needs_an_override_note(acc, personas):
    # 20 open schools in the state: 4% allows no Level 4 or 5 at all
    det = _det(acc, acc.low, label="Level 3", level=3, ruleset="ma-2012")
    with pytest.raises(ValidationError) as caught:
        designation_confirm(actor=personas.state_admin, determination=det)
    assert "may not exceed 4%" in caught.value.message_dict["override_note"][0]
    d = designation_confirm(
        actor=personas.state_admin, determination=det, override_note="Board vote of 12 May"
    )
    assert d.status == "underperforming" and "Cap override: Board vote" in d.notes


def test_lifecycle_identified_in_turnaround_exited(acc, personas):
    d = designation_confirm(actor=personas.state_admin, determination=_det(acc, acc.low))
    d = designation_start(actor=personas.state_staff, designation=d, expected_version=1)
    assert (d.phase, d.version) == ("in_turnaround", 2)
    d = designation_exit(
        actor=personas.state_staff,
        designation=d,
        exited_year=2019,
        reason="Out of the lowest 5% two years running",
        expected_version=2,
    )
    d.refresh_from_db()
    assert (d.phase, d.exited_year, d.version) == ("exited", 2019, 3)
    actions = list(
        AuditEvent.objects.filter(object_id=str(d.pk), object_type="accountability.Designation")
        .order_by("at", "pk")
        .values_list("action", "changes")
    )
    assert [a for a, _ in actions] == ["create", "update", "update"]
    assert actions[1][1]["phase"] == ["identified", "in_turnaround"]
    assert actions[2][1]["exited_year"] == [None, 2019]


def test_invalid_transitions_are_refused_with_clear_messages(acc, personas):
    d = designation_confirm(actor=personas.state_admin, determination=_det(acc, acc.low))
    with pytest.raises(ValidationError, match="must be after the year entered"):
        designation_exit(actor=personas.state_admin, designation=d, exited_year=2016, reason="x")
    with pytest.raises(ValidationError, match="Say why"):
        designation_exit(actor=personas.state_admin, designation=d, exited_year=2018, reason=" ")
    designation_exit(actor=personas.state_admin, designation=d, exited_year=2018, reason="met")
    for call in (
        lambda: designation_start(actor=personas.state_admin, designation=d),
        lambda: designation_exit(
            actor=personas.state_admin, designation=d, exited_year=2019, reason="again"
        ),
        lambda: designation_escalate(
            actor=personas.state_admin, designation=d, year=2019, reason="worse"
        ),
    ):
        with pytest.raises(ValidationError, match="exited in 2018, so it cannot"):
            call()
    with pytest.raises(ValidationError, match="unknown action 'close'"):
        designation_transition(actor=personas.state_admin, designation=d, action="close")
    tx = designation_confirm(
        actor=personas.state_admin,
        determination=_det(acc, acc.school, label="F", ruleset="tx-a-f", years_in_status=2),
    )
    assert tx.status == "tx_turnaround"
    with pytest.raises(ValidationError, match="no more severe status"):
        designation_escalate(actor=personas.state_admin, designation=tx, year=2018, reason="x")


def test_start_twice_is_refused(acc, personas):
    d = designation_confirm(actor=personas.state_admin, determination=_det(acc, acc.low))
    designation_start(actor=personas.state_admin, designation=d)
    with pytest.raises(ValidationError, match="already in turnaround"):
        designation_start(actor=personas.state_admin, designation=d)


def test_escalation_opens_the_more_severe_status(acc, personas):
    d = designation_confirm(
        actor=personas.state_admin,
        determination=_det(acc, acc.low, label="Level 3", level=3, ruleset="ma-2012"),
        override_note="test",
    )
    new = designation_escalate(
        actor=personas.state_admin, designation=d, year=2019, reason="plan goals not met"
    )
    d.refresh_from_db()
    assert (d.phase, d.exited_year) == ("escalated", 2019)
    assert d.exit_reason.startswith("Escalated to Chronically underperforming")
    assert (new.status, new.phase, new.entered_year, new.escalated_from) == (
        "chronic",
        "identified",
        2019,
        d,
    )
    assert d.escalated_to == new


def test_stale_versions_are_refused(acc, personas):
    d = designation_confirm(actor=personas.state_admin, determination=_det(acc, acc.low))
    designation_update(actor=personas.state_admin, designation=d, expected_version=1, notes="a")
    with pytest.raises(StaleEditError, match="changed by someone else"):
        designation_start(actor=personas.state_staff, designation=d, expected_version=1)
    d.refresh_from_db()
    assert (d.phase, d.version, d.notes) == ("identified", 2, "a")


def test_exit_criteria_are_validated(acc, personas):
    d = designation_confirm(actor=personas.state_admin, determination=_det(acc, acc.low))
    with pytest.raises(ValidationError) as caught:
        designation_update(
            actor=personas.state_admin,
            designation=d,
            expected_version=1,
            exit_criteria=[{"kind": "vibes"}, {"kind": "median_sgp", "low": 120, "colour": 1}],
        )
    problems = caught.value.message_dict["exit_criteria"]
    assert any("unknown kind 'vibes'; allowed: annual_goals, median_sgp" in p for p in problems)
    assert any("low=120 is invalid" in p and "from 1 to 99" in p for p in problems)
    assert any("unknown parameter 'colour'; allowed: low, high" in p for p in problems)
    d = designation_update(
        actor=personas.state_admin,
        designation=d,
        expected_version=1,
        exit_criteria=[{"kind": "median_sgp", "low": "45", "high": "60", "groups": "all"}],
    )
    assert d.exit_criteria == [
        {
            "kind": "median_sgp",
            "low": 45.0,
            "high": 60.0,
            "subjects": ["ELA", "MATH"],
            "groups": ["all"],
            "min_n": 20,
        }
    ]


def test_legacy_rows_with_an_exit_year_are_exited(acc):
    d = Designation.objects.create(
        school=acc.low,
        status="underperforming",
        entered_year=2012,
        exited_year=2015,
        source=acc.source,
    )
    assert d.phase == "exited" and not d.is_open
    assert d.years_in_status(2017) == 3
    assert d.years_in_status(2017, paused_years=[2013]) == 2


def test_years_in_status_leave_out_years_without_ratings(acc, personas):
    # the state has tx-a-f determinations for 2018 and 2021 only: 2019 and 2020 are gaps;
    # the school was Not Rated in 2022
    school = acc.schools[5]
    other = acc.schools[6]
    for year in (2018, 2021):
        _det(acc, other, label="B", ruleset="tx-a-f", year=year, is_official=True)
    _det(acc, school, label="F", ruleset="tx-a-f", year=2018, years_in_status=2, is_official=True)
    _det(acc, school, label="Not Rated", ruleset="tx-a-f", year=2022, is_official=True)
    _det(acc, other, label="C", ruleset="tx-a-f", year=2023, is_official=True)
    d = designation_confirm(
        actor=personas.state_admin,
        determination=AccountabilityDetermination.objects.get(school=school, year=2018),
    )
    from turnaround.accountability.board import board_rows
    from turnaround.accountability.filters import BoardFilters

    year, rows = board_rows(personas.state_admin, acc.state, BoardFilters(year=2023))
    row = next(r for r in rows if r.designation == d)
    assert year == 2023
    assert row.years.paused == (2019, 2020, 2022)
    assert row.years.count == 3  # 2018, 2021, 2023


def test_run_then_confirm_from_the_review(acc, personas):
    run = identification_compute(
        actor=personas.state_admin, state=acc.state, ruleset="essa-csi", year=2016
    )
    from turnaround.accountability.selectors import run_review_rows

    rows = run_review_rows(run)
    assert rows and all(r.candidate for r in rows)
    assert len(rows) == run.flagged_count
    first = rows[0]
    d = designation_confirm(actor=personas.state_admin, determination=first.determination)
    assert d.status == first.candidate.status
    again = {r.determination.pk: r for r in run_review_rows(run)}
    assert again[first.determination.pk].open_designation == d
