"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

The live server serves static files through Django's finders (``django.contrib.staticfiles``),
so the USWDS and htmx files from ``node_modules`` load exactly as in the product. No browser is
ever downloaded: the tests use ``/usr/bin/chromium`` (Debian's ``chromium`` package, which
``./dev test`` installs). Without it they are skipped on a developer's machine and fail in CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

DEMO_PASSWORD = "walkthrough-demo-password-2017"
SERIOUS = ("serious", "critical")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in this thread; Django would refuse ORM
    calls from the test (fixtures, look-ups) without this. Set only while browser tests run."""
    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if old is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old


@pytest.fixture(scope="module")
def browser(_allow_orm_beside_playwright: None) -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (./dev test does)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Site:
    """The live server as one browser tab sees it, with what went wrong on the way."""

    page: Any
    base_url: str
    problems: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.url(path))
        assert response is not None, f"GET {path}: no response"
        assert response.ok, f"GET {path}: {response.status}"
        return response

    def sign_in(self, username: str, password: str) -> None:
        self.goto("/accounts/login/")
        form = self.page.locator("form:has(input[name=login])")
        form.locator("input[name=login]").fill(username)
        form.locator("input[name=password]").fill(password)
        form.locator("[type=submit]").first.click()
        self.page.wait_for_load_state()

    def assert_accessible(self, what: str) -> None:
        """No serious or critical axe-core violation on the page as it is now."""
        violations = axe_violations(self.page)
        assert not violations, f"{what}: axe-core found\n{describe(violations)}"

    def assert_no_problems(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def site(browser: Any, live_server: Any) -> Iterator[Site]:
    """A fresh browser context (no cookies) on the live server. Same-origin responses with status
    >= 400, requests that fail (other than aborted ones) and JavaScript errors are collected in
    ``site.problems``."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    result = Site(page=page, base_url=live_server.url)

    def on_response(response: Any) -> None:
        if response.url.startswith(live_server.url) and response.status >= 400:
            result.problems.append(f"{response.status} {response.url}")

    page.on("response", on_response)

    def on_request_failed(request: Any) -> None:
        # an aborted request (a newer htmx request, or leaving the page) is not an error
        if "ERR_ABORTED" not in (request.failure or ""):
            result.problems.append(f"failed {request.url}: {request.failure}")

    page.on("requestfailed", on_request_failed)
    page.on("pageerror", lambda error: result.problems.append(f"JavaScript error: {error}"))
    yield result
    context.close()


@pytest.fixture
def demo(transactional_db: None) -> dict[str, str]:
    """A small demo state (30 schools, no student-level records) with one user per role.

    Returns ``{username: password}``."""
    from turnaround.demo.services import (
        demo_assessments_create,
        demo_load,
        demo_partners_create,
        demo_users_create,
    )

    demo_load(schools=30, student_share=0.0)
    logins = demo_users_create(password=DEMO_PASSWORD)
    demo_assessments_create()
    demo_partners_create()
    return {login.username: DEMO_PASSWORD for login in logins}


AXE_RUN = r"""async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
    summary: (v.nodes[0] && v.nodes[0].failureSummary || "").replace(/\s+/g, " ").slice(0, 300),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (from node_modules) on the page; return its serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(AXE_RUN)
    return [v for v in violations if v["impact"] in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} — {v['help']} at {', '.join(v['nodes'])} ({v['summary']})"
        for v in violations
    )


@pytest.fixture
def axe() -> Any:
    """``axe(page)`` → the serious and critical axe-core violations on the page."""
    return axe_violations
