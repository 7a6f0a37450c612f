"""Outbound webhooks: who subscribes to which ticket events, and the outbox of deliveries.

A ``Delivery`` row is one event for one subscription. It is written in the same
transaction as the event (``tickets.notify``) and sent after commit by a Celery task
(``webhooks.delivery``); its status and its attempts are what the subscriber sees.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    STATUS_CHANGED = "ticket.status_changed", _("Status changed")
    PUBLIC_COMMENT = "ticket.comment_added", _("Public comment")
    PRIORITY_CHANGED = "ticket.priority_changed", _("Priority changed")
    SLA_AT_RISK = "ticket.sla_at_risk", _("SLA at risk")
    SLA_BREACHED = "ticket.sla_breached", _("SLA breached")


class Subscription(models.Model):
    """An endpoint that receives signed ticket events: of one organisation's tickets
    (a representative's), or of every ticket (the contractor's staff, no organisation)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text=_("Mailed when the endpoint is disabled."),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        help_text=_("Only this organisation's tickets; empty: every ticket (staff only)."),
    )
    target_url = models.URLField(_("target URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # Kept as it is: signing needs the secret itself (it is shown to the owner once).
    secret = models.CharField(_("signing secret"), max_length=80, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    failure_count = models.PositiveIntegerField(
        _("failures in a row"),
        default=0,
        help_text=_("Attempts that failed since the last success."),
    )
    disabled_reason = models.TextField(_("disabled because"), blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.target_url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event for one subscription: the webhook outbox row."""

    id = models.UUIDField(_("delivery id"), primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event id"), db_index=True)
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_relay_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["status"], name="webhook_delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id}"


class DeliveryAttempt(models.Model):
    """One HTTP attempt of a delivery: the log the subscriber reads."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="log"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["delivery", "number", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
