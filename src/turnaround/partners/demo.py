"""Demo partners for the demo state: a registry, two vetting cycles, designations, engagements.

``partners_demo_create(state=…, users=…)`` writes, in one transaction and directly with the ORM
(one audit event for the run), everything the partner pages need to show something real:

- **Registry.** Eight fictional partners (names such as "Northfield Instructional Partners",
  e-mail addresses at example.org) with services across the nine need areas, contacts and
  evidence claims of every ESSA tier citing fictional studies ("Fictional demo study, 2015");
  the core demo's "Demo Turnaround Partners" (``demo.services.PARTNER_NAME``, whose staff user is
  ``partner.staff``) gets services, contacts and evidence too.
- **A decided vetting cycle** that opened two years ago: five weighted criteria on a 1–4 scale,
  applications from six partners, three reviewers each (every reviewer declared no conflict,
  except one declared conflict, who did not score), submitted scores, five approvals for some of
  the areas applied for and one decline, and a Priority Partner designation per approved area,
  in force today. One of them renews an older designation; two designations from the earlier
  list (no decision on the platform) expire within 90 days.
- **An open cycle** with one draft application by "Demo Turnaround Partners".
- **Historical engagements** for impact estimation: four partners serve 10–20 low-performing
  schools each (Level 3 or 4 in the accountability determinations, preferably those of
  2012–2014), starting in the 2013–14 or 2014–15 school year and ending by June 2017, so the
  2011–2017 results give pre- and post-engagement years; every other school stays a comparison.
  At most half of the low-performing schools are engaged.
- **Current engagements** of "Demo Turnaround Partners" at schools of the demo district, made
  under its designation.

Every row is found again by a natural key before it is created, so a second run creates nothing
and returns the same counts. ``partners_demo_delete(state=…)`` removes it all again: the state's
vetting cycles and designations (which protect the state and the partners; an engagement made
under one of them is unlinked first), the engagements and impact estimates of the demo partners
in the state, the registry rows added to "Demo Turnaround
Partners", and the fictional partners themselves when nothing elsewhere refers to them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from turnaround.accountability.models import AccountabilityDetermination
from turnaround.audit.models import AuditEvent
from turnaround.audit.services import audit_record
from turnaround.organizations.models import PartnerOrganization, State
from turnaround.partners.models import (
    Application,
    CostModel,
    Criterion,
    Decision,
    Engagement,
    EvidenceClaim,
    FundingSource,
    ImpactEstimate,
    PartnerContact,
    PriorityDesignation,
    ReviewAssignment,
    Score,
    ServiceOffering,
    VettingCycle,
)
from turnaround.partners.needs import GradeBand, NeedArea

__all__ = [
    "DEMO_CYCLE_NAMES",
    "DEMO_PARTNER_NAMES",
    "partners_demo_counts",
    "partners_demo_create",
    "partners_demo_delete",
]

A = NeedArea
E, M, H = GradeBand.ELEMENTARY, GradeBand.MIDDLE, GradeBand.HIGH
Design = EvidenceClaim.Design

DEMO_PARTNER = "Demo Turnaround Partners"  # == turnaround.demo.services.PARTNER_NAME
DECIDED_CYCLE = "Priority Partner vetting, round 1"
OPEN_CYCLE = "Priority Partner vetting, round 2"
DEMO_CYCLE_NAMES = (DECIDED_CYCLE, OPEN_CYCLE)
#: agreement references of the engagements made here start with this
REFERENCE_PREFIX = "DEMO-PP-"
DEMO_NOTE = "Fictional partner for the demo state; every name, figure and study is invented."

CRITERIA = (
    ("Track record of measured results", 30, "Results measured in schools like ours, by whom."),
    ("Evidence of effectiveness", 25, "ESSA tier of the studies behind the approach."),
    ("Capacity", 15, "Staff, coaches and management to serve more schools well."),
    ("Alignment with the Turnaround Practices", 20, "How the work builds the four practices."),
    ("Cost-effectiveness", 10, "Cost per school or pupil against the results expected."),
)
#: added to a partner's quality for (criterion + 2 × reviewer) mod 5: scores vary, means hold
_OFFSETS = (0.4, -0.4, 0.0, 0.3, -0.3)


@dataclass(frozen=True)
class _Claim:
    area: str
    claim: str
    outcome: str
    design: str
    tier: int
    year: int
    confirmed: int | None = None


@dataclass(frozen=True)
class _Partner:
    name: str
    description: str
    cost_model: str
    cost_notes: str
    bands: tuple[str, ...]
    regions: tuple[str, ...]
    services: tuple[tuple[str, str], ...]
    contacts: tuple[tuple[str, str], ...]
    claims: tuple[_Claim, ...]
    #: vetting in the decided cycle: (areas applied for, areas approved, quality 1–4) or None
    vetting: tuple[tuple[str, ...], tuple[str, ...], float] | None = None
    #: historical engagements: (need area, how many schools at most) or None
    history: tuple[str, int] | None = None


PARTNERS: tuple[_Partner, ...] = (
    _Partner(
        name="Northfield Instructional Partners",
        description="Coaching for teacher teams on core instruction and on using common "
        "assessments to regroup students.",
        cost_model=CostModel.PER_SCHOOL,
        cost_notes="About $120,000 per school per year, coaching four days a week.",
        bands=(E, M),
        regions=("Statewide",),
        services=(
            (A.INSTRUCTION, "Weekly coaching cycles with grade-level teams and model lessons."),
            (A.DATA_USE, "Data meetings every two weeks; common assessments and regrouping."),
            (A.LEADERSHIP, "Instructional leadership coaching for principals."),
        ),
        contacts=(("Avery Lindqvist", "Director of school partnerships"),),
        claims=(
            _Claim(
                A.INSTRUCTION,
                "Raises mathematics achievement in grades 3–8",
                "mathematics achievement",
                Design.QED,
                2,
                2015,
                confirmed=2,
            ),
            _Claim(
                A.DATA_USE,
                "Teams that regroup every six weeks close gaps faster",
                "ELA achievement",
                Design.CORRELATIONAL,
                3,
                2016,
            ),
        ),
        vetting=((A.INSTRUCTION, A.DATA_USE, A.LEADERSHIP), (A.INSTRUCTION, A.DATA_USE), 3.6),
        history=(A.INSTRUCTION, 18),
    ),
    _Partner(
        name="Brightwater Climate Collaborative",
        description="School-wide behaviour systems, restorative practices and student "
        "support teams.",
        cost_model=CostModel.PER_PUPIL,
        cost_notes="$85 per pupil per year; training days included.",
        bands=(E, M, H),
        regions=("Eastern Massachusetts", "Central Massachusetts"),
        services=(
            (A.CLIMATE_CULTURE, "A small set of taught expectations and consistent responses."),
            (A.SEL_HEALTH, "Student support teams and tiered social-emotional support."),
        ),
        contacts=(
            ("Jordan Okafor", "Executive director"),
            ("Priya Castellanos", "Partnership manager"),
        ),
        claims=(
            _Claim(
                A.CLIMATE_CULTURE,
                "Fewer suspensions and better attendance",
                "attendance",
                Design.RCT,
                1,
                2014,
                confirmed=1,
            ),
            _Claim(
                A.SEL_HEALTH,
                "Students report more adults they can turn to",
                "student wellbeing",
                Design.LOGIC_MODEL,
                4,
                2017,
            ),
        ),
        vetting=((A.CLIMATE_CULTURE, A.SEL_HEALTH), (A.CLIMATE_CULTURE, A.SEL_HEALTH), 3.3),
        history=(A.CLIMATE_CULTURE, 14),
    ),
    _Partner(
        name="Harbor Lane Family Connections",
        description="Family liaisons, home visits and family learning nights.",
        cost_model=CostModel.PER_SCHOOL,
        cost_notes="$60,000 per school per year for a full-time family liaison.",
        bands=(E, M),
        regions=("Greater Boston",),
        services=(
            (A.FAMILY_ENGAGEMENT, "Home visits and family learning nights led by liaisons."),
            (A.SEL_HEALTH, "Referrals to community health and housing services."),
        ),
        contacts=(("Morgan Tessaro", "Program director"),),
        claims=(
            _Claim(
                A.FAMILY_ENGAGEMENT,
                "Home visits reduce chronic absence",
                "chronic absence",
                Design.QED,
                2,
                2016,
            ),
        ),
    ),
    _Partner(
        name="Cedar Ridge Leadership Institute",
        description="Principal and leadership-team development, and district turnaround offices.",
        cost_model=CostModel.FIXED,
        cost_notes="Fixed-price contracts per cohort of leaders.",
        bands=(E, M, H),
        regions=("Statewide",),
        services=(
            (A.LEADERSHIP, "A two-year residency for turnaround principals."),
            (A.STAFFING_HR, "Early hiring, leadership pipelines and retention plans."),
            (A.DISTRICT_SYSTEMS, "Setting up a district turnaround office and its routines."),
        ),
        contacts=(("Sam Whitcombe", "Managing director"),),
        claims=(
            _Claim(
                A.LEADERSHIP,
                "Schools led by residents improve faster in years 2–3",
                "ELA achievement",
                Design.QED,
                2,
                2013,
                confirmed=3,
            ),
            _Claim(
                A.DISTRICT_SYSTEMS,
                "A theory of action for district support",
                "school improvement",
                Design.LOGIC_MODEL,
                4,
                2016,
            ),
        ),
        vetting=((A.LEADERSHIP, A.STAFFING_HR, A.DISTRICT_SYSTEMS), (A.LEADERSHIP,), 3.5),
    ),
    _Partner(
        name="Maple Hollow Extended Learning",
        description="Longer school days, vacation academies and high-dosage tutoring.",
        cost_model=CostModel.PER_PUPIL,
        cost_notes="$1,400 per tutored pupil per year.",
        bands=(E, M),
        regions=("Western Massachusetts", "Central Massachusetts"),
        services=(
            (A.LEARNING_TIME, "An extended day with small-group tutoring three times a week."),
            (A.INSTRUCTION, "Vacation academies in ELA and mathematics."),
        ),
        contacts=(("Riley Branstetter", "Director of programs"),),
        claims=(
            _Claim(
                A.LEARNING_TIME,
                "High-dosage tutoring raises mathematics scores",
                "mathematics achievement",
                Design.RCT,
                1,
                2015,
            ),
        ),
        vetting=((A.LEARNING_TIME, A.INSTRUCTION), (A.LEARNING_TIME,), 3.2),
        history=(A.LEARNING_TIME, 12),
    ),
    _Partner(
        name="Quarry Stone Data Partners",
        description="Data dashboards and assessment calendars for schools and districts.",
        cost_model=CostModel.HOURLY,
        cost_notes="$150 an hour; dashboards licensed separately.",
        bands=(M, H),
        regions=("Statewide",),
        services=(
            (A.DATA_USE, "Assessment calendars and dashboards for teacher teams."),
            (A.INSTRUCTION, "Item analysis workshops."),
        ),
        contacts=(("Casey Fernhill", "Founder"),),
        claims=(
            _Claim(
                A.DATA_USE,
                "Teachers use the dashboards weekly",
                "teacher practice",
                Design.NONE,
                4,
                2017,
            ),
        ),
        vetting=((A.DATA_USE, A.INSTRUCTION), (), 2.2),
    ),
    _Partner(
        name="Willow Creek Talent Network",
        description="Recruiting and keeping effective teachers in high-need schools.",
        cost_model=CostModel.PER_SCHOOL,
        cost_notes="$45,000 per school per hiring season.",
        bands=(E, M, H),
        regions=("Statewide",),
        services=(
            (A.STAFFING_HR, "Early hiring, teacher residencies and retention stipend design."),
            (A.LEADERSHIP, "Teacher-leader roles and career ladders."),
        ),
        contacts=(("Taylor Ashgrove", "Head of partnerships"),),
        claims=(
            _Claim(
                A.STAFFING_HR,
                "Residents stay longer in high-need schools",
                "teacher retention",
                Design.QED,
                3,
                2014,
            ),
        ),
    ),
    _Partner(
        name="Lantern Hill Wellness Alliance",
        description="School-based health and counselling in partnership with community clinics.",
        cost_model=CostModel.NO_COST,
        cost_notes="Billed to health insurers; no cost to the district.",
        bands=(E, M, H),
        regions=("Southeastern Massachusetts",),
        services=(
            (A.SEL_HEALTH, "Counsellors and a nurse practitioner on site."),
            (A.CLIMATE_CULTURE, "Trauma-informed practice training for all staff."),
            (A.FAMILY_ENGAGEMENT, "Family health nights and referrals."),
        ),
        contacts=(("Quinn Marchetti", "Clinical director"),),
        claims=(
            _Claim(
                A.SEL_HEALTH,
                "Fewer days missed for health reasons",
                "attendance",
                Design.CORRELATIONAL,
                3,
                2016,
            ),
        ),
    ),
)

#: the core demo partner's registry rows and vetting (its history is instruction coaching)
DEMO_PARTNER_SPEC = _Partner(
    name=DEMO_PARTNER,
    description="",
    cost_model=CostModel.PER_SCHOOL,
    cost_notes="",
    bands=(E, M, H),
    regions=(),
    services=(
        (A.INSTRUCTION, "Weekly instructional coaching for grade-level teams and the principal."),
        (A.DATA_USE, "Common assessments and data meetings every two weeks."),
        (A.LEADERSHIP, "Coaching the school leadership team on the turnaround plan."),
    ),
    contacts=(("Dana Demo", "Partnership lead"),),
    claims=(
        _Claim(
            A.INSTRUCTION,
            "Coached schools gain in ELA and mathematics",
            "ELA achievement",
            Design.QED,
            2,
            2015,
            confirmed=2,
        ),
        _Claim(
            A.DATA_USE,
            "Data meetings change what teachers reteach",
            "teacher practice",
            Design.LOGIC_MODEL,
            4,
            2016,
        ),
    ),
    vetting=((A.INSTRUCTION, A.DATA_USE, A.LEADERSHIP), (A.INSTRUCTION, A.DATA_USE), 3.4),
    history=(A.INSTRUCTION, 16),
)

DEMO_PARTNER_NAMES = tuple(p.name for p in PARTNERS)
#: earlier-list designations (no decision on the platform): (partner, area, days left)
_LEGACY = (
    ("Willow Creek Talent Network", A.STAFFING_HR, 45),
    ("Lantern Hill Wellness Alliance", A.SEL_HEALTH, 80),
)
#: the designation of the decided cycle that renews an older one
_RENEWAL = ("Brightwater Climate Collaborative", A.CLIMATE_CULTURE)
#: the reviewer (by position) who declares a conflict, and on whose application
_CONFLICT = ("Maple Hollow Extended Learning", 1)


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _email(person: str) -> str:
    first, _, last = person.partition(" ")
    return f"{_slug(first)}.{_slug(last)}@example.org"


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _citation(c: _Claim, partner: str) -> str:
    return (
        f"Fictional demo study, {c.year}. “{c.claim}”: an invented evaluation of {partner}, "
        "written for the demo; no such study exists."
    )


def _user(users: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if users.get(key) is not None:
            return users[key]
    return None


class _Counter:
    """How many rows of each kind the run created."""

    def __init__(self) -> None:
        self.created: dict[str, int] = {}

    def add(self, kind: str, created: bool) -> None:
        if created:
            self.created[kind] = self.created.get(kind, 0) + 1


# ---------------------------------------------------------------------------------------------
# Registry


def _registry(spec: _Partner, partner: PartnerOrganization, counter: _Counter) -> None:
    for area, text in spec.services:
        _, created = ServiceOffering.objects.get_or_create(
            partner=partner,
            need_area=area,
            defaults={"description": text, "grade_bands": list(spec.bands)},
        )
        counter.add("services", created)
    for i, (person, title) in enumerate(spec.contacts):
        _, created = PartnerContact.objects.get_or_create(
            partner=partner,
            name=person,
            defaults={
                "title": title,
                "email": _email(person),
                "phone": f"555-01{i:02d}",
                "is_primary": i == 0,
            },
        )
        counter.add("contacts", created)


def _claims(
    spec: _Partner, partner: PartnerOrganization, confirmer: Any, on: dt.date, counter: _Counter
) -> dict[str, list[EvidenceClaim]]:
    out: dict[str, list[EvidenceClaim]] = {}
    for c in spec.claims:
        claim, created = EvidenceClaim.objects.get_or_create(
            partner=partner,
            claim=c.claim,
            defaults={
                "need_area": c.area,
                "outcome_domain": c.outcome,
                "study_citation": _citation(c, spec.name),
                "design": c.design,
                "tier": c.tier,
                "summary": f"What it shows: {c.claim.lower()} in the schools studied. What it "
                "does not show: effects in other grades or without the full programme. "
                "(Invented for the demo.)",
                "confirmed_tier": c.confirmed,
                "confirmed_by": confirmer if c.confirmed else None,
                "confirmed_on": on if c.confirmed else None,
            },
        )
        counter.add("evidence claims", created)
        out.setdefault(claim.need_area, []).append(claim)
    return out


def _best_tier(claims: list[EvidenceClaim]) -> int | None:
    return min((c.effective_tier for c in claims), default=None)


# ---------------------------------------------------------------------------------------------
# Vetting


def _cycle(
    state: State,
    name: str,
    *,
    status: str,
    opens: dt.date,
    closes: dt.date,
    creator: Any,
    description: str,
    counter: _Counter,
) -> VettingCycle:
    cycle, created = VettingCycle.objects.get_or_create(
        state=state,
        name=name,
        defaults={
            "description": description,
            "need_areas": list(NeedArea.values),
            "status": status,
            "opens_on": opens,
            "closes_on": closes,
            "scale_min": 1,
            "scale_max": 4,
            "approval_threshold": Decimal("3.00"),
            "designation_starts_on": closes + dt.timedelta(days=63),
            "designation_years": 3,
            "created_by": creator,
            "created_at": _aware(opens - dt.timedelta(days=14)),
        },
    )
    counter.add("vetting cycles", created)
    for order, (title, weight, text) in enumerate(CRITERIA):
        _, made = Criterion.objects.get_or_create(
            cycle=cycle,
            name=title,
            defaults={"weight": Decimal(weight), "description": text, "order": order},
        )
        counter.add("criteria", made)
    return cycle


def _application(
    cycle: VettingCycle,
    partner: PartnerOrganization,
    spec: _Partner,
    areas: tuple[str, ...],
    *,
    status: str,
    submitted_by: Any,
    submitted_on: dt.date | None,
    claims: dict[str, list[EvidenceClaim]],
    counter: _Counter,
) -> Application:
    application, created = Application.objects.get_or_create(
        cycle=cycle,
        partner=partner,
        defaults={
            "need_areas": list(areas),
            "grade_bands": list(spec.bands),
            "track_record": f"{spec.name} has served low-performing schools in the state for "
            "six years, most of them for three years or more. (Demo text.)",
            "measured_results": "Results on the state tests and attendance, measured by an "
            "outside evaluator each year. (Demo text.)",
            "approach": spec.description,
            "capacity": "Enough coaches and managers for eight more schools next year.",
            "references": "Two district superintendents (names on request). (Demo text.)",
            "status": status,
            "submitted_at": _aware(submitted_on) if submitted_on else None,
            "submitted_by": submitted_by if submitted_on else None,
            "created_at": _aware(cycle.opens_on + dt.timedelta(days=3)),
        },
    )
    counter.add("applications", created)
    if created:
        application.evidence.set([c for area in areas for c in claims.get(area, [])])
    return application


def _reviews(
    application: Application,
    reviewers: list[Any],
    quality: float,
    conflicted: int | None,
    submitted_on: dt.date,
    counter: _Counter,
) -> Decimal | None:
    """Three reviewers' assignments and scores; returns the weighted mean of the scores."""
    criteria = list(application.cycle.criteria.order_by("order"))
    sums: dict[int, list[int]] = {c.pk: [] for c in criteria}
    for r, reviewer in enumerate(reviewers):
        conflict = r == conflicted
        review, created = ReviewAssignment.objects.get_or_create(
            application=application,
            reviewer=reviewer,
            defaults={
                "conflict": ReviewAssignment.Conflict.DECLARED
                if conflict
                else ReviewAssignment.Conflict.NONE,
                "conflict_note": "Served on the partner's advisory board until last year."
                if conflict
                else "",
                "declared_at": _aware(submitted_on - dt.timedelta(days=10)),
                "submitted_at": None if conflict else _aware(submitted_on),
                "comment": "" if conflict else "Scored against the rubric; see the comments.",
            },
        )
        counter.add("review assignments", created)
        if review.conflict != ReviewAssignment.Conflict.NONE:
            continue
        for c_index, criterion in enumerate(criteria):
            value = max(1, min(4, round(quality + _OFFSETS[(c_index + 2 * r) % 5])))
            score, made = Score.objects.get_or_create(
                review=review,
                criterion=criterion,
                defaults={"score": value, "comment": "Evidence as described in the application."},
            )
            counter.add("scores", made)
            sums[criterion.pk].append(score.score)
    total_weight = sum(c.weight for c in criteria if sums[c.pk])
    if not total_weight:
        return None
    weighted = sum(
        c.weight * Decimal(sum(sums[c.pk])) / Decimal(len(sums[c.pk]))
        for c in criteria
        if sums[c.pk]
    )
    return (weighted / total_weight).quantize(Decimal("0.01"))


