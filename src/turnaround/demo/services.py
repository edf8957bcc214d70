"""The demo state: Massachusetts from the real 2017 profiles plus a seeded synthetic history.

``demo_load`` writes everything in one transaction; ``demo_users_create`` gives one login per
role. What is real and what is synthetic is said in ``State.data_note`` and on every row's
``DataSource``. The numbers come from ``turnaround.analytics.synthetic``; this module decides which
school gets which story and stores the rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import connections, models, router, transaction
from django.db.models import Count, Q

from turnaround.accountability.models import (
    AccountabilityDetermination,
    Designation,
    DesignationStatus,
)
from turnaround.accounts.models import Membership, Role, User
from turnaround.accounts.services import membership_add, user_create_with_membership
from turnaround.analytics import synthetic as syn
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.demo.ma_profiles import PROFILES_FILE, SchoolProfile, file_checksum, profiles_read
from turnaround.organizations.grades import GRADE_CODES, grade_range, school_type_for
from turnaround.organizations.models import (
    District,
    OrgIdentifier,
    PartnerAssignment,
    PartnerOrganization,
    School,
    State,
    TitleIStatus,
    Zone,
)
from turnaround.performance.models import (
    ALL_GRADES,
    AssessmentResult,
    DataSource,
    MissingReason,
    SchoolYearProfile,
    StudentAssessment,
)

STATE_CODE, STATE_FIPS, STATE_NAME = "MA", "25", "Massachusetts"
PARTNER_NAME = "Demo Turnaround Partners"
REAL_SOURCE_NAME = "Massachusetts DESE school profiles 2017"
SYNTHETIC_SOURCE_PREFIX = "Synthetic demo history (seed "
RULESET = "ma-2012"
DETERMINATION_YEARS = (2012, 2013, 2014, 2015, 2016)
EXIT_COHORT_SIZE = 30
EXIT_MAX_PERCENTILE = 45
BATCH_SIZE = 2000
_SCHOOLS_PER_CHUNK = 100

DATA_NOTE = (
    "Real: school and district names, grade spans, enrolment and demographics, 2017 MCAS results, "
    "official accountability levels, percentiles and PPI come from the Massachusetts DESE 2017 "
    "school profiles; synthetic (seed {seed}): the 2011–2016 results and demographics, the "
    "2012–2016 levels, student-group results, Title I status, student-level scores, "
    "designations and partners are generated for this demo, and each school's 2017 school-wide "
    "median SGP is the student-weighted mean of the published grade medians."
)
_REAL_NOTES = (
    "Compiled from profiles.doe.mass.edu (copy in GitHub maggiexwang/sds236-mass-edu, commit "
    "31951b7). Values as published, except: % economically disadvantaged is recomputed from the "
    "count and total enrolment (the file's percentage column is sorted independently of its "
    "rows); the 2017 grade 'ALL' rows are derived (levels from summed counts, CPI weighted by "
    "students included, median SGP weighted by students included in SGP)."
)

ProgressCallback = Callable[[str, int, int], None]


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


class DemoAlreadyLoaded(Exception):
    """The demo state exists; pass ``reset=True`` to replace it."""


@dataclass(frozen=True)
class DemoSummary:
    """What ``demo_load`` wrote."""

    state_id: int
    seed: int
    districts: int
    schools: int
    profiles: int
    results: int
    determinations: int
    designations: int
    designations_exited: int
    student_records: int
    student_schools: int
    partner_assignments: int
    skipped: tuple[str, ...]
    seconds: float

    def counts(self) -> dict[str, int]:
        return {
            "districts": self.districts,
            "schools": self.schools,
            "profiles": self.profiles,
            "results": self.results,
            "determinations": self.determinations,
            "designations": self.designations,
            "designations_exited": self.designations_exited,
            "student_records": self.student_records,
            "student_schools": self.student_schools,
            "partner_assignments": self.partner_assignments,
        }


@dataclass(frozen=True)
class DemoLogin:
    """A demo sign-in: ``role`` is the role code (e.g. ``state_admin``)."""

    username: str
    role: str
    role_label: str
    organisation: str
    password: str


@dataclass(eq=False)
class _Plan:
    """One school's place in the demo: its real row and the story chosen for it."""

    profile: SchoolProfile
    key: int
    grade_low: str
    grade_high: str
    school_type: str
    tested: tuple[str, ...]
    designation: tuple[str, int, int | None] | None = None  # status, entered, exited
    trajectory: str = "steady"
    turn_year: int | None = None
    depth: float | None = None
    series: dict[str, syn.ResultSeries] = field(default_factory=dict)
    real_2017: bool = False

    @property
    def code(self) -> str:
        return self.profile.school_code

    @property
    def level(self) -> int | None:
        return self.profile.level

    @property
    def exited(self) -> bool:
        return self.designation is not None and self.designation[2] is not None


