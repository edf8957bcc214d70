"""The demo assessments: two finalised visits a year apart, one in progress, a self-assessment;
consistent with the services' rules, fast, and created once."""

from __future__ import annotations

import time

import pytest

from turnaround.assessments.demo import assessments_demo_create, assessments_demo_delete
from turnaround.assessments.models import Assessment, ConsensusRating, ReviewerRating
from turnaround.assessments.selectors import finalise_blockers, indicator_disagreement
from turnaround.assessments.tests import factories as f

pytestmark = pytest.mark.django_db


def test_demo_assessments(org, personas, client_for):
    version = f.framework_version_create(practices=4, indicators_per_practice=6)
    users = {
        "state_admin": personas.state_admin,
        "state_staff": personas.state_staff,
        "reviewer": personas.reviewer,
        "school_leader": personas.school_leader,
        "district_leader": personas.district_leader,
    }
    started = time.perf_counter()
    assessments_demo_create(state=org.state, framework_version=version, users=users)
    assert time.perf_counter() - started < 2.0
    visits = list(
        Assessment.objects.filter(kind="site_visit", status="finalised").order_by("start_date")
    )
    assert len(visits) == 2 and {v.school for v in visits} == {org.school}
    assert 350 <= (visits[1].start_date - visits[0].start_date).days <= 370
    for visit in visits:
        assert finalise_blockers(visit) == []
        assert ConsensusRating.objects.filter(assessment=visit).count() == 24
        assert visit.schedule.count() == 8 and visit.findings.count() == 4
        rows = indicator_disagreement(visit)
        assert any(r.disagree for r in rows) and not all(r.disagree for r in rows)
        rated = ReviewerRating.objects.filter(assessment=visit).exclude(level=None)
        assert all(r.rationale and r.evidence.exists() for r in rated)
    levels = [
        sum(c.level or 0 for c in ConsensusRating.objects.filter(assessment=v)) for v in visits
    ]
    assert levels[1] > levels[0]  # the later visit shows progress
    current = Assessment.objects.get(kind="site_visit", status="in_progress")
    assert current.school == org.school_hs
    own = Assessment.objects.get(kind="self")
    assert own.school == org.school and own.consensus_ratings.count() == 12
    # the personas see what they should
    assert (
        client_for(personas.reviewer).get(f"/assessments/{current.pk}/ratings/").status_code == 200
    )
    assert (
        client_for(personas.school_leader).get(f"/assessments/{visits[1].pk}/").status_code == 200
    )
    assert client_for(personas.school_leader).get(f"/assessments/{current.pk}/").status_code == 404
    # running it again changes nothing; the delete helper clears them
    assessments_demo_create(state=org.state, framework_version=version, users=users)
    assert Assessment.objects.count() == 4
    assert assessments_demo_delete(state=org.state) == 4
    assert not Assessment.objects.exists()
