"""Signed reply addresses: only the ones we handed out name a ticket."""

import pytest

from notifications.tokens import reply_address, ticket_number_from_address
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def address(customer):
    ticket = factories.TicketFactory(requester=customer)
    return ticket, reply_address(ticket)


def test_the_reply_address_carries_the_number_and_a_signature(address):
    ticket, reply = address
    local, domain = reply.split("@")
    assert domain == "helpdesk.example.com"
    assert local.startswith(f"support+{ticket.number}.") and len(local.rsplit(".", 1)[1]) == 16
    assert ticket_number_from_address(reply) == ticket.number


@pytest.mark.parametrize(
    "dress",
    [str, str.lower, "Helpdesk <{}>".format, '"Support" <{}>'.format],
    ids=["bare", "lower-cased", "display name", "quoted name"],
)
def test_the_address_verifies_whatever_case_or_display_name(address, dress):
    ticket, reply = address
    assert ticket_number_from_address(dress(reply)) == ticket.number


def test_a_forged_signature_names_no_ticket(address):
    ticket, reply = address
    local, domain = reply.split("@")
    forged = local[:-1] + ("0" if local[-1] != "0" else "1")
    assert ticket_number_from_address(f"{forged}@{domain}") is None


def test_the_signature_of_one_ticket_does_not_open_another(address, customer):
    ticket, reply = address
    other = factories.TicketFactory(requester=customer)
    signature = reply.split("@")[0].rsplit(".", 1)[1]
    assert (
        ticket_number_from_address(f"support+{other.number}.{signature}@helpdesk.example.com")
        is None
    )


def test_another_secret_key_makes_old_addresses_invalid(address, settings):
    ticket, reply = address
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY
    assert ticket_number_from_address(reply) is None


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "support@helpdesk.example.com",
        "support+HD-2026-00001@helpdesk.example.com",
        "support+.0123456789abcdef@x",
        "not an address",
        "support+HD-2026-00001.xyz@x",
    ],
)
def test_junk_names_no_ticket(junk):
    assert ticket_number_from_address(junk) is None
