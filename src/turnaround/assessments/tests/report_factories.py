"""Test data for reports, priorities and comparisons, made with the ORM directly.

The frameworks app seeds the real Turnaround Practices; these factories build a small framework of
their own (its own keys, so the two never collide) with four practices of five indicators on the
four-level continuum, a second version with a renamed indicator (crosswalked with
``derived_from``), and assessments with consensus ratings, findings, evidence and amendments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from turnaround.assessments.models import (
    Amendment,
    Assessment,
    ConsensusRating,
    Evidence,
    PracticeFinding,
    Priority,
    ReviewerRating,
    TeamMember,
)
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

LEVELS = ("No evidence", "Developing", "Providing", "Sustaining")
PRACTICES = (
    ("TP1", "Leadership, shared responsibility, and professional collaboration"),
    ("TP2", "Intentional practices for improving instruction"),
    ("TP3", "Student-specific supports and instruction for all students"),
    ("TP4", "School climate and culture"),
)
#: Indicator n of each practice is KEY when n is in this set.
KEY_POSITIONS = frozenset({1, 3})


def make_scale(key: str = "report-test-continuum") -> RatingScale:
    scale, created = RatingScale.objects.get_or_create(
        state=None, key=key, defaults={"name": "Four-level continuum (test)"}
    )
    if created:
        for code, label in enumerate(LEVELS):
            ScaleLevel.objects.create(
                scale=scale, code=code, label=label, description=f"{label} (general)"
            )
    return scale


def make_framework(
    *,
    key: str = "tp-report-test",
    indicators_per_practice: int = 5,
    scale: RatingScale | None = None,
) -> FrameworkVersion:
    """Version 1 (published) of a four-practice framework; indicators TP1.1 … TP4.5."""
    scale = scale or make_scale()
    framework = Framework.objects.create(
        state=None, key=key, name="Turnaround Practices (test)", kind=Framework.Kind.SCHOOL
    )
    version = FrameworkVersion.objects.create(
        framework=framework,
        number=1,
        label="2016 rubric",
        status=FrameworkVersion.Status.PUBLISHED,
        scale=scale,
        published_at=timezone.now(),
    )
    for p_pos, (p_code, p_name) in enumerate(PRACTICES):
        practice = Practice.objects.create(
            framework_version=version, code=p_code, position=p_pos, name=p_name
        )
        component = Component.objects.create(
            practice=practice, code=f"{p_code}.A", position=0, name=f"{p_name} (all)"
        )
        for n in range(1, indicators_per_practice + 1):
            _indicator(version, component, f"{p_code}.{n}", position=p_pos * 100 + n)
    return version


def _indicator(
    version: FrameworkVersion,
    component: Component,
    code: str,
    *,
    position: int,
    derived_from: Indicator | None = None,
    text: str | None = None,
) -> Indicator:
    n = int(code.rsplit(".", 1)[1])
    indicator = Indicator.objects.create(
        component=component,
        framework_version=version,
        code=code,
        position=position,
        text=text or f"Indicator {code}: teams act on what the evidence shows",
        look_fors=f"Look-fors for {code}: agendas, data-meeting notes, regrouping lists",
        is_key=n in KEY_POSITIONS,
        derived_from=derived_from,
    )
    for level, label in enumerate(LEVELS):
        IndicatorDescriptor.objects.create(
            indicator=indicator, level_code=level, text=f"{code} at {label}: descriptor text"
        )
    return indicator


def make_next_version(
    previous: FrameworkVersion,
    *,
    renames: Mapping[str, str] | None = None,
    added: tuple[str, ...] = (),
) -> FrameworkVersion:
    """A published copy of ``previous``: each indicator derived from its original, some renamed,
    some added (``added`` codes such as ``"TP1.9"`` get no ``derived_from``)."""
    renames = dict(renames or {})
    version = FrameworkVersion.objects.create(
        framework=previous.framework,
        number=previous.number + 1,
        label="2019 rubric",
        status=FrameworkVersion.Status.PUBLISHED,
        scale=previous.scale,
        previous=previous,
        published_at=timezone.now(),
    )
    for old_practice in previous.practices.all():
        practice = Practice.objects.create(
            framework_version=version,
            code=old_practice.code,
            position=old_practice.position,
            name=old_practice.name,
        )
        for old_component in old_practice.components.all():
            component = Component.objects.create(
                practice=practice,
                code=old_component.code,
                position=old_component.position,
                name=old_component.name,
            )
            for old in old_component.indicators.all():
                _indicator(
                    version,
                    component,
                    renames.get(old.code, old.code),
                    position=old.position,
                    derived_from=old,
                    text=old.text,
                )
            for code in added:
                if code.startswith(practice.code + "."):
                    _indicator(version, component, code, position=999)
    return version


def make_assessment(
    *,
    school: Any,
    version: FrameworkVersion,
    lead: Any,
    levels: Mapping[str, int | None],
    status: str = Assessment.Status.FINALISED,
    kind: str = Assessment.Kind.SITE_VISIT,
    school_year: str = "2025-26",
    start: dt.date = dt.date(2025, 10, 14),
    reviewers: tuple[Any, ...] = (),
    rationales: Mapping[str, str] | None = None,
    evidence_note: str = "SECRET-NOTE teachers said regrouping happens only after unit tests",
    executive_summary: str = "The school has built a leadership team that meets weekly.",
    findings: bool = True,
) -> Assessment:
    """An assessment with a consensus rating for every code in ``levels`` (None = not rated),
    one evidence item linked to each rated indicator, and findings for every practice."""
    rationales = dict(rationales or {})
    finalised = status == Assessment.Status.FINALISED
    assessment = Assessment.objects.create(
        kind=kind,
        status=status,
        school=school,
        framework_version=version,
        title=f"{school.name} site visit {school_year}",
        school_year=school_year,
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        executive_summary=executive_summary,
        created_by=lead,
        finalised_at=timezone.now() if finalised else None,
        finalised_by=lead if finalised else None,
    )
    TeamMember.objects.create(assessment=assessment, user=lead, role=TeamMember.Role.LEAD)
    for reviewer in reviewers:
        TeamMember.objects.create(
            assessment=assessment, user=reviewer, role=TeamMember.Role.REVIEWER
        )
    indicators = {i.code: i for i in version.indicators.all()}
    for code, level in levels.items():
        indicator = indicators[code]
        rating = ConsensusRating.objects.create(
            assessment=assessment,
            indicator=indicator,
            level=level,
            rationale=rationales.get(code, f"Rationale for {code}" if level is not None else ""),
            recorded_by=lead,
        )
        if level is not None:
            evidence = Evidence.objects.create(
                assessment=assessment,
                kind=Evidence.Kind.FOCUS_GROUP,
                source="grade 4 teachers",
                note=f"{evidence_note} ({code})",
                collected_by=lead,
            )
            evidence.indicators.add(indicator)
            rating.evidence.add(evidence)
            ReviewerRating.objects.create(
                assessment=assessment,
                indicator=indicator,
                reviewer=lead,
                level=level,
                rationale="REVIEWER-PRIVATE own rationale",
            )
    if findings:
        for practice in version.practices.all():
            PracticeFinding.objects.create(
                assessment=assessment,
                practice=practice,
                strengths=f"Strength in {practice.code}: weekly team meetings",
                challenges=f"Challenge in {practice.code}: data not used to regroup",
            )
    return assessment


def all_levels(version: FrameworkVersion, level: int | None) -> dict[str, int | None]:
    return dict.fromkeys(version.indicators.values_list("code", flat=True), level)


def add_amendment(assessment: Assessment, *, by: Any, code: str, before: int, after: int) -> None:
    Amendment.objects.create(
        assessment=assessment,
        target=f"rating {code}",
        before={"level": before},
        after={"level": after},
        reason="The district supplied the regrouping schedule after the visit.",
        made_by=by,
    )


def add_priority(assessment: Assessment, *, rank: int, code: str, **extra: Any) -> Priority:
    indicator = assessment.framework_version.indicators.get(code=code)
    return Priority.objects.create(
        assessment=assessment,
        rank=rank,
        practice=indicator.component.practice,
        indicator=indicator,
        title=extra.pop("title", f"Priority on {code}"),
        why=extra.pop("why", f"{code} rated low"),
        **extra,
    )
