"""Fixtures of the billing tests: Moscow time, tickets filed on a known day, the outbox."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.models import Notification
from tests import factories
from tickets.models import Priority, TicketType

MSK = ZoneInfo("Europe/Moscow")


def msk(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=MSK)


def mails(event: str, **filters) -> list[str]:
    """The addresses the outbox holds for an event, sorted."""
    rows = Notification.objects.filter(event=event, **filters)
    return sorted(row.to_email for row in rows)


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.TRIAGE_EMAILS = []
    settings.NOTIFY_REPRESENTATIVES = True
    settings.SITE_URL = "https://helpdesk.example.com"
    settings.SUPPORT_EMAIL = "support@helpdesk.example.com"
    settings.MAIL_CAP_PER_TICKET = 100
    settings.MAIL_CAP_PER_ADDRESS = 100
    return settings


@pytest.fixture
def urgent_incident(customer):
    """An Urgent incident filed on Friday 27 November 2026 at 17:00 MSK."""
    with time_machine.travel(msk(2026, 11, 27, 17, 0), tick=False):
        return factories.TicketFactory(
            requester=customer, type=TicketType.INCIDENT, priority=Priority.URGENT,
            subject="Billing run stopped",
        )


@pytest.fixture
def friday_evening():
    """Friday 27 November 2026, 18:00 MSK: an hour before business hours end."""
    with time_machine.travel(msk(2026, 11, 27, 18, 0), tick=False) as traveller:
        yield traveller
