"""Fixtures of the framework tests: the seeds loaded, a state's copy, ratings on indicators."""

from __future__ import annotations

import datetime as dt

import pytest

from turnaround.frameworks.models import FrameworkVersion, Indicator
from turnaround.frameworks.seed import frameworks_seed
from turnaround.frameworks.selectors import TURNAROUND_PRACTICES
from turnaround.frameworks.services import framework_copy_to_state, framework_version_publish


@pytest.fixture
def seeded(db):
    return frameworks_seed()


@pytest.fixture
def tp(seeded) -> FrameworkVersion:
    """The shared Turnaround Practices, published v1."""
    return FrameworkVersion.objects.select_related("framework", "scale").get(
        framework__key=TURNAROUND_PRACTICES, framework__state__isnull=True, number=1
    )


@pytest.fixture
def ma_draft(tp, org, personas) -> FrameworkVersion:
    """Massachusetts' own copy of the Turnaround Practices: draft v1."""
    return framework_copy_to_state(actor=personas.state_admin, version=tp, state=org.state)


@pytest.fixture
def ma_published(ma_draft, personas) -> FrameworkVersion:
    framework_version_publish(actor=personas.state_admin, version=ma_draft)
    ma_draft.refresh_from_db()
    return ma_draft


@pytest.fixture
def rate(org, personas):
    """``rate(indicator, n=1)`` records consensus ratings of ``indicator`` in ``n`` assessments."""
    from turnaround.assessments.models import Assessment, ConsensusRating

    def make(indicator: Indicator, n: int = 1) -> list[Assessment]:
        made = []
        for k in range(n):
            assessment = Assessment.objects.create(
                kind=Assessment.Kind.SITE_VISIT,
                school=org.school,
                framework_version=indicator.framework_version,
                title=f"Visit {k + 1}",
                school_year="2025-26",
                start_date=dt.date(2025, 10, 1),
                end_date=dt.date(2025, 10, 2),
                created_by=personas.state_admin,
            )
            ConsensusRating.objects.create(
                assessment=assessment,
                indicator=indicator,
                level=2,
                rationale="Seen in three classrooms.",
                recorded_by=personas.state_admin,
            )
            made.append(assessment)
        return made

    return make
