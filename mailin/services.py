"""Inbound mail into tickets: every way in (webhook, files, mbox, IMAP) ends here.

A mail is stored once per Message-ID, then acted on once:
- from a known customer, not a reply: opens a Consultation in their organisation;
- a reply (signed reply address, or In-Reply-To/References naming one of our mails to
  that person): a public comment on its ticket, quoted text trimmed; a closed ticket
  is reopened within the window and refused with a mail after it;
- unknown sender, another organisation, forged reply address: held for review;
- auto-replies, bounces, our own mail: kept, never answered;
- oversize or malformed: rejected with the reason.
Nothing a mail contains makes this raise: the outcome is the row's status.
"""

import dataclasses
import datetime
import logging
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ActionRefused
from mailin import parsing
from mailin.loops import automatic_reason, failed_authentication, own_addresses
from mailin.models import InboundMessage, Reason, Status
from mailin.replies import reply_text
from notifications.models import Notification
from notifications.tokens import ticket_number_from_address
from tickets.attachments import check_uploads
from tickets.models import Channel, Comment, Ticket, TicketType
from tickets.notify import notify_reopen_refused
from tickets.rules import reopen_window_text
from tickets.services import comment_add, ticket_file

logger = logging.getLogger("mailin")

HEADERS_KEPT_OF_OVERSIZE = 256 * 1024
# A mail left 'received' this long was interrupted (a killed worker): process it again.
STUCK_AFTER = datetime.timedelta(minutes=10)


@dataclasses.dataclass
class Outcome:
    status: str
    reason: str = Reason.NONE
    detail: str = ""
    ticket: Ticket | None = None
    comment: Comment | None = None
    sender: User | None = None


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
    """Keep the bytes of a mail unless its Message-ID is known; (row, whether it is new)."""
    headline = _headline(raw)
    existing = InboundMessage.objects.filter(message_id=headline["message_id"]).first()
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
        return InboundMessage.objects.get(message_id=headline["message_id"]), False
    return inbound, True


def _kept_bytes(raw: bytes) -> bytes:
    """All of a mail within the size limit; of a bigger one, its headers only."""
    if len(raw) <= settings.INBOUND_MAX_BYTES:
        return raw
    head = raw[:HEADERS_KEPT_OF_OVERSIZE]
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    return head[: min(ends)] + b"\r\n\r\n" if ends else head


