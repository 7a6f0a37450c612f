"""What a person's mail does, once ``mailin.services`` has stored it and found it is not
automatic: a comment on the ticket it answers, a new ticket, an account request; or it
is held for review, with the reason.

- A reply: to the ticket's signed reply address, or naming one of our mails to that very
  sender (In-Reply-To / References), or, failing both, naming the ticket in its subject
  (``Re: [HD-2026-00042] …``) when the sender is of that ticket's organisation.
- Identity from e-mail is unverified unless our mail server proves it (``identity``):
  tickets and comments may come of an unverified mail, an account request may not.
- Nothing answers a mail that asks for no automatic answer (X-Auto-Response-Suppress):
  such a mail is posted as a comment (that sends nothing back), but it opens no ticket,
  whose confirmation would answer it, until staff decide.
- The content is kept: forwarded mails are attached as .eml and their text shown, a
  text over the portal's limit is cut there and attached whole.
"""

import dataclasses
import logging
import re

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.email_requests import account_request_from_email, asks_for_an_account
from accounts.models import User
from mailin import parsing
from mailin.identity import failed_authentication
from mailin.loops import asks_for_no_auto_response, own_addresses
from mailin.models import Reason, Status
from mailin.replies import reply_text
from notifications.models import Notification
from notifications.tokens import ticket_number_from_address
from tickets.attachments import check_uploads
from tickets.models import Channel, Comment, Ticket, TicketType
from tickets.notify import notify_reopen_refused
from tickets.rules import reopen_window_text
from tickets.services import comment_add, ticket_file

logger = logging.getLogger("mailin")

# The portal's limit on a ticket's or comment's text (portal.forms.MAX_TEXT, which a way
# in beside the portal may not import): the same limit for mail.
MAX_TEXT = 50_000
FULL_TEXT_NAME = "full-text.txt"
# The room kept for the note that names the refused files.
NOTE_MAX = 5_000


@dataclasses.dataclass
class Outcome:
    status: str
    reason: str = Reason.NONE
    detail: str = ""
    ticket: Ticket | None = None
    comment: Comment | None = None
    sender: User | None = None


def mail_act(
    mail: parsing.ParsedMail, *, envelope_to: str = "", verified: bool = False,
    staff_decided: bool = False,
) -> Outcome:
    """What a person's mail becomes. ``verified``: our mail server proved the sender;
    ``staff_decided``: staff asked for it to be processed (from the review queue)."""
    ticket, forged = ticket_for_reply(mail, envelope_to=envelope_to)
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
    quiet = asks_for_no_auto_response(mail)
    ticket = ticket or ticket_by_subject(mail, sender=account)
    if ticket is None:
        if quiet and not staff_decided:
            return Outcome(Status.HELD, Reason.NO_AUTO_RESPONSE, _(
                "The mail asks for no automatic answer (X-Auto-Response-Suppress), and a new "
                "ticket would send its confirmation: not filed. Process it again or accept "
                "it as a ticket to file it."
            ), sender=account)
        return _account_request(account, mail, verified=verified) or open_ticket(
            account, mail, verified=verified
        )
    if account.organisation_id != ticket.organisation_id:
        return Outcome(
            Status.HELD, Reason.OTHER_ORGANISATION,
            f"{account.email} ({account.organisation}) is not of {ticket.number}'s organisation.",
            ticket=ticket, sender=account,
        )
    return _reply(ticket, account, mail, quiet=quiet)


def _account_request(account: User, mail: parsing.ParsedMail, *, verified: bool) -> Outcome | None:
    """A representative's mail asking for a colleague's account (the rules allow e-mail).
    A privileged action: from a sender our mail server did not prove it is only written
    as unconfirmed, and becomes real when the representative confirms it through the
    single-use link mailed to their own address (or in the portal)."""
    if not asks_for_an_account(sender=account, subject=mail.subject, text=mail.text):
        return None
    request = account_request_from_email(
        sender=account, subject=mail.subject, text=mail.text, verified=verified
    )
    if request is None and not verified:
        detail = _(
            "An account request by e-mail in the name of %(address)s, whose sender is not "
            "verified (our mail server reported no DMARC pass for %(domain)s): not filed. "
            "Anyone can write this From; ask the representative to request the account in "
            "the portal."
        ) % {"address": account.email, "domain": account.email.rpartition("@")[2]}
        return Outcome(Status.HELD, Reason.UNVERIFIED_SENDER, detail, sender=account)
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


# --- which ticket ------------------------------------------------------------------------


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


def ticket_by_subject(mail: parsing.ParsedMail, *, sender: User) -> Ticket | None:
    """The ticket whose number the subject names in brackets, as our mails write it
    ("Re: [HD-2026-00042] …"), if it is of the sender's organisation: a number anybody
    can type never attaches a mail to another organisation's ticket."""
    prefix = re.escape(settings.TICKET_NUMBER_PREFIX)
    pattern = re.compile(rf"\[\s*({prefix}-\d{{4}}-\d+)\s*\]", re.IGNORECASE)
    numbers = [number.upper() for number in pattern.findall(mail.subject)]
    if not numbers or sender.organisation_id is None:
        return None
    return Ticket.objects.filter(
        number__in=numbers, organisation_id=sender.organisation_id
    ).first()


# --- filing and replying -----------------------------------------------------------------


