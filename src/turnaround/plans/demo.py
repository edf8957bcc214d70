"""Demo turnaround plans and quarterly monitoring for the demo state.

``plans_demo_create(state=…, users=…)`` writes **only through the plan and monitoring services**
(``plans.services``, ``monitoring.services``; the site-visit priorities through
``assessments.priorities``), as the demo's people would through the pages, so every row passes
the services' checks and every write is audited:

- **The demo school** (the school leader's; else ``demo.services.demo_leader_school``): a
  three-year plan in its second year (first year = the current spring year − 1), started from the
  Massachusetts template by the school leader, with needs and objectives taken from the school's
  latest finalised site visit (its priorities proposed and agreed first when the visit has none),
  a need from the data, root causes linked to indicators, four goals with yearly targets (ELA and
  mathematics proficiency, mathematics growth, chronic absence), strategies and actions with
  owners, dates, costs and funding (done, in progress, blocked, dropped, and some overdue), and
  eight benchmarks of both kinds due in different quarters. It is submitted, approved by the
  district and by the state; then three quarterly sessions of the three quarters before today's
  are held (statuses on track, at risk, off track and met, with values and evidence; notes,
  decisions, next steps closed in later sessions or carried forward, some overdue) and the
  session of the current quarter is scheduled. State staff coach in threads the school leader
  answers.
- **Other schools of the demo district**: those with an open designation (by code), topped up
  with the district's other lowest-rated schools when fewer than six are designated (a small demo),
  up to eight in all. Their plans, written by the district leader, tell the stories of
  ``OTHER_STORIES``: state-approved with one or two sessions (one on course, one needing
  attention, one to watch), returned by the state with comments, submitted, approved by the
  district, and drafts — so the plan-health dashboards show different shares on track, at risk
  and off track, overdue actions and next steps.

Dates follow today (``timezone.localdate``): held sessions review past quarters only and
next steps fall due before or after today as their story needs, so the demo works on any date.
The writes happen today, so a fresh demo shows 0 days since each plan's last update.

Idempotent: a school that already has a plan (the demo's, or anyone's) is left alone, so a second
run creates nothing; ``plans_demo_counts`` counts the demo plans (titles starting with
``DEMO_TITLE_PREFIX``) and what hangs from them. Coaching comments notify in the app; no email is
sent for them (the demo's addresses are at example.org). ``plans_demo_delete`` removes the plans
of a state (sessions first: benchmark statuses protect their benchmarks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.test.utils import override_settings
from django.utils import timezone

from turnaround.accountability.models import AccountabilityDetermination
from turnaround.accounts.models import Membership, Role, User
from turnaround.assessments.models import Assessment, Priority
from turnaround.assessments.priorities import priorities_agree, priorities_propose
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.monitoring.models import BenchmarkStatus, Comment, NextStep, StrategySession
from turnaround.monitoring.selectors import quarter_dates
from turnaround.monitoring.services import (
    benchmark_status_record,
    comment_add,
    next_step_add,
    next_step_close,
    session_hold,
    session_open,
    session_schedule,
    session_update_notes,
)
from turnaround.organizations.models import School, State
from turnaround.performance.models import SchoolYearProfile
from turnaround.plans.diff import school_year
from turnaround.plans.models import (
    METRIC_RANGES,
    Action,
    ActionStatus,
    Benchmark,
    BenchmarkKind,
    Goal,
    Metric,
    NeedStatement,
    Objective,
    Plan,
    PlanStatus,
)
from turnaround.plans.services import (
    action_create,
    action_update,
    benchmark_create,
    current_spring_year,
    goal_delete,
    goal_update,
    need_create,
    needs_from_assessment,
    open_designation,
    plan_create,
    plan_update,
    root_cause_create,
    strategy_create,
)
from turnaround.plans.services.workflow import (
    plan_district_approve,
    plan_return,
    plan_state_approve,
    plan_submit,
)
from turnaround.plans.templates_seed import MA_TURNAROUND

__all__ = [
    "DEMO_TITLE_PREFIX",
    "OTHER_STORIES",
    "plans_demo_counts",
    "plans_demo_create",
    "plans_demo_delete",
]

DEMO_TITLE_PREFIX = "Demo: "
#: how many other schools of the demo district get a plan at most, and at least (topped up with
#: schools without a designation when a small demo has too few designated ones)
MAX_OTHER_SCHOOLS = 8
MIN_OTHER_SCHOOLS = 6
#: the school year whose official levels rank the district's schools (the real 2017 profiles)
LEVEL_YEAR = 2017

S = PlanStatus
B = BenchmarkStatus.Status
A = ActionStatus
DONE, IN_PROGRESS, BLOCKED, DROPPED = A.DONE, A.IN_PROGRESS, A.BLOCKED, A.DROPPED
NOT_STARTED = A.NOT_STARTED
ON, RISK, OFF, MET = B.ON_TRACK, B.AT_RISK, B.OFF_TRACK, B.MET


# ---------------------------------------------------------------------------------------------
# Dates


def _on(first_year: int, offset: int, month: int, day: int) -> dt.date:
    """The day ``month``/``day`` of plan year ``offset`` (0 = the first plan year)."""
    spring = first_year + offset
    return dt.date(spring - 1 if month >= 7 else spring, month, day)


def _quarter_of(day: dt.date) -> tuple[int, int]:
    """(spring year, quarter 1–4) of the school-year quarter ``day`` falls in."""
    return current_spring_year(day), (day.month - 7) % 12 // 3 + 1


def _quarter_before(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() > 3:  # sessions are held Monday to Thursday
        day -= dt.timedelta(days=1)
    return day


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() > 3:
        day += dt.timedelta(days=1)
    return day


def _held_on(year: int, quarter: int) -> dt.date:
    """A past quarter's session: in the last weeks of the quarter."""
    return _weekday_on_or_before(quarter_dates(year, quarter)[1] - dt.timedelta(days=12))


# ---------------------------------------------------------------------------------------------
# What the plans say


@dataclass(frozen=True)
class _Action:
    title: str
    owner: str
    starts: tuple[int, int, int]  # (plan year offset, month, day)
    due: tuple[int, int, int]
    status: str = NOT_STARTED
    cost: int | None = None
    funding: str = ""
    #: "school" or "district": the demo login who owns it (else only a role)
    owner_user: str = ""


