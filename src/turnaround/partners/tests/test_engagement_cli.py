"""``turnaround partners engagements-import`` / ``engagements-export``: every problem reported by
row, column and value; all rows or none; a second run changes nothing; export re-imports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from turnaround.audit.models import AuditEvent
from turnaround.partners.models import Engagement, PriorityDesignation
from turnaround.partners.services.engagements import IMPORT_COLUMNS

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


def days(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


def row(**kw) -> dict[str, str]:
    out = {
        "partner": "Acme Turnaround Partners",
        "school_code": "00350002",
        "district_code": "",
        "need_area": "instruction",
        "scope": "Mathematics coaching, weekly",
        "starts_on": days(-10),
        "ends_on": days(200),
        "cost": "45000.00",
        "funding_source": "title_i_1003",
        "agreement_reference": "DSA-2026-14",
        "designation": "",
    }
    out.update(kw)
    return out


def write_csv(path, rows, columns=IMPORT_COLUMNS):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("partners", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def state(org):
    return (
        sorted(Engagement.objects.values_list("pk", "version")),
        AuditEvent.objects.filter(object_type="partners.Engagement").count(),
    )


def test_import_creates_then_a_second_run_changes_nothing(org, personas, tmp_path):
    path = write_csv(
        tmp_path / "e.csv",
        [
            row(),
            row(
                school_code="",
                district_code="01630000",
                need_area="district_systems",
                agreement_reference="",
                cost="",
                funding_source="",
            ),
        ],
    )
    status, out, err = run("engagements-import", str(path), "--as", "staff")
    assert status == 0, err
    assert "2 created, 0 updated, 0 unchanged" in out
    burke = Engagement.objects.get(school=org.school_hs)
    assert burke.cost == Decimal("45000.00") and burke.created_by == personas.state_staff
    lynn = Engagement.objects.get(district=org.district2)
    assert lynn.need_area == "district_systems" and lynn.cost is None
    before = state(org)

    status, out, err = run("engagements-import", str(path), "--as", "staff")
    assert status == 0, err
    assert "0 created, 0 updated, 2 unchanged" in out
    assert state(org) == before


def test_a_changed_row_updates_only_what_changed(org, personas, tmp_path):
    run("engagements-import", str(write_csv(tmp_path / "a.csv", [row()])), "--as", "staff")
    e = Engagement.objects.get(school=org.school_hs)
    path = write_csv(tmp_path / "b.csv", [row(cost="50000", scope="Coaching, twice a week")])
    status, out, err = run("engagements-import", str(path), "--as", "staff")
    assert status == 0, err
    assert "0 created, 1 updated" in out
    assert "cost: '45000.00' → '50000.00'" in out and "scope:" in out
    assert "ends_on" not in out
    e.refresh_from_db()
    assert e.version == 2 and e.cost == Decimal("50000.00")
    event = AuditEvent.objects.filter(action="update", object_id=str(e.pk)).get()
    assert set(event.changes) == {"cost", "scope"}


def test_every_problem_is_reported_and_nothing_is_written(org, personas, tmp_path):
    before = state(org)
    path = write_csv(
        tmp_path / "bad.csv",
        [
            row(),  # fine on its own: still not written
            row(partner="Nobody Inc", cost="-5"),
            row(school_code="RI-01-01"),  # a school in another state
            row(agreement_reference="", starts_on="01/09/2026"),
            row(need_area="magic", designation="maybe"),
            row(),  # repeats row 2
        ],
    )
    status, out, err = run("engagements-import", str(path), "--as", "staff")
    assert status == 1
    assert "nothing was imported" in err
    assert "row 3, column partner, value “Nobody Inc”: there is no partner" in err
    assert "row 4, column school_code, value “RI-01-01”: Providence Central is in Rhode Island" in (
        err
    )
    assert "row 3, column cost, value “-5”: The cost, -5, is negative" in err
    assert "row 5, column starts_on, value “01/09/2026”: this is not a date" in err
    assert "row 5, column agreement_reference" in err
    assert "row 2," not in err
    assert "row 6, column need_area, value “magic”" in err
    assert "row 6, column designation, value “maybe”" in err
    assert "row 7, column starts_on" in err and "repeats row 2" in err
    assert state(org) == before


def test_the_agreement_and_designation_dates_are_checked_by_row(org, personas, tmp_path):
    PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="instruction",
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        expires_on=timezone.localdate() + dt.timedelta(days=60),
    )
    path = write_csv(
        tmp_path / "d.csv",
        [
            row(agreement_reference=""),
            row(need_area="instruction", school_code="00350001", designation="yes"),
            row(need_area="leadership", designation="yes"),
        ],
    )
    before = state(org)
    status, out, err = run("engagements-import", str(path), "--as", "staff")
    assert status == 1
    assert "row 2, column agreement_reference, value “”: A school engagement needs" in err
    assert "row 3, column ends_on" in err and "falls outside the Priority Partner" in err
    assert "row 4, column designation, value “yes”: Acme Turnaround Partners has no Priority" in (
        err
    )
    assert state(org) == before


def test_a_district_leader_imports_for_their_district_only(org, personas, tmp_path):
    path = write_csv(tmp_path / "l.csv", [row(), row(school_code="01630001")])
    before = state(org)
    status, out, err = run("engagements-import", str(path), "--as", "district")
    assert status == 1
    assert "row 3, column school_code, value “01630001”: You may not record" in err
    assert "row 2" not in err
    assert state(org) == before


def test_refusals_before_reading_rows(org, personas, tmp_path):
    path = write_csv(tmp_path / "x.csv", [row()])
    status, _, err = run("engagements-import", str(path), "--as", "principal")
    assert status == 1 and "state staff and district leaders" in err
    status, _, err = run("engagements-import", str(path), "--as", "nobody")
    assert status == 2 and "No active user" in err
    status, _, err = run("engagements-import", str(tmp_path / "missing.csv"), "--as", "staff")
    assert status == 2 and "No file" in err
    odd = write_csv(
        tmp_path / "odd.csv", [{"partner": "Acme", "school": "x"}], ["partner", "school"]
    )
    status, _, err = run("engagements-import", str(odd), "--as", "staff")
    assert status == 1 and "lacks the columns" in err and "unknown column school" in err
    assert Engagement.objects.count() == 2


def test_dry_run_writes_nothing(org, personas, tmp_path):
    path = write_csv(tmp_path / "e.csv", [row()])
    status, out, _ = run("engagements-import", str(path), "--as", "staff", "--dry-run")
    assert status == 0 and "Would import 1 row: 1 created" in out
    assert Engagement.objects.count() == 2


def test_export_csv_and_xlsx_reimport_unchanged(org, personas, tmp_path):
    run("engagements-import", str(write_csv(tmp_path / "a.csv", [row()])), "--as", "staff")
    out_csv = tmp_path / "out.csv"
    status, out, err = run("engagements-export", "--state", "ma", "--output", str(out_csv))
    assert status == 0, err
    assert "Wrote 3 engagements of Massachusetts" in out
    with out_csv.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(IMPORT_COLUMNS)
    burke = next(r for r in rows if r["school_code"] == "00350002")
    assert burke["cost"] == "45000.00" and burke["funding_source"] == "title_i_1003"

    before = state(org)
    status, out, err = run("engagements-import", str(out_csv), "--as", "staff")
    assert status == 0, err
    assert "0 created, 0 updated, 3 unchanged" in out
    assert state(org) == before

    out_xlsx = tmp_path / "out.xlsx"
    status, _, err = run(
        "engagements-export", "--state", "MA", "--output", str(out_xlsx), "--as", "partner2"
    )
    assert status == 0, err
    sheet = load_workbook(out_xlsx).active
    assert [c.value for c in sheet[1]] == list(IMPORT_COLUMNS)
    assert sheet.max_row == 1  # the other partner's staff see none of these

    status, _, err = run("engagements-export", "--state", "ZZ", "--output", str(out_csv))
    assert status == 2 and "No state 'ZZ'" in err
    status, _, err = run("engagements-export", "--state", "MA", "--output", "x.txt")
    assert status == 2 and ".csv or .xlsx" in err