def _vetting(
    state: State,
    specs: list[tuple[_Partner, PartnerOrganization, dict[str, list[EvidenceClaim]]]],
    users: dict[str, Any],
    today: dt.date,
    counter: _Counter,
) -> dict[tuple[int, str], PriorityDesignation]:
    admin = _user(users, "state_admin", "state.admin", "state_staff", "state.staff")
    partner_staff = _user(users, "partner_staff", "partner.staff")
    reviewers: list[Any] = []
    for keys in (("reviewer",), ("state_staff", "state.staff"), ("state_admin", "state.admin")):
        user = _user(users, *keys)
        if user is not None and all(user.pk != u.pk for u in reviewers):
            reviewers.append(user)

    opens = today - dt.timedelta(days=730)
    closes = opens + dt.timedelta(days=42)
    decided = _cycle(
        state,
        DECIDED_CYCLE,
        status=VettingCycle.Status.DECIDED,
        opens=opens,
        closes=closes,
        creator=admin,
        description="The first call for Priority Partners on the platform, in every need area. "
        "(Demo data: the partners and their applications are fictional.)",
        counter=counter,
    )
    starts = decided.designation_starts_on
    expires = _years_after(starts, decided.designation_years)
    review_day = closes + dt.timedelta(days=14)
    decision_day = closes + dt.timedelta(days=35)

    designations: dict[tuple[int, str], PriorityDesignation] = {}
    for spec, partner, claims in specs:
        if spec.vetting is None:
            continue
        applied, approved, quality = spec.vetting
        application = _application(
            decided,
            partner,
            spec,
            applied,
            status=Application.Status.DECIDED,
            submitted_by=partner_staff if spec.name == DEMO_PARTNER else None,
            submitted_on=closes - dt.timedelta(days=5),
            claims=claims,
            counter=counter,
        )
        conflicted = _CONFLICT[1] if spec.name == _CONFLICT[0] else None
        weighted = _reviews(application, reviewers, quality, conflicted, review_day, counter)
        outcome = Decision.Outcome.APPROVED if approved else Decision.Outcome.DECLINED
        names = ", ".join(str(NeedArea(a).label).lower() for a in approved)
        decision, created = Decision.objects.get_or_create(
            application=application,
            defaults={
                "outcome": outcome,
                "need_areas": list(approved),
                "rationale": (
                    f"Approved for {names}: a measured track record and evidence in these areas."
                    if approved
                    else "Not approved: the evidence offered is a rationale only, and results "
                    "have not been measured independently."
                ),
                "weighted_score": weighted,
                "decided_by": admin,
                "decided_at": _aware(decision_day, 15),
            },
        )
        counter.add("decisions", created)
        for area in approved:
            renews = None
            if (spec.name, area) == _RENEWAL:
                renews, made = PriorityDesignation.objects.get_or_create(
                    partner=partner,
                    state=state,
                    need_area=area,
                    decision=None,
                    starts_on=_years_after(starts, -3),
                    defaults={
                        "expires_on": starts - dt.timedelta(days=1),
                        "evidence_tier": _best_tier(claims.get(area, [])),
                    },
                )
                counter.add("designations", made)
            designation, made = PriorityDesignation.objects.get_or_create(
                partner=partner,
                state=state,
                need_area=area,
                decision=decision,
                defaults={
                    "starts_on": starts,
                    "expires_on": expires,
                    "evidence_tier": _best_tier(claims.get(area, [])),
                    "renews": renews,
                },
            )
            counter.add("designations", made)
            designations[(partner.pk, area)] = designation

    by_name = {spec.name: (partner, claims) for spec, partner, claims in specs}
    for name, area, days_left in _LEGACY:
        partner, claims = by_name[name]
        ends = today + dt.timedelta(days=days_left)
        designation, made = PriorityDesignation.objects.get_or_create(
            partner=partner,
            state=state,
            need_area=area,
            decision=None,
            renews=None,
            renewed_by__isnull=True,
            defaults={
                "starts_on": _years_after(ends, -3),
                "expires_on": ends,
                "evidence_tier": _best_tier(claims.get(area, [])),
            },
        )
        counter.add("designations", made)
        designations.setdefault((partner.pk, area), designation)

    open_cycle = _cycle(
        state,
        OPEN_CYCLE,
        status=VettingCycle.Status.OPEN,
        opens=today - dt.timedelta(days=21),
        closes=today + dt.timedelta(days=40),
        creator=admin,
        description="The second call: renewals of designations that expire this year and new "
        "areas. (Demo data.)",
        counter=counter,
    )
    demo = [(s, p, c) for s, p, c in specs if s.name == DEMO_PARTNER]
    if demo:
        spec, partner, claims = demo[0]
        _application(
            open_cycle,
            partner,
            spec,
            (A.FAMILY_ENGAGEMENT, A.LEADERSHIP),
            status=Application.Status.DRAFT,
            submitted_by=None,
            submitted_on=None,
            claims=claims,
            counter=counter,
        )
    return designations


