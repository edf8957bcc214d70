"""Rows of the large demo tables: the fast ``_Inserter`` and the builders that fill it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.db import connections, models, router

from turnaround.analytics import synthetic as syn
from turnaround.demo.ma_profiles import SchoolProfile
from turnaround.demo.plan import _Plan
from turnaround.organizations.models import TitleIStatus
from turnaround.performance.models import ALL_GRADES, MissingReason

BATCH_SIZE = 2000


class _Inserter:
    """Plain multi-row INSERTs for the large demo tables (results, profiles, students).

    ``bulk_create`` compiles every value of every row through the ORM — four fifths of the load
    time in a profile of the full state — so the big tables go through one prepared statement
    and ``executemany`` on Django's own connection instead. Values are given by attribute name
    (``school_id``); JSON values are adapted by their field, as the ORM would.
    """

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.connection = connections[router.db_for_write(model)]
        quote = self.connection.ops.quote_name
        self.fields = [model._meta.get_field(name) for name in columns]
        self.columns = tuple(columns)
        self.json = {i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)}
        names = ", ".join(quote(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        # identifiers come from the model's metadata, quoted; every value is a parameter
        table = quote(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, **values: Any) -> None:
        row = [values[name] for name in self.columns]
        for i in self.json:
            row[i] = self.fields[i].get_db_prep_save(row[i], self.connection)
        self.rows.append(tuple(row))

    def flush(self) -> None:
        with self.connection.cursor() as cursor:
            for start in range(0, len(self.rows), BATCH_SIZE):
                cursor.executemany(self.sql, self.rows[start : start + BATCH_SIZE])
        self.written += len(self.rows)
        self.rows = []


_RESULT_COLUMNS = (
    "school_id",
    "year",
    "subject",
    "grade",
    "group",
    "n_tested",
    "pct_level_1",
    "pct_level_2",
    "pct_level_3",
    "pct_level_4",
    "composite_index",
    "median_sgp",
    "sgp_n",
    "missing_reasons",
    "source_id",
)
_PROFILE_COLUMNS = (
    "school_id",
    "year",
    "enrollment",
    *(f"pct_{name}" for name in syn.PROFILE_SHARES),
    "graduation_rate_4yr",
    "dropout_rate",
    "source_id",
)
_STUDENT_COLUMNS = (
    "student_key",
    "school_id",
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
    "source_id",
)
_DETERMINATION_COLUMNS = (
    "school_id",
    "year",
    "ruleset",
    "ruleset_version",
    "label",
    "level",
    "reason",
    "reasons",
    "percentile",
    "ppi_all",
    "ppi_high_needs",
    "inputs",
    "is_official",
    "source_id",
)


# ---------------------------------------------------------------------------------------------
# Row builders


def _none(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def _title_i(pct_econ: float | None) -> str:
    if pct_econ is None:
        return TitleIStatus.UNKNOWN
    if pct_econ >= 40.0:
        return TitleIStatus.SCHOOLWIDE
    if pct_econ >= 25.0:
        return TitleIStatus.TARGETED
    return TitleIStatus.NOT_TITLE_I


def _real_shares(p: SchoolProfile) -> dict[str, float | None]:
    return {**p.shares, "econ_disadv": p.pct_econ_disadv}


def _real_anchor(p: SchoolProfile, subject: str) -> syn.Anchor | None:
    rows = [
        r
        for r in p.mcas_for(subject)
        if None not in (r.n_level_1, r.n_level_2, r.n_level_3, r.n_level_4)
    ]
    if not rows or all(r.cpi is None for r in rows):
        return None
    counts = np.array(
        [[r.n_level_1, r.n_level_2, r.n_level_3, r.n_level_4] for r in rows], dtype=np.float64
    ).sum(axis=0)
    n = int(counts.sum())
    cpi_rows = [(r.cpi, r.n_included) for r in rows if r.cpi is not None]
    sgp_rows = [(r.median_sgp, r.sgp_n) for r in rows if r.median_sgp is not None and r.sgp_n]
    sgp_n = sum(m for _, m in sgp_rows)
    return syn.Anchor(
        subject=subject,
        pct_levels=100.0 * counts / n,
        cpi=sum(c * m for c, m in cpi_rows) / sum(m for _, m in cpi_rows),
        median_sgp=sum(s * m for s, m in sgp_rows) / sgp_n if sgp_n else float("nan"),
        n_tested=n,
        sgp_n=sgp_n,
    )


def _imputed_anchor(plan: _Plan, subject: str, seed: int) -> syn.Anchor | None:
    enrolment = sum(plan.profile.enrollment_by_grade.get(g) or 0 for g in plan.tested)
    if not plan.tested or enrolment < 1:
        return None
    return syn.anchor_impute(
        subject=subject,
        n_tested=round(0.97 * enrolment) or 1,
        pct_high_needs=plan.profile.shares["high_needs"],
        percentile=plan.profile.accountability_percentile,
        hs_share=plan.tested.count("10") / len(plan.tested),
        has_growth=plan.tested != ("03",),
        seed=seed,
        key=plan.key,
    )


def _sgp_missing(reason: str) -> dict[str, str]:
    return {"median_sgp": reason, "sgp_n": reason}


def _add_results(
    out: _Inserter,
    school_id: int,
    source_id: int,
    subject: str,
    years: Iterable[int],
    groups: Iterable[str],
    pct: np.ndarray,
    cpi: np.ndarray,
    sgp: np.ndarray,
    n: np.ndarray,
    sgp_n: np.ndarray,
) -> None:
    """Synthetic school-wide ('ALL' grades) rows, one per (year, group)."""
    below = _sgp_missing(MissingReason.BELOW_REPORTING_N.value)
    for i, (year, group) in enumerate(zip(years, groups, strict=True)):
        median = _none(sgp[i])
        out.add(
            school_id=school_id,
            year=int(year),
            subject=subject,
            grade=ALL_GRADES,
            group=str(group),
            n_tested=int(n[i]),
            pct_level_1=float(pct[i, 0]),
            pct_level_2=float(pct[i, 1]),
            pct_level_3=float(pct[i, 2]),
            pct_level_4=float(pct[i, 3]),
            composite_index=float(cpi[i]),
            median_sgp=median,
            sgp_n=int(sgp_n[i]) if median is not None else None,
            missing_reasons={} if median is not None else below,
            source_id=source_id,
        )


def _add_real_grade_results(
    out: _Inserter, school_id: int, p: SchoolProfile, source_id: int
) -> None:
    """The published 2017 rows, one per subject and tested grade, values unchanged."""
    for r in p.mcas:
        values = {
            "pct_level_4": r.pct_level_4,
            "pct_level_3": r.pct_level_3,
            "pct_level_2": r.pct_level_2,
            "pct_level_1": r.pct_level_1,
            "composite_index": r.cpi,
            "median_sgp": r.median_sgp,
            "sgp_n": r.sgp_n,
        }
        # grade 3 has no prior grade, so no growth percentile exists
        no_growth = MissingReason.NOT_APPLICABLE if r.grade == "03" else MissingReason.MISSING
        missing = {
            name: (no_growth if name in ("median_sgp", "sgp_n") else MissingReason.MISSING).value
            for name, value in values.items()
            if value is None
        }
        out.add(
            school_id=school_id,
            year=syn.ANCHOR_YEAR,
            subject=r.subject,
            grade=r.grade,
            group="all",
            n_tested=r.n_included,
            missing_reasons=missing,
            source_id=source_id,
            **values,
        )


def _add_real_all_result(
    out: _Inserter, school_id: int, anchor: syn.Anchor, source_id: int
) -> None:
    """The 2017 'ALL' grades row derived from the published grade rows (see ``_real_anchor``)."""
    has_sgp = not np.isnan(anchor.median_sgp)
    out.add(
        school_id=school_id,
        year=syn.ANCHOR_YEAR,
        subject=anchor.subject,
        grade=ALL_GRADES,
        group="all",
        n_tested=anchor.n_tested,
        pct_level_1=float(anchor.pct_levels[0]),
        pct_level_2=float(anchor.pct_levels[1]),
        pct_level_3=float(anchor.pct_levels[2]),
        pct_level_4=float(anchor.pct_levels[3]),
        composite_index=float(anchor.cpi),
        median_sgp=float(anchor.median_sgp) if has_sgp else None,
        sgp_n=anchor.sgp_n if has_sgp else None,
        missing_reasons={} if has_sgp else _sgp_missing(MissingReason.NOT_APPLICABLE.value),
        source_id=source_id,
    )


def _add_profiles(
    out: _Inserter,
    school_id: int,
    p: SchoolProfile,
    history: syn.ProfileHistory,
    real_id: int,
    synthetic_id: int,
) -> None:
    shares = _real_shares(p)
    out.add(
        school_id=school_id,
        year=syn.ANCHOR_YEAR,
        enrollment=p.enrollment,
        graduation_rate_4yr=p.pct_graduated,
        dropout_rate=p.pct_dropped_out,
        source_id=real_id,
        **{f"pct_{name}": shares[name] for name in syn.PROFILE_SHARES},
    )
    for i, year in enumerate(history.years):
        enrolment = _none(history.enrollment[i])
        out.add(
            school_id=school_id,
            year=int(year),
            enrollment=None if enrolment is None else int(enrolment),
            graduation_rate_4yr=_none(history.graduation_rate[i]),
            dropout_rate=_none(history.dropout_rate[i]),
            source_id=synthetic_id,
            **{
                f"pct_{name}": _none(history.shares[i, j])
                for j, name in enumerate(syn.PROFILE_SHARES)
            },
        )
