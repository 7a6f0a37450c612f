"""Inbound mail fixtures: .eml files of real shape with {{placeholders}} for what a test
makes (the customer's address, the ticket's signed reply address, our Message-ID)."""

from pathlib import Path

import pytest

from mailin.models import Source
from mailin.services import inbound_receive
from notifications.models import Notification
from notifications.tokens import reply_address
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"


def render(name: str, **values: str) -> bytes:
    """The fixture's bytes with each {{key}} replaced (the headers are ASCII)."""
    raw = (FIXTURES / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{{" + key.encode() + b"}}", value.encode())
    return raw


def forged_reply_address(ticket, settings) -> str:
    local, _, domain = settings.SUPPORT_EMAIL.partition("@")
    return f"{local}+{ticket.number}.0123456789abcdef@{domain}"


def first_mail_to(user, ticket) -> Notification:
    """Our confirmation of the filed ticket to its requester (the outbound side writes it)."""
    return Notification.objects.filter(ticket=ticket, to_email__iexact=user.email).earliest("pk")


@pytest.fixture
def values(customer, ticket, outsider, agent, settings):
    """What the placeholders of the fixtures stand for in one test."""
    return {
        "customer": customer.email,
        "support": settings.SUPPORT_EMAIL,
        "ticket_number": ticket.number,
        "reply_address": reply_address(ticket),
        "forged_address": forged_reply_address(ticket, settings),
        "outsider": outsider.email,
        "agent": agent.email,
        "message_id_domain": settings.MAIL_MESSAGE_ID_DOMAIN,
    }


@pytest.fixture
def receive(values):
    """Deliver a fixture as a message file would arrive; returns the InboundMessage row."""

    def deliver(name: str, **overrides: str):
        return inbound_receive(raw=render(name, **{**values, **overrides}), source=Source.FILE)

    return deliver


@pytest.fixture
def notification_id(customer, ticket):
    return first_mail_to(customer, ticket).message_id


@pytest.fixture
def agent_user(db):
    return factories.AgentFactory()
