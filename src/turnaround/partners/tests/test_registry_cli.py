"""``turnaround partners import`` and ``export``: a good file, a bad file (every problem reported,
nothing written), re-importing the same file (nothing changes), and the exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from turnaround.audit.models import AuditEvent
from turnaround.organizations.models import PartnerOrganization
from turnaround.partners.management.commands.partners import Command
from turnaround.partners.models import PriorityDesignation, ServiceOffering

pytestmark = pytest.mark.django_db

HEADER = "name,website,description,cost_model,grade_bands,regions,need_areas,service_description\n"
GOOD = HEADER + (
    "Bright Futures,https://bright.example.org,Leadership coaching,per_school,"
    "elementary;middle,Boston;statewide,leadership;data_use,Coaching and data meetings\n"
    "acme turnaround partners,,Instructional coaching,,high,,instruction,Coaching cycles\n"
    "Quiet Partner,,,,,,,\n"
)


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("partners", *args, stdout=out, stderr=err)
        status = 0
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "partners.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_a_good_file(org, tmp_path):
    status, out, err = run("import", write(tmp_path, GOOD))
    assert status == 0, err
    assert "  created  Bright Futures" in out
    assert "updated  Acme Turnaround Partners (description, grade_bands, service " in out
    assert "created  Quiet Partner" in out
    assert "Imported 3 rows: 2 created, 1 updated, 0 unchanged." in out
    bright = PartnerOrganization.objects.get(name="Bright Futures")
    assert bright.grade_bands == ["elementary", "middle"]
    assert bright.regions == ["Boston", "statewide"]
    assert sorted(bright.services.values_list("need_area", flat=True)) == [
        "data_use",
        "leadership",
    ]
    org.partner.refresh_from_db()
    assert org.partner.name == "Acme Turnaround Partners"  # matched ignoring case
    assert org.partner.description == "Instructional coaching"
    assert org.partner.grade_bands == ["high"]
    assert org.partner.services.get().description == "Coaching cycles"
    assert AuditEvent.objects.filter(actor_label="system").exists()


def test_reimporting_the_same_file_changes_nothing(org, tmp_path):
    path = write(tmp_path, GOOD)
    assert run("import", path)[0] == 0
    versions = dict(PartnerOrganization.objects.values_list("name", "version"))
    services = list(ServiceOffering.objects.order_by("pk").values())
    events = AuditEvent.objects.count()
    status, out, _ = run("import", path)
    assert status == 0
    assert "Imported 3 rows: 0 created, 0 updated, 3 unchanged." in out
    assert dict(PartnerOrganization.objects.values_list("name", "version")) == versions
    assert list(ServiceOffering.objects.order_by("pk").values()) == services
    assert AuditEvent.objects.count() == events


def test_a_bad_file_reports_every_problem_and_writes_nothing(org, tmp_path):
    bad = HEADER + (
        "Fine Partner,https://fine.example.org,,,,,,\n"
        "Broken,htp:/x,,per_hour,college,,gardening;instruction,\n"
        ",,,,,,,\n"
        "No Name Row,,,,,,,Orphan description\n"
        "fine partner,,,,,,,\n"
        ",https://nameless.example.org,,,,,,\n"
    )
    status, out, err = run("import", write(tmp_path, bad))
    assert status == 1 and out == ""
    assert 'row 3, column website, value "htp:/x": ' in err
    assert 'row 3, column cost_model, value "per_hour": ' in err
    assert 'row 3, column grade_bands, value "college": ' in err
    assert 'row 3, column need_areas, value "gardening;instruction": “gardening”' in err
    assert 'row 3, column service_description, value "": the row lists need areas' in err
    assert 'row 5, column service_description, value "Orphan description": ' in err
    assert 'row 6, column name, value "fine partner": the same partner is on row 2' in err
    assert 'row 7, column name, value "": Give the name.' in err
    assert "8 problems; nothing was written." in err
    assert PartnerOrganization.objects.count() == 2  # not even the good row
    assert not ServiceOffering.objects.exists()


def test_a_bad_header_is_refused(org, tmp_path):
    status, _, err = run("import", write(tmp_path, "nom,website\nAcme,\n"))
    assert status == 1
    assert 'row 1, column nom, value "nom": not a column of the layout' in err
    assert "the header has no name column" in err
    assert run("import", str(tmp_path / "missing.csv"))[0] == 2


def test_a_dry_run_writes_nothing(org, tmp_path):
    status, out, _ = run("import", write(tmp_path, GOOD), "--dry-run")
    assert status == 0 and "Dry run, nothing written: 2 created, 1 updated" in out
    assert PartnerOrganization.objects.count() == 2


def test_the_help_documents_the_column_layout():
    parser = Command().create_parser("turnaround", "partners")
    sub = next(a for a in parser._actions if a.dest == "action")
    text = " ".join(sub.choices["import"].format_help().split())
    for column in ("service_description", "need_areas", "grade_bands", "elementary;middle;high"):
        assert column in text
    assert "row N, column C, value V" in text


def test_export_csv_and_xlsx(org, tmp_path):
    today = timezone.localdate()
    PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="instruction",
        starts_on=today - dt.timedelta(days=5),
        expires_on=today + dt.timedelta(days=300),
        evidence_tier=1,
    )
    out_csv = tmp_path / "ma.csv"
    status, out, _ = run(
        "export", "--format", "csv", "--output", str(out_csv), "--state", "MA", "--priority-only"
    )
    assert status == 0 and "Wrote 1 partner (designations in MA)" in out
    rows = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8-sig"))))
    assert [r[0] for r in rows] == ["Name", "Acme Turnaround Partners"]
    assert "★ evidence-based" in rows[1][8]
    assert run("export", "--output", str(out_csv), "--state", "RI", "--priority-only")[
        1
    ].startswith("Wrote 0 partners")
    out_xlsx = tmp_path / "all.xlsx"
    assert run("export", "--format", "xlsx", "--output", str(out_xlsx))[0] == 0
    sheet = load_workbook(out_xlsx).active
    assert [r[0] for r in sheet.iter_rows(values_only=True)] == [
        "Name",
        "Acme Turnaround Partners",
        "Other Partner",
    ]
    status, _, err = run("export", "--output", str(out_csv), "--state", "ZZ")
    assert status == 2 and "No state 'ZZ'" in err
