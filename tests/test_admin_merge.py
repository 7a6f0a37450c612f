"""The ticket page's "Merge into…": the original by number, a confirmation with both
subjects carrying both statuses, then the merge; refusals say why and lose nothing."""

import pytest

from notifications.models import Event, Notification
from tests import factories
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db


def merge_url(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/merge/"


def change_url(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


@pytest.fixture
def pair(customer, agent):
    original = factories.TicketFactory(requester=customer, subject="Invoices print blank")
    duplicate = factories.TicketFactory(requester=customer, subject="Blank invoices again")
    services.ticket_accept(ticket=original, actor=agent)
    services.comment_add(ticket=duplicate, author=customer, body="Since Monday, all of them.")
    return duplicate, original


def test_the_ticket_page_offers_merge_into(client, agent, pair):
    duplicate, original = pair
    client.force_login(agent)
    page = client.get(change_url(duplicate)).content.decode()
    assert f'href="{merge_url(duplicate)}?expected_status=new"' in page
    assert "Merge into…" in page


def test_merge_in_two_steps_then_the_original_shows_what_came_from_the_duplicate(
    client, agent, pair
):
    duplicate, original = pair
    client.force_login(agent)
    first = client.get(f"{merge_url(duplicate)}?expected_status=new")
    assert 'name="expected_status" value="new"' in first.content.decode()

    confirm = client.post(
        merge_url(duplicate), {"original": original.number.lower(), "expected_status": "new"}
    )
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Merge these tickets?" in page
    assert "Blank invoices again" in page and "Invoices print blank" in page
    assert 'name="expected_original_status" value="in_progress"' in page
    assert duplicate.status == Status.NEW  # nothing happened yet

    done = client.post(
        merge_url(duplicate),
        {
            "original": original.number,
            "expected_status": "new",
            "expected_original_status": "in_progress",
            "confirm": "Merge",
        },
        follow=True,
    )
    page = done.content.decode()
    assert done.redirect_chain[-1][0] == change_url(original)
    assert f"{duplicate.number} is merged into {original.number} (comments moved: 1," in page
    assert "Since Monday, all of them." in page and f"from {duplicate.number}" in page
    assert f"Merged {duplicate.number} into {original.number}" in page  # the history
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert Notification.objects.filter(event=Event.TICKET_MERGED, ticket=original).exists()
    # The closed duplicate no longer offers it.
    assert "Merge into…" not in client.get(change_url(duplicate)).content.decode()


@pytest.mark.parametrize("case", ["unknown", "itself", "other_organisation"])
def test_the_first_step_says_why_not_and_keeps_the_number(client, agent, pair, outsider, case):
    duplicate, _original = pair
    number = {
        "unknown": "HD-1999-00001",
        "itself": duplicate.number,
        "other_organisation": factories.TicketFactory(requester=outsider).number,
    }[case]
    client.force_login(agent)
    response = client.post(merge_url(duplicate), {"original": number, "expected_status": "new"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the errors below." in page and f'value="{number}"' in page
    assert {
        "unknown": "There is no ticket",
        "itself": "cannot be merged into itself",
        "other_organisation": "different organisations",
    }[case] in page


def test_a_change_between_the_steps_is_confirmed_again_on_the_state_now(client, agent, pair):
    duplicate, original = pair
    client.force_login(agent)
    # A colleague asks the customer a question on the original while the page is open.
    services.ticket_request_info(ticket=original, actor=factories.AgentFactory(), message="Q?")
    response = client.post(
        merge_url(duplicate),
        {
            "original": original.number,
            "expected_status": "new",
            "expected_original_status": "in_progress",
            "confirm": "Merge",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "changed by someone else" in page and "Merge these tickets?" in page
    assert 'name="expected_original_status" value="waiting_for_customer"' in page
    duplicate.refresh_from_db()
    assert duplicate.status == Status.NEW

    again = client.post(
        merge_url(duplicate),
        {
            "original": original.number,
            "expected_status": "new",
            "expected_original_status": "waiting_for_customer",
            "confirm": "Merge",
        },
    )
    assert again.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED


def test_customers_cannot_reach_the_merge_page(client, customer, pair):
    duplicate, original = pair
    client.force_login(customer)
    response = client.post(
        merge_url(duplicate), {"original": original.number, "confirm": "Merge"}
    )
    assert response.status_code == 302 and "/admin/login/" in response.url
    duplicate.refresh_from_db()
    assert duplicate.status == Status.NEW


def test_merge_selected_into_one_from_the_list(client, agent, customer, outsider, pair):
    duplicate, original = pair
    another = factories.TicketFactory(requester=customer, subject="Blank again, third")
    foreign = factories.TicketFactory(requester=outsider)
    selected = [duplicate.pk, another.pk, original.pk, foreign.pk]
    client.force_login(agent)
    data = {"action": "bulk_merge", "_selected_action": selected}
    form = client.post("/admin/tickets/ticket/", data).content.decode()
    assert "Merge into ticket" in form and "Blank invoices again" in form

    response = client.post(
        "/admin/tickets/ticket/", {**data, "apply": "1", "original": original.number}, follow=True
    )
    page = response.content.decode()
    assert f"Changed: {duplicate.number}, {another.number}." in page
    assert f"Not changed: {foreign.number}: Tickets of different organisations" in page
    for ticket in (duplicate, another):
        ticket.refresh_from_db()
        assert ticket.status == Status.CLOSED
    original.refresh_from_db()
    assert original.status == Status.IN_PROGRESS
    assert original.comments.filter(merged_from=duplicate).count() == 1
