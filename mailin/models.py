"""Every mail that reached the support address, kept with what became of it.

One row per Message-ID (a mail without one is keyed by a hash of its bytes), so a
mail that arrives twice, by the webhook and by the mailbox or by two overlapping runs
of ``fetch_mail``, is acted on once. A *different* mail that reuses a Message-ID (its
fingerprint differs) gets a row of its own, held for review. The raw bytes are kept
under MEDIA_ROOT.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    WEBHOOK = "webhook", _("Provider webhook")
    FILE = "file", _("Message file")
    MBOX = "mbox", _("Mbox")
    IMAP = "imap", _("IMAP mailbox")
    PIPE = "pipe", _("Piped in by the mail server")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    TICKET = "ticket", _("Opened a ticket")
    COMMENT = "comment", _("Added a comment")
    ACCOUNT_REQUEST = "account_request", _("Account request for a colleague")
    REFUSED = "refused", _("Reopen refused (told the sender)")
    HELD = "held", _("Held for review")
    SUPPRESSED = "suppressed", _("Automatic mail (kept, no reply)")
    REJECTED = "rejected", pgettext_lazy("inbound mail status", "Rejected")
    FAILED = "failed", _("Failed (can be processed again)")
    DISCARDED = "discarded", _("Discarded")


# What the review queue shows: mails someone has to look at.
REVIEW_STATUSES = (Status.HELD, Status.SUPPRESSED, Status.REJECTED, Status.FAILED)


class Reason(models.TextChoices):
    NONE = "", _("—")
    UNKNOWN_SENDER = "unknown_sender", _("Unknown sender")
    STAFF_SENDER = "staff_sender", _("Sent by contractor staff")
    OTHER_ORGANISATION = "other_organisation", _("Sender of another organisation")
    FORGED_TOKEN = "forged_token", _("Reply address with a forged token")
    SPOOFED = "spoofed", _("Sender failed authentication (DMARC)")
    AMBIGUOUS_SENDER = "ambiguous_sender", _("Ambiguous or forged From header")
    UNVERIFIED_SENDER = "unverified_sender", _("Privileged request from an unverified sender")
    MESSAGE_ID_REUSED = "message_id_reused", _("A different mail reused a known Message-ID")
    NO_AUTO_RESPONSE = "no_auto_response", _("Asks for no automatic answer")
    LOOP = "loop", _("Our own mail coming back (mail loop)")
    REFUSED = "refused", _("Refused by a ticket rule")
    NO_TEXT = "no_text", _("A reply with no new text or files")
    AUTO_REPLY = "auto_reply", _("Auto-reply")
    BULK = "bulk", _("Bulk or mailing-list mail")
    BOUNCE = "bounce", _("Bounce")
    OWN_ADDRESS = "own_address", _("From our own address")
    OVERSIZE = "oversize", _("Too large")
    MALFORMED = "malformed", _("Malformed")
    ERROR = "error", _("Processing error")


def raw_path(instance: "InboundMessage", filename: str) -> str:
    return f"inbound/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.eml"


class InboundMessage(models.Model):
    message_id = models.CharField(
        _("Message-ID"),
        max_length=998,
        help_text=_("As the mail gives it, or sha256:<hash of the bytes> if it has none."),
    )
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=64,
        blank=True,
        help_text=_(
            "A hash of the sender, date, subject and body: the same mail delivered twice "
            "has the same one, whatever the servers on the way added."
        ),
    )
    source = models.CharField(_("came by"), max_length=16, choices=Source.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    raw = models.FileField(_("raw message"), upload_to=raw_path, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    envelope_from = models.CharField(
        _("envelope sender"), max_length=320, blank=True,
        help_text=_("As the provider reported it: <> for a bounce, blank when not told."),
    )
    envelope_to = models.CharField(_("envelope recipient"), max_length=320, blank=True)

    from_address = models.CharField(_("from"), max_length=320, blank=True, db_index=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    to_addresses = models.TextField(_("to"), blank=True)
    subject = models.TextField(_("subject"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    text = models.TextField(_("decoded text"), blank=True)
    sender_verified = models.BooleanField(
        _("sender verified"),
        default=False,
        help_text=_(
            "Our mail server's Authentication-Results (INBOUND_AUTHSERV_ID) say DMARC passed "
            "for the From domain. Otherwise the sender is unverified: anyone can write any "
            "From."
        ),
    )

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    reason = models.CharField(
        _("reason"), max_length=32, choices=Reason.choices, default=Reason.NONE, blank=True
    )
    detail = models.TextField(_("details"), blank=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    comment = models.ForeignKey(
        "tickets.Comment",
        verbose_name=_("comment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The staff member who accepted or discarded it from the review queue."),
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mail")
        indexes = [models.Index(fields=["status", "-received_at"])]
        constraints = [
            # Its index also serves the look-ups by Message-ID alone.
            models.UniqueConstraint(
                fields=["message_id", "fingerprint"], name="inbound_message_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_address or '?'}: {self.subject[:80] or self.message_id}"
