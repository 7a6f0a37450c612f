"""Filing in the portal costs a fixed number of queries, however many people its
organisation and the contractor have, and everyone still hears what they should."""

import pytest

from core.submit import new_token
from notifications.models import Event, Notification, NotificationStatus
from notifications.services import preference_set_representative_immediate
from sla.models import SlaEvent
from tests import factories
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# The session and its user; the word lists' version; the submit token (claim, result);
# the ticket number, the calendar and the SLA policy, the ticket with its deadlines, its
# history and SLA start; the representatives, the contractor staff; the outbox checks
# (suppressed, muted, recent mail) and one insert of every mail; the webhooks; two
# savepoints (the filing, the optional moderation flags) and the request's transaction.
FILING_QUERIES = 19


def _form(**extra) -> dict:
    return {
        "type": "incident", "priority": "3", "subject": "Card payment declined",
        "body": "A customer paid by card this morning but the balance did not change.",
        "submit_token": new_token(), **extra,
    }


@pytest.mark.parametrize("colleagues", [0, 19])
def test_filing_costs_the_same_queries_for_one_person_or_twenty(
    client, customer, colleagues, django_assert_num_queries
):
    organisation = customer.organisation
    for n in range(colleagues):
        factory = factories.RepresentativeFactory if n % 5 == 0 else factories.CustomerFactory
        factory(organisation=organisation)
    for _ in range(1 + colleagues // 4):
        factories.AgentFactory()
        factories.ManagerFactory()
    client.force_login(customer)
    client.post("/tickets/new/", _form())  # the first request of a process compiles things

    with django_assert_num_queries(FILING_QUERIES):
        response = client.post("/tickets/new/", _form(subject="Invoice shows the wrong amount"))

    ticket = Ticket.objects.get(subject="Invoice shows the wrong amount")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert ticket.reaction_due is not None and ticket.resolution_due is not None
    assert SlaEvent.objects.filter(ticket=ticket, kind="started").count() == 1
    confirmed = Notification.objects.filter(ticket=ticket, event=Event.TICKET_FILED)
    assert customer.email in {row.to_email for row in confirmed}
    representatives = organisation.members.filter(role="customer_representative").count()
    assert confirmed.count() == 1 + representatives
    alerted = Notification.objects.filter(ticket=ticket, event=Event.NEW_TICKET)
    assert alerted.count() == 1 + colleagues // 4  # the managers
    assert all(row.status == NotificationStatus.PENDING for row in alerted)


def test_the_deadlines_stored_at_filing_are_those_a_recalculation_gives(client, customer):
    from sla import services as sla

    client.force_login(customer)
    client.post("/tickets/new/", _form())
    ticket = Ticket.objects.get()
    stored = (ticket.reaction_due, ticket.reaction_risk_at, ticket.resolution_due,
              ticket.resolution_risk_at, ticket.resolution_state, ticket.resolution_left_seconds)
    sla.sla_recalculate(ticket=ticket)
    ticket.refresh_from_db()
    assert (ticket.reaction_due, ticket.reaction_risk_at, ticket.resolution_due,
            ticket.resolution_risk_at, ticket.resolution_state,
            ticket.resolution_left_seconds) == stored


def test_a_representative_who_wants_mail_at_once_gets_the_filing_at_once(
    client, customer, representative
):
    other = factories.RepresentativeFactory(organisation=customer.organisation)
    preference_set_representative_immediate(user=representative, immediate=True)
    client.force_login(customer)
    client.post("/tickets/new/", _form())

    rows = {n.to_email: n for n in Notification.objects.filter(event=Event.TICKET_FILED)}
    assert rows[representative.email].status == NotificationStatus.PENDING
    assert rows[other.email].status == NotificationStatus.HELD
    assert rows[other.email].suppressed_reason == "daily"


def test_a_word_banned_between_two_filings_is_caught_in_the_next_one(client, customer):
    """The word lists' version is read once per request, not once per process: what the
    managers change holds from the next request on."""
    from moderation.models import BannedWord, Flag

    client.force_login(customer)
    first = client.post("/tickets/new/", _form(subject="The blorfing export is slow"))
    assert first.status_code == 302
    BannedWord.objects.create(word="blorf", language="en")

    warned = client.post("/tickets/new/", _form(subject="The blorfing import is slow"))
    assert warned.status_code == 200
    assert "blorfing" in warned.content.decode()
    assert not Ticket.objects.filter(subject="The blorfing import is slow").exists()

    sent = client.post(
        "/tickets/new/", _form(subject="The blorfing import is slow", send_anyway="on")
    )
    assert sent.status_code == 302
    ticket = Ticket.objects.get(subject="The blorfing import is slow")
    assert Flag.objects.get(ticket=ticket).words == ["blorfing"]
