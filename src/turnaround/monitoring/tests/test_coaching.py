"""Coaching comments: who may comment, targets that must belong to the plan, threads, and the
notifications to the people responsible (in the app and by email after the commit; never the
author) — checked in ``mail.outbox``, the Notification rows, the pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from turnaround.accounts.models import Membership, User
from turnaround.monitoring import services
from turnaround.monitoring.models import Comment, Notification
from turnaround.plans.models import Action, PlanStatus
from turnaround.plans.tests.factories import make_plan

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def plan(org):
    return make_plan(school=org.school, status=PlanStatus.STATE_APPROVED)


@pytest.fixture
def owner(org):
    """A second school leader who owns the plan's action."""
    user = User.objects.create_user(
        username="ap", email="ap@example.org", first_name="Ana", last_name="Perez"
    )
    Membership.objects.create(user=user, role="school_leader", school=org.school)
    return user


@pytest.fixture
def action(plan, owner):
    a = Action.objects.get(strategy__objective__plan=plan)
    a.owner_user = owner
    a.save(update_fields=["owner_user"])
    return a


def recipients(comment) -> set[str]:
    return set(
        Notification.objects.filter(comment=comment).values_list("recipient__username", flat=True)
    )


def test_a_comment_notifies_the_authors_and_the_owner_never_the_author(
    plan, action, personas, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        comment = services.comment_add(
            actor=personas.state_staff,
            plan=plan,
            target_kind="action",
            target_id=action.pk,
            body="Strength: the screener is chosen. Next: show the training calendar.",
        )
    assert len(callbacks) == 1
    assert recipients(comment) == {"principal", "district", "ap"}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "ap@example.org",
        "district@example.org",
        "principal@example.org",
    ]
    message = next(m for m in mail.outbox if m.to == ["ap@example.org"])
    assert message.subject == (
        "staff commented on action “Adopt a screener and train grade teams” — "
        "Turnaround plan 2026–2029"
    )
    assert "Show the training calendar".lower() in message.body.lower()
    assert f"/plans/{plan.pk}/comments/action/{action.pk}/" in message.body
    assert "You receive this because you own this action." in message.body
    assert all(n.emailed_at is not None for n in Notification.objects.all())
    assert "staff@example.org" not in [m.to[0] for m in mail.outbox]


def test_replies_notify_everyone_earlier_in_the_thread(
    plan, personas, django_capture_on_commit_callbacks
):
    goal = plan.goals.get()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.comment_add(
            actor=personas.partner_staff,
            plan=plan,
            target_kind="goal",
            target_id=goal.pk,
            body="Is 26% realistic for next spring?",
        )
    assert recipients(first) == {"principal", "district"}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.comment_add(
            actor=personas.school_leader,
            plan=plan,
            target_kind="goal",
            target_id=goal.pk,
            body="Yes: the interim results support it.",
            parent=first,
        )
    assert reply.parent == first
    assert recipients(reply) == {"partner", "district"}
    assert sorted(m.to[0] for m in mail.outbox) == ["district@example.org", "partner@example.org"]
    partner_mail = next(m for m in mail.outbox if m.to == ["partner@example.org"])
    assert "you wrote earlier in this thread" in partner_mail.body


def test_emails_wait_for_the_commit(plan, personas):
    # until the transaction commits (the test never commits), the notification exists but no
    # email is sent
    comment = services.comment_add(
        actor=personas.state_staff, plan=plan, target_kind="plan", target_id=plan.pk, body="Hi"
    )
    assert recipients(comment) == {"principal", "district"}
    assert mail.outbox == []
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()


@pytest.mark.parametrize("who", ["viewer", "ta_provider", "reviewer"])
def test_readers_cannot_comment(plan, personas, who):
    with pytest.raises(PermissionDenied, match="Only coaches comment"):
        services.comment_add(
            actor=getattr(personas, who),
            plan=plan,
            target_kind="plan",
            target_id=plan.pk,
            body="Hello",
        )
    assert not Comment.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "other_state_admin", "other_partner_staff"])
def test_outsiders_cannot_comment(plan, personas, who):
    with pytest.raises(PermissionDenied, match="cannot see this plan"):
        services.comment_add(
            actor=getattr(personas, who),
            plan=plan,
            target_kind="plan",
            target_id=plan.pk,
            body="Hello",
        )
    assert not Comment.objects.exists()


