"""The satisfaction tests' shared steps: a ticket resolved through the real services and
the requester's mail, sent through the real outbox path into Django's test outbox."""

import re
from urllib.parse import urlsplit

from django.core import mail as outbox

from notifications import delivery
from notifications.models import Event, Notification
from tests.helpers import drive_to
from tickets.models import Status

RATING_LINK = re.compile(r"(https?://\S+/rate/[^/\s]+/)\?score=(\d)")


def resolve(ticket, *, agent, customer):
    return drive_to(ticket, Status.RESOLVED, agent=agent, customer=customer)


def send_mails_to(email: str, *, event: str = Event.STATUS_CHANGED) -> list:
    """Send the pending rows of this event to this address; returns the messages sent."""
    outbox.outbox.clear()
    for row in Notification.objects.filter(to_email=email, event=event).order_by("pk"):
        delivery.notification_send(notification_id=row.pk)
    return list(outbox.outbox)


def links_in(message) -> dict[int, str]:
    """Score → the link (as sent, with ?score=) in a mail's plain text."""
    return {int(score): f"{url}?score={score}" for url, score in RATING_LINK.findall(message.body)}


def path_of(url: str) -> str:
    """The link as the test client asks for it: path and query, without the site."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
