"""Reads about assessments: lists, the framework tree to rate, reviewer disagreement, what blocks
finalising, evidence by indicator and a self-assessment's progress.

Access is decided before these are called (``access.get_assessment_for_user``); list functions
take the user and start from ``visible_assessments``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from turnaround.accounts.models import Membership, Role, User
from turnaround.assessments.access import visible_assessments
from turnaround.assessments.models import (
    Assessment,
    ConsensusRating,
    Evidence,
    PracticeFinding,
    ReviewerRating,
    TeamMember,
)
from turnaround.frameworks.models import (
    Component,
    FrameworkVersion,
    Indicator,
    IndicatorDescriptor,
    Practice,
    ScaleLevel,
)

# ---------------------------------------------------------------------------------------------
# Lists


def assessment_list(
    user: User | object, *, kind: str = "", status: str = "", school_year: str = ""
) -> QuerySet[Assessment]:
    """The assessments ``user`` may see, newest first, filtered by kind, status and school year."""
    qs = visible_assessments(user).select_related(
        "school__district__state", "district__state", "framework_version__framework"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if school_year:
        qs = qs.filter(school_year=school_year)
    return qs.order_by("-start_date", "-id")


def school_years(user: User | object) -> list[str]:
    return sorted(
        set(visible_assessments(user).values_list("school_year", flat=True)), reverse=True
    )


def published_versions(*, state_id: int, kind: str) -> QuerySet[FrameworkVersion]:
    """Published framework versions of ``kind`` (school/district) usable in the state."""
    from django.db.models import Q

    return (
        FrameworkVersion.objects.filter(
            status=FrameworkVersion.Status.PUBLISHED, framework__kind=kind
        )
        .filter(Q(framework__state__isnull=True) | Q(framework__state_id=state_id))
        .select_related("framework")
        .order_by("framework__name", "-number")
    )


def visit_staff(state_id: int) -> QuerySet[User]:
    """People who may lead or review a site visit in the state."""
    ids = Membership.objects.filter(
        state_id=state_id, role__in=(Role.STATE_ADMIN, Role.STATE_STAFF, Role.REVIEWER)
    ).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


def subject_team_candidates(assessment: Assessment) -> QuerySet[User]:
    """Leaders of the assessed school or district, who may join its own team."""
    from django.db.models import Q

    q = Q(pk__in=[])
    if assessment.school_id is not None:
        q |= Q(role=Role.SCHOOL_LEADER, school_id=assessment.school_id)
        q |= Q(role=Role.DISTRICT_LEADER, district_id=assessment.school.district_id)
    else:
        q |= Q(role=Role.DISTRICT_LEADER, district_id=assessment.district_id)
    ids = Membership.objects.filter(q).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("username")


# ---------------------------------------------------------------------------------------------
# The framework tree to rate against


@dataclass(frozen=True)
class IndicatorNode:
    indicator: Indicator
    practice: Practice
    #: ``(level, descriptor text)`` for every level of the scale, in order ("" where none)
    descriptors: tuple[tuple[ScaleLevel, str], ...]

    @property
    def code(self) -> str:
        return self.indicator.code


@dataclass(frozen=True)
class ComponentNode:
    component: Component
    indicators: tuple[IndicatorNode, ...]


@dataclass(frozen=True)
class PracticeNode:
    practice: Practice
    components: tuple[ComponentNode, ...]

    @property
    def indicators(self) -> list[IndicatorNode]:
        return [i for c in self.components for i in c.indicators]


def scale_levels(version: FrameworkVersion) -> list[ScaleLevel]:
    return list(version.scale.levels.order_by("code"))


def framework_tree(version: FrameworkVersion) -> list[PracticeNode]:
    """Practices → components → indicators with their descriptors, in four queries."""
    levels = scale_levels(version)
    practices = (
        Practice.objects.filter(framework_version=version)
        .prefetch_related(
            Prefetch(
                "components",
                queryset=Component.objects.prefetch_related(
                    Prefetch(
                        "indicators",
                        queryset=Indicator.objects.prefetch_related(
                            Prefetch("descriptors", queryset=IndicatorDescriptor.objects.all())
                        ),
                    )
                ),
            )
        )
        .order_by("position", "code")
    )
    tree = []
    for practice in practices:
        components = []
        for component in practice.components.all():
            nodes = []
            for indicator in component.indicators.all():
                texts = {d.level_code: d.text for d in indicator.descriptors.all()}
                nodes.append(
                    IndicatorNode(
                        indicator=indicator,
                        practice=practice,
                        descriptors=tuple((lvl, texts.get(lvl.code, "")) for lvl in levels),
                    )
                )
            components.append(ComponentNode(component=component, indicators=tuple(nodes)))
        tree.append(PracticeNode(practice=practice, components=tuple(components)))
    return tree


def indicators_in_order(version: FrameworkVersion) -> list[Indicator]:
    return list(
        Indicator.objects.filter(framework_version=version)
        .select_related("component__practice")
        .order_by(
            "component__practice__position",
            "component__practice__code",
            "component__position",
            "component__code",
            "position",
            "code",
        )
    )


# ---------------------------------------------------------------------------------------------
# Ratings


def consensus_by_indicator(assessment: Assessment) -> dict[int, ConsensusRating]:
    rows = ConsensusRating.objects.filter(assessment=assessment).prefetch_related("evidence")
    return {r.indicator_id: r for r in rows}


def findings_by_practice(assessment: Assessment) -> dict[int, PracticeFinding]:
    return {f.practice_id: f for f in PracticeFinding.objects.filter(assessment=assessment)}


def my_ratings(assessment: Assessment, user: User | object) -> dict[int, ReviewerRating]:
    rows = ReviewerRating.objects.filter(
        assessment=assessment, reviewer_id=getattr(user, "pk", None)
    ).prefetch_related("evidence")
    return {r.indicator_id: r for r in rows}


def raters(assessment: Assessment) -> list[User]:
    """The lead and reviewers (lead first), then anyone else who has rated."""
    seats = list(
        TeamMember.objects.filter(
            assessment=assessment, role__in=(TeamMember.Role.LEAD, TeamMember.Role.REVIEWER)
        ).select_related("user")
    )
    seats.sort(key=lambda s: (s.role != TeamMember.Role.LEAD, s.user.get_username()))
    users = [s.user for s in seats]
    seated = {u.pk for u in users}
    extra_ids = (
        ReviewerRating.objects.filter(assessment=assessment)
        .exclude(reviewer_id__in=seated)
        .values("reviewer_id")
    )
    users += list(User.objects.filter(pk__in=extra_ids).order_by("username"))
    return users


@dataclass(frozen=True)
class ReviewerLevel:
    reviewer_id: int
    reviewer: str
    #: the level given, or None for "not rated" or no rating yet (``recorded`` tells which)
    level: int | None
    label: str
    recorded: bool


@dataclass(frozen=True)
class IndicatorDisagreement:
    indicator_id: int
    code: str
    text: str
    practice_code: str
    levels: tuple[ReviewerLevel, ...]
    #: highest minus lowest level given; None when fewer than one reviewer gave a level
    spread: int | None
    disagree: bool
    consensus_level: int | None = None
    consensus_label: str = ""
    has_consensus: bool = False
    given: tuple[int, ...] = field(default_factory=tuple)

    @property
    def anchor(self) -> str:
        """The id of the indicator's card on the consensus page."""
        return "ind-" + self.code.replace(".", "-")

    @property
    def marker(self) -> str:
        """Text (not only colour) saying where reviewers stand."""
        if not self.given:
            return "Not yet rated"
        if self.disagree:
            return f"Disagree (spread {self.spread})"
        if len(self.given) == 1:
            return "One rating"
        return "Agree"


