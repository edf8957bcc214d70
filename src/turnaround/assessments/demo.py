"""Demo assessments for the demo state: two finalised site visits a year apart at the demo
school (so "change since the previous visit" has data), a visit in progress at another school of
the demo district, and the demo school's self-assessment in progress.

Written with bulk inserts (one audit event per assessment) so it takes a fraction of a second;
the content follows the same rules the services enforce: every rating with a level has a
rationale and evidence, every indicator of a finalised visit has a consensus rating, notes name
roles, never students.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from turnaround.accounts.models import Membership, Role, User
from turnaround.assessments.models import (
    Assessment,
    ConsensusRating,
    DocumentRequest,
    Evidence,
    PracticeFinding,
    ReviewerRating,
    ScheduleItem,
    TeamMember,
)
from turnaround.assessments.services import school_year_of
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.frameworks.models import FrameworkVersion, Indicator, Practice
from turnaround.organizations.models import School, State

DEMO_TITLE_PREFIX = "Demo: "

_SOURCES = (
    ("interview", "principal and assistant principal"),
    ("focus_group", "grade-level teacher team"),
    ("observation", "grade 4 and 5 classrooms"),
    ("document", "master schedule and meeting agendas"),
    ("survey", "instructional staff survey"),
    ("focus_group", "student focus group (grade 5, 8 students)"),
)
_NOTES = (
    "Leaders describe a shared vision; teachers name the same two instructional priorities.",
    "Teams meet weekly with a protocol; agendas show data review in most weeks.",
    "Exit tickets used in most rooms observed; feedback to students is uneven across classrooms.",
    "The schedule protects a daily intervention block; groups are revisited every six weeks.",
    "Staff survey: most agree expectations for behaviour are clear and applied consistently.",
    "Students describe at least one adult they would go to for help; they know the routines.",
)
_SCHEDULE = (
    (0, "08:00", "08:45", "meeting", "Opening meeting with the leadership team", "school leaders"),
    (0, "09:00", "10:30", "observation", "Classroom visits, grades 3–5", "teachers"),
    (0, "10:45", "11:30", "interview", "Principal interview", "principal"),
    (0, "13:00", "13:45", "focus_group", "Teacher focus group", "grade 4 and 5 teachers"),
    (1, "08:30", "09:15", "focus_group", "Student focus group", "grade 5 students (8)"),
    (1, "09:30", "10:30", "document_review", "Review of requested documents", ""),
    (1, "10:45", "11:30", "interview", "District liaison interview", "district liaison"),
    (1, "14:00", "15:00", "meeting", "Closing debrief", "school leaders"),
)


def _user(users: dict[str, Any], *keys: str) -> User | None:
    for key in keys:
        if users.get(key) is not None:
            return users[key]
    return None


def _demo_schools(state: State, school_leader: User | None) -> list[School]:
    """The demo school (the school leader's) first, then others of its district."""
    school = None
    if school_leader is not None:
        m = (
            Membership.objects.filter(user=school_leader, role=Role.SCHOOL_LEADER)
            .select_related("school__district")
            .first()
        )
        school = m.school if m is not None else None
    if school is None:
        from turnaround.demo.services import demo_district, demo_leader_school

        district = demo_district(state)
        school = demo_leader_school(district) if district is not None else None
    if school is None:
        school = School.objects.filter(district__state=state).order_by("code").first()
    if school is None:
        return []
    others = list(
        School.objects.filter(district_id=school.district_id)
        .exclude(pk=school.pk)
        .order_by("code")[:1]
    )
    return [school, *others]


def _weekday_before(day: dt.date) -> dt.date:
    while day.weekday() > 2:  # a visit of two days starts Monday to Wednesday
        day -= dt.timedelta(days=1)
    return day


def _clamp(level: int, top: int) -> int:
    return max(0, min(top, level))


def _new_assessment(
    *,
    kind: str,
    school: School,
    version: FrameworkVersion,
    title: str,
    start: dt.date,
    days: int,
    status: str,
    created_by: User,
    purpose: str = "",
    summary: str = "",
) -> Assessment:
    finalised = status == Assessment.Status.FINALISED
    end = start + dt.timedelta(days=days - 1)
    return Assessment.objects.create(
        kind=kind,
        school=school,
        framework_version=version,
        title=DEMO_TITLE_PREFIX + title,
        school_year=school_year_of(start),
        start_date=start,
        end_date=end,
        status=status,
        purpose=purpose,
        executive_summary=summary,
        questionnaire=[
            {
                "question": "What are the school's two most important priorities this year?",
                "answer": "Consistent core instruction in literacy; a tiered system of support.",
            },
            {
                "question": "How do teacher teams use data, and how often?",
                "answer": "Grade teams review common assessment results every two weeks.",
            },
        ],
        created_by=created_by,
        finalised_at=timezone.make_aware(dt.datetime.combine(end, dt.time(16)))
        if finalised
        else None,
        finalised_by=created_by if finalised else None,
    )


def _schedule(a: Assessment, reviewers: Sequence[User]) -> None:
    rows = []
    for n, (day, start, end, activity, title, participants) in enumerate(_SCHEDULE):
        when = a.start_date + dt.timedelta(days=day)
        if when > a.end_date:
            continue
        rows.append(
            ScheduleItem(
                assessment=a,
                day=when,
                starts_at=dt.time.fromisoformat(start),
                ends_at=dt.time.fromisoformat(end),
                activity=activity,
                title=title,
                participants=participants,
                location="Library" if activity != "observation" else "Classrooms",
                reviewer=reviewers[n % len(reviewers)],
                consent_required="students" in participants,
                consent_recorded="students" in participants
                and a.status != Assessment.Status.PLANNED,
            )
        )
    ScheduleItem.objects.bulk_create(rows)


def _evidence(
    a: Assessment, indicators: Sequence[Indicator], collectors: Sequence[User]
) -> dict[int, Evidence]:
    """One evidence item per indicator (tagged also to the next indicator of its practice)."""
    items = [
        Evidence(
            assessment=a,
            kind=_SOURCES[i % len(_SOURCES)][0],
            source=_SOURCES[i % len(_SOURCES)][1],
            note=f"{ind.code}: {_NOTES[i % len(_NOTES)]}",
            collected_by=collectors[i % len(collectors)],
        )
        for i, ind in enumerate(indicators)
    ]
    Evidence.objects.bulk_create(items)
    through = Evidence.indicators.through
    links = []
    for i, (ev, ind) in enumerate(zip(items, indicators, strict=True)):
        links.append(through(evidence_id=ev.pk, indicator_id=ind.pk))
        nxt = indicators[i + 1] if i + 1 < len(indicators) else None
        if nxt is not None and nxt.component.practice_id == ind.component.practice_id:
            links.append(through(evidence_id=ev.pk, indicator_id=nxt.pk))
    through.objects.bulk_create(links)
    return {ind.pk: ev for ind, ev in zip(indicators, items, strict=True)}


def _reviewer_ratings(
    a: Assessment,
    indicators: Sequence[Indicator],
    evidence: dict[int, Evidence],
    raters: Sequence[tuple[User, Sequence[int]]],
) -> None:
    rows, evidence_links = [], []
    for user, levels in raters:
        for ind, level in zip(indicators, levels, strict=False):
            rows.append(
                ReviewerRating(
                    assessment=a,
                    indicator=ind,
                    reviewer=user,
                    level=level,
                    rationale=f"Evidence on {ind.code} matches the descriptor of this level.",
                )
            )
    ReviewerRating.objects.bulk_create(rows)
    through = ReviewerRating.evidence.through
    for r in rows:
        evidence_links.append(
            through(reviewerrating_id=r.pk, evidence_id=evidence[r.indicator_id].pk)
        )
    through.objects.bulk_create(evidence_links)


def _consensus(
    a: Assessment,
    indicators: Sequence[Indicator],
    evidence: dict[int, Evidence],
    levels: Sequence[int | None],
    by: User,
    labels: dict[int, str],
) -> None:
    rows = []
    for ind, level in zip(indicators, levels, strict=False):
        rows.append(
            ConsensusRating(
                assessment=a,
                indicator=ind,
                level=level,
                rationale=(
                    f"The team agreed on “{labels.get(level, '')}” for {ind.code} after "
                    "comparing interview, observation and document evidence."
                    if level is not None
                    else "Not rated: no classrooms of this kind could be observed on the visit."
                ),
                strengths="Shared routines and a common language among staff."
                if (level or 0) >= 2
                else "Leaders name this as a priority.",
                challenges="Practice is not yet consistent across classrooms."
                if (level or 0) < 3
                else "Sustaining it as staff change.",
                recorded_by=by,
            )
        )
    ConsensusRating.objects.bulk_create(rows)
    through = ConsensusRating.evidence.through
    through.objects.bulk_create(
        [
            through(consensusrating_id=r.pk, evidence_id=evidence[r.indicator_id].pk)
            for r in rows
            if r.level is not None
        ]
    )


def _findings(a: Assessment, practices: Sequence[Practice], better: bool) -> None:
    PracticeFinding.objects.bulk_create(
        [
            PracticeFinding(
                assessment=a,
                practice=p,
                strengths=(
                    "Teacher teams now use common assessment data to regroup students."
                    if better
                    else "Leaders communicate a clear vision and high expectations."
                ),
                challenges=(
                    "Feedback after observations is timely in some grades only."
                    if better
                    else "Collaborative time is often used for logistics rather than instruction."
                ),
            )
            for p in practices
        ]
    )


def _team(a: Assessment, seats: Sequence[tuple[User, str]]) -> None:
    TeamMember.objects.bulk_create([TeamMember(assessment=a, user=u, role=r) for u, r in seats])


def _audit(a: Assessment, actor: User | None, state: State) -> None:
    audit_record(
        actor=actor,
        action=AuditEvent.Action.LOAD,
        obj=a,
        state_id=state.pk,
        changes={"demo": True, "status": a.status},
    )


def assessments_demo_create(
    *, state: State, framework_version: FrameworkVersion, users: dict[str, User]
) -> None:
    """Create the demo assessments (see the module docstring); does nothing when they exist.

    ``users`` is keyed by role (``state_admin``, ``state_staff``, ``reviewer``,
    ``school_leader``, ``district_leader``; demo usernames such as ``state.staff`` work too).
    """
    lead = _user(users, "state_staff", "state.staff", "state_admin", "state.admin")
    reviewer = _user(users, "reviewer")
    school_leader = _user(users, "school_leader", "school.leader")
    district_leader = _user(users, "district_leader", "district.leader")
    if lead is None:
        raise ValueError("The demo assessments need a state staff (or administrator) user.")
    schools = _demo_schools(state, school_leader)
    if not schools:
        return
    school = schools[0]
    if Assessment.objects.filter(
        school__district__state=state, title__startswith=DEMO_TITLE_PREFIX
    ).exists():
        return
    raters = [lead, reviewer] if reviewer is not None else [lead]
    indicators = list(
        Indicator.objects.filter(framework_version=framework_version)
        .select_related("component__practice")
        .order_by(
            "component__practice__position",
            "component__practice__code",
            "component__position",
            "position",
            "code",
        )
    )
    practices = list(
        Practice.objects.filter(framework_version=framework_version).order_by("position", "code")
    )
    levels = list(framework_version.scale.levels.order_by("code"))
    labels = {lvl.code: lvl.label for lvl in levels}
    top = levels[-1].code if levels else 0
    today = timezone.localdate()
    recent = _weekday_before(today - dt.timedelta(days=45))
    earlier = recent - dt.timedelta(days=364)

    # A baseline pattern: mostly developing, a few at no evidence or providing.
    base = [_clamp((1, 1, 0, 2, 1, 1, 2, 0)[i % 8], top) for i in range(len(indicators))]
    improved = [_clamp(lvl + (1 if i % 3 != 2 else 0), top) for i, lvl in enumerate(base)]

    with transaction.atomic():
        for when, consensus, better in ((earlier, base, False), (recent, improved, True)):
            visit = _new_assessment(
                kind=Assessment.Kind.SITE_VISIT,
                school=school,
                version=framework_version,
                title=f"Site visit to {school.name}, {school_year_of(when)}",
                start=when,
                days=2,
                status=Assessment.Status.FINALISED,
                created_by=lead,
                purpose="Annual monitoring site visit against the Turnaround Practices.",
                summary=(
                    "Leaders and teacher teams have built routines for using data; the next step "
                    "is consistent, high-quality feedback in every classroom."
                    if better
                    else "The school has a clear vision; systems for collaboration and student "
                    "support are still developing."
                ),
            )
            _team(
                visit,
                [(lead, TeamMember.Role.LEAD)]
                + ([(reviewer, TeamMember.Role.REVIEWER)] if reviewer else []),
            )
            _schedule(visit, raters)
            DocumentRequest.objects.bulk_create(
                [
                    DocumentRequest(
                        assessment=visit,
                        title="Master schedule",
                        received=True,
                        due_date=when - dt.timedelta(days=7),
                    ),
                    DocumentRequest(
                        assessment=visit,
                        title="Leadership team agendas and minutes",
                        received=True,
                        due_date=when - dt.timedelta(days=7),
                    ),
                ]
            )
            evidence = _evidence(visit, indicators, raters)
            # the reviewer sees some indicators one or two levels apart from the lead
            second = [
                _clamp(lvl + (2 if i % 5 == 0 else (1 if i % 4 == 1 else 0)), top)
                for i, lvl in enumerate(consensus)
            ]
            rated = [(lead, consensus)] + ([(reviewer, second)] if reviewer else [])
            _reviewer_ratings(visit, indicators, evidence, rated)
            _consensus(visit, indicators, evidence, consensus, lead, labels)
            _findings(visit, practices, better)
            _audit(visit, lead, state)

        # a visit in progress at another school of the district
        other = schools[1] if len(schools) > 1 else school
        current = _new_assessment(
            kind=Assessment.Kind.SITE_VISIT,
            school=other,
            version=framework_version,
            title=f"Site visit to {other.name}, {school_year_of(today)}",
            start=_weekday_before(today - dt.timedelta(days=1)),
            days=2,
            status=Assessment.Status.IN_PROGRESS,
            created_by=lead,
            purpose="Baseline site visit.",
        )
        seats = [(lead, TeamMember.Role.LEAD)]
        if reviewer is not None:
            seats.append((reviewer, TeamMember.Role.REVIEWER))
        if district_leader is not None:
            seats.append((district_leader, TeamMember.Role.SCHOOL_TEAM))
        _team(current, seats)
        _schedule(current, raters)
        DocumentRequest.objects.create(
            assessment=current, title="School improvement plan", received=True
        )
        DocumentRequest.objects.create(
            assessment=current, title="Intervention group rosters (counts only)", received=False
        )
        half = indicators[: max(1, len(indicators) // 2)]
        evidence = _evidence(current, half, raters)
        _reviewer_ratings(
            current,
            half[: max(1, len(half) // 2)],
            evidence,
            [(u, [_clamp(1 + (i % 2), top) for i in range(len(half))]) for u in raters],
        )
        _audit(current, lead, state)

        # the demo school's own self-assessment, half rated
        owner = school_leader or lead
        self_assessment = _new_assessment(
            kind=Assessment.Kind.SELF,
            school=school,
            version=framework_version,
            title=f"Self-assessment of {school.name}, {school_year_of(today)}",
            start=today - dt.timedelta(days=20),
            days=30,
            status=Assessment.Status.IN_PROGRESS,
            created_by=owner,
            purpose="The leadership team's annual self-assessment before the plan update.",
        )
        if school_leader is not None:
            _team(self_assessment, [(school_leader, TeamMember.Role.SCHOOL_TEAM)])
        self_rows = []
        for i, ind in enumerate(half):
            level = _clamp((1, 2, 1, 0, 3)[i % 5], top)
            self_rows.append(
                ConsensusRating(
                    assessment=self_assessment,
                    indicator=ind,
                    level=level,
                    rationale="What we see now: routines in place in most grades.",
                    priority_score=None if level == top else 1 + i % 3,
                    opportunity_score=None if level == top else 1 + (i + 1) % 3,
                    recorded_by=owner,
                )
            )
        ConsensusRating.objects.bulk_create(self_rows)
        _audit(self_assessment, owner, state)


def assessments_demo_delete(*, state: State) -> int:
    """Delete the demo state's assessments (schools are protected while assessments exist)."""
    qs = Assessment.objects.filter(school__district__state=state) | Assessment.objects.filter(
        district__state=state
    )
    ids = list(qs.values_list("pk", flat=True))
    with transaction.atomic():
        ConsensusRating.objects.filter(assessment_id__in=ids).delete()
        ReviewerRating.objects.filter(assessment_id__in=ids).delete()
        Assessment.objects.filter(pk__in=ids).delete()
    return len(ids)