@dataclass(frozen=True)
class _Strategy:
    practice: str  # the template objective (its practice code) the strategy serves
    title: str
    rationale: str
    actions: tuple[_Action, ...]


@dataclass(frozen=True)
class _Benchmark:
    key: str
    kind: str
    practice: str
    measure: str
    data_source: str
    baseline: float
    target: float
    due: tuple[int, int]  # (plan year offset, quarter)
    unit: str = "percent"
    frequency: str = "quarterly"


LEADER_SUMMARY = (
    "Our plan rests on four practices: a leadership team that shares responsibility for every "
    "student, feedback to teachers within 48 hours of every observation, a tiered system of "
    "support that regroups students every six weeks, and a school culture in which students come "
    "to school because they want to. In year one we built the routines; in year two we are making "
    "them consistent in every classroom. (Demo plan: fictional content written for the demo "
    "state.)"
)

LEADER_STRATEGIES: tuple[_Strategy, ...] = (
    _Strategy(
        "TP1",
        "A leadership team with a weekly improvement cycle",
        "Site visit: decisions rest with the principal; teams have no protected time.",
        (
            _Action(
                "Set up the instructional leadership team and its weekly meeting cycle",
                "Principal",
                (0, 7, 15),
                (0, 9, 30),
                DONE,
                0,
                "",
                "school",
            ),
            _Action(
                "Protect 90 minutes a week of common planning time for each grade team",
                "Principal",
                (0, 7, 15),
                (0, 9, 1),
                DONE,
                48000,
                "district",
                "school",
            ),
        ),
    ),
    _Strategy(
        "TP2",
        "Observation and feedback cycles",
        "Feedback to teachers is rare and uneven; teachers ask for more of it.",
        (
            _Action(
                "Train leaders and coaches on the observation and feedback protocol",
                "Instructional coach",
                (0, 8, 15),
                (0, 10, 15),
                DONE,
                12000,
                "title_ii",
            ),
            _Action(
                "Weekly walkthroughs with written feedback within 48 hours",
                "Assistant principal",
                (0, 10, 1),
                (2, 6, 15),
                IN_PROGRESS,
                0,
                "",
            ),
        ),
    ),
    _Strategy(
        "TP2",
        "Common assessments in mathematics",
        "Teams cannot tell which students missed which standard until the state test.",
        (
            _Action(
                "Build a bank of common unit assessments in mathematics, grades 3–5",
                "Mathematics coach",
                (0, 9, 1),
                (0, 3, 31),
                IN_PROGRESS,
                15000,
                "title_i",
            ),
        ),
    ),
    _Strategy(
        "TP3",
        "Tiered support with six-week regrouping",
        "Intervention groups are set in September and rarely change.",
        (
            _Action(
                "Buy a universal reading screener and train every teacher to give it",
                "Intervention coordinator",
                (0, 7, 15),
                (0, 9, 15),
                DONE,
                22000,
                "title_i_1003",
            ),
            _Action(
                "Regroup students in the intervention block every six weeks",
                "Intervention coordinator",
                (0, 10, 1),
                (0, 6, 15),
                BLOCKED,
                0,
                "",
            ),
            _Action(
                "Hire a second mathematics interventionist",
                "District turnaround office",
                (1, 7, 1),
                (1, 12, 15),
                IN_PROGRESS,
                95000,
                "state_grant",
                "district",
            ),
            _Action(
                "After-school tutoring three days a week for students in tier 2",
                "Extended-day coordinator",
                (1, 10, 1),
                (2, 6, 15),
                IN_PROGRESS,
                85000,
                "state_grant",
            ),
        ),
    ),
    _Strategy(
        "TP4",
        "Clear expectations and families as partners",
        "Chronic absence is above 30%; families rarely come to school events.",
        (
            _Action(
                "Teach and reinforce three school-wide expectations",
                "Assistant principal",
                (0, 8, 20),
                (0, 10, 31),
                DONE,
                5000,
                "title_iv",
            ),
            _Action(
                "A family learning night every quarter",
                "Family liaison",
                (0, 10, 1),
                (2, 5, 31),
                IN_PROGRESS,
                6000,
                "title_i",
            ),
            _Action(
                "Home visits to the families of chronically absent students",
                "Family liaison",
                (0, 11, 1),
                (0, 2, 28),
                NOT_STARTED,
                9000,
                "philanthropy",
            ),
            _Action(
                "Restorative practices course for all staff (school-run)",
                "Assistant principal",
                (0, 1, 15),
                (0, 3, 15),
                DROPPED,
                7500,
                "title_iv",
            ),
        ),
    ),
)

LEADER_BENCHMARKS: tuple[_Benchmark, ...] = (
    _Benchmark(
        "feedback",
        BenchmarkKind.EDUCATOR,
        "TP2",
        "Teachers receiving written feedback within 48 hours of an observation (%)",
        "Walkthrough log",
        35,
        90,
        (1, 3),
    ),
    _Benchmark(
        "teams",
        BenchmarkKind.EDUCATOR,
        "TP1",
        "Grade teams meeting weekly with the data protocol (%)",
        "Team meeting agendas and minutes",
        40,
        100,
        (0, 4),
    ),
    _Benchmark(
        "regrouping",
        BenchmarkKind.EDUCATOR,
        "TP3",
        "Intervention groups regrouped after each six-week cycle (%)",
        "Intervention tracker",
        20,
        90,
        (1, 4),
    ),
    _Benchmark(
        "family-nights",
        BenchmarkKind.EDUCATOR,
        "TP4",
        "Families attending a family learning night (cumulative count)",
        "Sign-in sheets",
        40,
        200,
        (2, 2),
        unit="count",
    ),
    _Benchmark(
        "screener",
        BenchmarkKind.STUDENT,
        "TP3",
        "Students at or above benchmark on the reading screener (%)",
        "Universal reading screener (fall, winter, spring windows)",
        28,
        45,
        (1, 3),
        frequency="three times a year",
    ),
    _Benchmark(
        "math-interim",
        BenchmarkKind.STUDENT,
        "TP2",
        "Students meeting the benchmark on the mathematics interim assessment (%)",
        "District interim assessment, grades 3–5",
        22,
        40,
        (1, 4),
    ),
    _Benchmark(
        "attendance",
        BenchmarkKind.STUDENT,
        "TP4",
        "Average daily attendance (%)",
        "Student information system",
        91.5,
        94,
        (1, 4),
        frequency="monthly",
    ),
    _Benchmark(
        "suspensions",
        BenchmarkKind.STUDENT,
        "TP4",
        "Students with one or more out-of-school suspensions this year (count)",
        "Student information system (discipline)",
        48,
        25,
        (2, 4),
        unit="count",
    ),
)

