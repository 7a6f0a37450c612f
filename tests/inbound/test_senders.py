"""Who sent a mail is its From mailbox, read strictly; nobody acts in the name of an
ambiguous one (issue 10, "Parse senders strictly"; the CVE-2023-27043 family)."""

import base64

import pytest

from accounts.models import AccountRequest
from mailin.models import Reason, Status
from notifications.models import Notification
from tickets.models import Channel, Comment, Ticket

pytestmark = pytest.mark.django_db

AUTHSERV_ID = "mx.helpdesk.localhost"


def emailed_tickets():
    return Ticket.objects.filter(channel=Channel.EMAIL)


def test_an_address_in_the_display_name_is_not_the_sender_and_the_mail_is_held(
    receive, customer
):
    mails_before = Notification.objects.count()

    inbound = receive("from_display_name_trick.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.AMBIGUOUS_SENDER)
    assert inbound.from_address == "x@evil.org"
    assert inbound.sender is None
    assert "its mailbox is x@evil.org" in inbound.detail
    assert not emailed_tickets().exists()
    assert Notification.objects.count() == mails_before


def test_a_dmarc_pass_for_the_mailbox_domain_does_not_lend_the_display_names_identity(
    receive, settings
):
    # Our server says DMARC passed, for evil.org: that proves x@evil.org, nobody else.
    settings.INBOUND_AUTHSERV_ID = AUTHSERV_ID

    inbound = receive("from_display_name_trick.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.AMBIGUOUS_SENDER)
    assert inbound.from_address == "x@evil.org"
    assert inbound.sender_verified  # verified as x@evil.org, which is all DMARC proves
    assert not emailed_tickets().exists()


def _encoded_word(text: str) -> str:
    return f"=?UTF-8?B?{base64.b64encode(text.encode()).decode()}?="


@pytest.mark.parametrize(
    ("case", "header"),
    [
        ("bare address as the name", "{customer} <x@evil.org>"),
        ("quoted address as the name", '"{customer}" <x@evil.org>'),
        ("encoded-word address as the name", "{encoded} <x@evil.org>"),
        ("parenthesis before the mailbox", "{customer})<x@evil.org>"),
        ("bracket before the mailbox", "{customer}]<x@evil.org>"),
        ("two addresses", "{customer}, x@evil.org"),
        ("the forger first", "x@evil.org, {customer}"),
        ("a group", "staff: {customer}, x@evil.org;"),
        ("mailbox glued to a domain", "<{customer}>@evil.org"),
        ("unterminated angle address", "Ivan Petrov <{customer}"),
        ("unquoted comma in the name", "Petrov, Ivan <{customer}>"),
    ],
)
def test_an_ambiguous_from_is_held_and_opens_nothing(receive, customer, ticket, case, header):
    value = header.format(customer=customer.email, encoded=_encoded_word(customer.email))

    inbound = receive("from_header_family.eml", **{"from": value, "message_id": case})

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.AMBIGUOUS_SENDER), case
    assert inbound.sender is None
    assert not emailed_tickets().exists()
    assert not Comment.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    ("case", "header"),
    [
        ("no address at all", "undisclosed-recipients:;"),
        ("an address inside an address", "{customer}@evil.org"),
    ],
)
def test_a_from_without_a_mailbox_is_rejected_as_malformed(receive, customer, case, header):
    inbound = receive(
        "from_header_family.eml", **{"from": header.format(customer=customer.email),
                                     "message_id": case}
    )

    assert (inbound.status, inbound.reason) == (Status.REJECTED, Reason.MALFORMED)
    assert "no valid address" in inbound.detail
    assert not emailed_tickets().exists()


def test_several_from_headers_are_held(receive):
    inbound = receive("two_from_headers.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.AMBIGUOUS_SENDER)
    assert "several From headers" in inbound.detail
    assert not emailed_tickets().exists()


@pytest.mark.parametrize(
    ("case", "header"),
    [
        ("the mailbox as its own name", "{customer} <{customer}>"),
        ("an initial with a period", "Ivan P. Petrov <{customer}>"),
        ("a quoted name with a comma", '"Petrov, Ivan" <{customer}>'),
        ("a comment after the address", "{customer} (Ivan Petrov)"),
    ],
)
def test_an_unambiguous_from_is_the_customer(receive, customer, ticket, case, header):
    value = header.format(customer=customer.email)

    inbound = receive("from_header_family.eml", **{"from": value, "message_id": case})

    assert inbound.status == Status.COMMENT, inbound.detail
    assert inbound.from_address == customer.email
    assert inbound.comment.author == customer


def test_a_plain_forged_from_may_open_a_ticket_but_the_sender_is_marked_unverified(
    receive, customer
):
    # No Authentication-Results of ours: anyone could have written this From. The ticket
    # is the product; its confirmation goes to the real mailbox, who learns of it.
    inbound = receive("new_ticket_plain.eml")

    assert inbound.status == Status.TICKET
    assert not inbound.sender_verified
    assert Notification.objects.filter(
        ticket=inbound.ticket, to_email=customer.email
    ).exists()


def test_an_account_request_with_an_address_shaped_display_name_is_held_even_with_dmarc(
    receive, representative, settings
):
    settings.INBOUND_AUTHSERV_ID = AUTHSERV_ID

    inbound = receive("account_request_display_name_trick.eml", representative=representative.email)

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.AMBIGUOUS_SENDER)
    assert inbound.from_address == "eve@evil.org"
    assert not AccountRequest.objects.exists()


def test_a_ticket_from_an_unverified_sender_says_so_to_staff(receive, client, agent):
    from tickets.models import Channel, Ticket

    receive("new_ticket_plain.eml")
    ticket = Ticket.objects.get(channel=Channel.EMAIL)
    assert ticket.sender_unverified  # no Authentication-Results of ours proved it
    client.force_login(agent)
    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "Sender not verified" in page or "sender not verified" in page
