"""Inbound mail into tickets: every way in (webhook, files, mbox, IMAP) ends here.

A mail is stored once per Message-ID, then acted on once:
- from a known customer, not a reply: opens a Consultation in their organisation;
- a reply (signed reply address, or In-Reply-To/References naming one of our mails to
  that person, or the ticket's number in the subject from its organisation): a public
  comment on its ticket, quoted text trimmed; a closed ticket is reopened within the
  window and refused with a mail after it (``mailin.acting``);
- unknown sender, another organisation, forged reply address, an ambiguous From, an
  account request from an unverified sender: held for review;
- auto-replies, bounces, our own mail: kept, never answered; a delivery report about
  one of our mails suppresses the address that refused it for good (``mailin.bounces``);
- a different mail reusing a known Message-ID: kept, held for review;
- oversize or malformed: rejected with the reason.
Nothing a mail contains makes this raise: the outcome is the row's status.
"""

import datetime
import hashlib
import logging
from email import policy
from email.parser import BytesParser

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ActionRefused
from mailin import parsing
from mailin.acting import Outcome, mail_act, mail_text, open_ticket
from mailin.bounces import dsn_apply
from mailin.identity import sender_verified
from mailin.loops import automatic_reason
from mailin.models import InboundMessage, Reason, Status

logger = logging.getLogger("mailin")

HEADERS_KEPT_OF_OVERSIZE = 256 * 1024
# A mail left 'received' this long was interrupted (a killed worker): process it again.
STUCK_AFTER = datetime.timedelta(minutes=10)
# What makes two deliveries the same mail; the trace headers servers add do not count.
FINGERPRINT_HEADERS = ("Message-ID", "From", "To", "Cc", "Date", "Subject")


# --- receiving ---------------------------------------------------------------------------


def inbound_receive(
    *,
    raw: bytes,
    source: str,
    envelope_from: str | None = None,
    envelope_to: str = "",
) -> InboundMessage:
    """Keep a mail once (by its Message-ID) and act on it; a repeat is returned untouched,
    unless its processing failed before (an outage): then it is processed again."""
    inbound, created = inbound_store(
        raw=raw, source=source, envelope_from=envelope_from, envelope_to=envelope_to
    )
    if created or inbound_take_again(inbound=inbound):
        return inbound_process(inbound=inbound)
    return inbound


def inbound_take_again(*, inbound: InboundMessage) -> bool:
    """A mail whose processing failed with an error (a database or network outage, a bug
    since fixed) is taken up again when it arrives again; True if it is to be processed."""
    if inbound.status == Status.RECEIVED:
        return True
    return bool(
        InboundMessage.objects.filter(
            pk=inbound.pk, status=Status.FAILED, reason=Reason.ERROR
        ).update(status=Status.RECEIVED, reason=Reason.NONE, detail="", processed_at=None)
    )