# ---------------------------------------------------------------------------------------------
# Engagements


def _low_performing(state: State) -> list[int]:
    """Ids of the state's schools at Level 3 or 4, those of 2012–2014 first, in a stable but
    mixed order (by a hash of the school code)."""
    rows = AccountabilityDetermination.objects.filter(
        school__district__state=state, level__in=(3, 4)
    ).values_list("school_id", "school__code", "year")
    early: dict[int, str] = {}
    late: dict[int, str] = {}
    for school_id, code, year in rows:
        (early if year <= 2014 else late)[school_id] = code

    def order(item: tuple[int, str]) -> str:
        return hashlib.sha256(item[1].encode()).hexdigest()

    ids = [pk for pk, _ in sorted(early.items(), key=order)]
    ids += [pk for pk, _ in sorted(late.items(), key=order) if pk not in early]
    return ids


def _history(
    state: State,
    specs: list[tuple[_Partner, PartnerOrganization, dict[str, list[EvidenceClaim]]]],
    creator: Any,
    counter: _Counter,
) -> None:
    historical = [(s, p, s.history) for s, p, _ in specs if s.history is not None]
    candidates = _low_performing(state)
    share = len(candidates) // (2 * len(historical)) if historical else 0
    taken = 0
    for n, (spec, partner, (area, most)) in enumerate(historical):
        count = min(most, share)
        schools = candidates[taken : taken + count]
        taken += count
        for i, school_id in enumerate(schools):
            start_year = 2013 if i % 2 == 0 else 2014
            starts = dt.date(start_year, 9, 1) + dt.timedelta(days=(i * 3) % 21)
            ends = dt.date(start_year + 3 if i % 3 else 2017, 6, 30)
            ends = min(ends, dt.date(2017, 6, 30))
            _, created = Engagement.objects.get_or_create(
                partner=partner,
                school_id=school_id,
                agreement_reference=f"{REFERENCE_PREFIX}H{n + 1}-{i + 1:03d}",
                defaults={
                    "need_area": area,
                    "scope": f"{dict(spec.services).get(area, spec.description)} "
                    "(Demo: a past engagement.)",
                    "starts_on": starts,
                    "ends_on": ends,
                    "cost": Decimal(90000 + 5000 * (i % 5)),
                    "funding_source": FundingSource.TITLE_I_1003,
                    "created_by": creator,
                    "created_at": _aware(starts - dt.timedelta(days=30)),
                },
            )
            counter.add("historical engagements", created)