# ---------------------------------------------------------------------------------------------
# Planning (no database)


def _tested_grades(low: str, high: str) -> tuple[str, ...]:
    if not low:
        return ()
    span = GRADE_CODES[GRADE_CODES.index(low) : GRADE_CODES.index(high) + 1]
    return tuple(g for g in syn.TESTED_GRADES if g in span)


def _plans(profiles: Sequence[SchoolProfile], seed: int) -> tuple[list[_Plan], list[str]]:
    plans, skipped = [], []
    for p in profiles:
        # a school with no grade span in the file (ungraded special education) is loaded as
        # ungraded, with no tested grades
        low, high = grade_range(list(p.grades)) if p.grades else ("", "")
        plans.append(
            _Plan(
                profile=p,
                key=int(p.school_code),
                grade_low=low,
                grade_high=high,
                school_type=school_type_for(low, high),
                tested=_tested_grades(low, high),
            )
        )
    rng = np.random.default_rng([seed, 1])
    for plan in plans:  # the real Level 4 and 5 schools, still designated in 2017
        if plan.level in (4, 5):
            status = (
                DesignationStatus.CHRONICALLY_UNDERPERFORMING
                if plan.level == 5
                else DesignationStatus.UNDERPERFORMING
            )
            plan.designation = (status.value, int(rng.integers(2011, 2015)), None)
    for plan in _exit_cohort(plans, seed):
        entered = int(rng.integers(2011, 2013))
        exited = int(rng.integers(max(2014, entered + 3), 2017))
        plan.designation = (DesignationStatus.UNDERPERFORMING.value, entered, exited)
        plan.turn_year = entered
        plan.depth = float(rng.uniform(1.6, 2.2))  # low enough to be designated
    for plan in plans:
        plan.trajectory = syn.trajectory_choose(
            level=plan.level, exited=plan.exited, seed=seed, key=plan.key
        )
    return plans, skipped


def _exit_cohort(plans: Sequence[_Plan], seed: int) -> list[_Plan]:
    """About 30 real 2017 Level 1–2 schools, many high-needs students, modest percentile.

    Schools that exited underperformance are plausible among schools that now meet or nearly
    meet their targets but still rank in the lower half; their published 2017 results are the
    end point of the improvement the synthetic history shows.
    """
    candidates = [
        p
        for p in plans
        if p.level in (1, 2)
        and p.profile.mcas
        and p.profile.shares["high_needs"] is not None
        and (p.profile.accountability_percentile or 0) <= EXIT_MAX_PERCENTILE
    ]
    candidates.sort(key=lambda p: (-(p.profile.shares["high_needs"] or 0.0), p.code))
    pool = sorted(candidates[: 3 * EXIT_COHORT_SIZE], key=lambda p: p.code)
    rng = np.random.default_rng([seed, 2])
    picked = rng.choice(len(pool), size=min(EXIT_COHORT_SIZE, len(pool)), replace=False)
    return [pool[i] for i in sorted(picked)]


def _most_designated_district(codes_levels: Iterable[tuple[str, int | None]]) -> str | None:
    counts = Counter(code for code, level in codes_levels if level in (4, 5))
    if not counts:
        return None
    return min(counts, key=lambda code: (-counts[code], code))