def indicator_disagreement(assessment: Assessment) -> list[IndicatorDisagreement]:
    """Per indicator of the assessment's framework version, in framework order: each reviewer's
    level, the spread, whether they disagree, and the consensus if recorded."""
    version = assessment.framework_version
    labels = {lvl.code: lvl.label for lvl in scale_levels(version)}
    people = raters(assessment)
    given: dict[tuple[int, int], ReviewerRating] = {
        (r.indicator_id, r.reviewer_id): r
        for r in ReviewerRating.objects.filter(assessment=assessment)
    }
    consensus = {c.indicator_id: c for c in ConsensusRating.objects.filter(assessment=assessment)}
    out = []
    for ind in indicators_in_order(version):
        row_levels = []
        for person in people:
            rating = given.get((ind.pk, person.pk))
            level = rating.level if rating is not None else None
            row_levels.append(
                ReviewerLevel(
                    reviewer_id=person.pk,
                    reviewer=person.get_username(),
                    level=level,
                    label=labels.get(level, "") if level is not None else "",
                    recorded=rating is not None,
                )
            )
        values = tuple(rl.level for rl in row_levels if rl.level is not None)
        spread = (max(values) - min(values)) if values else None
        c = consensus.get(ind.pk)
        out.append(
            IndicatorDisagreement(
                indicator_id=ind.pk,
                code=ind.code,
                text=ind.text,
                practice_code=ind.component.practice.code,
                levels=tuple(row_levels),
                spread=spread,
                disagree=bool(spread),
                consensus_level=c.level if c else None,
                consensus_label=labels.get(c.level, "") if c and c.level is not None else "",
                has_consensus=c is not None,
                given=values,
            )
        )
    return out


