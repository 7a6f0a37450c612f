"""The mail outbox, the addresses we no longer mail, and each person's mail preference.

A ``Notification`` row is one mail to one address. It is written in the same database
transaction as the event that causes it (``tickets.notify``, ``notifications.api``) and
delivered after commit by a Celery task; its status is the truth about that mail (see
``notifications.services`` for the delivery guarantees).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    TICKET_FILED = "ticket_filed", _("Ticket filed (confirmation)")
    NEW_TICKET = "new_ticket", _("New ticket (alert to support)")
    COMMENT = "comment", _("Public comment")
    INTERNAL_NOTE = "internal_note", _("Internal note")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    REJECTED = "rejected", _("Ticket rejected")
    ASSIGNED = "assigned", _("Ticket assigned")
    REOPEN_REFUSED = "reopen_refused", _("Reopen refused")
    TICKET_MERGED = "ticket_merged", _("Ticket merged into another")
    SLA_AT_RISK = "sla_at_risk", _("SLA at risk")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    AUTO_CLOSE_WARNING = "auto_close_warning", _("Auto-close warning")
    DIGEST = "digest", _("Updates in one mail (over a cap)")


class Audience(models.TextChoices):
    """Which side a mail is written for; a customer mail never carries contractor-only data."""

    CUSTOMER = "customer", _("Customer side")
    CONTRACTOR = "contractor", _("Contractor side")
    SENDER = "sender", _("Sender of an e-mail")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")
    HELD = "held", _("Held for a digest")
    DIGESTED = "digested", _("Sent in a digest")


class SuppressionReason(models.TextChoices):
    MUTED = "muted", _("The recipient muted non-essential mail")
    ADDRESS = "address", _("The address is suppressed (bounce or complaint)")
    TICKET_CAP = "ticket_cap", _("Too many mails about this ticket to this address")
    ADDRESS_CAP = "address_cap", _("Too many mails to this address")
    DAILY = "daily", _("Kept for the representative's daily digest")


class Notification(models.Model):
    """One mail to one address: the outbox row."""

    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caused by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    to_email = models.EmailField(_("to"), help_text=_("Stored in lower case."))
    language = models.CharField(_("language"), max_length=8)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    context = models.JSONField(
        _("event details"),
        default=dict,
        blank=True,
        help_text=_("What the mail is about (old and new status, reason, comment…)."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    suppressed_reason = models.CharField(
        _("suppressed because"), max_length=16, choices=SuppressionReason.choices, blank=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(
        _("Message-ID"),
        max_length=255,
        unique=True,
        editable=False,
        help_text=_("Our RFC 5322 Message-ID, with its angle brackets."),
    )
    provider_message_id = models.CharField(
        _("provider's message id"), max_length=255, blank=True, db_index=True
    )
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    retry_since = models.DateTimeField(
        _("retried since"),
        default=timezone.now,
        help_text=_("Transient failures are retried for MAIL_RETRY_LIFETIME_HOURS from here: "
                    "when the mail was written, or last resent."),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    essential = models.BooleanField(
        _("essential"),
        default=False,
        help_text=_("Never capped or muted, and sent without an unsubscribe link."),
    )
    failure_reported_at = models.DateTimeField(
        _("failure reported at"),
        null=True,
        blank=True,
        help_text=_("When the managers were told that this mail could not be sent."),
    )
    digest = models.ForeignKey(
        "self",
        verbose_name=_("sent in the digest"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="digested",
        help_text=_("Over a cap, this mail went out as part of that digest."),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The relay: pending or stuck rows only.
            models.Index(
                fields=["next_attempt_at"],
                name="notification_relay_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            # The caps: recent mails per ticket and address, and per address.
            models.Index(
                fields=["ticket", "to_email", "created_at"], name="notification_ticket_cap_idx"
            ),
            models.Index(fields=["to_email", "created_at"], name="notification_address_cap_idx"),
            # The digests: rows held over a cap.
            models.Index(
                fields=["created_at"], name="notification_held_idx", condition=Q(status="held")
            ),
            # Metrics: rows by status and reason (an index-only count), recent sends.
            models.Index(fields=["status", "suppressed_reason"], name="notification_status_idx"),
            models.Index(
                fields=["sent_at"], name="notification_sent_idx", condition=Q(sent_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.to_email}"


class SuppressionKind(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Spam complaint")
    MANUAL = "manual", _("Added by staff")


class SuppressedAddressQuerySet(models.QuerySet):
    def active(self):
        return self.filter(cleared_at__isnull=True)


class SuppressedAddress(models.Model):
    """An address that hard-bounced or complained: no mail goes there until staff clear it."""

    email = models.EmailField(
        _("e-mail address"), unique=True, help_text=_("Stored in lower case.")
    )
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionKind.choices)
    detail = models.TextField(_("detail"), blank=True, help_text=_("What the provider reported."))
    esp_name = models.CharField(_("reported by"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("suppressed at"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cleared by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = SuppressedAddressQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email

    @property
    def is_active(self) -> bool:
        return self.cleared_at is None


class NotificationPreference(models.Model):
    """A person's choice about mail; essential mail is sent whatever they choose."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="mail_preference",
    )
    mute_non_essential = models.BooleanField(
        _("mute non-essential mail"),
        default=False,
        help_text=_(
            "Only essential mail is sent: the confirmation of a filed ticket, a rejection, "
            "a refused reopen, a priority change and an SLA breach."
        ),
    )

    representative_immediate = models.BooleanField(
        _("colleagues' tickets at once"),
        default=False,
        help_text=_(
            "For representatives: mail about colleagues' tickets at once instead of in one "
            "daily digest. Your own tickets are always mailed at once."
        ),
    )

    class Meta:
        verbose_name = _("mail preference")
        verbose_name_plural = _("mail preferences")

    def __str__(self) -> str:
        return str(self.user)
