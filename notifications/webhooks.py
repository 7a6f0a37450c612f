"""anymail's webhooks: mounted only behind the webhook secret, and the tracking events
that put an address on the suppression list.

anymail checks the HTTP basic auth of each post against ``ANYMAIL["WEBHOOK_SECRET"]``
itself, but with no secret configured it only warns and accepts anyone. Here a webhook
without a configured secret answers 403: a forged "bounce" must not be able to silence a
customer's address, nor a forged inbound mail post a comment. So does one whose provider
settings are missing (e.g. Mailgun's signing key), which anymail reports by raising
ImproperlyConfigured on each request: a 500, or the debug page with DEBUG on.
"""

import ast
import functools
import importlib
import importlib.util
import logging
from functools import wraps
from pathlib import Path

from anymail.signals import EventType, RejectReason, tracking
from anymail.utils import get_anymail_setting
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import receiver
from django.http import HttpResponseForbidden
from django.urls import URLPattern, path, re_path

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
    webhooks are the inbound half's business (mounted at /mail/in/).

    Each ESP's view is imported when its webhook is first called: importing
    ``anymail.urls`` imports every ESP's webhook module, Amazon SES's with boto3 (some
    30 MB in every web worker). The routes are read from that module's source instead."""
    return [
        (re_path if regex else path)(
            route, require_webhook_secret(_lazy_view(module, view)), name=name
        )
        for route, regex, module, view, name in anymail_tracking_routes()
    ]


@functools.cache
def anymail_tracking_routes() -> tuple[tuple[str, bool, str, str, str], ...]:
    """(route, is a regex, module, view class, name) of each ``*_tracking_webhook`` in
    anymail's ``urls.py``, parsed, not imported."""
    source = Path(importlib.util.find_spec("anymail").origin).with_name("urls.py")
    tree = ast.parse(source.read_text())
    modules = {
        alias.asname or alias.name: ("anymail." if node.level else "") + node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    routes = []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") in ("path", "re_path")):
            continue
        name = next((k.value.value for k in call.keywords if k.arg == "name"), "")
        view = call.args[1]
        if name.endswith("_tracking_webhook") and isinstance(view, ast.Call):
            cls = view.func.value.id  # SomeTrackingWebhookView.as_view()
            routes.append((call.args[0].value, call.func.id == "re_path", modules[cls], cls, name))
    if not routes:
        raise ImproperlyConfigured("No tracking webhooks found in anymail's urls.py.")
    return tuple(routes)


def _lazy_view(module: str, cls: str):
    def view(request, *args, **kwargs):
        return _view(module, cls)(request, *args, **kwargs)

    view.csrf_exempt = True  # anymail's views are; each checks its ESP's own signature
    return view


@functools.cache
def _view(module: str, cls: str):
    return getattr(importlib.import_module(module), cls).as_view()


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
