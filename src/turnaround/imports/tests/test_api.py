"""The imports API: formats, upload (multipart), status, problems, commit, changes; 404 for
everyone but the state's administrators, 409 for a commit that cannot happen."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from turnaround.imports.models import ImportJob
from turnaround.imports.tests.conftest import GOOD_ROWS, csv_text
from turnaround.performance.models import AssessmentResult

pytestmark = pytest.mark.django_db

API = "/api/v1"


def post_file(client, text: str, name: str = "results.csv", **fields):
    data = {"format": "results-template", **fields}
    data["file"] = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post(f"{API}/imports", data)


@pytest.fixture
def admin(personas, client_for):
    return client_for(personas.state_admin)


def test_formats(admin):
    formats = admin.get(f"{API}/imports/formats").json()
    template = next(f for f in formats if f["key"] == "results-template")
    assert template["targets"] == ["results"] and not template["restricted"]
    assert ".xlsx" in template["extensions"]


def test_upload_check_commit_and_changes(admin, org, data_dir):
    response = post_file(admin, csv_text(*GOOD_ROWS))
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["status"] == "ready" and job["state"] == "MA" and job["format"] == "results-template"
    assert job["summary"]["results"]["new"] == 5
    assert job["summary"]["results"]["missing"]["suppressed"] == 6
    assert job["preview"]["results"][0]["_row"] == 2
    assert job["outcome"] == {} and job["problem_total"] == 0

    detail = admin.get(f"{API}/imports/{job['id']}").json()
    assert detail["sha256"] == job["sha256"] and detail["percent"] == 100

    committed = admin.post(f"{API}/imports/{job['id']}/commit")
    assert committed.status_code == 200
    body = committed.json()
    assert body["status"] == "committed" and body["outcome"]["results"]["new"] == 5
    assert body["data_source"] is not None
    assert AssessmentResult.objects.filter(year=2018).count() == 5

    again = admin.post(f"{API}/imports/{job['id']}/commit")
    assert again.status_code == 409 and "already committed" in again.json()["detail"]

    changes = admin.get(f"{API}/imports/{job['id']}/changes", {"limit": 2}).json()
    assert changes["count"] == 5 and len(changes["items"]) == 2
    assert changes["items"][0] == {
        "target": "results",
        "key": "00350001 2018 ELA ALL all",
        "action": "created",
        "row": 2,
        "changes": {},
    }
    bad = admin.get(f"{API}/imports/{job['id']}/changes", {"target": "nope"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "target"]

    listing = admin.get(f"{API}/imports").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == job["id"]


def test_problems_are_listed_and_the_commit_refused(admin, org, data_dir):
    rows = [f"9999{i:04d},2018,ELA,ALL,all,10,,,,,,,," for i in range(3)]
    job = post_file(admin, csv_text(*rows)).json()
    assert job["status"] == "invalid" and job["problem_total"] == 3
    page = admin.get(f"{API}/imports/{job['id']}/problems", {"limit": 2, "offset": 1}).json()
    assert page["total"] == 3 and page["kept"] == 3
    assert [p["row"] for p in page["items"]] == [3, 4]
    assert page["items"][0]["column"] == "school_code" and page["items"][0]["value"] == "99990001"
    refused = admin.post(f"{API}/imports/{job['id']}/commit")
    assert refused.status_code == 409
    assert ImportJob.objects.get().status == ImportJob.Status.INVALID


def test_bad_uploads(admin, org, data_dir):
    unknown = post_file(admin, "x", format="nope")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "format"]
    wrong = post_file(admin, "{}", name="results.json")
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "file"]
    year = post_file(admin, "x", year="1800")
    assert year.status_code == 422
    assert not ImportJob.objects.exists()


def test_check_again(admin, org, data_dir):
    job = post_file(admin, csv_text(*GOOD_ROWS)).json()
    checked = admin.post(f"{API}/imports/{job['id']}/check")
    assert checked.status_code == 200 and checked.json()["status"] == "ready"
    admin.post(f"{API}/imports/{job['id']}/commit")
    assert admin.post(f"{API}/imports/{job['id']}/check").status_code == 409


@pytest.mark.parametrize(
    "persona", ["state_staff", "viewer", "district_leader", "partner_staff", "other_state_admin"]
)
def test_others_get_404(persona, personas, client_for, admin, org, data_dir):
    job = post_file(admin, csv_text(*GOOD_ROWS)).json()
    client = client_for(getattr(personas, persona))
    assert client.get(f"{API}/imports/{job['id']}").status_code == 404
    assert client.get(f"{API}/imports/{job['id']}/problems").status_code == 404
    assert client.get(f"{API}/imports/{job['id']}/changes").status_code == 404
    assert client.post(f"{API}/imports/{job['id']}/commit").status_code == 404
    assert client.get(f"{API}/imports").json()["count"] == 0
    assert post_file(client, csv_text(*GOOD_ROWS), state="MA").status_code == 404
    assert ImportJob.objects.get().status == ImportJob.Status.READY


def test_signed_out_is_401(client):
    assert client.get(f"{API}/imports").status_code == 401
