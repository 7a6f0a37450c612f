"""Outbound mail: who is told what, the outbox, and delivery.

Who gets a mail (PRODUCT.md "E-mail, both ways", "People and roles"):

- The customer side is the ticket's requester and, with ``NOTIFY_REPRESENTATIVES``, the
  organisation's representatives: people of the ticket's own organisation, never another.
- The contractor side is the ticket's assignee. While nobody is assigned, what the customer
  side (or the system) does goes to triage: ``TRIAGE_EMAILS``, else the active agents.
  What a colleague does on an unassigned ticket reaches nobody: triage would drown.
- Nobody is mailed about their own action, except the answers to it: the confirmation of
  a filed ticket, a refused reopen, a refused e-mail.
- Internal notes go to the contractor side only; the renderer refuses them for anyone else.
- A person who muted non-essential mail still gets the essential: the confirmation of a
  filed ticket, a rejection, a refused reopen or e-mail, a priority change (the rules say
  the customer is e-mailed about it), an SLA breach, and the alert of an Urgent ticket.
- Caps against storms: per window of ``MAIL_CAP_WINDOW_MINUTES``, at most
  ``MAIL_CAP_PER_TICKET`` mails about one ticket to one address and ``MAIL_CAP_PER_ADDRESS``
  mails to one address. A mail over a cap, to a muted person or to a suppressed address is
  still written, as ``suppressed`` with the reason, so staff can see why nothing came.

Delivery (the claim, retries, the relay): ``notifications.delivery``.
"""

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Role, User
from notifications.models import (
    Audience,
    Event,
    Notification,
    NotificationPreference,
    NotificationStatus,
    SuppressedAddress,
    SuppressionReason,
)
from tickets.models import Priority, Status, Ticket

logger = logging.getLogger(__name__)

ESSENTIAL_EVENTS = frozenset(
    {
        Event.REJECTED,
        Event.REOPEN_REFUSED,
        Event.INBOUND_REJECTED,
        Event.PRIORITY_CHANGED,
        Event.SLA_BREACHED,
    }
)
# A comment joins its author's still-unsent status mail to the same person (one mail for
# "waiting for your reply" and the question) when both come this close together.
MERGE_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    audience: str
    user: User | None = None
    essential: bool = False


def _language(code: str | None) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else settings.MAIL_DEFAULT_LANGUAGE


def _person(user: User, audience: str, *, essential: bool = False) -> Recipient:
    return Recipient(
        email=user.email.lower(),
        language=_language(user.language),
        audience=audience,
        user=user,
        essential=essential,
    )


# --- who ---------------------------------------------------------------------------


def _customer_side(ticket: Ticket, *, requester_essential: bool = False) -> list[Recipient]:
    """The requester, the customers watching it, then (if configured) the organisation's
    representatives."""
    people = [ticket.requester]
    people += ticket.watchers.filter(
        organisation_id=ticket.organisation_id, is_active=True
    ).order_by("pk")
    if settings.NOTIFY_REPRESENTATIVES:
        people += User.objects.filter(
            organisation_id=ticket.organisation_id,
            role=Role.CUSTOMER_REPRESENTATIVE,
            is_active=True,
        ).order_by("pk")
    return [
        _person(
            user,
            Audience.CUSTOMER,
            essential=requester_essential and user.pk == ticket.requester_id,
        )
        for user in people
        if user.is_active
    ]


def _contractor_side(ticket: Ticket, *, actor: User | None) -> list[Recipient]:
    """The assignee (triage when nobody is assigned and the actor is not a colleague),
    and the contractor staff watching the ticket."""
    watching = [
        _person(user, Audience.CONTRACTOR)
        for user in ticket.watchers.filter(
            role__in=[Role.AGENT, Role.MANAGER], is_active=True
        ).order_by("pk")
    ]
    assignee = ticket.assignee
    if assignee is not None and assignee.is_contractor:
        return [_person(assignee, Audience.CONTRACTOR), *watching]
    if actor is not None and actor.is_contractor:
        return watching
    return [*_triage(), *watching]


