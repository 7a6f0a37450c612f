"""Out-of-hours approval in a real browser: the customer asks with one click on an urgent
incident, the representative approves in the portal, a manager in the staff admin."""

import re

import pytest

from tests import factories
from tests.browser import admin_login, portal_login
from tickets.models import Priority, TicketType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    portal_login(customer_page, base, customer)
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
    portal_login(rep_page, base, representative)
    rep_page.goto(ticket_url)
    rep_panel = rep_page.locator(".billing-ooh")
    rep_panel.get_by_label("Comment (optional)").fill("Go ahead tonight.")
    rep_panel.get_by_role("button", name="Approve").click()
    expect(rep_page.locator(".messages")).to_contain_text("You approved the out-of-hours work.")
    expect(rep_page.locator(".ooh-customer")).to_contain_text("Approved · Rita Smirnova")
    expect(rep_page.locator(".ooh-contractor")).to_contain_text("Awaiting approval")

    # A manager approves for the contractor in the staff admin.
    manager_page = new_page("manager")
    admin_login(manager_page, base, manager)
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
