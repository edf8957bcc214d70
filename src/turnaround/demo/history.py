"""The school histories written to the large tables: year profiles and results for
2011–2017, and the accountability determinations for 2012–2017.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from turnaround.accountability.models import AccountabilityDetermination
from turnaround.analytics import synthetic as syn
from turnaround.demo.plan import _Plan
from turnaround.demo.rows import (
    _DETERMINATION_COLUMNS,
    _PROFILE_COLUMNS,
    _RESULT_COLUMNS,
    _add_profiles,
    _add_real_all_result,
    _add_real_grade_results,
    _add_results,
    _imputed_anchor,
    _Inserter,
    _none,
    _real_anchor,
    _real_shares,
)
from turnaround.organizations.models import School
from turnaround.performance.models import AssessmentResult, DataSource, SchoolYearProfile

RULESET = "ma-2012"
DETERMINATION_YEARS = (2012, 2013, 2014, 2015, 2016)
_SCHOOLS_PER_CHUNK = 100

ProgressCallback = Callable[[str, int, int], None]


def _report(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def _history_create(
    plans: Sequence[_Plan],
    schools: dict[str, School],
    real: DataSource,
    synthetic: DataSource,
    seed: int,
    progress: ProgressCallback | None,
) -> dict[str, int]:
    """Year profiles and school/group results for 2011–2017, written a chunk at a time."""
    profiles = _Inserter(SchoolYearProfile, _PROFILE_COLUMNS)
    results = _Inserter(AssessmentResult, _RESULT_COLUMNS)
    k = len(syn.HISTORY_YEARS)
    for done, plan in enumerate(plans, start=1):
        p, school_id = plan.profile, schools[plan.code].pk
        shares = _real_shares(p)
        history = syn.profile_generate(
            shares=shares,
            enrollment=p.enrollment,
            graduation_rate=p.pct_graduated,
            dropout_rate=p.pct_dropped_out,
            seed=seed,
            key=plan.key,
        )
        _add_profiles(profiles, school_id, p, history, real.pk, synthetic.pk)
        _add_real_grade_results(results, school_id, p, real.pk)
        size_index = (
            history.enrollment / p.enrollment
            if p.enrollment and not np.any(np.isnan(history.enrollment))
            else None
        )
        group_pct = np.vstack(
            [
                history.shares[:, : len(syn.GROUPS)],
                [[np.nan if shares[g] is None else shares[g] for g in syn.GROUPS]],
            ]
        )
        for subject in syn.SUBJECTS:
            anchor = _real_anchor(p, subject)
            is_real = anchor is not None
            if anchor is None:
                anchor = _imputed_anchor(plan, subject, seed)
            if anchor is None:
                continue  # nothing tested
            series = syn.history_generate(
                anchor,
                trajectory=plan.trajectory,
                seed=seed,
                key=plan.key,
                turn_year=plan.turn_year,
                depth=plan.depth,
                size_index=size_index,
            )
            _add_results(
                results,
                school_id,
                synthetic.pk,
                subject,
                series.years,
                ["all"] * k,
                series.pct_levels,
                series.cpi,
                series.median_sgp,
                series.n_tested,
                series.sgp_n,
            )
            if is_real:  # 2017 is real: its 'ALL' row, and group rows around it
                _add_real_all_result(results, school_id, anchor, real.pk)
                series = series.extended(syn.anchor_series(anchor))
                plan.real_2017 = True
            plan.series[subject] = series
            groups = syn.groups_generate(
                series, group_pct=group_pct[: len(series.years)], seed=seed, key=plan.key
            )
            _add_results(
                results,
                school_id,
                synthetic.pk,
                subject,
                groups.years,
                groups.groups,
                groups.pct_levels,
                groups.cpi,
                groups.median_sgp,
                groups.n_tested,
                groups.sgp_n,
            )
        if done % _SCHOOLS_PER_CHUNK == 0 or done == len(plans):
            profiles.flush()
            results.flush()
            _report(progress, "results and profiles", done, len(plans))
    return {"profiles": profiles.written, "results": results.written}


def _composite(plan: _Plan, year: int) -> float:
    """A school's synthetic accountability composite for a year: CPI, then growth."""
    cpi, sgp = [], []
    for series in plan.series.values():
        hit = np.nonzero(series.years == year)[0]
        if len(hit) == 0 or series.n_tested[hit[0]] < 20:
            return float("nan")
        cpi.append(series.cpi[hit[0]])
        if not np.isnan(series.median_sgp[hit[0]]):
            sgp.append(series.median_sgp[hit[0]])
    if not cpi:
        return float("nan")
    growth = float(np.mean(sgp)) - 50.0 if sgp else 0.0
    return float(np.mean(cpi)) + 0.5 * growth


def _designation_in(plan: _Plan, year: int) -> str | None:
    if plan.designation is None:
        return None
    status, entered, exited = plan.designation
    return status if entered <= year and (exited is None or year < exited) else None


def _determinations_create(
    plans: Sequence[_Plan],
    schools: dict[str, School],
    real: DataSource,
    synthetic: DataSource,
) -> int:
    out = _Inserter(AccountabilityDetermination, _DETERMINATION_COLUMNS)
    for plan in plans:  # the official 2017 levels, as published
        p = plan.profile
        if p.accountability_label is None:
            continue  # blank in the file: no determination
        out.add(
            school_id=schools[plan.code].pk,
            year=syn.ANCHOR_YEAR,
            ruleset=RULESET,
            ruleset_version="1",
            label=p.accountability_label,
            level=p.level,
            reason=p.accountability_reason or "",
            reasons=[p.accountability_reason] if p.accountability_reason else [],
            percentile=p.accountability_percentile,
            ppi_all=p.ppi_all,
            ppi_high_needs=p.ppi_high_needs,
            inputs={},
            is_official=True,
            source_id=real.pk,
        )
    types = [plan.school_type for plan in plans]
    for year in DETERMINATION_YEARS:
        scores = np.array([_composite(plan, year) for plan in plans])
        percentiles = syn.percentile_within_type(scores, types)
        for plan, score, pct in zip(plans, scores, percentiles, strict=True):
            designated = _designation_in(plan, year)
            if not plan.series and designated is None:
                continue  # no tested grade: nothing to determine
            percentile = None if np.isnan(pct) else int(pct)
            level, label, reason = syn.level_determine(
                percentile=percentile, designation=designated
            )
            out.add(
                school_id=schools[plan.code].pk,
                year=year,
                ruleset=RULESET,
                ruleset_version="1",
                label=label,
                level=level,
                reason=reason,
                reasons=[reason] if reason else [],
                percentile=percentile,
                ppi_all=None,
                ppi_high_needs=None,
                inputs={"synthetic": True, "composite": _none(score)},
                is_official=False,
                source_id=synthetic.pk,
            )
    out.flush()
    return out.written
