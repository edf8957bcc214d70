"""Rule inputs from stored indicators: the tables a database holds, in a rule set's layout.

The rule sets read the layouts of :mod:`~turnaround.analytics.accountability.files`. A platform
that stores school results (per school, year, subject and student group), profiles and published
determinations hands them over as plain frames; the builders here turn them into those layouts,
so the rules stay the only place where identification is decided.

``ma12_inputs`` (``ma-2012``)
    Per school and year: tested counts, the CPI indicators' PPI points, median SGPs and their
    n (the rule turns them into growth points), a composite for the school percentile, the
    four-year graduation rate, and the Commissioner's designations (inputs, never computed).
    Published cumulative PPIs and percentiles, where a year has them, are used as published.
``essa_inputs`` (``essa-csi``)
    Per school, year and student group: n, a summative index, and the school row's Title I,
    high-school, graduation and pool fields; the TSI flag by the platform's definition below.
``tx_inputs``, ``ca_grad_inputs``, ``published_inputs``
    Rule sets whose indicators are published rather than stored (Texas scaled scores,
    California graduation counts, Massachusetts 2018 points) read the published determinations'
    indicator values, kept under the layout's column names.

Approximations (unverified; documented on each function): the CPI indicator points of the
annual PPI, the composite behind the 2012–2016 percentile, the ESSA summative index and the TSI
"consistently underperforming" flag. A state that has its own figures imports them instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from turnaround.analytics.accountability.files import CANONICAL_COLUMNS

#: Platform school-type codes → the Massachusetts 2012–2016 school types.
MA_TYPES: Mapping[str, str] = {
    "ES": "ES",
    "EMS": "ESMS",
    "MS": "MS",
    "MHS": "MSHS",
    "HS": "HS",
    "K12": "K-12",
}
HIGH_SCHOOL_TYPES = frozenset({"HS", "MHS", "K12"})
_CPI_SUBJECTS = {"ELA": "ela_cpi", "MATH": "math_cpi", "SCI": "sci_cpi"}
_SGP_SUBJECTS = {"ELA": "ela", "MATH": "math"}
_MA12_GROUPS = ("all", "high_needs")

RESULT_COLUMNS = (
    "school_id",
    "year",
    "subject",
    "group",
    "n_tested",
    "composite_index",
    "pct_proficient",
    "median_sgp",
    "sgp_n",
)


def _check_columns(frame: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the columns {', '.join(missing)}")


def _empty(layout: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in CANONICAL_COLUMNS[layout][:2]})


def cpi_indicator_points(
    cpi: np.ndarray,
    prior: np.ndarray,
    target: np.ndarray,
    *,
    band: float = 2.5,
    change: float = 1.0,
) -> np.ndarray:
    """PPI points of a CPI indicator (narrowing proficiency gaps), vectorised.

    - CPI ≥ target + ``band`` → 100 (above target);
    - CPI ≥ target − ``band`` → 75 (on target);
    - else, against the year before: up by at least ``change`` → 50 (improved below target),
      within ``change`` → 25 (no change), down more → 0 (declined); no prior CPI → NaN.

    The labels are DESE's; the bands are an approximation (unverified, ``accountability.md``
    §1.4). NaN CPI → NaN.
    """
    cpi = np.asarray(cpi, dtype=np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        delta = cpi - prior
        points = np.select(
            [
                np.isnan(cpi),
                cpi >= target + band,
                cpi >= target - band,
                np.isnan(prior),
                delta >= change,
                delta > -change,
            ],
            [np.nan, 100.0, 75.0, np.nan, 50.0, 25.0],
            default=0.0,
        )
    return points.astype(np.float64)


def _years_back(frame: pd.DataFrame, values: pd.Series, lag: int) -> pd.Series:
    """``values`` of the same school ``lag`` years earlier (NaN when that year is absent)."""
    keyed = pd.Series(
        values.to_numpy(),
        index=pd.MultiIndex.from_arrays(
            [frame["school_id"].to_numpy(), frame["year"].to_numpy() + lag]
        ),
    )
    keyed = keyed[~keyed.index.duplicated()]
    wanted = pd.MultiIndex.from_arrays([frame["school_id"].to_numpy(), frame["year"].to_numpy()])
    return pd.Series(keyed.reindex(wanted).to_numpy(), index=frame.index)


def _wide_results(results: pd.DataFrame, groups: Sequence[str]) -> pd.DataFrame:
    """One row per school and year; columns ``{measure}|{group}|{subject}``."""
    rows = results[results["group"].isin(groups)]
    wide = rows.pivot_table(
        index=["school_id", "year"],
        columns=["group", "subject"],
        values=["n_tested", "composite_index", "median_sgp", "sgp_n"],
        aggfunc="first",
        dropna=False,
    )
    wide.columns = ["|".join(str(p) for p in col) for col in wide.columns]
    return wide.reset_index()


def _text_or_none(values: pd.Series) -> pd.Series:
    """Text values, None (not NaN) for missing or blank ones."""
    cleaned = [v if isinstance(v, str) and v else None for v in values.tolist()]
    return pd.Series(cleaned, index=values.index, dtype=object)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(np.float64)
    return pd.Series(np.nan, index=frame.index, dtype=np.float64)


def _rank_pct(values: pd.Series, pools: list[pd.Series]) -> pd.Series:
    """Percentile rank (0–100, ties averaged) within each pool; NaN stays NaN."""
    return values.groupby(pools).rank(method="average", pct=True) * 100.0


def ma12_inputs(
    results: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    years: Sequence[int],
    profiles: pd.DataFrame | None = None,
    growth: pd.DataFrame | None = None,
    published: pd.DataFrame | None = None,
    designations: pd.DataFrame | None = None,
    min_n: int = 20,
    target_steps: int = 12,
    composite_year_weights: Sequence[float] = (1.0, 2.0, 3.0, 4.0),
) -> pd.DataFrame:
    """An ``ma12`` frame (one row per school and year of ``years``) from stored indicators.

    Parameters
    ----------
    results : DataFrame
        School results, all grades together: :data:`RESULT_COLUMNS` (``pct_proficient`` may be
        absent). Years before ``years`` feed the CPI targets and changes and the four-year
        composite; the earliest year a school and group have a CPI is its target baseline.
    schools : DataFrame
        ``school_id``, ``school_type`` (platform codes: ES, EMS, MS, MHS, HS, K12 …) and
        ``grades`` (``"K,01,…,05"``).
    years : sequence of int
        The years to produce rows for.
    profiles : DataFrame, optional
        ``school_id``, ``year``, ``graduation_rate_4yr``: high schools' four-year rate.
    growth : DataFrame, optional
        Computed medians (``school_id``, ``year``, ``subject``, ``group``, ``median_sgp``, ``n``);
        preferred to the published ``median_sgp`` of ``results`` where a school and year have
        one. Rows with no median (too few students) keep their n and give no growth indicator.
    published : DataFrame, optional
        ``school_id``, ``year``, ``cum_ppi_all``, ``cum_ppi_high_needs``, ``percentile``: values
        a year was published with; used as they are.
    designations : DataFrame, optional
        ``school_id``, ``year``, ``designation`` (``underperforming`` or ``chronic``): the
        Commissioner's Level 4 and 5 designations in force that year.
    min_n : int
        Students a CPI needs to count as an indicator.
    target_steps : int
        The CPI target closes the gap to 100 by ``1/target_steps`` a year from the baseline
        (halving it in six years; unverified).
    composite_year_weights : sequence of float
        Weights of up to four yearly composites, oldest first, in the percentile's composite.

    Notes
    -----
    CPI points: :func:`cpi_indicator_points`. The composite of a year is the mean, over CPI in
    ELA, math and science and median SGP in ELA and math (all students), of each indicator's
    percentile rank within school type; the percentile's composite weights the last four yearly
    composites (reweighted when fewer). Both approximate DESE's method (unverified, §1.6).
    """
    _check_columns(results, ("school_id", "year", "subject", "group", "n_tested"), "results")
    _check_columns(schools, ("school_id", "school_type", "grades"), "schools")
    wanted = sorted({int(y) for y in years})
    if not wanted:
        raise ValueError("years must name at least one year")
    work = results.copy()
    work["year"] = work["year"].astype(int)
    work = work[work["year"] <= wanted[-1]]
    if growth is not None and len(growth):
        work = _prefer_growth(work, growth)
    if work.empty:
        return _empty("ma12")
    wide = _wide_results(work, _MA12_GROUPS).sort_values(["school_id", "year"], ignore_index=True)
    types = schools.set_index("school_id")
    school_type = wide["school_id"].map(types["school_type"]).map(MA_TYPES)
    out = pd.DataFrame({"school_id": wide["school_id"].astype(str), "year": wide["year"]})
    out["school_type"] = _text_or_none(school_type)
    out["grades"] = _text_or_none(wide["school_id"].map(types["grades"]))
    for group in _MA12_GROUPS:
        counts = [_col(wide, f"n_tested|{group}|{s}") for s in ("ELA", "MATH")]
        out[f"n_{group}"] = pd.concat(counts, axis=1).max(axis=1)
        for subject, indicator in _CPI_SUBJECTS.items():
            cpi = _col(wide, f"composite_index|{group}|{subject}")
            n = _col(wide, f"n_tested|{group}|{subject}")
            cpi = cpi.where(n.isna() | (n >= min_n))
            out[f"pts_{group}_{indicator}"] = _cpi_points(wide, cpi, target_steps)
        for subject, short in _SGP_SUBJECTS.items():
            out[f"median_sgp_{group}_{short}"] = _col(wide, f"median_sgp|{group}|{subject}")
            out[f"n_sgp_{group}_{short}"] = _col(wide, f"sgp_n|{group}|{subject}")
    out["composite"] = _composite(wide, out, composite_year_weights, min_n)
    for group in _MA12_GROUPS:
        for short in _SGP_SUBJECTS.values():
            median = out[f"median_sgp_{group}_{short}"]
            bad = median.notna() & ((median < 1) | (median > 99))
            out.loc[bad, f"median_sgp_{group}_{short}"] = np.nan
    out = out[out["year"].isin(wanted)].reset_index(drop=True)
    if profiles is not None and len(profiles):
        rates = profiles.set_index(["school_id", "year"])["graduation_rate_4yr"]
        rates = rates[~rates.index.duplicated()]
        keys = pd.MultiIndex.from_arrays([out["school_id"], out["year"]])
        grad = pd.Series(rates.reindex(keys).to_numpy(dtype=np.float64), index=out.index)
        high = out["school_id"].map(types["school_type"]).isin(HIGH_SCHOOL_TYPES)
        out["grad_4yr"] = grad.where(high)
    if designations is not None and len(designations):
        out = _merge(out, designations[["school_id", "year", "designation"]])
        out["designation"] = _text_or_none(out["designation"])
    if published is not None and len(published):
        out = _apply_published(out, published)
    return out


def _prefer_growth(results: pd.DataFrame, growth: pd.DataFrame) -> pd.DataFrame:
    """Computed medians replace the published ``median_sgp``/``sgp_n`` where they exist."""
    computed = growth.rename(columns={"median_sgp": "_median", "n": "_n"})
    computed = computed[["school_id", "year", "subject", "group", "_median", "_n"]]
    merged = results.merge(computed, on=["school_id", "year", "subject", "group"], how="left")
    has = merged["_n"].notna()
    merged.loc[has, "median_sgp"] = merged.loc[has, "_median"]
    merged.loc[has, "sgp_n"] = merged.loc[has, "_n"]
    return merged.drop(columns=["_median", "_n"])


def _cpi_points(wide: pd.DataFrame, cpi: pd.Series, steps: int) -> pd.Series:
    frame = pd.DataFrame({"school_id": wide["school_id"], "year": wide["year"], "cpi": cpi})
    prior = _years_back(frame, frame["cpi"], 1)
    present = frame[frame["cpi"].notna()]
    first = present.groupby("school_id").agg(base_year=("year", "min"))
    base_rows = present.merge(
        first, left_on=["school_id", "year"], right_on=["school_id", "base_year"]
    )
    base = base_rows.set_index("school_id")["cpi"]
    base_cpi = frame["school_id"].map(base).astype(np.float64)
    base_year = frame["school_id"].map(first["base_year"]).astype(np.float64)
    target = base_cpi + (100.0 - base_cpi) * (frame["year"] - base_year) / float(steps)
    points = cpi_indicator_points(
        frame["cpi"].to_numpy(), prior.to_numpy(dtype=np.float64), target.to_numpy()
    )
    return pd.Series(points, index=wide.index)


def _composite(
    wide: pd.DataFrame, out: pd.DataFrame, weights: Sequence[float], min_n: int
) -> pd.Series:
    pools = [out["year"], out["school_type"].fillna("")]
    ranks = []
    for subject in ("ELA", "MATH", "SCI"):
        value = _col(wide, f"composite_index|all|{subject}")
        n = _col(wide, f"n_tested|all|{subject}")
        ranks.append(_rank_pct(value.where(n.isna() | (n >= min_n)), pools))
    for name in ("ela", "math"):
        median = out[f"median_sgp_all_{name}"].where(out[f"n_sgp_all_{name}"] >= min_n)
        ranks.append(_rank_pct(median, pools))
    yearly = pd.concat(ranks, axis=1).mean(axis=1)
    cpi_known = pd.concat(ranks[:3], axis=1).notna().any(axis=1)
    yearly = yearly.where(cpi_known & out["school_type"].notna())
    frame = pd.DataFrame({"school_id": out["school_id"], "year": out["year"], "c": yearly})
    total = pd.Series(0.0, index=out.index)
    used = pd.Series(0.0, index=out.index)
    k = len(weights)
    for lag in range(k):
        value = _years_back(frame, frame["c"], lag) if lag else frame["c"]
        weight = float(weights[k - 1 - lag])
        total = total + value.fillna(0.0) * weight
        used = used + value.notna().astype(np.float64) * weight
    result = (total / used.where(used > 0)).where(yearly.notna())
    return result.astype(np.float64)


def _merge(out: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    extra = extra.drop_duplicates(["school_id", "year"], keep="last")
    extra = extra.assign(school_id=extra["school_id"].astype(str), year=extra["year"].astype(int))
    return out.merge(extra, on=["school_id", "year"], how="left")


def _apply_published(out: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("cum_ppi_all", "cum_ppi_high_needs", "percentile") if c in published]
    given = published[["school_id", "year", *cols]].rename(columns={c: f"_pub_{c}" for c in cols})
    merged = _merge(out, given)
    for c in cols:
        value = merged.pop(f"_pub_{c}").astype(np.float64)
        if c in merged:
            merged[c] = value.where(value.notna(), merged[c])
        else:
            merged[c] = value
    return merged


# --- ESSA --------------------------------------------------------------------------------------


def essa_inputs(
    results: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    years: Sequence[int],
    profiles: pd.DataFrame | None = None,
    underperforming_percentile: float = 10.0,
) -> pd.DataFrame:
    """An ``essa`` frame (one row per school, year and student group) from stored results.

    Parameters
    ----------
    results : DataFrame
        :data:`RESULT_COLUMNS`, all grades together, every student group.
    schools : DataFrame
        ``school_id``, ``title_i`` (bool), ``high_school`` (bool), ``pool`` (text or None, e.g.
        the school type, for ranking within pools).
    years : sequence of int
    profiles : DataFrame, optional
        ``school_id``, ``year``, ``graduation_rate_4yr`` (high schools' rate, on the school row).
    underperforming_percentile : float
        A student group is *underperforming* in a year (the TSI screen) when its index is at or
        below this percentile of the schools' all-students indexes that year.

    Notes
    -----
    The summative index of a group is its mean CPI over ELA and math, or its mean percent
    proficient where no CPI is stored; ``n`` the larger count tested of the two subjects. These
    stand in for a state's summative method (unverified; the identification rule is unchanged).
    """
    _check_columns(results, ("school_id", "year", "subject", "group", "n_tested"), "results")
    _check_columns(schools, ("school_id", "title_i", "high_school"), "schools")
    wanted = sorted({int(y) for y in years})
    rows = results[
        results["subject"].isin(("ELA", "MATH")) & results["year"].astype(int).isin(wanted)
    ]
    if rows.empty:
        return _empty("essa")
    cpi = _col(rows, "composite_index")
    prof = _col(rows, "pct_proficient")
    work = pd.DataFrame(
        {
            "school_id": rows["school_id"].astype(str).to_numpy(),
            "year": rows["year"].astype(int).to_numpy(),
            "group": rows["group"].astype(str).to_numpy(),
            "n": _col(rows, "n_tested").to_numpy(),
            "cpi": cpi.to_numpy(),
            "prof": prof.to_numpy(),
        }
    )
    grouped = work.groupby(["school_id", "year", "group"], sort=True)
    out = grouped.agg(n=("n", "max"), cpi=("cpi", "mean"), prof=("prof", "mean")).reset_index()
    out["index"] = out["cpi"].where(out["cpi"].notna(), out["prof"])
    out = out.drop(columns=["cpi", "prof"])
    keys = out[["school_id", "year"]].drop_duplicates()
    has_all = out[out["group"] == "all"][["school_id", "year"]].assign(_has=True)
    missing = keys.merge(has_all, on=["school_id", "year"], how="left")
    missing = missing[missing["_has"].isna()].drop(columns=["_has"]).assign(group="all")
    out = pd.concat([out, missing], ignore_index=True)
    school_rows = out["group"] == "all"
    info = schools.set_index(schools["school_id"].astype(str))
    out["title_i"] = None
    out["high_school"] = None
    out["pool"] = None
    ids = out.loc[school_rows, "school_id"]
    out.loc[school_rows, "title_i"] = ids.map(info["title_i"].astype(bool)).fillna(False)
    out.loc[school_rows, "high_school"] = ids.map(info["high_school"].astype(bool)).fillna(False)
    if "pool" in info:
        out.loc[school_rows, "pool"] = ids.map(info["pool"])
    all_index = out.loc[school_rows, ["year", "index"]]
    cuts = all_index.groupby("year")["index"].quantile(underperforming_percentile / 100.0)
    cut = out["year"].map(cuts).astype(np.float64)
    with np.errstate(invalid="ignore"):
        flagged = (~school_rows) & out["index"].notna() & (out["index"] <= cut)
    out["underperforming"] = flagged.where(~school_rows, False).astype(bool)
    out["grad_rate"] = np.nan
    if profiles is not None and len(profiles):
        rates = profiles.set_index(["school_id", "year"])["graduation_rate_4yr"]
        rates = rates[~rates.index.duplicated()]
        idx = pd.MultiIndex.from_arrays([out["school_id"], out["year"]])
        grad = pd.Series(rates.reindex(idx).to_numpy(dtype=np.float64), index=out.index)
        high = out["high_school"].map(lambda v: v is True)
        out["grad_rate"] = grad.where(school_rows & high)
    out = out.sort_values(["school_id", "year", "group"], ignore_index=True)
    return out[
        [
            "school_id",
            "year",
            "group",
            "n",
            "index",
            "title_i",
            "high_school",
            "grad_rate",
            "pool",
            "underperforming",
        ]
    ]


# --- published indicators ----------------------------------------------------------------------


def published_inputs(published: pd.DataFrame, layout: str) -> pd.DataFrame:
    """A generic-layout frame from published determinations' indicator values.

    Parameters
    ----------
    published : DataFrame
        ``school_id``, ``year`` and ``inputs`` (a dict per row of the published indicator values
        under the layout's column names); keys the layout does not have are left out.
    layout : str
        ``ma18``, ``tx`` or ``essa``.
    """
    if layout not in CANONICAL_COLUMNS:
        raise ValueError(f"layout must be one of {', '.join(CANONICAL_COLUMNS)}; got {layout!r}")
    names = [c.name for c in CANONICAL_COLUMNS[layout]]
    records = []
    for school_id, year, given in zip(
        published["school_id"].astype(str),
        published["year"].astype(int),
        published["inputs"],
        strict=True,
    ):
        record: dict[str, object] = {"school_id": school_id, "year": year}
        if isinstance(given, Mapping):
            record.update({k: v for k, v in given.items() if k in names and k not in record})
        records.append(record)
    if not records:
        return _empty(layout)
    frame = pd.DataFrame.from_records(records)
    return frame[[n for n in names if n in frame.columns]]


def tx_inputs(published: pd.DataFrame) -> pd.DataFrame:
    """A ``tx`` frame from published Texas determinations.

    Parameters
    ----------
    published : DataFrame
        ``school_id``, ``year``, ``label`` (the published rating), ``years_in_status`` (the
        published count of unacceptable years, or NaN) and ``inputs`` (``score``,
        ``alternative``, and ``published_count`` when an import kept it there; the
        ``years_in_status`` column wins where given).

    Not Rated and Data Integrity Issues labels are TEA decisions and become the ``status``; the
    other labels are outcomes, kept as ``published_rating`` for comparison only.
    """
    frame = published_inputs(published, "tx")
    if frame.empty:
        return frame
    labels = published["label"].astype(str).to_numpy()
    decided = [
        label if label.startswith("Not Rated") or label == "Data Integrity Issues" else None
        for label in labels
    ]
    frame["status"] = pd.Series(decided, index=frame.index, dtype=object)
    frame["published_rating"] = labels
    if "years_in_status" in published:
        stored = published["years_in_status"].astype(np.float64).to_numpy()
        given = (
            pd.to_numeric(frame["published_count"], errors="coerce").astype(np.float64).to_numpy()
            if "published_count" in frame
            else np.full(len(frame), np.nan)
        )
        frame["published_count"] = np.where(np.isnan(stored), given, stored)
    return frame


def ca_grad_inputs(published: pd.DataFrame) -> list[pd.DataFrame]:
    """``ca-dashboard-grad`` frames (one per year, oldest first) from published CA values.

    ``published`` has ``school_id`` (14-digit CDS), ``year`` and ``inputs`` with ``grads``,
    ``cohort``, ``prior_grads``, ``prior_cohort`` and optionally ``dass`` (bool).
    """
    frames: list[pd.DataFrame] = []
    for year, rows in published.groupby(published["year"].astype(int), sort=True):
        records = []
        for school_id, given in zip(rows["school_id"].astype(str), rows["inputs"], strict=True):
            values = given if isinstance(given, Mapping) else {}
            dass = values.get("dass")
            records.append(
                {
                    "cds": school_id,
                    "rtype": "S",
                    "studentgroup": "ALL",
                    "currnumer": values.get("grads"),
                    "currdenom": values.get("cohort"),
                    "priornumer": values.get("prior_grads"),
                    "priordenom": values.get("prior_cohort"),
                    "reportingyear": str(year),
                    "dass_flag": None if dass is None else ("Y" if dass else "N"),
                }
            )
        frame = pd.DataFrame.from_records(records)
        for name in ("currnumer", "currdenom", "priornumer", "priordenom"):
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
        if frame["dass_flag"].isna().all():
            frame = frame.drop(columns=["dass_flag"])
        frame.attrs["source"] = f"published ca-csi-grad {year}"
        frames.append(frame)
    return frames