def _triage() -> list[Recipient]:
    """TRIAGE_EMAILS (shared mailboxes or staff addresses), else the active agents."""
    addresses = [a.strip().lower() for a in settings.TRIAGE_EMAILS if a.strip()]
    if addresses:
        staff = {
            user.email: user
            for user in User.objects.filter(
                email__in=addresses, is_active=True, role__in=[Role.AGENT, Role.MANAGER]
            )
        }
        return [
            _person(staff[a], Audience.CONTRACTOR)
            if a in staff
            else Recipient(a, settings.MAIL_DEFAULT_LANGUAGE, Audience.CONTRACTOR)
            for a in addresses
        ]
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("pk"))
    return [_person(u, Audience.CONTRACTOR) for u in agents] or _managers()


def _managers() -> list[Recipient]:
    managers = User.objects.filter(role=Role.MANAGER, is_active=True).order_by("pk")
    return [_person(u, Audience.CONTRACTOR) for u in managers]


def _without(recipients: list[Recipient], actor: User | None) -> list[Recipient]:
    """Nobody is told about their own action."""
    if actor is None:
        return recipients
    return [r for r in recipients if r.email != actor.email.lower()]


def _both_sides(ticket: Ticket, actor: User | None) -> list[Recipient]:
    return _without(_customer_side(ticket) + _contractor_side(ticket, actor=actor), actor)


# --- the events --------------------------------------------------------------------


def notify_ticket_filed(*, ticket: Ticket, actor: User | None) -> None:
    """Confirm a filed ticket to its requester (and tell the representatives); alert the
    contractor's triage at once, marked when the incident is Urgent."""
    urgent = ticket.priority == Priority.URGENT
    # The requester's confirmation answers their own action; others hear of someone else's.
    customer = [
        r
        for r in _customer_side(ticket, requester_essential=True)
        if r.essential or _without([r], actor)
    ]
    _outbox(
        event=Event.TICKET_FILED,
        ticket=ticket,
        actor=actor,
        recipients=customer,
        context={"urgent": urgent},
    )
    triage = [replace(r, essential=urgent) for r in _without(_triage(), actor)]
    _outbox(
        event=Event.NEW_TICKET,
        ticket=ticket,
        actor=actor,
        recipients=triage,
        context={"urgent": urgent},
    )


def notify_comment(*, comment, actor: User | None) -> None:
    """A public comment goes to both sides; an internal note to the assignee only."""
    ticket = comment.ticket
    if comment.is_internal:
        assignee = ticket.assignee
        recipients = []
        if assignee is not None and assignee.is_contractor:
            recipients = _without([_person(assignee, Audience.CONTRACTOR)], actor)
        _outbox(
            event=Event.INTERNAL_NOTE,
            ticket=ticket,
            actor=actor,
            recipients=recipients,
            context={"comment_id": comment.pk},
        )
        return
    recipients = _merge_into_status_mails(comment, actor, _both_sides(ticket, actor))
    _outbox(
        event=Event.COMMENT,
        ticket=ticket,
        actor=actor,
        recipients=recipients,
        context={"comment_id": comment.pk, "status": ticket.status},
    )


def _merge_into_status_mails(comment, actor, recipients: list[Recipient]) -> list[Recipient]:
    """Attach the comment to the author's unsent status mail to the same people.

    The UPDATE only touches a row still pending, so a mail a worker has claimed keeps
    what it had and the comment goes out on its own.
    """
    if actor is None or not recipients:
        return recipients
    candidates = Notification.objects.filter(
        ticket_id=comment.ticket_id,
        event=Event.STATUS_CHANGED,
        status=NotificationStatus.PENDING,
        actor=actor,
        to_email__in=[r.email for r in recipients],
        created_at__gte=timezone.now() - MERGE_WINDOW,
        context__comment_id__isnull=True,
    )
    merged = set()
    for row in candidates:
        context = {**row.context, "comment_id": comment.pk}
        if Notification.objects.filter(pk=row.pk, status=NotificationStatus.PENDING).update(
            context=context
        ):
            merged.add(row.to_email)
    return [r for r in recipients if r.email not in merged]


def notify_status_changed(
    *, ticket: Ticket, actor: User | None, old: str, new: str, reason: str
) -> None:
    """A status change goes to both sides; a rejection, with its reason, is essential."""
    if new == Status.REJECTED:
        event, context = Event.REJECTED, {"reason": ticket.reject_reason or reason}
    else:
        event, context = Event.STATUS_CHANGED, {"old": old, "new": new, "reason": reason}
    _outbox(
        event=event,
        ticket=ticket,
        actor=actor,
        recipients=_both_sides(ticket, actor),
        context=context,
    )


