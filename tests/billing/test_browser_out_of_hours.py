"""Out-of-hours approval in a real browser: the customer asks with one click on an urgent
incident, the representative approves in the portal, a manager in the staff admin."""

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from tests import factories
from tickets.models import Priority, TicketType

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The launch of tests/test_browser.py.
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
RESULTS = Path(__file__).resolve().parents[2] / "test-results"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_page(request, settings):
    """One browser context per person; screenshots when the test fails."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
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
            connections.close_all()  # the test database must be droppable afterwards


def _portal_login(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def _admin_login(page, base, user):
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{base}/admin/")


def test_out_of_hours_work_is_approved_by_both_parties_in_the_browser(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    customer = factories.CustomerFactory(full_name="Olga Petrova")
    representative = factories.RepresentativeFactory(
        organisation=customer.organisation, full_name="Rita Smirnova"
    )
    manager = factories.ManagerFactory(full_name="Pavel Orlov")
    ticket = factories.TicketFactory(
        requester=customer, type=TicketType.INCIDENT, priority=Priority.URGENT,
        subject="Payments are not accepted",
    )
    ticket_url = f"{base}/tickets/{ticket.number}/"

    # The customer asks in one click.
    customer_page = new_page("customer")
    _portal_login(customer_page, base, customer)
    customer_page.goto(ticket_url)
    customer_page.get_by_role("button", name="Request out-of-hours work now").click()
    expect(customer_page.locator(".messages")).to_contain_text(
        "Out-of-hours work is requested; your representative and a contractor manager "
        "approve it next."
    )
    panel = customer_page.locator(".billing-ooh")
    expect(panel.locator(".ooh-request .badge")).to_have_text("Awaiting approval")
    expect(panel.get_by_role("button", name="Approve")).to_have_count(0)

    # The representative approves for the customer.
    rep_page = new_page("representative")
    _portal_login(rep_page, base, representative)
    rep_page.goto(ticket_url)
    rep_panel = rep_page.locator(".billing-ooh")
    rep_panel.get_by_label("Comment (optional)").fill("Go ahead tonight.")
    rep_panel.get_by_role("button", name="Approve").click()
    expect(rep_page.locator(".messages")).to_contain_text("You approved the out-of-hours work.")
    expect(rep_page.locator(".ooh-customer")).to_contain_text("Approved · Rita Smirnova")
    expect(rep_page.locator(".ooh-contractor")).to_contain_text("Awaiting approval")

    # A manager approves for the contractor in the staff admin.
    manager_page = new_page("manager")
    _admin_login(manager_page, base, manager)
    manager_page.goto(f"{base}/admin/billing/outofhoursrequest/?awaiting=contractor")
    manager_page.get_by_role("link", name=re.compile(re.escape(ticket.number) + " ")).click()
    manager_page.get_by_role("button", name="Approve").click()
    expect(manager_page.locator(".messagelist")).to_contain_text("The request is now “Approved”.")
    manager_page.goto(f"{base}/admin/billing/outofhoursrequest/")
    expect(manager_page.locator("#result_list")).to_contain_text("Approved")

    # Both see it approved.
    customer_page.reload()
    expect(customer_page.locator(".billing-ooh .ooh-request .badge")).to_have_text("Approved")
    expect(customer_page.locator(".ooh-contractor")).to_contain_text("Approved · Pavel Orlov")
    rep_page.reload()
    expect(rep_page.locator(".billing-ooh .ooh-request .badge")).to_have_text("Approved")
