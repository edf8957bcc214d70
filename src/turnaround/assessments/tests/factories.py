"""Small builders for assessment tests: framework versions straight through the ORM (until the
frameworks app's seed exists) and assessments at each stage through the services."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from turnaround.assessments import services
from turnaround.assessments.models import Assessment, TeamMember
from turnaround.frameworks.models import (
    Component,
    Framework,
    FrameworkVersion,
    Indicator,
    IndicatorDescriptor,
    Practice,
    RatingScale,
    ScaleLevel,
)

CONTINUUM = ("No evidence", "Developing", "Providing", "Sustaining")
IMPLEMENTATION = ("No development", "Limited development", "Full implementation")


def scale_create(
    *, key: str = "continuum", labels: tuple[str, ...] = CONTINUUM, allows_not_priority=False
) -> RatingScale:
    scale, created = RatingScale.objects.get_or_create(
        state=None,
        key=key,
        defaults={"name": f"Scale {key}", "allows_not_priority": allows_not_priority},
    )
    if created:
        ScaleLevel.objects.bulk_create(
            [ScaleLevel(scale=scale, code=i, label=label) for i, label in enumerate(labels)]
        )
    return scale


def framework_version_create(
    *,
    name: str = "Turnaround Practices",
    key: str = "tp-school",
    number: int = 1,
    kind: str = Framework.Kind.SCHOOL,
    status: str = FrameworkVersion.Status.PUBLISHED,
    scale: RatingScale | None = None,
    practices: int = 2,
    indicators_per_practice: int = 2,
    prefix: str = "TP",
) -> FrameworkVersion:
    """``practices`` practices TP1…, one component each, ``indicators_per_practice`` indicators
    (TP1.1, TP1.2, …; the first of each practice is KEY), a descriptor per level."""
    framework, _ = Framework.objects.get_or_create(
        state=None, key=key, defaults={"name": name, "kind": kind}
    )
    scale = scale or scale_create()
    version = FrameworkVersion.objects.create(
        framework=framework,
        number=number,
        status=status,
        scale=scale,
        published_at=None if status == FrameworkVersion.Status.DRAFT else timezone.now(),
    )
    levels = list(scale.levels.order_by("code"))
    for p in range(1, practices + 1):
        practice = Practice.objects.create(
            framework_version=version, code=f"{prefix}{p}", position=p, name=f"Practice {p}"
        )
        component = Component.objects.create(
            practice=practice, code=f"{prefix}{p}.A", position=1, name=f"Component {p}.A"
        )
        for i in range(1, indicators_per_practice + 1):
            indicator = Indicator.objects.create(
                component=component,
                framework_version=version,
                code=f"{prefix}{p}.{i}",
                position=i,
                text=f"Indicator {p}.{i}: adults do the thing well.",
                is_key=i == 1,
            )
            IndicatorDescriptor.objects.bulk_create(
                [
                    IndicatorDescriptor(
                        indicator=indicator,
                        level_code=lvl.code,
                        text=f"{prefix}{p}.{i} at {lvl.label.lower()}",
                    )
                    for lvl in levels
                ]
            )
    return version


def indicator_codes(version: FrameworkVersion) -> list[str]:
    return list(
        Indicator.objects.filter(framework_version=version)
        .order_by("code")
        .values_list("code", flat=True)
    )


VISIT_START = dt.date(2026, 3, 10)


def visit_create(
    *,
    org: Any,
    personas: Any,
    version: FrameworkVersion,
    start: dt.date = VISIT_START,
    days: int = 2,
    school: Any = None,
    reviewers: tuple[Any, ...] = (),
    school_team: tuple[Any, ...] = (),
) -> Assessment:
    """A planned site visit led by state staff, with ``reviewers`` seated."""
    visit = services.assessment_create(
        actor=personas.state_admin,
        kind=Assessment.Kind.SITE_VISIT,
        school=school or org.school,
        framework_version=version,
        start_date=start,
        end_date=start + dt.timedelta(days=days - 1),
        lead=personas.state_staff,
    )
    for user in reviewers:
        services.team_member_add(
            actor=personas.state_staff, assessment=visit, user=user, role=TeamMember.Role.REVIEWER
        )
    for user in school_team:
        services.team_member_add(
            actor=personas.state_staff,
            assessment=visit,
            user=user,
            role=TeamMember.Role.SCHOOL_TEAM,
        )
    return Assessment.objects.get(pk=visit.pk)


def evidence_add(actor: Any, assessment: Assessment, codes: list[str], note: str = "") -> Any:
    evidence, _ = services.evidence_save(
        actor=actor,
        assessment=assessment,
        client_id=uuid.uuid4(),
        kind="interview",
        source="grade 4 teachers",
        note=note or f"Teachers describe common planning for {', '.join(codes)}.",
        indicator_codes=codes,
    )
    return evidence


def visit_rated(
    *, org: Any, personas: Any, version: FrameworkVersion, levels: dict[str, tuple[int, int]]
) -> Assessment:
    """An in-progress visit where the lead and the reviewer rated (lead level, reviewer level)."""
    visit = visit_create(
        org=org, personas=personas, version=version, reviewers=(personas.reviewer,)
    )
    visit = services.assessment_start(actor=personas.state_staff, assessment=visit)
    codes = list(levels)
    evidence = evidence_add(personas.reviewer, visit, codes)
    for code, (lead_level, reviewer_level) in levels.items():
        for user, level in (
            (personas.state_staff, lead_level),
            (personas.reviewer, reviewer_level),
        ):
            services.reviewer_rating_save(
                actor=user,
                assessment=visit,
                indicator=code,
                level=level,
                rationale="What the teachers said and the plans show.",
                evidence_ids=[evidence.pk],
            )
    return Assessment.objects.get(pk=visit.pk)


def visit_finalised(*, org: Any, personas: Any, version: FrameworkVersion) -> Assessment:
    """A finalised visit: every indicator rated 1 (Developing) by consensus, with findings."""
    codes = indicator_codes(version)
    visit = visit_rated(
        org=org, personas=personas, version=version, levels=dict.fromkeys(codes, (1, 2))
    )
    services.assessment_move_to_consensus(actor=personas.state_staff, assessment=visit)
    evidence = visit.evidence.first()
    for code in codes:
        services.consensus_rating_save(
            actor=personas.state_staff,
            assessment=visit,
            indicator=code,
            level=1,
            rationale="Developing: plans exist, practice is uneven.",
            strengths="Common planning time.",
            challenges="Feedback is rare.",
            evidence_ids=[evidence.pk],
        )
    services.practice_finding_save(
        actor=personas.state_staff,
        assessment=visit,
        practice="TP1",
        strengths="A shared vision.",
        challenges="Teams do not yet use data.",
    )
    services.assessment_finalise(actor=personas.state_staff, assessment=visit)
    return Assessment.objects.get(pk=visit.pk)


def self_assessment_create(*, org: Any, personas: Any, version: FrameworkVersion) -> Assessment:
    return services.assessment_create(
        actor=personas.school_leader,
        kind=Assessment.Kind.SELF,
        school=org.school,
        framework_version=version,
        start_date=dt.date(2026, 1, 12),
        end_date=dt.date(2026, 2, 20),
    )
