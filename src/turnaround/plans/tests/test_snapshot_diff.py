"""The version snapshot's contents and the differences between two snapshots."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from turnaround.frameworks.models import Indicator
from turnaround.frameworks.seed import frameworks_seed
from turnaround.plans.diff import ADDED, CHANGED, REMOVED, snapshot_diff
from turnaround.plans.models import (
    Action,
    Benchmark,
    BenchmarkKind,
    Goal,
    GoalTarget,
    Metric,
    Objective,
    RootCause,
    Strategy,
)
from turnaround.plans.snapshot import plan_snapshot
from turnaround.plans.tests.factories import make_plan


@pytest.fixture
def plan(org):
    return make_plan(school=org.school)


def test_the_snapshot_holds_the_whole_plan_with_stable_keys(plan, org):
    frameworks_seed()
    indicators = list(Indicator.objects.order_by("code")[:2])
    cause = RootCause.objects.get(need__plan=plan)
    cause.indicators.set(indicators)
    objective = Objective.objects.get(plan=plan)
    objective.indicators.set(indicators[:1])
    action = Action.objects.get(strategy__objective=objective)
    Action.objects.filter(pk=action.pk).update(cost=Decimal("1200"), funding_source="title_i")

    snap = plan_snapshot(plan)

    assert json.loads(json.dumps(snap)) == snap  # JSON-ready, and reads back the same
    p = snap["plan"]
    assert p["title"] == "Turnaround plan 2026–2029"
    assert (p["first_year"], p["last_year"], p["exit_eligible_year"]) == (2027, 2029, 2029)
    assert p["school"] == {"id": org.school.pk, "code": "00350001", "name": "Adams Elementary"}
    assert p["district"]["code"] == "00350000"
    assert (p["state"], p["status"], p["kind"]) == ("MA", "draft", "school")
    [need] = snap["needs"]
    assert need["key"] == f"need:{need['id']}"
    assert need["root_causes"][0]["key"] == f"root_cause:{cause.pk}"
    assert need["root_causes"][0]["indicators"] == sorted(i.code for i in indicators)
    [goal] = snap["goals"]
    assert goal["key"].startswith("goal:")
    assert goal["targets"] == {"2027": 26.0, "2028": 31.0, "2029": 36.0}
    assert (goal["metric"], goal["subject"], goal["baseline_value"]) == ("proficiency", "ELA", 21)
    [obj] = snap["objectives"]
    assert obj["key"] == f"objective:{objective.pk}"
    assert obj["indicators"] == [indicators[0].code]
    assert obj["priorities"] == []
    [strategy] = obj["strategies"]
    [a] = strategy["actions"]
    assert a == {
        "key": f"action:{action.pk}",
        "id": action.pk,
        "title": "Adopt a screener and train grade teams",
        "owner": "Assistant principal",
        "owner_user": None,
        "starts_on": "2026-08-15",
        "due_on": "2026-10-01",
        "status": "not_started",
        "cost": "1200.00",
        "funding_source": "title_i",
        "completed_on": None,
    }
    assert [b["kind"] for b in snap["benchmarks"]] == ["educator", "student"]
    assert snap["benchmarks"][1]["objective"] == f"objective:{objective.pk}"
    assert snap["benchmarks"][0]["objective"] is None


def test_no_changes_no_diff(plan):
    snap = plan_snapshot(plan)
    assert snapshot_diff(snap, json.loads(json.dumps(snap))) == []


def test_a_status_change_alone_is_not_a_content_change(plan):
    old = plan_snapshot(plan)
    plan.status = "submitted"
    plan.save(update_fields=["status"])
    assert snapshot_diff(old, plan_snapshot(plan)) == []


def test_a_changed_goal_target(plan):
    old = plan_snapshot(plan)
    goal = Goal.objects.get(plan=plan)
    GoalTarget.objects.filter(goal=goal, year=2028).update(value=35)
    [change] = snapshot_diff(old, plan_snapshot(plan))
    assert (change.action, change.key, change.kind) == (CHANGED, f"goal:{goal.pk}", "goal")
    assert change.label == "Goal “ELA proficiency, all students”"
    [f] = change.fields
    assert (f.field, f.label, f.before, f.after) == (
        "target:2028",
        "Target for 2027–28",
        "31",
        "35",
    )


def test_an_added_and_a_removed_goal_target(plan):
    old = plan_snapshot(plan)
    goal = Goal.objects.get(plan=plan)
    GoalTarget.objects.filter(goal=goal, year=2029).delete()
    [change] = snapshot_diff(old, plan_snapshot(plan))
    assert [(f.label, f.before, f.after) for f in change.fields] == [
        ("Target for 2028–29", "36", "")
    ]
    reverse = snapshot_diff(plan_snapshot(plan), old)
    assert [(f.label, f.before, f.after) for f in reverse[0].fields] == [
        ("Target for 2028–29", "", "36")
    ]


def test_a_renamed_action(plan):
    old = plan_snapshot(plan)
    action = Action.objects.get(strategy__objective__plan=plan)
    Action.objects.filter(pk=action.pk).update(
        title="Adopt a screener and train every grade team", due_on=dt.date(2026, 11, 15)
    )
    [change] = snapshot_diff(old, plan_snapshot(plan))
    assert change.action == CHANGED
    assert change.name == "Adopt a screener and train every grade team"
    assert change.context == "in strategy “Universal screening”"
    assert [(f.label, f.before, f.after) for f in change.fields] == [
        (
            "Action",
            "Adopt a screener and train grade teams",
            "Adopt a screener and train every grade team",
        ),
        ("Due", "1 October 2026", "15 November 2026"),
    ]
    assert change.as_dict()["summary"] == (
        "Changed action “Adopt a screener and train every grade team” in strategy "
        "“Universal screening”"
    )


def test_added_and_removed_items_in_document_order(plan):
    old = plan_snapshot(plan)
    educator = Benchmark.objects.get(plan=plan, kind=BenchmarkKind.EDUCATOR)
    educator.delete()
    new_goal = Goal.objects.create(
        plan=plan,
        metric=Metric.CHRONIC_ABSENCE,
        description="Chronic absence below 15%",
        baseline_value=24,
        baseline_year=2026,
        order=5,
    )
    GoalTarget.objects.create(goal=new_goal, year=2027, value=20)
    strategy = Strategy.objects.get(objective__plan=plan)
    Action.objects.create(
        strategy=strategy,
        title="Family literacy nights",
        owner="Family liaison",
        starts_on=dt.date(2026, 9, 1),
        due_on=dt.date(2027, 5, 1),
        order=9,
        cost=Decimal("2500.50"),
        funding_source="title_i",
    )
    changes = snapshot_diff(old, plan_snapshot(plan))
    assert [(c.action, c.kind, c.name) for c in changes] == [
        (ADDED, "goal", "Chronic absence below 15%"),
        (ADDED, "action", "Family literacy nights"),
        (REMOVED, "benchmark", educator.measure),
    ]
    added_goal, added_action, removed = changes
    shown = {f.label: f.after for f in added_goal.fields}
    assert shown["Metric"] == "Chronic absence (% of students)"
    assert shown["Baseline"] == "24"
    assert shown["Baseline year"] == "2025–26"
    assert shown["Target for 2026–27"] == "20"
    assert "Subject" not in shown  # blank values are not listed
    action_shown = {f.label: f.after for f in added_action.fields}
    assert action_shown["Cost"] == "$2,500.50"
    assert action_shown["Funding source"] == "Title I, Part A"
    assert action_shown["Starts"] == "1 September 2026"
    assert {f.label: f.before for f in removed.fields}["Due quarter"] == "Q2"
    assert all(f.after == "" for f in removed.fields)


def test_a_removed_item_appears_where_it_was(plan):
    old = plan_snapshot(plan)
    Objective.objects.filter(plan=plan).delete()  # with its strategy and action
    changes = snapshot_diff(old, plan_snapshot(plan))
    assert [(c.action, c.kind) for c in changes] == [
        (REMOVED, "objective"),
        (REMOVED, "strategy"),
        (REMOVED, "action"),
        (CHANGED, "benchmark"),  # the student benchmark lost its objective
    ]
    assert [(f.label, f.before, f.after) for f in changes[-1].fields] == [
        ("Objective", "A tiered system of support in reading", "")
    ]


def test_plan_fields_are_compared(plan):
    old = plan_snapshot(plan)
    plan.exit_eligible_year = 2030
    plan.title = "Adams turnaround plan"
    plan.save(update_fields=["exit_eligible_year", "title"])
    [change] = snapshot_diff(old, plan_snapshot(plan))
    assert change.kind == "plan"
    assert [(f.label, f.before, f.after) for f in change.fields] == [
        ("Title", "Turnaround plan 2026–2029", "Adams turnaround plan"),
        ("Eligible to exit in", "2028–29", "2029–30"),
    ]
