"""Identification at state scale: the pure rules on 10,000 schools × 15 student groups × 4 years.

Generates, without a database, a results table of 10,000 schools (elementary, middle and high,
about 60% Title I) with 15 student groups (all students, high needs and the groups of
``analytics.synthetic``, plus further groups to reach 15) in ELA and math for 4 years — 1.2
million result rows — then times, on one core (``taskset``-style affinity and one BLAS thread):

- **essa-csi rules**: ``essa_determinations`` on the 600,000-row ``essa`` frame (school × group ×
  year): lowest 5% of Title I, graduation, ATSI, TSI runs, years in status;
- **ma-2012 rules**: ``ma12_determinations`` on the 40,000-row ``ma12`` frame: CPI and growth
  points, annual and cumulative PPI, percentiles within school type, levels with reasons;
- **inputs**: building both frames from the results table (``indicators.essa_inputs``,
  ``ma12_inputs``), which the identification runs do after loading from the database;
- **evaluate()**: the public entry point, which also checks every input cell first.

Times are the process's CPU seconds (pinned to one core, one BLAS thread), so that other work on
a shared machine does not count; the wall time is printed beside it. Baseline, in the same run:
one ``groupby(["school_id", "year"]).size()`` over the essa frame — a
single vectorised pass over the same rows. Ratios to it travel between machines better than
seconds. Target: the two rule sets together under 5 s (one core). Prints a table and writes
``benchmarks/results/identification.json``.

    .venv/bin/python benchmarks/identification.py                 # or: --schools 2000 -n 3
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from turnaround.analytics import synthetic as syn  # noqa: E402
from turnaround.analytics.accountability import evaluate, ruleset_get  # noqa: E402
from turnaround.analytics.accountability.essa import essa_determinations  # noqa: E402
from turnaround.analytics.accountability.indicators import essa_inputs, ma12_inputs  # noqa: E402
from turnaround.analytics.accountability.ma2012 import ma12_determinations  # noqa: E402

TARGET_S = 5.0
#: 15 student groups: all students, the synthetic generator's nine, and five more
GROUPS = ("all", *syn.GROUPS, "amind", "pacisl", "former_el", "homeless", "foster")
TYPES = ("ES", "MS", "HS")
GRADES = {"ES": "K,01,02,03,04,05", "MS": "06,07,08", "HS": "09,10,11,12"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("-n", type=int, default=3, help="timed repetitions (median reported)")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one core")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "identification.json")
    return parser.parse_args(argv)


def pin() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}"
    return "not pinned (no sched_setaffinity)"


def generate(n_schools: int, n_years: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A results table (school × year × subject × group) and the schools table, vectorised."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{i:08d}" for i in range(n_schools)])
    kind = rng.choice(TYPES, size=n_schools, p=[0.6, 0.2, 0.2])
    schools = pd.DataFrame(
        {
            "school_id": ids,
            "school_type": kind,
            "grades": [GRADES[k] for k in kind],
            "title_i": rng.random(n_schools) < 0.6,
            "high_school": kind == "HS",
            "pool": kind,
        }
    )
    level = rng.normal(0.0, 1.0, n_schools)
    trend = rng.normal(0.5, 1.0, n_schools)
    years = np.arange(2017 - n_years + 1, 2018)
    group_shift = np.concatenate([[0.0], rng.uniform(-8.0, 4.0, len(GROUPS) - 1)])
    share = np.concatenate([[1.0], rng.uniform(0.02, 0.7, len(GROUPS) - 1)])
    size = rng.lognormal(5.5, 0.6, n_schools)
    s, y, g, subj = np.meshgrid(
        np.arange(n_schools),
        np.arange(len(years)),
        np.arange(len(GROUPS)),
        np.arange(2),
        indexing="ij",
    )
    s, y, g, subj = s.ravel(), y.ravel(), g.ravel(), subj.ravel()
    noise = rng.normal(0.0, 3.0, s.size)
    cpi = np.clip(72 + 9 * level[s] + trend[s] * y + group_shift[g] - 3 * subj + noise, 5, 100)
    n = np.maximum(1, np.round(size[s] * share[g] * rng.uniform(0.9, 1.1, s.size)))
    sgp = np.clip(
        np.round(50 + 8 * level[s] + 0.5 * group_shift[g] + rng.normal(0, 6, s.size)), 1, 99
    )
    results = pd.DataFrame(
        {
            "school_id": ids[s],
            "year": years[y],
            "subject": np.array(syn.SUBJECTS)[subj],
            "group": np.array(GROUPS)[g],
            "n_tested": n,
            "composite_index": np.round(cpi, 1),
            "pct_proficient": np.clip(cpi - 25, 0, 100),
            "median_sgp": np.where(n >= 20, sgp, np.nan),
            "sgp_n": np.where(n >= 20, n - 3, np.nan),
        }
    )
    return results, schools


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median CPU seconds of the process and median wall seconds (one core: the same when
    nothing else runs; on a shared machine the wall time also counts others' turns)."""
    times, walls, out = [], [], None
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        out = fn()
        times.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(times), statistics.median(walls), out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    where = "not pinned" if args.no_pin else pin()
    started = time.perf_counter()
    results, schools = generate(args.schools, args.years, args.seed)
    generated = time.perf_counter() - started
    years = sorted(results["year"].unique().tolist())
    essa_params = ruleset_get("essa-csi").configure()
    ma_params = ruleset_get("ma-2012").configure()

    half = max(1, args.n // 2)
    essa_in = timed(lambda: essa_inputs(results, schools, years=years), half)
    ma_in = timed(lambda: ma12_inputs(results, schools, years=years), half)
    essa_frame, ma_frame = essa_in[2], ma_in[2]
    base = timed(lambda: essa_frame.groupby(["school_id", "year"]).size(), args.n)
    essa = timed(lambda: essa_determinations(essa_frame, essa_params), args.n)
    ma = timed(lambda: ma12_determinations(ma_frame, ma_params), args.n)
    checked = timed(lambda: evaluate("ma-2012", [ma_frame]), 1)
    essa_out, ma_out = essa[2], ma[2]
    t_base = base[0]
    rules = essa[0] + ma[0]
    rows = [
        ("baseline: groupby size over the essa frame", base, len(essa_frame)),
        ("essa-csi rules (essa_determinations)", essa, len(essa_frame)),
        ("ma-2012 rules (ma12_determinations)", ma, len(ma_frame)),
        ("both rule sets", (rules, essa[1] + ma[1], None), len(essa_frame) + len(ma_frame)),
        ("inputs: essa_inputs from results", essa_in, len(results)),
        ("inputs: ma12_inputs from results", ma_in, len(results)),
        ("evaluate('ma-2012') with input checks", checked, len(ma_frame)),
    ]
    print(
        f"{args.schools:,} schools × {len(GROUPS)} groups × {len(years)} years: "
        f"{len(results):,} result rows (generated in {generated:.1f} s); {where}; "
        f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}"
    )
    print(f"{'step':<46} {'CPU s':>7} {'wall s':>7} {'rows':>10} {'× baseline':>11}")
    for name, (cpu, wall, _), n in rows:
        print(f"{name:<46} {cpu:>7.3f} {wall:>7.3f} {n:>10,} {cpu / t_base:>11.1f}")
    labels = pd.Series([d.label for d in essa_out if d.year == years[-1]]).value_counts()
    levels = pd.Series([d.label for d in ma_out if d.year == years[-1]]).value_counts()
    print("essa-csi", years[-1], dict(labels))
    print("ma-2012 ", years[-1], dict(levels))
    ok = rules < TARGET_S
    print(
        f"target: both rule sets under {TARGET_S:.0f} s on one core — {'met' if ok else 'MISSED'}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "schools": args.schools,
                "groups": len(GROUPS),
                "years": len(years),
                "result_rows": len(results),
                "pinned": where,
                "cpu_seconds": {name: round(t[0], 4) for name, t, _ in rows},
                "wall_seconds": {name: round(t[1], 4) for name, t, _ in rows},
                "ratio_to_baseline": {name: round(t[0] / t_base, 2) for name, t, _ in rows},
                "target_s": TARGET_S,
                "met": ok,
            },
            indent=2,
        )
    )
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    raise SystemExit(main())