def notify_priority_changed(
    *, ticket: Ticket, actor: User | None, old: int, new: int, reason: str
) -> None:
    """The contractor's priority change, with the reason, is e-mailed to the customer."""
    _outbox(
        event=Event.PRIORITY_CHANGED,
        ticket=ticket,
        actor=actor,
        recipients=_both_sides(ticket, actor),
        context={"old": int(old), "new": int(new), "reason": reason},
    )


def notify_assigned(*, ticket: Ticket, actor: User | None, new: User | None) -> None:
    """Tell an agent a colleague gave them a ticket."""
    if new is None or not new.is_contractor:
        return
    _outbox(
        event=Event.ASSIGNED,
        ticket=ticket,
        actor=actor,
        recipients=_without([_person(new, Audience.CONTRACTOR)], actor),
        context={},
    )


def notify_sla(*, kind: str, ticket_ids) -> None:
    """At risk: the assignee (triage if none). Breached: them and the managers."""
    breached = kind.endswith("_breached")
    clock = "reaction" if kind.startswith("reaction") else "resolution"
    tickets = Ticket.objects.filter(pk__in=list(ticket_ids)).select_related(
        "assignee", "organisation", "requester"
    )
    for ticket in tickets:
        recipients = _contractor_side(ticket, actor=None)
        if breached:
            recipients += _managers()
        due = ticket.reaction_due if clock == "reaction" else ticket.resolution_due
        _outbox(
            event=Event.SLA_BREACHED if breached else Event.SLA_AT_RISK,
            ticket=ticket,
            actor=None,
            recipients=recipients,
            context={"clock": clock, "due": due.isoformat() if due else None},
        )


def notify_auto_close_warning(*, ticket: Ticket, close_at) -> None:
    """A resolved ticket left unanswered is about to close automatically (hook for the
    auto-close job): the customer side is told when, and that a reply keeps it open."""
    _outbox(
        event=Event.AUTO_CLOSE_WARNING,
        ticket=ticket,
        actor=None,
        recipients=_customer_side(ticket),
        context={"close_at": close_at.isoformat()},
    )


def notify_reopen_refused(*, ticket: Ticket, user: User) -> Notification | None:
    """A customer tried to reopen (e.g. by e-mail) a ticket closed past the reopen window:
    say why, and offer a new ticket that follows it."""
    if not (user.is_customer and user.organisation_id == ticket.organisation_id):
        logger.warning(
            "Reopen refusal for %s not sent to %s: not of its organisation", ticket.number, user.pk
        )
        return None
    rows = _outbox(
        event=Event.REOPEN_REFUSED,
        ticket=ticket,
        actor=user,
        recipients=[_person(user, Audience.CUSTOMER, essential=True)],
        context={"window_days": settings.REOPEN_WINDOW_DAYS},
    )
    return rows[0] if rows else None


def notify_inbound_rejected(
    *, to_email: str, reason_text: str, language: str = "en"
) -> Notification | None:
    """Tell the sender of an e-mail we could not take why (no ticket data in it)."""
    email = to_email.strip().lower()
    user = User.objects.filter(email=email, is_active=True).first()
    recipient = Recipient(
        email=email,
        language=_language(user.language if user else language),
        audience=Audience.SENDER,
        user=user,
        essential=True,
    )
    rows = _outbox(
        event=Event.INBOUND_REJECTED,
        ticket=None,
        actor=None,
        recipients=[recipient],
        context={"reason_text": reason_text},
    )
    return rows[0] if rows else None


# --- the outbox --------------------------------------------------------------------


def new_message_id(ticket: Ticket | None = None) -> str:
    tag = ticket.number if ticket is not None else "mail"
    return f"<{uuid.uuid4().hex[:24]}.{tag}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"


def thread_root_id(ticket: Ticket) -> str:
    """The per-ticket id every mail of the ticket refers to, so clients group them."""
    return f"<ticket-{ticket.number}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"


def _may_receive(recipient: Recipient, ticket: Ticket | None) -> bool:
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
            seen[r.email] = replace(seen[r.email], essential=seen[r.email].essential or r.essential)
        else:
            seen[r.email] = r
    return list(seen.values())


