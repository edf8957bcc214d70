"""Exact quantile regression at SGP scale: wall time and peak memory, and the ratio to R's "fn".

Synthetic cohorts: correlated integer scale scores (mean 500, sd 50, every pair of years
correlated 0.8), the SGP design of one grade transition (an intercept and a cubic B-spline basis
per prior: 4 interior knots at the 20/40/60/80% quantiles, boundaries 10% beyond the range;
``turnaround.analytics.growth.bspline.bs_basis``), and the 100 taus 0.005, 0.015, ..., 0.995.
With k priors every order 1..k is fitted, as the growth engine does (a 2-prior run fits the
1-prior and the 2-prior design); times and R's times are the sums over the orders.

Every fit runs in its own process (one BLAS thread, as in the growth engine's process pool). Its
wall time covers ``fit_taus`` only (modules loaded); "peak MB" is the process's peak resident set
(``VmHWM``) up to the end of the fit, interpreter and data included, and "solver MB" the peak of
what the solver allocates beyond the data (``tracemalloc``, in an untimed second run).

When ``Rscript`` with ``quantreg`` is installed (Debian: ``r-cran-quantreg``), the same design,
written as raw doubles so that R reads identical numbers, is fitted in the same run by
``quantreg::rq(y ~ X - 1, tau = taus, method = "fn")``; the table gives the ratio of the wall
times, and the JSON how far R's interior-point objectives lie above the exact ones.

    .venv/bin/python benchmarks/quantreg_bench.py                      # all sizes, 1 and 2 priors
    .venv/bin/python benchmarks/quantreg_bench.py --sizes 50000 100000 --priors 2
    .venv/bin/python benchmarks/quantreg_bench.py --methods auto fn simplex --no-r

Prints a table and writes ``benchmarks/results/quantreg.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SIZES = (50_000, 100_000, 500_000, 1_000_000)
TAUS = (np.arange(100) + 0.5) / 100
SEED = 20240607
TARGET = {"n": 500_000, "priors": 2, "ratio": 20.0, "peak_mb": 1536.0}

R_SCRIPT = r"""
suppressPackageStartupMessages(library(quantreg))
a <- commandArgs(trailingOnly = TRUE)
n <- as.integer(a[2]); p <- as.integer(a[3])
X <- matrix(readBin(file.path(a[1], "X.bin"), "double", n * p), n, p)  # column-major
y <- readBin(file.path(a[1], "y.bin"), "double", n)
taus <- readBin(file.path(a[1], "taus.bin"), "double", as.integer(a[4]))
wall <- system.time(fit <- rq(y ~ X - 1, tau = taus, method = "fn"))[["elapsed"]]
writeBin(as.vector(coef(fit)), file.path(a[1], "r_coef.bin"))
hwm <- grep("^VmHWM:", readLines("/proc/self/status"), value = TRUE)
hwm <- as.numeric(strsplit(trimws(sub("VmHWM:", "", hwm)), " ")[[1]][1])  # KiB
cat(sprintf("%.6f %.1f\n", wall, hwm / 1024), file = file.path(a[1], "r_wall.txt"))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="students")
    parser.add_argument("--priors", type=int, nargs="+", default=[1, 2], help="priors (1..4)")
    parser.add_argument(
        "--methods",
        nargs="+",
        default=["auto"],
        help="fit_taus methods to time (default auto); e.g. auto pk fn simplex highs-dual",
    )
    parser.add_argument("--no-r", action="store_true", help="skip the R comparison")
    parser.add_argument(
        "--verify",
        type=int,
        default=0,
        metavar="K",
        help="check K evenly spaced taus of each fit against HiGHS (dual LP); slow at large n",
    )
    parser.add_argument(
        "--output", type=Path, default=HERE / "results" / "quantreg.json", help="JSON results"
    )
    parser.add_argument(
        "--worker", nargs=4, metavar=("N", "PRIORS", "METHOD", "DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if any(k < 1 or k > 4 for k in args.priors):
        parser.error("--priors must be between 1 and 4")
    from turnaround.analytics.quantreg import METHODS

    bad = sorted(set(args.methods) - set(METHODS))
    if bad:
        parser.error(f"unknown method(s) {', '.join(bad)}; allowed: {', '.join(METHODS)}")
    return args


# --- the synthetic cohort ------------------------------------------------------------------------


def sgp_cohort(n: int, priors: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Design ``[1, bs(prior_1), ..., bs(prior_k)]`` and current scores for ``n`` students."""
    from turnaround.analytics.growth.bspline import bs_basis

    rng = np.random.default_rng(seed + 7919 * priors)
    corr = np.full((priors + 1, priors + 1), 0.8) + 0.2 * np.eye(priors + 1)
    z = rng.standard_normal((n, priors + 1)) @ np.linalg.cholesky(corr).T
    scores = np.round(500.0 + 50.0 * z)
    blocks = [np.ones((n, 1))]
    for k in range(priors):
        x = scores[:, k]
        knots = np.round(np.quantile(x, [0.2, 0.4, 0.6, 0.8]), 3)
        lo, hi = float(x.min()), float(x.max())
        bounds = (round(lo - 0.1 * (hi - lo), 3), round(hi + 0.1 * (hi - lo), 3))
        blocks.append(bs_basis(x, knots.tolist(), bounds))
    return np.hstack(blocks), scores[:, priors].copy()


def order_columns(k: int) -> int:
    """Columns of the order-``k`` design: the intercept and ``k`` cubic B-spline blocks of 7."""
    return 1 + 7 * k


def peak_mb() -> float:
    """Peak resident set of this process (``VmHWM``, MiB).

    Not ``getrusage``: on Linux its ``ru_maxrss`` survives ``exec`` and so includes the parent's
    size at ``fork``, whereas ``VmHWM`` belongs to the new address space.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    import resource  # not Linux: the best available

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --- one timed fit, in a fresh process -----------------------------------------------------------


def worker(n: int, priors: int, method: str, out_dir: Path) -> None:
    import tracemalloc

    from turnaround.analytics.quantreg import fit_taus, rq_objective
    from turnaround.analytics.quantreg.core import check_design, collapse_duplicates
    from turnaround.analytics.quantreg.pk import fit_pk

    X, y = sgp_cohort(n, priors)
    data_mb = peak_mb()
    # As the growth engine does, every order up to ``priors`` is fitted: order k uses the
    # intercept and the first k priors' spline blocks.
    walls = []
    for k in range(1, priors + 1):
        t0 = time.perf_counter()
        res = fit_taus(X[:, : order_columns(k)], y, TAUS, method=method)
        walls.append(time.perf_counter() - t0)
        np.save(out_dir / f"coef_{method}_{k}.npy", res.coef)
    # Peak resident memory of the process up to the end of the timed fits, data included.
    info: dict[str, Any] = {"wall_s": sum(walls), "order_wall_s": walls, "peak_mb": peak_mb()}
    info["data_mb"] = data_mb
    info["method_used"] = res.method
    if res.method == "pk":
        # An untimed second run, fit_taus's steps one by one, for the solver's statistics and the
        # peak of the memory it allocates beyond the data (numpy reports to tracemalloc).
        tracemalloc.start()
        Xa, ya, ta = check_design(X, y, TAUS)
        collapsed = collapse_duplicates(Xa, ya)
        Xs, ys, ws = collapsed if collapsed else (Xa, ya, np.ones(ya.size))
        coef, stats = fit_pk(Xs, ys, ws, ta)
        rq_objective(Xa, ya, coef, ta)
        info["solver_alloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        info["unique_rows"] = int(ys.size)
        info["stats"] = {k: int(v) for k, v in vars(stats).items()}
    (out_dir / f"result_{method}.json").write_text(json.dumps(info))


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    return env


def r_available() -> bool:
    if not shutil.which("Rscript"):
        return False
    check = subprocess.run(
        ["Rscript", "-e", "suppressPackageStartupMessages(library(quantreg))"],
        capture_output=True,
        check=False,
    )
    return check.returncode == 0


def objectives(
    X: np.ndarray, y: np.ndarray, coef: np.ndarray, taus: np.ndarray = TAUS
) -> np.ndarray:
    from turnaround.analytics.quantreg import rq_objective

    return rq_objective(X, y, coef, taus)


def run_case(n: int, priors: int, args: argparse.Namespace, use_r: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="qrbench-") as tmp:
        work = Path(tmp)
        env = child_env()
        for method in args.methods:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker"]
            status = subprocess.run([*cmd, str(n), str(priors), method, tmp], env=env, check=False)
            if status.returncode != 0:
                raise SystemExit(f"the {method} fit failed for n={n}, priors={priors}")
            info = json.loads((work / f"result_{method}.json").read_text())
            info.update(n=n, priors=priors, p=order_columns(priors), method=method)
            rows.append(info)
        X_all, y = sgp_cohort(n, priors)
        orders = range(1, priors + 1)
        designs = {k: X_all[:, : order_columns(k)] for k in orders}
        exact = {
            k: objectives(designs[k], y, np.load(work / f"coef_{args.methods[0]}_{k}.npy"))
            for k in orders
        }
        for row in rows:
            diffs, checks = [], []
            for k in orders:
                coef = np.load(work / f"coef_{row['method']}_{k}.npy")
                obj = objectives(designs[k], y, coef)
                diffs.append(float(np.max(np.abs(obj - exact[k]) / np.maximum(1, exact[k]))))
                if args.verify:
                    checks.append(verify(designs[k], y, coef, args.verify))
            row["max_rel_obj_diff_vs_first"] = max(diffs)
            if checks:
                row["verify"] = {
                    "taus": args.verify * len(checks),
                    "max_rel_obj_gap": max(c["max_rel_obj_gap"] for c in checks),
                }
        if use_r:
            y.tofile(work / "y.bin")
            TAUS.tofile(work / "taus.bin")
            (work / "bench.R").write_text(R_SCRIPT)
            r_wall, r_peak, excess = 0.0, 0.0, []
            for k in orders:
                X = designs[k]
                np.asfortranarray(X).T.tofile(work / "X.bin")  # column-major, as R stores it
                cmd = ["Rscript", str(work / "bench.R"), tmp, str(n), str(X.shape[1])]
                if subprocess.run([*cmd, str(TAUS.size)], env=child_env(), check=False).returncode:
                    raise SystemExit(f"R failed for n={n}, priors={priors}, order {k}")
                wall_k, peak_k = map(float, (work / "r_wall.txt").read_text().split())
                r_wall, r_peak = r_wall + wall_k, max(r_peak, peak_k)
                r_coef = np.fromfile(work / "r_coef.bin").reshape(TAUS.size, X.shape[1]).T
                r_obj = objectives(X, y, r_coef)
                excess.append(float(np.max((r_obj - exact[k]) / np.maximum(1, exact[k]))))
            for row in rows:
                row.update(
                    r_fn_wall_s=r_wall,
                    r_fn_peak_mb=r_peak,
                    ratio=r_wall / row["wall_s"],
                    r_fn_rel_obj_excess_max=max(excess),
                )
    return rows


def verify(X: np.ndarray, y: np.ndarray, coef: np.ndarray, k: int) -> dict[str, float]:
    """Largest relative objective gap to HiGHS (dual LP, IPM and crossover) over ``k`` taus."""
    from turnaround.analytics.quantreg.highs import solve_dual_highs

    idx = np.linspace(0, TAUS.size - 1, k).round().astype(int)
    w = np.ones(y.size)
    ref = np.column_stack(
        [solve_dual_highs(X, y, w, float(TAUS[j]), method="highs-ipm") for j in idx]
    )
    got = objectives(X, y, coef[:, idx], TAUS[idx])
    want = objectives(X, y, ref, TAUS[idx])
    gap = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    return {"taus": int(k), "max_rel_obj_gap": float(gap.max())}


# --- reporting ---------------------------------------------------------------------------------


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'n':>9} {'k':>2} {'p':>3} {'method':<10} {'wall s':>8} {'ms/tau':>7} "
        f"{'peak MB':>8} {'solver MB':>9} {'R fn s':>8} {'x R':>6}  solver"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        r_wall = f"{r['r_fn_wall_s']:8.1f}" if "r_fn_wall_s" in r else f"{'-':>8}"
        ratio = f"{r['ratio']:6.1f}" if "ratio" in r else f"{'-':>6}"
        st = r.get("stats")
        solver = (
            f"rows {r['unique_rows']}, subproblem <= {st['subproblem_rows']}, "
            f"pivots {st['pivots']}, rechecks {st['rechecks']}, fallbacks {st['fallbacks']}"
            if st
            else r["method_used"]
        )
        alloc = f"{r['solver_alloc_peak_mb']:9.0f}" if "solver_alloc_peak_mb" in r else f"{'-':>9}"
        print(
            f"{r['n']:>9} {r['priors']:>2} {r['p']:>3} {r['method']:<10} {r['wall_s']:8.2f} "
            f"{1000 * r['wall_s'] / TAUS.size:7.1f} {r['peak_mb']:8.0f} {alloc} {r_wall} {ratio}"
            f"  {solver}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        n, priors, method, out = args.worker
        worker(int(n), int(priors), method, Path(out))
        return 0
    use_r = not args.no_r and r_available()
    if not args.no_r and not use_r:
        print("note: Rscript with quantreg not found; no R comparison", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        for priors in args.priors:
            rows.extend(run_case(n, priors, args, use_r))
            print(f"done n={n} priors={priors}", file=sys.stderr, flush=True)
    print_table(rows)
    target = [r for r in rows if (r["n"], r["priors"]) == (TARGET["n"], TARGET["priors"])]
    for r in target:
        met = r["peak_mb"] < TARGET["peak_mb"] and r.get("ratio", np.inf) >= TARGET["ratio"]
        print(
            f"target (500,000 students, 2 priors, >= 20x R fn, < 1.5 GB) {r['method']}: "
            f"{'met' if met else 'NOT met'}" + ("" if "ratio" in r else " (no R ratio)")
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "blas_threads": 1,
        "r": use_r,
        "taus": TAUS.size,
    }
    args.output.write_text(json.dumps({"meta": meta, "runs": rows}, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    raise SystemExit(main())
