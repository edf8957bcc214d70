"""Vetting services: cycles, criteria, status moves, applications, reviews with conflicts, scores,
decisions and designations. Every refusal is checked for its message *and* for nothing written.

The helpers at the top (``make_cycle``, ``make_application``, ``reviewed``) are shared by the
pages, API and persona tests of vetting.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from turnaround.accounts.models import Membership, Role
from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError
from turnaround.partners.models import (
    Application,
    Criterion,
    Decision,
    EvidenceClaim,
    PriorityDesignation,
    ReviewAssignment,
    Score,
    VettingCycle,
)
from turnaround.partners.services import vetting as svc

TODAY = dt.date.today()
DESIGNATION_START = dt.date(2027, 7, 1)


# ---------------------------------------------------------------------------------------------
# Shared helpers


def make_cycle(
    org: Any,
    personas: Any,
    *,
    status: str = "open",
    name: str = "Priority Partners 2027",
    areas: tuple[str, ...] = ("instruction", "leadership", "data_use"),
    criteria: tuple[tuple[str, str], ...] = (("Track record", "2"), ("Approach", "1")),
    **kwargs: Any,
) -> VettingCycle:
    """A cycle of MA with two weighted criteria, moved to ``status`` (draft, open or review)."""
    admin = personas.state_admin
    values = {
        "opens_on": TODAY - dt.timedelta(days=10),
        "closes_on": TODAY + dt.timedelta(days=30),
        "designation_starts_on": DESIGNATION_START,
        "designation_years": 3,
        "scale_min": 1,
        "scale_max": 4,
        "approval_threshold": Decimal("2.5"),
        **kwargs,
    }
    cycle = svc.cycle_create(actor=admin, state=org.state, name=name, need_areas=areas, **values)
    for criterion, weight in criteria:
        svc.criterion_add(actor=admin, cycle=cycle, name=criterion, weight=weight)
    if status in ("open", "review"):
        cycle = svc.cycle_open(actor=admin, cycle=cycle)
    if status == "review":
        cycle = svc.cycle_start_review(actor=admin, cycle=cycle)
    return cycle


def make_application(
    cycle: VettingCycle,
    org: Any,
    personas: Any,
    *,
    other: bool = False,
    submit: bool = True,
    areas: tuple[str, ...] = ("instruction", "leadership"),
    evidence: tuple[EvidenceClaim, ...] = (),
) -> Application:
    staff = personas.other_partner_staff if other else personas.partner_staff
    partner = org.other_partner if other else org.partner
    application = svc.application_create(
        actor=staff,
        cycle=cycle,
        partner=partner,
        need_areas=areas,
        grade_bands=["elementary"],
        track_record="Twelve schools in three districts since 2015.",
        measured_results="Proficiency rose 8 points in two years (state test, audited).",
        approach="Coaching cycles with teacher teams, weekly data meetings.",
        evidence=evidence,
    )
    if submit:
        application = svc.application_submit(actor=staff, application=application)
    return application


def claim(partner: Any, area: str = "instruction", tier: int = 2, confirmed: int | None = None):
    return EvidenceClaim.objects.create(
        partner=partner,
        need_area=area,
        claim=f"Improves {area}",
        outcome_domain="mathematics achievement",
        design="qed",
        tier=tier,
        confirmed_tier=confirmed,
        summary="A matched comparison of 20 schools.",
    )


def reviewed(org: Any, personas: Any, **kwargs: Any) -> SimpleNamespace:
    """A cycle in review with one submitted application of ``org.partner`` and two reviewers
    assigned (state staff and the reviewer persona), neither declared yet."""
    cycle = make_cycle(org, personas, status="open", **kwargs)
    application = make_application(cycle, org, personas)
    admin = personas.state_admin
    r1 = svc.review_assign(actor=admin, application=application, reviewer=personas.reviewer)
    r2 = svc.review_assign(actor=admin, application=application, reviewer=personas.state_staff)
    cycle = svc.cycle_start_review(actor=admin, cycle=cycle)
    criteria = list(cycle.criteria.all())
    return SimpleNamespace(cycle=cycle, application=application, r1=r1, r2=r2, criteria=criteria)


def score_and_submit(review: ReviewAssignment, user: Any, values: list[int]) -> ReviewAssignment:
    review = svc.review_declare_conflict(actor=user, review=review, conflict="none")
    criteria = list(review.application.cycle.criteria.all())
    svc.review_score(
        actor=user,
        review=review,
        scores=[
            svc.ScoreInput(criterion_id=c.pk, score=v)
            for c, v in zip(criteria, values, strict=True)
        ],
    )
    return svc.review_submit(actor=user, review=review)


# ---------------------------------------------------------------------------------------------
# Cycles


def test_cycle_create_is_audited(org, personas):
    cycle = make_cycle(org, personas, status="draft")
    assert cycle.status == "draft"
    assert cycle.need_areas == ["instruction", "leadership", "data_use"]
    assert cycle.approval_threshold == Decimal("2.50")
    event = AuditEvent.objects.get(object_type="partners.VettingCycle", action="create")
    assert event.state_id == org.state.pk
    assert event.actor == personas.state_admin


@pytest.mark.parametrize("who", ["state_staff", "other_state_admin", "partner_staff", "outsider"])
def test_only_the_states_admins_create_cycles(org, personas, who):
    with pytest.raises(PermissionDenied, match="state administrator of Massachusetts"):
        svc.cycle_create(
            actor=getattr(personas, who),
            state=org.state,
            name="X",
            need_areas=["instruction"],
            opens_on=TODAY,
            closes_on=TODAY,
            designation_starts_on=TODAY,
        )
    assert not VettingCycle.objects.exists()


def test_cycle_values_are_checked_field_by_field(org, personas):
    with pytest.raises(ValidationError) as exc:
        svc.cycle_create(
            actor=personas.state_admin,
            state=org.state,
            name=" ",
            need_areas=["instruction", "astrology"],
            opens_on=TODAY,
            closes_on=TODAY - dt.timedelta(days=1),
            designation_starts_on=TODAY,
            scale_min=4,
            scale_max=4,
            designation_years=11,
        )
    errors = exc.value.message_dict
    assert set(errors) == {"name", "need_areas", "closes_on", "scale_max", "designation_years"}
    assert "“astrology” is not a need area" in errors["need_areas"][0]
    assert "before they open" in errors["closes_on"][0]
    assert "above the lowest" in errors["scale_max"][0]
    assert "from 1 to 10" in errors["designation_years"][0]
    assert not VettingCycle.objects.exists()
    assert not AuditEvent.objects.filter(object_type="partners.VettingCycle").exists()


def test_threshold_must_lie_on_the_scale(org, personas):
    with pytest.raises(ValidationError) as exc:
        make_cycle(org, personas, status="draft", approval_threshold="4.5")
    assert "from 1 to 4" in exc.value.message_dict["approval_threshold"][0]
    with pytest.raises(ValidationError):
        make_cycle(org, personas, status="draft", designation_years=0)
    assert not VettingCycle.objects.exists()


def test_cycle_names_are_unique_within_a_state(org, personas):
    make_cycle(org, personas, status="draft")
    with pytest.raises(ValidationError) as exc:
        make_cycle(org, personas, status="draft")
    assert "already has a cycle named" in exc.value.message_dict["name"][0]


def test_cycle_update_is_versioned(org, personas):
    cycle = make_cycle(org, personas, status="draft")
    loaded = cycle.version
    updated = svc.cycle_update(
        actor=personas.state_admin, cycle=cycle, name="Renamed", expected_version=loaded
    )
    assert updated.name == "Renamed"
    assert updated.version == loaded + 1
    with pytest.raises(StaleEditError):
        svc.cycle_update(
            actor=personas.state_admin, cycle=cycle, name="Again", expected_version=loaded
        )
    assert VettingCycle.objects.get(pk=cycle.pk).name == "Renamed"


def test_scale_and_areas_are_fixed_in_review(org, personas):
    cycle = make_cycle(org, personas, status="review")
    with pytest.raises(ValidationError) as exc:
        svc.cycle_update(
            actor=personas.state_admin, cycle=cycle, scale_max=5, need_areas=["leadership"]
        )
    assert set(exc.value.message_dict) == {"scale_max", "need_areas"}
    # the threshold may still change
    svc.cycle_update(actor=personas.state_admin, cycle=cycle, approval_threshold="3")
    assert VettingCycle.objects.get(pk=cycle.pk).approval_threshold == Decimal("3.00")


def test_an_area_somebody_applied_for_stays(org, personas):
    cycle = make_cycle(org, personas)
    make_application(cycle, org, personas, submit=False, areas=("leadership",))
    with pytest.raises(ValidationError, match="applied for Leadership"):
        svc.cycle_update(actor=personas.state_admin, cycle=cycle, need_areas=["instruction"])
    svc.cycle_update(
        actor=personas.state_admin, cycle=cycle, need_areas=["instruction", "leadership"]
    )


# ---------------------------------------------------------------------------------------------
# Status moves and criteria


def test_status_moves_name_the_allowed_move(org, personas):
    cycle = make_cycle(org, personas, status="draft")
    with pytest.raises(ValidationError) as exc:
        svc.cycle_start_review(actor=personas.state_admin, cycle=cycle)
    message = exc.value.message_dict["status"][0]
    assert "can move only to “open”" in message
    assert VettingCycle.objects.get(pk=cycle.pk).status == "draft"
    with pytest.raises(ValidationError, match="not a status; allowed: draft, open, review"):
        svc.cycle_set_status(actor=personas.state_admin, cycle=cycle, status="closed")


def test_a_cycle_opens_only_with_criteria(org, personas):
    cycle = make_cycle(org, personas, status="draft", criteria=())
    with pytest.raises(ValidationError, match="at least one weighted criterion"):
        svc.cycle_open(actor=personas.state_admin, cycle=cycle)
    assert VettingCycle.objects.get(pk=cycle.pk).status == "draft"


def test_status_moves_through_to_decided(org, personas):
    s = reviewed(org, personas)
    with pytest.raises(ValidationError, match="still undecided: Acme Turnaround Partners"):
        svc.cycle_mark_decided(actor=personas.state_admin, cycle=s.cycle)
    svc.decision_record(
        actor=personas.state_admin,
        application=s.application,
        outcome="declined",
        rationale="Too little evidence of results.",
    )
    cycle = svc.cycle_mark_decided(actor=personas.state_admin, cycle=s.cycle)
    assert cycle.status == "decided"
    with pytest.raises(ValidationError, match="decided; its status does not change"):
        svc.cycle_open(actor=personas.state_admin, cycle=cycle)
    with pytest.raises(ValidationError, match="decided"):
        svc.cycle_update(actor=personas.state_admin, cycle=cycle, name="Changed")


def test_status_moves_need_the_states_admin(org, personas):
    cycle = make_cycle(org, personas, status="draft")
    with pytest.raises(PermissionDenied):
        svc.cycle_open(actor=personas.other_state_admin, cycle=cycle)
    with pytest.raises(PermissionDenied):
        svc.cycle_open(actor=personas.state_staff, cycle=cycle)


def test_criteria_weights_and_freeze(org, personas):
    cycle = make_cycle(org, personas, status="draft", criteria=())
    admin = personas.state_admin
    for bad in ("0", "-1", "abc", "1000"):
        with pytest.raises(ValidationError) as exc:
            svc.criterion_add(actor=admin, cycle=cycle, name="Results", weight=bad)
        assert "weight" in exc.value.message_dict
    assert not Criterion.objects.exists()
    first = svc.criterion_add(actor=admin, cycle=cycle, name="Results", weight="1.5")
    second = svc.criterion_add(actor=admin, cycle=cycle, name="Capacity", weight=1)
    assert (first.order, second.order) == (0, 1)
    with pytest.raises(ValidationError, match="already has a criterion"):
        svc.criterion_add(actor=admin, cycle=cycle, name="Results", weight=1)
    svc.criterion_update(actor=admin, criterion=second, weight="3")
    assert Criterion.objects.get(pk=second.pk).weight == Decimal("3.00")
    svc.criterion_delete(actor=admin, criterion=second)
    assert list(cycle.criteria.values_list("name", flat=True)) == ["Results"]
    svc.cycle_open(actor=admin, cycle=cycle)
    with pytest.raises(ValidationError, match="keeps at least one criterion"):
        svc.criterion_delete(actor=admin, criterion=first)
    svc.cycle_start_review(actor=admin, cycle=cycle)
    with pytest.raises(ValidationError, match="fixed once the cycle is in review"):
        svc.criterion_add(actor=admin, cycle=cycle, name="Late", weight=1)
    with pytest.raises(ValidationError, match="fixed once the cycle is in review"):
        svc.criterion_update(actor=admin, criterion=first, weight=2)
    assert Criterion.objects.get(pk=first.pk).weight == Decimal("1.50")


# ---------------------------------------------------------------------------------------------
# Applications


def test_application_lifecycle(org, personas):
    cycle = make_cycle(org, personas)
    own = claim(org.partner)
    application = make_application(cycle, org, personas, submit=False, evidence=(own,))
    assert application.status == "draft"
    assert list(application.evidence.all()) == [own]
    loaded = application.version
    application = svc.application_update(
        actor=personas.partner_staff,
        application=application,
        approach="A new approach.",
        expected_version=loaded,
    )
    assert application.version == loaded + 1
    with pytest.raises(StaleEditError):
        svc.application_update(
            actor=personas.partner_staff,
            application=application,
            approach="Stale",
            expected_version=loaded,
        )
    application = svc.application_submit(actor=personas.partner_staff, application=application)
    assert application.status == "submitted"
    assert application.submitted_by == personas.partner_staff
    with pytest.raises(ValidationError, match="Only a draft application can be changed"):
        svc.application_update(
            actor=personas.partner_staff, application=application, approach="After"
        )
    assert Application.objects.get(pk=application.pk).approach == "A new approach."
    application = svc.application_withdraw(actor=personas.partner_staff, application=application)
    assert application.status == "withdrawn"


def test_submit_names_what_is_missing(org, personas):
    cycle = make_cycle(org, personas)
    application = svc.application_create(
        actor=personas.partner_staff, cycle=cycle, partner=org.partner, track_record="Ten years."
    )
    with pytest.raises(ValidationError) as exc:
        svc.application_submit(actor=personas.partner_staff, application=application)
    errors = exc.value.message_dict
    assert set(errors) == {"need_areas", "grade_bands", "measured_results", "approach", "__all__"}
    assert (
        "fill in the need areas, the grade bands, the measured results, the approach"
        in (errors["__all__"][0])
    )
    assert Application.objects.get(pk=application.pk).status == "draft"


def test_application_checks(org, personas):
    cycle = make_cycle(org, personas)
    others = claim(org.other_partner)
    with pytest.raises(PermissionDenied, match="Only staff of Acme"):
        svc.application_create(actor=personas.other_partner_staff, cycle=cycle, partner=org.partner)
    with pytest.raises(ValidationError) as exc:
        svc.application_create(
            actor=personas.partner_staff,
            cycle=cycle,
            partner=org.partner,
            need_areas=["instruction", "family_engagement"],
            grade_bands=["college"],
            evidence=[others.pk],
        )
    errors = exc.value.message_dict
    assert "Family engagement is not an area of this cycle" in errors["need_areas"][0]
    assert "not a grade band" in errors["grade_bands"][0]
    assert f"Evidence claim #{others.pk} is not one of Acme" in errors["evidence"][0]
    assert not Application.objects.exists()
    make_application(cycle, org, personas, submit=False)
    with pytest.raises(ValidationError, match="already applied"):
        make_application(cycle, org, personas, submit=False)
    assert Application.objects.count() == 1


def test_applications_only_while_open_and_before_closing(org, personas):
    draft = make_cycle(org, personas, status="draft", name="Draft cycle")
    with pytest.raises(ValidationError, match="open for applications; it is “draft”"):
        make_application(draft, org, personas, submit=False)
    closed = make_cycle(
        org,
        personas,
        name="Closed",
        opens_on=TODAY - dt.timedelta(days=30),
        closes_on=TODAY - dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError, match="closed on"):
        make_application(closed, org, personas, submit=False)
    assert not Application.objects.exists()


# ---------------------------------------------------------------------------------------------
# Reviewers, conflicts, scores


def test_reviewer_eligibility(org, personas):
    cycle = make_cycle(org, personas)
    application = make_application(cycle, org, personas)
    admin = personas.state_admin
    for who, reason in (
        ("ta_provider", "holds no state role in Massachusetts"),
        ("other_state_admin", "holds no state role in Massachusetts"),
        ("partner_staff", "holds no state role"),
    ):
        with pytest.raises(ValidationError, match=reason):
            svc.review_assign(actor=admin, application=application, reviewer=getattr(personas, who))
    # a state reviewer who also works for the applicant
    Membership.objects.create(user=personas.reviewer, role=Role.PARTNER_STAFF, partner=org.partner)
    with pytest.raises(ValidationError, match="works for Acme Turnaround Partners"):
        svc.review_assign(actor=admin, application=application, reviewer=personas.reviewer)
    assert personas.reviewer not in svc.eligible_reviewers(application)
    svc.review_assign(actor=admin, application=application, reviewer=personas.state_staff)
    with pytest.raises(ValidationError, match="already a reviewer"):
        svc.review_assign(actor=admin, application=application, reviewer=personas.state_staff)
    with pytest.raises(PermissionDenied):
        svc.review_assign(
            actor=personas.state_staff, application=application, reviewer=personas.state_admin
        )
    assert ReviewAssignment.objects.count() == 1


def test_reviewers_are_assigned_to_submitted_applications(org, personas):
    cycle = make_cycle(org, personas)
    draft = make_application(cycle, org, personas, submit=False)
    with pytest.raises(ValidationError, match="submitted applications"):
        svc.review_assign(actor=personas.state_admin, application=draft, reviewer=personas.reviewer)


def test_declared_conflict_refuses_scoring_with_that_reason(org, personas):
    s = reviewed(org, personas)
    with pytest.raises(ValidationError) as exc:
        svc.review_declare_conflict(actor=personas.reviewer, review=s.r1, conflict="declared")
    assert "Describe the conflict" in exc.value.message_dict["conflict_note"][0]
    assert ReviewAssignment.objects.get(pk=s.r1.pk).conflict == ""
    svc.review_declare_conflict(
        actor=personas.reviewer, review=s.r1, conflict="declared", note="My sister works there."
    )
    with pytest.raises(PermissionDenied, match="You declared a conflict of interest with Acme"):
        svc.review_score(actor=personas.reviewer, review=s.r1, scores={c.pk: 3 for c in s.criteria})
    assert not Score.objects.exists()
    # no scores yet: the declaration may be corrected
    svc.review_declare_conflict(actor=personas.reviewer, review=s.r1, conflict="none")
    assert ReviewAssignment.objects.get(pk=s.r1.pk).conflict == "none"


def test_an_undeclared_reviewer_is_asked_to_declare_first(org, personas):
    s = reviewed(org, personas)
    with pytest.raises(PermissionDenied, match="Declare first whether you have a conflict"):
        svc.review_score(actor=personas.reviewer, review=s.r1, scores={c.pk: 3 for c in s.criteria})
    with pytest.raises(PermissionDenied, match="Declare first"):
        svc.review_submit(actor=personas.reviewer, review=s.r1)
    with pytest.raises(PermissionDenied, match="Only the assigned reviewer"):
        svc.review_declare_conflict(actor=personas.state_staff, review=s.r1, conflict="none")
    assert not Score.objects.exists()


def test_a_score_outside_the_scale_saves_nothing(org, personas):
    s = reviewed(org, personas)
    svc.review_declare_conflict(actor=personas.reviewer, review=s.r1, conflict="none")
    track, approach = s.criteria
    with pytest.raises(ValidationError) as exc:
        svc.review_score(actor=personas.reviewer, review=s.r1, scores={track.pk: 3, approach.pk: 7})
    message = exc.value.message_dict[f"score_{approach.pk}"][0]
    assert message == "“Approach”: 7 is outside the scale; give a whole number from 1 to 4."
    assert not Score.objects.exists()  # not even the valid score of that call


@pytest.mark.parametrize(
    ("values", "key", "words"),
    [
        ({0: 3}, "scores", "not scored: “Approach”"),
        ({0: 3, 1: 2.5}, "score_1", "not a whole number"),
        ({0: 3, 1: True}, "score_1", "not a whole number"),
        ({0: 3, 1: "x"}, "score_1", "not a whole number"),
        ({0: 0, 1: 2}, "score_0", "outside the scale"),
    ],
)
def test_score_checks(org, personas, values, key, words):
    s = reviewed(org, personas)
    svc.review_declare_conflict(actor=personas.reviewer, review=s.r1, conflict="none")
    scores = {s.criteria[i].pk: v for i, v in values.items()}
    if key.startswith("score_"):
        key = f"score_{s.criteria[int(key[6:])].pk}"
    with pytest.raises(ValidationError) as exc:
        svc.review_score(actor=personas.reviewer, review=s.r1, scores=scores)
    assert words in " ".join(exc.value.message_dict[key])
    assert not Score.objects.exists()


def test_duplicate_and_unknown_criteria_are_refused(org, personas):
    s = reviewed(org, personas)
    svc.review_declare_conflict(actor=personas.reviewer, review=s.r1, conflict="none")
    track, approach = s.criteria
    entries = [
        svc.ScoreInput(track.pk, 3),
        svc.ScoreInput(track.pk, 2),
        svc.ScoreInput(approach.pk, 2),
        svc.ScoreInput(999999, 2),
    ]
    with pytest.raises(ValidationError) as exc:
        svc.review_score(actor=personas.reviewer, review=s.r1, scores=entries)
    errors = exc.value.message_dict
    assert "scored more than once" in errors[f"score_{track.pk}"][0]
    assert "#999999 is not a criterion" in errors["scores"][0]
    assert not Score.objects.exists()


def test_scores_then_submit_then_locked(org, personas):
    s = reviewed(org, personas)
    svc.review_declare_conflict(actor=personas.reviewer, review=s.r1, conflict="none")
    track, approach = s.criteria
    svc.review_score(
        actor=personas.reviewer,
        review=s.r1,
        scores=[svc.ScoreInput(track.pk, 4, "Strong"), svc.ScoreInput(approach.pk, 2)],
        comment="Solid overall.",
    )
    svc.review_score(actor=personas.reviewer, review=s.r1, scores={track.pk: 3, approach.pk: 2})
    assert sorted(Score.objects.values_list("score", flat=True)) == [2, 3]
    review = svc.review_submit(actor=personas.reviewer, review=s.r1)
    assert review.submitted_at is not None
    with pytest.raises(PermissionDenied, match="scores are locked"):
        svc.review_score(actor=personas.reviewer, review=s.r1, scores={track.pk: 1, approach.pk: 1})
    assert sorted(Score.objects.values_list("score", flat=True)) == [2, 3]


def test_submit_needs_every_criterion(org, personas):
    s = reviewed(org, personas)
    svc.review_declare_conflict(actor=personas.reviewer, review=s.r1, conflict="none")
    Score.objects.create(review=s.r1, criterion=s.criteria[0], score=3)
    with pytest.raises(ValidationError, match="not yet scored: “Approach”"):
        svc.review_submit(actor=personas.reviewer, review=s.r1)
    assert ReviewAssignment.objects.get(pk=s.r1.pk).submitted_at is None


def test_scoring_waits_for_review(org, personas):
    cycle = make_cycle(org, personas)
    application = make_application(cycle, org, personas)
    review = svc.review_assign(
        actor=personas.state_admin, application=application, reviewer=personas.reviewer
    )
    svc.review_declare_conflict(actor=personas.reviewer, review=review, conflict="none")
    with pytest.raises(ValidationError, match="Scoring opens when the cycle moves to review"):
        svc.review_score(
            actor=personas.reviewer, review=review, scores={c.pk: 3 for c in cycle.criteria.all()}
        )


def test_a_conflict_after_scoring_stands_and_is_not_counted(org, personas):
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [4, 4])
    score_and_submit(s.r2, personas.state_staff, [2, 2])
    assert svc.weighted_score(s.application) == Decimal("3.00")
    review = svc.review_declare_conflict(
        actor=personas.reviewer, review=s.r1, conflict="declared", note="Former employer."
    )
    assert review.submitted_at is None
    assert Score.objects.filter(review=s.r1).count() == 2  # kept for the record
    assert svc.weighted_score(s.application) == Decimal("2.00")
    with pytest.raises(ValidationError, match="the declaration stands"):
        svc.review_declare_conflict(actor=personas.reviewer, review=s.r1, conflict="none")


def test_unassign_before_submission_only(org, personas):
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [3, 3])
    with pytest.raises(ValidationError, match="part of the record"):
        svc.review_unassign(actor=personas.state_admin, review=s.r1)
    svc.review_unassign(actor=personas.state_admin, review=s.r2)
    assert list(ReviewAssignment.objects.values_list("pk", flat=True)) == [s.r1.pk]


# ---------------------------------------------------------------------------------------------
# Weighted score and agreement


def test_weighted_score_by_hand(org, personas):
    """Weights 2 (track record) and 1 (approach).

    Reviewer A: (2×4 + 1×2) / 3 = 3.333…; reviewer B: (2×3 + 1×1) / 3 = 2.333…;
    the application: (3.333… + 2.333…) / 2 = 2.8333… → 2.83.
    """
    s = reviewed(org, personas)
    assert svc.weighted_score(s.application) is None
    score_and_submit(s.r1, personas.reviewer, [4, 2])
    assert svc.weighted_score(s.application) == Decimal("3.33")
    score_and_submit(s.r2, personas.state_staff, [3, 1])
    assert svc.weighted_score(s.application) == Decimal("2.83")
    summary = svc.score_summary(s.application)
    # columns in username order: "reviewer" (A), then "staff" (B)
    assert [c.weighted for c in summary.reviewers] == [Decimal("3.33"), Decimal("2.33")]
    assert summary.meets_threshold is True  # threshold 2.5


def test_score_summary_agreement_and_flags(org, personas):
    s = reviewed(
        org,
        personas,
        criteria=(("Track record", "1"), ("Approach", "1"), ("Capacity", "1"), ("Results", "1")),
    )
    score_and_submit(s.r1, personas.reviewer, [4, 1, 3, 2])
    score_and_submit(s.r2, personas.state_staff, [4, 3, 3, 2])
    summary = svc.score_summary(s.application)
    assert [r.criterion.name for r in summary.rows] == [
        "Track record",
        "Approach",
        "Capacity",
        "Results",
    ]
    assert summary.flagged == ["Approach"]
    assert "differ by more than one point on “Approach”" in summary.flagged_text
    # criteria × reviewers; staff (username "staff") sorts after "reviewer"
    assert [r.scores for r in summary.rows] == [[4, 4], [1, 3], [3, 3], [2, 2]]
    assert summary.alpha.alpha is not None
    assert summary.agreement_text.startswith(f"alpha {summary.alpha.alpha:.2f}: ")
    assert summary.pending == 0 and summary.conflicts == 0


def test_score_summary_with_one_reviewer_says_why_there_is_no_alpha(org, personas):
    s = reviewed(org, personas)
    score_and_submit(s.r1, personas.reviewer, [3, 2])
    summary = svc.score_summary(s.application)
    assert summary.alpha.alpha is None
    assert "fewer than two raters" in summary.agreement_text
    assert summary.pending == 1


# ---------------------------------------------------------------------------------------------
# Decisions and designations


def test_approval_creates_designations_with_dates_tiers_and_renewals(org, personas):
    instruction = claim(org.partner, "instruction", tier=3, confirmed=2)
    claim(org.partner, "instruction", tier=4)
    leadership = claim(org.partner, "leadership", tier=1)
    old = PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="instruction",
        starts_on=dt.date(2024, 7, 1),
        expires_on=dt.date(2027, 6, 30),
    )
    cycle = make_cycle(org, personas)
    application = make_application(
        cycle, org, personas, areas=("instruction", "leadership", "data_use")
    )
    application.evidence.add(instruction, leadership)
    review = svc.review_assign(
        actor=personas.state_admin, application=application, reviewer=personas.reviewer
    )
    svc.cycle_start_review(actor=personas.state_admin, cycle=cycle)
    score_and_submit(review, personas.reviewer, [4, 3])
    decision = svc.decision_record(
        actor=personas.state_admin,
        application=application,
        outcome="approved",
        need_areas=["instruction", "leadership"],
        rationale="Strong results in instruction and leadership; data use not shown.",
    )
    assert decision.weighted_score == Decimal("3.67")
    assert Application.objects.get(pk=application.pk).status == "decided"
    new = {d.need_area: d for d in PriorityDesignation.objects.filter(decision=decision)}
    assert set(new) == {"instruction", "leadership"}
    for d in new.values():
        assert d.starts_on == dt.date(2027, 7, 1)
        assert d.expires_on == dt.date(2030, 6, 30)
    assert new["instruction"].evidence_tier == 2  # confirmed tier 2 beats claimed 4
    assert new["leadership"].evidence_tier == 1
    assert new["instruction"].renews == old
    assert new["leadership"].renews is None
    assert AuditEvent.objects.filter(object_type="partners.PriorityDesignation").count() == 2


def test_renewal_window(org, personas):
    def designation(starts, expires, **kw):
        return PriorityDesignation.objects.create(
            partner=org.partner,
            state=org.state,
            need_area="instruction",
            starts_on=starts,
            expires_on=expires,
            **kw,
        )

    long_ago = designation(dt.date(2020, 7, 1), dt.date(2026, 6, 29))  # > 1 year before
    revoked = designation(
        dt.date(2025, 7, 1), dt.date(2028, 6, 30), revoked_at=timezone.now(), revoked_reason="x"
    )
    other_state = PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.other_state,
        need_area="instruction",
        starts_on=dt.date(2025, 7, 1),
        expires_on=dt.date(2028, 6, 30),
    )
    assert svc._renewed(org.partner.pk, org.state.pk, "instruction", DESIGNATION_START) is None
    within = designation(dt.date(2023, 7, 1), dt.date(2026, 7, 1))  # exactly one year before
    assert svc._renewed(org.partner.pk, org.state.pk, "instruction", DESIGNATION_START) == within
    assert {long_ago.pk, revoked.pk, other_state.pk}.isdisjoint({within.pk})


def test_decision_checks(org, personas):
    s = reviewed(org, personas)
    admin = personas.state_admin
    with pytest.raises(ValidationError) as exc:
        svc.decision_record(
            actor=admin,
            application=s.application,
            outcome="approved",
            need_areas=["data_use"],
            rationale="",
        )
    errors = exc.value.message_dict
    assert "Data use was not applied for" in errors["need_areas"][0]
    assert "rationale" in errors
    with pytest.raises(ValidationError, match="at least one reviewer has submitted"):
        svc.decision_record(
            actor=admin,
            application=s.application,
            outcome="approved",
            need_areas=["instruction"],
            rationale="Good.",
        )
    with pytest.raises(ValidationError, match="leave the areas unticked"):
        svc.decision_record(
            actor=admin,
            application=s.application,
            outcome="declined",
            need_areas=["instruction"],
            rationale="No.",
        )
    with pytest.raises(ValidationError, match="Choose “approved” or “declined”"):
        svc.decision_record(
            actor=admin, application=s.application, outcome="maybe", rationale="Hmm."
        )
    with pytest.raises(PermissionDenied):
        svc.decision_record(
            actor=personas.other_state_admin,
            application=s.application,
            outcome="declined",
            rationale="No.",
        )
    assert not Decision.objects.exists()
    assert not PriorityDesignation.objects.exists()
    svc.decision_record(
        actor=admin, application=s.application, outcome="declined", rationale="Thin evidence."
    )
    with pytest.raises(ValidationError, match="was decided on"):
        svc.decision_record(
            actor=admin, application=s.application, outcome="declined", rationale="Again."
        )
    assert Decision.objects.count() == 1
    assert not PriorityDesignation.objects.exists()


def test_decisions_wait_for_review(org, personas):
    cycle = make_cycle(org, personas)
    application = make_application(cycle, org, personas)
    with pytest.raises(ValidationError, match="while the cycle is in review"):
        svc.decision_record(
            actor=personas.state_admin, application=application, outcome="declined", rationale="x"
        )


def test_revoke_needs_a_reason_and_the_states_admin(org, personas):
    d = PriorityDesignation.objects.create(
        partner=org.partner,
        state=org.state,
        need_area="instruction",
        starts_on=TODAY,
        expires_on=TODAY + dt.timedelta(days=365),
    )
    with pytest.raises(ValidationError) as exc:
        svc.designation_revoke(actor=personas.state_admin, designation=d, reason=" ")
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        svc.designation_revoke(actor=personas.other_state_admin, designation=d, reason="x")
    with pytest.raises(PermissionDenied):
        svc.designation_revoke(actor=personas.state_staff, designation=d, reason="x")
    assert PriorityDesignation.objects.get(pk=d.pk).revoked_at is None
    svc.designation_revoke(actor=personas.state_admin, designation=d, reason="Did not deliver.")
    d.refresh_from_db()
    assert d.revoked_reason == "Did not deliver."
    assert svc.designation_status(d) == "revoked"
    with pytest.raises(ValidationError, match="already revoked"):
        svc.designation_revoke(actor=personas.state_admin, designation=d, reason="Again")


def test_designation_dates_and_status():
    assert svc.designation_expiry(dt.date(2027, 7, 1), 3) == dt.date(2030, 6, 30)
    assert svc.designation_expiry(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert svc.designation_expiry(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 28)
    day = dt.date(2026, 1, 1)

    def status(starts, expires):
        d = PriorityDesignation(starts_on=starts, expires_on=expires)
        return svc.designation_status(d, today=day)

    assert status(dt.date(2025, 1, 1), dt.date(2027, 1, 1)) == "in_force"
    assert status(dt.date(2025, 1, 1), dt.date(2026, 3, 31)) == "expiring"
    assert status(dt.date(2023, 1, 1), dt.date(2025, 12, 31)) == "expired"
    assert status(dt.date(2026, 7, 1), dt.date(2029, 6, 30)) == "upcoming"