#: per held session (oldest first): benchmark key → (status, value, evidence)
LEADER_STATUSES: tuple[dict[str, tuple[str, float, str]], ...] = (
    {
        "feedback": (RISK, 52, "Walkthrough log: 52% of observations had feedback in 48 hours."),
        "teams": (ON, 80, "Agendas: 8 of 10 team meetings used the data protocol."),
        "regrouping": (OFF, 25, "Only the grade 3 groups were regrouped after the first cycle."),
        "family-nights": (ON, 60, "Two learning nights, 60 families signed in."),
        "screener": (RISK, 30, "Fall window: 30% at or above benchmark."),
        "math-interim": (OFF, 21, "First interim: 21% met the benchmark, below the baseline."),
        "attendance": (ON, 93.0, "Average daily attendance for the quarter: 93.0%."),
        "suspensions": (OFF, 19, "19 students suspended so far; most in grade 5."),
    },
    {
        "feedback": (ON, 68, "Walkthrough log: 68% within 48 hours; coaches now co-observe."),
        "teams": (MET, 100, "Every grade team met weekly with the protocol this quarter."),
        "regrouping": (RISK, 45, "Grades 3 and 4 regroup on schedule; grade 5 does not yet."),
        "family-nights": (OFF, 70, "One learning night cancelled (snow); 70 families so far."),
        "screener": (RISK, 33, "Winter window: 33% at or above benchmark."),
        "math-interim": (OFF, 23, "Second interim: 23%; fractions remain the weakest strand."),
        "attendance": (ON, 93.4, "Average daily attendance for the quarter: 93.4%."),
        "suspensions": (ON, 15, "Four new suspensions this quarter, down from eleven."),
    },
    {
        "feedback": (ON, 76, "Walkthrough log: 76% within 48 hours."),
        "teams": (MET, 100, "Weekly data meetings held in every grade."),
        "regrouping": (RISK, 55, "Grade 5 started regrouping; two cycles missed in grade 4."),
        "family-nights": (ON, 110, "Spring learning night: 40 families; 110 so far."),
        "screener": (ON, 38, "Spring window: 38% at or above benchmark."),
        "math-interim": (RISK, 27, "Third interim: 27%; the second intervention block helps."),
        "attendance": (MET, 94.2, "Average daily attendance for the quarter: 94.2%."),
        "suspensions": (OFF, 23, "Eight suspensions after a spring incident; 23 this year."),
    },
)

LEADER_NOTES: tuple[tuple[str, str], ...] = (
    (
        "The team reviewed the first quarter. Feedback cycles have started but coverage is uneven "
        "across grades. Intervention groups were set in September and not revisited. The "
        "mathematics interim results are below the baseline; fractions are the weakest strand.",
        "Coaches join leaders on walkthroughs from next month. The intervention coordinator "
        "drafts a regrouping calendar. The principal asks the district about a second "
        "mathematics interventionist.",
    ),
    (
        "Grade teams now meet weekly with the protocol. Regrouping works in grades 3 and 4. "
        "Mathematics remains off track; teachers ask for common unit assessments to see which "
        "standards students missed. Suspensions fell this quarter.",
        "Keep the grade 5 team on the regrouping calendar with the coordinator's support. Run a "
        "mathematics data review with grades 3–5 before the next interim. The second "
        "interventionist remains a request to the district.",
    ),
    (
        "Most educator benchmarks are on track or met. Reading moved to on track after the "
        "spring window. Mathematics improved but is still at risk. Suspensions rose after a "
        "spring incident in grade 5.",
        "Pilot restorative conferences in grade 4 and 5. Review the suspension data by student "
        "group at the next leadership meeting. Carry forward the interventionist request and "
        "the family attendance outreach plan.",
    ),
)


@dataclass(frozen=True)
class _Story:
    """What happens to one other school's plan."""

    status: str
    #: per held session (oldest first): the statuses of the four benchmarks (OTHER_BENCHMARKS)
    sessions: tuple[tuple[str, str, str, str], ...] = ()
    #: action statuses in the order of OTHER_STRATEGIES' actions (state-approved plans)
    actions: tuple[str, ...] = ()
    return_comment: str = ""
    coaching: tuple[str, str] | None = None
    #: each session raises a next step; closed in the next session or left open (overdue)
    steps_overdue: bool = False
    notes: str = ""


OTHER_STORIES: tuple[_Story, ...] = (
    _Story(
        S.STATE_APPROVED,
        sessions=((ON, ON, RISK, ON), (ON, MET, ON, ON)),
        actions=(DONE, IN_PROGRESS, DONE, DONE),
        notes="Walkthroughs show the look-fors in most classrooms; screener results rising.",
    ),
    _Story(
        S.STATE_APPROVED,
        sessions=((OFF, RISK, OFF, ON),),
        actions=(DONE, IN_PROGRESS, BLOCKED, NOT_STARTED),
        coaching=(
            "Half the benchmarks are off track after the first session, and two first-year "
            "actions are overdue. Can we meet before the next session to look at the "
            "walkthrough data together?",
            "Yes. The data specialist left in the autumn; the district is covering the "
            "assessments until the post is filled. We will bring the walkthrough data by grade.",
        ),
        steps_overdue=True,
        notes="The data specialist post is vacant; common assessments have not started.",
    ),
    _Story(
        S.RETURNED,
        return_comment="The benchmarks are all annual: add at least one quarterly early-evidence "
        "measure for each objective, and explain how the chronic absence target for the third "
        "year will be reached.",
    ),
    _Story(S.SUBMITTED),
    _Story(S.DISTRICT_APPROVED),
    _Story(S.DRAFT),
    _Story(
        S.STATE_APPROVED,
        sessions=((ON, RISK, RISK, ON),),
        actions=(DONE, IN_PROGRESS, DONE, IN_PROGRESS),
        notes="Teams meet, but not yet every two weeks; screener results flat since the fall.",
    ),
    _Story(S.DRAFT),
)

