"""Format options beyond year and grade: declared by each reader, shown on the new-import page,
accepted by the API and the command line, refused by name when unknown or not allowed."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from turnaround.imports.models import ImportJob
from turnaround.imports.readers import READERS
from turnaround.imports.services import import_options_clean

pytestmark = pytest.mark.django_db

API = "/api/v1"
CSV = "CDS,School,District,AssistanceStatus,TitleI1718\n"


@pytest.fixture
def admin(personas, client_for):
    return client_for(personas.state_admin)


def test_every_option_a_reader_reads_is_declared_and_none_is_the_platforms():
    for reader in READERS.values():
        names = [o.name for o in reader.declared_options]
        assert len(names) == len(set(names))
        assert not {"state", "pseudonym_key", "year", "grade"} & set(names)
    assert [o.name for o in READERS["ca-essa"].declared_options] == ["title_i_yes", "targets"]
    assert {o.name for o in READERS["edfi"].declared_options} == {
        "id_systems",
        "subjects",
        "performance_levels",
        "score_method",
        "targets",
    }


def test_options_are_cleaned_to_what_the_reader_reads():
    edfi = READERS["edfi"]
    cleaned = import_options_clean(
        {
            "year": "2019",
            "id_systems": "SEA, District",
            "subjects": "G5-M=MATH",
            "performance_levels": {"Advanced": "4", "Basic": 2},
            "targets": ["students"],
        },
        reader=edfi,
    )
    assert cleaned == {
        "year": 2019,
        "id_systems": ["SEA", "District"],
        "subjects": {"G5-M": "MATH"},
        "performance_levels": {"Advanced": 4, "Basic": 2},
        "targets": ["students"],
    }


@pytest.mark.parametrize(
    ("reader", "options", "field", "message"),
    [
        ("ca-essa", {"title_i_yes": "maybe"}, "title_i_yes", "schoolwide, targeted, unknown"),
        ("ca-essa", {"shoe_size": "9"}, "shoe_size", "allowed: year, grade, title_i_yes, targets"),
        ("ca-essa", {"targets": "results"}, "targets", "allowed: schools, determinations"),
        ("edfi", {"subjects": "G5=ART"}, "subjects", "ELA, MATH, SCI"),
        ("edfi", {"performance_levels": "Advanced"}, "performance_levels", "KEY=VALUE"),
        ("students", {"pseudonym_key": "x" * 40}, "pseudonym_key", "unknown option"),
        ("edfi", {"pseudonym_key": "x" * 40}, "pseudonym_key", "unknown option"),
        ("results-template", {"state": "TX"}, "state", "allowed: year, grade"),
    ],
)
def test_unknown_options_and_values_are_refused_naming_what_is_allowed(
    reader, options, field, message
):
    with pytest.raises(ValidationError) as caught:
        import_options_clean(options, reader=READERS[reader])
    assert message in " ".join(caught.value.message_dict[field])


def test_the_new_import_page_shows_each_formats_options(admin):
    page = admin.get(reverse("imports:new")).content.decode()
    assert 'id="options-ca-essa"' in page and 'id="options-edfi"' in page
    assert 'name="opt__ca-essa__title_i_yes"' in page
    assert '<option value="targeted">targeted</option>' in page
    assert 'name="opt__edfi__performance_levels"' in page
    assert "__pseudonym_key" not in page


def test_the_page_passes_the_chosen_formats_options_and_refuses_bad_ones(admin, org, data_dir):
    def upload(value):
        return admin.post(
            reverse("imports:new"),
            {
                "state": org.state.pk,
                "reader": "ca-essa",
                "opt__ca-essa__title_i_yes": value,
                "opt__edfi__score_method": "ignored: another format",
                "file": SimpleUploadedFile("sch_eligibility_state_sg.csv", CSV.encode()),
            },
        )

    response = upload("targeted")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ImportJob.objects.get().options == {"title_i_yes": "targeted"}
    response = upload("maybe")
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_the_api_takes_options_as_a_json_object(admin, org, data_dir):
    def post(options):
        return admin.post(
            f"{API}/imports",
            {
                "format": "ca-essa",
                "options": json.dumps(options),
                "file": SimpleUploadedFile("sch_eligibility_state_sg.csv", CSV.encode()),
            },
        )

    formats = {f["key"]: f for f in admin.get(f"{API}/imports/formats").json()}
    title = formats["ca-essa"]["options"][0]
    assert (title["name"], title["kind"]) == ("title_i_yes", "choice")
    assert title["allowed"] == ["schoolwide", "targeted", "unknown"]

    response = post({"title_i_yes": "unknown", "targets": ["schools"]})
    assert response.status_code == 201, response.content
    assert response.json()["options"] == {"title_i_yes": "unknown", "targets": ["schools"]}
    response = post({"title_i_yes": "maybe"})
    assert response.status_code == 422
    assert "schoolwide, targeted, unknown" in response.content.decode()
    response = post({"pseudonym_key": "k" * 40})
    assert response.status_code == 422 and "unknown option" in response.content.decode()
    assert ImportJob.objects.count() == 1


def test_the_command_line_checks_options_by_format(org, data_dir, tmp_path):
    path = tmp_path / "sch_eligibility_state_sg.csv"
    path.write_text(CSV)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command(
            "import", "ca-essa", str(path), "--state", "MA", "--option", "title_i_yes=maybe",
            stdout=out, stderr=err,
        )  # fmt: skip
    assert caught.value.code == 2
    assert "title_i_yes: must be one of schoolwide, targeted, unknown" in err.getvalue()
    assert not ImportJob.objects.exists()
    listing = io.StringIO()
    call_command("import", "--list", stdout=listing)
    assert "--option title_i_yes=" in listing.getvalue()
