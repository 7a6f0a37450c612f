"""An outbox row into a mail: templates in the recipient's language, and the headers.

Templates live in ``templates/notifications/email/<event>.subject.txt / .txt / .html``.
A mail is rendered when it is sent, from the facts the row stored at the event, so a
comment that joined a status mail (see ``services._merge_into_status_mails``) is in it.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.markdown import render_markdown
from notifications.models import Audience, Event, Notification, NotificationStatus
from notifications.services import thread_root_id
from notifications.tokens import rating_token, reply_address, unsubscribe_token

TEMPLATE_DIR = "notifications/email"
# The ticket mails; other features' events (notifications.api) may have none.
TICKET_EVENTS = frozenset(Event.values)
SUBJECT_MAX = 255
DIGEST_TEXT_MAX = 1000
NO_REPLY_EVENTS = frozenset({Event.REOPEN_REFUSED})


class RenderRefused(Exception):
    """The mail would show its recipient something they may not see."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def render_notification(notification: Notification) -> RenderedMail:
    """Subject, plain text and HTML of the row, in the recipient's language."""
    with translation.override(notification.language or settings.MAIL_DEFAULT_LANGUAGE):
        context = mail_context(notification)
        name = f"{TEMPLATE_DIR}/{notification.event}"
        subject = render_to_string(f"{name}.subject.txt", context)
        return RenderedMail(
            subject=_subject_line(notification, subject),
            text=_tidy(render_to_string(f"{name}.txt", context)),
            html=render_to_string(f"{name}.html", context),
        )


