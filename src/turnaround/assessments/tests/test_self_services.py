"""Self-assessments: who may start and rate one, the Indistar-style rules (not a priority with a
reason, priority and opportunity scores), progress counts, finalising and locking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from turnaround.assessments import services
from turnaround.assessments.models import Assessment, ConsensusRating, TeamMember
from turnaround.assessments.selectors import self_assessment_progress
from turnaround.assessments.tests import factories as f
from turnaround.frameworks.models import Framework

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(db):
    scale = f.scale_create(key="implementation", labels=f.IMPLEMENTATION, allows_not_priority=True)
    return f.framework_version_create(name="Rapid improvement", key="ri", scale=scale, prefix="RI")


@pytest.fixture
def self_assessment(org, personas, version):
    a = services.assessment_create(
        actor=personas.school_leader,
        kind="self",
        school=org.school,
        framework_version=version,
        start_date=dt.date(2026, 1, 12),
        end_date=dt.date(2026, 2, 20),
    )
    return services.assessment_start(actor=personas.school_leader, assessment=a)


def test_school_leader_starts_a_self_assessment_and_holds_a_seat(org, personas, version):
    a = services.assessment_create(
        actor=personas.school_leader,
        kind="self",
        school=org.school,
        framework_version=version,
        start_date=dt.date(2026, 1, 12),
        end_date=dt.date(2026, 2, 20),
    )
    a.refresh_from_db()
    assert a.kind == "self" and a.title == "Self-assessment: Adams Elementary, 2025-26"
    assert list(a.team.values_list("user__username", "role")) == [("principal", "school_team")]


@pytest.mark.parametrize("persona", ["district_leader", "state_staff", "state_admin"])
def test_district_and_state_may_start_a_schools_self_assessment(org, personas, version, persona):
    a = services.assessment_create(
        actor=getattr(personas, persona),
        kind="self",
        school=org.school,
        framework_version=version,
        start_date=dt.date(2026, 1, 12),
        end_date=dt.date(2026, 1, 12),
    )
    assert Assessment.objects.filter(pk=a.pk).exists()


@pytest.mark.parametrize(
    "persona", ["reviewer", "viewer", "partner_staff", "outsider", "other_state_admin"]
)
def test_others_may_not_start_a_self_assessment(org, personas, version, persona):
    with pytest.raises(PermissionDenied) as exc:
        services.assessment_create(
            actor=getattr(personas, persona),
            kind="self",
            school=org.school,
            framework_version=version,
            start_date=dt.date(2026, 1, 12),
            end_date=dt.date(2026, 1, 12),
        )
    assert str(exc.value) == (
        "Only the leaders of Adams Elementary or state staff can start its self-assessment."
    )
    assert not Assessment.objects.exists()


def test_a_school_leader_cannot_assess_another_school(org, personas, version):
    with pytest.raises(PermissionDenied):
        services.assessment_create(
            actor=personas.school_leader,
            kind="self",
            school=org.school_hs,
            framework_version=version,
            start_date=dt.date(2026, 1, 12),
            end_date=dt.date(2026, 1, 12),
        )
    assert not Assessment.objects.exists()


def test_a_district_framework_is_refused_for_a_school(org, personas):
    district_version = f.framework_version_create(
        name="District capacity", key="dc", kind=Framework.Kind.DISTRICT, prefix="DS"
    )
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(
            actor=personas.school_leader,
            kind="self",
            school=org.school,
            framework_version=district_version,
            start_date=dt.date(2026, 1, 12),
            end_date=dt.date(2026, 1, 12),
        )
    assert exc.value.message_dict == {
        "framework_version": [
            "District capacity v1 is a district capacity framework; a school is assessed against "
            "a school practices framework."
        ]
    }


def test_a_district_self_assessment(org, personas):
    district_version = f.framework_version_create(
        name="District capacity", key="dc", kind=Framework.Kind.DISTRICT, prefix="DS"
    )
    a = services.assessment_create(
        actor=personas.district_leader,
        kind="self",
        district=org.district,
        framework_version=district_version,
        start_date=dt.date(2026, 1, 12),
        end_date=dt.date(2026, 1, 30),
    )
    assert a.district == org.district and a.school is None


def test_not_a_priority_only_at_the_lowest_level_with_a_reason(self_assessment, personas):
    kwargs = {"actor": personas.school_leader, "assessment": self_assessment, "indicator": "RI1.1"}
    with pytest.raises(ValidationError) as exc:
        services.consensus_rating_save(
            **kwargs,
            level=1,
            rationale="Partly in place",
            not_priority=True,
            not_priority_reason="Later",
        )
    assert exc.value.message_dict == {
        "not_priority": [
            "Only an indicator rated at the lowest level (0 No development) can be marked not a "
            "priority."
        ]
    }
    with pytest.raises(ValidationError) as exc:
        services.consensus_rating_save(
            **kwargs, level=0, rationale="Not started", not_priority=True
        )
    assert exc.value.message_dict == {
        "not_priority_reason": ["Say why this indicator is not a priority."]
    }
    with pytest.raises(ValidationError) as exc:
        services.consensus_rating_save(
            **kwargs,
            level=0,
            rationale="Not started",
            not_priority=True,
            not_priority_reason="The district runs this for us.",
            priority_score=2,
        )
    assert exc.value.message_dict == {
        "priority_score": [
            "An indicator marked not a priority takes no priority or opportunity score."
        ]
    }
    with pytest.raises(ValidationError) as exc:
        services.consensus_rating_save(
            **kwargs, level=1, rationale="Partly", priority_score=2, opportunity_score=0
        )
    assert exc.value.message_dict == {
        "opportunity_score": ["The opportunity score is 1, 2 or 3 (it was 0)."]
    }
    assert not ConsensusRating.objects.exists()
    row = services.consensus_rating_save(
        **kwargs,
        level=0,
        rationale="Not started",
        not_priority=True,
        not_priority_reason="The district runs this for us.",
    )
    assert row.not_priority and row.not_priority_reason == "The district runs this for us."


def test_self_ratings_need_a_rationale_but_no_evidence(self_assessment, personas):
    with pytest.raises(ValidationError) as exc:
        services.consensus_rating_save(
            actor=personas.school_leader, assessment=self_assessment, indicator="RI1.1", level=2
        )
    assert exc.value.message_dict == {
        "rationale": ["A rating needs a rationale: say what the evidence shows."]
    }
    row = services.consensus_rating_save(
        actor=personas.school_leader,
        assessment=self_assessment,
        indicator="RI1.1",
        level=2,
        rationale="Observation schedule and feedback logs in every grade.",
    )
    assert row.level == 2 and row.recorded_by == personas.school_leader


def test_reviewer_ratings_do_not_exist_on_self_assessments(self_assessment, personas):
    with pytest.raises(ValidationError) as exc:
        services.reviewer_rating_save(
            actor=personas.school_leader, assessment=self_assessment, indicator="RI1.1", level=None
        )
    assert exc.value.messages == [
        "A self-assessment has no individual reviewer ratings; record the team's rating."
    ]


def test_progress_counts_what_the_team_works_on(self_assessment, personas):
    save = services.consensus_rating_save
    common = {"actor": personas.school_leader, "assessment": self_assessment}
    save(
        **common,
        indicator="RI1.1",
        level=1,
        rationale="Partly",
        priority_score=3,
        opportunity_score=2,
    )
    save(
        **common,
        indicator="RI1.2",
        level=0,
        rationale="No",
        not_priority=True,
        not_priority_reason="Not now",
    )
    save(**common, indicator="RI2.1", level=2, rationale="Full implementation, sustained.")
    save(**common, indicator="RI2.2", level=0, rationale="Not started", priority_score=2)
    progress = self_assessment_progress(self_assessment)
    assert (progress.total, progress.rated, progress.not_priority) == (4, 4, 1)
    assert (progress.working_on, progress.working_on_key, progress.fully_implemented) == (2, 1, 1)


def test_team_finalises_without_consensus_step_then_it_is_locked(self_assessment, personas):
    for code in ("RI1.1", "RI1.2", "RI2.1"):
        services.consensus_rating_save(
            actor=personas.school_leader,
            assessment=self_assessment,
            indicator=code,
            level=1,
            rationale="Partly in place.",
        )
    with pytest.raises(ValidationError) as exc:
        services.assessment_finalise(actor=personas.school_leader, assessment=self_assessment)
    assert exc.value.messages == ["Cannot finalise yet: RI2.2 has no consensus rating."]
    services.consensus_rating_save(
        actor=personas.school_leader,
        assessment=self_assessment,
        indicator="RI2.2",
        level=None,
        rationale="Not assessed this year: the programme starts next term.",
    )
    with pytest.raises(PermissionDenied):
        services.assessment_finalise(actor=personas.reviewer, assessment=self_assessment)
    services.assessment_finalise(actor=personas.school_leader, assessment=self_assessment)
    stored = Assessment.objects.get(pk=self_assessment.pk)
    assert stored.status == "finalised"
    with pytest.raises(services.AssessmentLockedError) as exc:
        services.consensus_rating_save(
            actor=personas.school_leader,
            assessment=self_assessment,
            indicator="RI2.2",
            level=1,
            rationale="x",
        )
    assert str(exc.value).startswith("This self-assessment was finalised on ")
    assert str(exc.value).endswith("; amend it with a reason.")
    # amending a self-assessment is for the state (can_manage), not the school
    with pytest.raises(PermissionDenied):
        services.assessment_amend(
            actor=personas.school_leader,
            assessment=self_assessment,
            reason="Typo",
            indicator="RI2.2",
            changes={"rationale": "Changed"},
        )
    amendment = services.assessment_amend(
        actor=personas.state_staff,
        assessment=self_assessment,
        reason="The school asked to correct the note.",
        indicator="RI2.2",
        changes={"rationale": "Not assessed: programme starts in the spring term."},
    )
    assert amendment.after == {"rationale": "Not assessed: programme starts in the spring term."}


def test_self_assessment_team_holds_only_school_team_seats(self_assessment, personas):
    with pytest.raises(ValidationError) as exc:
        services.team_member_add(
            actor=personas.school_leader,
            assessment=self_assessment,
            user=personas.reviewer,
            role="reviewer",
        )
    assert exc.value.message_dict == {
        "role": ["A self-assessment's team is the school's or district's own team."]
    }
    seat = services.team_member_add(
        actor=personas.school_leader,
        assessment=self_assessment,
        user=personas.district_leader,
        role="school_team",
    )
    assert seat.role == TeamMember.Role.SCHOOL_TEAM
