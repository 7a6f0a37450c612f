"""Find before you file, in a real browser: similar open tickets appear as the customer
types the subject, and "add a comment there instead" leads to that ticket's comment form.
Same Chromium, launch flags and live server as tests/test_browser.py."""

import re

import pytest

from tests import factories
from tests.browser import portal_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_similar_open_tickets_appear_while_typing_and_lead_to_the_comment_form(
    django_db_setup, live_server, new_page  # noqa: F811
):
    from playwright.sync_api import expect

    base = live_server.url
    customer = factories.CustomerFactory(full_name="Olga Petrova")
    existing = factories.TicketFactory(
        requester=factories.CustomerFactory(organisation=customer.organisation),
        subject="Invoice run stops at batch 7",
        body="The October invoice run hangs at batch 7 of 12.",
    )
    elsewhere = factories.TicketFactory(subject="Invoice run stops at batch 7")

    page = new_page("customer")
    portal_login(page, base, customer)
    page.goto(f"{base}/tickets/new/")
    similar = page.locator("#similar-tickets")
    expect(similar).to_be_empty()

    page.locator("input[name=subject]").press_sequentially("invoice run hangs", delay=20)
    expect(similar).to_contain_text(existing.number)
    expect(similar).to_contain_text("Invoice run stops at batch 7")
    expect(similar).to_contain_text("Open tickets that look similar")
    expect(similar).not_to_contain_text(elsewhere.number)

    similar.get_by_role("link", name="add a comment there instead").click()
    page.wait_for_url(re.compile(rf".*/tickets/{existing.number}/#comment$"))
    comment = page.locator("#comment textarea[name=body]")
    expect(comment).to_be_visible()
    comment.fill("Same here: batch 7 stops for us too.")
    page.get_by_role("button", name="Send comment").click()
    expect(page.locator(".messages")).to_contain_text("Your comment is added.")
    expect(page.locator("article.post").last).to_contain_text("batch 7 stops for us too")


def test_the_improper_words_warning_appears_before_sending(
    django_db_setup, live_server, new_page  # noqa: F811
):
    from playwright.sync_api import expect

    base = live_server.url
    customer = factories.CustomerFactory()
    page = new_page("customer")
    portal_login(page, base, customer)
    page.goto(f"{base}/tickets/new/")
    warning = page.locator("[data-improper-warning]")
    expect(warning).to_be_hidden()
    page.locator("input[name=subject]").fill("Invoice run broken")
    page.locator("textarea[name=body]").press_sequentially("Your f.u.c.k.i.n.g update", delay=10)
    expect(warning).to_be_visible()
    expect(warning.locator(".improper-words")).to_have_text("f.u.c.k.i.n.g")

    page.locator("textarea[name=body]").fill("Your update broke the invoice run.")
    expect(warning).to_be_hidden()
