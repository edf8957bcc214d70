"""Vega-Lite specs of the scorecard, built in Python; each page shows a table with the same figures.

- :func:`outcome_means_chart` — the engaged schools' mean outcomes by year relative to their start,
  one small panel per outcome.
- :func:`event_study_chart` — the estimated engaged-minus-comparison difference by year relative
  to the start, with its confidence interval, the reference year (fixed at zero) marked, one panel
  per outcome.
"""

from __future__ import annotations

from typing import Any

from turnaround.performance.charts import SCHEMA

#: between the last year before engagement (−1) and the first year of it (0)
START_RULE = {
    "mark": {"type": "rule", "strokeDash": [6, 4], "color": "#71767a"},
    "encoding": {"x": {"datum": -0.5}},
}
ZERO_RULE = {
    "mark": {"type": "rule", "color": "#a9aeb1"},
    "encoding": {"y": {"datum": 0}},
}
RELATIVE_YEAR_AXIS = {
    "field": "relative_year",
    "type": "quantitative",
    "title": "Years from engagement start (0 = first year)",
    "axis": {"tickMinStep": 1, "format": "d"},
}


def _faceted(
    values: list[dict[str, Any]], layers: list[dict[str, Any]], description: str
) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": description,
        "data": {"values": values},
        "facet": {
            "field": "outcome_label",
            "type": "nominal",
            "title": None,
            "sort": {"field": "order"},
        },
        "columns": 3,
        "spec": {"width": 220, "height": 160, "layer": layers},
        "resolve": {"scale": {"y": "independent"}},
    }


def outcome_means_chart(rows: list[dict[str, Any]], *, order: dict[str, int]) -> dict[str, Any]:
    """Mean of each outcome over the engaged schools by relative year (``rows`` from the
    scorecard: outcome, outcome_label, relative_year, mean, n_schools)."""
    values = [{**r, "order": order.get(r["outcome"], 99)} for r in rows]
    line = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": RELATIVE_YEAR_AXIS,
            "y": {
                "field": "mean",
                "type": "quantitative",
                "title": "Mean of the engaged schools",
                "scale": {"zero": False},
            },
            "tooltip": [
                {"field": "outcome_label", "title": "Outcome"},
                {"field": "relative_year", "title": "Years from start"},
                {"field": "mean", "title": "Mean", "format": ".1f"},
                {"field": "n_schools", "title": "Schools"},
            ],
        },
    }
    return _faceted(
        values,
        [START_RULE, line],
        "Mean outcomes of the engaged schools in the years before and after engagement started; "
        "the dashed line marks the start. The table beside the chart has the same figures.",
    )


def event_study_chart(
    rows: list[dict[str, Any]], *, order: dict[str, int], confidence: int = 95
) -> dict[str, Any]:
    """Event-study estimates with their intervals; ``rows`` hold outcome, outcome_label,
    relative_year, estimate, ci_low, ci_high and ``reference`` (true for the year fixed at 0)."""
    values = [
        {
            **r,
            "order": order.get(r["outcome"], 99),
            "kind": "Reference year (set to 0)" if r.get("reference") else "Estimate",
        }
        for r in rows
    ]
    interval = {
        "transform": [{"filter": "datum.ci_low != null"}],
        "mark": {"type": "rule", "strokeWidth": 2, "color": "#005ea2"},
        "encoding": {
            "x": RELATIVE_YEAR_AXIS,
            "y": {"field": "ci_low", "type": "quantitative"},
            "y2": {"field": "ci_high"},
        },
    }
    points = {
        "mark": {"type": "point", "filled": True, "size": 60},
        "encoding": {
            "x": RELATIVE_YEAR_AXIS,
            "y": {
                "field": "estimate",
                "type": "quantitative",
                "title": f"Engaged minus comparison ({confidence}% CI)",
            },
            "shape": {
                "field": "kind",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": ["Estimate", "Reference year (set to 0)"],
                    "range": ["circle", "diamond"],
                },
            },
            "color": {
                "field": "kind",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": ["Estimate", "Reference year (set to 0)"],
                    "range": ["#005ea2", "#d83933"],
                },
            },
            "tooltip": [
                {"field": "outcome_label", "title": "Outcome"},
                {"field": "relative_year", "title": "Years from start"},
                {"field": "estimate", "title": "Difference", "format": ".2f"},
                {"field": "ci_low", "title": "CI low", "format": ".2f"},
                {"field": "ci_high", "title": "CI high", "format": ".2f"},
            ],
        },
    }
    return _faceted(
        values,
        [ZERO_RULE, START_RULE, interval, points],
        "Event study: the difference between engaged and comparison schools in each year before "
        "and after engagement started, relative to the reference year (the year before the "
        f"start, set to zero), with {confidence}% confidence intervals. Differences before the "
        "start should be near zero. The table beside the chart has the same figures.",
    )
