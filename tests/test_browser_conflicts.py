"""Two people on one ticket, in two real browser contexts: a harmless change lets the
comment through at the first click; a change that matters shows what changed and one
more click sends it (a customer's comment, and an agent's resolve on the admin's second
step while a colleague asks the customer for information)."""

import re

import pytest

from tests import factories
from tests.browser import admin_login, portal_login
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


def test_a_resolve_sent_after_a_colleague_asked_for_information_is_refused_then_sent(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    agent_a = factories.AgentFactory(full_name="Anna Agent")
    agent_b = factories.AgentFactory(full_name="Boris Agent")
    ticket = factories.TicketFactory(subject="Export fails")
    services.ticket_accept(ticket=ticket, actor=agent_a)
    change = f"{base}/admin/tickets/ticket/{ticket.pk}/change/"

    a = new_page("agent-a")
    admin_login(a, base, agent_a)
    a.goto(change)
    a.get_by_role("button", name="Resolve").first.click()  # the two-step page
    a.wait_for_url(re.compile(r"/transition/resolve/"))
    expect(a.locator("#content-main h1")).to_have_text("Resolve")
    a.locator("textarea[name=message]").fill("Fixed in 4.2: re-run the export.")

    b = new_page("agent-b")  # meanwhile, a colleague asks the customer
    admin_login(b, base, agent_b)
    b.goto(change)
    b.locator("textarea[name=reply]").fill("Which version do you run?")
    b.get_by_role("button", name="Ask for information").first.click()
    expect(b.locator(".messagelist")).to_contain_text(
        f"{ticket.number} is now “Waiting for customer”."
    )

    a.get_by_role("button", name="Resolve").click()
    messages = a.locator(".messagelist")
    expect(messages).to_contain_text(
        f"{ticket.number} was changed by someone else a moment ago: "
        "it is now “Waiting for customer”."
    )
    expect(messages).to_contain_text("Your text is kept below")
    expect(a.locator("#content-main")).to_contain_text("Status: Waiting for customer.")
    expect(a.locator("textarea[name=message]")).to_have_value("Fixed in 4.2: re-run the export.")
    expect(a.locator("input[name=expected_status]")).to_have_value("waiting_for_customer")
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_CUSTOMER  # nothing done by A yet

    a.get_by_role("button", name="Resolve").click()  # having read the change: once more
    expect(a.locator(".messagelist")).to_contain_text(f"{ticket.number} is now “Resolved”.")
    expect(a.locator("article.post").filter(has_text="Fixed in 4.2")).to_have_count(1)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED  # the rules allow resolving a waiting ticket
    bodies = list(ticket.comments.order_by("created_at").values_list("body", flat=True))
    assert bodies == ["Which version do you run?", "Fixed in 4.2: re-run the export."]
