"""The outbox: one row per mail, written in the caller's transaction, sent after commit.

It knows no tickets' states and no roles: callers (``tickets.notify`` for the ticket's
conversation, ``notifications.api`` for the other features) say who is told, on which
side (``Audience``), and whether the mail is essential. What it guarantees:

- Each side hears only of what it may see (``_may_receive``, the last guard).
- A person who muted non-essential mail still gets the essential.
- Caps protect against loops, not against work: per window of ``MAIL_CAP_WINDOW_MINUTES``,
  at most ``MAIL_CAP_PER_TICKET`` automatic mails about one ticket to one address and
  ``MAIL_CAP_PER_ADDRESS`` to one address. Essential mail is never capped. A non-essential
  mail over a cap is ``held`` and goes out in one digest per ticket and address when the
  window ends (``notifications.digests``); nothing over a cap is dropped.
- A mail to a muted person (non-essential) or to a suppressed address is still written,
  as ``suppressed`` with the reason, so staff can see why nothing came.

Delivery (the claim, retries, the relay): ``notifications.delivery``.
"""

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, F, Value, When
from django.utils import timezone

from notifications.models import (
    Audience,
    Event,
    Notification,
    NotificationPreference,
    NotificationStatus,
    SuppressedAddress,
    SuppressionReason,
)

logger = logging.getLogger(__name__)

ESSENTIAL_EVENTS = frozenset(
    {
        Event.REJECTED,
        Event.REOPEN_REFUSED,
        Event.PRIORITY_CHANGED,
        Event.SLA_BREACHED,
    }
)


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    audience: str
    user: object = None  # the account, when the address has one
    essential: bool = False
    daily: bool = False  # non-essential mail waits for the daily digest


def language_of(code: str | None) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else settings.MAIL_DEFAULT_LANGUAGE


def person(user, audience: str, *, essential: bool = False) -> Recipient:
    """A person with an account, in the language they chose."""
    return Recipient(
        email=user.email.lower(),
        language=language_of(user.language),
        audience=audience,
        user=user,
        essential=essential,
    )


# --- the outbox --------------------------------------------------------------------


def new_message_id(ticket=None) -> str:
    tag = ticket.number if ticket is not None else "mail"
    return f"<{uuid.uuid4().hex[:24]}.{tag}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"


def thread_root_id(ticket) -> str:
    """The per-ticket id every mail of the ticket refers to, so clients group them."""
    return f"<ticket-{ticket.number}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"


def _may_receive(recipient: Recipient, ticket) -> bool:
    """The last guard against a leak: each side hears only of what it may see."""
    user = recipient.user
    if recipient.email == settings.SUPPORT_EMAIL.lower():
        return False  # never mail ourselves: that is how loops start
    if recipient.audience == Audience.CUSTOMER:
        if user is None or not user.is_customer:
            return False
        # A mail about a ticket goes only to its organisation; one without a ticket (an
        # approval, a statement) is addressed by its feature to its own organisation.
        return ticket is None or user.organisation_id == ticket.organisation_id
    if recipient.audience == Audience.CONTRACTOR:
        return user is None or user.is_contractor
    return ticket is None


def _unique(recipients: list[Recipient]) -> list[Recipient]:
    seen: dict[str, Recipient] = {}
    for r in recipients:
        if r.email in seen:
            held = seen[r.email]
            seen[r.email] = replace(
                held, essential=held.essential or r.essential, daily=held.daily and r.daily
            )
        else:
            seen[r.email] = r
    return list(seen.values())


def _recent_counts(ticket_ids: set, emails: list[str]) -> tuple[dict, dict]:
    """Mails sent or due in the cap window: per (ticket id, address) and per address, in
    one query (grouped by address and by ticket, the tickets outside ``ticket_ids``
    together)."""
    since = timezone.now() - timedelta(minutes=settings.MAIL_CAP_WINDOW_MINUTES)
    recent = (
        Notification.objects.filter(created_at__gte=since, to_email__in=emails)
        .exclude(status__in=[NotificationStatus.SUPPRESSED, NotificationStatus.HELD])
        .exclude(event=Event.DIGEST)
        .order_by()
    )
    ours = (
        Case(When(ticket_id__in=list(ticket_ids), then=F("ticket_id")), default=None)
        if ticket_ids
        else Value(None, output_field=BigIntegerField())
    )
    per_ticket, per_address = {}, {}
    groups = recent.annotate(ours=ours).values_list("to_email", "ours").annotate(n=Count("id"))
    for email, ticket_id, n in groups:
        per_address[email] = per_address.get(email, 0) + n
        if ticket_id is not None:
            per_ticket[(ticket_id, email)] = n
    return per_ticket, per_address