def _tidy(text: str) -> str:
    """Template tags leave blank runs behind; a plain-text mail reads better without."""
    lines = [line if line == "-- " else line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _subject_line(notification: Notification, rendered: str) -> str:
    line = " ".join(rendered.split())
    ticket = notification.ticket
    if ticket is not None:
        line = f"[{ticket.number}] {line}"
    if is_urgent_alert(notification):
        line = f"{_('[URGENT]')} {line}"
    return line[:SUBJECT_MAX]


def is_urgent_alert(notification: Notification) -> bool:
    return notification.event == Event.NEW_TICKET and bool(notification.context.get("urgent"))


# --- context -----------------------------------------------------------------------


def mail_context(notification: Notification) -> dict:
    facts = notification.context
    ticket = notification.ticket
    recipient = notification.recipient
    context = {
        "notification": notification,
        "facts": facts,
        "for_customer": notification.audience == Audience.CUSTOMER,
        "for_contractor": notification.audience == Audience.CONTRACTOR,
        "recipient_name": recipient.get_full_name() if recipient else "",
        "actor_name": notification.actor.get_full_name() if notification.actor else "",
        "site_url": settings.SITE_URL,
        "support_email": settings.SUPPORT_EMAIL,
        "support_phone": settings.SUPPORT_PHONE,
        "support_phone_ext": settings.SUPPORT_PHONE_EXT,
        "urgent": bool(facts.get("urgent")),
        "reason": facts.get("reason", ""),
        "reason_text": facts.get("reason_text", ""),
        "window_days": facts.get("window_days", settings.REOPEN_WINDOW_DAYS),
        # A reply to a refused reopen would be refused again: offer the new ticket only.
        "invite_reply": notification.event not in NO_REPLY_EVENTS,
    }
    if ticket is not None:
        _check_may_see(notification)
        context.update(_ticket_context(notification))
    elif notification.event == Event.DIGEST and notification.context.get("daily"):
        pass  # each item is checked on its own ticket (_digest_items)
    elif notification.audience == Audience.CUSTOMER or notification.event in TICKET_EVENTS:
        raise RenderRefused(f"notification {notification.pk} has no ticket (deleted?)")
    context.update(_event_facts(notification))
    return context


def _check_may_see(notification: Notification) -> None:
    ticket, user = notification.ticket, notification.recipient
    if notification.audience == Audience.CUSTOMER:
        if user is None or not user.is_customer or user.organisation_id != ticket.organisation_id:
            raise RenderRefused(f"{notification.to_email} may not see {ticket.number}")
    elif notification.audience == Audience.CONTRACTOR:
        if user is not None and not user.is_contractor:
            raise RenderRefused(f"{notification.to_email} is not contractor staff")
    else:
        raise RenderRefused("A mail to an e-mail's sender names no ticket")


def _ticket_context(notification: Notification) -> dict:
    ticket = notification.ticket
    contractor = notification.audience == Audience.CONTRACTOR
    return {
        "ticket": ticket,
        "ticket_url": _ticket_url(ticket, contractor=contractor),
        "is_requester": notification.recipient_id == ticket.requester_id,
        "new_ticket_url": _absolute(reverse("portal:ticket_new")) + f"?follows={ticket.number}",
        "rules_url": _absolute(reverse("portal:rules")),
    }


def _event_facts(notification: Notification) -> dict:
    facts = notification.context
    extra = {}
    if facts.get("comment_id"):
        extra["comment"] = _comment(notification, facts["comment_id"])
        extra["comment_html"] = render_markdown(extra["comment"].body)
    if notification.event == Event.NEW_TICKET and notification.ticket is not None:
        extra["body_html"] = render_markdown(notification.ticket.body)
    for key in ("old", "new", "status"):
        if key in facts:
            extra[f"{key}_label"] = _label(notification, facts[key])
    for key in ("due", "close_at"):
        if facts.get(key):
            extra[key] = datetime.datetime.fromisoformat(facts[key])
    if notification.ticket is not None and notification.event in (
        Event.TICKET_FILED,
        Event.NEW_TICKET,
    ):
        extra["due"] = notification.ticket.reaction_due
    if notification.event == Event.DIGEST:
        extra["items"] = _digest_items(notification)
    if facts.get("rating_id"):
        extra["rating_links"] = rating_links(notification)
    if facts.get("clock"):
        extra["clock_label"] = (
            pgettext("SLA deadline of the", "reaction")
            if facts["clock"] == "reaction"
            else pgettext("SLA deadline of the", "resolution")
        )
    return extra


def _digest_items(notification: Notification) -> list[dict]:
    """What each mail held over the cap would have said, in a line or a paragraph."""
    items = []
    rows = (
        Notification.objects.filter(digest=notification)
        .select_related("ticket", "recipient")
        .order_by("created_at", "pk")
    )
    for row in rows:
        facts = row.context
        if row.ticket is None:
            continue  # the ticket was deleted meanwhile
        _check_may_see(row)
        item = {"event": row.get_event_display(), "at": row.created_at, "text": ""}
        item["ticket"] = row.ticket
        item["ticket_url"] = _ticket_url(row.ticket, contractor=False)
        if facts.get("comment_id"):
            comment = _comment(row, facts["comment_id"])
            item["author"] = comment.author.get_full_name()
            item["text"] = comment.body[:DIGEST_TEXT_MAX]
        elif "new" in facts:
            item["text"] = f"{_label(row, facts.get('old'))} → {_label(row, facts['new'])}"
        items.append(item)
    return items


RATING_SCORES = (5, 4, 3, 2, 1)


def rating_links(notification: Notification) -> list[tuple[int, str]]:
    """(score, URL) of the one-click satisfaction links: only in the requester's own
    copy (the link rates as them, without a login); everyone else's mail has none."""
    ticket = notification.ticket
    if (
        ticket is None
        or notification.audience != Audience.CUSTOMER
        or notification.recipient_id != ticket.requester_id
    ):
        return []
    token = rating_token(rating_id=notification.context["rating_id"], ticket_id=ticket.pk)
    url = _absolute(reverse("portal:rating_link", args=[token]))
    return [(score, f"{url}?score={score}") for score in RATING_SCORES]


def _comment(notification: Notification, comment_id: int):
    # Where it is now: a merge may have moved it from this ticket to the original.
    ticket_id = notification.ticket_id
    comments = notification.ticket.comments.model.objects
    comment = (
        comments.filter(Q(ticket_id=ticket_id) | Q(merged_from_id=ticket_id))
        .select_related("author")
        .prefetch_related("attachments")
        .get(pk=comment_id)
    )
    if comment.is_internal and notification.audience != Audience.CONTRACTOR:
        raise RenderRefused(f"internal note {comment.pk} is not for {notification.to_email}")
    return comment


def _label(notification: Notification, value) -> str:
    """A stored status or priority in the reader's language, by the ticket's own choices."""
    field = "priority" if notification.event == Event.PRIORITY_CHANGED else "status"
    ticket = notification.ticket
    if ticket is None:
        return str(value)
    labels = dict(ticket._meta.get_field(field).flatchoices)
    return str(labels.get(value, value))


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _ticket_url(ticket, *, contractor: bool) -> str:
    if contractor:
        try:
            return _absolute(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
        except NoReverseMatch:
            pass
    return _absolute(reverse("portal:ticket_detail", args=[ticket.number]))


# --- the message -------------------------------------------------------------------


def build_message(notification: Notification) -> EmailMultiAlternatives:
    """The mail as Django's mail API sends it (SMTP, the file sink or an anymail ESP)."""
    mail = render_notification(notification)
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        reply_to=[
            reply_address(notification.ticket) if notification.ticket else settings.SUPPORT_EMAIL
        ],
        headers=headers_for(notification),
    )
    message.attach_alternative(mail.html, "text/html")
    return message


# A References header names the root and at most this many earlier mails of the thread.
REFERENCES_KEPT = 20


def headers_for(notification: Notification) -> dict:
    """Threading as a mail client does it (In-Reply-To the previous mail of the ticket to
    this person, References growing from the ticket's root), the marks that keep
    auto-responders and loops quiet, and a one-click unsubscribe on non-essential mail."""
    headers = {
        "Message-ID": notification.message_id,
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Loop": settings.SUPPORT_EMAIL,
    }
    ticket = notification.ticket
    if ticket is not None:
        root = thread_root_id(ticket)
        earlier = _earlier_mails_to(notification)
        headers["In-Reply-To"] = earlier[-1] if earlier else root
        headers["References"] = " ".join(dict.fromkeys([root, *earlier[-REFERENCES_KEPT:]]))
        headers["X-Helpdesk-Ticket"] = ticket.number
    unsubscribe = unsubscribe_url(notification)
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if is_urgent_alert(notification):
        headers.update({"Importance": "high", "X-Priority": "1 (Highest)", "Priority": "urgent"})
    return headers


def _earlier_mails_to(notification: Notification) -> list[str]:
    """The Message-IDs of the ticket's mails this address received before, oldest first."""
    ids = (
        Notification.objects.filter(
            ticket_id=notification.ticket_id,
            to_email=notification.to_email,
            status=NotificationStatus.SENT,
            pk__lt=notification.pk,
        )
        .order_by("-pk")
        .values_list("message_id", flat=True)[:REFERENCES_KEPT]
    )
    return list(reversed(ids))


def unsubscribe_url(notification: Notification) -> str:
    """RFC 8058 one-click mute of non-essential mail, for a person with an account."""
    if notification.essential or notification.recipient_id is None:
        return ""
    token = unsubscribe_token(notification.recipient_id)
    return _absolute(reverse("mail_unsubscribe", args=[token]))