def _current(
    state: State,
    partner: PartnerOrganization,
    designations: dict[tuple[int, str], PriorityDesignation],
    creator: Any,
    today: dt.date,
    counter: _Counter,
) -> None:
    from turnaround.demo.services import _district_schools_by_level, demo_district

    district = demo_district(state)
    if district is None:
        return
    schools = _district_schools_by_level(district)[:2]
    designation = designations.get((partner.pk, A.DATA_USE))
    plans = (
        (today - dt.timedelta(days=90), today + dt.timedelta(days=270)),
        (today + dt.timedelta(days=30), today + dt.timedelta(days=395)),
    )
    for i, (school, (starts, ends)) in enumerate(zip(schools, plans, strict=False)):
        linked = designation
        if linked is not None and not (linked.starts_on <= starts and ends <= linked.expires_on):
            linked = None
        _, created = Engagement.objects.get_or_create(
            partner=partner,
            school=school,
            agreement_reference=f"{REFERENCE_PREFIX}C-{i + 1:03d}",
            defaults={
                "need_area": A.DATA_USE,
                "scope": "Data meetings every two weeks with each grade-level team, and common "
                "assessments in ELA and mathematics. (Demo.)",
                "starts_on": starts,
                "ends_on": ends,
                "cost": Decimal(48000),
                "funding_source": FundingSource.STATE_GRANT,
                "designation": linked,
                "created_by": creator,
                "created_at": _aware(starts - dt.timedelta(days=21)),
            },
        )
        counter.add("current engagements", created)


