"""axe-core on the staff pages that agents and managers use, in a real browser with the
Content-Security-Policy enforced (tests/browser.py fails a test on any violation of it):
no serious or critical violation, as on the portal. Each page is also checked for what
makes it that page, so that an error page passing axe cannot pass the test."""

import re

import pytest

from tests import factories, helpers
from tests.axe import assert_accessible
from tests.browser import admin_login
from tickets import services
from tickets.models import Priority, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worked_ticket(agent, customer):
    """A ticket with what the ticket page shows: replies both ways, an internal note,
    files, history and an SLA timeline with a recalculation."""
    ticket = factories.TicketFactory(
        requester=customer,
        subject="Invoices stop at 40 %",
        files=[helpers.screenshot_upload()],
    )
    services.ticket_accept(ticket=ticket, actor=agent)
    services.comment_add(ticket=ticket, author=agent, body="Which version do you run?")
    services.comment_add(
        ticket=ticket,
        author=customer,
        body="Version 4.2, the log is attached.",
        files=[helpers.log_upload()],
    )
    services.comment_add(
        ticket=ticket, author=agent, body="Looks like the batch size.", internal=True
    )
    ticket.refresh_from_db()
    return ticket


def test_an_agents_pages_have_no_serious_accessibility_violations(
    django_db_setup, live_server, new_page, agent, customer, worked_ticket
):
    from playwright.sync_api import expect

    base = live_server.url
    factories.TicketFactory(requester=customer, subject="Fucking invoices")  # flagged
    for n in range(3):
        factories.TicketFactory(requester=customer, subject=f"Export stops for batch {n}")
    page = new_page("agent")
    admin_login(page, base, agent)

    # The triage dashboard (the admin's index).
    expect(page.locator(".triage-counts")).to_be_visible()
    assert_accessible(page, "the triage dashboard")
    # The user menu, with the log-out, opens from the keyboard.
    page.locator("#user-links-toggle").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#logout-form button")).to_be_visible()
    expect(page.locator("#user-links-toggle")).to_have_attribute("aria-expanded", "true")

    # The ticket list: plain, a saved view, a filter, a search.
    for query, shown in (
        ("", worked_ticket.number),
        ("?queue=mine", worked_ticket.number),
        ("?flagged=yes", "Fucking invoices"),
        ("?q=Invoices", worked_ticket.number),
    ):
        page.goto(f"{base}/admin/tickets/ticket/{query}")
        expect(page.locator("#result_list")).to_contain_text(shown)
        assert_accessible(page, f"the ticket list {query or '(all)'}")

    # The ticket page with its conversation, files, history and SLA timeline.
    page.goto(f"{base}/admin/tickets/ticket/{worked_ticket.pk}/change/")
    expect(page.locator("article.post")).to_have_count(3)
    expect(page.locator("#ticket-sla-heading")).to_be_visible()
    expect(page.get_by_role("heading", name="Attachments")).to_be_visible()
    assert_accessible(page, "the ticket page")

    # A two-step transition: asking for information without a typed reply.
    page.get_by_role("button", name="Ask for information").first.click()
    page.wait_for_url("**/transition/request_info/**")
    expect(page.locator("textarea[name=message]")).to_be_visible()
    assert_accessible(page, "the second step of asking for information")

    # A bulk action that asks once for all the tickets.
    page.goto(f"{base}/admin/tickets/ticket/")
    page.locator("input.action-select").first.check()
    page.locator("select[name=action]").select_option("bulk_change_priority")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("textarea[name=reason]")).to_be_visible()
    assert_accessible(page, "the bulk priority change")

    # The moderation queue.
    page.goto(f"{base}/admin/moderation/flag/")
    expect(page.locator("#result_list")).to_contain_text("Fucking invoices")
    assert_accessible(page, "the moderation queue")

    # The reports an agent may read.
    for path, heading in (
        ("", "SLA compliance"),
        ("sla/", "By month"),
        ("tickets/", "By month"),
    ):
        page.goto(f"{base}/admin/reports/{path}")
        expect(page.locator("#content-main")).to_contain_text(heading)
        assert_accessible(page, f"the report page /admin/reports/{path}")


def test_a_managers_pages_have_no_serious_accessibility_violations(
    django_db_setup, live_server, new_page, manager, customer
):
    from playwright.sync_api import expect

    base = live_server.url
    ticket = factories.TicketFactory(requester=customer, priority=Priority.HIGH)
    services.ticket_accept(ticket=ticket, actor=manager)
    assert ticket.status == Status.IN_PROGRESS
    page = new_page("manager")
    admin_login(page, base, manager)
    expect(page.locator(".triage-counts")).to_be_visible()
    assert_accessible(page, "the manager's dashboard")

    page.goto(f"{base}/admin/reports/hours/")
    expect(page.locator("#content-main")).to_contain_text("By month")
    assert_accessible(page, "the hours report")

    # The calendar: the overrides and the official holidays of the year.
    page.goto(f"{base}/admin/sla/calendaroverride/")
    expect(page.locator(".official-calendar")).to_contain_text("New Year")
    assert_accessible(page, "the calendar overrides")

    page.goto(f"{base}/admin/sla/slapolicy/")
    expect(page).to_have_title(re.compile("^Select SLA policy to change"))
    assert_accessible(page, "the SLA policies")

    page.goto(f"{base}/admin/moderation/bannedword/")
    expect(page).to_have_title(re.compile("^Select banned word to change"))
    assert_accessible(page, "the banned words")

    # A person's account, as a manager edits it.
    page.goto(f"{base}/admin/accounts/user/{customer.pk}/change/")
    expect(page.locator("input[name=email]")).to_have_value(customer.email)
    assert_accessible(page, "a person's account")
