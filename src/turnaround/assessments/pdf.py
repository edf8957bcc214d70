"""The report as a PDF: the same content as the web page, laid out for print by WeasyPrint.

The practice profile chart is drawn on the server from the *same* Vega-Lite spec the page gives
vega-embed, converted to SVG by ``vl-convert-python`` and embedded inline, so the PDF stays vector
(sharp at any zoom, its labels real text). vl-convert was chosen because it is a single PyPI wheel
that bundles the Vega and Vega-Lite JavaScript with a Deno runtime: no Node.js, no browser, no
network at run time, and it works offline on a fresh machine. (Headless Chromium would need a
browser process per report and is several times slower; node's ``vega-cli`` needs a native canvas
build.) The first conversion in a process starts its JavaScript runtime (about half a second);
later ones take tens of milliseconds. Importing WeasyPrint and its first layout (fonts) cost about
as much again, so opening a report's web page warms both up in a background thread
(``prewarm_in_background``): the PDF a reader then asks for is generated warm.

WeasyPrint does not promise thread safety, so one process renders one PDF at a time (a lock).

WeasyPrint fetches nothing: every resource is inline, and the URL fetcher refuses all URLs, so text
in a report can never make the server read a file or call out.

The PDF never contains the team's working papers (evidence notes, individual ratings): it is a
document that leaves the platform.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from turnaround.assessments.report import Report

logger = logging.getLogger(__name__)
# WeasyPrint logs every layout step at INFO; a report is one line in the request log, not fifteen.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

#: Chart width in CSS pixels on a Letter page with the report's margins.
PDF_CHART_WIDTH = 560
#: The PDF's typeface (Debian's fonts-dejavu-core), also used for the chart's labels.
PDF_FONT = "DejaVu Sans"


class _NoFetch(Exception):
    pass


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise _NoFetch(f"the report PDF loads no external resources ({url[:60]!r})")


def chart_svg(spec: dict[str, Any], *, width: int = PDF_CHART_WIDTH) -> str | None:
    """The Vega-Lite spec drawn as an SVG string, or None when it cannot be drawn."""
    if not spec.get("data", {}).get("values"):
        return None
    fixed = copy.deepcopy(spec)
    fixed["width"] = width  # "container" has no meaning outside a browser
    # measure the text with the font the PDF is set in, so labels fit
    fixed.setdefault("config", {}).setdefault("font", PDF_FONT)
    try:
        import vl_convert as vlc

        svg = vlc.vegalite_to_svg(fixed)
    except Exception:  # the table beside the chart carries the same figures
        logger.exception("could not draw the practice profile chart")
        return None
    # drop the XML prolog if any, and let CSS size the drawing
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return svg


_render_lock = threading.Lock()
_prewarm_started = threading.Event()
_TINY_CHART = {
    "data": {"values": [{"x": "a", "y": 1}]},
    "mark": "bar",
    "encoding": {
        "x": {"field": "x", "type": "nominal"},
        "y": {"field": "y", "type": "quantitative"},
    },
}


def prewarm() -> None:
    """Import WeasyPrint, load its fonts and start vl-convert's runtime (the cold-start cost)."""
    with _render_lock:
        from weasyprint import HTML

        chart_svg(_TINY_CHART, width=40)
        HTML(string=f'<p style="font-family: {PDF_FONT}">.</p>', url_fetcher=_refuse).write_pdf()


def _prewarm_quietly() -> None:
    try:
        prewarm()
    except Exception:  # a failed warm-up only means the first PDF is slower
        logger.warning("could not prewarm the PDF renderer", exc_info=True)


def prewarm_in_background() -> None:
    """Start ``prewarm`` once per process, in a daemon thread; later calls do nothing."""
    if _prewarm_started.is_set():
        return
    _prewarm_started.set()
    threading.Thread(target=_prewarm_quietly, name="report-pdf-prewarm", daemon=True).start()


def report_pdf_filename(report: Report) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", report.subject_name).strip("-").lower() or "report"
    year = report.assessment.school_year or f"{report.assessment.start_date:%Y}"
    draft = "-draft" if report.is_draft else ""
    return f"site-visit-report-{slug}-{year}{draft}.pdf"


def render_report_html(report: Report) -> str:
    svg = chart_svg(report.chart_spec)
    return render_to_string(
        "assessments/report_pdf.html",
        {
            "report": report,
            "a": report.assessment,
            "chart_svg": mark_safe(svg) if svg else "",  # noqa: S308 - produced by vl-convert
            "generated_at": timezone.localtime(),
        },
    )


def render_report_pdf(report: Report) -> bytes:
    """The report as PDF bytes."""
    from weasyprint import HTML

    html = render_report_html(report)
    with _render_lock:
        document = HTML(string=html, base_url=None, url_fetcher=_refuse)
        return bytes(document.write_pdf())
