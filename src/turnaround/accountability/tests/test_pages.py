"""Pages: each renders with its content, filters work, forms act through the services, exports
download, and the board's number of queries does not grow with the number of schools."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from turnaround.accountability.models import (
    AccountabilityDetermination,
    Designation,
    ExitReview,
    IdentificationRun,
)
from turnaround.accountability.services.runs import identification_compute
from turnaround.core.testing import described_by
from turnaround.organizations.models import School

pytestmark = pytest.mark.django_db


@pytest.fixture
def ran(acc, personas):
    run = identification_compute(
        actor=personas.state_admin, state=acc.state, ruleset="essa-csi", year=2016
    )
    assert run.status == "done", run.message
    return run


def _designate(acc, school, status="csi", entered=2015, **kw):
    return Designation.objects.create(
        school=school, status=status, entered_year=entered, ruleset="essa-csi", **kw
    )


def test_runs_page_starts_a_run_and_shows_progress_and_results(acc, personas, client_for):
    client = client_for(personas.state_staff)
    page = client.get("/states/MA/accountability/runs/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<h1>Identification runs: Massachusetts</h1>" in text
    assert 'name="ruleset"' in text and "cum_ppi_target" in text
    response = client.post(
        "/states/MA/accountability/runs/new/",
        {"state": acc.state.pk, "ruleset": "ma-2012", "year": "2016", "params": "l3_percentile=30"},
    )
    run = IdentificationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/accountability/runs/{run.pk}/"
    assert run.status == "done" and run.params == {"l3_percentile": 30}
    detail = client.get(f"/accountability/runs/{run.pk}/").content.decode()
    assert "Evaluated 19 schools" in detail and "What this run changed" in detail
    assert "<code>l3_percentile=30</code>" in detail
    fragment = client.get(
        f"/accountability/runs/{run.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="run-progress"
    )
    assert fragment.content.decode().lstrip().startswith('<section id="run-progress"')


def test_runs_page_refuses_bad_parameters_naming_allowed_values(acc, personas, client_for):
    client = client_for(personas.state_admin)
    response = client.post(
        "/states/MA/accountability/runs/new/",
        {"state": acc.state.pk, "ruleset": "ma-2012", "year": "2016", "params": "ties=exclude"},
    )
    assert response.status_code == 422
    assert (
        "ma-2012 has no parameter &#x27;ties&#x27;; allowed: cum_ppi_target"
        in response.content.decode()
    )
    assert not IdentificationRun.objects.exists()


def test_review_page_lists_flagged_schools_and_confirms(acc, personas, client_for, ran):
    client = client_for(personas.state_staff)
    page = client.get(f"/accountability/runs/{ran.pk}/review/")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"{ran.flagged_count} school" in text and "CSI: lowest 5% of Title I schools" in text
    det = AccountabilityDetermination.objects.filter(run=ran, label="CSI").first()
    response = client.post(
        f"/accountability/runs/{ran.pk}/review/",
        {"determination": det.pk, "status": "csi", "entered_year": "2016", "notes": "vote"},
    )
    assert response.status_code == 302
    d = Designation.objects.get(school=det.school)
    assert (d.status, d.phase, d.determination) == ("csi", "identified", det)
    refused = client.post(
        f"/accountability/runs/{ran.pk}/review/",
        {"determination": det.pk, "status": "csi", "entered_year": "2016"},
    )
    assert refused.status_code == 422 and "already designated" in refused.content.decode()


def test_board_lists_schools_in_status_with_reasons_trend_and_filters(
    acc, personas, client_for, ran
):
    low = AccountabilityDetermination.objects.filter(run=ran, label="CSI").first().school
    _designate(acc, low, entered=2014)
    _designate(acc, acc.schools[7], status="tsi", entered=2016)
    _designate(acc, acc.schools[8], entered=2012, exited_year=2015)  # not in force in 2016
    client = client_for(personas.viewer)
    text = client.get("/states/MA/accountability/?year=2016").content.decode()
    assert "2 schools in a status in 2016" in text
    assert low.name in text and "CSI: lowest 5%" in text
    assert 'class="sparkline" role="img" aria-label="Summative index of' in text
    assert acc.schools[8].name not in text
    only_tsi = client.get("/states/MA/accountability/?year=2016&status=tsi").content.decode()
    assert "1 school in a status" in only_tsi and low.name not in only_tsi
    bad = client.get("/states/MA/accountability/?status=purple")
    assert bad.status_code == 400 and "unknown value &#x27;purple&#x27;" in bad.content.decode()
    # the error describes its control; the others describe nothing
    [(error_id, error)] = described_by(bad.content.decode(), "f-status").items()
    assert error_id == "f-status-error" and "purple" in error
    assert described_by(bad.content.decode(), "f-year") == {}


def test_board_query_count_does_not_grow_with_schools(acc, personas, client_for, ran):
    client = client_for(personas.state_admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/states/MA/accountability/?year=2016").status_code == 200
        return len(ctx.captured_queries)

    for school in acc.schools[:5]:
        _designate(acc, school, entered=2014)
    few = count()
    extra = [
        School(district=acc.district, code=f"0088{i:04d}", name=f"Extra {i}", school_type="ES")
        for i in range(60)
    ]
    School.objects.bulk_create(extra)
    Designation.objects.bulk_create(
        [
            Designation(school=s, status="csi", entered_year=2014, ruleset="essa-csi")
            for s in School.objects.filter(code__startswith="0088")
        ]
    )
    AccountabilityDetermination.objects.bulk_create(
        [
            AccountabilityDetermination(
                school=s,
                year=y,
                ruleset="essa-csi",
                label="CSI",
                source=acc.source,
                inputs={"values": {"index": 40.0 + y % 7}},
            )
            for s in School.objects.filter(code__startswith="0088")
            for y in range(2012, 2017)
        ]
    )
    many = count()
    assert many <= few + 2, (few, many)
    assert few < 30


def test_board_export_csv_and_xlsx(acc, personas, client_for, ran):
    low = AccountabilityDetermination.objects.filter(run=ran, label="CSI").first().school
    _designate(acc, low, entered=2014)
    client = client_for(personas.state_admin)
    response = client.get("/states/MA/accountability/board.csv?year=2016")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["District", "School", "School code"]
    assert rows[1][1] == low.name and rows[1][2] == low.code and rows[1][6] == "3"
    xlsx = client.get("/states/MA/accountability/board.xlsx?year=2016")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(2, 2).value == low.name
    dets = client.get("/states/MA/accountability/determinations.csv?year=2016&ruleset=essa-csi")
    lines = b"".join(dets.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("State,District,District code,School,School code,Year")
    assert len(lines) == 1 + 19
    run_csv = client.get(f"/accountability/runs/{ran.pk}/determinations.csv")
    assert len(b"".join(run_csv.streaming_content).decode().splitlines()) == 20


def test_designation_page_transitions_and_criteria(acc, personas, client_for):
    d = _designate(acc, acc.low, phase="identified")
    client = client_for(personas.state_admin)
    text = client.get(f"/accountability/designations/{d.pk}/").content.decode()
    assert "Change the phase" in text and "Escalate to CSI not exiting" in text
    response = client.post(
        f"/accountability/designations/{d.pk}/",
        {"action": "start", "version": d.version},
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert d.phase == "in_turnaround"
    stale = client.post(
        f"/accountability/designations/{d.pk}/",
        {"action": "exit", "year": "2017", "reason": "x", "version": 1},
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.content.decode()
    bad = client.post(
        f"/accountability/designations/{d.pk}/",
        {"action": "exit", "year": "2014", "reason": "x", "version": d.version},
    )
    assert (
        bad.status_code == 422 and "must be after the year entered (2015)" in bad.content.decode()
    )
    criteria = client.get(f"/accountability/designations/{d.pk}/criteria/")
    assert (
        criteria.status_code == 200
        and "Median student growth percentile in range" in criteria.content.decode()
    )
    response = client.post(
        f"/accountability/designations/{d.pk}/criteria/",
        {
            "version": d.version,
            "median_sgp__on": "on",
            "median_sgp__low": "40",
            "median_sgp__subjects": "ELA, MATH",
            "median_sgp__groups": "all",
            "median_sgp__min_n": "20",
        },
    )
    assert response.status_code == 302
    d.refresh_from_db()
    assert [c["kind"] for c in d.exit_criteria] == ["median_sgp"]
    refused = client.post(
        f"/accountability/designations/{d.pk}/criteria/",
        {"version": d.version, "median_sgp__on": "on", "median_sgp__low": "400"},
    )
    assert (
        refused.status_code == 422 and "low=&#x27;400&#x27; is invalid" in refused.content.decode()
    )


def test_exit_review_page_shows_evidence_and_records_the_decision(acc, personas, client_for):
    school = acc.schools[12]
    d = _designate(acc, school, status="underperforming", entered=2013)
    Designation.objects.filter(pk=d.pk).update(
        exit_criteria=[{"kind": "median_sgp", "low": 40}, {"kind": "annual_goals"}],
        ruleset="ma-2012",
    )
    client = client_for(personas.state_staff)
    page = client.get(f"/accountability/designations/{d.pk}/exit-review/?year=2016")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Evidence for 2016" in text and "1</strong> met" in text
    assert "no plan goal has a target for 2016" in text
    assert "59 (n = 110) ≥ 40" in text
    response = client.post(
        f"/accountability/designations/{d.pk}/exit-review/",
        {
            "review_year": "2016",
            "decision": "exit",
            "rationale": "Sustained growth.",
            "version": d.version,
        },
    )
    review = ExitReview.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/accountability/exit-reviews/{review.pk}/"
    )
    d.refresh_from_db()
    assert d.phase == "exited" and d.exited_year == 2017
    detail = client.get(f"/accountability/exit-reviews/{review.pk}/").content.decode()
    assert "Sustained growth." in detail and "Evidence as it stood" in detail


def test_school_history_and_cohorts_pages(acc, personas, client_for, ran):
    d = _designate(acc, acc.low, entered=2011, exited_year=2014)
    _designate(acc, acc.schools[1], entered=2011)
    client = client_for(personas.school_leader)
    history = client.get(f"/schools/{acc.school.pk}/accountability/")
    assert history.status_code == 200 and "Rule set ma-2012" in history.content.decode()
    client = client_for(personas.state_admin)
    text = client.get(f"/schools/{acc.low.pk}/accountability/").content.decode()
    assert (
        "Rule set essa-csi" in text
        and "Exited" in text
        and f"/accountability/designations/{d.pk}/" in text
    )
    cohorts = client.get("/states/MA/accountability/cohorts/?year=2011&through=2016")
    text = cohorts.content.decode()
    assert cohorts.status_code == 200
    assert "Comprehensive support and improvement (CSI): 2 schools designated in 2011" in text
    assert 'data-vega-spec="survival-spec"' in text and '"share": 50.0' in text
    assert "Still in the status in 2016 (1):" in text
    export = client.get("/states/MA/accountability/cohorts.csv?year=2011&through=2016")
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Status,Cohort year,Year") and len(lines) == 1 + 6
