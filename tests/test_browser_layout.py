"""The portal on a phone (390 px) and with text that has no spaces: no page is wider than
the window, and tables become stacked cards."""

import pytest

from tests import factories, helpers
from tests.browser import portal_login
from tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_WORD = "Invoice" + "x" * 293  # 300 characters without a space
LONG_SUBJECT = LONG_WORD[:200]  # as long as a subject may be


def _width_report(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("width", [390, 1280])
def test_no_portal_page_is_wider_than_the_window(django_db_setup, live_server, new_page, width):
    base = live_server.url
    representative = factories.RepresentativeFactory(full_name="Liis Tamm")
    factories.CustomerFactory(organisation=representative.organisation,
                              full_name="A colleague with a rather long name indeed")
    ticket = factories.TicketFactory(requester=representative, subject=LONG_SUBJECT,
                                     body=f"See {LONG_WORD} in the log.")
    services.comment_add(ticket=ticket, author=representative, body=LONG_WORD)
    for n in range(3):
        factories.TicketFactory(requester=representative, subject=f"Card payments fail, try {n}")
    page = new_page("representative")
    page.set_viewport_size({"width": width, "height": 844})
    portal_login(page, base, representative)

    too_wide = []
    for path in ["/", "/tickets/", "/tickets/new/", f"/tickets/{ticket.number}/",
                 "/search/?q=card", "/rules/", "/accounts/colleagues/",
                 "/accounts/colleagues/new/", "/accounts/requests/", "/billing/statements/",
                 "/mail/settings/", "/accounts/two-factor/", "/api-tokens/",
                 "/accounts/password_change/"]:
        page.goto(base + path)
        scroll, inner = _width_report(page)
        if scroll > inner:
            too_wide.append(f"{path}: {scroll} px in {inner} px")
    assert not too_wide, too_wide


def test_ticket_tables_are_stacked_cards_on_a_phone(django_db_setup, live_server, new_page):
    from playwright.sync_api import expect

    base = live_server.url
    customer = factories.CustomerFactory()
    factories.TicketFactory(requester=customer, subject="Card payments fail with error 502")
    page = new_page("customer")
    page.set_viewport_size({"width": 390, "height": 844})
    portal_login(page, base, customer)
    page.goto(f"{base}/tickets/")

    expect(page.locator("table.tickets thead")).to_be_hidden()
    row = page.locator("table.tickets tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    # Each value says what it is, as the hidden header would.
    expect(row.locator("td[data-label]").first).to_be_visible()
    assert helpers is not None


def test_a_form_error_keeps_both_chosen_files_and_filing_attaches_them(
    django_db_setup, live_server, new_page, tmp_path
):
    from playwright.sync_api import expect

    from tickets.models import Ticket

    base = live_server.url
    customer = factories.CustomerFactory()
    log = tmp_path / "server.log"
    log.write_bytes(helpers.log_bytes())
    page = new_page("customer")
    portal_login(page, base, customer)
    page.goto(f"{base}/tickets/new/")
    page.locator("input[name=type][value=consultation]").check()
    page.locator("input[name=subject]").fill("x" * 230)  # over the limit: a form error
    page.locator("textarea[name=body]").fill("How do I export the waybills?")
    page.locator("input[name=files]").set_input_files([str(helpers.screenshot_path()), str(log)])
    page.get_by_role("button", name="File the ticket").click()

    expect(page.locator(".pending-files")).to_contain_text("attached: server.log")
    expect(page.locator(".pending-files li")).to_have_count(2)
    page.locator("input[name=subject]").fill("Exporting waybills")
    page.get_by_role("button", name="File the ticket").click()

    page.wait_for_url(f"{base}/tickets/*/")
    ticket = Ticket.objects.get()
    assert ticket.attachments.count() == 2
    expect(page.locator(".files li")).to_have_count(2)