def is_essential(recipient: Recipient, event: str) -> bool:
    return recipient.essential or event in ESSENTIAL_EVENTS


def _suppression(r, *, event, ticket_id, suppressed, muted, per_ticket, per_address) -> str:
    if r.email in suppressed:
        return SuppressionReason.ADDRESS
    if is_essential(r, event):
        return ""
    if r.user is not None and r.user.pk in muted:
        return SuppressionReason.MUTED
    if r.daily:
        return SuppressionReason.DAILY
    if per_ticket.get((ticket_id, r.email), 0) >= settings.MAIL_CAP_PER_TICKET:
        return SuppressionReason.TICKET_CAP
    if per_address.get(r.email, 0) >= settings.MAIL_CAP_PER_ADDRESS:
        return SuppressionReason.ADDRESS_CAP
    return ""


CAP_REASONS = frozenset(
    {SuppressionReason.TICKET_CAP, SuppressionReason.ADDRESS_CAP, SuppressionReason.DAILY}
)


def _status_for(reason: str) -> str:
    """Over a cap: held for the digest; muted or suppressed: not sent; else pending."""
    if not reason:
        return NotificationStatus.PENDING
    if reason in CAP_REASONS:
        return NotificationStatus.HELD
    return NotificationStatus.SUPPRESSED


@dataclass(frozen=True)
class OutboxItem:
    """One event's mail: the rows ``outbox_write_many`` writes for its recipients."""

    event: str
    recipients: list
    context: dict
    ticket: object = None
    actor: object = None


def outbox_write(
    *,
    event: str,
    ticket=None,
    actor=None,
    recipients: list[Recipient],
    context: dict,
) -> list[Notification]:
    """Write one row per recipient in the caller's transaction; queue them after commit."""
    item = OutboxItem(
        event=event, recipients=recipients, context=context, ticket=ticket, actor=actor
    )
    return outbox_write_many([item])


def outbox_write_many(items: list[OutboxItem]) -> list[Notification]:
    """The rows of many events in a fixed number of queries (a sweep mails thousands of
    tickets): the checks read once, one insert, one publish after commit."""
    return outbox_plan(items).write()


@dataclass
class OutboxPlan:
    """Who gets which mail, and which is held or suppressed: decided by ``outbox_plan``
    (all the reads), written by ``write`` (one insert, one publish after commit). A
    filing plans before it draws its ticket's number, so that the reads are not made
    while the number's row is locked; the rows take the ticket's number and id only when
    written."""

    planned: list  # (item, recipient, suppression reason)

    def write(self) -> list[Notification]:
        rows, now = [], timezone.now()
        for item, r, reason in self.planned:
            rows.append(
                Notification(
                    event=item.event,
                    ticket=item.ticket,
                    recipient=r.user,
                    actor=item.actor,
                    to_email=r.email,
                    language=r.language,
                    audience=r.audience,
                    context=item.context,
                    status=_status_for(reason),
                    essential=is_essential(r, item.event),
                    suppressed_reason=reason,
                    message_id=new_message_id(item.ticket),
                    created_at=now,
                    retry_since=now,
                )
            )
        if not rows:
            return []
        Notification.objects.bulk_create(rows)
        pending = [row.pk for row in rows if row.status == NotificationStatus.PENDING]
        if pending:
            transaction.on_commit(partial(dispatch, pending), robust=True)
        return rows


