"""``turnaround plans export``: a state's plans in bulk, all files or none."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from turnaround.plans.models import PlanStatus
from turnaround.plans.tests.factories import make_plan


@pytest.fixture
def plans(org):
    return {
        "adams": make_plan(school=org.school, status=PlanStatus.STATE_APPROVED),
        "burke": make_plan(school=org.school_hs, first_year=2026, last_year=2028),
        "lynn": make_plan(district=org.district2, status=PlanStatus.STATE_APPROVED),
        "providence": make_plan(school=org.school_other_state),  # another state
    }


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("plans", "export", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_pdf_per_plan(plans, tmp_path):
    target = tmp_path / "out"
    out, _ = _run("--state", "MA", "--output", str(target))
    assert sorted(p.name for p in target.iterdir()) == [
        "00350001-2026-2029.pdf",
        "00350002-2025-2028.pdf",
        "01630000-2026-2029.pdf",
    ]
    assert all(p.read_bytes().startswith(b"%PDF") for p in target.iterdir())
    lines = out.splitlines()
    assert lines[0].startswith("[1/3] 00350001 Adams Elementary — Turnaround plan 2026–2029")
    assert lines[0].endswith(": 00350001-2026-2029.pdf")
    assert lines[2].startswith("[3/3] 01630000 Lynn")
    assert "Exported 3 plan(s)" in lines[-1]


def test_a_status_filter_and_an_existing_directory(plans, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    out, _ = _run(
        "--state", "ma", "--status", "state_approved", "--format", "pdf", "--output", str(tmp_path)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "00350001-2026-2029.pdf",
        "01630000-2026-2029.pdf",
        "keep.txt",
    ]
    assert "with status state_approved" in out


def test_csv_tables_cover_every_plan_with_organisation_columns(plans, tmp_path):
    out, _ = _run("--state", "MA", "--format", "csv", "--output", str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "MA-plan-actions.csv",
        "MA-plan-benchmarks.csv",
        "MA-plan-goals.csv",
    ]
    text = (tmp_path / "MA-plan-goals.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["School code"], r["District code"]) for r in rows] == [
        ("00350001", "00350000"),
        ("00350002", "00350000"),
        ("", "01630000"),
    ]
    # targets for every school year any plan covers, blank outside a plan's period
    assert rows[1]["Target 2025–26"] == "26.0"
    assert rows[0]["Target 2025–26"] == ""
    assert rows[0]["Target 2028–29"] == "36.0"
    assert "[2/3] 00350002 Burke High" in out
    assert "1 goals, 2 benchmarks, 1 actions" in out


def test_xlsx_tables(plans, tmp_path):
    _run("--state", "MA", "--format", "xlsx", "--output", str(tmp_path))
    ws = load_workbook(tmp_path / "MA-plan-benchmarks.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 1 + 3 * 2
    assert rows[1][3] == "00350001"


def test_an_unknown_state_is_named(plans, tmp_path):
    with pytest.raises(CommandError) as exc:
        _run("--state", "ZZ", "--output", str(tmp_path / "out"))
    assert str(exc.value) == "No state with the code “ZZ”. Known states: MA, RI."
    assert not (tmp_path / "out").exists()


def test_an_unwritable_output_is_refused(plans, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(CommandError) as exc:
        _run("--state", "MA", "--output", str(blocker))
    assert "it is a file, not a directory" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        _run("--state", "MA", "--output", str(blocker / "sub"))
    assert f"Cannot write to {blocker / 'sub'}" in str(exc.value)
    assert "Choose a directory you can write to." in str(exc.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_failure_writes_nothing(plans, tmp_path, monkeypatch):
    from turnaround.plans import pdf

    calls = []

    def flaky(plan, **kwargs):
        calls.append(plan.pk)
        if len(calls) == 2:
            raise RuntimeError("renderer crashed")
        return b"%PDF-1.7 fake"

    monkeypatch.setattr(pdf, "render_plan_pdf", flaky)
    target = tmp_path / "out"
    with pytest.raises(RuntimeError):
        _run("--state", "MA", "--output", str(target))
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary directory left behind either
    existing = tmp_path / "existing"
    existing.mkdir()
    calls.clear()
    with pytest.raises(RuntimeError):
        _run("--state", "MA", "--output", str(existing))
    assert list(existing.iterdir()) == []


def test_no_plans_writes_nothing(plans, tmp_path):
    out, _ = _run("--state", "MA", "--status", "returned", "--output", str(tmp_path / "out"))
    assert "No plans in MA with status returned; nothing written." in out
    assert not Path(tmp_path / "out").exists()


def test_the_command_line_entry_point(plans, tmp_path, capsys):
    from turnaround.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["plans", "export", "--state", "XX", "--output", str(tmp_path)])
    assert exc.value.code != 0
    assert "No state with the code “XX”" in capsys.readouterr().err
