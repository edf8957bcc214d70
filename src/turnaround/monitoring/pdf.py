"""A session's minutes as a PDF, laid out by WeasyPrint with the renderer set-up of the
assessment reports (``assessments.pdf``): one render at a time (a lock) and a URL fetcher that
refuses everything, so text in the minutes can never make the server read a file or call out.

The minutes hold the date, the participants, the frozen data snapshot, each benchmark's status
with its value and evidence, the notes, the decisions and the next steps (new, carried forward
and closed). A session not yet held prints as a draft.
"""

from __future__ import annotations

import re
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from turnaround.assessments.pdf import PDF_FONT, _refuse, _render_lock
from turnaround.monitoring.models import BenchmarkStatus, StrategySession
from turnaround.monitoring.selectors import session_label, session_steps
from turnaround.plans.models import Benchmark


def minutes_pdf_filename(session: StrategySession) -> str:
    plan = session.plan
    org = plan.school.name if plan.school_id else plan.district.name  # type: ignore[union-attr]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", org).strip("-").lower() or "plan"
    draft = "" if session.is_locked else "-draft"
    return f"session-minutes-{slug}-{session.year}-q{session.quarter}{draft}.pdf"


def minutes_context(session: StrategySession) -> dict[str, Any]:
    plan = session.plan
    statuses = {s.benchmark_id: s for s in BenchmarkStatus.objects.filter(session=session)}
    benchmarks = Benchmark.objects.filter(plan=plan).order_by("kind", "order", "pk")
    rows = [
        {"benchmark": b, "status": statuses.get(b.pk)}
        for b in benchmarks
        if b.pk in statuses or b.is_active
    ]
    return {
        "session": session,
        "plan": plan,
        "organisation": plan.school.name if plan.school_id else plan.district.name,  # type: ignore[union-attr]
        "label": session_label(session),
        "is_draft": not session.is_locked,
        "participants": list(session.participants.order_by("last_name", "username")),
        "other_participants": [
            line.strip() for line in session.other_participants.splitlines() if line.strip()
        ],
        "snapshot": session.data_snapshot or {},
        "benchmark_rows": rows,
        "steps": session_steps(session),
        "generated_at": timezone.localtime(),
        "font": PDF_FONT,
    }


def render_minutes_html(session: StrategySession) -> str:
    return render_to_string("monitoring/minutes_pdf.html", minutes_context(session))


def render_minutes_pdf(session: StrategySession) -> bytes:
    """The minutes as PDF bytes."""
    from weasyprint import HTML

    html = render_minutes_html(session)
    with _render_lock:
        document = HTML(string=html, base_url=None, url_fetcher=_refuse)
        return bytes(document.write_pdf())
