"""A million student records through the import framework into PostgreSQL, against COPY.

The file: ``--rows`` (1,000,000) records of the documented student CSV layout
(``turnaround.imports.readers.students``): 250,000 synthetic students of a scratch state
(``ZZ``, 500 schools in 20 districts), two years × two subjects each, with scale scores, levels,
the four group flags and race. Each measurement runs in a process of its own, so its peak
resident memory (``ru_maxrss``: interpreter, libraries and data) is its own:

- **COPY (baseline)**: PostgreSQL's own ``COPY … FROM STDIN (FORMAT csv)`` of the same file
  into a plain table of the same columns (psycopg, no Django): the floor for loading these bytes
  into this server.
- **reader**: ``StudentsReader`` alone: every chunk read, checked and pseudonymised (HMAC), no
  database.
- **import**: the whole framework as the web page, the API and the CLI drive it — store the
  upload (``import_job_create_from_path``), check it (``import_job_validate``: reader, students
  writer, staging table, comparison with the stored records; the staged rows are kept) and
  commit it (``import_job_commit``: the kept rows staged again, compared, then one ordered
  ``INSERT``, or ``INSERT … ON CONFLICT`` when some keys are stored, in one transaction).
  The wall time is the sum of the three; the ratio is to COPY's.

Targets: the import under 2 minutes and under 1 GB. Compare runs on the same machine: the ratio
to COPY travels better than seconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import \\
        .venv/bin/python benchmarks/import_students.py [--rows 1000000] [--strict]

The database must be PostgreSQL and its name must start with ``bench`` (it is created when
missing, migrated, and the scratch state's records are replaced on every run; nothing else is
touched). Prints a table and writes ``benchmarks/results/import_students.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_import"
STATE, FIPS, STATE_NAME = "ZZ", "99", "Benchmark scratch state"
DISTRICTS, SCHOOLS_PER_DISTRICT = 20, 25
YEARS = (2018, 2019)
TARGET_SECONDS, TARGET_MB = 120.0, 1024.0
COLUMNS = (
    "student_id",
    "school_code",
    "year",
    "grade",
    "subject",
    "scale_score",
    "achievement_level",
    "is_high_needs",
    "is_econ_disadv",
    "is_el",
    "is_swd",
    "race",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="records (default 1e6)")
    parser.add_argument("--chunk-rows", type=int, default=50_000, help="rows per chunk")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or DEFAULT_URL,
        help="PostgreSQL URL; the database name must start with 'bench' (default: "
        "$DATABASE_URL, else " + DEFAULT_URL + ")",
    )
    parser.add_argument("--work-dir", type=Path, help="where the file and uploads go (temp)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--output", type=Path, default=HERE / "results" / "import_students.json", help="JSON"
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def peak_mb() -> float:
    """This process's peak resident set, MB: ``VmHWM`` (reset by ``exec``, unlike
    ``ru_maxrss``, which a child inherits from the parent that generated the file)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def conninfo(url: str, dbname: str | None = None) -> str:
    parts = urlparse(url)
    return " ".join(
        f"{k}={v}"
        for k, v in (
            ("host", parts.hostname or "127.0.0.1"),
            ("port", parts.port or 5432),
            ("user", parts.username or "postgres"),
            ("password", parts.password or ""),
            ("dbname", dbname or parts.path.lstrip("/")),
        )
        if v != ""
    )


def check_database(url: str) -> str:
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"the benchmark needs PostgreSQL; got {parts.scheme!r}")
    name = parts.path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(f"refusing database {name!r}: use a database of its own named bench…")
    return name


