"""Federal ESSA identification (``essa-csi``) and California's 2018 CSI graduation rule
(``ca-csi-grad``); accountability.md §4 and §6.

``essa-csi``, per year, from the ``essa`` layout (one row per school, year and student group;
the school row has ``group = "all"`` and carries ``title_i``, ``high_school``, ``grad_rate``,
``grad_cohort``, ``pool``, ``atsi_years``):

- CSI low performance: the lowest ``ceil(csi_pct · m)`` of the ``m`` ranked Title I schools on
  ``index`` (per pool with ``pooling = by_pool``); ties at the cut all included by default.
  Schools with no index or fewer than ``min_n`` students are not ranked.
- CSI low graduation: any high school with a cohort of at least ``grad_min_cohort`` and a rate
  ``≤`` (or ``<``) ``grad_threshold``.
- CSI for ATSI not exiting: a Title I school ATSI for ``atsi_years_to_csi`` consecutive years
  (``atsi_years`` on the first year's school row gives the years before the input).
- ATSI: a group of at least ``min_n`` whose index is at or below the all-students index of the
  highest-ranked CSI low-performance school of its pool.
- TSI: a group of at least ``min_n`` flagged ``underperforming`` in each of the last
  ``tsi_years`` years (the state's definition of consistently underperforming is the input flag).

Label precedence: CSI, ATSI, TSI, Not identified; Not classified when a school has no index and
is not identified by graduation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from turnaround.analytics.accountability.determination import Determination
from turnaround.analytics.accountability.ruleset import CA_CSI_GRAD, ESSA_CSI, Params

CSI, ATSI, TSI = "CSI", "ATSI", "TSI"
NOT_IDENTIFIED = "Not identified"
NOT_CLASSIFIED = "Not classified"


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def csi_count(eligible: int, share: float) -> int:
    """How many schools ``share`` of ``eligible`` identifies: ``ceil(share · eligible)``.

    Computed without floating-point drift (0.05 · 60 is 3, not 4).
    """
    if eligible < 0 or not 0.0 <= share <= 1.0:
        raise ValueError("eligible must be ≥ 0 and share between 0 and 1")
    return math.ceil(round(share * eligible, 9))


def lowest_share(
    index: Sequence[float] | np.ndarray,
    *,
    share: float = 0.05,
    higher_is_better: bool = True,
    ties: str = "include",
) -> tuple[np.ndarray, float | None, int]:
    """Which schools are in the lowest ``share`` of one pool.

    Parameters
    ----------
    index : sequence of float
        Summative index per school (NaN = not ranked).
    share : float
    higher_is_better : bool
    ties : {"include", "exclude"}
        Schools tied with the last identified one: all identified, or none of them.

    Returns
    -------
    (mask, cut, count)
        ``mask`` of identified schools, the index value at the cut (None when nobody is
        identified) and ``ceil(share · ranked)``.
    """
    if ties not in ("include", "exclude"):
        raise ValueError(f"ties must be one of include, exclude; got {ties!r}")
    values = np.asarray(index, dtype=np.float64)
    oriented = values if higher_is_better else -values
    ranked = ~np.isnan(oriented)
    count = csi_count(int(ranked.sum()), share)
    mask = np.zeros(values.shape, dtype=bool)
    if count == 0:
        return mask, None, 0
    cut = np.sort(oriented[ranked])[count - 1]
    mask = ranked & ((oriented <= cut) if ties == "include" else (oriented < cut))
    if ties == "exclude" and not mask.any():
        return mask, None, count
    shown = cut if higher_is_better else -cut
    return mask, float(shown), count


def _is_true(column: pd.Series) -> pd.Series:
    """``value is True`` per cell (booleans only; None, NaN and anything else are False)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.fillna(False).astype(bool)
    cells = column.to_numpy(dtype=object)
    flags = np.fromiter((v is True for v in cells), dtype=bool, count=len(cells))
    return pd.Series(flags, index=column.index)


