"""Headless Chromium through Playwright, for the portal's main flows (fixtures re-exported
by tests/conftest.py): the machine's /usr/bin/chromium with the flags this sandbox needs,
one browser context per person, screenshots into test-results/ when a test fails."""

import os
from pathlib import Path

import pytest
from django.db import connections

from accounts.two_factor import second_factor_required
from tests import factories
from tests.security.second_factor import pass_second_factor, totp_device

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS = Path(__file__).resolve().parent.parent / "test-results"


@pytest.fixture
def browser_settings(settings):
    # Plain HTTP on localhost: cookies must not demand TLS.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return settings


@pytest.fixture
def new_page(request, browser_settings):
    """Open pages in separate browser contexts (one per person)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    pages = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )

        def open_page(who: str):
            context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("console", lambda message: _csp_violation(violations, who, message))
            pages.append((who, page))
            return page

        violations: list[str] = []
        try:
            yield open_page
            # The Content-Security-Policy is on in every browser test: a page that breaks
            # it (an inline script or style, a foreign source) fails the test.
            assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
        finally:
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:
                RESULTS.mkdir(exist_ok=True)
                for who, page in pages:
                    page.screenshot(
                        path=str(RESULTS / f"{request.node.name}-{who}.png"), full_page=True
                    )
            browser.close()
            # Django's connection made while Playwright runs lives in Playwright's
            # context; close it here, or the test database cannot be dropped.
            connections.close_all()


def _csp_violation(violations: list[str], who: str, message) -> None:
    if "Content Security Policy" in message.text:
        violations.append(f"{who}: {message.text} ({message.location.get('url', '')})")


def portal_login(page, base, user, *, email=None):
    _second_factor_ready(user)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(email or user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    pass_second_factor(page, base, user)
    page.wait_for_url(f"{base}/")


def admin_login(page, base, user):
    _second_factor_ready(user)
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("[type=submit]").click()
    pass_second_factor(page, base, user)
    page.wait_for_url(f"{base}/admin/")


def _second_factor_ready(user) -> None:
    """Staff who must use two-factor login have their app set up (tests/security tests
    the set-up itself); the login then asks for its code."""
    if second_factor_required(user):
        totp_device(user)