def ensure_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(conninfo(url, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def school_codes() -> list[str]:
    return [
        f"{d:04d}{s:04d}"
        for d in range(1, DISTRICTS + 1)
        for s in range(1, SCHOOLS_PER_DISTRICT + 1)
    ]


def generate(path: Path, rows: int, seed: int = 2024) -> None:
    """``rows`` records: students × 2 years × 2 subjects, unique (student, year, subject)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    students = -(-rows // 4)
    ids = np.char.add("SASID", np.arange(10_000_000, 10_000_000 + students).astype(str))
    schools = np.asarray(school_codes())[rng.integers(0, len(school_codes()), students)]
    grade0 = rng.integers(3, 8, students)
    flags = rng.random((students, 4)) < np.array([0.45, 0.35, 0.1, 0.17])
    races = np.array(["", "black", "asian", "hispanic", "white", "multirace"])
    race = races[rng.choice(len(races), students, p=[0.02, 0.09, 0.07, 0.2, 0.58, 0.04])]
    ability = rng.normal(0, 1, students)
    parts = []
    for k, year in enumerate(YEARS):
        for subject in ("ELA", "MATH"):
            score = np.clip(np.round(240 + 14 * ability + rng.normal(0, 7, students)), 200, 280)
            level = np.searchsorted([220, 240, 260], score, side="right") + 1
            parts.append(
                pd.DataFrame(
                    {
                        "student_id": ids,
                        "school_code": schools,
                        "year": year,
                        "grade": grade0 + k,
                        "subject": subject,
                        "scale_score": score.astype(int),
                        "achievement_level": level,
                        "is_high_needs": flags[:, 0].astype(int),
                        "is_econ_disadv": flags[:, 1].astype(int),
                        "is_el": flags[:, 2].astype(int),
                        "is_swd": flags[:, 3].astype(int),
                        "race": race,
                    }
                )
            )
    frame = pd.concat(parts, ignore_index=True).iloc[:rows]
    frame.to_csv(path, index=False, columns=list(COLUMNS))


def run_phase(
    args: argparse.Namespace, phase: str, csv: Path, env: dict[str, str]
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", phase, "--csv", str(csv)]
    command += ["--rows", str(args.rows), "--chunk-rows", str(args.chunk_rows)]
    command += ["--database-url", args.database_url]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"phase {phase} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the phases, each in its own process ------------------------------------------------------


def phase_copy(args: argparse.Namespace) -> dict[str, Any]:
    """COPY into a plain table; then the SQL floor of the whole load: the same rows, schools
    joined and a 64-character key computed in SQL, inserted into a clone of the student table
    with all its indexes (no Python, no checks, no comparison)."""
    import psycopg

    table, clone = "bench_copy_baseline", "bench_copy_indexed"
    with psycopg.connect(conninfo(args.database_url)) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"DROP TABLE IF EXISTS {clone}")
        conn.execute(
            f"CREATE TABLE {table} (student_id text, school_code text, year integer, "
            "grade text, subject text, scale_score double precision, achievement_level integer, "
            "is_high_needs boolean, is_econ_disadv boolean, is_el boolean, is_swd boolean, "
            "race text)"
        )
        conn.execute(f"CREATE TABLE {clone} (LIKE performance_studentassessment INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        sql = f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, cursor.copy(sql) as copy, args.csv.open("rb") as handle:
            while block := handle.read(1 << 20):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        started = time.perf_counter()
        conn.execute(
            f"INSERT INTO {clone} (student_key, school_id, year, grade, subject, scale_score, "
            "achievement_level, is_high_needs, is_econ_disadv, is_el, is_swd, race, source_id) "
            "SELECT md5(c.student_id) || md5(c.student_id || 'x'), s.id, c.year, "
            "lpad(c.grade, 2, '0'), c.subject, c.scale_score, c.achievement_level, "
            "c.is_high_needs, c.is_econ_disadv, c.is_el, c.is_swd, coalesce(c.race, ''), 0 "
            f"FROM {table} c JOIN organizations_school s ON s.code = c.school_code "
            "JOIN organizations_district d ON d.id = s.district_id "
            "JOIN organizations_state st ON st.id = d.state_id AND st.code = %s",
            [STATE],
        )
        conn.commit()
        indexed = time.perf_counter() - started
        conn.execute(f"DROP TABLE {table}")
        conn.execute(f"DROP TABLE {clone}")
        conn.commit()
    return {
        "seconds": seconds,
        "rows": rows,
        "peak_mb": peak_mb(),
        "floor_seconds": seconds + indexed,
    }


def phase_reader(args: argparse.Namespace) -> dict[str, Any]:
    from turnaround.imports.readers.students import StudentsReader

    before = peak_mb()
    started = time.perf_counter()
    rows = 0
    options = {"pseudonym_key": "k" * 64, "state": STATE}
    for chunk in StudentsReader().read(args.csv, options=options, chunk_rows=args.chunk_rows):
        rows += len(chunk.frame)
    return {
        "seconds": time.perf_counter() - started,
        "rows": rows,
        "peak_mb": peak_mb(),
        "start_mb": before,
    }


def setup_django(data_dir: Path, url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["TURNAROUND_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("TURNAROUND_ASSETS_DIR", str(REPO / "node_modules"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "turnaround.config.settings"
    os.environ["LOG_LEVEL"] = "WARNING"
    for name in ("TURNAROUND_ENV", "DEBUG"):
        os.environ.pop(name, None)
    import django

    django.setup()


def phase_prepare(args: argparse.Namespace) -> dict[str, Any]:
    """Migrate, and give the scratch state its districts and schools and no student records."""
    setup_django(args.csv.parent / "data", args.database_url)
    from django.core.management import call_command
    from django.db import transaction

    from turnaround.imports.models import ImportJob
    from turnaround.organizations.models import District, School, State
    from turnaround.performance.models import StudentAssessment

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        state, _ = State.objects.get_or_create(
            code=STATE, defaults={"fips": FIPS, "name": STATE_NAME}
        )
        StudentAssessment.objects.filter(school__district__state=state).delete()
        ImportJob.objects.filter(state=state).delete()
        have = set(School.objects.filter(district__state=state).values_list("code", flat=True))
        for d in range(1, DISTRICTS + 1):
            district, _ = District.objects.get_or_create(
                state=state, code=f"{d:04d}0000", defaults={"name": f"Scratch District {d}"}
            )
            School.objects.bulk_create(
                [
                    School(
                        district=district,
                        code=code,
                        name=f"Scratch School {code}",
                        school_type="ES",
                        grade_low="03",
                        grade_high="08",
                    )
                    for s in range(1, SCHOOLS_PER_DISTRICT + 1)
                    if (code := f"{d:04d}{s:04d}") not in have
                ]
            )
    # the deleted records' index entries would slow the next insert of the same keys: vacuum, so
    # every run measures a first import into a clean table
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {StudentAssessment._meta.db_table}")
    return {"seconds": time.perf_counter() - started}


def phase_import(args: argparse.Namespace) -> dict[str, Any]:
    setup_django(args.csv.parent / "data", args.database_url)
    from turnaround.imports.services import (
        import_job_commit,
        import_job_create_from_path,
        import_job_validate,
    )
    from turnaround.organizations.models import State
    from turnaround.performance.models import StudentAssessment

    state = State.objects.get(code=STATE)
    before = peak_mb()
    times: dict[str, float] = {}
    steps: list[tuple[str, float]] = []  # (pipeline stage, time it began)

    def progress(stage: str, done: int, total: int) -> None:
        if not steps or steps[-1][0] != stage:
            steps.append((stage, time.perf_counter()))

    started = time.perf_counter()
    job = import_job_create_from_path(
        actor=None, state=state, reader_key="students", path=args.csv, options={}
    )
    times["upload"] = time.perf_counter() - started
    mark = time.perf_counter()
    job = import_job_validate(job=job, chunk_rows=args.chunk_rows, progress=progress)
    steps.append(("(check done)", time.perf_counter()))
    times["check"] = time.perf_counter() - mark
    if job.status != "ready":
        raise SystemExit(f"the check did not pass: {job.status} {job.message} {job.problems[:5]}")
    mark = time.perf_counter()
    job = import_job_commit(job=job, actor=None, chunk_rows=args.chunk_rows, progress=progress)
    times["commit"] = time.perf_counter() - mark
    steps.append(("(commit done)", time.perf_counter()))
    total = time.perf_counter() - started
    if job.status != "committed":
        raise SystemExit(f"the commit did not pass: {job.status} {job.message}")
    stored = StudentAssessment.objects.filter(school__district__state=state).count()
    pipeline = [
        (stage, round(steps[i + 1][1] - at, 2))
        for i, (stage, at) in enumerate(steps[:-1])
        if not stage.startswith("(")
    ]
    return {
        "seconds": total,
        "stages": times,
        "pipeline": pipeline,
        "rows": stored,
        "peak_mb": peak_mb(),
        "start_mb": before,
        "message": job.message,
    }


PHASES = {
    "copy": phase_copy,
    "reader": phase_reader,
    "prepare": phase_prepare,
    "import": phase_import,
}


# --- the run ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phase:
        sys.path.insert(0, str(REPO / "src"))
        print(json.dumps(PHASES[args.phase](args)))
        return 0
    name = check_database(args.database_url)
    ensure_database(args.database_url, name)
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="bench-import-"))
    (work / "data").mkdir(parents=True, exist_ok=True)
    csv = work / "students.csv"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}

    print(f"Generating {args.rows:,} records ...", flush=True)
    started = time.perf_counter()
    generate(csv, args.rows)
    size_mb = csv.stat().st_size / 2**20
    print(f"  {size_mb:.0f} MB in {time.perf_counter() - started:.1f} s", flush=True)
    print("Preparing the database (migrate, scratch state) ...", flush=True)
    run_phase(args, "prepare", csv, env)
    results: dict[str, Any] = {}
    for phase in ("copy", "reader", "import"):
        print(f"Measuring {phase} ...", flush=True)
        results[phase] = run_phase(args, phase, csv, env)
    copy_s = results["copy"]["seconds"]
    floor = {**results["copy"], "seconds": results["copy"]["floor_seconds"]}
    rows = [
        ("COPY into a plain table (baseline)", results["copy"], None),
        ("SQL floor: COPY + INSERT into indexed clone", floor, None),
        ("reader alone (read, check, pseudonymise)", results["reader"], None),
        ("full import (upload + check + commit)", results["import"], (TARGET_SECONDS, TARGET_MB)),
    ]
    print()
    print(f"{args.rows:,} student records, {size_mb:.0f} MB CSV, PostgreSQL, chunks of "
          f"{args.chunk_rows:,}")  # fmt: skip
    print(f"{'':44} {'seconds':>8} {'× COPY':>7} {'rows/s':>9} {'peak MB':>8}  target")
    missed = []
    for label, result, target in rows:
        ratio = result["seconds"] / copy_s
        rate = result["rows"] / result["seconds"]
        goal = ""
        if target is not None:
            ok = result["seconds"] < target[0] and result["peak_mb"] < target[1]
            goal = f"< {target[0]:.0f} s, < {target[1]:.0f} MB: {'met' if ok else 'MISSED'}"
            if not ok:
                missed.append(label)
        print(f"{label:44} {result['seconds']:8.1f} {ratio:7.1f} {rate:9,.0f} "
              f"{result['peak_mb']:8.0f}  {goal}")  # fmt: skip
    stages = results["import"]["stages"]
    print("  import stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
    for stage, seconds in results["import"]["pipeline"]:
        print(f"    {stage}: {seconds:.1f} s")
    print(f"  stored records: {results['import']['rows']:,}; {results['import']['message']}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "rows": args.rows,
                "csv_mb": size_mb,
                "chunk_rows": args.chunk_rows,
                "results": results,
                "ratio_to_copy": {k: v["seconds"] / copy_s for k, v in results.items()},
                "targets": {"seconds": TARGET_SECONDS, "peak_mb": TARGET_MB},
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            },
            indent=2,
        )
    )
    print(f"\nwrote {args.output}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
