"""A results file through the import pages: template, check, problems, commit, and again.

The state administrator opens Data imports, starts a new import in the results-template format
and downloads the template. A file with one bad value is refused: the problem table names its
row, column, value and reason, and nothing is written. The corrected file is checked (preview and
summary), committed, and the changes are listed; the same file uploaded again would change
nothing. State staff and a district leader do not reach the import pages (404).

After the ``demo`` fixture the ORM is used only to look up ids and to check the database; every
change goes through the pages. axe-core checks every page on the way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ADMIN = "state.admin"
FORMAT = re.compile(r"^Results template")
YEAR = 2018  # the demo has results through 2017: every row of the file is new
HEADER = (
    "school_code,year,subject,grade,group,n_tested,pct_level_4,pct_level_3,pct_level_2,"
    "pct_level_1,composite_index,mean_scale_score,median_sgp,sgp_n"
)
BAD_VALUE = "22.O"  # a letter O typed for a zero


def results_csv(school_code: str, math_level_3: str) -> bytes:
    rows = [
        HEADER,
        f"{school_code},{YEAR},ELA,04,all,52,10.0,30.0,40.0,20.0,70.5,,45,48",
        f"{school_code},{YEAR},MATH,04,all,52,8.0,{math_level_3},40.0,30.0,68.0,,41,48",
        f"{school_code},{YEAR},MATH,04,el,<10,*,*,*,*,*,,N/A,N/A",
    ]
    return ("\r\n".join(rows) + "\r\n").encode()


@pytest.fixture
def data_dir(tmp_path: Path, settings: Any) -> Path:
    """Uploaded files go to a data directory of the test's own."""
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    return Path(settings.DATA_DIR)


def switch_user(site: Any, username: str, demo: dict[str, str]) -> None:
    site.page.context.clear_cookies()
    site.sign_in(username, demo[username])
    expect(site.page).not_to_have_url(re.compile(r"/accounts/login/"))


def expect_not_found(site: Any, path: str) -> None:
    """The page is a 404; take the expected refusal off the list of problems."""
    response = site.page.goto(site.url(path))
    assert response is not None and response.status == 404, f"GET {path}: {response}"
    expected = f"404 {site.url(path)}"
    assert expected in site.problems, f"expected {expected}; problems: {site.problems}"
    site.problems.remove(expected)


def upload(site: Any, name: str, content: bytes) -> None:
    """From the list of imports: a new import of the results template, with this file."""
    page = site.page
    page.get_by_role("link", name="New import").click()
    expect(page).to_have_url(re.compile(r"/imports/new/$"))
    form = page.locator("main form.usa-form")
    radio = form.get_by_role("radio", name=FORMAT)
    page.locator(f"label[for='{radio.get_attribute('id')}']").click()
    expect(radio).to_be_checked()
    # USWDS's file input names the control "Drag file here or choose from folder"
    form.locator("input[type=file][name=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )
    form.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))