def finalise_blockers(assessment: Assessment) -> list[str]:
    """What stops finalising, in framework order: indicators with no consensus row, and those
    left not rated without a reason."""
    consensus = {c.indicator_id: c for c in ConsensusRating.objects.filter(assessment=assessment)}
    out = []
    for ind in indicators_in_order(assessment.framework_version):
        c = consensus.get(ind.pk)
        if c is None:
            out.append(f"{ind.code} has no consensus rating")
        elif c.level is None and not c.rationale.strip():
            out.append(f"{ind.code} is not rated and needs a reason why")
    return out


# ---------------------------------------------------------------------------------------------
# Evidence


def evidence_for(assessment: Assessment, *, indicator_code: str = "") -> QuerySet[Evidence]:
    """The assessment's evidence, newest first, optionally only that tagged to one indicator."""
    qs = (
        Evidence.objects.filter(assessment=assessment)
        .select_related("collected_by")
        .prefetch_related(Prefetch("indicators", queryset=Indicator.objects.order_by("code")))
    )
    if indicator_code:
        qs = qs.filter(indicators__code=indicator_code)
    return qs.order_by("-collected_at", "-id")


def evidence_by_indicator(assessment: Assessment) -> dict[int, list[Evidence]]:
    """Each indicator's tagged evidence (for the rating forms' checkboxes)."""
    out: dict[int, list[Evidence]] = defaultdict(list)
    through = Evidence.indicators.through
    items = {e.pk: e for e in Evidence.objects.filter(assessment=assessment)}
    for ev_id, ind_id in through.objects.filter(evidence__assessment=assessment).values_list(
        "evidence_id", "indicator_id"
    ):
        out[ind_id].append(items[ev_id])
    for rows in out.values():
        rows.sort(key=lambda e: (e.collected_at, e.pk))
    return dict(out)


# ---------------------------------------------------------------------------------------------
# Self-assessment progress (Indistar pacing)

#: A team works on about this many indicators at a time, most of them KEY ones.
ACTIVE_TARGET = 10
ACTIVE_KEY_MIN = 7


@dataclass(frozen=True)
class SelfProgress:
    total: int
    rated: int
    not_priority: int
    #: rated below full implementation and not marked "not a priority": the team works on these
    working_on: int
    working_on_key: int
    fully_implemented: int

    @property
    def pacing_note(self) -> str:
        if self.working_on > ACTIVE_TARGET:
            return (
                f"{self.working_on} indicators are being worked on; teams usually keep about "
                f"{ACTIVE_TARGET} at a time."
            )
        if self.working_on and self.working_on_key < min(ACTIVE_KEY_MIN, self.working_on):
            return (
                f"{self.working_on_key} of the {self.working_on} indicators being worked on are "
                f"KEY; aim for at least {ACTIVE_KEY_MIN} KEY indicators among about "
                f"{ACTIVE_TARGET}."
            )
        return ""


def self_assessment_progress(assessment: Assessment) -> SelfProgress:
    levels = scale_levels(assessment.framework_version)
    top = levels[-1].code if levels else None
    indicators = {i.pk: i for i in indicators_in_order(assessment.framework_version)}
    rated = not_priority = working = working_key = full = 0
    for c in ConsensusRating.objects.filter(assessment=assessment):
        if c.level is None:
            continue
        rated += 1
        if c.not_priority:
            not_priority += 1
        elif c.level == top:
            full += 1
        else:
            working += 1
            ind = indicators.get(c.indicator_id)
            if ind is not None and ind.is_key:
                working_key += 1
    return SelfProgress(
        total=len(indicators),
        rated=rated,
        not_priority=not_priority,
        working_on=working,
        working_on_key=working_key,
        fully_implemented=full,
    )
