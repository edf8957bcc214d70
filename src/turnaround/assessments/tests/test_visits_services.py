"""Site-visit services: every rule, with the exact message, and nothing written when refused."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from turnaround.assessments import services
from turnaround.assessments.models import (
    Amendment,
    Assessment,
    ConsensusRating,
    DocumentRequest,
    Evidence,
    ReviewerRating,
    ScheduleItem,
    TeamMember,
)
from turnaround.assessments.selectors import finalise_blockers, indicator_disagreement
from turnaround.assessments.tests import factories as f
from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError
from turnaround.frameworks.models import FrameworkVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def version(db):
    return f.framework_version_create()


@pytest.fixture
def visit(org, personas, version):
    return f.visit_create(
        org=org, personas=personas, version=version, reviewers=(personas.reviewer,)
    )


@pytest.fixture
def started(visit, personas):
    return services.assessment_start(actor=personas.state_staff, assessment=visit)


def messages(exc: ValidationError) -> list[str]:
    return exc.messages


# ----------------------------------------------------------------------------- creating


def test_state_staff_create_a_site_visit_with_a_lead(org, personas, version):
    visit = services.assessment_create(
        actor=personas.state_admin,
        kind="site_visit",
        school=org.school,
        framework_version=version,
        start_date=dt.date(2026, 3, 10),
        end_date=dt.date(2026, 3, 12),
        lead=personas.state_staff,
    )
    visit.refresh_from_db()
    assert visit.status == "planned" and visit.school_year == "2025-26"
    assert visit.title == "Site visit: Adams Elementary, 2025-26"
    assert list(visit.team.values_list("user__username", "role")) == [("staff", "lead")]
    assert AuditEvent.objects.filter(
        object_type="assessments.Assessment", object_id=str(visit.pk), action="create"
    ).exists()


def test_a_site_visit_lasts_at_most_three_days(org, personas, version):
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(
            actor=personas.state_admin,
            kind="site_visit",
            school=org.school,
            framework_version=version,
            start_date=dt.date(2026, 3, 10),
            end_date=dt.date(2026, 3, 13),
            lead=personas.state_staff,
        )
    assert exc.value.message_dict == {
        "end_date": ["A site visit lasts 1–3 days; 10 March 2026 to 13 March 2026 is 4 days."]
    }
    assert not Assessment.objects.exists() and not TeamMember.objects.exists()


def test_the_framework_version_must_be_published(org, personas):
    draft = f.framework_version_create(status=FrameworkVersion.Status.DRAFT)
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(
            actor=personas.state_staff,
            kind="site_visit",
            school=org.school,
            framework_version=draft,
            start_date=dt.date(2026, 3, 10),
            end_date=dt.date(2026, 3, 10),
            lead=personas.state_staff,
        )
    assert exc.value.message_dict == {
        "framework_version": [
            "Turnaround Practices v1 is draft; choose a published framework version."
        ]
    }
    assert not Assessment.objects.exists()


def test_site_visit_needs_an_eligible_lead(org, personas, version):
    kwargs = {
        "actor": personas.state_staff,
        "kind": "site_visit",
        "school": org.school,
        "framework_version": version,
        "start_date": dt.date(2026, 3, 10),
        "end_date": dt.date(2026, 3, 11),
    }
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(**kwargs)
    assert exc.value.message_dict == {"lead": ["Choose the lead reviewer of the site visit."]}
    with pytest.raises(ValidationError) as exc:
        services.assessment_create(**kwargs, lead=personas.school_leader)
    assert exc.value.message_dict["lead"] == [
        "principal cannot lead a site visit: only state staff, state administrators and "
        "reviewers of the visited school's state can."
    ]
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("persona", ["school_leader", "district_leader", "reviewer", "outsider"])
def test_only_state_staff_plan_site_visits(org, personas, version, persona):
    with pytest.raises(PermissionDenied) as exc:
        services.assessment_create(
            actor=getattr(personas, persona),
            kind="site_visit",
            school=org.school,
            framework_version=version,
            start_date=dt.date(2026, 3, 10),
            end_date=dt.date(2026, 3, 10),
            lead=personas.state_staff,
        )
    assert str(exc.value) == "Only state staff and state administrators plan site visits."
    assert not Assessment.objects.exists()


def test_other_state_admin_cannot_plan_a_visit_here(org, personas, version):
    with pytest.raises(PermissionDenied):
        services.assessment_create(
            actor=personas.other_state_admin,
            kind="site_visit",
            school=org.school,
            framework_version=version,
            start_date=dt.date(2026, 3, 10),
            end_date=dt.date(2026, 3, 10),
            lead=personas.other_state_admin,
        )
    assert not Assessment.objects.exists()


# ----------------------------------------------------------------------------- team and plan


def test_team_members_are_checked(visit, personas):
    with pytest.raises(ValidationError) as exc:
        services.team_member_add(
            actor=personas.state_staff, assessment=visit, user=personas.reviewer, role="reviewer"
        )
    assert exc.value.message_dict == {"user": ["reviewer is already on the team (reviewer)."]}
    with pytest.raises(ValidationError) as exc:
        services.team_member_add(
            actor=personas.state_staff, assessment=visit, user=personas.state_admin, role="lead"
        )
    assert exc.value.message_dict == {
        "role": ["staff already leads this visit; a visit has one lead."]
    }
    with pytest.raises(PermissionDenied):
        services.team_member_add(
            actor=personas.reviewer, assessment=visit, user=personas.state_admin, role="reviewer"
        )
    seat = services.team_member_add(
        actor=personas.state_staff,
        assessment=visit,
        user=personas.school_leader,
        role="school_team",
    )
    assert seat.role == "school_team"
    services.team_member_remove(actor=personas.state_staff, member=seat)
    assert not TeamMember.objects.filter(pk=seat.pk).exists()
    lead = visit.team.get(role="lead")
    with pytest.raises(ValidationError) as exc:
        services.team_member_remove(actor=personas.state_admin, member=lead)
    assert exc.value.messages == ["staff leads this visit; a visit keeps its lead."]
    assert visit.team.count() == 2


def test_schedule_rules(visit, personas):
    with pytest.raises(ValidationError) as exc:
        services.schedule_item_add(
            actor=personas.state_staff,
            assessment=visit,
            day=dt.date(2026, 3, 12),
            starts_at=dt.time(10),
            ends_at=dt.time(9),
            activity="interview",
            title="Principal interview",
        )
    assert exc.value.message_dict == {
        "day": ["The day must fall within the visit (10 March 2026 to 11 March 2026)."],
        "ends_at": ["The activity must end after it starts (10:00); it ends at 09:00."],
    }
    with pytest.raises(ValidationError) as exc:
        services.schedule_item_add(
            actor=personas.state_staff,
            assessment=visit,
            day=dt.date(2026, 3, 10),
            starts_at=dt.time(9),
            ends_at=dt.time(10),
            activity="picnic",
            title="x",
            reviewer=personas.school_leader,
        )
    assert set(exc.value.message_dict) == {"activity", "reviewer"}
    assert not ScheduleItem.objects.exists()
    item = services.schedule_item_add(
        actor=personas.state_staff,
        assessment=visit,
        day=dt.date(2026, 3, 11),
        starts_at=dt.time(13),
        ends_at=dt.time(13, 45),
        activity="focus_group",
        title="Student focus group",
        participants="Grade 5 students (8)",
        reviewer=personas.reviewer,
    )
    assert item.consent_required is True
    updated = services.schedule_item_update(
        actor=personas.state_staff,
        item=item,
        changes={"consent_recorded": True, "location": "Library"},
    )
    assert ScheduleItem.objects.get(pk=item.pk).consent_recorded is True
    assert updated.location == "Library"
    with pytest.raises(PermissionDenied):
        services.schedule_item_delete(actor=personas.reviewer, item=item)
    services.schedule_item_delete(actor=personas.state_staff, item=item)
    assert not ScheduleItem.objects.exists()


def test_dates_cannot_leave_scheduled_activities_outside(visit, personas):
    services.schedule_item_add(
        actor=personas.state_staff,
        assessment=visit,
        day=dt.date(2026, 3, 11),
        starts_at=dt.time(9),
        ends_at=dt.time(10),
        activity="observation",
        title="Classroom visits",
    )
    with pytest.raises(ValidationError) as exc:
        services.assessment_update(
            actor=personas.state_staff,
            assessment=visit,
            expected_version=visit.version,
            changes={"start_date": dt.date(2026, 3, 12), "end_date": dt.date(2026, 3, 13)},
        )
    assert exc.value.message_dict == {
        "start_date": [
            "Activities are scheduled outside the new dates (11 March 2026); "
            "move or delete them first."
        ]
    }
    assert Assessment.objects.get(pk=visit.pk).start_date == dt.date(2026, 3, 10)


def test_stale_plan_edit_is_refused(visit, personas):
    services.assessment_update(
        actor=personas.state_staff,
        assessment=visit,
        expected_version=visit.version,
        changes={"purpose": "Baseline visit"},
    )
    with pytest.raises(StaleEditError):
        services.assessment_update(
            actor=personas.state_admin,
            assessment=visit,
            expected_version=visit.version,
            changes={"purpose": "Something else"},
        )
    assert Assessment.objects.get(pk=visit.pk).purpose == "Baseline visit"


def test_document_requests_and_questionnaire(visit, personas):
    doc = services.document_request_add(
        actor=personas.state_staff, assessment=visit, title="Master schedule"
    )
    services.team_member_add(
        actor=personas.state_staff,
        assessment=visit,
        user=personas.school_leader,
        role="school_team",
    )
    services.document_request_update(
        actor=personas.school_leader, request=doc, changes={"received": True}
    )
    assert DocumentRequest.objects.get(pk=doc.pk).received is True
    with pytest.raises(PermissionDenied):
        services.document_request_update(
            actor=personas.school_leader, request=doc, changes={"title": "Other"}
        )
    services.questionnaire_set(
        actor=personas.state_staff,
        assessment=visit,
        questions=["What are your priorities?", "How do teams use data?"],
    )
    services.questionnaire_answer(
        actor=personas.school_leader, assessment=visit, answers=["Reading", "Weekly meetings"]
    )
    with pytest.raises(ValidationError) as exc:
        services.questionnaire_answer(actor=personas.school_leader, assessment=visit, answers=["x"])
    assert exc.value.message_dict == {
        "answers": ["Give one answer per question: 2 questions, 1 answers."]
    }
    # changing the questions keeps the answer of the unchanged one
    services.questionnaire_set(
        actor=personas.state_staff,
        assessment=visit,
        questions=["What are your priorities?", "Who leads instruction?"],
    )
    assert Assessment.objects.get(pk=visit.pk).questionnaire == [
        {"question": "What are your priorities?", "answer": "Reading"},
        {"question": "Who leads instruction?", "answer": ""},
    ]


# ----------------------------------------------------------------------------- evidence


def test_evidence_autosave_is_idempotent_by_client_id(started, personas):
    cid = uuid.uuid4()
    kwargs = {
        "actor": personas.reviewer,
        "assessment": started,
        "client_id": cid,
        "kind": "interview",
        "source": "grade 4 teachers",
        "note": "Teachers meet weekly",
        "indicator_codes": ["TP1.1"],
    }
    first, created = services.evidence_save(**kwargs)
    assert created is True
    again, created = services.evidence_save(**kwargs)  # the retried autosave
    assert created is False and again.pk == first.pk and again.version == 1
    typed_more, _ = services.evidence_save(**{**kwargs, "note": "Teachers meet weekly to plan"})
    assert Evidence.objects.count() == 1
    stored = Evidence.objects.get()
    assert stored.note == "Teachers meet weekly to plan" and stored.version == 2
    assert list(stored.indicators.values_list("code", flat=True)) == ["TP1.1"]
    assert AuditEvent.objects.filter(object_type="assessments.Evidence").count() == 2


def test_evidence_stale_version_is_refused(started, personas):
    cid = uuid.uuid4()
    base = {
        "actor": personas.reviewer,
        "assessment": started,
        "client_id": cid,
        "kind": "interview",
        "source": "teachers",
        "indicator_codes": ["TP1.1"],
    }
    services.evidence_save(**base, note="one")
    services.evidence_save(**base, note="two", expected_version=1)
    with pytest.raises(StaleEditError):
        services.evidence_save(**base, note="three", expected_version=1)
    assert Evidence.objects.get().note == "two"


def test_evidence_for_an_indicator_of_another_framework(started, personas):
    f.framework_version_create(name="Other", key="other", prefix="TP", practices=9)
    with pytest.raises(ValidationError) as exc:
        services.evidence_save(
            actor=personas.reviewer,
            assessment=started,
            client_id=uuid.uuid4(),
            kind="observation",
            source="grade 3 classroom",
            note="Exit tickets used",
            indicator_codes=["TP1.1", "TP9.1"],
        )
    assert exc.value.message_dict == {
        "indicators": ["TP9.1 is not an indicator of Turnaround Practices v1."]
    }
    assert not Evidence.objects.exists()


def test_evidence_file_limits(started, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bad = SimpleUploadedFile("run.exe", b"MZ")
    with pytest.raises(ValidationError) as exc:
        services.evidence_save(
            actor=personas.reviewer,
            assessment=started,
            client_id=uuid.uuid4(),
            kind="document",
            source="school improvement plan",
            note="The plan names three priorities",
            indicator_codes=["TP1.1"],
            file=bad,
        )
    assert exc.value.message_dict["file"][0].startswith("Files of type “.exe” are not accepted")
    big = SimpleUploadedFile("plan.pdf", b"%PDF" + b"0" * (services.EVIDENCE_MAX_BYTES + 1))
    with pytest.raises(ValidationError) as exc:
        services.evidence_save(
            actor=personas.reviewer,
            assessment=started,
            client_id=uuid.uuid4(),
            kind="document",
            source="school improvement plan",
            note="The plan",
            indicator_codes=["TP1.1"],
            file=big,
        )
    assert exc.value.message_dict["file"] == ["The file is 10.0 MB; the limit is 10 MB."]
    assert not Evidence.objects.exists()
    ok, _ = services.evidence_save(
        actor=personas.reviewer,
        assessment=started,
        client_id=uuid.uuid4(),
        kind="document",
        source="school improvement plan",
        note="The plan",
        indicator_codes=["TP1.1"],
        file=SimpleUploadedFile("plan.pdf", b"%PDF-1.4"),
    )
    assert ok.file.name.endswith(".pdf")


def test_evidence_cited_by_a_rating_cannot_be_deleted(started, personas):
    evidence = f.evidence_add(personas.reviewer, started, ["TP1.1"])
    services.reviewer_rating_save(
        actor=personas.reviewer,
        assessment=started,
        indicator="TP1.1",
        level=2,
        rationale="Plans are used.",
        evidence_ids=[evidence.pk],
    )
    with pytest.raises(ValidationError) as exc:
        services.evidence_delete(actor=personas.reviewer, evidence=evidence)
    assert exc.value.messages == [
        "This evidence supports the rating of TP1.1; unlink it from it first."
    ]
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    loose = f.evidence_add(personas.reviewer, started, ["TP2.1"])
    services.evidence_delete(actor=personas.reviewer, evidence=loose)
    assert not Evidence.objects.filter(pk=loose.pk).exists()


# ----------------------------------------------------------------------------- ratings


def test_reviewer_rating_rules(started, personas):
    evidence = f.evidence_add(personas.reviewer, started, ["TP1.1"])
    with pytest.raises(ValidationError) as exc:
        services.reviewer_rating_save(
            actor=personas.reviewer,
            assessment=started,
            indicator="TP1.1",
            level=7,
            rationale="x",
            evidence_ids=[evidence.pk],
        )
    assert exc.value.message_dict == {
        "level": [
            "7 is not a level of the scale “Scale continuum”; choose one of 0 No evidence, "
            "1 Developing, 2 Providing, 3 Sustaining, or not rated."
        ]
    }
    with pytest.raises(ValidationError) as exc:
        services.reviewer_rating_save(
            actor=personas.reviewer, assessment=started, indicator="TP1.1", level=2
        )
    assert exc.value.message_dict == {
        "rationale": ["A rating needs a rationale: say what the evidence shows."],
        "evidence": ["A rating needs at least one piece of evidence from this site visit."],
    }
    with pytest.raises(ValidationError) as exc:
        services.reviewer_rating_save(
            actor=personas.reviewer, assessment=started, indicator="TP9.1", level=None
        )
    assert exc.value.message_dict == {
        "indicator": ["TP9.1 is not an indicator of Turnaround Practices v1."]
    }
    with pytest.raises(PermissionDenied) as exc:
        services.reviewer_rating_save(
            actor=personas.state_admin, assessment=started, indicator="TP1.1", level=None
        )
    assert (
        str(exc.value)
        == "Only the visit's lead and reviewers rate; you are not on this visit's team."
    )
    assert not ReviewerRating.objects.exists()
    # not rated is allowed without a rationale; then a level with reasons
    services.reviewer_rating_save(
        actor=personas.reviewer, assessment=started, indicator="TP1.1", level=None
    )
    rating = services.reviewer_rating_save(
        actor=personas.reviewer,
        assessment=started,
        indicator="TP1.1",
        level=2,
        rationale="Plans are used weekly.",
        evidence_ids=[evidence.pk],
        expected_version=1,
    )
    assert rating.version == 2
    assert list(rating.evidence.all()) == [evidence]
    with pytest.raises(StaleEditError):
        services.reviewer_rating_save(
            actor=personas.reviewer,
            assessment=started,
            indicator="TP1.1",
            level=3,
            rationale="Sustained.",
            evidence_ids=[evidence.pk],
            expected_version=1,
        )
    assert ReviewerRating.objects.get().level == 2


def test_ratings_wait_for_the_visit_to_start(visit, personas):
    with pytest.raises(ValidationError) as exc:
        services.reviewer_rating_save(
            actor=personas.reviewer, assessment=visit, indicator="TP1.1", level=None
        )
    assert exc.value.messages == [
        "You can rate only while the site visit is at “evidence and ratings or consensus and "
        "report”; it is at “planned”."
    ]


def test_disagreement_per_indicator(org, personas, version):
    visit = f.visit_rated(
        org=org,
        personas=personas,
        version=version,
        levels={"TP1.1": (1, 3), "TP1.2": (2, 2), "TP2.1": (0, None)},
    )
    rows = {r.code: r for r in indicator_disagreement(visit)}
    assert [lvl.level for lvl in rows["TP1.1"].levels] == [1, 3]
    assert rows["TP1.1"].spread == 2 and rows["TP1.1"].disagree
    assert rows["TP1.1"].marker == "Disagree (spread 2)"
    assert rows["TP1.2"].marker == "Agree" and not rows["TP1.2"].disagree
    assert rows["TP2.1"].marker == "One rating"
    assert rows["TP2.2"].marker == "Not yet rated" and rows["TP2.2"].spread is None
    assert rows["TP1.1"].has_consensus is False


def test_consensus_and_finalise(org, personas, version):
    visit = f.visit_rated(
        org=org, personas=personas, version=version, levels={"TP1.1": (1, 3), "TP1.2": (2, 2)}
    )
    evidence = visit.evidence.get()
    with pytest.raises(PermissionDenied) as exc:
        services.consensus_rating_save(
            actor=personas.reviewer, assessment=visit, indicator="TP1.1", level=None
        )
    assert str(exc.value) == "Only the lead reviewer or state staff record the consensus."
    with pytest.raises(ValidationError) as exc:
        services.consensus_rating_save(
            actor=personas.state_staff,
            assessment=visit,
            indicator="TP1.1",
            level=0,
            rationale="No sign of it",
            evidence_ids=[evidence.pk],
            not_priority=True,
            not_priority_reason="Later",
        )
    assert exc.value.message_dict == {
        "not_priority": ["The scale “Scale continuum” has no “not a priority” mark."]
    }
    with pytest.raises(ValidationError) as exc:
        services.consensus_rating_save(
            actor=personas.state_staff,
            assessment=visit,
            indicator="TP1.1",
            level=2,
            rationale="ok",
            evidence_ids=[evidence.pk],
            priority_score=4,
        )
    assert exc.value.message_dict == {
        "priority_score": ["The priority score is 1, 2 or 3 (it was 4)."]
    }
    assert not ConsensusRating.objects.exists()

    # finalising requires consensus status and a consensus row for every indicator
    with pytest.raises(ValidationError) as exc:
        services.assessment_finalise(actor=personas.state_staff, assessment=visit)
    assert "only while the site visit is at “consensus and report”" in exc.value.messages[0]
    services.assessment_move_to_consensus(actor=personas.state_staff, assessment=visit)
    services.consensus_rating_save(
        actor=personas.state_staff,
        assessment=visit,
        indicator="TP1.1",
        level=2,
        rationale="Reviewers agreed on providing after discussing the plans.",
        evidence_ids=[evidence.pk],
        expected_version=0,
    )
    services.consensus_rating_save(
        actor=personas.state_admin,
        assessment=visit,
        indicator="TP1.2",
        level=None,
        expected_version=0,
    )
    assert finalise_blockers(visit) == [
        "TP1.2 is not rated and needs a reason why",
        "TP2.1 has no consensus rating",
        "TP2.2 has no consensus rating",
    ]
    with pytest.raises(ValidationError) as exc:
        services.assessment_finalise(actor=personas.state_staff, assessment=visit)
    assert exc.value.messages == [
        "Cannot finalise yet: TP1.2 is not rated and needs a reason why; TP2.1 has no consensus "
        "rating; TP2.2 has no consensus rating."
    ]
    assert Assessment.objects.get(pk=visit.pk).status == "consensus"
    # a second consensus editor who loaded before the first save gets a stale edit
    with pytest.raises(StaleEditError):
        services.consensus_rating_save(
            actor=personas.state_staff,
            assessment=visit,
            indicator="TP1.2",
            level=1,
            rationale="x",
            evidence_ids=[evidence.pk],
            expected_version=0,
        )
    services.consensus_rating_save(
        actor=personas.state_staff,
        assessment=visit,
        indicator="TP1.2",
        level=None,
        rationale="No classrooms could be observed for this indicator.",
        expected_version=1,
    )
    for code in ("TP2.1", "TP2.2"):
        services.consensus_rating_save(
            actor=personas.state_staff,
            assessment=visit,
            indicator=code,
            level=1,
            rationale="Developing.",
            evidence_ids=[evidence.pk],
        )
    with pytest.raises(PermissionDenied):
        services.assessment_finalise(actor=personas.reviewer, assessment=visit)
    final = services.assessment_finalise(actor=personas.state_staff, assessment=visit)
    stored = Assessment.objects.get(pk=visit.pk)
    assert stored.status == "finalised" and stored.finalised_by == personas.state_staff
    assert stored.finalised_at == final.finalised_at


# ----------------------------------------------------------------------------- locked and amended


def test_finalised_visit_refuses_ordinary_edits(org, personas, version):
    visit = f.visit_finalised(org=org, personas=personas, version=version)
    day = f"{visit.finalised_at.astimezone().day} {visit.finalised_at.astimezone():%B %Y}"
    expected = f"This site visit was finalised on {day}; amend it with a reason."
    calls = [
        lambda: services.consensus_rating_save(
            actor=personas.state_staff, assessment=visit, indicator="TP1.1", level=2
        ),
        lambda: services.reviewer_rating_save(
            actor=personas.reviewer, assessment=visit, indicator="TP1.1", level=None
        ),
        lambda: services.evidence_save(
            actor=personas.reviewer,
            assessment=visit,
            client_id=uuid.uuid4(),
            kind="other",
            source="x",
            note="y",
            indicator_codes=[],
        ),
        lambda: services.practice_finding_save(
            actor=personas.state_staff,
            assessment=visit,
            practice="TP1",
            strengths="",
            challenges="",
        ),
        lambda: services.team_member_add(
            actor=personas.state_staff, assessment=visit, user=personas.state_admin, role="reviewer"
        ),
        lambda: services.assessment_update(
            actor=personas.state_staff,
            assessment=visit,
            expected_version=None,
            changes={"purpose": "x"},
        ),
    ]
    for call in calls:
        with pytest.raises(services.AssessmentLockedError) as exc:
            call()
        assert str(exc.value) == expected
    assert ConsensusRating.objects.filter(assessment=visit, level=1).count() == 4


def test_amendment_needs_a_reason_and_records_before_and_after(org, personas, version):
    visit = f.visit_finalised(org=org, personas=personas, version=version)
    with pytest.raises(ValidationError) as exc:
        services.assessment_amend(
            actor=personas.state_staff,
            assessment=visit,
            reason="  ",
            indicator="TP1.1",
            changes={"level": 2},
        )
    assert exc.value.message_dict == {
        "reason": ["An amendment needs a reason: say why the finalised site visit changes."]
    }
    with pytest.raises(PermissionDenied):
        services.assessment_amend(
            actor=personas.reviewer,
            assessment=visit,
            reason="Typo",
            indicator="TP1.1",
            changes={"level": 2},
        )
    with pytest.raises(ValidationError) as exc:
        services.assessment_amend(
            actor=personas.state_staff,
            assessment=visit,
            reason="Wrong level",
            indicator="TP1.1",
            changes={"level": 9},
        )
    assert "9 is not a level" in exc.value.message_dict["level"][0]
    assert not Amendment.objects.exists()
    assert ConsensusRating.objects.get(assessment=visit, indicator__code="TP1.1").level == 1
    amendment = services.assessment_amend(
        actor=personas.state_admin,
        assessment=visit,
        reason="The district's documents arrived after the visit and show providing.",
        indicator="TP1.1",
        changes={"level": 2, "rationale": "Documents show providing."},
    )
    assert amendment.target == "rating TP1.1"
    assert amendment.before == {
        "level": 1,
        "rationale": "Developing: plans exist, practice is uneven.",
    }
    assert amendment.after == {"level": 2, "rationale": "Documents show providing."}
    assert ConsensusRating.objects.get(assessment=visit, indicator__code="TP1.1").level == 2
    summary = services.assessment_amend(
        actor=personas.state_staff,
        assessment=visit,
        reason="Add the summary",
        changes={"executive_summary": "A school on the move."},
    )
    assert summary.target == "executive summary"
    finding = services.assessment_amend(
        actor=personas.state_staff,
        assessment=visit,
        reason="Clarify",
        practice="TP2",
        changes={"strengths": "Teams plan together."},
    )
    assert finding.before == {"strengths": ""} and finding.after == {
        "strengths": "Teams plan together."
    }
    assert Amendment.objects.filter(assessment=visit).count() == 3
    assert AuditEvent.objects.filter(object_type="assessments.Amendment").count() == 3