@pytest.mark.django_db(transaction=True)
def test_results_file_checked_corrected_committed(
    site: Any, demo: dict[str, str], data_dir: Path
) -> None:
    from turnaround.imports.models import ImportChange, ImportJob
    from turnaround.organizations.models import School
    from turnaround.performance.models import AssessmentResult

    page = site.page
    main = page.locator("main")
    status = page.get_by_role("region", name="Status", exact=True).get_by_role("status")
    school = School.objects.get(name="Mather")
    results = AssessmentResult.objects.filter(school=school, year=YEAR)
    assert not results.exists()

    # -- 1. Data imports, a new import, the template ----------------------------------------
    switch_user(site, ADMIN, demo)
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Data imports"
    ).click()
    expect(page).to_have_url(re.compile(r"/imports/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Data imports")
    site.assert_accessible("data imports")
    page.get_by_role("link", name="New import").click()
    expect(page).to_have_url(re.compile(r"/imports/new/$"))
    expect(page.get_by_role("table", name="Columns of the results template")).to_contain_text(
        "school_code"
    )
    site.assert_accessible("new import")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="results-template.csv").click()
    download = download_info.value
    assert download.suggested_filename == "results-template.csv"
    template = Path(download.path()).read_text(encoding="utf-8")
    assert template.splitlines()[0] == HEADER
    with page.expect_download() as download_info:
        page.get_by_role("link", name="results-template.xlsx").click()
    workbook = Path(download_info.value.path()).read_bytes()
    assert workbook.startswith(b"PK"), workbook[:10]  # a zip: an XLSX workbook
    site.goto("/imports/")

    # -- 2. One bad value: the problem table, and nothing written ---------------------------
    upload(site, "results-bad.csv", results_csv(school.code, BAD_VALUE))
    bad = ImportJob.objects.order_by("-pk").first()
    assert bad is not None and bad.status == ImportJob.Status.INVALID
    expect(status).to_contain_text("Problems found")
    expect(main).to_contain_text("nothing was written")
    problems = page.get_by_role("table", name="Problems found in the file")
    expect(problems.locator("tbody tr")).to_have_count(1)
    cells = problems.locator("tbody tr").first.get_by_role("cell")
    expect(cells.nth(0)).to_have_text("3")  # the header is row 1
    expect(cells.nth(1)).to_have_text("pct_level_3")
    expect(cells.nth(2)).to_have_text(BAD_VALUE)
    expect(cells.nth(3)).not_to_be_empty()
    expect(page.get_by_role("button", name="Commit")).to_have_count(0)
    site.assert_accessible("import with a problem")
    assert not results.exists()
    assert not ImportChange.objects.filter(job=bad).exists()

    # -- 3. The corrected file: preview and summary, commit, the changes --------------------
    site.goto("/imports/")
    fixed = results_csv(school.code, "22.0")
    upload(site, "results.csv", fixed)
    job = ImportJob.objects.order_by("-pk").first()
    assert job is not None and job.pk != bad.pk
    assert job.status == ImportJob.Status.READY, job.message
    expect(status).to_contain_text("Ready")
    summary = page.get_by_role("table", name="Rows by table: new, changed and unchanged")
    expect(summary.locator("tbody tr").first).to_contain_text("3")
    expect(page.get_by_role("heading", name=re.compile(r"^Preview: "))).to_be_visible()
    preview = page.get_by_role("table", name=re.compile(r"^First rows of "))
    expect(preview.locator("tbody tr")).to_have_count(3)
    expect(preview).to_contain_text(school.code)
    site.assert_accessible("import ready to commit")
    assert not results.exists()

    page.get_by_role("button", name="Commit").click()
    expect(page).to_have_url(re.compile(rf"/imports/{job.pk}/$"))
    expect(status).to_contain_text("Committed")
    expect(main).to_contain_text("Committed: 3 new, 0 changed and 0 unchanged rows.")
    changes = page.get_by_role("table", name="Rows created or changed by this import")
    expect(changes.locator("tbody tr")).to_have_count(3)
    expect(changes).to_contain_text("Created")
    expect(changes).to_contain_text(school.code)
    site.assert_accessible("import committed")
    job.refresh_from_db()
    assert job.status == ImportJob.Status.COMMITTED
    assert results.count() == 3
    assert ImportChange.objects.filter(job=job).count() == 3

    # -- 4. The same file again: nothing would change ---------------------------------------
    site.goto("/imports/")
    expect(page.get_by_role("table", name=re.compile(r"^Imports, newest first"))).to_contain_text(
        f"Import {job.pk}"
    )
    upload(site, "results.csv", fixed)
    again = ImportJob.objects.order_by("-pk").first()
    assert again is not None and again.pk != job.pk
    expect(main).to_contain_text("Nothing would change: the stored data already matches this file.")
    expect(page.get_by_role("row", name=re.compile(r"^Same file"))).to_contain_text(
        f"import {job.pk}"
    )
    site.assert_accessible("the same file again")
    assert results.count() == 3

    # -- 5. Nobody else reaches the import pages --------------------------------------------
    for username in ("state.staff", "district.leader"):
        switch_user(site, username, demo)
        expect(
            page.get_by_role("navigation", name="Primary navigation").get_by_role(
                "link", name="Data imports"
            )
        ).to_have_count(0)
        for path in ("/imports/", "/imports/new/", f"/imports/{job.pk}/"):
            expect_not_found(site, path)

    site.assert_no_problems()