def open_ticket(
    requester: User,
    mail: parsing.ParsedMail,
    *,
    actor: User | None = None,
    verified: bool = True,
) -> Outcome:
    with translation.override(requester.language):
        body, files, note = _content(mail.text, mail, empty=_("(The e-mail had no text.)"))
        ticket = ticket_file(
            requester=requester,
            subject=_subject(mail),
            body=body,
            type=TicketType.CONSULTATION,
            priority=None,
            channel=Channel.EMAIL,
            files=files,
            actor=actor,
            sender_unverified=not verified,
        )
    return Outcome(Status.TICKET, detail=note, ticket=ticket, sender=requester)


def _reply(ticket: Ticket, author: User, mail: parsing.ParsedMail, *, quiet: bool) -> Outcome:
    """A customer's reply: a public comment; a closed ticket reopens within the window."""
    with translation.override(author.language):
        text = reply_text(mail.text)
        if not text and not mail.forwarded and not mail.attachments:
            return _nothing_new(ticket, author)
        body, files, note = _content(text, mail, empty=_("Files sent by e-mail."))
        if not text and not mail.forwarded and not files:
            return _nothing_new(ticket, author)
        if ticket.reopen_refused:
            return _refuse_reopen(ticket, author, quiet=quiet)
        # The portal's rule: a reply reopens a resolved or recently closed ticket.
        comment = comment_add(ticket=ticket, author=author, body=body, files=files)
    return Outcome(Status.COMMENT, detail=note, ticket=ticket, comment=comment, sender=author)


def _nothing_new(ticket: Ticket, author: User) -> Outcome:
    return Outcome(
        Status.HELD, Reason.NO_TEXT, "Nothing new after the quoted text was trimmed.",
        ticket=ticket, sender=author,
    )


def _refuse_reopen(ticket: Ticket, author: User, *, quiet: bool) -> Outcome:
    detail = reopen_window_text(ticket)
    if quiet:  # the refusal would be an automatic answer to a mail that asks for none
        detail += " " + _("No mail was sent: the mail asks for no automatic answer.")
    else:
        notify_reopen_refused(ticket=ticket, user=author)
    return Outcome(Status.REFUSED, Reason.REFUSED, detail, ticket=ticket, sender=author)


def _subject(mail: parsing.ParsedMail) -> str:
    subject = mail.subject.strip()
    if not subject:
        first_line = next((line.strip() for line in mail.text.splitlines() if line.strip()), "")
        subject = first_line[:80] or _("E-mail without a subject")
    return subject[:200]


# --- the content -------------------------------------------------------------------------


def mail_text(mail: parsing.ParsedMail) -> str:
    """All the text of a mail, its forwarded mails' too, as the review queue shows it."""
    return (mail.text + forwarded_text(mail)).strip()


def forwarded_text(mail: parsing.ParsedMail) -> str:
    """The forwarded mails' text, each under a line saying whose it is."""
    blocks = []
    for forwarded in mail.forwarded:
        heading = _("Forwarded message from %(sender)s (%(date)s): %(subject)s") % {
            "sender": forwarded.sender or "?", "date": forwarded.date or "?",
            "subject": forwarded.subject or "—",
        }
        blocks.append(f"\n\n---\n{heading}\n\n{forwarded.text}".rstrip())
    return "".join(blocks)


def _content(text: str, mail: parsing.ParsedMail, *, empty: str) -> tuple[str, list, str]:
    """The body to post, the files to attach, and the note on what was cut or refused.

    The body is the text with the forwarded mails' text after it, and a note naming the
    files the portal's rules refused. Over the portal's limit it is cut there, and the
    whole text is attached as a text file (first, so the file limit never refuses it).
    """
    full = (text + forwarded_text(mail)).strip() or empty
    attachments = _uploads(mail)
    files, note = _checked(attachments, mail)
    if len(full) + len(note) <= MAX_TEXT:
        return full + note, files, note.strip()
    whole = SimpleUploadedFile(FULL_TEXT_NAME, full.encode("utf-8"), "text/plain; charset=utf-8")
    files, note = _checked([whole, *attachments], mail)
    cut_note = "\n\n---\n" + _(
        "The e-mail was longer than %(limit)s characters and is cut here; its whole text is "
        "attached as “%(name)s”."
    ) % {"limit": MAX_TEXT, "name": FULL_TEXT_NAME}
    kept = full[: MAX_TEXT - len(cut_note) - len(note)].rstrip()
    logger.info("inbound text of %s cut at %s characters", mail.from_address, len(kept))
    return kept + cut_note + note, files, (cut_note + note).strip()


def _uploads(mail: parsing.ParsedMail) -> list:
    return [SimpleUploadedFile(a.name, a.content, a.content_type) for a in mail.attachments]


def _checked(uploads: list, mail: parsing.ParsedMail) -> tuple[list, str]:
    """The attachments the portal's rules accept, and a note naming the ones refused."""
    for upload in uploads:
        upload.seek(0)
    inspected, refused = check_uploads(uploads)
    accepted = [upload for upload, _info in inspected]
    for reason in refused:
        logger.warning("inbound attachment refused from %s: %s", mail.from_address, reason)
    if not refused:
        return accepted, ""
    listed = "\n".join(f"- {reason}" for reason in refused)
    note = "\n\n---\n" + _("Files in the e-mail that were not attached:") + "\n" + listed
    return accepted, note[:NOTE_MAX]
