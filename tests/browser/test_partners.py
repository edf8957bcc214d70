"""A Priority Partner from application to engagement, through the real pages only.

The demo partner's staff complete and submit its draft application to the open vetting cycle;
the state administrator moves the cycle to review and assigns the demo reviewer, who declares no
conflict, scores every criterion and submits; the administrator approves the areas applied for,
which creates Priority Partner designations, and records an engagement at a school of the demo
district under one of them. The partner's staff then see that school on their scorecard.

After the ``demo`` fixture the ORM is used only to look up ids and to check the database at the
end; every change goes through the pages. axe-core checks every page on the way.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PARTNER_STAFF = "partner.staff"
ADMIN = "state.admin"
REVIEWER = "reviewer"
DEMO_PARTNER = "Demo Turnaround Partners"
OPEN_CYCLE = "Priority Partner vetting, round 2"
AGREEMENT = "MOU-2025-TEST-017"
RATIONALE = "Strong measured results in schools like ours; every reviewer scored above the bar."


def switch_user(site: Any, username: str, demo: dict[str, str]) -> None:
    site.page.context.clear_cookies()
    site.sign_in(username, demo[username])
    expect(site.page).not_to_have_url(re.compile(r"/accounts/login/"))


def fill_if_empty(locator: Any, text: str) -> None:
    if not locator.input_value().strip():
        locator.fill(text)


def tick(control: Any) -> None:
    """Check a USWDS radio button or checkbox: the input itself sits off-screen (the styled
    label stands for it), so click its label, as a person does."""
    if control.is_checked():
        return
    control.page.locator(f"label[for='{control.get_attribute('id')}']").click()
    expect(control).to_be_checked()


def tick_any(page: Any, group_name: str) -> None:
    """Tick the first box of a checkbox group when none is ticked."""
    group = page.get_by_role("group", name=group_name)
    boxes = group.get_by_role("checkbox")
    assert boxes.count() > 0, f"{group_name}: no checkbox"
    if not any(boxes.nth(i).is_checked() for i in range(boxes.count())):
        tick(boxes.first)


def look_up_school(partner: Any) -> Any:
    """A school of the demo district where the partner has no engagement yet."""
    from turnaround.accounts.models import Membership, Role
    from turnaround.organizations.models import School
    from turnaround.partners.models import Engagement

    district_id = Membership.objects.get(
        user__username="district.leader", role=Role.DISTRICT_LEADER
    ).district_id
    engaged = Engagement.objects.filter(partner=partner, school__isnull=False).values("school_id")
    school = (
        School.objects.filter(district_id=district_id)
        .exclude(pk__in=engaged)
        .order_by("name")
        .first()
    )
    assert school is not None, "every school of the demo district has an engagement"
    return school


@pytest.mark.django_db(transaction=True)
def test_partner_vetted_designated_and_engaged(site: Any, demo: dict[str, str]) -> None:
    from turnaround.accounts.models import User
    from turnaround.organizations.models import PartnerOrganization
    from turnaround.partners.models import (
        Application,
        Engagement,
        PriorityDesignation,
        ReviewAssignment,
        VettingCycle,
    )

    page = site.page
    partner = PartnerOrganization.objects.get(name=DEMO_PARTNER)
    cycle = VettingCycle.objects.get(name=OPEN_CYCLE)
    application = Application.objects.get(cycle=cycle, partner=partner)
    assert application.status == Application.Status.DRAFT
    app_url = f"/partners/vetting/applications/{application.pk}/"

    # -- 1. The partner completes and submits its draft --------------------------------------
    switch_user(site, PARTNER_STAFF, demo)
    site.goto("/partners/vetting/")
    site.assert_accessible("vetting cycles (partner)")
    page.get_by_role("table", name="Vetting cycles you can see").get_by_role(
        "link", name=OPEN_CYCLE, exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"/partners/vetting/{cycle.pk}/$"))
    site.assert_accessible("open cycle (partner)")
    page.get_by_role("link", name=re.compile(rf"^{re.escape(DEMO_PARTNER)} \(draft\)")).click()
    expect(page).to_have_url(re.compile(rf"{app_url}$"))
    site.assert_accessible("draft application")

    form = page.locator("main form.usa-form")
    tick_any(page, "Need areas applied for")
    tick_any(page, "Grade bands served")
    fill_if_empty(
        form.get_by_label(re.compile(r"^Track record")),
        "Six years with twelve elementary and middle schools in two districts.",
    )
    fill_if_empty(
        form.get_by_label(re.compile(r"^Measured results")),
        "Proficiency in ELA rose 11 points in three years; measured by the state test.",
    )
    fill_if_empty(
        form.get_by_label(re.compile(r"^Approach")),
        "Coaches work with leadership teams weekly on a few priorities and data routines.",
    )
    form.get_by_role("button", name="Save the draft").click()
    expect(page).to_have_url(re.compile(rf"{app_url}$"))
    expect(page.locator("main")).to_contain_text("Saved your draft.")
    expect(page.locator("main")).not_to_contain_text("Before you can submit")
    site.assert_accessible("draft application, saved")

    page.get_by_role("button", name="Submit the application").click()
    expect(page).to_have_url(re.compile(rf"{app_url}$"))
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    applied = list(application.need_areas)
    assert applied
    site.assert_accessible("application, submitted")

    # -- 2. The state administrator moves the cycle to review and assigns the reviewer -------
    switch_user(site, ADMIN, demo)
    site.goto(f"/partners/vetting/{cycle.pk}/")
    site.assert_accessible("open cycle (admin)")
    page.get_by_role("button", name="Move to “in review”").click()
    expect(page).to_have_url(re.compile(rf"/partners/vetting/{cycle.pk}/$"))
    expect(page.locator("main")).to_contain_text("is now in review.")
    cycle.refresh_from_db()
    assert cycle.status == VettingCycle.Status.REVIEW
    site.assert_accessible("cycle in review")

    page.get_by_role("link", name=DEMO_PARTNER, exact=True).click()
    expect(page).to_have_url(re.compile(rf"{app_url}$"))
    site.assert_accessible("application (admin)")
    page.get_by_role("link", name="Assign reviewers").click()
    expect(page).to_have_url(re.compile(rf"{app_url}reviewers/$"))
    site.assert_accessible("reviewers page")
    reviewer = User.objects.get(username=REVIEWER)
    page.get_by_label("Reviewer", exact=True).select_option(value=str(reviewer.pk))
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("main")).to_contain_text(f"Assigned {REVIEWER}.")
    site.assert_accessible("reviewers page, one assigned")
    review = ReviewAssignment.objects.get(application=application, reviewer=reviewer)

    # -- 3. The reviewer declares no conflict, scores and submits ---------------------------
    switch_user(site, REVIEWER, demo)
    site.goto("/partners/vetting/reviews/")
    site.assert_accessible("your reviews")
    page.get_by_role("row", name=re.compile(re.escape(OPEN_CYCLE))).get_by_role(
        "link", name=DEMO_PARTNER
    ).click()
    review_url = f"/partners/vetting/reviews/{review.pk}/"
    expect(page).to_have_url(re.compile(rf"{review_url}$"))
    site.assert_accessible("review (before the declaration)")

    tick(page.get_by_role("radio", name=re.compile(r"^No: I have no conflict")))
    page.get_by_role("button", name="Declare").click()
    expect(page.locator("main")).to_contain_text("Declared: no conflict of interest.")
    site.assert_accessible("review (declared)")

    scores = page.get_by_label(re.compile(r"^Score for "))
    count = scores.count()
    assert count == cycle.criteria.count() and count > 0
    for i in range(count):
        scores.nth(i).fill("4")
    page.get_by_role("button", name="Save the scores").click()
    expect(page).to_have_url(re.compile(rf"{review_url}$"))
    expect(page.get_by_role("table", name="Your scores")).to_be_visible()
    site.assert_accessible("review (scored)")
    page.get_by_role("button", name="Submit the review").click()
    expect(page).to_have_url(re.compile(rf"{review_url}$"))
    expect(page.locator("main")).to_contain_text("your scores are locked")
    site.assert_accessible("review (submitted)")
    review.refresh_from_db()
    assert review.submitted_at is not None

    # -- 4. The administrator approves: Priority Partner designations ------------------------
    switch_user(site, ADMIN, demo)
    site.goto(app_url)
    page.get_by_role("link", name="Record the decision").click()
    expect(page).to_have_url(re.compile(rf"{app_url}decision/$"))
    site.assert_accessible("decision page")
    tick(page.get_by_role("radio", name="Approved as a Priority Partner"))
    areas = page.get_by_role("group", name="Areas approved").get_by_role("checkbox")
    assert areas.count() == len(applied)
    for i in range(areas.count()):
        tick(areas.nth(i))
    page.get_by_label(re.compile(r"^Rationale")).fill(RATIONALE)
    page.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_url(re.compile(rf"{app_url}$"))
    main = page.locator("main")
    expect(main).to_contain_text("Recorded: approved as a priority partner")
    expect(
        page.get_by_role("heading", name="Decision: Approved as a Priority Partner")
    ).to_be_visible()
    site.assert_accessible("application (decided)")

    designations = PriorityDesignation.objects.filter(
        decision__application=application, revoked_at__isnull=True
    ).order_by("need_area")
    assert sorted(d.need_area for d in designations) == sorted(applied)
    designation = designations.first()
    assert designation is not None

    site.goto("/partners/designations/")
    row = page.locator(f"#designation-{designation.pk}")
    expect(row).to_contain_text(DEMO_PARTNER)
    expect(row).to_contain_text(designation.get_need_area_display())
    site.assert_accessible("designations")

    # -- 5. The administrator records an engagement under the designation --------------------
    school = look_up_school(partner)
    site.goto(f"/partners/engagements/new/?partner={partner.pk}")
    site.assert_accessible("record an engagement")
    form = page.locator("main form.usa-form")
    expect(form.get_by_label("Partner", exact=True)).to_have_value(str(partner.pk))
    form.get_by_label("Priority Partner designation").select_option(value=str(designation.pk))
    form.get_by_label(re.compile(r"^School")).select_option(value=str(school.pk))
    form.get_by_label("Need area").select_option(value=designation.need_area)
    form.get_by_label("Scope").fill("Weekly coaching of the leadership team; family nights.")
    form.get_by_label("Starts", exact=True).fill(designation.starts_on.isoformat())
    ends = min(
        designation.expires_on, designation.starts_on.replace(year=designation.starts_on.year + 1)
    )
    form.get_by_label("Ends", exact=True).fill(ends.isoformat())
    form.get_by_label(re.compile(r"^Cost")).fill("45000.00")
    form.get_by_label(re.compile(r"^Funding source")).select_option(value="title_i_1003")
    form.get_by_label(re.compile(r"^Written agreement")).fill(AGREEMENT)
    form.get_by_role("button", name="Record the engagement").click()
    expect(page).to_have_url(re.compile(r"/partners/engagements/\d+/$"))
    expect(main).to_contain_text("Recorded the engagement")
    site.assert_accessible("engagement detail")
    engagement = Engagement.objects.get(partner=partner, school=school)
    assert engagement.designation_id == designation.pk
    assert engagement.agreement_reference == AGREEMENT
    assert engagement.cost == Decimal("45000.00")
    assert (engagement.starts_on, engagement.ends_on) == (designation.starts_on, ends)

    site.goto(f"/partners/engagements/?partner={partner.pk}")
    expect(page.locator("#engagements-table")).to_contain_text(school.name)
    site.assert_accessible("engagements list")

    # -- 6. The partner's staff see the school on their scorecard ----------------------------
    switch_user(site, PARTNER_STAFF, demo)
    site.goto(f"/partners/{partner.pk}/scorecard/")
    expect(page.get_by_role("table", name=re.compile(r"^Every engagement"))).to_contain_text(
        school.name
    )
    site.assert_accessible("scorecard (partner)")

    site.assert_no_problems()
