"""Pages about organisations, for each persona: who sees what, and what the page shows."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from turnaround.organizations.models import School

pytestmark = pytest.mark.django_db


def names_in(response) -> set[str]:
    return {s.name for s in response.context["page"].object_list}


# ----------------------------------------------------------------------------- sign-in required


@pytest.mark.parametrize(
    "url",
    ["/", "/schools/", "/states/MA/", "/schools/export.csv", "/audit/", "/account/tokens/"],
)
def test_pages_require_sign_in(client, org, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# ----------------------------------------------------------------------------- home redirects


def test_home_sends_each_role_to_its_page(personas, org, client_for):
    assert client_for(personas.state_admin).get("/")["Location"] == "/states/MA/"
    assert client_for(personas.viewer).get("/")["Location"] == "/states/MA/"
    assert client_for(personas.district_leader).get("/")["Location"] == (
        f"/districts/{org.district.pk}/"
    )
    assert client_for(personas.school_leader).get("/")["Location"] == f"/schools/{org.school.pk}/"
    assert client_for(personas.partner_staff).get("/")["Location"] == "/schools/"
    response = client_for(personas.outsider).get("/")
    assert response.status_code == 200
    assert b"You do not have access to any school yet" in response.content


# ----------------------------------------------------------------------------- state overview


def test_state_overview_counts_and_table_for_state_roles(personas, org, client_for):
    for user in (personas.state_admin, personas.state_staff, personas.viewer, personas.reviewer):
        response = client_for(user).get("/states/MA/")
        assert response.status_code == 200
        counts = {c.key: c.count for c in response.context["level_counts"]}
        assert counts["4"] == 1 and counts["2"] == 1 and counts["3"] == 1
        assert names_in(response) == {"Adams Elementary", "Burke High", "Lynn Middle"}
        assert response.content.count(b"<h1") == 1


def test_state_overview_is_404_outside_the_state(personas, org, client_for):
    for user in (
        personas.district_leader,
        personas.school_leader,
        personas.partner_staff,
        personas.outsider,
        personas.other_state_admin,
    ):
        assert client_for(user).get("/states/MA/").status_code == 404
    # an unknown state gives the same answer as a state that is not yours
    assert client_for(personas.state_admin).get("/states/ZZ/").status_code == 404


# ----------------------------------------------------------------------------- schools table


def test_schools_list_follows_access(personas, org, client_for):
    expected = {
        "state_admin": {"Adams Elementary", "Burke High", "Lynn Middle"},
        "district_leader": {"Adams Elementary", "Burke High"},
        "school_leader": {"Adams Elementary"},
        "partner_staff": {"Adams Elementary"},  # the expired assignment gives nothing
        "other_partner_staff": set(),
        "outsider": set(),
        "other_state_admin": {"Providence Central"},
    }
    for persona, names in expected.items():
        response = client_for(getattr(personas, persona)).get("/schools/")
        assert response.status_code == 200, persona
        assert names_in(response) == names, persona


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"q": "adams"}, {"Adams Elementary"}),
        ({"q": "0163"}, {"Lynn Middle"}),
        ({"type": "HS"}, {"Burke High"}),
        ({"level": "4"}, {"Adams Elementary"}),
        ({"title_i": "any"}, {"Adams Elementary", "Lynn Middle"}),
        ({"title_i": "none"}, {"Burke High"}),
        ({"charter": "true"}, {"Lynn Middle"}),
    ],
)
def test_schools_filters(personas, org, client_for, params, names):
    response = client_for(personas.state_admin).get("/schools/", params)
    assert names_in(response) == names


def test_district_filter_and_sorting(personas, org, client_for):
    c = client_for(personas.state_admin)
    response = c.get("/schools/", {"district": org.district2.pk})
    assert names_in(response) == {"Lynn Middle"}
    response = c.get("/schools/", {"sort": "-level"})
    assert [s.name for s in response.context["page"].object_list][0] == "Adams Elementary"
    response = c.get("/schools/", {"sort": "level"})
    assert [s.name for s in response.context["page"].object_list][0] == "Burke High"


def test_bad_filters_are_named(personas, org, client_for):
    response = client_for(personas.state_admin).get(
        "/schools/", {"type": "XX", "sort": "shoe_size", "district": "abc"}
    )
    assert response.status_code == 400
    errors = response.context["filter_errors"]
    assert set(errors) == {"type", "sort", "district"}
    assert "XX" in errors["type"] and "allowed" in errors["type"]
    assert b"Filter \xe2\x80\x9ctype\xe2\x80\x9d" in response.content


def test_htmx_request_gets_only_the_table(personas, org, client_for):
    response = client_for(personas.state_admin).get(
        "/schools/", {"q": "burke"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="schools-table"
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'id="schools-table"' in response.content
    assert b"Burke High" in response.content and b"Adams Elementary" not in response.content


def test_pagination(personas, org, client_for):
    for i in range(30):
        School.objects.create(
            district=org.district,
            code=f"0035{i + 100:04d}",
            name=f"Extra {i:02d}",
            school_type="ES",
            grade_low="K",
            grade_high="05",
        )
    c = client_for(personas.state_admin)
    first = c.get("/schools/")
    assert first.context["paginator"].count == 33
    assert len(first.context["page"].object_list) == 25
    second = c.get("/schools/", {"page": 2})
    assert len(second.context["page"].object_list) == 8


# ----------------------------------------------------------------------------- exports


def test_csv_export_keeps_codes_as_text_and_follows_access(personas, org, client_for):
    response = client_for(personas.district_leader).get("/schools/export.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["School"] for r in rows} == {"Adams Elementary", "Burke High"}
    adams = next(r for r in rows if r["School"] == "Adams Elementary")
    assert adams["School code"] == "00350001"
    assert adams["Accountability status"] == "Level 4"


def test_xlsx_export_filters(personas, org, client_for):
    response = client_for(personas.state_admin).get("/schools/export.xlsx", {"type": "MS"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][5] == "School"
    assert [r[5] for r in rows[1:]] == ["Lynn Middle"]
    assert rows[1][3] == "01630001"


def test_export_refuses_bad_filters(personas, org, client_for):
    response = client_for(personas.state_admin).get("/schools/export.csv", {"level": "7"})
    assert response.status_code == 400
    assert b"level" in response.content


def test_outsider_export_is_empty(personas, org, client_for):
    response = client_for(personas.outsider).get("/schools/export.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(body.strip().splitlines()) == 1  # the header only


# ----------------------------------------------------------------------------- district page


def test_district_page_access(personas, org, client_for):
    url = reverse("web:district", args=[org.district.pk])
    for user in (personas.state_admin, personas.district_leader, personas.viewer):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert names_in(response) == {"Adams Elementary", "Burke High"}
    for user in (
        personas.school_leader,
        personas.partner_staff,
        personas.outsider,
        personas.other_state_admin,
    ):
        assert client_for(user).get(url).status_code == 404
    other = reverse("web:district", args=[org.district2.pk])
    assert client_for(personas.district_leader).get(other).status_code == 404
    assert client_for(personas.state_admin).get("/districts/999999/").status_code == 404


# ----------------------------------------------------------------------------- school profile


def test_school_profile_shows_status_results_and_chart(personas, org, client_for):
    response = client_for(personas.school_leader).get(f"/schools/{org.school.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Adams Elementary</h1>" in html
    assert "Among lowest achieving and least improving schools" in html
    assert 'id="trend-spec"' in html and 'id="results-table"' in html
    spec = response.context["chart_spec"]
    assert {v["year"] for v in spec["data"]["values"]} == {"2016", "2017"}
    assert not response.context["access"].can_edit


def test_school_profile_access(personas, org, client_for):
    url = f"/schools/{org.school.pk}/"
    for user in (
        personas.state_admin,
        personas.state_staff,
        personas.ta_provider,
        personas.reviewer,
        personas.viewer,
        personas.district_leader,
        personas.school_leader,
        personas.partner_staff,
    ):
        assert client_for(user).get(url).status_code == 200
    for user in (personas.outsider, personas.other_partner_staff, personas.other_state_admin):
        assert client_for(user).get(url).status_code == 404
    # the partner's assignment to Lynn Middle has expired
    lynn = f"/schools/{org.school_other_district.pk}/"
    assert client_for(personas.partner_staff).get(lynn).status_code == 404
    assert client_for(personas.school_leader).get(lynn).status_code == 404
    assert client_for(personas.state_admin).get("/schools/999999/").status_code == 404


def test_small_groups_hidden_for_protected_audiences_only(personas, org, client_for):
    url = f"/schools/{org.school.pk}/?group=el"
    viewer = client_for(personas.viewer).get(url)
    assert viewer.context["protected"] is True
    assert all(r.suppressed for r in viewer.context["group_rows"])
    assert "Hidden: fewer than 10 students" in viewer.content.decode()
    staff = client_for(personas.state_staff).get(url)
    assert staff.context["protected"] is False
    assert not any(r.suppressed for r in staff.context["group_rows"])
    assert {r.n_tested for r in staff.context["group_rows"]} == {6}


def test_group_switch_returns_fragment_for_htmx(personas, org, client_for):
    response = client_for(personas.state_admin).get(
        f"/schools/{org.school.pk}/",
        {"group": "el"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results-panel",
    )
    assert b"<html" not in response.content
    assert b'id="results-panel"' in response.content
    assert b"English learners" in response.content


# ----------------------------------------------------------------------------- query counts


def test_queries_do_not_grow_with_the_number_of_schools(
    personas, org, client_for, django_assert_max_num_queries
):
    c = client_for(personas.state_admin)
    c.get("/states/MA/")  # warm up session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        c.get("/states/MA/")
        c.get("/schools/")
        c.get(f"/schools/{org.school.pk}/")
    for i in range(40):
        s = School.objects.create(
            district=org.district,
            code=f"0035{i + 500:04d}",
            name=f"Many {i:02d}",
            school_type="ES",
            grade_low="K",
            grade_high="05",
        )
        from turnaround.accountability.models import AccountabilityDetermination

        AccountabilityDetermination.objects.create(
            school=s, year=2017, ruleset="ma-2012", label="Level 2", level=2, source=org.source
        )
    with CaptureQueriesContext(connection) as many:
        c.get("/states/MA/")
        c.get("/schools/")
        c.get(f"/schools/{org.school.pk}/")
    assert len(many) == len(few)
