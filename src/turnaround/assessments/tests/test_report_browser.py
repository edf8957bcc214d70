"""The report, priorities and comparison pages in Debian's Chromium: charts drawn by vega-embed,
no JavaScript errors or failed requests, and no serious axe-core accessibility violation.

Uses ``/usr/bin/chromium`` through Playwright, like ``tests/browser`` (skipped without it, except
in CI). Set ``REPORT_SCREENSHOTS=/some/dir`` to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from turnaround.assessments.tests import report_factories as rf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[4]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does)")
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM beside Playwright's event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()
    if old is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old


@pytest.fixture
def data(org, personas):
    v1 = rf.make_framework()
    levels = rf.all_levels(v1, 2)
    levels.update({"TP2.1": 0, "TP2.3": 1, "TP4.5": None})
    rf.make_assessment(
        school=org.school,
        version=v1,
        lead=personas.state_staff,
        levels=rf.all_levels(v1, 1),
        school_year="2024-25",
        start=dt.date(2024, 10, 1),
    )
    current = rf.make_assessment(
        school=org.school, version=v1, lead=personas.state_staff, levels=levels
    )
    rf.make_assessment(
        school=org.school_hs, version=v1, lead=personas.state_staff, levels=rf.all_levels(v1, 3)
    )
    rf.add_amendment(current, by=personas.state_admin, code="TP2.1", before=1, after=0)
    rf.add_priority(current, rank=1, code="TP2.1", owner="Principal")
    return current


def _open(browser: Any, live_server: Any, user: Any) -> tuple[Any, list[str]]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url)
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
    problems: list[str] = []
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.url.startswith(live_server.url) and r.status >= 400
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"JavaScript error: {e}"))
    return page, problems


def _check(page: Any, problems: list[str], path: str, name: str, charts: int) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, path
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        f"document.querySelectorAll('.chart svg').length >= {charts}", timeout=15_000
    )
    if os.environ.get("REPORT_SCREENSHOTS"):
        page.screenshot(
            path=str(Path(os.environ["REPORT_SCREENSHOTS"]) / f"{name}.png"), full_page=True
        )
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))"""
    )
    assert not violations, f"{name}: {violations}"
    assert not problems, problems


def test_report_page_in_a_browser(browser, live_server, data, personas):
    page, problems = _open(browser, live_server, personas.state_staff)
    _check(page, problems, f"/assessments/{data.pk}/report/", "report", charts=1)
    assert page.locator("h1").count() == 1


def test_priorities_page_in_a_browser(browser, live_server, data, personas):
    page, problems = _open(browser, live_server, personas.school_leader)
    _check(page, problems, f"/assessments/{data.pk}/priorities/", "priorities", charts=0)
    page.get_by_role("button", name="Propose priorities").click()
    page.wait_for_load_state()
    assert page.locator("article").count() >= 2
    assert not problems, problems


def test_compare_page_in_a_browser(browser, live_server, data, personas):
    page, problems = _open(browser, live_server, personas.state_staff)
    _check(page, problems, "/assessments/compare/?state=MA", "compare", charts=3)
