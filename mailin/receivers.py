"""Mail from the provider's inbound webhook (anymail) goes the way of every other mail."""

import logging

from anymail.signals import inbound
from django.dispatch import receiver

from mailin.models import Source
from mailin.services import inbound_receive

logger = logging.getLogger("mailin")

# Form fields in which providers post the untouched MIME message (Mailgun, SendGrid).
RAW_FIELDS = ("body-mime", "email")


@receiver(inbound, dispatch_uid="mailin.inbound_from_provider")
def inbound_from_provider(sender, event, esp_name, **kwargs):
    message = event.message
    inbound_receive(
        raw=raw_bytes(event),
        source=Source.WEBHOOK,
        envelope_from=getattr(message, "envelope_sender", None),
        envelope_to=getattr(message, "envelope_recipient", None) or "",
    )


def raw_bytes(event) -> bytes:
    """The message as the provider posted it when it did; else as anymail rebuilt it."""
    post = getattr(event.esp_event, "POST", None)
    for field in RAW_FIELDS:
        if post is not None and post.get(field):
            return post[field].encode("utf-8", "surrogateescape")
    try:
        return event.message.as_bytes()
    except (UnicodeError, LookupError, ValueError):
        return event.message.as_string().encode("utf-8", "surrogateescape")
