"""Priorities: the proposal (order and text), the services (who may edit, audit, concurrency,
ranks), the page of the prioritisation session, and what a plan receives."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from turnaround.assessments.models import Assessment, Priority
from turnaround.assessments.priorities import (
    PriorityEditRefused,
    RatedIndicator,
    priorities_agree,
    priorities_for_plan,
    priorities_propose,
    priority_delete,
    priority_reorder,
    priority_save,
    propose_priorities,
)
from turnaround.assessments.tests import report_factories as rf
from turnaround.audit.models import AuditEvent
from turnaround.core.concurrency import StaleEditError

LABELS = dict(enumerate(rf.LEVELS))


def rated(code, level, *, key=False, position=0, rationale="", not_priority=False):
    practice = int(code[2])
    return RatedIndicator(
        indicator_id=practice * 100 + int(code.split(".")[1]),
        code=code,
        text=f"Teachers use {code} data. More words.",
        practice_id=practice,
        practice_code=f"TP{practice}",
        practice_name=f"Practice {practice}",
        position=position,
        is_key=key,
        level=level,
        level_label=LABELS.get(level, ""),
        rationale=rationale,
        not_priority=not_priority,
        next_level_label=LABELS.get(level + 1, "") if level is not None else "",
        next_descriptor=f"{code} next-level descriptor" if level is not None else "",
        look_fors=f"agendas for {code}",
    )


@pytest.fixture
def sample():
    codes = [
        ("TP1.1", 2, True),
        ("TP1.2", 1, False),
        ("TP1.3", 1, True),
        ("TP1.4", 0, False),
        ("TP2.1", 1, True),
        ("TP2.2", 1, False),
        ("TP2.3", 1, False),
        ("TP3.1", 1, False),
        ("TP3.2", 3, True),
        ("TP4.1", None, True),
    ]
    rows = [rated(c, lvl, key=k, position=i) for i, (c, lvl, k) in enumerate(codes)]
    rows.append(rated("TP4.2", 0, position=99, not_priority=True))
    return rows


# ----------------------------------------------------------------------------- the proposal


def test_lowest_first_then_key_then_weak_practices_two_per_practice(sample):
    proposed = propose_priorities(sample, top_level=3, low_label="Developing")
    # TP1.4 (No evidence) first; among Developing: KEY TP1.3 and TP2.1, then TP2.2 (TP2 has three
    # low indicators, TP3 one); TP1.2 is skipped because TP1 already has two
    assert [p.code for p in proposed] == ["TP1.4", "TP1.3", "TP2.1", "TP2.2"]
    # never: not rated (TP4.1), marked not a priority (TP4.2), already at the top (TP3.2)


def test_without_the_cap_a_weak_practice_takes_more_places(sample):
    proposed = propose_priorities(sample, top_level=3, max_per_practice=None)
    assert [p.code for p in proposed] == ["TP1.4", "TP1.3", "TP2.1", "TP1.2"]


def test_the_cap_gives_way_when_too_few_practices_have_candidates():
    rows = [rated(f"TP2.{n}", 1, position=n) for n in range(1, 6)]
    assert [p.code for p in propose_priorities(rows, top_level=3)] == [
        "TP2.1",
        "TP2.2",
        "TP2.3",
        "TP2.4",
    ]
    assert len(propose_priorities(rows, top_level=3, limit=2)) == 2


def test_why_and_suggested_actions_text():
    row = rated(
        "TP2.3",
        1,
        key=True,
        rationale="Common assessments are not used to regroup students. Teams meet monthly.",
    )
    others = [rated("TP2.1", 0, position=1), rated("TP2.2", 3, position=2)]
    (first, second) = propose_priorities([row, *others], top_level=3, low_label="Developing")[::-1]
    assert second.code == "TP2.1"
    assert first.why == (
        "TP2.3 rated Developing: common assessments are not used to regroup students. "
        "It is a KEY (high-leverage) indicator. 2 of the 3 rated indicators in TP2 (Practice 2) "
        "are at Developing or below."
    )
    assert first.suggested_actions == (
        "Work towards Providing: TP2.3 next-level descriptor\nEvidence to look for: agendas for "
        "TP2.3"
    )
    assert first.title == "TP2.3: Teachers use TP2.3 data"


def test_acronyms_keep_their_capitals_and_empty_rationale_still_reads():
    (p,) = propose_priorities([rated("TP1.1", 0, rationale="ELA teams skip data")], top_level=3)
    assert p.why.startswith("TP1.1 rated No evidence: ELA teams skip data.")
    (q,) = propose_priorities([rated("TP1.1", 0)], top_level=3)
    assert q.why == "TP1.1 rated No evidence."


def test_bad_arguments_are_refused(sample):
    with pytest.raises(ValueError, match="limit"):
        propose_priorities(sample, top_level=3, limit=-1)
    with pytest.raises(ValueError, match="max_per_practice"):
        propose_priorities(sample, top_level=3, max_per_practice=0)


# ----------------------------------------------------------------------------- services


@pytest.fixture
def visit(org, personas):
    version = rf.make_framework()
    levels = rf.all_levels(version, 2)
    levels.update({"TP2.1": 0, "TP2.2": 1, "TP2.3": 1, "TP3.4": 1, "TP4.2": 1, "TP1.5": None})
    a = rf.make_assessment(
        school=org.school,
        version=version,
        lead=personas.reviewer,  # the lead seat, without any state role
        levels=levels,
        rationales={"TP2.3": "Common assessments are not used to regroup students."},
    )
    return a


needs_db = pytest.mark.django_db


@needs_db
def test_propose_creates_ranked_priorities_with_audit(visit, personas):
    result = priorities_propose(assessment=visit, actor=personas.reviewer)
    assert [(p.rank, p.indicator.code) for p in result] == [
        (1, "TP2.1"),
        (2, "TP2.3"),  # KEY (positions 1 and 3 are KEY in the factory)
        (3, "TP3.4"),  # TP2.2 would be a third from TP2
        (4, "TP4.2"),
    ]
    tp23 = result[1]
    assert tp23.why.startswith(
        "TP2.3 rated Developing: common assessments are not used to regroup students."
    )
    assert "Work towards Providing: TP2.3 at Providing: descriptor text" in tp23.suggested_actions
    assert tp23.practice.code == "TP2" and tp23.status == Priority.Status.PROPOSED
    events = AuditEvent.objects.filter(object_type="assessments.Priority", action="create")
    assert events.count() == 4


@needs_db
def test_propose_again_keeps_agreed_priorities(visit, personas):
    first = priorities_propose(assessment=visit, actor=personas.reviewer)
    priority_save(
        actor=personas.reviewer,
        assessment=visit,
        priority=first[2],
        data={"status": "agreed", "owner": "Assistant principal"},
        expected_version=first[2].version,
    )
    again = priorities_propose(assessment=visit, actor=personas.reviewer)
    assert [(p.rank, p.indicator.code, p.status) for p in again] == [
        (1, "TP3.4", "agreed"),
        (2, "TP2.1", "proposed"),
        (3, "TP2.3", "proposed"),
        (4, "TP4.2", "proposed"),
    ]
    assert again[0].owner == "Assistant principal"


@needs_db
def test_who_may_edit(visit, personas, org):
    # the assessed school in the prioritisation session, once final
    priorities_propose(assessment=visit, actor=personas.school_leader)
    priorities_propose(assessment=visit, actor=personas.state_staff)
    for persona in ("viewer", "partner_staff"):
        with pytest.raises(PriorityEditRefused):
            priorities_propose(assessment=visit, actor=getattr(personas, persona))
    # before finalising the school cannot
    visit.status = Assessment.Status.CONSENSUS
    visit.finalised_at = None
    visit.save()
    from django.http import Http404

    with pytest.raises(Http404):  # a draft site visit is not the school's to see at all
        priorities_propose(assessment=visit, actor=personas.school_leader)
    priorities_propose(assessment=visit, actor=personas.reviewer)  # the lead still can


@needs_db
def test_save_validates_and_refuses_stale_edits(visit, personas):
    p = priority_save(
        actor=personas.state_staff,
        assessment=visit,
        data={
            "indicator": visit.framework_version.indicators.get(code="TP3.4").pk,
            "title": "Tiered supports",
            "why": "TP3.4 rated Developing.",
            "due_date": "2026-01-31",
        },
    )
    assert p.rank == 1 and p.practice.code == "TP3" and p.due_date == dt.date(2026, 1, 31)
    stale = p.version
    priority_save(
        actor=personas.state_staff,
        assessment=visit,
        priority=p,
        data={"owner": "Dean of students"},
        expected_version=stale,
    )
    with pytest.raises(StaleEditError):
        priority_save(
            actor=personas.school_leader,
            assessment=visit,
            priority=Priority.objects.get(pk=p.pk),
            data={"owner": "Somebody else"},
            expected_version=stale,
        )
    assert Priority.objects.get(pk=p.pk).owner == "Dean of students"
    with pytest.raises(ValidationError) as err:
        priority_save(
            actor=personas.state_staff,
            assessment=visit,
            data={"title": "", "why": "x", "due_date": "31/01/2026", "status": "done"},
        )
    assert set(err.value.message_dict) == {"title", "due_date", "status", "practice"}
    assert Priority.objects.count() == 1


@needs_db
def test_at_most_four(visit, personas):
    priorities_propose(assessment=visit, actor=personas.reviewer)
    with pytest.raises(ValidationError, match="at most 4"):
        priority_save(
            actor=personas.reviewer,
            assessment=visit,
            data={
                "practice": visit.framework_version.practices.first().pk,
                "title": "t",
                "why": "w",
            },
        )


@needs_db
def test_reorder_delete_and_agree(visit, personas):
    ps = priorities_propose(assessment=visit, actor=personas.reviewer)
    ids = [p.pk for p in ps]
    reordered = priority_reorder(
        actor=personas.school_leader, assessment=visit, order=[ids[3], ids[0], ids[1], ids[2]]
    )
    assert [p.pk for p in reordered] == [ids[3], ids[0], ids[1], ids[2]]
    assert [p.rank for p in reordered] == [1, 2, 3, 4]
    with pytest.raises(ValidationError):
        priority_reorder(actor=personas.reviewer, assessment=visit, order=ids[:3])
    with pytest.raises(StaleEditError):
        priority_reorder(
            actor=personas.reviewer,
            assessment=visit,
            order=ids,
            expected_versions={ids[0]: 1},  # it moved, so its version is 2 now
        )
    assert list(Priority.objects.order_by("rank").values_list("pk", flat=True)) == [
        ids[3],
        ids[0],
        ids[1],
        ids[2],
    ]
    victim = Priority.objects.get(pk=ids[0])
    priority_delete(actor=personas.reviewer, priority=victim, expected_version=victim.version)
    assert list(Priority.objects.order_by("rank").values_list("pk", "rank")) == [
        (ids[3], 1),
        (ids[1], 2),
        (ids[2], 3),
    ]
    assert priorities_agree(actor=personas.school_leader, assessment=visit) == 3
    assert set(Priority.objects.values_list("status", flat=True)) == {"agreed"}
    assert AuditEvent.objects.filter(action="delete", object_type="assessments.Priority").exists()


@needs_db
def test_agreeing_needs_a_final_report(visit, personas):
    priorities_propose(assessment=visit, actor=personas.reviewer)
    Assessment.objects.filter(pk=visit.pk).update(status="consensus", finalised_at=None)
    visit.refresh_from_db()
    with pytest.raises(ValidationError, match="once the report is final"):
        priorities_agree(actor=personas.reviewer, assessment=visit)


@needs_db
def test_priorities_for_plan(visit, personas):
    priorities_propose(assessment=visit, actor=personas.reviewer)
    first = Priority.objects.get(rank=1)
    priority_save(
        actor=personas.reviewer,
        assessment=visit,
        priority=first,
        data={"status": "agreed", "owner": "Principal", "due_date": dt.date(2026, 3, 1)},
        expected_version=first.version,
    )
    items = priorities_for_plan(visit)
    assert len(items) == 4
    top = items[0]
    assert top["practice"]["code"] == "TP2" and top["indicator"]["code"] == "TP2.1"
    assert top["owner"] == "Principal" and top["due_date"] == dt.date(2026, 3, 1)
    assert top["why"].startswith("TP2.1 rated No evidence")
    assert top["suggested_actions"] and top["status"] == "agreed"
    assert top["assessment"]["school_id"] == visit.school_id
    assert [i["rank"] for i in priorities_for_plan(visit, agreed_only=True)] == [1]


# ----------------------------------------------------------------------------- the page


@needs_db
def test_page_for_the_school_in_the_session(visit, personas, client_for):
    c = client_for(personas.school_leader)
    url = f"/assessments/{visit.pk}/priorities/"
    page = c.get(url)
    assert page.status_code == 200
    assert "Propose priorities" in page.content.decode()
    response = c.post(url, {"action": "propose"})
    assert response.status_code == 302
    assert Priority.objects.filter(assessment=visit).count() == 4
    page = c.get(url).content.decode()
    assert "TP2.1: Indicator TP2.1" in page and "Move down" in page
    first = Priority.objects.get(rank=1)
    response = c.post(url, {"action": "down", "priority": first.pk, "version": first.version})
    assert response.status_code == 302
    assert Priority.objects.get(pk=first.pk).rank == 2
    # a stale edit is refused visibly and changes nothing
    response = c.post(
        url,
        {
            "action": "save",
            "priority": first.pk,
            "version": first.version,  # stale: the move bumped it
            "indicator": first.indicator_id,
            "title": "Changed",
            "why": first.why,
        },
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert Priority.objects.get(pk=first.pk).title != "Changed"
    # an invalid edit shows what is wrong
    response = c.post(url, {"action": "save", "title": "", "why": "", "indicator": ""})
    assert response.status_code == 422
    response = c.post(url, {"action": "agree"})
    assert response.status_code == 302
    assert set(Priority.objects.values_list("status", flat=True)) == {"agreed"}


@needs_db
def test_page_access(visit, personas, client_for):
    url = f"/assessments/{visit.pk}/priorities/"
    viewer = client_for(personas.viewer)
    page = viewer.get(url)
    assert page.status_code == 200 and "Propose priorities" not in page.content.decode()
    assert viewer.post(url, {"action": "propose"}).status_code == 404
    assert not Priority.objects.exists()
    for persona in ("outsider", "other_state_admin"):
        assert client_for(getattr(personas, persona)).get(url).status_code == 404
    Assessment.objects.filter(pk=visit.pk).update(status="consensus", finalised_at=None)
    assert client_for(personas.school_leader).get(url).status_code == 404
    assert client_for(personas.reviewer).get(url).status_code == 200
