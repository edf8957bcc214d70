"""Server time of the main pages at state scale, against a bare Django view.

Loads the full demo state into ``var/bench`` (SQLite) the first time, then reuses it. Every
request goes through Django's test ``Client`` signed in as ``state.admin``: the whole middleware
stack, the view, the templates and the database, but no network and no browser. Prints a table
and writes ``benchmarks/results/latest.json``.

    ./dev bench                 # or: .venv/bin/python benchmarks/run.py
    ./dev bench --fresh         # reload the demo first
    ./dev bench -n 50 --strict  # more requests; exit 1 when a target is missed
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BENCH_PASSWORD = "bench-demo-password-2017"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests first (3)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=REPO / "var" / "bench",
        help="where the demo database lives (default var/bench, reused when loaded)",
    )
    parser.add_argument("--fresh", action="store_true", help="delete the data dir and reload")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--output", type=Path, default=HERE / "results" / "latest.json", help="JSON results file"
    )
    return parser.parse_args(argv)


def configure(data_dir: Path) -> None:
    """Point Django at the benchmark's own data directory, with the product's settings."""
    if os.environ.get("DATABASE_URL"):
        print("note: DATABASE_URL is set; the benchmark uses that database", file=sys.stderr)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["TURNAROUND_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("TURNAROUND_ASSETS_DIR", str(REPO / "node_modules"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "turnaround.config.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["LOG_LEVEL"] = "WARNING"
    for name in ("TURNAROUND_ENV", "DEBUG"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(HERE))

    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = "bench_urls"


def prepare(data_dir: Path) -> None:
    """Migrate, load the full demo once, collect static files once."""
    from django.conf import settings
    from django.core.management import call_command

    from turnaround.accounts.models import User

    call_command("migrate", interactive=False, verbosity=0)
    if not User.objects.filter(username="state.admin").exists():
        from turnaround.demo.services import demo_load, demo_users_create

        print(f"Loading the full demo into {data_dir} (once; --fresh reloads) ...", flush=True)
        started = time.perf_counter()
        demo_load()
        demo_users_create(password=BENCH_PASSWORD)
        print(f"  loaded in {time.perf_counter() - started:.0f} s", flush=True)
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
        return "core 0"
    return "not pinned"


def measure(client, path: str, *, n: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}; cannot time it")
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p90_ms": times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))],
        "min_ms": times[0],
        "bytes": len(response.content),
    }


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.fresh and args.data_dir.exists():
        shutil.rmtree(args.data_dir)
    configure(args.data_dir)
    prepare(args.data_dir)

    import django
    from django.db.models import Count
    from django.test import Client

    from turnaround.accounts.models import User
    from turnaround.organizations.models import School
    from turnaround.performance.models import AssessmentResult

    pinned = pin_to_one_core()
    busiest = (
        AssessmentResult.objects.values("school")
        .annotate(rows=Count("id"))
        .order_by("-rows", "school")
        .first()
    )
    if busiest is None:
        raise SystemExit("the demo has no assessment results")
    client = Client()
    client.force_login(User.objects.get(username="state.admin"))

    pages = [
        ("baseline", "minimal Django view", "/__bench__/baseline/", None),
        ("state_overview", "state overview", "/states/MA/", 300.0),
        (
            "school_profile",
            f"school profile ({busiest['rows']} result rows)",
            f"/schools/{busiest['school']}/",
            150.0,
        ),
    ]
    results = []
    for key, label, path, target in pages:
        timing = measure(client, path, n=args.n, warmup=args.warmup)
        results.append({"key": key, "label": label, "path": path, "target_ms": target, **timing})
    base = results[0]["median_ms"]
    for row in results:
        row["ratio"] = row["median_ms"] / base if base else None
        row["met"] = row["target_ms"] is None or row["median_ms"] < row["target_ms"]

    print()
    print(
        f"turnaround {git_commit()} · {School.objects.count()} schools · "
        f"{AssessmentResult.objects.count()} result rows · n={args.n} · {pinned}"
    )
    header = f"{'page':<40} {'median ms':>10} {'p90 ms':>8} {'× base':>7} {'target':>9}"
    print(header)
    print("-" * len(header))
    for row in results:
        target = "" if row["target_ms"] is None else f"< {row['target_ms']:.0f}"
        verdict = "" if row["target_ms"] is None else ("ok" if row["met"] else "MISSED")
        print(
            f"{row['label']:<40} {row['median_ms']:>10.1f} {row['p90_ms']:>8.1f} "
            f"{row['ratio']:>7.1f} {target:>9} {verdict}"
        )

    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "commit": git_commit(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": platform.machine(),
        "cpu_affinity": pinned,
        "n": args.n,
        "schools": School.objects.count(),
        "result_rows": AssessmentResult.objects.count(),
        "pages": results,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    shown = args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output
    print(f"\nwrote {shown}")
    missed = [row["label"] for row in results if not row["met"]]
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