def _recent_counts(ticket: Ticket | None, emails: list[str]) -> tuple[dict, dict]:
    since = timezone.now() - timedelta(minutes=settings.MAIL_CAP_WINDOW_MINUTES)
    recent = (
        Notification.objects.filter(created_at__gte=since, to_email__in=emails)
        .exclude(status=NotificationStatus.SUPPRESSED)
        .order_by()
    )
    per_address = dict(recent.values_list("to_email").annotate(n=Count("id")))
    per_ticket = {}
    if ticket is not None:
        per_ticket = dict(
            recent.filter(ticket=ticket).values_list("to_email").annotate(n=Count("id"))
        )
    return per_ticket, per_address


def _suppression(r, *, event, suppressed, muted, per_ticket, per_address) -> str:
    if r.email in suppressed:
        return SuppressionReason.ADDRESS
    essential = r.essential or event in ESSENTIAL_EVENTS
    if not essential and r.user is not None and r.user.pk in muted:
        return SuppressionReason.MUTED
    if per_ticket.get(r.email, 0) >= settings.MAIL_CAP_PER_TICKET:
        return SuppressionReason.TICKET_CAP
    if per_address.get(r.email, 0) >= settings.MAIL_CAP_PER_ADDRESS:
        return SuppressionReason.ADDRESS_CAP
    return ""


def _outbox(
    *,
    event: str,
    ticket: Ticket | None,
    actor: User | None,
    recipients: list[Recipient],
    context: dict,
) -> list[Notification]:
    """Write one row per recipient in the caller's transaction; queue them after commit."""
    everyone = _unique(recipients)
    allowed = [r for r in everyone if _may_receive(r, ticket)]
    if len(allowed) < len(everyone):
        logger.error("Dropped recipients of %s who may not see %s", event, ticket)
    if not allowed:
        return []
    emails = [r.email for r in allowed]
    checks = {
        "suppressed": set(
            SuppressedAddress.objects.active()
            .filter(email__in=emails)
            .values_list("email", flat=True)
        ),
        "muted": set(
            NotificationPreference.objects.filter(
                user_id__in=[r.user.pk for r in allowed if r.user], mute_non_essential=True
            ).values_list("user_id", flat=True)
        ),
    }
    checks["per_ticket"], checks["per_address"] = _recent_counts(ticket, emails)
    rows = []
    for r in allowed:
        reason = _suppression(r, event=event, **checks)
        rows.append(
            Notification(
                event=event,
                ticket=ticket,
                recipient=r.user,
                actor=actor,
                to_email=r.email,
                language=r.language,
                audience=r.audience,
                context=context,
                status=NotificationStatus.SUPPRESSED if reason else NotificationStatus.PENDING,
                suppressed_reason=reason,
                message_id=new_message_id(ticket),
            )
        )
    Notification.objects.bulk_create(rows)
    pending = [row.pk for row in rows if row.status == NotificationStatus.PENDING]
    if pending:
        transaction.on_commit(partial(dispatch, pending), robust=True)
    return rows


def dispatch(notification_ids: list[int]) -> None:
    """After commit: hand the rows to the workers. A broker that is down costs nothing but
    a log line: the rows wait in the outbox and the relay sends them."""
    from notifications import tasks

    for pk in notification_ids:
        try:
            tasks.enqueue_send(pk)
        except Exception:
            logger.warning(
                "Could not queue notification %s; the relay will send it", pk, exc_info=True
            )
            return  # the broker is down: do not wait for it once per row


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


def suppression_clear(*, address: SuppressedAddress, by: User | None) -> bool:
    """Staff lift a suppression (the mailbox works again); mail flows from now on."""
    return bool(
        SuppressedAddress.objects.filter(pk=address.pk, cleared_at__isnull=True).update(
            cleared_at=timezone.now(), cleared_by=by
        )
    )


def preference_set_language(*, user: User, language: str) -> None:
    """The language a person's mail is written in."""
    if language in {code for code, _name in settings.LANGUAGES} and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


def preference_set_muted(*, user: User, muted: bool) -> NotificationPreference:
    """A person mutes (or unmutes) non-essential mail."""
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"mute_non_essential": muted}
    )
    return preference