def _select(
    plans: list[_Plan], schools: int | None, seed: int, include: Sequence[str]
) -> list[_Plan]:
    """A deterministic subset with designated, exited and Level 1–3 schools (all if None)."""
    if schools is None or schools >= len(plans):
        return plans
    by_code = sorted(plans, key=lambda p: p.code)
    rng = np.random.default_rng([seed, 3])
    chosen: dict[str, _Plan] = {}
    known = {p.code: p for p in by_code}
    for code in include:
        if code not in known:
            raise ValueError(f"include_schools: no school {code!r} in the profiles file")
        chosen[code] = known[code]

    def take(pool: list[_Plan], count: int) -> None:
        pool = [p for p in pool if p.code not in chosen]
        for i in sorted(rng.permutation(len(pool))[: max(0, count)]):
            chosen[pool[i].code] = pool[i]

    quota = max(1, schools // 8)
    designated = [p for p in by_code if p.level in (4, 5)]
    home = _most_designated_district((p.profile.district_code, p.level) for p in designated)
    home_designated = [p for p in designated if p.profile.district_code == home][:3]
    for p in home_designated[:quota]:
        chosen[p.code] = p
    take(designated, quota - min(quota, len(home_designated)))
    take([p for p in by_code if p.exited], quota)
    take([p for p in by_code if p.level == 3], quota)
    take([p for p in by_code if p.level is None], quota // 2)
    take([p for p in by_code if p.level in (1, 2) and not p.exited], schools - len(chosen))
    return sorted(chosen.values(), key=lambda p: p.code)


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


# ---------------------------------------------------------------------------------------------
# Loading


def _report(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def demo_state() -> State | None:
    return State.objects.filter(code=STATE_CODE).first()


def demo_load(
    *,
    seed: int = 2017,
    schools: int | None = None,
    student_share: float = 0.02,
    progress: ProgressCallback | None = None,
    reset: bool = False,
    include_schools: Sequence[str] = (),
) -> DemoSummary:
    """Create the Massachusetts demo state in one transaction.

    Parameters
    ----------
    seed : int
        Seed of every synthetic figure; the same seed gives the same rows.
    schools : int, optional
        Load a deterministic subset of this many schools (``include_schools`` among them) that
        still has designated, exited and Level 1–3 schools, with their districts; all when None.
    student_share : float
        Share (0–1) of the loaded schools that get student-level scores.
    progress : callable, optional
        Called as ``progress(stage, done, total)``.
    reset : bool
        Delete an existing demo state first (in the same transaction) instead of failing.
    include_schools : sequence of str
        School codes that a subset always contains (e.g. a well-known school for a test).
    """
    started = time.monotonic()
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number, got {seed!r}")
    if schools is not None and (isinstance(schools, bool) or schools < 1):
        raise ValueError(f"schools must be a positive whole number or None, got {schools!r}")
    if not 0.0 <= student_share <= 1.0:
        raise ValueError(f"student_share must be between 0 and 1, got {student_share!r}")

    path = settings.SHARED_DATA_DIR / PROFILES_FILE
    _report(progress, "reading profiles", 0, 1)
    profiles = profiles_read(path)
    checksum = file_checksum(path)
    all_plans, skipped = _plans(profiles, seed)
    plans = _select(all_plans, schools, seed, include_schools)
    district_names: dict[str, str] = {}
    district_kinds: dict[str, set[bool]] = {}
    for p in profiles:
        district_names.setdefault(p.district_code, p.district_name)
        district_kinds.setdefault(p.district_code, set()).add(p.is_charter)

    with transaction.atomic():
        existing = demo_state()
        if existing is not None:
            if not reset:
                raise DemoAlreadyLoaded(
                    "The Massachusetts demo state is already loaded (state MA exists). "
                    "Run `turnaround demo --reset` (or demo_load(reset=True)) to delete it and "
                    "load it again."
                )
            _report(progress, "deleting the previous demo", 0, 1)
            demo_delete(state=existing)

        state = State.objects.create(
            code=STATE_CODE, fips=STATE_FIPS, name=STATE_NAME, data_note=DATA_NOTE.format(seed=seed)
        )
        real = DataSource.objects.create(
            name=REAL_SOURCE_NAME,
            publisher="Massachusetts DESE",
            vintage="2017",
            file_name=PROFILES_FILE.name,
            checksum=checksum,
            notes=_REAL_NOTES,
        )
        synthetic = DataSource.objects.create(
            name=f"{SYNTHETIC_SOURCE_PREFIX}{seed})",
            publisher="turnaround demo generator",
            vintage="2011–2017",
            is_synthetic=True,
            notes=(
                "Generated by turnaround.analytics.synthetic around the real 2017 profiles: "
                "2011–2016 results and demographics, student-group results, Title I status, "
                "student-level scores, 2012–2016 determinations, designations and partners."
            ),
        )
        districts = _districts_create(state, plans, district_names, district_kinds)
        school_rows = _schools_create(plans, districts)
        counts = _history_create(plans, school_rows, real, synthetic, seed, progress)
        determinations = _determinations_create(plans, school_rows, real, synthetic)
        designations = Designation.objects.bulk_create(
            [
                Designation(
                    school=school_rows[p.code],
                    status=p.designation[0],
                    entered_year=p.designation[1],
                    exited_year=p.designation[2],
                    exit_reason=(
                        "Met the exit criteria: sustained gains in achievement and growth"
                        if p.designation[2] is not None
                        else ""
                    ),
                    source=synthetic,
                )
                for p in plans
                if p.designation is not None
            ],
            batch_size=BATCH_SIZE,
        )
        assignments = _partner_create(state)
        students, student_schools = _students_create(
            plans, school_rows, state, student_share, synthetic, seed, progress
        )
        summary = DemoSummary(
            state_id=state.pk,
            seed=seed,
            districts=len(districts),
            schools=len(school_rows),
            profiles=counts["profiles"],
            results=counts["results"],
            determinations=determinations,
            designations=len(designations),
            designations_exited=sum(1 for p in plans if p.exited),
            student_records=students,
            student_schools=student_schools,
            partner_assignments=assignments,
            skipped=tuple(skipped),
            seconds=0.0,
        )
        audit_record(
            actor=None,
            action=AuditEvent.Action.LOAD,
            obj=state,
            object_repr=f"Massachusetts demo state (seed {seed})",
            state_id=state.pk,
            changes={**summary.counts(), "seed": seed, "skipped": list(skipped)},
        )
    seconds = round(time.monotonic() - started, 1)
    _report(progress, "done", 1, 1)
    return dataclasses.replace(summary, seconds=seconds)


def demo_delete(*, state: State) -> None:
    """Delete a demo state and every row that hangs from it (users stay; memberships go)."""
    schools = School.objects.filter(district__state=state)
    with transaction.atomic():
        audit_record(
            actor=None,
            action=AuditEvent.Action.DELETE,
            obj=state,
            object_repr="Massachusetts demo state (reset)",
            changes={"schools": schools.count()},
        )
        for model in (
            StudentAssessment,
            AssessmentResult,
            SchoolYearProfile,
            AccountabilityDetermination,
            Designation,
            PartnerAssignment,
        ):
            model.objects.filter(school__in=schools).delete()
        OrgIdentifier.objects.filter(Q(school__in=schools) | Q(district__state=state)).delete()
        Membership.objects.filter(
            Q(state=state) | Q(district__state=state) | Q(school__in=schools)
        ).delete()
        PartnerOrganization.objects.filter(name=PARTNER_NAME).delete()
        Zone.objects.filter(state=state).delete()
        schools.delete()
        District.objects.filter(state=state).delete()
        state.delete()
        demo_sources = DataSource.objects.filter(
            Q(name=REAL_SOURCE_NAME) | Q(name__startswith=SYNTHETIC_SOURCE_PREFIX)
        )
        for source in demo_sources:
            if not any(
                model.objects.filter(source=source).exists()
                for model in (
                    StudentAssessment,
                    AssessmentResult,
                    SchoolYearProfile,
                    AccountabilityDetermination,
                    Designation,
                )
            ):
                source.delete()


def _districts_create(
    state: State,
    plans: Sequence[_Plan],
    names: dict[str, str],
    kinds: dict[str, set[bool]],
) -> dict[str, District]:
    codes = sorted({p.profile.district_code for p in plans})
    created = District.objects.bulk_create(
        [
            District(state=state, code=code, name=names[code], is_charter=kinds[code] == {True})
            for code in codes
        ],
        batch_size=BATCH_SIZE,
    )
    return {d.code: d for d in created}


def _schools_create(plans: Sequence[_Plan], districts: dict[str, District]) -> dict[str, School]:
    created = School.objects.bulk_create(
        [
            School(
                district=districts[p.profile.district_code],
                code=p.code,
                name=p.profile.school_name,
                school_type=p.school_type,
                grade_low=p.grade_low,
                grade_high=p.grade_high,
                title_i=_title_i(p.profile.pct_econ_disadv),
                is_charter=p.profile.is_charter,
                town=p.profile.town,
                address=p.profile.address,
                zip_code=p.profile.zip_code,
            )
            for p in plans
        ],
        batch_size=BATCH_SIZE,
    )
    return {s.code: s for s in created}


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


# ---------------------------------------------------------------------------------------------
# The demo district, its partner and its school leader


def demo_district(state: State) -> District | None:
    """The district with the most official 2017 Level 4–5 schools (lowest code on a tie)."""
    return (
        District.objects.filter(state=state)
        .annotate(
            designated=Count(
                "schools__determinations",
                filter=Q(
                    schools__determinations__year=syn.ANCHOR_YEAR,
                    schools__determinations__is_official=True,
                    schools__determinations__level__in=(4, 5),
                ),
            )
        )
        .filter(designated__gt=0)
        .order_by("-designated", "code")
        .first()
    )


def _district_schools_by_level(district: District) -> list[School]:
    """The district's schools, Level 4 first, then Level 5, then the others; by code."""
    levels = dict(
        AccountabilityDetermination.objects.filter(
            school__district=district, year=syn.ANCHOR_YEAR, is_official=True
        ).values_list("school_id", "level")
    )
    rank = {4: 0, 5: 1}
    return sorted(
        district.schools.all(), key=lambda s: (rank.get(levels.get(s.pk) or 0, 2), s.code)
    )


def demo_leader_school(district: District) -> School | None:
    """The Level 4 school the demo's school leader leads (lowest code)."""
    ordered = _district_schools_by_level(district)
    return ordered[0] if ordered else None


def _partner_create(state: State) -> int:
    partner, _ = PartnerOrganization.objects.get_or_create(
        name=PARTNER_NAME,
        defaults={
            "description": "A fictional turnaround partner serving schools of the demo district."
        },
    )
    district = demo_district(state)
    if district is None:
        return 0
    today = dt.date.today()
    served = _district_schools_by_level(district)[:3]
    PartnerAssignment.objects.bulk_create(
        [
            PartnerAssignment(
                partner=partner,
                school=school,
                starts_on=today - dt.timedelta(days=180),
                ends_on=today + dt.timedelta(days=365),
                agreement_reference=f"DEMO-DSA-{i + 1:03d}",
            )
            for i, school in enumerate(served)
        ]
    )
    return len(served)


# ---------------------------------------------------------------------------------------------
# Student-level records


def _students_create(
    plans: Sequence[_Plan],
    schools: dict[str, School],
    state: State,
    share: float,
    source: DataSource,
    seed: int,
    progress: ProgressCallback | None,
) -> tuple[int, int]:
    candidates = [p for p in plans if p.tested and len(p.series) == len(syn.SUBJECTS)]
    wanted = min(len(candidates), max(1, round(share * len(plans)))) if share > 0 else 0
    if wanted == 0:
        return 0, 0
    district = demo_district(state)
    leader = demo_leader_school(district) if district else None
    first = [p for p in candidates if leader is not None and p.code == leader.code]
    first = first or [p for p in candidates if p.designation is not None][:1]
    rest = [p for p in candidates if p not in first]
    preferred = [p for p in rest if p.real_2017] or rest
    rng = np.random.default_rng([seed, 4])
    picks = rng.permutation(len(preferred))[: max(0, wanted - len(first))]
    chosen = first + [preferred[i] for i in sorted(picks)]
    chosen += [p for p in rest if p not in chosen][: max(0, wanted - len(chosen))]

    out = _Inserter(StudentAssessment, _STUDENT_COLUMNS)
    for done, plan in enumerate(chosen, start=1):
        years = set.intersection(*(set(s.years.tolist()) for s in plan.series.values()))
        series = {subject: _series_years(s, sorted(years)) for subject, s in plan.series.items()}
        shares = _real_shares(plan.profile)
        scores = syn.students_generate(
            series=series,
            grades=plan.tested,
            flag_pct={f: shares[f] for f in syn.FLAGS},
            race_pct={r: shares[r] for r in syn.RACES},
            seed=seed,
            key=plan.key,
        )
        school_id = schools[plan.code].pk
        columns = (
            scores.student_key.tolist(),
            scores.year.tolist(),
            scores.grade.tolist(),
            scores.subject.tolist(),
            scores.scale_score.tolist(),
            scores.achievement_level.tolist(),
            scores.is_high_needs.tolist(),
            scores.is_econ_disadv.tolist(),
            scores.is_el.tolist(),
            scores.is_swd.tolist(),
            scores.race.tolist(),
        )
        for key, year, grade, subject, score, level, hn, ed, el, swd, race in zip(
            *columns, strict=True
        ):
            out.add(
                student_key=key,
                school_id=school_id,
                year=year,
                grade=grade,
                subject=subject,
                scale_score=score,
                achievement_level=level,
                is_high_needs=hn,
                is_econ_disadv=ed,
                is_el=el,
                is_swd=swd,
                race=race,
                source_id=source.pk,
            )
        out.flush()
        _report(progress, "student records", done, len(chosen))
    return out.written, len(chosen)


def _series_years(series: syn.ResultSeries, years: list[int]) -> syn.ResultSeries:
    keep = np.isin(series.years, years)
    return syn.ResultSeries(
        subject=series.subject,
        trajectory=series.trajectory,
        years=series.years[keep],
        pct_levels=series.pct_levels[keep],
        cpi=series.cpi[keep],
        median_sgp=series.median_sgp[keep],
        n_tested=series.n_tested[keep],
        sgp_n=series.sgp_n[keep],
    )


# ---------------------------------------------------------------------------------------------
# Logins


def demo_users_create(*, password: str) -> list[DemoLogin]:
    """One login per role in the demo state; re-running updates the passwords.

    Raises
    ------
    LookupError
        When the demo state has not been loaded.
    django.core.exceptions.ValidationError
        When the password fails the password rules.
    """
    state = demo_state()
    if state is None:
        raise LookupError("The demo state is not loaded: run `turnaround demo` first.")
    district = demo_district(state)
    school = demo_leader_school(district) if district is not None else None
    partner = PartnerOrganization.objects.filter(name=PARTNER_NAME).first()
    wanted: list[tuple[str, str, Any]] = [
        ("state.admin", Role.STATE_ADMIN, state),
        ("state.staff", Role.STATE_STAFF, state),
        ("ta.provider", Role.TA_PROVIDER, state),
        ("reviewer", Role.REVIEWER, state),
        ("viewer", Role.VIEWER, state),
        ("district.leader", Role.DISTRICT_LEADER, district),
        ("school.leader", Role.SCHOOL_LEADER, school),
        ("partner.staff", Role.PARTNER_STAFF, partner),
    ]
    logins = []
    with transaction.atomic():
        for username, role, organisation in wanted:
            if organisation is None:
                continue
            user = User.objects.filter(username__iexact=username).first()
            if user is None:
                user_create_with_membership(
                    actor=None,
                    username=username,
                    email=f"{username}@example.org",
                    password=password,
                    role=role,
                    organisation=organisation,
                )
            else:
                validate_password(password, user)
                user.set_password(password)
                user.save(update_fields=["password"])
                audit_record(
                    actor=None,
                    action=AuditEvent.Action.UPDATE,
                    obj=user,
                    state_id=state.pk,
                    changes={"password": ["(set)", "(reset by turnaround demo)"]},
                )
                membership_add(actor=None, user=user, role=role, organisation=organisation)
            logins.append(
                DemoLogin(
                    username=username,
                    role=str(role),
                    role_label=str(Role(role).label),
                    organisation=str(organisation),
                    password=password,
                )
            )
    return logins
