"""Every demo role signs in, finds a school it may see with the live search, and opens its profile;
each page on the way has no serious or critical accessibility violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROLES = [
    "state.admin",
    "state.staff",
    "ta.provider",
    "reviewer",
    "viewer",
    "district.leader",
    "school.leader",
    "partner.staff",
]


def search_fragment(name: str) -> str:
    """The start of the name without its last characters: a fragment, not the whole name."""
    return name[: max(4, len(name) - 3)]


def pick_schools(username: str):
    """A school the user can see, and (if any) another one that the fragment does not match."""
    from turnaround.accounts.access import visible_schools
    from turnaround.accounts.models import User

    user = User.objects.get(username=username)
    schools = list(visible_schools(user).select_related("district").order_by("name"))
    assert schools, f"{username} sees no school in the demo"
    school = schools[0]
    fragment = search_fragment(school.name).lower()
    others = [
        s
        for s in schools
        if fragment not in s.name.lower()
        and fragment not in s.district.name.lower()
        and fragment not in s.code.lower()
    ]
    return school, fragment, (others[0] if others else None)


@pytest.mark.parametrize("username", ROLES)
def test_role_finds_a_school_and_opens_its_profile(site, demo, username):
    page = site.page

    site.goto("/accounts/login/")
    site.assert_accessible("sign-in page")
    site.sign_in(username, demo[username])
    # home ("/") sends each role on to its own landing page (state, district, school or list)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_have_count(1)
    site.assert_accessible(f"home page ({page.url.removeprefix(site.base_url)})")

    school, fragment, other = pick_schools(username)
    site.goto("/schools/")
    table = page.locator("#schools-table")
    expect(table).to_be_visible()
    site.assert_accessible("schools list")

    with page.expect_response(
        lambda r: "/schools" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.locator("#school-search").press_sequentially(fragment, delay=20)
    expect(table).to_contain_text(school.name)
    if other is not None:
        expect(table).not_to_contain_text(other.name)
    site.assert_accessible("schools list, filtered")

    table.get_by_role("link", name=school.name, exact=True).first.click()
    expect(page).to_have_url(re.compile(rf"/schools/{school.pk}/$"))
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_contain_text(school.name)
    site.assert_accessible("school profile")

    site.assert_no_problems()


def test_styles_and_scripts_load(site):
    """USWDS's stylesheet is served by the live server and applied."""
    site.goto("/accounts/login/")
    rules = site.page.evaluate(
        """() => [...document.styleSheets]
              .filter(s => s.href && s.href.includes("uswds"))
              .map(s => s.cssRules.length)"""
    )
    assert rules, "no USWDS stylesheet on the sign-in page"
    assert all(n > 100 for n in rules), rules
    # a USWDS rule is in force: the body font is not the browser's default serif
    font = site.page.evaluate("() => getComputedStyle(document.body).fontFamily")
    assert "Source Sans" in font or "system-ui" in font or "sans" in font.lower(), font
    site.assert_no_problems()


def _sign_in_error(site, login: str, password: str) -> str:
    site.sign_in(login, password)
    expect(site.page).to_have_url(re.compile(r"/accounts/login/"))
    return site.page.locator("main").inner_text()


def test_wrong_password_and_unknown_user_get_the_same_message(site, demo):
    site.goto("/accounts/login/")
    blank = site.page.locator("main").inner_text()

    wrong_password = _sign_in_error(site, "state.admin", "not-the-right-password-1")
    site.assert_accessible("sign-in page with an error")
    unknown_user = _sign_in_error(site, "nobody.at.all", "not-the-right-password-1")

    assert wrong_password != blank, "no error shown for a wrong password"
    assert wrong_password == unknown_user
