"""What changed between two plan snapshots (``plans.snapshot``), in words a reader follows.

``snapshot_diff(old, new)`` returns one ``Change`` per item added, removed or changed, in document
order (the plan's fields, then needs with their root causes, goals, objectives → strategies →
actions, benchmarks); an item removed from the newer version appears where it used to be (before
the next item that is still there). A
changed item lists each field that differs with its value before and after, written for people:
choices by their label, school years as "2026–27", dates as "15 August 2026", money as "$1,200.00",
goal targets as "Target for 2027–28". The plan's workflow status is not compared: each version
already says its status.

Pure: it reads only the two dicts (model choices supply the labels).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from turnaround.partners.models import FundingSource
from turnaround.performance.models import StudentGroup
from turnaround.plans.models import (
    ActionStatus,
    BenchmarkKind,
    Metric,
    NeedStatement,
)

ADDED, REMOVED, CHANGED = "added", "removed", "changed"

KIND_LABELS = {
    "plan": "Plan",
    "need": "Need",
    "root_cause": "Root cause",
    "goal": "Goal",
    "objective": "Objective",
    "strategy": "Strategy",
    "action": "Action",
    "benchmark": "Benchmark",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    #: the values as text for people ("" when blank)
    before: str
    after: str

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "label": self.label,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class Change:
    action: str  # added, removed or changed
    key: str  # the item's stable key, e.g. "goal:12"
    kind: str  # plan, need, root_cause, goal, objective, strategy, action, benchmark
    name: str  # the item in a few words (its title, description, measure …)
    context: str = ""  # where it sits, e.g. "in strategy “Universal screening”"
    fields: tuple[FieldChange, ...] = field(default_factory=tuple)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def label(self) -> str:
        return f"{self.kind_label} “{self.name}”"

    @property
    def summary(self) -> str:
        verb = {ADDED: "Added", REMOVED: "Removed", CHANGED: "Changed"}[self.action]
        where = f" {self.context}" if self.context else ""
        return f"{verb} {self.kind_label.lower()} “{self.name}”{where}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "key": self.key,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "name": self.name,
            "context": self.context,
            "summary": self.summary,
            "fields": [f.as_dict() for f in self.fields],
        }


# ---------------------------------------------------------------------------------------------
# Formatting values for people


def school_year(year: Any) -> str:
    """``2027`` → ``2026–27``."""
    if year in (None, ""):
        return ""
    y = int(year)
    return f"{y - 1}–{str(y)[-2:]}"


def _number(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _date(value: Any) -> str:
    if not value:
        return ""
    try:
        d = dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{d.day} {d:%B %Y}"


def _money(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return f"${float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


def _yes_no(value: Any) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _choice(choices: Any) -> Callable[[Any], str]:
    labels = dict(choices.choices)

    def fmt(value: Any) -> str:
        if value in (None, ""):
            return ""
        return str(labels.get(value, value))

    return fmt


def _codes(value: Any) -> str:
    return ", ".join(str(v) for v in value or [])


def _priorities(value: Any) -> str:
    return ", ".join(f"priority #{v}" for v in value or [])


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _designation(value: Any) -> str:
    if not value:
        return ""
    label = value.get("label") or value.get("status", "")
    return f"{label} from {school_year(value.get('entered_year'))}"


def _quarter(value: Any) -> str:
    return f"Q{value}" if value not in (None, "") else ""


#: per kind: (field, label, formatter) in the order shown
FIELDS: dict[str, tuple[tuple[str, str, Callable[[Any], str]], ...]] = {
    "plan": (
        ("title", "Title", _text),
        ("summary", "Executive summary", _text),
        ("first_year", "First school year", school_year),
        ("last_year", "Last school year", school_year),
        ("exit_eligible_year", "Eligible to exit in", school_year),
        ("designation", "Designation", _designation),
    ),
    "need": (
        ("statement", "Problem statement", _text),
        ("source", "Source", _choice(NeedStatement.Source)),
        ("evidence", "Evidence", _text),
        ("priority", "Site-visit priority", lambda v: f"priority #{v}" if v else ""),
    ),
    "root_cause": (
        ("cause", "Root cause", _text),
        ("evidence", "Evidence", _text),
        ("indicators", "Indicators", _codes),
    ),
    "goal": (
        ("description", "Goal", _text),
        ("metric", "Metric", _choice(Metric)),
        ("student_group", "Student group", _choice(StudentGroup)),
        ("subject", "Subject", _text),
        ("baseline_value", "Baseline", _number),
        ("baseline_year", "Baseline year", school_year),
        ("data_source", "Data source", _text),
        ("statutory_area", "Statutory goal area", _text),
    ),
    "objective": (
        ("title", "Objective", _text),
        ("description", "What full implementation looks like", _text),
        ("indicators", "Indicators", _codes),
        ("priorities", "Site-visit priorities", _priorities),
        ("is_active", "Active", _yes_no),
    ),
    "strategy": (
        ("title", "Strategy", _text),
        ("rationale", "Rationale", _text),
    ),
    "action": (
        ("title", "Action", _text),
        ("owner", "Owner", _text),
        ("starts_on", "Starts", _date),
        ("due_on", "Due", _date),
        ("status", "Status", _choice(ActionStatus)),
        ("cost", "Cost", _money),
        ("funding_source", "Funding source", _choice(FundingSource)),
        ("completed_on", "Completed", _date),
    ),
    "benchmark": (
        ("kind", "Kind", _choice(BenchmarkKind)),
        ("measure", "Measure", _text),
        ("data_source", "Data source", _text),
        ("unit", "Unit", _text),
        ("baseline", "Baseline", _number),
        ("target", "Target", _number),
        ("due_year", "Due school year", school_year),
        ("due_quarter", "Due quarter", _quarter),
        ("frequency", "Frequency", _text),
        ("objective", "Objective", _text),  # replaced by the objective's title below
        ("is_active", "Active", _yes_no),
    ),
}

_NAME_FIELD = {
    "plan": "title",
    "need": "statement",
    "root_cause": "cause",
    "goal": "description",
    "objective": "title",
    "strategy": "title",
    "action": "title",
    "benchmark": "measure",
}


def _short(text: Any, limit: int = 80) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class _Item:
    key: str
    kind: str
    name: str
    context: str
    values: dict[str, Any]


def _items(snapshot: dict[str, Any]) -> Iterator[_Item]:
    """Every item of a snapshot in document order, its children left out of its values."""
    plan = snapshot.get("plan") or {}
    yield _Item("plan", "plan", _short(plan.get("title")), "", plan)
    for need in snapshot.get("needs", []):
        need_name = _short(need.get("statement"))
        yield _Item(need["key"], "need", need_name, "", need)
        for cause in need.get("root_causes", []):
            yield _Item(
                cause["key"],
                "root_cause",
                _short(cause.get("cause")),
                f"of need “{need_name}”",
                cause,
            )
    for goal in snapshot.get("goals", []):
        yield _Item(goal["key"], "goal", _short(goal.get("description")), "", goal)
    for objective in snapshot.get("objectives", []):
        o_name = _short(objective.get("title"))
        yield _Item(objective["key"], "objective", o_name, "", objective)
        for strategy in objective.get("strategies", []):
            s_name = _short(strategy.get("title"))
            yield _Item(
                strategy["key"], "strategy", s_name, f"under objective “{o_name}”", strategy
            )
            for action in strategy.get("actions", []):
                yield _Item(
                    action["key"],
                    "action",
                    _short(action.get("title")),
                    f"in strategy “{s_name}”",
                    action,
                )
    for benchmark in snapshot.get("benchmarks", []):
        yield _Item(benchmark["key"], "benchmark", _short(benchmark.get("measure")), "", benchmark)


def _objective_titles(*snapshots: dict[str, Any]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for snap in snapshots:
        for objective in snap.get("objectives", []):
            titles[objective["key"]] = _short(objective.get("title"))
    return titles


def _displayed(item: _Item, titles: dict[str, str]) -> list[tuple[str, str, str]]:
    """``(field, label, text)`` for every compared field of the item, targets included."""
    out = []
    for name, label, fmt in FIELDS[item.kind]:
        value = item.values.get(name)
        if item.kind == "benchmark" and name == "objective":
            text = titles.get(value, value or "") if value else ""
        else:
            text = fmt(value)
        out.append((name, label, text))
    if item.kind == "goal":
        targets = item.values.get("targets") or {}
        for year in sorted(targets, key=int):
            out.append(
                (f"target:{year}", f"Target for {school_year(year)}", _number(targets[year]))
            )
    return out


def _field_changes(
    old: _Item | None, new: _Item | None, titles: dict[str, str]
) -> tuple[FieldChange, ...]:
    before = {f: (label, text) for f, label, text in _displayed(old, titles)} if old else {}
    after = {f: (label, text) for f, label, text in _displayed(new, titles)} if new else {}
    names = list(after) + [f for f in before if f not in after]
    if old and new:
        # targets in year order whether they were added or removed
        names = [n for n in names if not n.startswith("target:")] + sorted(
            {n for n in names if n.startswith("target:")}, key=lambda n: int(n.split(":")[1])
        )
    changes = []
    for name in names:
        label = (after.get(name) or before.get(name))[0]  # type: ignore[index]
        b = before.get(name, ("", ""))[1]
        a = after.get(name, ("", ""))[1]
        if b != a:
            changes.append(FieldChange(field=name, label=label, before=b, after=a))
    return tuple(changes)


def snapshot_diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The items added, removed and changed from ``old`` to ``new``, in document order."""
    titles = _objective_titles(old, new)
    old_items = list(_items(old))
    new_items = list(_items(new))
    old_by_key = {i.key: i for i in old_items}
    new_keys = {i.key for i in new_items}

    # a removed item goes right before the next item of the old version that survives (so it
    # stays in its section), or at the end when none follows
    removed_before: dict[str | None, list[_Item]] = {}
    anchor: str | None = None
    for item in reversed(old_items):
        if item.key in new_keys:
            anchor = item.key
        else:
            removed_before.setdefault(anchor, []).insert(0, item)

    changes: list[Change] = []

    def removed(items: list[_Item]) -> None:
        for item in items:
            changes.append(
                Change(
                    action=REMOVED,
                    key=item.key,
                    kind=item.kind,
                    name=item.name,
                    context=item.context,
                    fields=_field_changes(item, None, titles),
                )
            )

    for item in new_items:
        removed(removed_before.get(item.key, []))
        previous = old_by_key.get(item.key)
        if previous is None:
            changes.append(
                Change(
                    action=ADDED,
                    key=item.key,
                    kind=item.kind,
                    name=item.name,
                    context=item.context,
                    fields=_field_changes(None, item, titles),
                )
            )
        else:
            fields = _field_changes(previous, item, titles)
            if fields:
                changes.append(
                    Change(
                        action=CHANGED,
                        key=item.key,
                        kind=item.kind,
                        name=item.name,
                        context=item.context,
                        fields=fields,
                    )
                )
    removed(removed_before.get(None, []))
    return changes
