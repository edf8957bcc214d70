"""Gunicorn settings read by ``turnaround serve`` (``--config python:…``).

Each worker warms the report-PDF renderer (WeasyPrint and the Vega-Lite converter) in a background
thread as it starts, so that even the first PDF a worker serves is generated warm (about 1 s
instead of 2.5 s); requests are answered meanwhile.
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    from turnaround.assessments.pdf import prewarm_in_background

    prewarm_in_background()
