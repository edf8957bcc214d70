"""Time to produce a site-visit report PDF, against trivial baselines measured in the same run.

Builds a typical visit in a fresh SQLite database of its own (a temporary directory): four
practices of five indicators (20 in all) with ratings, rationales, findings and evidence, a
previous visit to compare with, an amendment and four priorities. Then, signed in as the visit's
lead through Django's test ``Client`` (middleware, access checks, queries, chart conversion,
layout), it requests ``/assessments/<id>/report.pdf``:

- **cold**: the first PDF of the process, after Django has answered one trivial request (so
  Django's own start-up is not counted): WeasyPrint is imported and loads its fonts, vl-convert
  starts its JavaScript runtime. The report's web page starts both in a background thread, so a
  PDF asked for from that page is normally generated warm;
- **warm**: the median of ``-n`` further requests.

Baselines, in the same process: a minimal Django view (middleware and session user only) and a
one-paragraph WeasyPrint PDF. Ratios to them travel between machines better than milliseconds.
The target is a warm median under 2 s; the cold figure is reported beside it. Prints a table,
a breakdown of one warm request, and writes ``benchmarks/results/report_pdf.json``.

    .venv/bin/python benchmarks/report_pdf.py            # or: -n 20 --strict
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET_MS = 2000.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10, help="timed warm requests (default 10)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the process to one core")
    parser.add_argument(
        "--output", type=Path, default=HERE / "results" / "report_pdf.json", help="JSON results"
    )
    return parser.parse_args(argv)


def configure(data_dir: Path) -> None:
    os.environ.pop("DATABASE_URL", None)  # always the benchmark's own SQLite file
    os.environ["TURNAROUND_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("TURNAROUND_ASSETS_DIR", str(REPO / "node_modules"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "turnaround.config.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    for name in ("TURNAROUND_ENV", "DEBUG"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(HERE))

    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench_urls"


def build_visit() -> tuple[object, object]:
    """A state, a school, a framework of 4 × 5 indicators and two finalised visits."""
    import datetime as dt

    from django.core.management import call_command

    from turnaround.accounts.models import Membership, User
    from turnaround.assessments.tests import report_factories as rf
    from turnaround.organizations.models import District, School, State

    call_command("migrate", interactive=False, verbosity=0)
    state = State.objects.create(code="MA", fips="25", name="Massachusetts")
    district = District.objects.create(state=state, code="00350000", name="Boston")
    school = School.objects.create(
        district=district, code="00350001", name="Adams Elementary", school_type="ES"
    )
    lead = User.objects.create_user(username="lead", first_name="Lee", last_name="Reviewer")
    Membership.objects.create(user=lead, role="state_staff", state=state)
    reviewers = tuple(
        User.objects.create_user(username=f"reviewer{i}", first_name="Rev", last_name=str(i))
        for i in (1, 2)
    )
    version = rf.make_framework()
    rationale = (
        "Teachers described common assessments given every six weeks, but the results are "
        "reviewed by the leadership team only; grade-level teams do not use them to regroup "
        "students or to plan reteaching. Observed lessons showed little checking for "
        "understanding."
    )
    codes = list(version.indicators.values_list("code", flat=True))
    previous = rf.make_assessment(
        school=school,
        version=version,
        lead=lead,
        reviewers=reviewers,
        levels={c: i % 3 for i, c in enumerate(codes)},
        school_year="2024-25",
        start=dt.date(2024, 10, 8),
    )
    levels = {c: (i + 1) % 4 for i, c in enumerate(codes)}
    levels[codes[-1]] = None
    current = rf.make_assessment(
        school=school,
        version=version,
        lead=lead,
        reviewers=reviewers,
        levels=levels,
        rationales=dict.fromkeys(codes, rationale),
        executive_summary=rationale * 3,
    )
    rf.add_amendment(current, by=lead, code=codes[3], before=2, after=1)
    for rank, code in enumerate(codes[:4], start=1):
        rf.add_priority(
            current,
            rank=rank,
            code=code,
            why=rationale,
            suggested_actions="Work towards Providing: " + rationale,
            owner="Principal",
        )
    assert previous.pk != current.pk
    return lead, current


def timed(fn, n: int) -> dict[str, float]:
    """Wall-clock and CPU time (this process, all threads) per call; CPU time is the steadier
    figure on a machine that other work is also using."""
    times, cpu = [], []
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p90_ms": times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))],
        "min_ms": times[0],
        "cpu_median_ms": statistics.median(cpu),
    }


def breakdown(user: object, assessment_id: int) -> dict[str, float]:
    """Where one warm request's time goes."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    from turnaround.assessments.access import get_assessment_for_user
    from turnaround.assessments.pdf import _refuse, chart_svg
    from turnaround.assessments.report import report_for

    out: dict[str, float] = {}
    t = time.perf_counter()
    report = report_for(get_assessment_for_user(user, assessment_id), include_evidence=False)
    out["report content (queries)"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    svg = chart_svg(report.chart_spec)
    out["chart → SVG (vl-convert)"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    html = render_to_string(
        "assessments/report_pdf.html",
        {"report": report, "a": report.assessment, "chart_svg": svg, "generated_at": None},
    )
    out["HTML template"] = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    HTML(string=html, url_fetcher=_refuse).write_pdf()
    out["layout and PDF (WeasyPrint)"] = (time.perf_counter() - t) * 1000
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="turnaround-bench-pdf-"))
    atexit.register(shutil.rmtree, data_dir, True)
    configure(data_dir)

    import django
    from django.test import Client

    pinned = "not pinned"
    if hasattr(os, "sched_setaffinity") and not args.no_pin:
        os.sched_setaffinity(0, {0})
        pinned = "core 0"

    lead, visit = build_visit()
    client = Client()
    client.force_login(lead)
    path = f"/assessments/{visit.pk}/report.pdf"

    # Django's own first request (URLconf, API router, middleware imports) is not the PDF's cost
    started = time.perf_counter()
    assert client.get("/__bench__/baseline/").status_code == 200
    django_first_ms = (time.perf_counter() - started) * 1000

    started, started_cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    cold_ms = (time.perf_counter() - started) * 1000
    cold_cpu_ms = (time.process_time() - started_cpu) * 1000
    if response.status_code != 200 or not response.content.startswith(b"%PDF"):
        raise SystemExit(f"GET {path} answered {response.status_code}; cannot time it")
    pdf_bytes = len(response.content)
    import io

    from pypdf import PdfReader  # only to count pages for the record

    pages = len(PdfReader(io.BytesIO(response.content)).pages)

    def baseline_view() -> None:
        assert client.get("/__bench__/baseline/").status_code == 200

    def trivial_pdf() -> None:
        from weasyprint import HTML

        HTML(string="<p>ok</p>").write_pdf()

    def report_pdf() -> None:
        assert client.get(path).status_code == 200

    trivial_pdf()  # untimed warm-up of WeasyPrint's own start
    rows = [
        ("baseline_view", "minimal Django view", timed(baseline_view, max(args.n, 30))),
        ("baseline_pdf", "one-paragraph WeasyPrint PDF", timed(trivial_pdf, args.n)),
        (
            "report_pdf",
            f"report PDF, warm ({pages} pages, 20 indicators)",
            timed(report_pdf, args.n),
        ),
    ]
    base_view = rows[0][2]["median_ms"]
    base_pdf = rows[1][2]["median_ms"]
    parts = breakdown(lead, visit.pk)

    print()
    print(f"report PDF benchmark · n={args.n} · {pinned} · python {platform.python_version()}")
    header = (
        f"{'what':<48} {'median ms':>10} {'p90 ms':>8} {'CPU ms':>8} {'× view':>8} {'× pdf':>7}"
    )
    print(header)
    print("-" * len(header))
    for _, label, t in rows:
        print(
            f"{label:<48} {t['median_ms']:>10.1f} {t['p90_ms']:>8.1f} {t['cpu_median_ms']:>8.1f} "
            f"{t['median_ms'] / base_view:>8.0f} {t['median_ms'] / base_pdf:>7.1f}"
        )
    print(
        f"{'report PDF, cold (first PDF of the process)':<48} {cold_ms:>10.1f} {'':>8} "
        f"{cold_cpu_ms:>8.1f}"
    )
    print(f"{'(Django first request, not counted)':<48} {django_first_ms:>10.1f}")
    print("\none warm request, by step:")
    for label, ms in parts.items():
        print(f"  {label:<36} {ms:>8.1f} ms")
    warm = rows[2][2]["median_ms"]
    met = warm < TARGET_MS
    print(
        f"\ntarget: a warm report PDF in under {TARGET_MS:.0f} ms — median {warm:.0f} ms: "
        f"{'ok' if met else 'MISSED'}"
    )
    print(
        f"cold: the first PDF of a process takes {cold_ms:.0f} ms, of which about "
        f"{max(cold_ms - warm, 0):.0f} ms is the one-time start of WeasyPrint and vl-convert "
        "(opening the report page starts them in the background)"
    )

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "python": platform.python_version(),
                "django": django.get_version(),
                "machine": platform.machine(),
                "cpu_affinity": pinned,
                "n": args.n,
                "pages": pages,
                "pdf_bytes": pdf_bytes,
                "cold_ms": cold_ms,
                "cold_cpu_ms": cold_cpu_ms,
                "django_first_request_ms": django_first_ms,
                "target_ms": TARGET_MS,
                "met": met,
                "timings": {key: t for key, _, t in rows},
                "ratios": {
                    "warm_to_view": warm / base_view,
                    "warm_to_trivial_pdf": warm / base_pdf,
                },
                "breakdown_ms": parts,
            },
            indent=2,
        )
        + "\n"
    )
    shown = args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output
    print(f"wrote {shown}")
    return 1 if (args.strict and not met) else 0


if __name__ == "__main__":
    sys.exit(main())
