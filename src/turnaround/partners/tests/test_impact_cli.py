"""``turnaround partners impact``: the table it prints, its progress lines and its errors."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from turnaround.audit.models import AuditEvent
from turnaround.partners.models import ImpactEstimate
from turnaround.partners.tests.test_impact_service import build_impact_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def impact_state(org):
    return build_impact_state(org)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("partners", "impact", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def test_state_run_prints_a_table_and_a_progress_line_per_partner(org, impact_state):
    status, out, err = run("--state", "ma")
    assert status == 0, err
    assert "[1/2] Acme Turnaround Partners …" in err
    assert "[2/2] Other Partner …" in err
    assert "Computed 2 partner(s) in " in err
    lines = out.splitlines()
    header = lines[0]
    for column in (
        "Partner",
        "Area",
        "Outcome",
        "Estimate [95% CI]",
        "n (engaged/comparison)",
        "Pre-trend p",
    ):
        assert column in header
    ela = next(
        line
        for line in lines
        if line.startswith("Acme Turnaround Partners  All areas")
        and "Achievement, ELA (CPI)" in line
    )
    stored = ImpactEstimate.objects.get(
        partner=org.partner, need_area="", outcome="achievement_ela"
    )
    assert f"{stored.estimate:+.1f} [{stored.ci_low:+.1f} to {stored.ci_high:+.1f}]" in ela
    assert f"{stored.n_treated}/{stored.n_comparison}" in ela
    assert f"{stored.pretrend_p_value:.2f}" in ela
    # the columns line up
    assert ela.index("Achievement") == header.index("Outcome")
    refusal = next(line for line in lines if line.startswith("Other Partner") and "ELA" in line)
    assert "no estimate: Only 2 engaged schools have results before and after engagement" in refusal
    assert "30 estimate(s) stored for Massachusetts: 12 estimated, 18 refused." in out
    assert ImpactEstimate.objects.count() == 30
    event = AuditEvent.objects.get(object_type="partners.ImpactEstimate")
    assert event.actor is None and event.actor_label == "system"


def test_one_partner_and_area(org, impact_state):
    status, out, err = run(
        "--state", "MA", "--partner", "acme turnaround partners", "--area", "instruction"
    )
    assert status == 0, err
    assert "[1/1] Acme Turnaround Partners …" in err
    rows = [line for line in out.splitlines()[1:] if line.startswith("Acme")]
    assert len(rows) == 6 and all("Instruction" in r for r in rows)
    assert set(ImpactEstimate.objects.values_list("need_area", flat=True)) == {"instruction"}
    assert "6 estimate(s) stored for Massachusetts, instruction: 6 estimated, 0 refused." in out


def test_errors_say_what_to_do(org, impact_state):
    status, _, err = run("--state", "ZZ")
    assert status == 2 and "No state with the code 'ZZ'; known states: MA, RI." in err
    status, _, err = run("--state", "MA", "--area", "cooking")
    assert status == 2 and "'cooking' is not a need area; choose one of" in err
    status, _, err = run("--state", "MA", "--partner", "Nobody")
    assert status == 2
    assert "No partner named 'Nobody'. Partners with engagements in MA: " in err
    assert "Acme Turnaround Partners; Other Partner" in err
    assert not ImpactEstimate.objects.exists()


def test_a_state_without_engagements(org):
    status, out, err = run("--state", "RI")
    assert status == 0, err
    assert "No partner has engagements in Rhode Island: nothing to estimate." in out
