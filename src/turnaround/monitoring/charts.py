"""Vega-Lite specs for a plan's "where are we now" page, built in Python. Each chart has a data
table beside it on the page with the same figures."""

from __future__ import annotations

from typing import Any

from turnaround.monitoring.health import ACTION_GROUPS, STATUSES, Progress

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

#: USWDS-like colours, distinguishable in greyscale by order and by the legend's labels
STATUS_COLOURS = {
    "on_track": "#00a91c",
    "at_risk": "#ffbe2e",
    "off_track": "#d54309",
    "met": "#005ea2",
    "not_reported": "#a9aeb1",
}
ACTION_COLOURS = {
    "done": "#00a91c",
    "in_progress": "#005ea2",
    "not_started": "#a9aeb1",
    "overdue": "#d54309",
}


def statuses_over_sessions(progress: Progress) -> dict[str, Any]:
    """Stacked bars: how many benchmarks had each status, per session (quarter)."""
    order = [key for key, _ in STATUSES]
    labels = dict(STATUSES)
    values = [
        {
            "session": row["label"],
            "status": labels[key],
            "order": order.index(key),
            "benchmarks": row["counts"][key],
        }
        for row in progress.sessions
        for key in order
        if row["counts"][key]
    ]
    return {
        "$schema": SCHEMA,
        "description": "Benchmarks by status in each quarterly session.",
        "width": "container",
        "height": 240,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "session",
                "type": "ordinal",
                "title": "Session (quarter)",
                "sort": [row["label"] for row in progress.sessions],
                "axis": {"labelAngle": 0},
            },
            "y": {
                "field": "benchmarks",
                "type": "quantitative",
                "title": "Benchmarks",
                "stack": "zero",
                "axis": {"tickMinStep": 1},
            },
            "color": {
                "field": "status",
                "type": "nominal",
                "title": "Status",
                "scale": {
                    "domain": [labels[k] for k in order],
                    "range": [STATUS_COLOURS[k] for k in order],
                },
            },
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "session", "title": "Session"},
                {"field": "status", "title": "Status"},
                {"field": "benchmarks", "title": "Benchmarks"},
            ],
        },
    }


def action_shares(progress: Progress) -> dict[str, Any]:
    """One stacked bar: the share of the plan's actions done, in progress, not started, overdue."""
    order = [key for key, _ in ACTION_GROUPS]
    labels = dict(ACTION_GROUPS)
    values = [
        {
            "plan": "Actions",
            "group": labels[row["key"]],
            "order": order.index(row["key"]),
            "actions": row["count"],
            "share": row["share"],
        }
        for row in progress.action_rows
        if row["count"]
    ]
    return {
        "$schema": SCHEMA,
        "description": "Share of the plan's actions done, in progress, not started and overdue.",
        "width": "container",
        "height": 70,
        "data": {"values": values},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "plan", "type": "nominal", "title": None},
            "x": {
                "field": "actions",
                "type": "quantitative",
                "stack": "normalize",
                "title": "Share of actions",
                "axis": {"format": "%"},
            },
            "color": {
                "field": "group",
                "type": "nominal",
                "title": "Actions",
                "scale": {
                    "domain": [labels[k] for k in order],
                    "range": [ACTION_COLOURS[k] for k in order],
                },
            },
            "order": {"field": "order", "type": "quantitative"},
            "tooltip": [
                {"field": "group", "title": "Actions"},
                {"field": "actions", "title": "Number"},
                {"field": "share", "title": "Share (%)"},
            ],
        },
    }
