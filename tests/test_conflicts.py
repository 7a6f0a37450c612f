"""Conflicts that help instead of trap, and double submits that do nothing twice."""

import datetime

import pytest
from django.utils import timezone

from core.submit import new_token
from notifications.models import Event, Notification
from tests import factories
from tests.helpers import drive_to
from tickets import services
from tickets.models import Comment, Status, Ticket, TicketType

pytestmark = pytest.mark.django_db


def comment(client, ticket, body, *, expected, token="", shown_at=None):
    data = {"body": body, "expected_status": expected, "submit_token": token}
    if shown_at is not None:
        data["shown_at"] = shown_at.isoformat()
    return client.post(f"/tickets/{ticket.number}/comment/", data)


def test_a_comment_goes_through_when_an_agent_accepted_the_ticket_meanwhile(
    client, customer, agent
):
    ticket = factories.TicketFactory(requester=customer)
    client.force_login(customer)
    services.ticket_accept(ticket=ticket, actor=agent)  # while the customer types
    response = comment(client, ticket, "More details.", expected=Status.NEW)
    assert response.status_code == 302
    assert ticket.comments.get().body == "More details."


def test_a_comment_refused_for_a_change_that_matters_is_ready_to_send_with_one_click(
    client, customer, agent
):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    client.force_login(customer)
    shown = timezone.now() - datetime.timedelta(seconds=5)
    services.ticket_resolve(ticket=ticket, actor=agent, message="Fixed in 4.2.")
    response = comment(
        client, ticket, "Is 4.1 affected?", expected=Status.IN_PROGRESS, token="t1", shown_at=shown
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Your comment is not sent yet" in page
    assert "Is 4.1 affected?" in page  # the text is kept
    assert "Fixed in 4.2." in page and "Written since you opened the page" in page
    assert 'name="expected_status" value="resolved"' in page  # armed with the state now
    assert not ticket.comments.filter(author=customer).exists()

    response = comment(client, ticket, "Is 4.1 affected?", expected=Status.RESOLVED, token="t1")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS  # the question reopens it, as the rules say


def test_the_same_comment_posted_twice_is_added_once(client, customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    client.force_login(customer)
    token = new_token()
    first = comment(client, ticket, "Twice?", expected=Status.NEW, token=token)
    second = comment(client, ticket, "Twice?", expected=Status.NEW, token=token)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Comment.objects.filter(ticket=ticket, body="Twice?").count() == 1
    assert Notification.objects.filter(ticket=ticket, event=Event.COMMENT).count() == 1


def test_the_new_ticket_form_posted_twice_files_one_ticket(client, customer, agent):
    client.force_login(customer)
    page = client.get("/tickets/new/").content.decode()
    assert 'name="submit_token"' in page
    data = {
        "type": TicketType.CONSULTATION,
        "subject": "How do I export the register?",
        "body": "Which menu?",
        "submit_token": new_token(),
    }
    first = client.post("/tickets/new/", data)
    second = client.post("/tickets/new/", data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Ticket.objects.filter(subject="How do I export the register?").count() == 1
    assert Notification.objects.filter(event=Event.TICKET_FILED).count() == 1


def test_closing_posted_twice_closes_once_and_shows_the_result(client, customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    drive_to(ticket, Status.RESOLVED, agent=agent, customer=customer)
    client.force_login(customer)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert page.count('name="submit_token"') >= 2  # the comment form and the close button
    data = {"expected_status": Status.RESOLVED, "submit_token": new_token(), "message": "Thanks"}

    first = client.post(f"/tickets/{ticket.number}/do/close/", data)
    second = client.post(f"/tickets/{ticket.number}/do/close/", data, follow=True)

    assert first.status_code == 302 and second.redirect_chain[0][0] == first.url
    assert "This was sent already; here is the result." in second.content.decode()
    assert "changed by someone else" not in second.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.events.filter(kind="status", new_value=Status.CLOSED).count() == 1


def test_a_refused_filing_does_not_use_up_its_token(client, customer, agent):
    client.force_login(customer)
    token = new_token()
    data = {"type": TicketType.CONSULTATION, "subject": "", "body": "x", "submit_token": token}
    assert client.post("/tickets/new/", data).status_code == 200  # a form error
    data["subject"] = "Now with a subject"
    assert client.post("/tickets/new/", data).status_code == 302
    assert Ticket.objects.filter(subject="Now with a subject").count() == 1


def test_a_customer_comment_on_a_waiting_ticket_is_refused_once_it_was_rejected(
    client, customer, agent
):
    ticket = factories.TicketFactory(requester=customer)
    drive_to(ticket, Status.WAITING_FOR_CUSTOMER, agent=agent, customer=customer)
    services.ticket_reject(ticket=ticket, actor=agent, reason="Out of scope")
    client.force_login(customer)
    response = comment(client, ticket, "Here is the log", expected=Status.WAITING_FOR_CUSTOMER)
    assert response.status_code == 400
    assert not ticket.comments.filter(author=customer).exists()


def test_ticket_numbers_in_text_link_only_to_tickets_the_reader_may_see(
    client, customer, agent, outsider
):
    ours = factories.TicketFactory(requester=customer, subject="Earlier issue")
    theirs = factories.TicketFactory(requester=outsider, subject="Another company's")
    ticket = factories.TicketFactory(
        requester=customer,
        body=f"Like {ours.number}, maybe {theirs.number}. `{ours.number}` in code stays text.",
    )
    services.comment_add(ticket=ticket, author=customer, body=f"See also {ours.number}")
    client.force_login(customer)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    link = f'<a href="/tickets/{ours.number}/">{ours.number}</a>'
    assert page.count(link) == 2  # the description and the comment
    assert f'href="/tickets/{theirs.number}/"' not in page and theirs.number in page
    assert f"<code>{ours.number}</code>" in page


def test_a_subject_over_the_limit_is_a_form_error_not_cut_silently(client, customer):
    client.force_login(customer)
    page = client.get("/tickets/new/").content.decode()
    assert 'maxlength="200"' not in page.split('name="subject"')[1].split(">")[0]
    subject = "Счета не формируются " * 12  # about 250 characters
    response = client.post(
        "/tickets/new/", {"type": TicketType.CONSULTATION, "subject": subject, "body": "x"}
    )
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()
    assert subject.strip() in response.content.decode()  # kept as typed
    assert not Ticket.objects.exists()


def test_a_six_digit_ticket_number_is_linked_too(client, customer):
    ours = factories.TicketFactory(requester=customer, subject="Earlier issue")
    Ticket.objects.filter(pk=ours.pk).update(number="HD-2026-100000")
    ticket = factories.TicketFactory(requester=customer, body="Like HD-2026-100000 before.")
    client.force_login(customer)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert '<a href="/tickets/HD-2026-100000/">HD-2026-100000</a>' in page
