"""Two agents on one ticket page, each in their own browser context: one sees the other
viewing, then replying; the other's reply sent, the first agent's own reply (and its
file) is held to show it, and one more click sends; and a merge from the ticket page."""

import pytest
from django.core.cache import cache

from tests import factories, helpers
from tests.axe import assert_accessible
from tests.browser import admin_login
from tickets import presence, services
from tickets.models import Comment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_second_agent_is_seen_and_their_reply_is_shown_before_sending_ours(
    django_db_setup, live_server, new_page, settings
):
    from playwright.sync_api import expect

    settings.PRESENCE_POLL_SECONDS = 1
    base = live_server.url
    ivan = factories.AgentFactory(full_name="Ivan Sidorov")
    elena = factories.AgentFactory(full_name="Elena Petrova")
    ticket = factories.TicketFactory(subject="Invoices print blank")
    services.ticket_accept(ticket=ticket, actor=ivan)
    cache.delete(presence._key(ticket.pk))
    url = f"{base}/admin/tickets/ticket/{ticket.pk}/change/"

    a = new_page("agent-a")
    admin_login(a, base, ivan)
    a.goto(url)
    b = new_page("agent-b")
    admin_login(b, base, elena)
    b.goto(url)

    notice = a.locator("#ticket-presence")
    expect(notice).to_contain_text("Elena Petrova is viewing this ticket")
    expect(b.locator("#ticket-presence")).to_contain_text("Ivan Sidorov is viewing this ticket")

    b.locator("textarea[name=reply]").press_sequentially("Restart the print service.")
    expect(notice).to_contain_text("Elena Petrova is replying…")
    a.locator("textarea[name=reply]").fill("Try version 4.2, please.")
    a.locator("input[name=reply_files]").set_input_files(
        {"name": "settings.png", "mimeType": "image/png", "buffer": helpers.screenshot_bytes()}
    )

    b.get_by_role("button", name="Save and continue editing").click()
    expect(b.locator(".messagelist")).to_contain_text("Reply sent to the customer.")
    # Ivan's page learns of it at its next poll, before he sends.
    expect(notice).to_contain_text("Someone else changed this ticket since you opened it")
    assert_accessible(a, "the ticket page with the collision notices")

    a.get_by_role("button", name="Save and continue editing").click()
    changed = a.locator("#changed-since")
    expect(changed).to_contain_text("Changed since you opened this page")
    expect(changed).to_contain_text("Restart the print service.")
    expect(a.locator("textarea[name=reply]")).to_have_value("Try version 4.2, please.")
    expect(a.locator(".kept-files")).to_contain_text("settings.png")  # the file waits too
    assert not Comment.objects.filter(author=ivan).exists()
    assert_accessible(a, "the ticket page asking before sending")

    a.get_by_role("button", name="Save and continue editing").click()
    expect(a.locator(".messagelist")).to_contain_text("Reply sent to the customer.")
    assert list(ticket.comments.values_list("author", "body")) == [
        (elena.pk, "Restart the print service."),
        (ivan.pk, "Try version 4.2, please."),
    ]
    reply = ticket.comments.get(author=ivan)
    assert [f.original_name for f in reply.attachments.all()] == ["settings.png"]


def test_an_agent_merges_a_duplicate_from_its_page(django_db_setup, live_server, new_page):
    from playwright.sync_api import expect

    base = live_server.url
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    customer = factories.CustomerFactory()
    original = factories.TicketFactory(requester=customer, subject="Invoices print blank")
    duplicate = factories.TicketFactory(requester=customer, subject="Blank invoices again")
    services.comment_add(ticket=duplicate, author=customer, body="All of them since Monday.")

    page = new_page("agent")
    admin_login(page, base, agent)
    page.goto(f"{base}/admin/tickets/ticket/{duplicate.pk}/change/")
    page.get_by_role("link", name="Merge into…").click()
    page.get_by_label("Merge into ticket").fill(original.number)
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".merge-original")).to_contain_text("Invoices print blank")
    expect(page.locator(".merge-duplicate")).to_contain_text("Blank invoices again")
    assert_accessible(page, "the merge confirmation")
    page.get_by_role("button", name="Merge").click()

    expect(page.locator(".messagelist")).to_contain_text(f"is merged into {original.number}")
    post = page.locator("article.post", has_text="All of them since Monday.")
    expect(post).to_contain_text(f"from {duplicate.number}")
