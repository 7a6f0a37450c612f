"""anymail's webhooks: mounted only behind the webhook secret, and the tracking events
that put an address on the suppression list.

anymail checks the HTTP basic auth of each post against ``ANYMAIL["WEBHOOK_SECRET"]``
itself, but with no secret configured it only warns and accepts anyone. Here a webhook
without a configured secret answers 403: a forged "bounce" must not be able to silence a
customer's address, nor a forged inbound mail post a comment. So does one whose provider
settings are missing (e.g. Mailgun's signing key), which anymail reports by raising
ImproperlyConfigured on each request: a 500, or the debug page with DEBUG on.
"""

import logging
from functools import wraps

from anymail import urls as anymail_urls
from anymail.signals import EventType, RejectReason, tracking
from anymail.utils import get_anymail_setting
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import receiver
from django.http import HttpResponseForbidden
from django.urls import URLPattern

from notifications import services
from notifications.models import SuppressionKind

logger = logging.getLogger(__name__)

# Bounces the ESP itself calls temporary (anymail reports some of them as "bounced").
SOFT_BOUNCE_TYPES = frozenset({"SoftBounce", "Transient", "DnsError"})


def webhook_secret_configured() -> bool:
    return bool(get_anymail_setting("webhook_secret", default=None))


def require_webhook_secret(view):
    """403 with the reason, never 500, while the webhook is not fully configured."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not webhook_secret_configured():
            logger.error("anymail webhook refused: set ANYMAIL_WEBHOOK_SECRET")
            return HttpResponseForbidden("Webhook secret not configured.")
        try:
            return view(request, *args, **kwargs)
        except ImproperlyConfigured as exc:
            logger.error("anymail webhook refused, not configured: %s", exc)
            return HttpResponseForbidden("Webhook not configured.")

    return guarded


def tracking_patterns() -> list[URLPattern]:
    """anymail's tracking webhooks (one per ESP), each behind the secret check. Its inbound
    webhooks are the inbound half's business (mounted at /mail/in/)."""
    return [
        URLPattern(p.pattern, require_webhook_secret(p.callback), p.default_args, p.name)
        for p in anymail_urls.urlpatterns
        if p.name.endswith("_tracking_webhook")
    ]


def suppression_kind(event) -> str | None:
    """A complaint, or a bounce that is permanent, suppresses the address."""
    if event.event_type == EventType.COMPLAINED:
        return SuppressionKind.COMPLAINT
    esp_event = event.esp_event if isinstance(event.esp_event, dict) else {}
    if event.event_type == EventType.BOUNCED and esp_event.get("Type") not in SOFT_BOUNCE_TYPES:
        return SuppressionKind.HARD_BOUNCE
    if event.event_type == EventType.REJECTED and event.reject_reason in (
        RejectReason.BOUNCED,
        RejectReason.INVALID,
    ):
        return SuppressionKind.HARD_BOUNCE  # the ESP refuses it for an earlier hard bounce
    return None


@receiver(tracking, dispatch_uid="notifications.tracking")
def handle_tracking_event(sender, event, esp_name, **kwargs):
    kind = suppression_kind(event)
    if kind is None or not event.recipient:
        return
    services.suppression_add(
        email=event.recipient,
        reason=kind,
        detail=event.mta_response or event.description or "",
        esp_name=esp_name,
    )
