"""The portal's pages cost a fixed number of queries, whatever the page size or the length
of a conversation, and what they save is not paid for in what people see."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests import factories
from tests.helpers import drive_to, log_upload, screenshot_upload, text
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def queries_of(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_templates_are_compiled_once_per_process():
    """Production renders from the cached template loader (Django's default without
    DEBUG, unless the settings name loaders): a page does not re-read its templates."""
    from django.template import engines
    from django.template.loaders.cached import Loader

    loaders = engines["django"].engine.template_loaders
    assert [type(loader) for loader in loaders] == [Loader]


@pytest.mark.parametrize("who", ["customer", "agent"])
def test_the_ticket_list_costs_the_same_queries_for_a_page_of_2_or_25(
    client, customer, agent, who, settings
):
    for n in range(30):
        factories.TicketFactory(requester=customer, subject=f"Export fails for batch {n}")
    client.force_login(customer if who == "customer" else agent)
    settings.PORTAL_PAGE_SIZE = 2
    few = queries_of(client, "/tickets/")
    settings.PORTAL_PAGE_SIZE = 25
    many = queries_of(client, "/tickets/")
    assert few == many
    page = text(client.get("/tickets/"))
    assert "30 tickets" in page
    assert page.count('href="/tickets/HD-') == 2 * 25  # number and subject, one link each


def test_past_the_exact_count_the_staff_list_says_about_how_many(
    client, customer, agent, monkeypatch, settings
):
    from core import pagination

    for _ in range(5):
        factories.TicketFactory(requester=customer)
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 2)
    settings.PORTAL_PAGE_SIZE = 2
    client.force_login(agent)
    page = text(client.get("/tickets/"))
    # The planner's estimate (its statistics may remember rows of other tests).
    assert re.search(r"about [\d,]+ tickets", page)
    assert re.search(r"Page 1 of \d+", page)
    assert page.count('href="/tickets/HD-') == 2 * 2


def test_the_ticket_page_costs_the_same_queries_for_one_comment_or_many(
    client, customer, agent
):
    ticket = factories.TicketFactory(requester=customer, files=[screenshot_upload()])
    services.comment_add(ticket=ticket, author=agent, body="Which browser?")
    client.force_login(customer)
    path = f"/tickets/{ticket.number}/"
    client.get(path)
    one = queries_of(client, path)
    for n in range(6):
        services.comment_add(
            ticket=ticket, author=customer if n % 2 else agent, body=f"Reply {n}",
            files=[log_upload(f"server-{n}.log")],
        )
    services.comment_add(ticket=ticket, author=agent, body="Checked the logs", internal=True,
                         files=[log_upload("internal.log")])
    services.ticket_watch(ticket=ticket, user=customer, watching=True)
    assert queries_of(client, path) == one

    page = text(client.get(path))
    # Each file shows under the post it came with; an internal note's never to a customer.
    posts = re.split(r'<article class="post', page)[1:]
    assert "screenshot.png" in posts[0]
    for n in range(6):
        (post,) = [p for p in posts if f"Reply {n}" in p]
        assert f"server-{n}.log" in post
        assert all(f"server-{n}.log" not in p for p in posts if p is not post)
    assert "internal.log" not in page and "Checked the logs" not in page
    assert "Stop watching" in page and "1 watcher" in page


def test_a_ticket_closed_as_a_duplicate_reads_its_original_once_and_says_so(
    client, customer, agent
):
    original = factories.TicketFactory(requester=customer, subject="Invoice is wrong")
    repeat = factories.TicketFactory(requester=customer, subject="Invoice is wrong again")
    services.ticket_mark_duplicate(ticket=repeat, actor=agent, original=original)
    client.force_login(customer)
    path = f"/tickets/{repeat.number}/"
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        page = text(client.get(path))
    duplicate_reads = [q for q in captured if "'duplicate_of'" in q["sql"]]
    assert len(duplicate_reads) == 1
    assert "please comment there" in page and original.number in page
    assert 'name="transition" value="reopen"' not in page


def test_a_closed_ticket_within_the_window_offers_reopening(client, customer, agent):
    ticket = drive_to(factories.TicketFactory(requester=customer), Status.CLOSED,
                      agent=agent, customer=customer)
    client.force_login(customer)
    page = text(client.get(f"/tickets/{ticket.number}/"))
    assert 'name="transition" value="reopen"' in page


def test_labels_follow_the_readers_language_page_after_page(client, customer):
    ticket = factories.TicketFactory(requester=customer)
    with translation.override("ru"):
        russian = ticket.get_status_display()
    with translation.override("en"):
        english = ticket.get_status_display()
    assert english == "New" and russian != english
    with translation.override("ru"):
        assert ticket.get_status_display() == russian
        assert ticket.get_priority_display() != "Normal"
    with translation.override("en"):
        assert ticket.get_priority_display() == "Normal"
