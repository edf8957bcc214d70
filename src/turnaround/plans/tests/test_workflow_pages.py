"""The approval pages: version history, the panel's transitions, differences between versions."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.urls import reverse

from turnaround.plans.models import GoalTarget, Plan, PlanStatus, PlanVersion
from turnaround.plans.services.workflow import (
    plan_district_approve,
    plan_state_approve,
    plan_submit,
)
from turnaround.plans.tests.factories import make_plan
from turnaround.plans.views_workflow import workflow_panel_context

S = PlanStatus


@pytest.fixture
def plan(org):
    return make_plan(school=org.school)


def _text(response) -> str:
    html = response.content.decode()
    return htmllib.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def _post(client, plan, name, comment="", version=None):
    return client.post(
        reverse("plans:transition", args=[plan.pk]),
        {
            "name": name,
            "comment": comment,
            "version": plan.version if version is None else version,
        },
    )


def test_the_versions_page_shows_the_panel_and_history(plan, personas, client_for):
    response = client_for(personas.school_leader).get(reverse("plans:versions", args=[plan.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'name="name" value="submit"' in html
    assert 'value="district_approve"' not in html
    assert '<label class="usa-label" for="workflow-comment">' in html
    text = _text(response)
    assert "This plan is a draft; its authors" in text
    assert "No versions yet" in text


def test_submit_redirects_to_the_plan_with_a_message(plan, personas, client_for):
    client = client_for(personas.school_leader)
    response = _post(client, plan, "submit", comment="Ready for review.")
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:detail", args=[plan.pk])
    stored = Plan.objects.get(pk=plan.pk)
    assert (stored.status, stored.version) == (S.SUBMITTED, 2)
    version = PlanVersion.objects.get(plan=plan)
    assert (version.transition, version.comment) == ("submit", "Ready for review.")
    page = client.get(reverse("plans:versions", args=[plan.pk]))
    text = _text(page)
    assert "Plan submitted for approval." in text
    assert "Submitted for approval" in text and "Ready for review." in text


def test_the_district_approves_and_returns_from_the_panel(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    plan.refresh_from_db()
    client = client_for(personas.district_leader)
    html = client.get(reverse("plans:versions", args=[plan.pk])).content.decode()
    assert 'value="district_approve"' in html and 'value="return"' in html
    assert "required to return with comments" in html

    response = _post(client, plan, "return", comment="")
    assert response.status_code == 422
    assert "Say what must change" in _text(response)
    assert Plan.objects.get(pk=plan.pk).status == S.SUBMITTED

    response = _post(client, plan, "return", comment="Add a target for English learners.")
    assert response.status_code == 302
    assert Plan.objects.get(pk=plan.pk).status == S.RETURNED
    # the authors see the comment in the panel
    page = client_for(personas.school_leader).get(reverse("plans:versions", args=[plan.pk]))
    text = _text(page)
    assert "Last step: Returned with comments" in text
    assert "Add a target for English learners." in text


def test_a_refused_transition_says_why_and_changes_nothing(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    plan.refresh_from_db()
    response = _post(client_for(personas.school_leader), plan, "district_approve")
    assert response.status_code == 403
    assert (
        "this plan is submitted; the district approves or returns it. "
        "You are the school's leader." in _text(response)
    )
    stored = Plan.objects.get(pk=plan.pk)
    assert (stored.status, stored.version) == (S.SUBMITTED, 2)


def test_a_transition_the_status_does_not_allow_is_a_conflict(plan, personas, client_for):
    response = _post(client_for(personas.state_staff), plan, "state_approve")
    assert response.status_code == 409
    assert "You cannot approve it for the state: this plan is a draft" in _text(response)
    assert Plan.objects.get(pk=plan.pk).status == S.DRAFT


def test_a_stale_transition_shows_a_conflict_and_keeps_the_comment(plan, personas, client_for):
    loaded = plan.version
    plan_submit(actor=personas.school_leader, plan=plan)
    response = _post(
        client_for(personas.district_leader), plan, "return", "Typed text.", version=loaded
    )
    assert response.status_code == 409
    text = _text(response)
    assert "changed by someone else" in text
    assert "Typed text." in response.content.decode()
    stored = Plan.objects.get(pk=plan.pk)
    assert (stored.status, stored.version) == (S.SUBMITTED, 2)
    assert PlanVersion.objects.filter(plan=plan).count() == 1


def test_submitting_an_incomplete_plan_lists_the_gaps(plan, personas, client_for):
    GoalTarget.objects.filter(goal__plan=plan, year=2029).delete()
    client = client_for(personas.school_leader)
    page = client.get(reverse("plans:versions", args=[plan.pk]))
    assert "Not ready to submit." in _text(page)
    response = _post(client, plan, "submit")
    assert response.status_code == 422
    text = _text(response)
    assert "The plan cannot be submitted yet:" in text
    assert "needs a target for 2028–29" in text
    assert Plan.objects.get(pk=plan.pk).status == S.DRAFT


def test_outsiders_get_404(plan, personas, client_for):
    client = client_for(personas.outsider)
    assert client.get(reverse("plans:versions", args=[plan.pk])).status_code == 404
    assert _post(client, plan, "submit").status_code == 404
    assert client.get(reverse("plans:diff", args=[plan.pk])).status_code == 404
    assert Plan.objects.get(pk=plan.pk).status == S.DRAFT


def test_anonymous_users_are_sent_to_sign_in(plan, client):
    response = client.get(reverse("plans:versions", args=[plan.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_transition_page_takes_post_only(plan, personas, client_for):
    response = client_for(personas.school_leader).get(reverse("plans:transition", args=[plan.pk]))
    assert response.status_code == 405


def _approve(plan, personas):
    plan_submit(actor=personas.school_leader, plan=plan, comment="Internal note.")
    plan_district_approve(actor=personas.district_leader, plan=plan)
    plan_state_approve(actor=personas.state_staff, plan=plan)
    plan.refresh_from_db()


def test_readers_of_approved_plans_see_approved_versions_only(plan, personas, client_for):
    _approve(plan, personas)
    response = client_for(personas.viewer).get(reverse("plans:versions", args=[plan.pk]))
    assert response.status_code == 200
    text = _text(response)
    assert "Approved by the state" in text
    assert "Internal note." not in text
    assert (
        "<button" not in response.content.decode().split('id="workflow"')[1].split("</section>")[0]
    )
    staff = _text(client_for(personas.state_staff).get(reverse("plans:versions", args=[plan.pk])))
    assert "Internal note." in staff


def test_the_diff_page(plan, personas, client_for):
    plan_submit(actor=personas.school_leader, plan=plan)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    # a later version with a changed target (written directly: content edits are not ours)
    GoalTarget.objects.filter(goal__plan=plan, year=2028).update(value=35)
    plan_state_approve(actor=personas.state_staff, plan=plan)
    client = client_for(personas.school_leader)
    response = client.get(reverse("plans:diff", args=[plan.pk]) + "?from=1&to=3")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    text = _text(response)
    assert "Changes from version 1 to version 3" in text
    assert "Changed Goal “ELA proficiency, all students”" in text
    assert "Target for 2027–28 : Changed from 31 to 35" in text
    assert "<del>31</del>" in html and "<ins>35</ins>" in html
    # without parameters: the last two versions
    default = client.get(reverse("plans:diff", args=[plan.pk]))
    assert "Changes from version 2 to version 3" in _text(default)
    # versions that do not exist
    missing = client.get(reverse("plans:diff", args=[plan.pk]) + "?from=1&to=9")
    assert missing.status_code == 404
    assert "Choose two versions to compare from those listed: 1, 2, 3." in _text(missing)


def test_the_diff_page_with_fewer_than_two_versions(plan, personas, client_for):
    response = client_for(personas.school_leader).get(reverse("plans:diff", args=[plan.pk]))
    assert response.status_code == 200
    assert "nothing to compare" in _text(response)


def test_the_panel_context_for_the_plan_page(plan, personas):
    from turnaround.plans.access import get_plan_for_user

    ctx = workflow_panel_context(get_plan_for_user(personas.district_leader, plan.pk))
    w = ctx["workflow"]
    assert [t["name"] for t in w["transitions"]] == ["submit"]
    assert w["status_label"] == "Draft"
    assert w["blockers"] == []
    assert w["version"] == plan.version


# ---------------------------------------------------------------------------------------------
# In a browser: axe-core on the versions and diff pages, the panel used with a keyboard-free click


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium():
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does)")
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM beside Playwright's event loop
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()
    if old is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old


def _axe(page) -> list[str]:
    from pathlib import Path

    axe = Path(__file__).resolve().parents[4] / "node_modules" / "axe-core" / "axe.min.js"
    page.add_script_tag(path=str(axe))
    return page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))"""
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_workflow_pages_in_a_browser(chromium, live_server, org, personas):
    from django.conf import settings
    from django.test import Client

    plan = make_plan(school=org.school)
    plan_submit(actor=personas.school_leader, plan=plan)
    GoalTarget.objects.filter(goal__plan=plan, year=2028).update(value=35)
    plan_district_approve(actor=personas.district_leader, plan=plan)
    client = Client()
    client.force_login(personas.state_staff)
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(reverse("plans:versions", args=[plan.pk]))
    assert page.locator("h1").count() == 1
    assert _axe(page) == []
    page.get_by_role("button", name="Show the changes").click()
    page.wait_for_load_state()
    assert "Changed from" in page.content()
    assert _axe(page) == []

    page.goto(reverse("plans:versions", args=[plan.pk]))
    page.get_by_role("button", name="Return with comments").click()
    page.wait_for_load_state()
    assert "Say what must change" in page.content()
    assert _axe(page) == []
    page.get_by_label("Comment").fill("Add a growth goal.")
    page.get_by_role("button", name="Return with comments").click()
    page.wait_for_load_state()
    assert Plan.objects.get(pk=plan.pk).status == S.RETURNED
    assert not errors, errors