OTHER_STRATEGIES: tuple[_Strategy, ...] = (
    _Strategy(
        "TP2",
        "Common assessments and data meetings",
        "Teachers see results only once a year, on the state test.",
        (
            _Action(
                "Adopt common unit assessments in ELA and mathematics",
                "Data specialist",
                (0, 8, 15),
                (0, 10, 31),
                cost=18000,
                funding="title_i",
            ),
            _Action(
                "A data meeting every two weeks for each grade team",
                "Assistant principal",
                (0, 9, 15),
                (2, 6, 15),
            ),
        ),
    ),
    _Strategy(
        "TP3",
        "A daily intervention block",
        "Students who fall behind have no time in the day to catch up.",
        (
            _Action(
                "Build a daily 40-minute intervention block into the master schedule",
                "Principal",
                (0, 7, 15),
                (0, 9, 30),
                cost=0,
            ),
            _Action(
                "Train interventionists on the reading screener and tier 2 lessons",
                "Intervention coordinator",
                (0, 10, 1),
                (0, 3, 31),
                cost=14000,
                funding="title_i_1003",
            ),
        ),
    ),
)

OTHER_BENCHMARKS: tuple[_Benchmark, ...] = (
    _Benchmark(
        "look-fors",
        BenchmarkKind.EDUCATOR,
        "TP2",
        "Classrooms observed using the agreed instructional look-fors (%)",
        "Walkthrough log",
        30,
        80,
        (1, 2),
    ),
    _Benchmark(
        "data-meetings",
        BenchmarkKind.EDUCATOR,
        "TP2",
        "Grade teams holding a data meeting every two weeks (%)",
        "Team meeting agendas",
        25,
        100,
        (0, 4),
    ),
    _Benchmark(
        "screener",
        BenchmarkKind.STUDENT,
        "TP3",
        "Students at or above benchmark on the reading screener (%)",
        "Universal reading screener",
        30,
        45,
        (1, 3),
        frequency="three times a year",
    ),
    _Benchmark(
        "absence",
        BenchmarkKind.STUDENT,
        "TP4",
        "Students absent 10% or more of school days so far this year (%)",
        "Student information system",
        28,
        20,
        (1, 4),
        frequency="monthly",
    ),
)

#: where a status puts a benchmark's value between its baseline (0) and target (1)
PROGRESS = {ON: 0.6, RISK: 0.35, OFF: 0.1, MET: 1.0}
#: each goal's yearly change (a lower-is-better metric falls), and a start where no baseline
GOAL_STEPS = {
    Metric.PROFICIENCY: (4.0, 25.0),
    Metric.GROWTH: (3.0, 40.0),
    Metric.CHRONIC_ABSENCE: (-3.0, 30.0),
}


# ---------------------------------------------------------------------------------------------
# Counting


def _demo_plans(state: State) -> QuerySet[Plan]:
    return Plan.objects.filter(
        Q(school__district__state=state) | Q(district__state=state),
        title__startswith=DEMO_TITLE_PREFIX,
    )


def plans_demo_counts(*, state: State) -> dict[str, int]:
    """What the demo plans of ``state`` hold now (the same after a second run)."""
    plans = _demo_plans(state)
    sessions = StrategySession.objects.filter(plan__in=plans)
    return {
        "plans": plans.count(),
        "state-approved plans": plans.filter(status=S.STATE_APPROVED).count(),
        "plans awaiting approval": plans.filter(
            status__in=(S.SUBMITTED, S.DISTRICT_APPROVED)
        ).count(),
        "returned plans": plans.filter(status=S.RETURNED).count(),
        "draft plans": plans.filter(status=S.DRAFT).count(),
        "goals": Goal.objects.filter(plan__in=plans).count(),
        "actions": Action.objects.filter(strategy__objective__plan__in=plans).count(),
        "benchmarks": Benchmark.objects.filter(plan__in=plans).count(),
        "strategy sessions": sessions.count(),
        "held sessions": sessions.filter(status=StrategySession.Status.HELD).count(),
        "benchmark statuses": BenchmarkStatus.objects.filter(session__in=sessions).count(),
        "next steps": NextStep.objects.filter(plan__in=plans).count(),
        "comments": Comment.objects.filter(plan__in=plans).count(),
    }


# ---------------------------------------------------------------------------------------------
# Who and where