# ---------------------------------------------------------------------------------------------
# The entry points


def _demo_partners() -> list[PartnerOrganization]:
    return list(PartnerOrganization.objects.filter(name__in=(*DEMO_PARTNER_NAMES, DEMO_PARTNER)))


def partners_demo_counts(*, state: State) -> dict[str, int]:
    """What the demo partner data of ``state`` holds now (the same after a second run)."""
    fictional = PartnerOrganization.objects.filter(name__in=DEMO_PARTNER_NAMES)
    demo = PartnerOrganization.objects.filter(name=DEMO_PARTNER)
    demo_services = Q(partner__in=demo, need_area__in=[a for a, _ in DEMO_PARTNER_SPEC.services])
    demo_claims = Q(partner__in=demo, claim__in=[c.claim for c in DEMO_PARTNER_SPEC.claims])
    demo_contacts = Q(partner__in=demo, name__in=[n for n, _ in DEMO_PARTNER_SPEC.contacts])
    cycles = VettingCycle.objects.filter(state=state, name__in=DEMO_CYCLE_NAMES)
    ours = Engagement.objects.filter(agreement_reference__startswith=REFERENCE_PREFIX).filter(
        Q(school__district__state=state) | Q(district__state=state)
    )
    return {
        "partners": fictional.count(),
        "services": ServiceOffering.objects.filter(
            Q(partner__in=fictional) | demo_services
        ).count(),
        "contacts": PartnerContact.objects.filter(Q(partner__in=fictional) | demo_contacts).count(),
        "evidence claims": EvidenceClaim.objects.filter(
            Q(partner__in=fictional) | demo_claims
        ).count(),
        "vetting cycles": cycles.count(),
        "criteria": Criterion.objects.filter(cycle__in=cycles).count(),
        "applications": Application.objects.filter(cycle__in=cycles).count(),
        "review assignments": ReviewAssignment.objects.filter(
            application__cycle__in=cycles
        ).count(),
        "scores": Score.objects.filter(review__application__cycle__in=cycles).count(),
        "decisions": Decision.objects.filter(application__cycle__in=cycles).count(),
        "designations": PriorityDesignation.objects.filter(
            state=state, partner__name__in=(*DEMO_PARTNER_NAMES, DEMO_PARTNER)
        ).count(),
        "historical engagements": ours.filter(
            agreement_reference__startswith=f"{REFERENCE_PREFIX}H"
        ).count(),
        "current engagements": ours.filter(
            agreement_reference__startswith=f"{REFERENCE_PREFIX}C"
        ).count(),
    }


