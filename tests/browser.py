"""Headless Chromium through Playwright, for the portal's main flows (fixtures re-exported
by tests/conftest.py): the machine's /usr/bin/chromium with the flags this sandbox needs,
one browser context per person, screenshots into test-results/ when a test fails."""

import os
from pathlib import Path

import pytest
from django.db import connections

from tests import factories

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
            pages.append((who, page))
            return page

        try:
            yield open_page
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


def portal_login(page, base, user, *, email=None):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(email or user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def admin_login(page, base, user):
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")