def outbox_plan(items: list[OutboxItem]) -> OutboxPlan:
    """The reads of ``outbox_write_many``: recipients each side may have, suppressions,
    mutes and caps."""
    planned = []
    for item in items:
        everyone = _unique(item.recipients)
        allowed = [r for r in everyone if _may_receive(r, item.ticket)]
        if len(allowed) < len(everyone):
            logger.error("Dropped recipients of %s who may not see %s", item.event, item.ticket)
        planned += [(item, r) for r in allowed]
    if not planned:
        return OutboxPlan([])
    emails = sorted({r.email for _item, r in planned})
    # Essential mail is never muted and never capped: only the others need those reads
    # (a filed ticket's confirmation and alert skip both).
    optional = [(item, r) for item, r in planned if not is_essential(r, item.event)]
    checks = {
        "suppressed": set(
            SuppressedAddress.objects.active()
            .filter(email__in=emails)
            .values_list("email", flat=True)
        ),
        "muted": _muted({r.user for _item, r in optional if r.user}),
    }
    per_ticket, per_address = {}, {}
    if any(not r.daily for _item, r in optional):
        ticket_ids = {
            item.ticket.pk for item, _r in planned
            if item.ticket is not None and item.ticket.pk is not None
        }
        per_ticket, per_address = _recent_counts(ticket_ids, emails)
    decided = []
    for item, r in planned:
        # A ticket not saved yet (a filing's plan) has no mail in the window: its own key.
        ticket_id = None if item.ticket is None else (item.ticket.pk or id(item.ticket))
        reason = _suppression(
            r, event=item.event, ticket_id=ticket_id, per_ticket=per_ticket,
            per_address=per_address, **checks,
        )
        if not reason:  # what this batch sends counts towards the caps of the rest of it
            per_address[r.email] = per_address.get(r.email, 0) + 1
            per_ticket[(ticket_id, r.email)] = per_ticket.get((ticket_id, r.email), 0) + 1
        decided.append((item, r, reason))
    return OutboxPlan(decided)


def _muted(users: set) -> set:
    """The ids of those who muted non-essential mail; read only for people not read with
    ``with_immediate``."""
    preference = NotificationPreference._meta.get_field("user").remote_field
    read = {user for user in users if preference.is_cached(user)}
    muted = {
        user.pk for user in read
        if getattr(getattr(user, "mail_preference", None), "mute_non_essential", False)
    }
    unknown = {user.pk for user in users - read}
    if unknown:
        muted |= set(
            NotificationPreference.objects.filter(
                user_id__in=unknown, mute_non_essential=True
            ).values_list("user_id", flat=True)
        )
    return muted


def dispatch(notification_ids: list[int]) -> None:
    """After commit: hand the rows to the workers. A broker that is down costs nothing but
    a log line: the rows wait in the outbox and the relay sends them."""
    from notifications import tasks

    try:
        if len(notification_ids) == 1:
            tasks.enqueue_send(notification_ids[0])
        else:  # one publish per commit; a worker fans the batch out
            tasks.enqueue_batch(list(notification_ids))
    except Exception:
        logger.warning(
            "Could not queue notifications %s; the relay will send it",
            notification_ids,
            exc_info=True,
        )


# --- suppression and preferences ---------------------------------------------------


def suppression_add(
    *, email: str, reason: str, detail: str = "", esp_name: str = ""
) -> SuppressedAddress:
    """A hard bounce or a complaint: no more mail to the address until staff clear it."""
    address, _created = SuppressedAddress.objects.update_or_create(
        email=email.strip().lower(),
        defaults={
            "reason": reason,
            "detail": (detail or "")[:2000],
            "esp_name": esp_name,
            "created_at": timezone.now(),
            "cleared_at": None,
            "cleared_by": None,
        },
    )
    logger.info("Suppressed %s (%s)", address.email, reason)
    return address


def suppression_clear(*, address: SuppressedAddress, by=None) -> bool:
    """Staff lift a suppression (the mailbox works again); mail flows from now on."""
    return bool(
        SuppressedAddress.objects.filter(pk=address.pk, cleared_at__isnull=True).update(
            cleared_at=timezone.now(), cleared_by=by
        )
    )


def preference_set_language(*, user, language: str) -> None:
    """The language a person's mail is written in."""
    if language in {code for code, _name in settings.LANGUAGES} and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def preference_set_representative_immediate(*, user, immediate: bool) -> None:
    """A representative takes colleagues' ticket mail at once, or in the daily digest."""
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"representative_immediate": immediate}
    )


def with_immediate(users):
    """People (a queryset of users) read with their mail preferences, in the same query:
    ``asked_immediate(user)`` then tells whether they asked for colleagues' ticket mail at
    once, and the outbox need not read whether they muted non-essential mail."""
    return users.select_related("mail_preference")


def asked_immediate(user) -> bool:
    preference = getattr(user, "mail_preference", None)
    return bool(preference and preference.representative_immediate)


def preference_set_muted(*, user, muted: bool) -> NotificationPreference:
    """A person mutes (or unmutes) non-essential mail."""
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"mute_non_essential": muted}
    )
    return preference
