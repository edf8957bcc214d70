"""Full-data agreement: SGPs with the default solver vs exact HiGHS LP fits on sgpData_LONG.

Every content area and every analysis year of the SGP package's long example file (issue 4,
point 3): the SGPs of every student, every order, must be equal. Prints the students compared,
the cohorts and order fits, the disagreements and the wall times, and writes
``benchmarks/results/growth_agreement.json``.

    .venv/bin/python benchmarks/growth_agreement.py                 # all of it
    .venv/bin/python benchmarks/growth_agreement.py --workers 2     # a process pool
    .venv/bin/python benchmarks/growth_agreement.py --content-areas READING --years 2023_2024
    .venv/bin/python benchmarks/growth_agreement.py --reference highs-dual   # the dual LP

HiGHS solves one LP per tau and is slow (about a second per LP at n = 4,000 here), so its
results are cached per cohort under ``benchmarks/results/growth_highs_cache/``, keyed by the
cohort's input hash: an interrupted run resumes, and a rerun after a solver change refits only
the default method. When the default method *is* HiGHS (no faster method installed), the
comparison is trivial and the fits are skipped unless ``--force``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

from turnaround.analytics.growth import (  # noqa: E402
    DEFAULT_METHOD,
    TAUS,
    CoefficientMatrix,
    CohortTask,
    GrowthPlan,
    SGPResult,
    sgp_plan,
    sgp_run,
)
from turnaround.analytics.growth.cohorts import build_cohort  # noqa: E402
from turnaround.analytics.growth.design import design_matrix  # noqa: E402
from turnaround.analytics.growth.records import PanelIndex, prepare_long  # noqa: E402
from turnaround.analytics.quantreg import rq_objective  # noqa: E402

REFERENCE = "highs"  # the exact primal LP the issue asks to agree with
DEFAULT_DATA = (
    Path(os.environ.get("TURNAROUND_SHARED_DATA", str(REPO.parent / "shared" / "data")))
    / "sgpdata"
    / "sgpData_LONG.csv.gz"
)
COLUMNS = ["VALID_CASE", "CONTENT_AREA", "YEAR", "ID", "GRADE", "SCALE_SCORE"]
KEY = ["CONTENT_AREA", "YEAR", "ID", "GRADE"]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the long file")
    parser.add_argument("--content-areas", nargs="+", default=None, metavar="AREA")
    parser.add_argument("--years", nargs="+", default=None, metavar="YEAR")
    parser.add_argument("--workers", type=int, default=1, help="process pool size (1: inline)")
    parser.add_argument("--method", default=DEFAULT_METHOD, help=f"default: {DEFAULT_METHOD}")
    parser.add_argument(
        "--reference",
        default=REFERENCE,
        help=f"the exact LP to agree with (default {REFERENCE}; highs-dual is its faster dual)",
    )
    parser.add_argument(
        "--fallback",
        nargs="*",
        default=[REFERENCE],
        help="exact methods to refit a cohort the reference cannot solve (default: highs)",
    )
    parser.add_argument("--force", action="store_true", help="fit even if method is the reference")
    parser.add_argument(
        "--sample", type=int, default=None, help="smoke run: only this many random student IDs"
    )
    parser.add_argument("--output", type=Path, default=HERE / "results" / "growth_agreement.json")
    parser.add_argument(
        "--cache", type=Path, default=HERE / "results" / "growth_highs_cache", help="HiGHS cache"
    )
    return parser.parse_args(argv)


def _pool(workers: int) -> ProcessPoolExecutor | None:
    return ProcessPoolExecutor(max_workers=workers) if workers > 1 else None


def _run(
    long: pd.DataFrame, plan: GrowthPlan, method: str, executor: Executor | None
) -> tuple[SGPResult, float]:
    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done:
            elapsed = time.perf_counter() - start
            print(f"  {method}: {done}/{total} cohorts, {elapsed:,.0f} s", flush=True)

    result = sgp_run(long, plan, method=method, executor=executor, progress=progress)
    return result, time.perf_counter() - start


def _fit_reference(
    long: pd.DataFrame,
    plan: GrowthPlan,
    task: CohortTask,
    methods: Sequence[str],
    executor: Executor | None,
) -> tuple[pd.DataFrame, dict[tuple[str, str, str, int], np.ndarray], str, list[str]]:
    """One cohort with the first method that solves it; the failures of the others."""
    failures: list[str] = []
    for method in methods:
        try:
            result = sgp_run(long, plan, tasks=[task], method=method, executor=executor)
        except (RuntimeError, ValueError) as exc:
            failures.append(f"{task.label} with {method}: {exc}")
            print(f"  ! {failures[-1]}", flush=True)
            continue
        coefs = {(m.content_area, m.year, m.grade, m.order): m.coef for m in result.coefficients}
        return result.frame, coefs, method, failures
    raise RuntimeError("; ".join(failures))


def _reference(
    long: pd.DataFrame,
    plan: GrowthPlan,
    cache: Path,
    workers: int,
    methods: Sequence[str],
) -> tuple[
    pd.DataFrame, dict[tuple[str, str, str, int], np.ndarray], float, int, dict[str, object]
]:
    """Reference SGPs per cohort, from the cache where the cohort's input hash is there.

    Cohorts run one by one (``workers`` at a time) and each is saved as it finishes. A cohort
    the first method cannot solve is refitted with the next one (``--fallback``).
    """
    cache.mkdir(parents=True, exist_ok=True)
    frames: list[pd.DataFrame] = []
    coefs: dict[tuple[str, str, str, int], np.ndarray] = {}
    used: dict[str, str] = {}
    failures: list[str] = []
    todo: list[CohortTask] = []
    for task in plan.tasks:
        path = cache / f"{task.input_hash}.pkl"
        if path.exists():
            with path.open("rb") as fh:
                frame, task_coefs, method, failed = pickle.load(fh)  # noqa: S301 - our cache
            frames.append(frame)
            coefs.update(task_coefs)
            used[task.label] = method
            failures.extend(failed)
        else:
            todo.append(task)
    cached = len(plan.tasks) - len(todo)
    start = time.perf_counter()
    # largest cohorts first
    todo.sort(
        key=lambda t: sum(n * (1 + 7 * k) for k, n in zip(t.orders, t.n_by_order, strict=True)),
        reverse=True,
    )
    pool = _pool(workers)
    try:
        with ThreadPoolExecutor(max_workers=max(workers, 1)) as threads:
            futures = {
                threads.submit(_fit_reference, long, plan, task, methods, pool): task
                for task in todo
            }
            for done, future in enumerate(as_completed(futures), start=1):
                task = futures[future]
                frame, task_coefs, method, failed = future.result()
                with (cache / f"{task.input_hash}.pkl").open("wb") as fh:
                    pickle.dump((frame, task_coefs, method, failed), fh)
                frames.append(frame)
                coefs.update(task_coefs)
                used[task.label] = method
                failures.extend(failed)
                elapsed = time.perf_counter() - start
                print(
                    f"  {methods[0]}: {done}/{len(todo)} cohorts fitted ({cached} cached), "
                    f"{elapsed:,.0f} s",
                    flush=True,
                )
    finally:
        if pool is not None:
            pool.shutdown()
    notes: dict[str, object] = {
        "reference_failures": failures,
        "cohorts_by_method": {
            m: sorted(label for label, u in used.items() if u == m) for m in set(used.values())
        },
    }
    return pd.concat(frames, ignore_index=True), coefs, time.perf_counter() - start, cached, notes


def _objective_gaps(
    long: pd.DataFrame,
    plan: GrowthPlan,
    matrices: Sequence[CoefficientMatrix],
    ref_coefs: dict[tuple[str, str, str, int], np.ndarray],
    tol: float = 1e-6,
) -> list[dict[str, object]]:
    """Where the coefficients differ: is it a tie between optima, or a worse fit?

    Rebuilds each such design and compares ``sum rho_tau`` of both fits at every tau that
    differs. A relative gap of ~1e-12 means two optimal vertices (a non-unique LP optimum).
    """
    out: list[dict[str, object]] = []
    tasks = {(t.content_area, t.year, t.grade): t for t in plan.tasks}
    panels: PanelIndex | None = None
    for m in matrices:
        ref = ref_coefs[(m.content_area, m.year, m.grade, m.order)]
        diff = np.max(np.abs(m.coef - ref), axis=0)
        taus = np.flatnonzero(diff > tol)
        if taus.size == 0:
            continue
        if panels is None:
            panels = PanelIndex(prepare_long(long))
        t = tasks[(m.content_area, m.year, m.grade)]
        cohort = build_cohort(panels, t.content_area, t.progression, t.years)
        rows = cohort.member(m.order)
        X = design_matrix(cohort.priors[rows, : m.order], m.knots)
        y = cohort.y[rows]
        ours = rq_objective(X, y, m.coef[:, taus], TAUS[taus])
        theirs = rq_objective(X, y, ref[:, taus], TAUS[taus])
        out.append(
            {
                "cohort": t.label,
                "order": m.order,
                "taus": [round(float(v), 3) for v in TAUS[taus]],
                "max_abs_coefficient_difference": float(diff.max()),
                "max_relative_objective_gap": float(np.max((ours - theirs) / theirs)),
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    long = pd.read_csv(args.data, usecols=lambda c: c in COLUMNS)
    if args.sample is not None:
        ids = np.random.default_rng(0).choice(np.sort(long["ID"].unique()), args.sample, False)
        long = long.loc[long["ID"].isin(ids)].reset_index(drop=True)
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan = sgp_plan(long, years=args.years, content_areas=args.content_areas, method=args.method)
    ref = args.reference
    ref_plan = sgp_plan(long, years=args.years, content_areas=args.content_areas, method=ref)
    t_plan = time.perf_counter() - t0
    students = sum(t.n_by_order[0] for t in plan.tasks)
    fits = sum(len(t.orders) for t in plan.tasks)
    lps = 100 * fits
    print(
        f"{args.data.name}: {len(long):,} rows, read in {t_read:.1f} s; planned in {t_plan:.1f} s"
    )
    print(
        f"{len(plan.tasks)} cohorts ({', '.join(sorted({t.content_area for t in plan.tasks}))}; "
        f"years {', '.join(sorted({t.year for t in plan.tasks}))}), {fits} order fits "
        f"({lps:,} LPs per method), {students:,} students"
    )
    report: dict[str, object] = {
        "data": str(args.data),
        "rows": len(long),
        "sample_ids": args.sample,
        "cohorts": len(plan.tasks),
        "order_fits": fits,
        "students": students,
        "method": args.method,
        "reference": ref,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "seconds": {"read": round(t_read, 2), "plan": round(t_plan, 2)},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.method == ref and not args.force:
        print(
            f"The method is {ref!r}, the reference itself: nothing to compare "
            "(pass --force to fit anyway)."
        )
        report["status"] = "skipped: the default method is the reference"
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        return 0

    pool = _pool(args.workers)
    try:
        fast, t_fast = _run(long, plan, args.method, pool)
    finally:
        if pool is not None:
            pool.shutdown()
    print(f"{args.method}: {t_fast:,.1f} s")
    methods = [ref, *(m for m in args.fallback if m != ref)]
    ref_frame, ref_coefs, t_ref, cached, notes = _reference(
        long, ref_plan, args.cache, args.workers, methods
    )
    print(f"{ref}: {t_ref:,.1f} s ({cached} of {len(plan.tasks)} cohorts from the cache)")
    for method, labels in notes["cohorts_by_method"].items():  # type: ignore[attr-defined]
        print(f"  fitted with {method}: {len(labels)} cohort(s)")

    a = fast.frame
    b = ref_frame
    merged = a.merge(b, on=KEY, how="outer", suffixes=("", "_ref"), indicator=True)
    only = int((merged["_merge"] != "both").sum())
    max_order = max(len(t.orders) for t in plan.tasks)
    by_order = {}
    differs = {}
    for k in range(1, max_order + 1):
        x = merged[f"SGP_ORDER_{k}"].astype("Float64")
        y = merged[f"SGP_ORDER_{k}_ref"].astype("Float64")
        both = x.notna() & y.notna()
        differs[k] = ((both & (x != y)) | (x.notna() != y.notna())).fillna(True)
        by_order[k] = {"students": int(both.sum()), "disagreements": int(differs[k].sum())}
    sgp_diff = (merged["SGP"].astype("Float64") != merged["SGP_ref"].astype("Float64")).fillna(True)
    disagreements = int(sgp_diff.sum())
    any_order = sum(v["disagreements"] for v in by_order.values())
    coef_diff = max(
        float(np.max(np.abs(m.coef - ref_coefs[(m.content_area, m.year, m.grade, m.order)])))
        for m in fast.coefficients
    )
    per_cohort = []
    for t in plan.tasks:
        sel = (
            (merged["CONTENT_AREA"] == t.content_area)
            & (merged["YEAR"] == t.year)
            & (merged["GRADE"] == t.grade)
        )
        per_cohort.append(
            {
                "cohort": t.label,
                "n_by_order": list(t.n_by_order),
                "sgp_disagreements": int(sgp_diff[sel].sum()),
                "order_disagreements": [int(differs[k][sel].sum()) for k in t.orders],
            }
        )
    gaps = _objective_gaps(long, plan, fast.coefficients, ref_coefs)
    print(
        f"students compared: {int((merged['_merge'] == 'both').sum()):,} "
        f"(in one result only: {only}); SGP disagreements: {disagreements}"
    )
    for k, v in by_order.items():
        print(f"  order {k}: {v['students']:,} students, {v['disagreements']} disagreements")
    print(f"largest coefficient difference: {coef_diff:.3g}")
    for g in gaps:
        print(
            f"  {g['cohort']} order {g['order']}: coefficients differ at {len(g['taus'])} "
            f"tau(s) (max {g['max_abs_coefficient_difference']:.3g}); objective "
            f"{args.method} − {ref}: max relative {g['max_relative_objective_gap']:.3g}"
        )
    print(f"wall time: {args.method} {t_fast:,.1f} s; {ref} {t_ref:,.1f} s")
    report.update(
        {
            "status": "done",
            "students_compared": int((merged["_merge"] == "both").sum()),
            "students_in_one_result_only": only,
            "sgp_disagreements": disagreements,
            "by_order": by_order,
            "disagreements_any_order": any_order,
            "max_abs_coefficient_difference": coef_diff,
            "coefficient_differences": gaps,
            "reference_cohorts_from_cache": cached,
            **notes,
            "per_cohort": per_cohort,
        }
    )
    report["seconds"] = {
        "read": round(t_read, 2),
        "plan": round(t_plan, 2),
        "method": round(t_fast, 2),
        "reference": round(t_ref, 2),
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 1 if disagreements or any_order or only else 0


if __name__ == "__main__":
    raise SystemExit(main())