def test_the_target_must_belong_to_the_plan(org, plan, personas):
    other = make_plan(school=org.school_hs, status=PlanStatus.STATE_APPROVED)
    other_action = Action.objects.get(strategy__objective__plan=other)
    cases = [
        ("action", other_action.pk, "target_id", "That action is not part of this plan."),
        ("goal", other.goals.get().pk, "target_id", "That goal is not part of this plan."),
        ("plan", other.pk, "target_id", "That plan is not part of this plan."),
        ("budget", 1, "target_kind", None),
    ]
    for kind, target_id, field, message in cases:
        with pytest.raises(ValidationError) as exc:
            services.comment_add(
                actor=personas.state_staff,
                plan=plan,
                target_kind=kind,
                target_id=target_id,
                body="x",
            )
        got = exc.value.message_dict[field]
        if message:
            assert got == [message]
    assert not Comment.objects.exists()


def test_body_length_and_parent_rules(plan, personas):
    goal = plan.goals.get()
    with pytest.raises(ValidationError) as exc:
        services.comment_add(
            actor=personas.state_staff,
            plan=plan,
            target_kind="goal",
            target_id=goal.pk,
            body="   ",
        )
    assert exc.value.message_dict == {"body": ["Write the comment."]}
    with pytest.raises(ValidationError) as exc:
        services.comment_add(
            actor=personas.state_staff,
            plan=plan,
            target_kind="goal",
            target_id=goal.pk,
            body="x" * 5001,
        )
    assert exc.value.message_dict["body"][0].startswith("The comment is 5,001 characters long")
    on_plan = services.comment_add(
        actor=personas.state_staff, plan=plan, target_kind="plan", target_id=plan.pk, body="Hi"
    )
    with pytest.raises(ValidationError) as exc:
        services.comment_add(
            actor=personas.school_leader,
            plan=plan,
            target_kind="goal",
            target_id=goal.pk,
            body="reply",
            parent=on_plan,
        )
    assert exc.value.message_dict == {
        "parent": ["You can reply only to a comment on the same item."]
    }
    assert Comment.objects.count() == 1
    ok = services.comment_add(
        actor=personas.state_staff,
        plan=plan,
        target_kind="goal",
        target_id=goal.pk,
        body="x" * 5000,
    )
    assert len(ok.body) == 5000


