"""The whole round trip in a real browser: a customer files with a screenshot, the agent
triages in the staff admin, the customer closes and reopens."""

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from tests import factories, helpers

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

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_settings(settings):
    # Plain HTTP on localhost: cookies must not demand TLS.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return settings


@pytest.fixture
def new_page(request, browser_settings):
    """Open pages in separate browser contexts (one per person); screenshots on failure."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    pages = []
    with sync_api.sync_playwright() as playwright:
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
            if report is None or report.failed:
                RESULTS.mkdir(exist_ok=True)
                for who, page in pages:
                    page.screenshot(
                        path=str(RESULTS / f"{request.node.name}-{who}.png"), full_page=True
                    )
            browser.close()
            # Django's connection made while Playwright runs lives in Playwright's
            # context; close it here, or the test database cannot be dropped.
            connections.close_all()


def _portal_login(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(user.email.upper())
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def _admin_login(page, base, user):
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")


def _status_badge(page):
    return page.locator(".ticket-head .badge")


def test_a_ticket_goes_from_filing_with_a_screenshot_to_reopening_in_the_browser(
    django_db_setup, live_server, new_page
):
    # django_db_setup first: the test database outlives the live server's connection.
    from playwright.sync_api import expect

    base = live_server.url
    customer = factories.CustomerFactory(full_name="Olga Petrova")
    agent = factories.AgentFactory(full_name="Ivan Sidorov")

    # The customer files an incident with a screenshot.
    customer_page = new_page("customer")
    _portal_login(customer_page, base, customer)
    customer_page.goto(f"{base}/tickets/new/")
    priority_field = customer_page.locator(".field-priority")
    urgent_note = customer_page.locator(".urgent-note")
    customer_page.locator("input[name=type][value=consultation]").check()
    expect(priority_field).to_be_hidden()
    customer_page.locator("input[name=type][value=incident]").check()
    expect(priority_field).to_be_visible()
    customer_page.locator("input[name=priority][value='1']").check()
    expect(urgent_note).to_be_visible()
    expect(urgent_note).to_contain_text("+1 (256) 474-85-86, ext. 200")
    customer_page.locator("input[name=priority][value='2']").check()
    expect(urgent_note).to_be_hidden()
    customer_page.locator("input[name=subject]").fill("Invoice run stops at batch 7")
    customer_page.locator("textarea[name=body]").fill(
        "The **monthly** run stops. See the screenshot."
    )
    customer_page.locator("input[name=files]").set_input_files(str(helpers.screenshot_path()))
    customer_page.get_by_role("button", name="File the ticket").click()

    customer_page.wait_for_url(re.compile(r".*/tickets/HD-\d{4}-\d{5}/$"))
    number = customer_page.url.rstrip("/").rsplit("/", 1)[1]
    expect(
        customer_page.get_by_role("heading", name="Invoice run stops at batch 7")
    ).to_be_visible()
    expect(customer_page.locator(".messages")).to_contain_text(f"Ticket {number} is filed.")
    expect(_status_badge(customer_page)).to_have_text("New")
    expect(customer_page.locator(".ticket-head .prio")).to_have_text("High")
    expect(customer_page.locator(".md strong").first).to_have_text("monthly")
    preview = customer_page.locator("img.thumb").first
    expect(preview).to_be_visible()
    customer_page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
    )

    customer_page.locator("#comment textarea[name=body]").fill("It also happens for batch 8.")
    customer_page.get_by_role("button", name="Send comment").click()
    expect(customer_page.locator(".messages")).to_contain_text("Your comment is added.")
    expect(customer_page.locator("article.post").last).to_contain_text(
        "It also happens for batch 8."
    )

    # The agent accepts and resolves it in the staff admin.
    agent_page = new_page("agent")
    _admin_login(agent_page, base, agent)
    agent_page.goto(f"{base}/admin/tickets/ticket/")
    agent_page.get_by_role("link", name=number).click()
    expect(agent_page.locator(".ticket-bar")).to_contain_text(f"{number} · New")
    agent_page.get_by_role("button", name="Accept").first.click()
    expect(agent_page.locator(".messagelist")).to_contain_text(f"{number} is now “In progress”.")
    expect(agent_page.locator(".ticket-bar")).to_contain_text("Ivan Sidorov")

    agent_page.get_by_role("button", name="Resolve").first.click()
    agent_page.locator("textarea[name=message]").fill("The monthly template is restored.")
    agent_page.locator("input[type=submit][value=Resolve]").click()
    expect(agent_page.locator(".messagelist")).to_contain_text(f"{number} is now “Resolved”.")

    # The customer confirms, then changes their mind within the reopen window.
    customer_page.reload()
    expect(_status_badge(customer_page)).to_have_text("Resolved")
    expect(customer_page.locator("article.post").last).to_contain_text(
        "The monthly template is restored."
    )
    customer_page.get_by_role("button", name="Close").click()
    expect(customer_page.locator(".messages")).to_contain_text(f"{number} is closed.")
    expect(_status_badge(customer_page)).to_have_text("Closed")

    customer_page.get_by_label("Why reopen? (optional)").fill("Batch 9 fails the same way.")
    customer_page.get_by_role("button", name="Reopen").click()
    expect(customer_page.locator(".messages")).to_contain_text(f"{number} is reopened.")
    expect(_status_badge(customer_page)).to_have_text("In progress")
    expect(customer_page.locator("article.post").last).to_contain_text(
        "Batch 9 fails the same way."
    )
