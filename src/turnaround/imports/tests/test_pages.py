"""The import pages: the list, a new import, the job page from check to commit, the problem
table, the template downloads, and who may see them (state administrators only)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from turnaround.imports.models import ImportJob
from turnaround.imports.tests.conftest import GOOD_ROWS, csv_text
from turnaround.performance.models import AssessmentResult

pytestmark = pytest.mark.django_db

OTHERS = (
    "state_staff",
    "ta_provider",
    "viewer",
    "district_leader",
    "school_leader",
    "partner_staff",
    "outsider",
)


def upload(client, state, text: str | bytes, name: str = "results.csv", **extra):
    content = text.encode() if isinstance(text, str) else text
    data = {
        "state": state.pk,
        "reader": "results-template",
        "year": "",
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        **extra,
    }
    return client.post(reverse("imports:new"), data)


@pytest.fixture
def admin(personas, client_for):
    return client_for(personas.state_admin)


def test_the_list_and_the_new_import_page(admin, org, data_dir):
    """The page names every format with its description and offers the template."""
    page = admin.get(reverse("imports:list"))
    assert page.status_code == 200
    assert 'href="/imports/"' in page.content.decode()  # the navigation entry
    assert "No imports yet." in page.content.decode()
    page = admin.get(reverse("imports:new"))
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<h1") == 1
    assert "Results template (CSV or XLSX)" in html
    assert 'for="reader-results-template"' in html
    assert reverse("imports:template", args=["xlsx"]) in html
    assert "<code>pct_level_4</code>" in html and "below_reporting_n" in html


def test_upload_preview_commit(admin, org, data_dir):
    response = upload(admin, org.state, csv_text(*GOOD_ROWS))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    assert job.status == ImportJob.Status.READY and job.created_by.username == "admin"
    html = admin.get(response["Location"]).content.decode()
    assert "What a commit will do" in html and "Preview: School results" in html
    assert "below_reporting_n: 1" in html
    assert ">Commit</button>" in html
    assert not AssessmentResult.objects.filter(year=2018).exists()

    response = admin.post(reverse("imports:commit", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED
    assert AssessmentResult.objects.filter(year=2018).count() == 5
    html = admin.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "What the commit did" in html and "Changes recorded" in html
    assert "00350002 2018 ELA 10 all" in html
    listing = admin.get(reverse("imports:list")).content.decode()
    assert f"Import {job.pk}" in listing and "Committed" in listing


def test_problems_are_shown_with_row_column_value_reason(admin, org, data_dir):
    rows = ("00350001,2018,ELA,ALL,all,-4,,,,,,,,", "99999999,2018,ELA,ALL,all,1,,,,,,,,")
    response = upload(admin, org.state, csv_text(*rows))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    html = admin.get(response["Location"]).content.decode()
    assert "2 problems in all" in html
    assert "<code>-4</code>" in html and "impossible value: a negative count" in html
    assert "unknown school" in html and ">Commit</button>" not in html
    download = admin.get(reverse("imports:problems_csv", args=[job.pk]))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0] == "row,column,value,reason"
    assert body.splitlines()[1].startswith("2,n_tested,'-4,impossible value")  # no formulas
    refused = admin.post(reverse("imports:commit", args=[job.pk]))
    assert refused.status_code == 409
    assert "cannot be committed" in refused.content.decode()
    assert not AssessmentResult.objects.filter(year=2018).exists()


def test_a_file_of_the_wrong_kind_is_refused_by_the_form(admin, org, data_dir):
    response = upload(admin, org.state, "{}", name="results.json")
    assert response.status_code == 422
    assert "reads .csv or .txt or .xlsx files" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_progress_fragment_for_htmx(admin, org, data_dir):
    upload(admin, org.state, csv_text(*GOOD_ROWS))
    job = ImportJob.objects.get()
    fragment = admin.get(
        reverse("imports:detail", args=[job.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="import-progress",
    )
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="import-progress"') and "<html" not in html


def test_an_active_job_polls_for_progress(admin, org, data_dir):
    upload(admin, org.state, csv_text(*GOOD_ROWS))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.COMMITTING)
    html = admin.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and "<progress" in html


def test_template_downloads(admin):
    xlsx = admin.get(reverse("imports:template", args=["xlsx"]))
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"] == 'attachment; filename="results-template.xlsx"'
    workbook = load_workbook(io.BytesIO(xlsx.content))
    assert workbook.sheetnames == ["results", "columns"]
    csv = admin.get(reverse("imports:template", args=["csv"]))
    assert csv.content.decode().startswith("school_code,year,subject,grade,group,")
    assert admin.get("/imports/template/results-template.pdf").status_code == 404


@pytest.mark.parametrize("persona", OTHERS)
def test_nobody_else_reaches_imports(persona, personas, client_for, org, admin, data_dir):
    upload(admin, org.state, csv_text(*GOOD_ROWS))
    job = ImportJob.objects.get()
    client = client_for(getattr(personas, persona))
    assert client.get(reverse("imports:list")).status_code == 404
    assert client.get(reverse("imports:new")).status_code == 404
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:problems_csv", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:template", args=["csv"])).status_code == 404
    assert client.post(reverse("imports:commit", args=[job.pk])).status_code == 404
    assert upload(client, org.state, csv_text(*GOOD_ROWS)).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.READY and ImportJob.objects.count() == 1
    assert 'href="/imports/"' not in client.get("/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("imports:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_states_administrator_sees_only_their_own(
    personas, client_for, org, admin, data_dir
):
    upload(admin, org.state, csv_text(*GOOD_ROWS))
    job = ImportJob.objects.get()
    client = client_for(personas.other_state_admin)
    listing = client.get(reverse("imports:list"))
    assert listing.status_code == 200 and f"Import {job.pk}" not in listing.content.decode()
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 404
    assert client.post(reverse("imports:commit", args=[job.pk])).status_code == 404
    response = upload(client, org.state, csv_text(*GOOD_ROWS))
    assert response.status_code == 422  # Massachusetts is not a choice of their form
    assert ImportJob.objects.count() == 1
