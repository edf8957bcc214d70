"""Downloads of one plan: the goals, benchmarks and actions tables (CSV, XLSX) and the PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from turnaround.plans.exports import ORG_HEADER, table_for
from turnaround.plans.models import Action, Goal, PlanStatus
from turnaround.plans.services.workflow import (
    plan_district_approve,
    plan_return,
    plan_state_approve,
    plan_submit,
)
from turnaround.plans.tests.factories import make_plan


@pytest.fixture
def plan(org):
    plan = make_plan(school=org.school)
    Action.objects.filter(strategy__objective__plan=plan).update(
        cost=Decimal("1200.50"), funding_source="title_i_1003"
    )
    Goal.objects.filter(plan=plan).update(description="=ELA proficiency, all students")
    return plan


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _url(plan, fmt, table):
    return reverse(f"plans:export_{fmt}", args=[plan.pk]) + f"?table={table}"


def test_goals_csv(plan, personas, client_for):
    response = client_for(personas.school_leader).get(_url(plan, "csv", "goals"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="00350001-2026-2029-goals.csv"' in response["Content-Disposition"]
    header, row = _csv(response)
    assert header[: len(ORG_HEADER)] == ORG_HEADER
    assert header[len(ORG_HEADER) :] == [
        "Goal",
        "Metric",
        "Student group",
        "Subject",
        "Statutory goal area",
        "Baseline",
        "Baseline school year",
        "Data source",
        "Target 2026–27",
        "Target 2027–28",
        "Target 2028–29",
    ]
    values = dict(zip(header, row, strict=True))
    assert values["State"] == "MA"
    assert values["District code"] == "00350000"  # leading zeros kept
    assert values["School code"] == "00350001"
    assert values["School"] == "Adams Elementary"
    assert values["Status"] == "Draft"
    assert values["Goal"] == "'=ELA proficiency, all students"  # no formula
    assert values["Student group"] == "All students"
    assert values["Subject"] == "ELA"
    assert (values["Target 2026–27"], values["Target 2028–29"]) == ("26.0", "36.0")


def test_actions_xlsx_keeps_codes_as_text_and_numbers_as_numbers(plan, personas, client_for):
    response = client_for(personas.state_staff).get(_url(plan, "xlsx", "actions"))
    assert response.status_code == 200
    assert 'filename="00350001-2026-2029-actions.xlsx"' in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws.title == "Actions"
    rows = list(ws.iter_rows(values_only=True))
    values = dict(zip(rows[0], rows[1], strict=True))
    assert values["School code"] == "00350001"
    assert isinstance(values["School code"], str)
    assert values["District code"] == "00350000"
    assert values["Action"] == "Adopt a screener and train grade teams"
    assert values["Strategy"] == "Universal screening"
    assert values["Cost"] == pytest.approx(1200.5)
    assert values["Funding source"] == "Title I §1003 school improvement"
    assert values["Starts"].date() == dt.date(2026, 8, 15)
    assert values["Status"] == "Not started"


def test_benchmarks_table(plan):
    table = table_for([plan], "benchmarks")
    assert [dict(zip(table.header, r, strict=True))["Due quarter"] for r in table.rows] == [
        "Q2",
        "Q3",
    ]
    student = dict(zip(table.header, table.rows[1], strict=True))
    assert student["Kind"] == "Student / early evidence"
    assert student["Objective"] == "A tiered system of support in reading"
    assert student["Due school year"] == "2026–27"


def test_a_district_plan_has_blank_school_columns(org):
    plan = make_plan(district=org.district2)
    table = table_for([plan], "goals")
    row = dict(zip(table.header, table.rows[0], strict=True))
    assert (row["District code"], row["School code"], row["School"]) == ("01630000", "", "")


def test_an_unknown_table_is_a_bad_request(plan, personas, client_for):
    response = client_for(personas.school_leader).get(_url(plan, "csv", "costs"))
    assert response.status_code == 400
    assert "choose table=goals, benchmarks, actions" in response.content.decode()


@pytest.mark.parametrize("who", ["outsider", "viewer", "other_state_admin"])
def test_those_who_cannot_see_the_plan_get_404(plan, personas, client_for, who):
    client = client_for(getattr(personas, who))
    assert client.get(_url(plan, "csv", "goals")).status_code == 404
    assert client.get(reverse("plans:pdf", args=[plan.pk])).status_code == 404


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_plan_pdf(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    plan_return(actor=personas.district_leader, plan=plan, comment="Add a growth goal.")
    plan_submit(actor=personas.school_leader, plan=plan)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    plan_state_approve(actor=personas.state_staff, plan=plan)
    response = client_for(personas.school_leader).get(reverse("plans:pdf", args=[plan.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="plan-00350001-2026-2029.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    assert "Adams Elementary" in text
    assert "Boston" in text
    assert "ELA proficiency, all students" in text
    for heading in (
        "I. Needs and root causes",
        "II. Measurable annual goals",
        "III. Objectives, strategies and actions",
        "IV. Benchmarks",
        "V. Approval history",
    ):
        assert heading in text
    assert "Adopt a screener and train grade teams" in text
    assert "Educator / process benchmarks" in text
    assert "Q2 2026–27" in text
    assert "Approved by the state" in text
    assert "Add a growth goal." in text  # the history, for those who see it


def test_a_draft_pdf_says_so_and_readers_see_no_internal_comments(plan, personas, client_for):
    response = client_for(personas.partner_staff).get(reverse("plans:pdf", args=[plan.pk]))
    assert response.status_code == 200
    assert 'filename="plan-00350001-2026-2029-draft.pdf"' in response["Content-Disposition"]
    assert "Not approved by the state" in _pdf_text(response.content)

    plan_submit(actor=personas.school_leader, plan=plan, comment="Internal note.")
    plan_district_approve(actor=personas.district_leader, plan=plan)
    plan_state_approve(actor=personas.state_staff, plan=plan)
    viewer = client_for(personas.viewer).get(reverse("plans:pdf", args=[plan.pk]))
    assert viewer.status_code == 200
    text = _pdf_text(viewer.content)
    assert "Internal note." not in text
    assert "Approved by the state" in text
    assert plan.__class__.objects.get(pk=plan.pk).status == PlanStatus.STATE_APPROVED
