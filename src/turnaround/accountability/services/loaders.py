"""Load what a rule set needs from the database, in the layout it reads.

One function per rule set. Each reads the state's stored indicators for the run's year and the
earlier years its cumulative rules look at, and hands them to the pure builders of
``turnaround.analytics.accountability.indicators``:

- ``ma-2012``: school results (CPI, tested counts, published median SGP) for the year and the six
  before it (targets and four-year composites), computed median SGPs from the growth app
  (``growth.rule_inputs``, preferred to published ones), four-year graduation rates, the values
  a year was published with (cumulative PPI, percentile) and the Commissioner's Level 4 and 5
  designations in force each year (inputs, never computed);
- ``essa-csi``: results of every student group for the year and the four before it (TSI runs,
  ATSI years), Title I status, school type as the ranking pool, graduation rates;
- ``tx-a-f``, ``ca-csi-grad``, ``ma-2018``: the published determinations' indicator values (the
  ``inputs`` an import keeps, under the layout's column names), for the years the rule needs.

School ids given to the rules are the schools' primary keys (``ca-csi-grad`` reads CDS codes,
so it gets the state school code). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from turnaround.accountability.models import (
    AccountabilityDetermination,
    Designation,
    DesignationStatus,
)
from turnaround.analytics.accountability import indicators
from turnaround.analytics.accountability.ruleset import Params
from turnaround.growth.models import GrowthAggregate
from turnaround.organizations.grades import GRADE_CODES
from turnaround.organizations.models import School, State, TitleIStatus
from turnaround.performance.models import ALL_GRADES, AssessmentResult, SchoolYearProfile

#: Years before the run's year each rule set reads.
YEARS_BACK = {"ma-2012": 6, "essa-csi": 4, "tx-a-f": 9, "ca-csi-grad": 1, "ma-2018": 2}


class NoInputData(Exception):
    """The database holds nothing the rule set can judge for that year."""


@dataclass
class RuleInputs:
    """What a run hands to ``evaluate``.

    Attributes
    ----------
    frames : list of DataFrame
        Inputs in a layout of the rule set, oldest first.
    ids : dict
        Rule school id → School primary key.
    rows : dict
        Rule school id → the input row of the run's year (the determination's inputs snapshot).
    summary : dict
        Counts and years of what was read, for the run page.
    """

    frames: list[pd.DataFrame]
    ids: dict[str, int]
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def _grades(low: str, high: str) -> str:
    if not low or not high or low not in GRADE_CODES or high not in GRADE_CODES:
        return ""
    return ",".join(GRADE_CODES[GRADE_CODES.index(low) : GRADE_CODES.index(high) + 1])


def _schools(state: State) -> pd.DataFrame:
    rows = (
        School.objects.filter(district__state=state)
        .order_by("pk")
        .values_list("pk", "code", "school_type", "grade_low", "grade_high", "title_i")
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["pk", "code", "school_type", "grade_low", "grade_high", "title_i"]
    )
    frame["school_id"] = frame["pk"].astype(str)
    frame["grades"] = [
        _grades(lo, hi) for lo, hi in zip(frame["grade_low"], frame["grade_high"], strict=True)
    ]
    frame["title_i"] = frame["title_i"].isin([TitleIStatus.SCHOOLWIDE, TitleIStatus.TARGETED])
    frame["high_school"] = frame["school_type"].isin(sorted(indicators.HIGH_SCHOOL_TYPES))
    frame["pool"] = frame["school_type"]
    return frame


def _results(state: State, years: range, groups: Iterable[str] | None = None) -> pd.DataFrame:
    qs = AssessmentResult.objects.filter(
        school__district__state=state, year__in=list(years), grade=ALL_GRADES
    )
    if groups is not None:
        qs = qs.filter(group__in=list(groups))
    columns = [
        "school_id",
        "year",
        "subject",
        "group",
        "n_tested",
        "composite_index",
        "pct_level_3",
        "pct_level_4",
        "median_sgp",
        "sgp_n",
    ]
    frame = pd.DataFrame.from_records(
        list(qs.order_by().values_list(*columns).iterator(chunk_size=20_000)), columns=columns
    )
    frame["school_id"] = frame["school_id"].astype(str)
    for name in ("n_tested", "composite_index", "pct_level_3", "pct_level_4", "median_sgp"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
    frame["sgp_n"] = pd.to_numeric(frame["sgp_n"], errors="coerce").astype(np.float64)
    frame["pct_proficient"] = frame["pct_level_3"] + frame["pct_level_4"]
    return frame


def _profiles(state: State, years: range) -> pd.DataFrame:
    rows = SchoolYearProfile.objects.filter(
        school__district__state=state, year__in=list(years)
    ).values_list("school_id", "year", "graduation_rate_4yr")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["school_id", "year", "graduation_rate_4yr"]
    )
    frame["school_id"] = frame["school_id"].astype(str)
    frame["graduation_rate_4yr"] = pd.to_numeric(frame["graduation_rate_4yr"]).astype(np.float64)
    return frame


def _growth(state: State, years: range) -> pd.DataFrame:
    rows = GrowthAggregate.objects.filter(
        school__district__state=state,
        year__in=list(years),
        grade=ALL_GRADES,
        group__in=["all", "high_needs"],
    ).values_list("school_id", "year", "subject", "group", "median_sgp", "n")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["school_id", "year", "subject", "group", "median_sgp", "n"]
    )
    frame["school_id"] = frame["school_id"].astype(str)
    frame["median_sgp"] = pd.to_numeric(frame["median_sgp"]).astype(np.float64)
    frame["n"] = pd.to_numeric(frame["n"]).astype(np.float64)
    return frame


def _published(state: State, ruleset: str, years: range) -> pd.DataFrame:
    rows = AccountabilityDetermination.objects.filter(
        school__district__state=state, ruleset=ruleset, year__in=list(years), is_official=True
    ).values_list(
        "school_id",
        "school__code",
        "year",
        "label",
        "percentile",
        "ppi_all",
        "ppi_high_needs",
        "years_in_status",
        "inputs",
    )
    columns = [
        "school_id",
        "code",
        "year",
        "label",
        "percentile",
        "cum_ppi_all",
        "cum_ppi_high_needs",
        "years_in_status",
        "inputs",
    ]
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    frame["school_id"] = frame["school_id"].astype(str)
    for name in ("percentile", "cum_ppi_all", "cum_ppi_high_needs", "years_in_status"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
    return frame.sort_values(["year", "school_id"], ignore_index=True)


_MA_DESIGNATIONS = {
    DesignationStatus.UNDERPERFORMING: "underperforming",
    DesignationStatus.CHRONICALLY_UNDERPERFORMING: "chronic",
}


def designations_in_force(state: State, years: range) -> pd.DataFrame:
    """``school_id``, ``year``, ``designation`` for Level 4 and 5 designations in force.

    Chronic (Level 5) wins over underperforming in a year a school holds both.
    """
    rows = Designation.objects.filter(
        school__district__state=state, status__in=list(_MA_DESIGNATIONS)
    ).values_list("school_id", "status", "entered_year", "exited_year")
    held: dict[tuple[str, int], str] = {}
    for school_id, status, entered, exited in rows:
        for year in years:
            if entered <= year and (exited is None or year < exited):
                key = (str(school_id), year)
                if held.get(key) != "chronic":
                    held[key] = _MA_DESIGNATIONS[status]
    return pd.DataFrame(
        [(k[0], k[1], v) for k, v in held.items()], columns=["school_id", "year", "designation"]
    )


def _row_snapshot(frame: pd.DataFrame, year: int, key: str = "school_id") -> dict[str, Any]:
    rows = frame[frame["year"] == year] if "year" in frame else frame.iloc[0:0]
    out: dict[str, dict[str, Any]] = {}
    for record in rows.to_dict("records"):
        clean = {}
        for name, value in record.items():
            if name in (key, "year") or _missing(value):
                continue
            clean[str(name)] = _plain(value)
        out[str(record[key])] = clean
    return out


def _missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and np.isnan(value)


def _plain(value: object) -> Any:
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        number = float(value)
        return int(number) if number.is_integer() else number
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, str | int) else str(value)


def _require(frame: pd.DataFrame, year: int, what: str, ruleset: str, state: State) -> None:
    if frame.empty or not (frame["year"].astype(int) == year).any():
        raise NoInputData(
            f"No {what} for {state.code} in {year}: {ruleset} has nothing to judge. Import the "
            f"year's data first."
        )


def load_ma2012(state: State, year: int, params: Params) -> RuleInputs:
    years = range(year - YEARS_BACK["ma-2012"], year + 1)
    window = range(year - 3, year + 1)
    schools = _schools(state)
    results = _results(state, years, groups=["all", "high_needs"])
    _require(results, year, "school results", "ma-2012", state)
    growth = _growth(state, years)
    published = _published(state, "ma-2012", window)
    given = published[["school_id", "year", "cum_ppi_all", "cum_ppi_high_needs", "percentile"]]
    given = given.dropna(subset=["cum_ppi_all", "cum_ppi_high_needs", "percentile"], how="all")
    frame = indicators.ma12_inputs(
        results,
        schools[["school_id", "school_type", "grades"]],
        years=list(window),
        profiles=_profiles(state, window),
        growth=growth,
        published=given.drop_duplicates(["school_id", "year"]),
        designations=designations_in_force(state, window),
        min_n=params.get_int("min_n_sgp"),
    )
    in_year = published[published["year"] == year]
    return RuleInputs(
        frames=[frame],
        ids={str(pk): int(pk) for pk in schools["pk"]},
        rows=_row_snapshot(frame, year),
        summary={
            "years": [window.start, window.stop - 1],
            "result_rows": len(results),
            "school_years": len(frame),
            "computed_growth_rows": len(growth),
            "published_values": int(in_year["cum_ppi_all"].notna().sum()),
        },
    )


def load_essa(state: State, year: int, params: Params) -> RuleInputs:
    years = range(year - YEARS_BACK["essa-csi"], year + 1)
    schools = _schools(state)
    results = _results(state, years)
    _require(results, year, "school results", "essa-csi", state)
    frame = indicators.essa_inputs(
        results,
        schools[["school_id", "title_i", "high_school", "pool"]],
        years=list(years),
        profiles=_profiles(state, years),
    )
    school_rows = frame[frame["group"] == "all"]
    groups = frame[frame["year"] == year].groupby("school_id")["group"].count() - 1
    rows = _row_snapshot(school_rows.drop(columns=["group", "underperforming"]), year)
    for school_id, count in groups.items():
        rows.setdefault(str(school_id), {})["student_groups"] = int(count)
    return RuleInputs(
        frames=[frame],
        ids={str(pk): int(pk) for pk in schools["pk"]},
        rows=rows,
        summary={
            "years": [years.start, years.stop - 1],
            "result_rows": len(results),
            "school_group_years": len(frame),
        },
    )


def _published_only(state: State, ruleset: str, year: int) -> pd.DataFrame:
    years = range(year - YEARS_BACK[ruleset], year + 1)
    published = _published(state, ruleset, years)
    _require(published, year, f"published {ruleset} values", ruleset, state)
    return published


def load_texas(state: State, year: int, params: Params) -> RuleInputs:
    published = _published_only(state, "tx-a-f", year)
    frame = indicators.tx_inputs(published)
    return RuleInputs(
        frames=[frame],
        ids={sid: int(sid) for sid in published["school_id"]},
        rows=_row_snapshot(frame, year),
        summary={"years": sorted({int(y) for y in frame["year"]}), "campus_years": len(frame)},
    )


def load_ma2018(state: State, year: int, params: Params) -> RuleInputs:
    published = _published_only(state, "ma-2018", year)
    frame = indicators.published_inputs(published, "ma18")
    years = range(int(frame["year"].min()), year + 1)
    held = designations_in_force(state, years)
    frame = frame.drop(columns=[c for c in ("designation",) if c in frame]).merge(
        held, on=["school_id", "year"], how="left"
    )
    frame["designation"] = frame["designation"].where(frame["designation"].notna(), None)
    return RuleInputs(
        frames=[frame],
        ids={sid: int(sid) for sid in published["school_id"]},
        rows=_row_snapshot(frame, year),
        summary={"years": sorted({int(y) for y in frame["year"]}), "school_years": len(frame)},
    )


def load_ca_grad(state: State, year: int, params: Params) -> RuleInputs:
    published = _published_only(state, "ca-csi-grad", year)
    ids: dict[str, int] = {}
    for pk, code in zip(published["school_id"], published["code"], strict=True):
        if ids.get(code, int(pk)) != int(pk):
            raise NoInputData(
                f"Two schools of {state.code} share the code {code}: ca-csi-grad identifies "
                "schools by their CDS code; correct the codes first."
            )
        ids[code] = int(pk)
    by_code = published.assign(school_id=published["code"])
    frames = indicators.ca_grad_inputs(by_code)
    snapshot = by_code[by_code["year"] == year]
    rows = {
        str(code): {str(k): _plain(v) for k, v in (given or {}).items()}
        for code, given in zip(snapshot["school_id"], snapshot["inputs"], strict=True)
    }
    return RuleInputs(
        frames=frames,
        ids=ids,
        rows=rows,
        summary={"years": sorted({int(y) for y in published["year"]}), "schools": len(snapshot)},
    )


LOADERS = {
    "ma-2012": load_ma2012,
    "essa-csi": load_essa,
    "tx-a-f": load_texas,
    "ma-2018": load_ma2018,
    "ca-csi-grad": load_ca_grad,
}


def load_inputs(state: State, ruleset: str, year: int, params: Params) -> RuleInputs:
    """The rule set's inputs for the state and year (``NoInputData`` when there are none)."""
    return LOADERS[ruleset](state, year, params)