def _group_run_lengths(groups: pd.DataFrame, flagged: pd.Series) -> pd.Series:
    """Consecutive years (ending in each row's year) each (school, group) was flagged."""
    school = pd.factorize(groups["school_id"], sort=True)[0]
    group = pd.factorize(groups["group"], sort=True)[0]
    year = groups["year"].to_numpy(np.int64)
    order = np.lexsort((year, group, school))  # by school, group, year; stable
    s, g, y = school[order], group[order], year[order]
    f = flagged.to_numpy(bool)[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (s[1:] == s[:-1]) & (g[1:] == g[:-1]) & (y[1:] == y[:-1] + 1)
    continues = f & same & np.concatenate([[False], f[:-1]])
    block = np.cumsum(~continues)
    run = pd.Series(np.ones(len(order), dtype=np.int64)).groupby(block).cumsum().to_numpy()
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.where(f, run, 0)
    return pd.Series(out, index=groups.index)


def essa_determinations(frame: pd.DataFrame, params: Params) -> tuple[Determination, ...]:
    """CSI, ATSI and TSI for every school and year of an ``essa`` frame."""
    higher = params.get_str("index_direction") == "higher_is_better"
    min_n = params.get_int("min_n")
    data = frame.copy()
    for name in ("n", "index", "grad_rate", "grad_cohort", "atsi_years"):
        if name not in data:
            data[name] = np.nan
    for name in ("title_i", "high_school", "underperforming"):
        data[name] = _is_true(data[name]) if name in data else False
    if "pool" not in data or params.get_str("pooling") == "statewide":
        data["pool"] = "state"
    data["pool"] = data["pool"].fillna("")
    enough = data["n"].isna() | (data["n"] >= min_n)
    schools = data[data["group"] == "all"].copy()
    groups = data[data["group"] != "all"].copy()
    missing_all = set(data["school_id"]) - set(schools["school_id"])
    if missing_all:
        shown = ", ".join(sorted(missing_all)[:5])
        raise ValueError(f"every school needs a row with group 'all'; missing for {shown}")
    ranked = schools["title_i"] & schools["index"].notna() & enough[schools.index]
    schools["_csi_low"] = False
    schools["_cut"] = np.nan
    schools["_count"] = 0
    schools["_pool_n"] = 0
    for _, rows in schools[ranked].groupby(["year", "pool"]):
        mask, cut, count = lowest_share(
            rows["index"].to_numpy(np.float64),
            share=params.get_float("csi_pct"),
            higher_is_better=higher,
            ties=params.get_str("ties"),
        )
        schools.loc[rows.index, "_csi_low"] = mask
        schools.loc[rows.index, "_cut"] = np.nan if cut is None else cut
        schools.loc[rows.index, "_count"] = count
        schools.loc[rows.index, "_pool_n"] = len(rows)
    threshold = params.get_float("grad_threshold")
    rate = schools["grad_rate"]
    below = rate <= threshold if params.get_str("grad_comparator") == "<=" else rate < threshold
    cohort_ok = schools["grad_cohort"].isna() | (
        schools["grad_cohort"] >= params.get_int("grad_min_cohort")
    )
    schools["_csi_grad"] = schools["high_school"] & rate.notna() & below & cohort_ok
    # the ATSI cut of each pool and year: all-students index of the best CSI low-perf school
    cuts = schools[schools["_csi_low"]].groupby(["year", "pool"])["index"]
    pool_cut = (cuts.max() if higher else cuts.min()).rename("_atsi_cut")
    pools = schools[["school_id", "year", "pool"]]
    groups = groups.drop(columns=["pool"]).merge(pools, on=["school_id", "year"], how="left")
    groups = groups.merge(pool_cut.reset_index(), on=["year", "pool"], how="left")
    groups_enough = groups["n"].isna() | (groups["n"] >= min_n)
    flagged = groups["underperforming"] & groups_enough
    groups["_tsi_run"] = _group_run_lengths(groups, flagged)
    groups["_tsi"] = groups["_tsi_run"] >= params.get_int("tsi_years")
    low = (
        groups["index"] <= groups["_atsi_cut"] if higher else groups["index"] >= groups["_atsi_cut"]
    )
    groups["_atsi"] = groups_enough & groups["index"].notna() & low.fillna(False)
    if params.get_str("atsi_screen") == "tsi":
        tsi_school = groups.groupby(["school_id", "year"])["_tsi"].transform("any")
        groups["_atsi"] &= tsi_school
    by_school: dict[tuple[str, int], list[tuple[str, float, float, bool, bool]]] = {}
    hits = groups[groups["_atsi"] | groups["_tsi"]]
    for school, year, group, value, size, is_atsi, is_tsi in zip(
        hits["school_id"].astype(str).tolist(),
        hits["year"].astype(int).tolist(),
        hits["group"].astype(str).tolist(),
        hits["index"].astype(np.float64).tolist(),
        hits["n"].astype(np.float64).tolist(),
        hits["_atsi"].astype(bool).tolist(),
        hits["_tsi"].astype(bool).tolist(),
        strict=True,
    ):
        by_school.setdefault((school, year), []).append((group, value, size, is_atsi, is_tsi))
    return _essa_labels(schools, by_school, params)


def _run_counts(
    new_school: npt.NDArray[np.bool_], inside: npt.NDArray[np.bool_], breaks: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Rows ``inside`` counted since the last break within each school (rows sorted by school
    and year; a year missing between two rows is a pause, as in ``consecutive_count``)."""
    block = np.cumsum(new_school | breaks)
    counts = pd.Series(inside.astype(np.int64)).groupby(block).cumsum().to_numpy(np.int64)
    result: npt.NDArray[np.int64] = np.where(inside, counts, 0)
    return result


def _essa_labels(
    schools: pd.DataFrame,
    by_school: dict[tuple[str, int], list[tuple[str, float, float, bool, bool]]],
    params: Params,
) -> tuple[Determination, ...]:
    share = params.get_float("csi_pct")
    higher = params.get_str("index_direction") == "higher_is_better"
    years_to_csi = params.get_int("atsi_years_to_csi")
    tsi_years = params.get_int("tsi_years")
    threshold = params.get_float("grad_threshold")
    comparator = "≤" if params.get_str("grad_comparator") == "<=" else "<"
    schools = schools.sort_values(["school_id", "year"], kind="stable")
    ids = schools["school_id"].astype(str).tolist()
    years = schools["year"].astype(int).tolist()
    n = len(ids)
    ids_arr = np.asarray(ids, dtype=object)
    new_school = np.ones(n, dtype=bool)
    if n:
        new_school[1:] = ids_arr[1:] != ids_arr[:-1]
    # consecutive ATSI years (shared counter, years_to_exit 1), seeded from the first row
    atsi_in = np.fromiter(
        (any(g[3] for g in by_school.get((i, y), ())) for i, y in zip(ids, years, strict=True)),
        dtype=bool,
        count=n,
    )
    seed_raw = pd.to_numeric(schools["atsi_years"], errors="coerce").to_numpy(np.float64)
    first_seed = np.where(new_school, np.nan_to_num(seed_raw, nan=0.0), 0.0)
    school_no = np.cumsum(new_school) - 1
    seed = first_seed[new_school][school_no] if n else first_seed
    out_rows = ~atsi_in
    no_out_yet = (
        pd.Series(out_rows.astype(np.int64)).groupby(school_no).cumsum().to_numpy() == 0
        if n
        else out_rows
    )
    atsi_count = _run_counts(new_school, atsi_in, out_rows) + np.where(
        no_out_yet & atsi_in, seed, 0
    ).astype(np.int64)
    csi_low = schools["_csi_low"].astype(bool).tolist()
    csi_grad = schools["_csi_grad"].astype(bool).tolist()
    title_i = schools["title_i"].astype(bool).tolist()
    index = schools["index"].astype(np.float64).tolist()
    cut = schools["_cut"].astype(np.float64).tolist()
    count = schools["_count"].tolist()
    pool_n = schools["_pool_n"].tolist()
    grad_rate = schools["grad_rate"].astype(np.float64).tolist()
    grad_cohort = schools["grad_cohort"].astype(np.float64).tolist()
    word = "lowest" if higher else "highest"
    sign = "≤" if higher else "≥"
    labels: list[str] = []
    all_reasons: list[list[str]] = []
    for r in range(n):
        found = by_school.get((ids[r], years[r]), [])
        reasons: list[str] = []
        label: str | None = None
        if csi_low[r]:
            reasons.append(
                f"CSI: {word} {_fmt(100 * share)}% of Title I schools: index "
                f"{_fmt(index[r])} {sign} cut {_fmt(cut[r])} ({int(count[r])} of "
                f"{int(pool_n[r])} identified)"
            )
            label = CSI
        if csi_grad[r]:
            cohort = grad_cohort[r]
            size = "" if cohort != cohort else f" (cohort {int(cohort)})"
            reasons.append(
                f"CSI: graduation rate {_fmt(grad_rate[r])}% {comparator} {_fmt(threshold)}%{size}"
            )
            label = CSI
        if title_i[r] and atsi_count[r] >= years_to_csi:
            reasons.append(
                f"CSI: ATSI for {int(atsi_count[r])} consecutive years without exiting "
                f"(≥ {years_to_csi})"
            )
            label = CSI
        if found:
            atsi = [g for g in found if g[3]]
            tsi = [g for g in found if g[4]]
        else:
            atsi = tsi = []
        if atsi:
            shown = ", ".join(f"{g[0]} {_fmt(g[1])}" for g in atsi)
            reasons.append(
                f"ATSI: student group(s) at or below the lowest-performing schools' "
                f"all-students index: {shown}"
            )
            label = label or ATSI
        if tsi:
            shown = ", ".join(g[0] for g in tsi)
            reasons.append(
                f"TSI: student group(s) underperforming {tsi_years} consecutive years: {shown}"
            )
            label = label or TSI
        if label is None:
            if index[r] != index[r]:
                label = NOT_CLASSIFIED
                reasons.append("no summative index: not ranked")
            elif not title_i[r]:
                label = NOT_IDENTIFIED
                reasons.append("not Title I: not ranked for CSI low performance")
            else:
                label = NOT_IDENTIFIED
                reasons.append(
                    f"index {_fmt(index[r])} above the lowest {_fmt(100 * share)}%"
                    if higher
                    else f"index {_fmt(index[r])} below the highest {_fmt(100 * share)}%"
                )
        labels.append(label)
        all_reasons.append(reasons)
    # consecutive years with the same label (a different label ends the run; gaps pause it)
    label_arr = np.asarray(labels, dtype=object)
    changed = np.ones(n, dtype=bool)
    if n:
        changed[1:] = label_arr[1:] != label_arr[:-1]
    in_status = np.isin(label_arr, [CSI, ATSI, TSI]) if n else np.zeros(0, dtype=bool)
    same = _run_counts(new_school, np.ones(n, dtype=bool), changed)
    out = [
        Determination(
            school_id=ids[r],
            year=years[r],
            label=labels[r],
            level=None,
            reasons=tuple(all_reasons[r]),
            values={"index": index[r], "csi_cut": cut[r], "grad_rate": grad_rate[r]},
            years_in_status=int(same[r]) if in_status[r] else None,
            ruleset=ESSA_CSI.id,
            ruleset_version=ESSA_CSI.version,
        )
        for r in range(n)
    ]
    out.sort(key=lambda d: (d.year, d.school_id))
    return tuple(out)


# --- California 2018 CSI graduation ------------------------------------------------------------


def pooled_rate(grads: Sequence[float], cohorts: Sequence[float]) -> float | None:
    """``100 · Σ graduates / Σ cohort``, or None for an empty cohort."""
    total = float(sum(cohorts))
    if len(grads) != len(cohorts):
        raise ValueError("grads and cohorts must have the same length")
    if total <= 0:
        return None
    return 100.0 * float(sum(grads)) / total


def _num(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def ca_csi_grad_determinations(
    frames: Sequence[pd.DataFrame], params: Params
) -> tuple[Determination, ...]:
    """California CSI for low graduation, one determination per school and input year.

    Parameters
    ----------
    frames : sequence of DataFrame
        ``ca-dashboard-grad`` inputs, one per year, oldest first. Only school rows (``rtype``
        S) of the all-students group are judged.
    params : Params
        Validated ``ca-csi-grad`` parameters.
    """
    threshold = params.get_float("grad_threshold")
    strict = params.get_str("grad_comparator") == "<"
    min_cohort = params.get_int("min_cohort_each_year")
    pooled = params.get_int("grad_years_pooled")
    from_previous = params.get_str("prior_source") == "previous_input"
    skip_dass = params.get_str("dass") == "not_evaluated"
    out: list[Determination] = []
    previous: dict[str, tuple[float | None, float | None]] = {}
    previous_year: int | None = None
    for frame in frames:
        rows = frame[(frame["rtype"] == "S") & (frame["group"] == "ALL")]
        current: dict[str, tuple[float | None, float | None]] = {}
        for row in rows.to_dict("records"):
            school = str(row["school_id"])
            year = int(row["year"])
            grads, cohort = _num(row["grads"]), _num(row["cohort"])
            current[school] = (grads, cohort)
            if from_previous:
                prior = (
                    previous.get(school, (None, None))
                    if previous_year == year - 1
                    else (
                        None,
                        None,
                    )
                )
            else:
                prior = (_num(row["prior_grads"]), _num(row["prior_cohort"]))
            years = [(year, grads, cohort)]
            if pooled == 2:
                years.insert(0, (year - 1, prior[0], prior[1]))
            label, reasons, rate = _ca_decide(
                years, row.get("dass") is True and skip_dass, threshold, strict, min_cohort
            )
            out.append(
                Determination(
                    school_id=school,
                    year=year,
                    label=label,
                    level=None,
                    reasons=tuple(reasons),
                    values={
                        "pooled_rate": rate,
                        "cohort": cohort,
                        "prior_cohort": prior[1] if pooled == 2 else None,
                    },
                    ruleset=CA_CSI_GRAD.id,
                    ruleset_version=CA_CSI_GRAD.version,
                    flags=("dass",) if row.get("dass") is True else (),
                )
            )
        previous, previous_year = current, int(rows["year"].iloc[0]) if len(rows) else None
    out.sort(key=lambda d: (d.year, d.school_id))
    return tuple(out)


def _ca_decide(
    years: list[tuple[int, float | None, float | None]],
    dass: bool,
    threshold: float,
    strict: bool,
    min_cohort: int,
) -> tuple[str, list[str], float | None]:
    if dass:
        return (
            NOT_CLASSIFIED,
            [
                "Dashboard Alternative School Status: judged on the DASS graduation rate, "
                "which is not reconstructed here"
            ],
            None,
        )
    short = [
        f"{y} cohort {'missing' if c is None else int(c)}"
        for y, _, c in years
        if c is None or c < min_cohort
    ]
    if short:
        return NOT_IDENTIFIED, [f"insufficient cohort: {', '.join(short)} (< {min_cohort})"], None
    if any(g is None for _, g, _ in years):
        return NOT_IDENTIFIED, ["graduates not reported"], None
    grads = [g or 0.0 for _, g, _ in years]
    cohorts = [c or 0.0 for _, _, c in years]
    rate = pooled_rate(grads, cohorts)
    assert rate is not None
    span = f"{years[0][0]}–{years[-1][0]}" if len(years) > 1 else str(years[0][0])
    identified = rate < threshold if strict else rate <= threshold
    sign = ("<" if strict else "≤") if identified else ("≥" if strict else ">")
    text = (
        f"graduation rate {span} {_fmt(rate)}% {sign} {_fmt(threshold)}% "
        f"({int(sum(grads))} of {int(sum(cohorts))} graduated)"
    )
    if identified:
        return CSI, [f"CSI: {text}"], rate
    return NOT_IDENTIFIED, [text], rate
