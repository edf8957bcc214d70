"""The demo state: Massachusetts from the real 2017 profiles plus a seeded synthetic history.

``demo_load`` writes everything in one transaction; ``demo_users_create`` gives one login per
role. What is real and what is synthetic is said in ``State.data_note`` and on every row's
``DataSource``. The numbers come from ``turnaround.analytics.synthetic``; ``plan`` decides which
school gets which story, ``rows`` and ``history`` store the large tables, and this module loads,
deletes and signs in to the demo state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Count, Q

from turnaround.accountability.models import AccountabilityDetermination, Designation
from turnaround.accounts.models import Membership, Role, User
from turnaround.accounts.services import membership_add, user_create_with_membership
from turnaround.analytics import synthetic as syn
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.demo.history import (
    ProgressCallback,
    _determinations_create,
    _history_create,
    _report,
)
from turnaround.demo.ma_profiles import PROFILES_FILE, file_checksum, profiles_read
from turnaround.demo.plan import _Plan, _plans, _select
from turnaround.demo.rows import _STUDENT_COLUMNS, BATCH_SIZE, _Inserter, _real_shares, _title_i
from turnaround.organizations.models import (
    District,
    OrgIdentifier,
    PartnerOrganization,
    School,
    State,
    Zone,
)
from turnaround.partners.models import Engagement, NeedArea
from turnaround.performance.models import (
    AssessmentResult,
    DataSource,
    SchoolYearProfile,
    StudentAssessment,
)

STATE_CODE, STATE_FIPS, STATE_NAME = "MA", "25", "Massachusetts"
PARTNER_NAME = "Demo Turnaround Partners"
REAL_SOURCE_NAME = "Massachusetts DESE school profiles 2017"
SYNTHETIC_SOURCE_PREFIX = "Synthetic demo history (seed "

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
    partner_engagements: int
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
            "partner_engagements": self.partner_engagements,
        }


@dataclass(frozen=True)
class DemoLogin:
    """A demo sign-in: ``role`` is the role code (e.g. ``state_admin``)."""

    username: str
    role: str
    role_label: str
    organisation: str
    password: str


# ---------------------------------------------------------------------------------------------
# Loading


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
                    phase="exited" if p.designation[2] is not None else "in_turnaround",
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
            partner_engagements=assignments,
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
        from turnaround.assessments.demo import assessments_demo_delete
        from turnaround.partners.demo import partners_demo_delete
        from turnaround.plans.demo import plans_demo_delete

        plans_demo_delete(state=state)  # plans protect their schools and assessments' priorities
        assessments_demo_delete(state=state)  # assessments protect their schools
        partners_demo_delete(state=state)  # vetting and designations protect their partners
        for model in (
            StudentAssessment,
            AssessmentResult,
            SchoolYearProfile,
            AccountabilityDetermination,
            Designation,
            Engagement,
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
    Engagement.objects.bulk_create(
        [
            Engagement(
                partner=partner,
                school=school,
                need_area=NeedArea.INSTRUCTION,
                scope="Weekly instructional coaching for grade-level teams and the principal.",
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


def demo_assessments_create() -> int:
    """Seed the frameworks and give the demo state its site visits and self-assessment.

    Needs the demo logins (``demo_users_create``): the demo reviewer, staff and leaders sit on the
    teams. Idempotent. Returns the number of assessments the demo state has afterwards.
    """
    from turnaround.assessments.demo import assessments_demo_create
    from turnaround.assessments.models import Assessment
    from turnaround.frameworks.seed import frameworks_seed
    from turnaround.frameworks.selectors import TURNAROUND_PRACTICES, current_version

    state = demo_state()
    if state is None:
        raise LookupError("The demo state is not loaded: run `turnaround demo` first.")
    frameworks_seed(actor=None)
    version = current_version(TURNAROUND_PRACTICES, state=state)
    if version is None:
        raise LookupError("The Turnaround Practices framework has no published version.")
    users = {
        role: user
        for role, username in (
            ("state_staff", "state.staff"),
            ("reviewer", "reviewer"),
            ("school_leader", "school.leader"),
            ("district_leader", "district.leader"),
        )
        if (user := User.objects.filter(username__iexact=username).first()) is not None
    }
    assessments_demo_create(state=state, framework_version=version, users=users)
    return Assessment.objects.filter(
        Q(school__district__state=state) | Q(district__state=state)
    ).count()


def demo_partners_create() -> dict[str, int]:
    """Give the demo state its partner registry, vetting cycles, Priority Partner designations and
    engagements, and estimate each partner's impact from the demo data.

    Needs the demo logins (``demo_users_create``): the demo state staff and reviewer review, the
    state administrator decides. Idempotent. Returns the counts of what the demo state has.
    """
    from turnaround.partners.demo import partners_demo_create
    from turnaround.partners.services.impact import impact_compute_state

    state = demo_state()
    if state is None:
        raise LookupError("The demo state is not loaded: run `turnaround demo` first.")
    users = {
        role: user
        for role, username in (
            ("state_admin", "state.admin"),
            ("state_staff", "state.staff"),
            ("reviewer", "reviewer"),
            ("partner_staff", "partner.staff"),
        )
        if (user := User.objects.filter(username__iexact=username).first()) is not None
    }
    counts = dict(partners_demo_create(state=state, users=users))
    estimates = impact_compute_state(state=state, actor=None)
    counts["impact estimates"] = sum(e.estimate is not None for e in estimates)
    counts["impact refusals"] = sum(e.estimate is None for e in estimates)
    return counts


def demo_plans_create() -> dict[str, int]:
    """Give the demo state its turnaround plans in every status, the demo school's quarterly
    sessions and coaching, and a few state-approved plans with sessions for the dashboards.

    Needs the demo logins (``demo_users_create``: the school and district leaders write, the
    district leader and state staff approve) and the published Turnaround Practices (seeded
    here when missing, as ``demo_assessments_create`` does). Idempotent. Returns the counts of
    what the demo plans hold.
    """
    from turnaround.frameworks.seed import frameworks_seed
    from turnaround.frameworks.selectors import TURNAROUND_PRACTICES, current_version
    from turnaround.plans.demo import plans_demo_create

    state = demo_state()
    if state is None:
        raise LookupError("The demo state is not loaded: run `turnaround demo` first.")
    if current_version(TURNAROUND_PRACTICES, state=state) is None:
        frameworks_seed(actor=None)
    users = {
        role: user
        for role, username in (
            ("state_admin", "state.admin"),
            ("state_staff", "state.staff"),
            ("district_leader", "district.leader"),
            ("school_leader", "school.leader"),
        )
        if (user := User.objects.filter(username__iexact=username).first()) is not None
    }
    return plans_demo_create(state=state, users=users)
