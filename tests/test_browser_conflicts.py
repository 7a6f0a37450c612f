"""Two people on one ticket, in two real browser contexts: a harmless change lets the
comment through at the first click; a change that matters shows what changed and one
more click sends it."""

import re

import pytest

from tests import factories
from tests.browser import portal_login
from tickets import services
from tickets.models import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _type_comment(page, base, ticket, text):
    page.goto(f"{base}/tickets/{ticket.number}/")
    page.locator("textarea[name=body]").fill(text)


def test_a_comment_typed_while_an_agent_accepts_goes_at_the_first_click(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    customer = factories.CustomerFactory()
    agent = factories.AgentFactory()
    ticket = factories.TicketFactory(requester=customer, subject="Export fails")
    page = new_page("customer")
    portal_login(page, base, customer)
    _type_comment(page, base, ticket, "Here is more detail.")

    services.ticket_accept(ticket=ticket, actor=agent)  # meanwhile, in the admin
    page.get_by_role("button", name="Send comment").click()

    expect(page.locator(".messages")).to_contain_text("Your comment is added.")
    assert ticket.comments.filter(body="Here is more detail.").count() == 1


def test_a_comment_typed_while_an_agent_resolves_is_shown_the_change_then_sent(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    customer = factories.CustomerFactory()
    agent = factories.AgentFactory()
    ticket = factories.TicketFactory(requester=customer, subject="Export fails")
    services.ticket_accept(ticket=ticket, actor=agent)
    page = new_page("customer")
    portal_login(page, base, customer)
    _type_comment(page, base, ticket, "It still fails after the fix.")

    services.ticket_resolve(ticket=ticket, actor=agent, message="Fixed in 4.2.")
    page.get_by_role("button", name="Send comment").click()

    expect(page.locator(".form-errors")).to_contain_text("changed")
    expect(page.locator("textarea[name=body]")).to_have_value("It still fails after the fix.")
    expect(page.get_by_text("Fixed in 4.2.").first).to_be_visible()
    page.get_by_role("button", name=re.compile("Send comment")).click()

    expect(page.locator(".messages")).to_contain_text("Your comment is added.")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS  # the customer's reply reopened it
    assert ticket.comments.filter(body="It still fails after the fix.").count() == 1
