"""Charts of the accountability pages: the cohort survival chart (a Vega-Lite spec built in Python,
drawn by vega-embed with a data table beside it) and the board's trend sparklines (small inline
SVG, drawn on the server so that 50 rows cost nothing in the browser, each with a text
alternative)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import format_html

from turnaround.analytics.accountability.cohorts import CohortSurvival

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


def survival_chart_spec(
    tables: Sequence[CohortSurvival], *, labels: dict[str, str], cohort_year: int
) -> dict[str, Any]:
    """A step line per status: the share of the cohort not yet exited, by year."""
    values = [
        {
            "year": str(row.year),
            "status": labels.get(table.status, table.status),
            "share": round(100 * row.share_not_exited, 1),
            "exited": row.exited,
            "size": table.size,
        }
        for table in tables
        for row in table.rows
        if table.size
    ]
    return {
        "$schema": SCHEMA,
        "description": (
            f"Share of the schools designated in {cohort_year} that had not yet exited, by year "
            "and status; the table beside the chart has the same figures."
        ),
        "width": "container",
        "height": 260,
        "data": {"values": values},
        "mark": {"type": "line", "interpolate": "step-after", "point": True},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": "School year (spring)"},
            "y": {
                "field": "share",
                "type": "quantitative",
                "title": "% not yet exited",
                "scale": {"domain": [0, 100]},
            },
            "color": {"field": "status", "type": "nominal", "title": "Status"},
            "strokeDash": {"field": "status", "type": "nominal"},
            "tooltip": [
                {"field": "status", "title": "Status"},
                {"field": "year", "title": "Year"},
                {"field": "share", "title": "% not yet exited"},
                {"field": "exited", "title": "Exited (cumulative)"},
                {"field": "size", "title": "Schools in the cohort"},
            ],
        },
    }


def sparkline_svg(
    points: Sequence[tuple[int, float]],
    *,
    label: str,
    width: int = 96,
    height: int = 24,
    domain: tuple[float, float] | None = None,
) -> str:
    """An inline SVG line of ``(year, value)`` points, with ``label`` as its text alternative.

    The domain defaults to 1–99 for percentiles (values within it), else the values' range.
    """
    if not points:
        return format_html('<span class="text-base">{}</span>', "no trend")
    values = [v for _, v in points]
    low, high = domain or ((1.0, 99.0) if min(values) >= 1 and max(values) <= 99 else (0.0, 0.0))
    if high <= low:
        low, high = min(values), max(values)
        if high == low:
            low, high = low - 1, high + 1
    pad = 2.0
    step = (width - 2 * pad) / max(1, len(points) - 1)
    coords = []
    for i, (_, value) in enumerate(points):
        x = pad + i * step
        y = pad + (height - 2 * pad) * (1 - (value - low) / (high - low))
        coords.append(f"{x:.1f},{y:.1f}")
    last_x, last_y = coords[-1].split(",")
    text = label + ": " + ", ".join(f"{y} {v:g}" for y, v in points)
    return format_html(
        '<svg class="sparkline" role="img" aria-label="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}"><title>{}</title><polyline fill="none" stroke="#005ea2" '
        'stroke-width="1.5" points="{}"/><circle cx="{}" cy="{}" r="2" fill="#005ea2"/></svg>',
        text,
        width,
        height,
        width,
        height,
        text,
        " ".join(coords),
        last_x,
        last_y,
    )
