"""The whole round trip in a real browser: a customer files with a screenshot, the agent
triages in the staff admin, the customer closes and reopens."""

import re

import pytest

from tests import factories, helpers
from tests.browser import admin_login, portal_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    portal_login(customer_page, base, customer, email=customer.email.upper())
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
    admin_login(agent_page, base, agent)
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
