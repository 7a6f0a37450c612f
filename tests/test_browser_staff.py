"""The staff workspace in a real browser (1280×900, the CSP enforced): the dashboard, the
ticket list without a horizontal scroll, and asking for information with the typed text."""

import pytest

from notifications.models import Notification
from tests import factories
from tests.browser import admin_login
from tickets import services
from tickets.models import Comment, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_asks_for_information_with_the_typed_reply_once(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    ticket = factories.TicketFactory(subject="Invoices stop at 40 %")
    services.ticket_accept(ticket=ticket, actor=agent)
    for _ in range(12):
        factories.TicketFactory(subject="A rather long subject for the list " * 3)

    page = new_page("agent")
    admin_login(page, base, agent)
    expect(page.locator(".triage-mine .count")).to_have_text("1")
    page.locator(".triage-mine a").click()
    expect(page.locator("#result_list")).to_contain_text(ticket.number)
    page.goto(f"{base}/admin/tickets/ticket/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    page.get_by_role("link", name=ticket.number).click()
    mails_before = Notification.objects.filter(ticket=ticket, recipient=ticket.requester).count()
    page.locator("textarea[name=reply]").fill("Which version do you run?")
    page.get_by_role("button", name="Ask for information").first.click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"{ticket.number} is now “Waiting for customer”."
    )
    expect(page.locator("textarea[name=message]")).to_have_count(0)  # not asked again
    expect(page.locator("article.post")).to_have_count(1)
    expect(page.locator("article.post")).to_contain_text("Which version do you run?")

    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_CUSTOMER
    assert Comment.objects.filter(ticket=ticket).count() == 1
    mails = Notification.objects.filter(ticket=ticket, recipient=ticket.requester).count()
    assert mails == mails_before + 1