def _user(users: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if users.get(key) is not None:
            return users[key]
    return None


def _leader_school(state: State, school_leader: User | None) -> School | None:
    if school_leader is not None:
        m = (
            Membership.objects.filter(
                user=school_leader, role=Role.SCHOOL_LEADER, school__district__state=state
            )
            .select_related("school__district")
            .first()
        )
        if m is not None:
            return m.school
    from turnaround.demo.services import demo_district, demo_leader_school

    district = demo_district(state)
    return demo_leader_school(district) if district is not None else None


def _other_schools(leader: School) -> list[tuple[School, bool]]:
    """The district's other schools that get a plan, with whether each is designated: those with
    an open designation by code, then (when fewer than ``MIN_OTHER_SCHOOLS``) the lowest-rated of
    the rest."""
    schools = list(
        School.objects.filter(district_id=leader.district_id).exclude(pk=leader.pk).order_by("code")
    )
    designated = [s for s in schools if open_designation(s) is not None]
    chosen = [(s, True) for s in designated[:MAX_OTHER_SCHOOLS]]
    if len(chosen) < MIN_OTHER_SCHOOLS:
        levels = dict(
            AccountabilityDetermination.objects.filter(
                school__in=schools, year=LEVEL_YEAR, is_official=True
            ).values_list("school_id", "level")
        )
        rest = sorted(
            (s for s in schools if s not in designated),
            key=lambda s: (-(levels.get(s.pk) or 0), s.code),
        )
        chosen += [(s, False) for s in rest[: MIN_OTHER_SCHOOLS - len(chosen)]]
    return chosen


# ---------------------------------------------------------------------------------------------
# Building one plan


@dataclass
class _Built:
    plan: Plan
    objectives: dict[str, Objective]  # practice code → the template's objective
    benchmarks: dict[str, Benchmark] = field(default_factory=dict)
    actions: list[tuple[Action, str]] = field(default_factory=list)  # (action, final status)


def _title(designated: bool, first: int, last: int) -> str:
    kind = "Turnaround plan" if designated else "School improvement plan"
    return f"{DEMO_TITLE_PREFIX}{kind} {school_year(first)} to {school_year(last)}"


def _start(
    *, author: User, school: School, first: int, designated: bool, summary: str
) -> tuple[Plan, dict[str, Objective]]:
    plan = plan_create(
        actor=author,
        school=school,
        title=_title(designated, first, first + 2),
        first_year=first,
        last_year=first + 2,
        template=MA_TURNAROUND.key,
    )
    plan = plan_update(
        actor=author, plan=plan, expected_version=plan.version, changes={"summary": summary}
    )
    objectives = list(Objective.objects.filter(plan=plan).order_by("order", "pk"))
    codes = [spec.practice for spec in MA_TURNAROUND.objectives]
    return plan, dict(zip(codes, objectives, strict=True))


def _set_targets(*, author: User, plan: Plan, drop: tuple[tuple[str, str], ...] = ()) -> None:
    """Targets for every plan year from each goal's baseline; ``drop`` names (metric, subject)
    goals the team left out."""
    for goal in Goal.objects.filter(plan=plan).order_by("order", "pk"):
        if (goal.metric, goal.subject) in drop:
            goal_delete(actor=author, goal=goal, expected_version=goal.version)
            continue
        step, start = GOAL_STEPS.get(goal.metric, (2.0, 50.0))
        base = goal.baseline_value if goal.baseline_value is not None else start
        low, high = METRIC_RANGES[goal.metric]
        targets = {}
        for i, year in enumerate(plan.years, start=1):
            value = base + step * i
            value = max(value, low if low is not None else value)
            value = min(value, high if high is not None else value)
            targets[year] = round(value, 1)
        goal_update(
            actor=author, goal=goal, expected_version=goal.version, changes={"targets": targets}
        )


def _strategies(
    *,
    author: User,
    built: _Built,
    specs: tuple[_Strategy, ...],
    owners: dict[str, User | None],
) -> None:
    first = built.plan.first_year
    for spec in specs:
        strategy = strategy_create(
            actor=author,
            objective=built.objectives[spec.practice],
            title=spec.title,
            rationale=spec.rationale,
        )
        for a in spec.actions:
            action = action_create(
                actor=author,
                strategy=strategy,
                title=a.title,
                owner=a.owner,
                owner_user=owners.get(a.owner_user) if a.owner_user else None,
                starts_on=_on(first, *a.starts),
                due_on=_on(first, *a.due),
                cost=a.cost,
                funding_source=a.funding,
            )
            built.actions.append((action, a.status))


def _benchmarks(*, author: User, built: _Built, specs: tuple[_Benchmark, ...]) -> None:
    first = built.plan.first_year
    for spec in specs:
        built.benchmarks[spec.key] = benchmark_create(
            actor=author,
            plan=built.plan,
            kind=spec.kind,
            measure=spec.measure,
            data_source=spec.data_source,
            unit=spec.unit,
            baseline=spec.baseline,
            target=spec.target,
            due_year=first + spec.due[0],
            due_quarter=spec.due[1],
            frequency=spec.frequency,
            objective=built.objectives[spec.practice],
        )


def _approve(
    *, plan: Plan, author: User, district: User, staff: User, status: str, comment: str = ""
) -> Plan:
    """Move a draft to ``status`` the way its people would."""
    if status == S.DRAFT:
        return plan
    plan = plan_submit(actor=author, plan=plan, comment="Ready for the district's review.")
    if status == S.SUBMITTED:
        return plan
    plan = plan_district_approve(
        actor=district, plan=plan, comment="Approved for the district; resources confirmed."
    )
    if status == S.DISTRICT_APPROVED:
        return plan
    if status == S.RETURNED:
        return plan_return(actor=staff, plan=plan, comment=comment)
    return plan_state_approve(
        actor=staff,
        plan=plan,
        comment="Approved. Quarterly sessions review the benchmarks with the state's "
        "turnaround staff.",
    )


def _record_progress(*, author: User, built: _Built) -> None:
    """After approval: the actions' statuses as the school reports them (done on the due date)."""
    for action, status in built.actions:
        if status == NOT_STARTED:
            continue
        changes: dict[str, Any] = {"status": status}
        if status == DONE:
            changes["completed_on"] = min(action.due_on, timezone.localdate())
        action_update(actor=author, action=action, expected_version=action.version, changes=changes)


def _value(spec: _Benchmark, status: str) -> float:
    value = spec.baseline + PROGRESS[status] * (spec.target - spec.baseline)
    return float(round(value)) if spec.unit == "count" else round(value, 1)


@dataclass(frozen=True)
class _Step:
    description: str
    owner: str
    due: dt.date
    owner_user: User | None = None
    objective: Objective | None = None
    key: str = ""


def _session(
    *,
    plan: Plan,
    year: int,
    quarter: int,
    lead: User,
    recorder: User,
    participants: list[User],
    others: str,
    statuses: list[tuple[Benchmark, str, float, str, str]],
    close: list[tuple[NextStep, str]],
    steps: list[_Step],
    notes: str,
    decisions: str,
) -> tuple[StrategySession, dict[str, NextStep]]:
    """Schedule, open, record and hold one past quarter's session."""
    session = session_schedule(
        actor=lead,
        plan=plan,
        year=year,
        quarter=quarter,
        held_on=_held_on(year, quarter),
        participants=participants,
        other_participants=others,
    )
    session = session_open(actor=lead, session=session)
    for benchmark, status, value, evidence, comment in statuses:
        benchmark_status_record(
            actor=recorder,
            session=session,
            benchmark=benchmark,
            status=status,
            value=value,
            evidence=evidence,
            comment=comment,
        )
    for step, note in close:
        next_step_close(actor=recorder, step=step, session=session, closing_note=note)
    raised: dict[str, NextStep] = {}
    for s in steps:
        raised[s.key or s.description] = next_step_add(
            actor=recorder,
            session=session,
            description=s.description,
            owner=s.owner,
            owner_user=s.owner_user,
            due_on=s.due,
            objective=s.objective,
        )
    session = session_update_notes(actor=lead, session=session, notes=notes, decisions=decisions)
    return session_hold(actor=lead, session=session), raised


def _upcoming_on(today: dt.date) -> dt.date:
    """The day of the current quarter's session: about two weeks ahead, and at the latest a
    month after the quarter ends (``check_held_on``)."""
    latest = quarter_dates(*_quarter_of(today))[1] + dt.timedelta(days=31)
    return min(_weekday_on_or_after(today + dt.timedelta(days=14)), latest)


def _past_quarters(today: dt.date, n: int) -> list[tuple[int, int]]:
    """The ``n`` quarters before today's, oldest first."""
    out = []
    here = _quarter_of(today)
    for _ in range(n):
        here = _quarter_before(*here)
        out.append(here)
    return out[::-1]


# ---------------------------------------------------------------------------------------------
# The demo school


def _site_visit(school: School) -> Assessment | None:
    return (
        Assessment.objects.filter(
            school=school,
            kind=Assessment.Kind.SITE_VISIT,
            status=Assessment.Status.FINALISED,
        )
        .order_by("-start_date", "-pk")
        .first()
    )


def _achievement_need(plan: Plan) -> str:
    """The achievement problem, with the numbers of the plan's proficiency baselines."""
    found = {
        g.subject: g
        for g in Goal.objects.filter(plan=plan, metric=Metric.PROFICIENCY, student_group="all")
        if g.baseline_value is not None
    }
    if not found:
        return "Fewer than half of the students meet or exceed expectations in ELA or mathematics."
    parts = [
        f"{g.baseline_value:g}% in {'ELA' if subject == 'ELA' else 'mathematics'}"
        for subject, g in sorted(found.items())
    ]
    year = max(g.baseline_year or 0 for g in found.values())
    return (
        f"Students meeting or exceeding expectations on the state assessment in {year}: "
        f"{' and '.join(parts)}. Too few students leave each grade ready for the next."
    )


def _attendance_need(school: School) -> str:
    profile = (
        SchoolYearProfile.objects.filter(school=school)
        .filter(Q(chronic_absence_rate__isnull=False) | Q(attendance_rate__isnull=False))
        .order_by("-year")
        .first()
    )
    if profile is not None and profile.chronic_absence_rate is not None:
        return (
            f"{float(profile.chronic_absence_rate):g}% of students were chronically absent in "
            f"{profile.year}."
        )
    if profile is not None and profile.attendance_rate is not None:
        return (
            f"Average daily attendance was {float(profile.attendance_rate):g}% in {profile.year}; "
            "too many students miss more than one day in ten."
        )
    return "Too many students miss more than one day in ten."


def _leader_needs(*, author: User, staff: User, plan: Plan, school: School) -> None:
    """Needs and objectives from the latest finalised site visit (its priorities proposed and
    agreed first if the visit has none), a need from the data, and their root causes."""
    visit = _site_visit(school)
    if visit is not None:
        if (
            not Priority.objects.filter(assessment=visit)
            .exclude(status=Priority.Status.PROPOSED)
            .exists()
        ):
            priorities_propose(assessment=visit, actor=staff, limit=3)
            priorities_agree(actor=staff, assessment=visit)
        taken = needs_from_assessment(actor=author, plan=plan, assessment=visit)
        for need in taken.needs:
            priority = Priority.objects.select_related("indicator").get(pk=need.priority_id)
            code = priority.indicator.code if priority.indicator is not None else ""
            root_cause_create(
                actor=author,
                need=need,
                cause="The practice is in place in some classrooms and teams but is not yet "
                "a school-wide routine; nobody owns checking that it happens.",
                evidence=f"{visit.title}: the consensus rating and its evidence"
                + (f" for {code}." if code else "."),
                indicators=[code] if code else [],
            )
    statement = _achievement_need(plan)
    need = need_create(
        actor=author,
        plan=plan,
        statement=statement,
        source=NeedStatement.Source.DATA,
        evidence="State assessment results, all students, all tested grades.",
    )
    root_cause_create(
        actor=author,
        need=need,
        cause="Teachers have no common, frequent evidence of what students learned, so "
        "re-teaching depends on the teacher.",
        evidence="Team agendas show no review of student work; no common assessments below "
        "grade 6.",
        indicators=["TP2.3"],
    )
    root_cause_create(
        actor=author,
        need=need,
        cause="Students who fall behind are not identified until the state test.",
        evidence="No universal screener; intervention lists are built from teacher referrals.",
        indicators=["TP3.1"],
    )
    attendance = need_create(
        actor=author,
        plan=plan,
        statement=_attendance_need(school),
        source=NeedStatement.Source.DATA,
        evidence="Student information system, attendance by student.",
    )
    root_cause_create(
        actor=author,
        need=attendance,
        cause="Families hear from the school mostly when something goes wrong.",
        evidence="Family survey: 38% say the school contacts them about good news.",
        indicators=["TP4.5"],
    )


def _leader_plan(
    *,
    school: School,
    author: User,
    district: User,
    staff: User,
    today: dt.date,
) -> _Built:
    first = current_spring_year(today) - 1
    designated = open_designation(school) is not None
    plan, objectives = _start(
        author=author, school=school, first=first, designated=designated, summary=LEADER_SUMMARY
    )
    built = _Built(plan=plan, objectives=objectives)
    _leader_needs(author=author, staff=staff, plan=plan, school=school)
    _set_targets(author=author, plan=plan, drop=((Metric.GROWTH, "ELA"),))
    owners = {"school": author, "district": district}
    _strategies(author=author, built=built, specs=LEADER_STRATEGIES, owners=owners)
    for objective in Objective.objects.filter(plan=plan).exclude(
        pk__in=[o.pk for o in objectives.values()]
    ):  # the objectives taken from the site visit's priorities
        strategy = strategy_create(
            actor=author,
            objective=objective,
            title="Act on the site-visit priority",
            rationale="Agreed with the site-visit team in the prioritisation session.",
        )
        code = objective.title.split(":", 1)[0]
        action = action_create(
            actor=author,
            strategy=strategy,
            title=f"Agree what {code} looks like in classrooms and check it in walkthroughs",
            owner="Principal",
            owner_user=author if _leads_school(author, school) else None,
            starts_on=_on(first, 1, 7, 15),
            due_on=_on(first, 2, 6, 15),
        )
        built.actions.append((action, IN_PROGRESS))
    _benchmarks(author=author, built=built, specs=LEADER_BENCHMARKS)
    built.plan = _approve(
        plan=plan, author=author, district=district, staff=staff, status=S.STATE_APPROVED
    )
    _record_progress(author=author, built=built)
    return built


def _leads_school(user: User, school: School) -> bool:
    return Membership.objects.filter(user=user, role=Role.SCHOOL_LEADER, school=school).exists()


def _leader_sessions(
    *, built: _Built, author: User, district: User, staff: User, today: dt.date
) -> list[StrategySession]:
    plan = built.plan
    b = built.benchmarks
    tp = built.objectives
    people = list(dict.fromkeys([author, district, staff]))
    others = "Instructional coach\nIntervention coordinator\nFamily liaison"
    quarters = _past_quarters(today, 3)
    held: list[StrategySession] = []
    steps: dict[str, NextStep] = {}

    def statuses(i: int) -> list[tuple[Benchmark, str, float, str, str]]:
        out = []
        for key, (status, value, evidence) in LEADER_STATUSES[i].items():
            comment = "Discussed at length; see the decisions." if status == OFF else ""
            out.append((b[key], status, value, evidence, comment))
        return out

    h = [_held_on(*q) for q in quarters]
    plan_steps: tuple[list[_Step], ...] = (
        [
            _Step(
                "Share the feedback template with every grade team",
                "Principal",
                h[0] + dt.timedelta(days=21),
                owner_user=author,
                objective=tp["TP2"],
                key="template",
            ),
            _Step(
                "Draft a six-week regrouping calendar for the intervention block",
                "Intervention coordinator",
                h[0] + dt.timedelta(days=45),
                objective=tp["TP3"],
                key="calendar",
            ),
            _Step(
                "Ask the district for a second mathematics interventionist",
                "District turnaround office",
                h[0] + dt.timedelta(days=60),
                owner_user=district,
                objective=tp["TP3"],
                key="interventionist",
            ),
        ],
        [
            _Step(
                "Mathematics data review with the grade 3–5 teams before the next interim",
                "Mathematics coach",
                h[1] + dt.timedelta(days=30),
                objective=tp["TP2"],
                key="math-review",
            ),
            _Step(
                "Write a family attendance outreach plan",
                "Family liaison",
                h[1] + dt.timedelta(days=40),
                objective=tp["TP4"],
                key="outreach",
            ),
        ],
        [
            _Step(
                "Pilot restorative conferences in grades 4 and 5",
                "Assistant principal",
                max(h[2], today) + dt.timedelta(days=30),
                objective=tp["TP4"],
                key="restorative",
            ),
            _Step(
                "Review suspensions by student group at the leadership meeting",
                "Principal",
                max(h[2], today) + dt.timedelta(days=14),
                owner_user=author,
                objective=tp["TP4"],
                key="suspension-review",
            ),
        ],
    )
    closes: tuple[list[tuple[str, str]], ...] = (
        [],
        [("template", "The template is in use in every grade team.")],
        [
            ("calendar", "Calendar agreed; grades 3–5 regroup on it."),
            ("math-review", "Review held; fractions re-taught in grades 4 and 5."),
        ],
    )
    for i, (year, quarter) in enumerate(quarters):
        session, raised = _session(
            plan=plan,
            year=year,
            quarter=quarter,
            lead=staff,
            recorder=author,
            participants=people,
            others=others,
            statuses=statuses(i),
            close=[(steps[key], note) for key, note in closes[i]],
            steps=plan_steps[i],
            notes=LEADER_NOTES[i][0],
            decisions=LEADER_NOTES[i][1],
        )
        steps.update(raised)
        held.append(session)
    # the session of the current quarter, not held yet
    year, quarter = _quarter_of(today)
    session_schedule(
        actor=staff,
        plan=plan,
        year=year,
        quarter=quarter,
        held_on=_upcoming_on(today),
        participants=people,
        other_participants=others,
    )
    _leader_comments(built=built, author=author, district=district, staff=staff, held=held)
    return held


def _thread(plan: Plan, kind: str, target_id: int, turns: list[tuple[User, str]]) -> list[Comment]:
    """A comment and its replies, each answering the one before."""
    out: list[Comment] = []
    for author, body in turns:
        out.append(
            comment_add(
                actor=author,
                plan=plan,
                target_kind=kind,
                target_id=target_id,
                body=body,
                parent=out[-1] if out else None,
            )
        )
    return out


def _leader_comments(
    *, built: _Built, author: User, district: User, staff: User, held: list[StrategySession]
) -> None:
    plan = built.plan
    _thread(
        plan,
        "plan",
        plan.pk,
        [
            (
                staff,
                "A clear plan, and the goals follow from the site visit. For the next session, "
                "please bring the walkthrough data by grade band so we can see where feedback "
                "lands.",
            ),
            (author, "Will do: the coach is pulling it by grade band for the data binder."),
        ],
    )
    _thread(
        plan,
        "benchmark",
        built.benchmarks["math-interim"].pk,
        [
            (
                staff,
                "Off track two quarters running. What would it take to double the small-group "
                "time in mathematics for grades 3–5?",
            ),
            (
                author,
                "We are piloting a second intervention block in grade 4 and have asked the "
                "district for a second interventionist.",
            ),
            (staff, "Good. The request is a next step now; we will follow it each session."),
        ],
    )
    _thread(
        plan,
        "session",
        held[-1].pk,
        [
            (
                staff,
                "The minutes are complete. Please share the family attendance outreach plan "
                "before the next session; it is overdue.",
            ),
            (author, "The liaison is finishing it with the parent council this month."),
        ],
    )
    blocked = next((a for a, status in built.actions if status == BLOCKED), None)
    if blocked is not None:
        _thread(
            plan,
            "action",
            blocked.pk,
            [
                (
                    district,
                    "The district can fund substitute cover for the regrouping days; tell us "
                    "which dates you need.",
                ),
                (author, "Thank you: the last Friday of each cycle, from next month."),
            ],
        )


# ---------------------------------------------------------------------------------------------
# The other schools


def _other_needs(*, author: User, plan: Plan) -> None:
    statement = _achievement_need(plan)
    need = need_create(
        actor=author,
        plan=plan,
        statement=statement,
        source=NeedStatement.Source.DATA,
        evidence="State assessment results, all students, all tested grades.",
    )
    root_cause_create(
        actor=author,
        need=need,
        cause="Teachers see results once a year; there is no common, frequent evidence of "
        "learning to act on.",
        evidence="No common assessments; team meetings are about logistics.",
        indicators=["TP2.3"],
    )


def _other_plan(
    *,
    school: School,
    designated: bool,
    story: _Story,
    district: User,
    staff: User,
    today: dt.date,
) -> _Built:
    monitored = story.status == S.STATE_APPROVED
    # a plan in force is in its second year; the others start this school year
    first = current_spring_year(today) - (1 if monitored else 0)
    plan, objectives = _start(
        author=district,
        school=school,
        first=first,
        designated=designated,
        summary=f"The plan of {school.name}: common assessments and data meetings in every grade "
        "team, and a daily intervention block. (Demo plan: fictional content written for the "
        "demo state.)",
    )
    built = _Built(plan=plan, objectives=objectives)
    _other_needs(author=district, plan=plan)
    _set_targets(author=district, plan=plan)
    _strategies(author=district, built=built, specs=OTHER_STRATEGIES, owners={})
    _benchmarks(author=district, built=built, specs=OTHER_BENCHMARKS)
    built.plan = _approve(
        plan=plan,
        author=district,
        district=district,
        staff=staff,
        status=story.status,
        comment=story.return_comment,
    )
    if monitored:
        built.actions = [
            (action, status)
            for (action, _), status in zip(built.actions, story.actions, strict=True)
        ]
        _record_progress(author=district, built=built)
    return built


def _other_sessions(
    *, built: _Built, story: _Story, district: User, staff: User, today: dt.date
) -> None:
    plan = built.plan
    people = list(dict.fromkeys([district, staff]))
    quarters = _past_quarters(today, len(story.sessions))
    open_step: NextStep | None = None
    for i, ((year, quarter), row) in enumerate(zip(quarters, story.sessions, strict=True)):
        held_on = _held_on(year, quarter)
        last = i == len(story.sessions) - 1
        due = (
            held_on + dt.timedelta(days=21)
            if story.steps_overdue or not last
            else max(held_on, today) + dt.timedelta(days=30)
        )
        statuses = [
            (built.benchmarks[spec.key], status, _value(spec, status), spec.data_source, "")
            for spec, status in zip(OTHER_BENCHMARKS, row, strict=True)
        ]
        close = [(open_step, "Done before this session.")] if open_step is not None else []
        _, raised = _session(
            plan=plan,
            year=year,
            quarter=quarter,
            lead=staff,
            recorder=district,
            participants=people,
            others="Principal\nData specialist",
            statuses=statuses,
            close=close,
            steps=[
                _Step(
                    "Share the instructional look-fors with every teacher"
                    if i == 0
                    else "Walkthroughs with the principal in every grade before the next session",
                    "Principal",
                    due,
                    objective=built.objectives["TP2"],
                    key="step",
                )
            ],
            notes=story.notes,
            decisions="Keep the data meetings every two weeks; review the screener results "
            "at the next session.",
        )
        open_step = raised["step"]
    if story.coaching is not None:
        question, answer = story.coaching
        _thread(plan, "plan", plan.pk, [(staff, question), (district, answer)])


# ---------------------------------------------------------------------------------------------
# Entry points


def plans_demo_create(*, state: State, users: dict[str, Any]) -> dict[str, int]:
    """Create the demo plans and quarterly sessions of ``state`` (see the module docstring);
    idempotent.

    ``users`` maps roles to users — ``state_staff`` (else ``state_admin``) approves for the state,
    leads sessions and coaches; ``district_leader`` writes the other schools' plans and approves
    for the district; ``school_leader`` writes the demo school's plan (else the district leader
    does). Demo usernames such as ``state.staff`` work too. Returns the counts of what the demo
    plans hold afterwards.

    Raises
    ------
    ValueError
        Without a state staff (or administrator) user or a district leader.
    """
    users = {k: v for k, v in users.items() if v is not None}
    staff = _user(users, "state_staff", "state.staff", "state_admin", "state.admin")
    district = _user(users, "district_leader", "district.leader")
    school_leader = _user(users, "school_leader", "school.leader")
    if staff is None or district is None:
        raise ValueError(
            "The demo plans need a state staff (or administrator) user and a district leader."
        )
    leader_school = _leader_school(state, school_leader)
    if leader_school is None:
        return plans_demo_counts(state=state)
    today = timezone.localdate()
    has_plan = set(
        Plan.objects.filter(school__district=leader_school.district_id).values_list(
            "school_id", flat=True
        )
    )
    before = plans_demo_counts(state=state)
    # comments notify in the app; the demo's addresses are at example.org, so no email goes out
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        if leader_school.pk not in has_plan:
            author = (
                school_leader
                if school_leader is not None and _leads_school(school_leader, leader_school)
                else district
            )
            built = _leader_plan(
                school=leader_school, author=author, district=district, staff=staff, today=today
            )
            _leader_sessions(
                built=built, author=author, district=district, staff=staff, today=today
            )
        for (school, designated), story in zip(
            _other_schools(leader_school), OTHER_STORIES, strict=False
        ):
            if school.pk in has_plan:
                continue
            built = _other_plan(
                school=school,
                designated=designated,
                story=story,
                district=district,
                staff=staff,
                today=today,
            )
            if story.sessions:
                _other_sessions(
                    built=built, story=story, district=district, staff=staff, today=today
                )
        counts = plans_demo_counts(state=state)
        if counts != before:
            audit_record(
                actor=None,
                action=AuditEvent.Action.LOAD,
                obj=state,
                object_repr="Demo plans and quarterly sessions",
                state_id=state.pk,
                changes={"counts": counts},
            )
    return counts


def plans_demo_delete(*, state: State) -> int:
    """Delete every plan of ``state`` (schools are protected while plans exist): sessions first,
    since benchmark statuses protect their benchmarks. Returns how many plans went."""
    plans = Plan.objects.filter(Q(school__district__state=state) | Q(district__state=state))
    ids = list(plans.values_list("pk", flat=True))
    with transaction.atomic():
        StrategySession.objects.filter(plan_id__in=ids).delete()
        Plan.objects.filter(pk__in=ids).delete()
    return len(ids)
