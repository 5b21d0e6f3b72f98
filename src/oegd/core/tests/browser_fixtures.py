"""Browser test set-up: Chromium through Playwright, a page per test, and axe-core checks.

Chromium comes from the system (Debian's ``chromium`` package), not from ``playwright install``.
Without it the browser tests are skipped; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

AXE_SOURCE = Path(settings.BASE_DIR, "node_modules", "axe-core", "axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (uv sync --group dev).")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _missing("Chromium is not installed: apt-get install chromium (playwright install is not used).")
    if not AXE_SOURCE.exists():
        _missing(f"axe-core is missing at {AXE_SOURCE}: run npm ci.")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
    # itself (factories, assertions on rows) would otherwise be refused as "async unsafe". Only
    # for the browser tests' module, so other tests keep the check.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def context(browser, live_server):
    """A fresh browser profile (no cookies) that speaks English, so assertions read the msgids."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


@pytest.fixture
def log_in_as(context, live_server):
    """Log a person into the browser without walking the login form (the journeys test that).

    Staff count as past the second factor, like ``login_staff``. The session is made by a Django
    test client and its cookie handed to the browser.
    """
    from django.test import Client

    from oegd.core.models import User
    from oegd.core.tests.factories import login_staff

    def log_in(user: User, office=None) -> None:
        client = Client()
        if user.kind == User.Kind.STAFF:
            login_staff(client, user, office)
        else:
            client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])

    return log_in


@pytest.fixture
def axe_check():
    return run_axe


def run_axe(page) -> None:
    """Run axe-core (WCAG 2.1 A/AA) on the current page; fail on serious or critical violations.

    The page's CSP allows only scripts from 'self' with a nonce, so a <script> tag would be
    blocked; ``page.evaluate`` runs the source through the DevTools protocol instead.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})); }",
        AXE_TAGS,
    )
    blocking = [v for v in result if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"axe found {len(blocking)} serious/critical violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["targets"]:
                lines.append(f"    {node['target']}: {(node['summary'] or '').splitlines()[-1:]}")
        pytest.fail("\n".join(lines), pytrace=False)
