"""The organisations API (/api/v1/states, /districts, /schools) for every persona.

Access: state roles reach their state's schools (restricted roles unsuppressed, viewers, reviewers
and TA providers suppressed), district leaders their district, school leaders their school,
partner staff the schools under an agreement in force; everyone else gets empty lists and 404s.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from turnaround.accountability.models import AccountabilityDetermination, Designation
from turnaround.organizations.models import School
from turnaround.performance.models import SchoolYearProfile

MA_SCHOOLS = {"school", "school_hs", "school_other_district"}
#: persona → the fixture schools (attribute names of ``org``) they reach.
REACH = {
    "state_admin": MA_SCHOOLS,
    "state_staff": MA_SCHOOLS,
    "ta_provider": MA_SCHOOLS,
    "reviewer": MA_SCHOOLS,
    "viewer": MA_SCHOOLS,
    "district_leader": {"school", "school_hs"},
    "school_leader": {"school"},
    "partner_staff": {"school"},  # the assignment at Lynn Middle has expired
    "other_partner_staff": set(),
    "other_state_admin": {"school_other_state"},
    "outsider": set(),
}
ALL_SCHOOLS = ("school", "school_hs", "school_other_district", "school_other_state")
RESTRICTED = ("state_admin", "state_staff", "district_leader", "school_leader", "partner_staff")
PROTECTED = ("viewer", "reviewer", "ta_provider")
NOT_FOUND = {"detail": "Not found."}


def ids(response) -> set[int]:
    return {item["id"] for item in response.json()["items"]}


def names(response) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


def error_params(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {tuple(e["loc"])[-1]: e["msg"] for e in response.json()["detail"]}


@pytest.fixture
def as_admin(personas, client_for):
    return client_for(personas.state_admin)


# ---------------------------------------------------------------------------------------------
# Schools: who sees what


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(REACH))
def test_school_list_is_what_the_persona_reaches(persona, personas, org, client_for):
    response = client_for(getattr(personas, persona)).get("/api/v1/schools")

    assert response.status_code == 200
    expected = {getattr(org, name).pk for name in REACH[persona]}
    assert ids(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(REACH))
def test_school_detail_is_404_outside_reach(persona, personas, org, client_for):
    client = client_for(getattr(personas, persona))

    for name in ALL_SCHOOLS:
        response = client.get(f"/api/v1/schools/{getattr(org, name).pk}")
        if name in REACH[persona]:
            assert response.status_code == 200, (persona, name)
            assert response.json()["id"] == getattr(org, name).pk
        else:
            assert response.status_code == 404, (persona, name)
            assert response.json() == NOT_FOUND


@pytest.mark.django_db
def test_missing_school_and_not_yours_look_the_same(personas, org, client_for):
    client = client_for(personas.district_leader)

    not_yours = client.get(f"/api/v1/schools/{org.school_other_district.pk}")
    missing = client.get("/api/v1/schools/987654")

    assert not_yours.status_code == missing.status_code == 404
    assert not_yours.json() == missing.json() == NOT_FOUND


@pytest.mark.django_db
def test_school_list_item_shape(as_admin, org):
    response = as_admin.get("/api/v1/schools", {"q": "Adams"})

    assert response.json()["items"] == [
        {
            "id": org.school.pk,
            "code": "00350001",
            "nces_id": "250279000001",
            "name": "Adams Elementary",
            "district": {
                "id": org.district.pk,
                "code": "00350000",
                "nces_leaid": "2502790",
                "name": "Boston",
            },
            "state": "MA",
            "school_type": "ES",
            "grade_low": "K",
            "grade_high": "05",
            "grade_span": "K–05",
            "title_i": "schoolwide",
            "is_charter": False,
            "current": {
                "year": 2017,
                "label": "Level 4",
                "level": 4,
                "reason": "Among lowest achieving and least improving schools",
                "percentile": 40,
            },
            "enrollment": 400,
        }
    ]


@pytest.mark.django_db
def test_school_without_identifiers_or_determination(as_admin, org):
    AccountabilityDetermination.objects.filter(school=org.school_hs).delete()

    response = as_admin.get(f"/api/v1/schools/{org.school_hs.pk}")

    body = response.json()
    assert body["nces_id"] is None
    assert body["district"]["nces_leaid"] == "2502790"
    assert body["current"] is None
    assert body["determinations"] == []


@pytest.mark.django_db
def test_school_detail_content(as_admin, org):
    org.school.town = "Boston"
    org.school.save(update_fields=["town"])
    Designation.objects.create(
        school=org.school,
        status="underperforming",
        entered_year=2014,
        exited_year=2017,
        exit_reason="met exit criteria",
        source=org.source,
    )
    Designation.objects.create(
        school=org.school, status="csi", entered_year=2018, source=org.source
    )
    AccountabilityDetermination.objects.create(
        school=org.school,
        year=2016,
        ruleset="ma-2012",
        label="Level 3",
        level=3,
        percentile=12,
        source=org.source,
    )

    response = as_admin.get(f"/api/v1/schools/{org.school.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["town"] == "Boston"
    assert body["current"]["year"] == 2017
    assert body["designations"] == [
        {
            "status": "csi",
            "status_label": "Comprehensive support and improvement (CSI)",
            "entered_year": 2018,
            "exited_year": None,
            "exit_reason": "",
        },
        {
            "status": "underperforming",
            "status_label": "Underperforming (Level 4)",
            "entered_year": 2014,
            "exited_year": 2017,
            "exit_reason": "met exit criteria",
        },
    ]
    assert [(d["year"], d["label"], d["is_official"]) for d in body["determinations"]] == [
        (2017, "Level 4", True),
        (2016, "Level 3", False),
    ]
    # 2 years × 2 subjects × 2 groups
    assert len(body["results"]) == 8
    first = body["results"][0]
    assert (first["year"], first["subject"], first["group"]) == (2016, "ELA", "all")
    assert first["subject_label"] == "English language arts"
    assert first["group_label"] == "All students"
    assert first["n_tested"] == 120
    assert first["pct_proficient"] == pytest.approx(40.0)


# ---------------------------------------------------------------------------------------------
# Results: suppressed for public audiences, raw for restricted roles


def _el_rows(body) -> list[dict]:
    return [r for r in body["results"] if r["group"] == "el"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PROTECTED)
def test_public_audiences_get_suppressed_results(persona, personas, org, client_for):
    response = client_for(getattr(personas, persona)).get(f"/api/v1/schools/{org.school.pk}")

    body = response.json()
    assert body["protected"] is True
    el = _el_rows(body)
    assert len(el) == 4
    for row in el:  # n = 6 is under the reporting minimum
        assert row["suppressed"] is True
        assert row["suppressed_reason"] == "fewer than 10 students"
        assert row["n_tested"] is None
        assert row["pct_proficient"] is None
        assert row["composite_index"] is None
    everyone = [r for r in body["results"] if r["group"] == "all"]
    assert all(r["n_tested"] == 120 and not r["suppressed"] for r in everyone)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", RESTRICTED)
def test_restricted_roles_get_raw_results(persona, personas, org, client_for):
    response = client_for(getattr(personas, persona)).get(f"/api/v1/schools/{org.school.pk}")

    body = response.json()
    assert body["protected"] is False
    el = _el_rows(body)
    assert len(el) == 4
    for row in el:
        assert row["suppressed"] is False
        assert row["n_tested"] == 6
        assert row["pct_proficient"] == pytest.approx(16.7)
        assert row["composite_index"] == pytest.approx(55.0)


# ---------------------------------------------------------------------------------------------
# Schools: filters, sorting, pagination


@pytest.fixture
def extra_schools(org):
    """A school with no determination and one with insufficient data, in Lynn."""
    none = School.objects.create(
        district=org.district2,
        code="01630002",
        name="Zeta Academy",
        school_type="K12",
        grade_low="K",
        grade_high="12",
        title_i="unknown",
    )
    insufficient = School.objects.create(
        district=org.district2,
        code="01630003",
        name="Young Learners",
        school_type="EC",
        grade_low="PK",
        grade_high="K",
        title_i="none",
    )
    AccountabilityDetermination.objects.create(
        school=insufficient,
        year=2017,
        ruleset="ma-2012",
        label="Insufficient data",
        source=org.source,
    )
    return {"none": none, "insufficient": insufficient}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "HS"}, ["Burke High"]),
        ({"type": "ES"}, ["Adams Elementary"]),
        ({"level": "4"}, ["Adams Elementary"]),
        ({"level": "2"}, ["Burke High"]),
        ({"level": "5"}, []),
        ({"level": "none"}, ["Zeta Academy"]),
        ({"level": "insufficient"}, ["Young Learners"]),
        ({"title_i": "any"}, ["Adams Elementary", "Lynn Middle"]),
        ({"title_i": "none"}, ["Burke High", "Young Learners"]),
        ({"title_i": "targeted"}, ["Lynn Middle"]),
        ({"charter": "true"}, ["Lynn Middle"]),
        ({"charter": "false", "district": "__d2__"}, ["Young Learners", "Zeta Academy"]),
        ({"q": "burke"}, ["Burke High"]),
        ({"q": "Lynn"}, ["Lynn Middle", "Young Learners", "Zeta Academy"]),  # district name
        ({"q": "0035"}, ["Adams Elementary", "Burke High"]),  # start of the state code
        ({"district": "__d1__"}, ["Adams Elementary", "Burke High"]),
        ({"state": "ma", "type": "MS"}, ["Lynn Middle"]),
        ({"state": "RI"}, []),  # reaching no school there is an empty list, not an error
        ({"sort": "-name", "state": "MA", "title_i": "any"}, ["Lynn Middle", "Adams Elementary"]),
        (
            {"sort": "level"},
            ["Burke High", "Lynn Middle", "Adams Elementary", "Young Learners", "Zeta Academy"],
        ),
        ({"sort": "-percentile", "title_i": "any"}, ["Adams Elementary", "Lynn Middle"]),
        (
            {"sort": "district", "q": "e"},
            ["Adams Elementary", "Burke High", "Lynn Middle", "Young Learners", "Zeta Academy"],
        ),
    ],
)
def test_school_filters(params, expected, as_admin, org, extra_schools):
    district_ids = {"__d1__": str(org.district.pk), "__d2__": str(org.district2.pk)}
    params = {k: district_ids.get(v, v) for k, v in params.items()}

    response = as_admin.get("/api/v1/schools", params)

    assert response.status_code == 200, response.content
    assert names(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.django_db
def test_filters_never_widen_access(personas, org, client_for):
    client = client_for(personas.school_leader)

    other_district = client.get("/api/v1/schools", {"district": org.district2.pk})
    other_state = client.get("/api/v1/schools", {"state": "RI"})

    assert other_district.json() == {"count": 0, "items": []}
    assert other_state.json() == {"count": 0, "items": []}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("type", "XX", "allowed: EC, ES"),
        ("level", "7", "allowed: 1, 2, 3, 4, 5, insufficient, none"),
        ("title_i", "maybe", "allowed: schoolwide, targeted"),
        ("charter", "perhaps", "must be true or false"),
        ("sort", "size", "allowed: name, district"),
        ("district", "boston", "must be a district id"),
        ("state", "Mass", "two-letter state code"),
    ],
)
def test_bad_school_filter_is_422_naming_the_parameter(param, value, message, as_admin, org):
    response = as_admin.get("/api/v1/schools", {param: value})

    errors = error_params(response)
    assert list(errors) == [param]
    assert message in errors[param]
    assert response.json()["detail"][0]["loc"] == ["query", param]


@pytest.mark.django_db
def test_every_bad_filter_is_reported_at_once(as_admin, org):
    response = as_admin.get("/api/v1/schools", {"type": "XX", "sort": "size", "charter": "?"})

    assert set(error_params(response)) == {"type", "sort", "charter"}


@pytest.mark.django_db
def test_pagination(as_admin, org):
    first = as_admin.get("/api/v1/schools", {"limit": 2})
    second = as_admin.get("/api/v1/schools", {"limit": 2, "offset": 2})
    beyond = as_admin.get("/api/v1/schools", {"limit": 2, "offset": 10})

    assert first.json()["count"] == second.json()["count"] == beyond.json()["count"] == 3
    assert names(first) == ["Adams Elementary", "Burke High"]
    assert names(second) == ["Lynn Middle"]
    assert names(beyond) == []


@pytest.mark.django_db
def test_default_page_is_50(as_admin, org):
    for i in range(55):
        School.objects.create(
            district=org.district,
            code=f"0035{i + 100:04d}",
            name=f"School {i:02d}",
            school_type="ES",
            grade_low="K",
            grade_high="05",
        )

    response = as_admin.get("/api/v1/schools")

    assert response.json()["count"] == 58
    assert len(response.json()["items"]) == 50


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_page_is_422(params, param, as_admin, org):
    response = as_admin.get("/api/v1/schools", params)

    errors = error_params(response)
    assert list(errors) == [param]
    assert response.json()["detail"][0]["loc"] == ["query", param]


@pytest.mark.django_db
def test_bad_school_id_is_422(as_admin, org):
    response = as_admin.get("/api/v1/schools/adams")

    assert error_params(response).keys() == {"school_id"}
    assert response.json()["detail"][0]["loc"] == ["path", "school_id"]


def _add_schools(org, count: int) -> None:
    for i in range(count):
        school = School.objects.create(
            district=org.district2 if i % 2 else org.district,
            code=f"0099{i:04d}",
            name=f"Extra {i:02d}",
            school_type="ES",
            grade_low="K",
            grade_high="05",
            nces_id=f"2502790{i + 100:05d}",
        )
        AccountabilityDetermination.objects.create(
            school=school,
            year=2017,
            ruleset="ma-2012",
            label="Level 3",
            level=3,
            percentile=20,
            source=org.source,
        )
        SchoolYearProfile.objects.create(
            school=school, year=2017, enrollment=300, source=org.source
        )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["state_admin", "partner_staff", "viewer"])
def test_school_list_queries_do_not_grow_with_the_page(
    persona, personas, org, client_for, django_assert_max_num_queries
):
    client = client_for(getattr(personas, persona))
    client.get("/api/v1/schools")  # warm up anything cached per process
    with CaptureQueriesContext(connection) as few:
        small = client.get("/api/v1/schools", {"limit": 500})
    assert small.status_code == 200

    _add_schools(org, 30)

    with django_assert_max_num_queries(len(few.captured_queries)):
        large = client.get("/api/v1/schools", {"limit": 500})
    assert large.status_code == 200
    if persona != "partner_staff":
        assert large.json()["count"] == 33
        assert all(item["current"] is not None for item in large.json()["items"])


# ---------------------------------------------------------------------------------------------
# States


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("state_admin", ["MA"]),
        ("viewer", ["MA"]),
        ("district_leader", ["MA"]),
        ("school_leader", ["MA"]),
        ("partner_staff", ["MA"]),
        ("other_state_admin", ["RI"]),
        ("other_partner_staff", []),
        ("outsider", []),
    ],
)
def test_state_list(persona, expected, personas, org, client_for):
    response = client_for(getattr(personas, persona)).get("/api/v1/states")

    assert response.status_code == 200
    assert [s["code"] for s in response.json()] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["state_admin", "viewer"])
def test_state_detail_counts_every_school_by_level(persona, personas, org, client_for):
    org.state.data_note = "Results are synthetic."
    org.state.save(update_fields=["data_note"])

    response = client_for(getattr(personas, persona)).get("/api/v1/states/MA")

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["fips"], body["name"]) == ("MA", "25", "Massachusetts")
    assert body["data_note"] == "Results are synthetic."
    assert body["whole_state"] is True
    assert body["school_count"] == 3
    assert {c["key"]: c["count"] for c in body["level_counts"]} == {
        "1": 0,
        "2": 1,
        "3": 1,
        "4": 1,
        "5": 0,
    }


@pytest.mark.django_db
def test_state_detail_accepts_lower_case(as_admin, org):
    assert as_admin.get("/api/v1/states/ma").json()["code"] == "MA"


@pytest.mark.django_db
def test_state_detail_for_district_leader_counts_only_their_schools(personas, org, client_for):
    response = client_for(personas.district_leader).get("/api/v1/states/MA")

    assert response.status_code == 200
    body = response.json()
    assert body["whole_state"] is False
    assert body["school_count"] == 2
    assert {c["key"]: c["count"] for c in body["level_counts"] if c["count"]} == {"2": 1, "4": 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("outsider", "MA"),
        ("other_state_admin", "MA"),
        ("state_admin", "RI"),
        ("state_admin", "XX"),
        ("other_partner_staff", "MA"),
    ],
)
def test_state_detail_is_404_outside_reach(persona, code, personas, org, client_for):
    response = client_for(getattr(personas, persona)).get(f"/api/v1/states/{code}")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["123", "M", "MAS", "M1"])
def test_bad_state_code_is_422_with_the_pattern(code, as_admin, org):
    response = as_admin.get(f"/api/v1/states/{code}")

    errors = error_params(response)
    assert list(errors) == ["code"]
    assert "^[A-Za-z]{2}$" in errors["code"]
    assert response.json()["detail"][0]["loc"] == ["path", "code"]


# ---------------------------------------------------------------------------------------------
# Districts


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("state_admin", ["Boston", "Lynn"]),
        ("viewer", ["Boston", "Lynn"]),
        ("district_leader", ["Boston"]),
        ("other_state_admin", ["Providence"]),
        ("school_leader", []),
        ("outsider", []),
    ],
)
def test_district_list(persona, expected, personas, org, client_for):
    response = client_for(getattr(personas, persona)).get("/api/v1/districts")

    assert response.status_code == 200
    assert names(response) == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.django_db
def test_district_list_item_shape(as_admin, org):
    response = as_admin.get("/api/v1/districts", {"limit": 1})

    assert response.json() == {
        "count": 2,
        "items": [
            {
                "id": org.district.pk,
                "code": "00350000",
                "nces_leaid": "2502790",
                "name": "Boston",
                "state": "MA",
                "is_charter": False,
                "school_count": 2,
            }
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "lyn"}, ["Lynn"]),
        ({"q": "2502790"}, ["Boston"]),  # NCES LEAID
        ({"q": "0163"}, ["Lynn"]),  # start of the state code
        ({"state": "ma"}, ["Boston", "Lynn"]),
        ({"state": "RI"}, []),
        ({"offset": 1}, ["Lynn"]),
    ],
)
def test_district_filters(params, expected, as_admin, org):
    response = as_admin.get("/api/v1/districts", params)

    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "param"), [({"state": "Mass"}, "state"), ({"limit": 1000}, "limit")]
)
def test_bad_district_filter_is_422(params, param, as_admin, org):
    assert list(error_params(as_admin.get("/api/v1/districts", params))) == [param]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("persona", "reachable"),
    [
        ("state_admin", {"district", "district2"}),
        ("viewer", {"district", "district2"}),
        ("district_leader", {"district"}),
        ("school_leader", set()),
        ("outsider", set()),
    ],
)
def test_district_detail(persona, reachable, personas, org, client_for):
    client = client_for(getattr(personas, persona))

    for name in ("district", "district2", "other_district"):
        response = client.get(f"/api/v1/districts/{getattr(org, name).pk}")
        if name in reachable:
            assert response.status_code == 200, (persona, name)
            body = response.json()
            assert body["id"] == getattr(org, name).pk
            assert body["state_name"] == "Massachusetts"
        else:
            assert response.status_code == 404, (persona, name)
            assert response.json() == NOT_FOUND


@pytest.mark.django_db
def test_district_detail_counts_levels(as_admin, org):
    body = as_admin.get(f"/api/v1/districts/{org.district.pk}").json()

    assert body["school_count"] == 2
    assert body["nces_leaid"] == "2502790"
    assert {c["key"]: c["count"] for c in body["level_counts"] if c["count"]} == {"2": 1, "4": 1}


@pytest.mark.django_db
def test_bad_district_id_is_422(as_admin, org):
    response = as_admin.get("/api/v1/districts/boston")

    assert list(error_params(response)) == ["district_id"]