def inbound_store(
    *, raw: bytes, source: str, envelope_from: str | None = None, envelope_to: str = ""
) -> tuple[InboundMessage, bool]:
    """Keep the bytes of a mail unless this very mail is known (its Message-ID and its
    fingerprint); (row, whether it is new). A different mail reusing a known Message-ID
    is kept too: processing holds it for review."""
    headline = _headline(raw)
    existing = (
        InboundMessage.objects.filter(
            message_id=headline["message_id"], fingerprint__in=["", headline["fingerprint"]]
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        logger.info("inbound %s already received (#%s): skipped", existing.message_id, existing.pk)
        return existing, False
    inbound = InboundMessage(
        source=source, size=len(raw),
        # The provider says "" for a bounce's empty return path; None means not told.
        envelope_from="" if envelope_from is None else (envelope_from.strip() or "<>")[:320],
        envelope_to=(envelope_to or "")[:320],
        **headline,
    )
    inbound.raw.save("message.eml", ContentFile(_kept_bytes(raw)), save=False)
    try:
        with transaction.atomic():
            inbound.save()
    except IntegrityError:  # another run stored the same mail a moment ago
        inbound.raw.delete(save=False)
        same = {"message_id": headline["message_id"], "fingerprint": headline["fingerprint"]}
        return InboundMessage.objects.get(**same), False
    return inbound, True


def _kept_bytes(raw: bytes) -> bytes:
    """All of a mail within the size limit; of a bigger one, its headers only."""
    if len(raw) <= settings.INBOUND_MAX_BYTES:
        return raw
    head = raw[:HEADERS_KEPT_OF_OVERSIZE]
    end = _header_end(head)
    return head[:end] + b"\r\n\r\n" if end is not None else head


def _header_end(raw: bytes) -> int | None:
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return min(ends) if ends else None


def _headline(raw: bytes) -> dict:
    """What the review queue lists, read from the headers alone (never raises)."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(
            raw[:HEADERS_KEPT_OF_OVERSIZE], headersonly=True
        )
        message_id = parsing.message_id_of(message, raw)
        sender = parsing.sender_of(message)
        return {
            "message_id": message_id,
            "fingerprint": _fingerprint(message, raw),
            "from_address": sender.address,
            "from_name": sender.name,
            "subject": parsing.header(message, "Subject")[:2000],
            "to_addresses": ", ".join(parsing.addresses(message, ("To", "Cc")))[:4000],
        }
    except Exception:
        return {"message_id": parsing.raw_hash_id(raw), "fingerprint": ""}


def _fingerprint(message, raw: bytes) -> str:
    """The same mail has the same fingerprint however it came (the webhook, the mailbox):
    its own headers and its body count, the trace headers and line endings do not."""
    lines = []
    for name in FINGERPRINT_HEADERS:
        values = [str(v) for key, v in message.raw_items() if key.lower() == name.lower()]
        lines += [f"{name}: {' '.join(value.split())}" for value in values]
    end = _header_end(raw)
    body = raw[end:] if end is not None else b""
    body_lines = [line.rstrip() for line in body.replace(b"\r\n", b"\n").split(b"\n")]
    digest = hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape"))
    digest.update(b"\n\n" + b"\n".join(body_lines).strip())
    return digest.hexdigest()


# --- processing --------------------------------------------------------------------------


def inbound_process(*, inbound: InboundMessage) -> InboundMessage:
    """Act once on a stored mail that is still 'received'; a run that crashes is recorded."""
    try:
        with transaction.atomic():
            locked = (
                InboundMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=inbound.pk, status=Status.RECEIVED)
                .first()
            )
            if locked is not None:
                _finish(locked, _decide(locked))
    except DatabaseError:
        raise  # the database is down: the caller leaves the mail where it was, for later
    except Exception as exc:  # a bug must not stop the other mails
        logger.exception("inbound #%s (%s) failed", inbound.pk, inbound.message_id)
        InboundMessage.objects.filter(pk=inbound.pk, status=Status.RECEIVED).update(
            status=Status.FAILED, reason=Reason.ERROR, detail=repr(exc)[:4000],
            processed_at=timezone.now(),
        )
    inbound.refresh_from_db()
    return inbound


def inbound_resume_stuck() -> int:
    """Process mails an interrupted run stored but never acted on; how many."""
    stuck = InboundMessage.objects.filter(
        status=Status.RECEIVED, received_at__lt=timezone.now() - STUCK_AFTER
    )
    stuck = list(stuck.order_by("pk")[:1000])
    for inbound in stuck:
        inbound_process(inbound=inbound)
    return len(stuck)


def _decide(inbound: InboundMessage) -> Outcome:
    if inbound.size > settings.INBOUND_MAX_BYTES:
        return Outcome(
            Status.REJECTED, Reason.OVERSIZE,
            f"{inbound.size} bytes; the limit is {settings.INBOUND_MAX_BYTES}. "
            "Only the headers were kept.",
        )
    try:
        mail = parsing.parse_mail(_read_raw(inbound))
    except parsing.MalformedMail as exc:
        return Outcome(Status.REJECTED, Reason.MALFORMED, str(exc))
    _describe(inbound, mail)
    if mail.sender_problem:  # whoever it names, nobody may act in their name on it
        return Outcome(Status.HELD, Reason.AMBIGUOUS_SENDER, mail.sender_problem)
    # Staff who process a held mail again have looked at it.
    staff_decided = inbound.handled_by_id is not None
    earlier = _earlier_with_its_message_id(inbound)
    if earlier is not None and not staff_decided:
        return Outcome(Status.HELD, Reason.MESSAGE_ID_REUSED, _(
            "Mail #%(pk)s, received %(when)s, had this Message-ID, and this is a different "
            "mail: it is kept for review, not acted on. Process it again to act on it."
        ) % {"pk": earlier.pk, "when": formats.localize(timezone.localtime(earlier.received_at))})
    reason = automatic_reason(mail, envelope_sender=inbound.envelope_from)
    if reason:
        detail = dsn_apply(mail) if reason == Reason.BOUNCE else ""
        return Outcome(Status.SUPPRESSED, reason, detail or "Not answered, to avoid a mail loop.")
    try:
        with transaction.atomic():
            return mail_act(
                mail, envelope_to=inbound.envelope_to, verified=inbound.sender_verified,
                staff_decided=staff_decided,
            )
    except ActionRefused as exc:
        return Outcome(Status.HELD, Reason.REFUSED, exc.message)


def _earlier_with_its_message_id(inbound: InboundMessage) -> InboundMessage | None:
    return (
        InboundMessage.objects.filter(message_id=inbound.message_id, pk__lt=inbound.pk)
        .order_by("pk")
        .first()
    )


def _read_raw(inbound: InboundMessage) -> bytes:
    with inbound.raw.open("rb") as stored:
        return stored.read()


def _describe(inbound: InboundMessage, mail: parsing.ParsedMail) -> None:
    inbound.from_address = mail.from_address[:320]
    inbound.from_name = mail.from_name
    inbound.subject = mail.subject[:2000]
    inbound.to_addresses = ", ".join(mail.recipients)[:4000]
    inbound.sent_at = mail.sent_at
    inbound.text = mail_text(mail)
    inbound.sender_verified = sender_verified(mail)


def _finish(inbound: InboundMessage, outcome: Outcome) -> None:
    inbound.status = outcome.status
    inbound.reason = outcome.reason
    inbound.detail = outcome.detail
    inbound.ticket = outcome.ticket
    inbound.comment = outcome.comment
    inbound.sender = outcome.sender
    inbound.processed_at = timezone.now()
    inbound.save(update_fields=[
        "status", "reason", "detail", "ticket", "comment", "sender", "processed_at",
        "from_address", "from_name", "subject", "to_addresses", "sent_at", "text",
        "sender_verified",
    ])
    log = logger.info if outcome.status in (Status.TICKET, Status.COMMENT) else logger.warning
    log(
        "inbound #%s from %s: %s %s %s", inbound.pk, inbound.from_address or "?",
        outcome.status, outcome.reason, outcome.detail[:300],
    )


# --- the review queue --------------------------------------------------------------------


def _locked_for_review(inbound: InboundMessage, allowed) -> InboundMessage:
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.status not in allowed:
        raise ActionRefused(
            _("This mail is “%(status)s” and cannot be handled that way.")
            % {"status": locked.get_status_display()},
            code="not_allowed",
        )
    return locked


def inbound_discard(*, inbound: InboundMessage, actor: User) -> InboundMessage:
    """Staff drop a mail from the review queue; it stays stored, marked discarded."""
    with transaction.atomic():
        locked = _locked_for_review(
            inbound, (Status.HELD, Status.SUPPRESSED, Status.REJECTED, Status.FAILED)
        )
        locked.status = Status.DISCARDED
        locked.handled_by = actor
        locked.save(update_fields=["status", "handled_by"])
    return locked


def inbound_retry(*, inbound: InboundMessage, actor: User) -> InboundMessage:
    """Process a held or failed mail again (say, once the sender has an account)."""
    with transaction.atomic():
        locked = _locked_for_review(inbound, (Status.HELD, Status.FAILED))
        locked.status = Status.RECEIVED
        locked.handled_by = actor
        locked.save(update_fields=["status", "handled_by"])
    return inbound_process(inbound=locked)


def inbound_accept_as_ticket(
    *, inbound: InboundMessage, requester: User, actor: User
) -> InboundMessage:
    """Staff file a held mail as a ticket for a customer they choose (its real author)."""
    if not requester.is_customer:
        raise ActionRefused(
            _("Choose a customer's employee as the requester."), code="not_customer"
        )
    with transaction.atomic():
        locked = _locked_for_review(inbound, (Status.HELD,))
        mail = parsing.parse_mail(_read_raw(locked))
        origin = _("E-mail from %(sender)s:") % {"sender": mail.from_address}
        mail.text = f"{origin}\n\n{mail.text}"
        outcome = open_ticket(requester, mail, actor=actor)
        locked.handled_by = actor
        locked.save(update_fields=["handled_by"])
        _finish(locked, outcome)
    return locked