def test_comments_on_a_session_and_a_next_step(
    plan, personas, owner, django_capture_on_commit_callbacks
):
    session = services.session_schedule(
        actor=personas.school_leader,
        plan=plan,
        year=2027,
        quarter=1,
        held_on=dt.date(2026, 9, 24),
    )
    session = services.session_open(actor=personas.school_leader, session=session)
    step = services.next_step_add(
        actor=personas.school_leader,
        session=session,
        description="Post the calendar",
        owner_user=owner,
        due_on=dt.date(2026, 10, 10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        c = services.comment_add(
            actor=personas.district_leader,
            plan=plan,
            target_kind="next_step",
            target_id=step.pk,
            body="Can it go out before the October break?",
        )
    assert recipients(c) == {"principal", "ap"}
    assert any("you own this next step" in m.body for m in mail.outbox)
    s = services.comment_add(
        actor=personas.state_staff,
        plan=plan,
        target_kind="session",
        target_id=session.pk,
        body="Good use of the screener data.",
    )
    assert s.target_kind == "session"


def test_the_comments_page_and_fragment(
    plan, action, personas, client_for, django_capture_on_commit_callbacks
):
    url = f"/plans/{plan.pk}/comments/action/{action.pk}/"
    c = client_for(personas.state_staff)
    page = c.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<h1") == 1
    assert "Comments on action “Adopt a screener and train grade teams”" in html
    refused = c.post(url, {"body": ""})
    assert refused.status_code == 422 and not Comment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        posted = c.post(url, {"body": "Please attach the training sign-in sheets."})
    comment = Comment.objects.get()
    assert posted.status_code == 302 and posted["Location"] == f"{url}#comment-{comment.pk}"
    assert len(mail.outbox) == 3
    fragment = client_for(personas.school_leader).get(url, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "<h1" not in text and "Please attach the training sign-in sheets." in text
    assert f'id="reply-{comment.pk}"' in text
    reply = client_for(personas.school_leader).post(
        url, {"body": "Attached.", "parent": comment.pk}, HTTP_HX_REQUEST="true"
    )
    assert reply.status_code == 200 and "Attached." in reply.content.decode()
    assert Comment.objects.filter(parent=comment).count() == 1
    # a viewer reads but may not post; an outsider sees nothing
    viewer = client_for(personas.viewer)
    assert "Post the comment" not in viewer.get(url).content.decode()
    assert viewer.post(url, {"body": "hi"}).status_code == 403
    assert client_for(personas.outsider).get(url).status_code == 404
    assert client_for(personas.outsider).post(url, {"body": "hi"}).status_code == 404
    assert c.get(f"/plans/{plan.pk}/comments/action/999999/").status_code == 404
    assert Comment.objects.count() == 2


def test_the_notifications_page(plan, personas, client_for):
    services.comment_add(
        actor=personas.state_staff,
        plan=plan,
        target_kind="plan",
        target_id=plan.pk,
        body="First note",
    )
    services.comment_add(
        actor=personas.state_staff,
        plan=plan,
        target_kind="plan",
        target_id=plan.pk,
        body="Second note",
    )
    c = client_for(personas.school_leader)
    page = c.get("/notifications/")
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<h1") == 1 and "2 unread." in html
    first = Notification.objects.get(recipient=personas.school_leader, comment__body="First note")
    assert c.post(f"/notifications/{first.pk}/read").status_code == 302
    assert Notification.objects.get(pk=first.pk).read_at is not None
    rows = [r["n"].pk for r in c.get("/notifications/").context["rows"]]
    assert rows[-1] == first.pk  # unread first
    theirs = Notification.objects.get(
        recipient=personas.district_leader, comment__body="First note"
    )
    assert c.post(f"/notifications/{theirs.pk}/read").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    c.post("/notifications/read-all")
    assert not Notification.objects.filter(
        recipient=personas.school_leader, read_at__isnull=True
    ).exists()
    assert client_for(personas.outsider).get("/notifications/").status_code == 200


def test_the_coaching_api(plan, action, personas, client_for, django_capture_on_commit_callbacks):
    base = f"/api/v1/plans/{plan.pk}/comments"
    staff = client_for(personas.state_staff)
    with django_capture_on_commit_callbacks(execute=True):
        created = staff.post(
            f"{base}?target_kind=action&target_id={action.pk}", {"body": "Dates?"}, JSON
        )
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert len(mail.outbox) == 3
    reply = client_for(personas.school_leader).post(
        f"{base}?target_kind=action&target_id={action.pk}",
        {"body": "By 1 October.", "parent_id": cid},
        JSON,
    )
    assert reply.status_code == 201
    thread = client_for(personas.viewer).get(f"{base}?target_kind=action&target_id={action.pk}")
    assert [(c["body"], c["depth"]) for c in thread.json()] == [("Dates?", 0), ("By 1 October.", 1)]
    plan_thread = staff.get(base)
    assert plan_thread.status_code == 200 and plan_thread.json() == []
    bad = staff.post(f"{base}?target_kind=action&target_id=999999", {"body": "x"}, JSON)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "target_id"]
    empty = staff.post(f"{base}?target_kind=action&target_id={action.pk}", {"body": " "}, JSON)
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "body"]
    assert client_for(personas.viewer).post(base, {"body": "x"}, JSON).status_code == 403
    assert client_for(personas.outsider).post(base, {"body": "x"}, JSON).status_code == 404
    assert Comment.objects.count() == 2
    mine = client_for(personas.school_leader).get("/api/v1/notifications").json()
    assert [n["comment"]["body"] for n in mine] == ["Dates?"]
    assert mine[0]["item"] == "action “Adopt a screener and train grade teams”"
    owner_c = client_for(personas.state_staff)
    owner_mine = owner_c.get("/api/v1/notifications").json()
    assert [n["comment"]["body"] for n in owner_mine] == ["By 1 October."]
    read = owner_c.post(f"/api/v1/notifications/{owner_mine[0]['id']}/read")
    assert read.status_code == 200 and read.json()["read_at"] is not None
    other = client_for(personas.district_leader).post(
        f"/api/v1/notifications/{owner_mine[0]['id']}/read"
    )
    assert other.status_code == 404