def partners_demo_create(*, state: State, users: dict[str, Any]) -> dict[str, int]:
    """Create the demo partner data for ``state`` (see the module docstring); idempotent.

    ``users`` maps roles to users — ``state_admin``, ``state_staff``, ``reviewer``,
    ``partner_staff`` (demo usernames such as ``state.admin`` work too); any may be missing: the
    reviewers present review (up to three), the administrator (else staff) decides.
    Returns the counts of what the demo partner data holds afterwards.
    """
    users = {k: v for k, v in users.items() if v is not None}
    today = timezone.localdate()
    counter = _Counter()
    staff = _user(users, "state_staff", "state.staff", "state_admin", "state.admin")
    with transaction.atomic():
        specs = []
        for spec in PARTNERS:
            partner, created = PartnerOrganization.objects.get_or_create(
                name=spec.name,
                defaults={
                    "website": f"https://{_slug(spec.name)}.example.org",
                    "description": f"{spec.description} {DEMO_NOTE}",
                    "cost_model": spec.cost_model,
                    "cost_notes": spec.cost_notes,
                    "grade_bands": list(spec.bands),
                    "regions": list(spec.regions),
                },
            )
            counter.add("partners", created)
            specs.append((spec, partner))
        demo_partner, _ = PartnerOrganization.objects.get_or_create(
            name=DEMO_PARTNER,
            defaults={
                "description": "A fictional turnaround partner serving schools of the demo "
                "district."
            },
        )
        specs.append((DEMO_PARTNER_SPEC, demo_partner))
        confirmed_on = today - dt.timedelta(days=700)
        full = []
        for spec, partner in specs:
            _registry(spec, partner, counter)
            full.append((spec, partner, _claims(spec, partner, staff, confirmed_on, counter)))
        designations = _vetting(state, full, users, today, counter)
        _history(state, full, staff, counter)
        _current(state, demo_partner, designations, staff, today, counter)
        counts = partners_demo_counts(state=state)
        if counter.created:
            audit_record(
                actor=None,
                action=AuditEvent.Action.LOAD,
                obj=state,
                object_repr="Demo partners, vetting cycles and engagements",
                state_id=state.pk,
                changes={"created": counter.created, "counts": counts},
            )
    return counts


