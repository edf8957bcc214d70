"""Vega-Lite specs built in Python: one line per subject over the school years."""

from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


def yearly_lines_by_subject(
    values: list[dict[str, Any]],
    *,
    field: str,
    title: str,
    domain: tuple[float, float],
    description: str,
    height: int = 260,
    reference: float | None = None,
) -> dict[str, Any]:
    """A line per subject of ``field`` by year; ``values`` rows have year, subject and ``field``.

    ``reference`` draws a dashed horizontal rule (e.g. 50 for typical growth).
    """
    line = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "School year (spring)"},
            "y": {
                "field": field,
                "type": "quantitative",
                "title": title,
                "scale": {"domain": list(domain)},
            },
            "color": {"field": "subject", "type": "nominal", "title": "Subject"},
            "strokeDash": {"field": "subject", "type": "nominal"},
            "tooltip": [
                {"field": "year", "title": "Year"},
                {"field": "subject", "title": "Subject"},
                {"field": field, "title": title},
            ],
        },
    }
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "description": description,
        "width": "container",
        "height": height,
        "data": {"values": values},
    }
    if reference is None:
        spec.update(line)
    else:
        rule = {
            "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#71767a"},
            "encoding": {"y": {"datum": reference}},
        }
        spec["layer"] = [rule, line]
    return spec
