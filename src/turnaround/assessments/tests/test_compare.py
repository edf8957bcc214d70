"""Across schools: heatmap rows and cells (latest visit, crosswalked versions), distribution,
trajectories, who sees what, suppression for the public-view roles, CSV and XLSX exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from turnaround.assessments.compare import (
    CompareFilters,
    compare_scope_for_user,
    comparison_for,
    resolve_filters,
)
from turnaround.assessments.models import Assessment
from turnaround.assessments.tests import report_factories as rf

pytestmark = pytest.mark.django_db


@pytest.fixture
def fleet(org, personas):
    v1 = rf.make_framework()
    v2 = rf.make_next_version(v1, renames={"TP2.3": "TP2.6"})
    lead = personas.state_staff

    def visit(school, version, levels, **kw):
        return rf.make_assessment(school=school, version=version, lead=lead, levels=levels, **kw)

    adams_old = visit(
        org.school, v1, rf.all_levels(v1, 0), school_year="2024-25", start=dt.date(2024, 10, 1)
    )
    visit(org.school, v2, rf.all_levels(v2, 1), start=dt.date(2025, 9, 20))  # superseded
    adams = visit(org.school, v2, {**rf.all_levels(v2, 2), "TP1.1": 3, "TP4.5": None})
    burke_levels = rf.all_levels(v1, 1)
    burke_levels["TP2.3"] = 3  # becomes TP2.6 in the columns
    burke = visit(org.school_hs, v1, burke_levels, start=dt.date(2025, 11, 3))
    lynn = visit(org.school_other_district, v2, rf.all_levels(v2, 2), start=dt.date(2025, 12, 1))
    visit(
        org.school,
        v2,
        rf.all_levels(v2, 0),
        status=Assessment.Status.CONSENSUS,
        start=dt.date(2026, 1, 10),
    )  # a draft: never compared
    visit(org.school_other_state, v2, rf.all_levels(v2, 3))  # another state
    return {
        "v1": v1,
        "v2": v2,
        "framework": v1.framework,
        "adams": adams,
        "adams_old": adams_old,
        "burke": burke,
        "lynn": lynn,
    }


def _compare(user, **params):
    filters = CompareFilters.from_params(params)
    scope = compare_scope_for_user(user, filters.state)
    return comparison_for(scope, resolve_filters(scope, filters))


def _url(fleet, **extra):
    params = {"state": "MA", "framework": fleet["framework"].pk, "year": "2025-26", **extra}
    return "/assessments/compare/?" + "&".join(f"{k}={v}" for k, v in params.items())


# ----------------------------------------------------------------------------- data


def test_heatmap_rows_columns_and_cells(fleet, personas):
    c = _compare(personas.state_staff, state="MA")
    assert c.filters.year == "2025-26" and c.filters.framework == fleet["framework"].pk
    assert [r.school_name for r in c.rows] == ["Adams Elementary", "Burke High", "Lynn Middle"]
    assert c.rows[0].assessment_id == fleet["adams"].pk  # the latest visit of the year
    codes = [col.code for col in c.columns]
    assert codes[:5] == ["TP1.1", "TP1.2", "TP1.3", "TP1.4", "TP1.5"]
    assert "TP2.6" in codes and "TP2.3" not in codes and len(codes) == 20
    cells = {row.school_name: dict(zip(codes, row.cells, strict=True)) for row in c.rows}
    assert cells["Adams Elementary"]["TP1.1"] == (3, "Sustaining")
    assert cells["Adams Elementary"]["TP4.5"] == (None, "Not rated")
    assert cells["Burke High"]["TP2.6"] == (3, "Sustaining")  # crosswalked from TP2.3 (v1)
    assert cells["Burke High"]["TP1.1"] == (1, "Developing")
    assert [p.code for p in c.practices] == ["TP1", "TP2", "TP3", "TP4"]
    assert c.rows[1].practice_means == (1.0, 1.4, 1.0, 1.0)
    assert c.rows[0].practice_means[0] == 2.2


def test_distribution_counts_schools_per_level(fleet, personas):
    c = _compare(personas.state_staff, state="MA")
    dist = {d.code: d for d in c.distribution}
    assert c.distribution_labels == (*rf.LEVELS, "Not rated")
    assert dist["TP1.1"].counts == (0, 1, 1, 1, 0) and dist["TP1.1"].total == 3
    assert dist["TP4.5"].counts == (0, 1, 1, 0, 1)
    assert dist["TP2.6"].counts == (0, 0, 2, 1, 0)
    assert not c.suppressed_any


def test_trajectories_by_year(fleet, personas):
    c = _compare(personas.state_staff, state="MA")
    assert c.trajectory_years == ("2024-25", "2025-26")
    adams = {
        t.practice_code: t.means for t in c.trajectories if t.school_name == "Adams Elementary"
    }
    assert adams["TP2"] == (0.0, 2.0)
    assert adams["TP1"] == (0.0, 2.2)
    assert c.charts["trajectory_school"] == fleet["adams"].school_id
    values = c.charts["trajectory"]["data"]["values"]
    assert {"year": "2024-25", "practice": "TP2", "mean": 0.0} in values


def test_district_leader_sees_its_district_only(fleet, personas, org):
    c = _compare(personas.district_leader)
    assert [r.school_name for r in c.rows] == ["Adams Elementary", "Burke High"]
    from django.http import Http404

    with pytest.raises(Http404):
        _compare(personas.district_leader, district=str(org.district2.pk))


def test_public_roles_get_the_suppressed_distribution_only(fleet, personas, settings):
    settings.REPORTING_MIN_N = 2
    c = _compare(personas.viewer, state="MA")
    assert c.public and c.rows == () and c.trajectories == ()
    dist = {d.code: d for d in c.distribution}
    # TP2.6: 2 Providing, 1 Sustaining; with min n 2 the single school is hidden, zeros too
    assert dist["TP2.6"].counts == (None, None, 2, None, None)
    assert dist["TP2.6"].total == 3
    assert c.suppressed_any
    settings.REPORTING_MIN_N = 10
    c = _compare(personas.ta_provider, state="MA")
    assert all(n is None for d in c.distribution for n in d.counts)


# ----------------------------------------------------------------------------- pages


def test_page_for_state_staff(fleet, personas, client_for):
    response = client_for(personas.state_staff).get(_url(fleet))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'id="heatmap-table"' in html and 'id="distribution-table"' in html
    assert 'id="trajectory-table"' in html and "heatmap-spec" in html
    assert f'href="/assessments/{fleet["burke"].pk}/report/"' in html
    # the level label is written in each cell, not colour alone
    assert '<span class="rating-badge rating-3">Sustaining</span>' in html
    assert "Providence" not in html


def test_page_access(fleet, personas, client_for, org):
    url = _url(fleet)
    for persona in ("school_leader", "partner_staff", "reviewer", "outsider"):
        assert client_for(getattr(personas, persona)).get(url).status_code == 404, persona
    assert client_for(personas.other_state_admin).get(url).status_code == 404
    leader = client_for(personas.district_leader)
    assert leader.get(_url(fleet, district=org.district2.pk)).status_code == 404
    html = leader.get(url).content.decode()
    assert "Burke High" in html and "Lynn Middle" not in html


def test_page_for_viewers_names_no_school(fleet, personas, client_for):
    response = client_for(personas.viewer).get(_url(fleet))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Adams Elementary" not in html and "Burke High" not in html
    assert 'id="heatmap-table"' not in html
    assert "counts under 10 are hidden" in html
    assert "hidden" in html


def test_other_state_and_empty_year(fleet, personas, client_for):
    c = _compare(personas.other_state_admin)
    assert c.scope.state.code == "RI"
    assert [r.school_name for r in c.rows] == ["Providence Central"]
    response = client_for(personas.district_leader).get(_url(fleet, year="2019-20"))
    assert response.status_code == 200
    assert "No finalised site visits match these filters." in response.content.decode()


def test_bad_filters_answer_400_with_the_reason(fleet, personas, client_for):
    response = client_for(personas.state_staff).get(_url(fleet, year="2025"))
    assert response.status_code == 400
    assert "must be a school year such as 2025-26" in response.content.decode()


# ----------------------------------------------------------------------------- exports


def test_heatmap_csv_and_xlsx(fleet, personas, client_for, org):
    org.school_hs.name = "=HYPERLINK(evil)"
    org.school_hs.save()
    c = client_for(personas.state_staff)
    query = f"?state=MA&framework={fleet['framework'].pk}&year=2025-26"
    response = c.get("/assessments/compare/heatmap.csv" + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:5] == ["School code", "School", "District", "Visit date", "Framework version"]
    assert rows[0][5:9] == ["TP1 mean level", "TP2 mean level", "TP3 mean level", "TP4 mean level"]
    assert rows[0][9] == "TP1.1"
    names = [r[1] for r in rows[1:]]
    assert "'=HYPERLINK(evil)" in names  # neutralised
    adams = next(r for r in rows[1:] if r[1] == "Adams Elementary")
    assert adams[9] == "Sustaining" and adams[0] == "00350001"

    response = c.get("/assessments/compare/heatmap.xlsx" + query)
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    table = [list(r) for r in ws.iter_rows(values_only=True)]
    assert table[0] == rows[0]
    assert len(table) == 4
    assert any(r[1] == "'=HYPERLINK(evil)" for r in table[1:])


def test_distribution_exports_and_suppression(fleet, personas, client_for, settings):
    query = f"?state=MA&framework={fleet['framework'].pk}&year=2025-26"
    staff = client_for(personas.state_staff)
    body = b"".join(
        staff.get("/assessments/compare/distribution.csv" + query).streaming_content
    ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "Indicator",
        "Practice",
        "Indicator text",
        "Schools: No evidence",
        "Schools: Developing",
        "Schools: Providing",
        "Schools: Sustaining",
        "Schools: Not rated",
        "Schools",
    ]
    tp11 = next(r for r in rows if r[0] == "TP1.1")
    assert tp11[3:] == ["0", "1", "1", "1", "0", "3"]

    viewer = client_for(personas.viewer)
    assert viewer.get("/assessments/compare/heatmap.csv" + query).status_code == 404
    assert viewer.get("/assessments/compare/heatmap.xlsx" + query).status_code == 404
    body = b"".join(
        viewer.get("/assessments/compare/distribution.csv" + query).streaming_content
    ).decode("utf-8-sig")
    tp11 = next(r for r in csv.reader(io.StringIO(body)) if r[0] == "TP1.1")
    assert tp11[3:8] == ["suppressed"] * 5
    response = viewer.get("/assessments/compare/distribution.xlsx" + query)
    ws = load_workbook(io.BytesIO(response.content)).active
    assert "suppressed" in [c for r in ws.iter_rows(values_only=True) for c in r]
    assert (
        client_for(personas.outsider)
        .get("/assessments/compare/distribution.csv" + query)
        .status_code
        == 404
    )