def partners_demo_delete(*, state: State) -> dict[str, int]:
    """Remove the demo partner data of ``state`` (see the module docstring); returns how many
    rows of each kind went."""
    fictional = PartnerOrganization.objects.filter(name__in=DEMO_PARTNER_NAMES)
    demo = PartnerOrganization.objects.filter(name=DEMO_PARTNER)
    demo_partners = PartnerOrganization.objects.filter(name__in=(*DEMO_PARTNER_NAMES, DEMO_PARTNER))
    gone: dict[str, int] = {}

    def drop(kind: str, qs: Any) -> None:
        count = qs.count()
        if count:
            qs.delete()
            gone[kind] = gone.get(kind, 0) + count

    with transaction.atomic():
        in_state = Q(school__district__state=state) | Q(district__state=state)
        drop(
            "engagements",
            Engagement.objects.filter(in_state).filter(
                Q(agreement_reference__startswith=REFERENCE_PREFIX) | Q(partner__in=fictional)
            ),
        )
        # designations and cycles protect the state and the partners: all of the state's go
        designations = PriorityDesignation.objects.filter(state=state)
        Engagement.objects.filter(designation__in=designations).update(designation=None)
        designations.update(renews=None)
        drop("designations", designations)
        cycles = VettingCycle.objects.filter(state=state)
        drop("decisions", Decision.objects.filter(application__cycle__in=cycles))
        drop("applications", Application.objects.filter(cycle__in=cycles))
        drop("vetting cycles", cycles)
        drop(
            "impact estimates",
            ImpactEstimate.objects.filter(state=state, partner__in=demo_partners),
        )
        drop(
            "services",
            ServiceOffering.objects.filter(
                partner__in=demo, need_area__in=[a for a, _ in DEMO_PARTNER_SPEC.services]
            ),
        )
        drop(
            "contacts",
            PartnerContact.objects.filter(
                partner__in=demo, name__in=[n for n, _ in DEMO_PARTNER_SPEC.contacts]
            ),
        )
        drop(
            "evidence claims",
            EvidenceClaim.objects.filter(
                partner__in=demo, claim__in=[c.claim for c in DEMO_PARTNER_SPEC.claims]
            ),
        )
        unreferenced = (
            fictional.exclude(designations__isnull=False)
            .exclude(applications__isnull=False)
            .exclude(engagements__isnull=False)
        )
        drop(
            "partners",
            PartnerOrganization.objects.filter(
                pk__in=list(unreferenced.values_list("pk", flat=True))
            ),
        )
        if gone:
            audit_record(
                actor=None,
                action=AuditEvent.Action.DELETE,
                obj=state,
                object_repr="Demo partners, vetting cycles and engagements (removed)",
                state_id=state.pk,
                changes={"deleted": gone},
            )
    return gone