def _headline(raw: bytes) -> dict:
    """What the review queue lists, read from the headers alone (never raises)."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(
            raw[:HEADERS_KEPT_OF_OVERSIZE], headersonly=True
        )
        message_id = parsing.message_id_of(message, raw)
        name, address = parseaddr(parsing.header(message, "From"))
        return {
            "message_id": message_id,
            "from_address": address.lower()[:320],
            "from_name": name[:200],
            "subject": parsing.header(message, "Subject")[:2000],
            "to_addresses": ", ".join(parsing.addresses(message, ("To", "Cc")))[:4000],
        }
    except Exception:
        return {"message_id": parsing.raw_hash_id(raw)}


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
    reason = automatic_reason(mail, envelope_sender=inbound.envelope_from)
    if reason:
        return Outcome(Status.SUPPRESSED, reason, "Not answered, to avoid a mail loop.")
    try:
        with transaction.atomic():
            return _act(inbound, mail)
    except ActionRefused as exc:
        return Outcome(Status.HELD, Reason.REFUSED, exc.message)


def _read_raw(inbound: InboundMessage) -> bytes:
    with inbound.raw.open("rb") as stored:
        return stored.read()


def _describe(inbound: InboundMessage, mail: parsing.ParsedMail) -> None:
    inbound.from_address = mail.from_address[:320]
    inbound.from_name = mail.from_name
    inbound.subject = mail.subject[:2000]
    inbound.to_addresses = ", ".join(mail.recipients)[:4000]
    inbound.sent_at = mail.sent_at
    inbound.text = mail.text


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
    ])
    log = logger.info if outcome.status in (Status.TICKET, Status.COMMENT) else logger.warning
    log(
        "inbound #%s from %s: %s %s %s", inbound.pk, inbound.from_address or "?",
        outcome.status, outcome.reason, outcome.detail[:300],
    )


# --- acting ------------------------------------------------------------------------------


def _act(inbound: InboundMessage, mail: parsing.ParsedMail) -> Outcome:
    ticket, forged = ticket_for_reply(mail, envelope_to=inbound.envelope_to)
    account = User.objects.filter(email__iexact=mail.from_address).first()
    spoofed = failed_authentication(mail)
    if spoofed:
        return Outcome(Status.HELD, Reason.SPOOFED, spoofed, ticket=ticket, sender=account)
    if ticket is None and forged:
        return Outcome(
            Status.HELD, Reason.FORGED_TOKEN,
            "Sent to a reply address whose signature does not verify.", sender=account,
        )
    if account is None or not account.is_customer:
        return _not_a_customer(account, ticket)
    if ticket is None:
        return _account_request(account, mail) or _open_ticket(account, mail)
    if account.organisation_id != ticket.organisation_id:
        return Outcome(
            Status.HELD, Reason.OTHER_ORGANISATION,
            f"{account.email} ({account.organisation}) is not of {ticket.number}'s organisation.",
            ticket=ticket, sender=account,
        )
    return _reply(ticket, account, mail)


def _account_request(account: User, mail: parsing.ParsedMail) -> Outcome | None:
    """A representative's mail asking for a colleague's account (the rules allow e-mail)."""
    from accounts.email_requests import account_request_from_email

    request = account_request_from_email(sender=account, subject=mail.subject, text=mail.text)
    if request is None:
        return None
    detail = f"Account request #{request.pk} for {request.email}: {request.get_status_display()}."
    return Outcome(Status.ACCOUNT_REQUEST, detail=detail, sender=account)


def _not_a_customer(account: User | None, ticket: Ticket | None) -> Outcome:
    if account is not None and account.is_contractor:
        return Outcome(
            Status.HELD, Reason.STAFF_SENDER,
            "Contractor staff answer in the admin; their e-mail is not posted.",
            ticket=ticket, sender=account,
        )
    detail = "No active customer account has this address."
    return Outcome(Status.HELD, Reason.UNKNOWN_SENDER, detail, ticket=ticket, sender=account)


def ticket_for_reply(
    mail: parsing.ParsedMail, *, envelope_to: str = ""
) -> tuple[Ticket | None, bool]:
    """The ticket a mail answers, and whether it came to a reply address that is forged."""
    forged = False
    for address in [*mail.recipients, envelope_to.lower()]:
        number = ticket_number_from_address(address) if address else None
        ticket = Ticket.objects.filter(number=number).first() if number else None
        if ticket is not None:
            return ticket, False
        forged = forged or _is_reply_address(address)
    return _ticket_by_references(mail), forged


def _is_reply_address(address: str) -> bool:
    """Shaped like our per-ticket reply address: support+<tag>@our domain."""
    local, _, domain = address.partition("@")
    return "+" in local and f"{local.split('+', 1)[0]}@{domain}" in own_addresses()


def _ticket_by_references(mail: parsing.ParsedMail) -> Ticket | None:
    """The ticket of one of our mails to this very sender that the mail says it answers."""
    if not mail.references:
        return None
    ids = [*mail.references, *(f"<{ref}>" for ref in mail.references)]
    notification = (
        Notification.objects.filter(
            message_id__in=ids, to_email__iexact=mail.from_address, ticket__isnull=False
        )
        .select_related("ticket")
        .order_by("-pk")
        .first()
    )
    return notification.ticket if notification else None


def _open_ticket(
    requester: User, mail: parsing.ParsedMail, *, actor: User | None = None
) -> Outcome:
    with translation.override(requester.language):
        files, note = _files(mail)
        body = (mail.text or _("(The e-mail had no text.)")) + note
        ticket = ticket_file(
            requester=requester,
            subject=_subject(mail),
            body=body,
            type=TicketType.CONSULTATION,
            priority=None,
            channel=Channel.EMAIL,
            files=files,
            actor=actor,
        )
    return Outcome(Status.TICKET, detail=note.strip(), ticket=ticket, sender=requester)


def _reply(ticket: Ticket, author: User, mail: parsing.ParsedMail) -> Outcome:
    """A customer's reply: a public comment; a closed ticket reopens within the window."""
    with translation.override(author.language):
        files, note = _files(mail)
        text = reply_text(mail.text)
        if not text and not files:
            return Outcome(
                Status.HELD, Reason.NO_TEXT, "Nothing new after the quoted text was trimmed.",
                ticket=ticket, sender=author,
            )
        body = (text or _("Files sent by e-mail.")) + note
        if ticket.reopen_refused:
            return _refuse_reopen(ticket, author)
        # The portal's rule: a reply reopens a resolved or recently closed ticket.
        comment = comment_add(ticket=ticket, author=author, body=body, files=files)
    return Outcome(
        Status.COMMENT, detail=note.strip(), ticket=ticket, comment=comment, sender=author
    )


def _refuse_reopen(ticket: Ticket, author: User) -> Outcome:
    notify_reopen_refused(ticket=ticket, user=author)
    return Outcome(
        Status.REFUSED, Reason.REFUSED, reopen_window_text(ticket), ticket=ticket,
        sender=author,
    )


def _subject(mail: parsing.ParsedMail) -> str:
    subject = mail.subject.strip()
    if not subject:
        first_line = next((line.strip() for line in mail.text.splitlines() if line.strip()), "")
        subject = first_line[:80] or _("E-mail without a subject")
    return subject[:200]


def _files(mail: parsing.ParsedMail) -> tuple[list, str]:
    """The attachments the portal's rules accept, and a note naming the ones refused."""
    uploads = [SimpleUploadedFile(a.name, a.content, a.content_type) for a in mail.attachments]
    inspected, refused = check_uploads(uploads)
    accepted = [upload for upload, _info in inspected]
    for reason in refused:
        logger.warning("inbound attachment refused from %s: %s", mail.from_address, reason)
    if not refused:
        return accepted, ""
    listed = "\n".join(f"- {reason}" for reason in refused)
    return accepted, "\n\n---\n" + _("Files in the e-mail that were not attached:") + "\n" + listed


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
        outcome = _open_ticket(requester, mail, actor=actor)
        locked.handled_by = actor
        locked.save(update_fields=["handled_by"])
        _finish(locked, outcome)
    return locked

