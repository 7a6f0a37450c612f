"""The staff admin's ticket pages cost a fixed number of queries, whatever the length of a
ticket's history or the size of a page of the list, and what they save is not paid for
in what they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.helpers import log_upload, screenshot_upload
from tickets import services
from tickets.admin import TicketAdmin
from tickets.models import LinkKind

pytestmark = pytest.mark.django_db

LIST = "/admin/tickets/ticket/"
# The most each page may cost (what it costs today, in tests: the session and the person,
# their permissions, the Urgent banner, and what the page shows).
CHANGE_PAGE_QUERIES = 19  # with comments merged in from another ticket (18 without)
LIST_QUERIES = 11


def change_url(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def queries_of(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def grow(ticket, agent, customer, start: int, stop: int) -> None:
    """Comments start to stop (not included) each way, each with a file (the agent's every
    other one an internal note), and as many links."""
    for i in range(start, stop):
        services.comment_add(
            ticket=ticket, author=customer, body=f"Still broken {i}",
            files=[log_upload(f"customer-{i}.log")],
        )
        services.comment_add(
            ticket=ticket, author=agent, body=f"Looking at it {i}", internal=i % 2 == 0,
            files=[screenshot_upload(f"agent-{i}.png")],
        )
        other = factories.TicketFactory(requester=customer)
        services.ticket_link(ticket=ticket, actor=agent, other=other, kind=LinkKind.RELATED)


def merge_in(ticket, agent, customer, count: int) -> None:
    """``count`` duplicates, each with a comment, merged into the ticket."""
    for _ in range(count):
        duplicate = factories.TicketFactory(requester=customer)
        services.comment_add(ticket=duplicate, author=customer, body="Same problem here")
        services.ticket_merge(ticket=duplicate, actor=agent, original=ticket)


def test_the_ticket_page_costs_the_same_queries_for_2_comments_or_40_and_their_files(
    client, agent, customer
):
    ticket = factories.TicketFactory(requester=customer, files=[screenshot_upload()])
    services.ticket_accept(ticket=ticket, actor=agent)
    grow(ticket, agent, customer, 0, 1)
    merge_in(ticket, agent, customer, 1)
    client.force_login(agent)
    client.get(change_url(ticket))  # warm the per-process caches (the calendar, content types)
    few, _page = queries_of(client, change_url(ticket))
    assert few <= CHANGE_PAGE_QUERIES

    grow(ticket, agent, customer, 1, 20)
    merge_in(ticket, agent, customer, 5)
    services.ticket_resolve(ticket=ticket, actor=agent, message="Fixed in the next release.")
    many, page = queries_of(client, change_url(ticket))
    assert many == few
    # All of it is shown: every comment, its file, every link.
    for i in range(20):
        assert f"Still broken {i}" in page and f"Looking at it {i}" in page
        assert f"customer-{i}.log" in page and f"agent-{i}.png" in page
    assert page.count('class="post internal') == 10
    assert page.count('class="tag merged-from"') == 6  # each says which ticket it came from
    links = page.split('id="ticket-links-heading"')[1].split("</fieldset>")[0]
    assert links.count("<td>Related to</td>") == 20


@pytest.mark.parametrize("per_page", [10, 100])
def test_the_list_costs_the_same_queries_for_10_or_100_rows_a_page(
    client, agent, customer, monkeypatch, per_page
):
    for _ in range(per_page + 5):
        ticket = factories.TicketFactory(requester=customer)
        services.ticket_assign(ticket=ticket, actor=agent, assignee=agent)
    monkeypatch.setattr(TicketAdmin, "list_per_page", 5)
    client.force_login(agent)
    client.get(LIST)  # warm the per-process caches
    few, _page = queries_of(client, LIST)
    assert few <= LIST_QUERIES
    monkeypatch.setattr(TicketAdmin, "list_per_page", per_page)
    many, page = queries_of(client, LIST)
    assert many == few
    assert page.count('class="ticket-number"') == per_page
    assert page.count('name="_selected_action"') == per_page


def test_what_customers_wrote_is_escaped_on_the_staff_pages_written_in_python(
    client, agent, customer, organisation
):
    """The list's rows, its organisation filter, the ticket page's fieldsets and the
    Urgent banner are written in Python: a subject or a company name is text there."""
    hostile = '<script>alert("x")</script>'
    organisation.name = f"Evil {hostile} Ltd"
    organisation.save(update_fields=["name"])
    ticket = factories.TicketFactory(
        requester=customer, subject=f"Printer {hostile}", type="incident", priority=1
    )
    client.force_login(agent)
    pages = {
        "list": client.get(LIST).content.decode(),
        "filtered list": client.get(f"{LIST}?organisation__id__exact={organisation.pk}")
        .content.decode(),
        "ticket page": client.get(change_url(ticket)).content.decode(),
    }
    for name, page in pages.items():
        assert hostile not in page, name
        assert "&lt;script&gt;alert(" in page, name
    assert "Printer &lt;script&gt;" in pages["list"]  # the Urgent banner and the row
    assert "Evil &lt;script&gt;" in pages["filtered list"]
