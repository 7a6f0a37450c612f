"""Who hears of what happens to a ticket: the ticket's mail, as outbox rows.

Each ``notify_*`` is called by the use case in ``tickets.services`` (or the periodic rules)
inside its transaction, so its rows commit or roll back with the change.

Who gets a mail (PRODUCT.md "E-mail, both ways", "People and roles"):

- The customer side is the ticket's requester and, with ``NOTIFY_REPRESENTATIVES``, the
  organisation's representatives: people of the ticket's own organisation, never another.
- The contractor side is the ticket's assignee. While nobody is assigned, what the customer
  side (or the system) does goes to triage: ``TRIAGE_EMAILS``, else the managers (or
  every active agent, with ``TRIAGE_ALL_AGENTS``).
  What a colleague does on an unassigned ticket reaches nobody: triage would drown.
- Nobody is mailed about their own action, except the answers to it: the confirmation of
  a filed ticket, a refused reopen.
- Internal notes go to the contractor side only; the renderer refuses them for anyone else.
- Essential mail is never muted and never capped: the confirmation of a filed ticket,
  the alerts to support of a new ticket and of a customer's reply, a rejection, a refused
  reopen, a priority change (the rules say the customer is e-mailed about it), an SLA
  breach, and an Urgent ticket's alert, which reaches the managers as well as triage.
"""

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from notifications.models import Audience, Event, Notification, NotificationStatus
from notifications.services import (
    OutboxItem,
    OutboxPlan,
    Recipient,
    asked_immediate,
    outbox_plan,
    outbox_write,
    outbox_write_many,
    person,
    with_immediate,
)
from tickets import webhook_events
from tickets.models import Priority, Status, Ticket

logger = logging.getLogger(__name__)

# A comment joins its author's still-unsent status mail to the same person (one mail for
# "waiting for your reply" and the question) when both come this close together.
MERGE_WINDOW = timedelta(seconds=60)


# --- who ---------------------------------------------------------------------------


def _customer_side(
    ticket: Ticket,
    *,
    requester_essential: bool = False,
    watchers: bool = True,
    representatives: list[User] | None = None,
) -> list[Recipient]:
    """The requester, the customers watching it, then (if configured) the organisation's
    representatives: of a colleague's ticket they hear in the daily digest, unless they
    asked for such mail at once. ``watchers=False`` for a ticket just filed (nobody
    watches it yet), which saves the query; ``representatives`` when the caller has read
    them (with ``with_immediate``)."""
    people = [ticket.requester]
    if watchers:
        people += ticket.watchers.filter(
            organisation_id=ticket.organisation_id, is_active=True
        ).order_by("pk")
    involved = {user.pk for user in people}
    if representatives is not None:
        representatives = [user for user in representatives if user.pk not in involved]
    elif not settings.NOTIFY_REPRESENTATIVES:
        representatives = []
    else:
        representatives = list(
            with_immediate(
                User.objects.filter(
                    organisation_id=ticket.organisation_id,
                    role=Role.CUSTOMER_REPRESENTATIVE,
                    is_active=True,
                )
            )
            .exclude(pk__in=involved)
            .order_by("pk")
        )
    recipients = [
        person(
            user,
            Audience.CUSTOMER,
            essential=requester_essential and user.pk == ticket.requester_id,
        )
        for user in people
        if user.is_active
    ]
    return recipients + [
        replace(person(user, Audience.CUSTOMER), daily=not asked_immediate(user))
        for user in representatives
    ]


def _contractor_side(
    ticket: Ticket,
    *,
    actor: User | None,
    triage: list[Recipient] | None = None,
    watchers: list[User] | None = None,
) -> list[Recipient]:
    """The assignee (triage when nobody is assigned and the actor is not a colleague),
    and the contractor staff watching the ticket. ``triage`` and ``watchers`` may be
    given by a caller that mails many tickets, so they are read once for all."""
    watching = [
        person(user, Audience.CONTRACTOR)
        for user in sorted(
            ticket.watchers.all() if watchers is None else watchers, key=lambda user: user.pk
        )
        if user.is_active and user.role in (Role.AGENT, Role.MANAGER)
    ]
    assignee = ticket.assignee
    if assignee is not None and assignee.is_contractor:
        return [person(assignee, Audience.CONTRACTOR), *watching]
    if actor is not None and actor.is_contractor:
        return watching
    return [*(_triage() if triage is None else triage), *watching]


def _triage(staff: tuple[list, list] | None = None) -> list[Recipient]:
    """TRIAGE_EMAILS (shared mailboxes or staff addresses); else the managers, who hand
    out the work (or every active agent with TRIAGE_ALL_AGENTS). Nothing waits unseen
    for it: unassigned tickets stay in the staff queue, Urgent ones in its banner.
    ``staff`` is ``_staff()`` when the caller has read it already."""
    addresses = _triage_addresses()
    if addresses:
        by_email = {
            user.email: user
            for user in User.objects.filter(
                email__in=addresses, is_active=True, role__in=[Role.AGENT, Role.MANAGER]
            )
        }
        return [
            person(by_email[a], Audience.CONTRACTOR)
            if a in by_email
            else Recipient(a, settings.MAIL_DEFAULT_LANGUAGE, Audience.CONTRACTOR)
            for a in addresses
        ]
    all_agents = getattr(settings, "TRIAGE_ALL_AGENTS", False)
    if staff is None and not all_agents:  # the managers alone, unless there are none
        managers = _people(User.objects.filter(role=Role.MANAGER, is_active=True))
        if managers:
            return managers
    agents, managers = staff or _staff()
    if managers and not all_agents:
        return managers
    return agents or managers


def _triage_addresses() -> list[str]:
    return [a.strip().lower() for a in settings.TRIAGE_EMAILS if a.strip()]


def _staff() -> tuple[list[Recipient], list[Recipient]]:
    """The active agents and the active managers, in one query."""
    return _agents_and_managers(
        User.objects.filter(role__in=[Role.AGENT, Role.MANAGER], is_active=True).order_by("pk")
    )


def _agents_and_managers(users) -> tuple[list[Recipient], list[Recipient]]:
    return tuple(
        [person(user, Audience.CONTRACTOR) for user in users if user.role == role]
        for role in (Role.AGENT, Role.MANAGER)
    )


def _people(users) -> list[Recipient]:
    return [person(user, Audience.CONTRACTOR) for user in users.order_by("pk")]


def _without(recipients: list[Recipient], actor: User | None) -> list[Recipient]:
    """Nobody is told about their own action."""
    if actor is None:
        return recipients
    return [r for r in recipients if r.email != actor.email.lower()]


def _both_sides(ticket: Ticket, actor: User | None) -> list[Recipient]:
    return _without(_customer_side(ticket) + _contractor_side(ticket, actor=actor), actor)


# --- the events --------------------------------------------------------------------


def _filing_people(ticket: Ticket, *, urgent: bool) -> tuple[list | None, tuple | None]:
    """The organisation's representatives and the staff a filing alerts (the managers;
    every agent too for an Urgent ticket or TRIAGE_ALL_AGENTS), in one query. (None,
    None) with TRIAGE_EMAILS, where each side reads its own; staff None when there is no
    manager to alert, so that triage falls back to the agents."""
    if _triage_addresses():
        return None, None
    with_agents = urgent or getattr(settings, "TRIAGE_ALL_AGENTS", False)
    wanted = Q(role=Role.MANAGER)
    if with_agents:
        wanted |= Q(role=Role.AGENT)
    if settings.NOTIFY_REPRESENTATIVES:
        wanted |= Q(role=Role.CUSTOMER_REPRESENTATIVE, organisation_id=ticket.organisation_id)
    people = list(with_immediate(User.objects.filter(wanted, is_active=True)).order_by("pk"))
    agents, managers = _agents_and_managers(people)
    staff = (agents, managers) if managers or with_agents else None
    return [user for user in people if user.role == Role.CUSTOMER_REPRESENTATIVE], staff


def notify_ticket_filed(*, ticket: Ticket, actor: User | None) -> None:
    """Confirm a filed ticket to its requester (and tell the representatives); alert the
    contractor's triage at once, and for an Urgent incident the managers too, marked.
    Both mails are written together: the checks read once, one insert."""
    plan_ticket_filed(ticket=ticket, actor=actor).write()


@dataclass
class FilingMail:
    """The mail and webhook deliveries of a filing, planned (every read done) before the
    ticket is saved; ``write`` writes them once it is."""

    ticket: Ticket
    actor: User | None
    mail: OutboxPlan
    subscriptions: list

    def write(self) -> None:
        self.mail.write()
        webhook_events.webhook_ticket_created(
            ticket=self.ticket, actor=self.actor, subscriptions=self.subscriptions
        )


def plan_ticket_filed(*, ticket: Ticket, actor: User | None) -> FilingMail:
    """``notify_ticket_filed``'s reads, for a ticket that may not be saved yet (its
    organisation, requester and priority set): the filing takes its number after them."""
    urgent = ticket.priority == Priority.URGENT
    representatives, staff = _filing_people(ticket, urgent=urgent)
    # The requester's confirmation answers their own action; others hear of someone else's.
    customer = [
        r
        for r in _customer_side(
            ticket, requester_essential=True, watchers=False, representatives=representatives
        )
        if r.essential or _without([r], actor)
    ]
    # Support hears of every new ticket (never capped); of an Urgent one every agent and
    # the managers too.
    if urgent and staff is None:
        staff = _staff()
    alerted = _triage(staff) + ([*staff[0], *staff[1]] if urgent else [])
    triage = [replace(r, essential=True) for r in _without(alerted, actor)]
    mail = outbox_plan(
        [
            OutboxItem(
                event=event, ticket=ticket, actor=actor, recipients=recipients,
                context={"urgent": urgent},
            )
            for event, recipients in ((Event.TICKET_FILED, customer), (Event.NEW_TICKET, triage))
        ]
    )
    return FilingMail(ticket, actor, mail, webhook_events.webhook_ticket_created_takers(ticket))


def notify_comment(*, comment, actor: User | None) -> None:
    """A public comment goes to both sides; an internal note to the assignee only."""
    ticket = comment.ticket
    if comment.is_internal:
        assignee = ticket.assignee
        recipients = []
        if assignee is not None and assignee.is_contractor:
            recipients = _without([person(assignee, Audience.CONTRACTOR)], actor)
        outbox_write(
            event=Event.INTERNAL_NOTE,
            ticket=ticket,
            actor=actor,
            recipients=recipients,
            context={"comment_id": comment.pk},
        )
        return
    recipients = _merge_into_status_mails(comment, actor, _both_sides(ticket, actor))
    if comment.author.is_customer:
        # A customer's reply always reaches the contractor side: a flood on the customer
        # side can never silence support.
        recipients = [
            replace(r, essential=True) if r.audience == Audience.CONTRACTOR else r
            for r in recipients
        ]
    outbox_write(
        event=Event.COMMENT,
        ticket=ticket,
        actor=actor,
        recipients=recipients,
        context={"comment_id": comment.pk, "status": ticket.status},
    )
    webhook_events.webhook_public_comment(comment=comment, actor=actor)


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
    *, ticket: Ticket, actor: User | None, old: str, new: str, reason: str, rating=None
) -> None:
    """A status change goes to both sides; a rejection, with its reason, is essential.
    With ``rating`` (the ask of a resolution), the requester's copy carries its links."""
    if new == Status.REJECTED:
        event, context = Event.REJECTED, {"reason": ticket.reject_reason or reason}
    else:
        event, context = Event.STATUS_CHANGED, {"old": old, "new": new, "reason": reason}
        if rating is not None:
            context["rating_id"] = rating.pk
    outbox_write(
        event=event,
        ticket=ticket,
        actor=actor,
        recipients=_both_sides(ticket, actor),
        context=context,
    )
    webhook_events.webhook_status_changed(ticket=ticket, actor=actor, old=old, new=new)


def notify_priority_changed(
    *, ticket: Ticket, actor: User | None, old: int, new: int, reason: str
) -> None:
    """The contractor's priority change, with the reason, is e-mailed to the customer."""
    outbox_write(
        event=Event.PRIORITY_CHANGED,
        ticket=ticket,
        actor=actor,
        recipients=_both_sides(ticket, actor),
        context={"old": int(old), "new": int(new), "reason": reason},
    )
    webhook_events.webhook_priority_changed(
        ticket=ticket, actor=actor, old=int(old), new=int(new), reason=reason
    )


def notify_assigned(*, ticket: Ticket, actor: User | None, new: User | None) -> None:
    """Tell an agent a colleague gave them a ticket."""
    if new is None or not new.is_contractor:
        return
    outbox_write(
        event=Event.ASSIGNED,
        ticket=ticket,
        actor=actor,
        recipients=_without([person(new, Audience.CONTRACTOR)], actor),
        context={},
    )


def notify_sla(*, kind: str, ticket_ids) -> None:
    """At risk: the assignee (triage if none). Breached: them and the managers."""
    breached = kind.endswith("_breached")
    clock = "reaction" if kind.startswith("reaction") else "resolution"
    ticket_ids = list(ticket_ids)
    # What the mail and the webhook summary use, and no more: a sweep may mark thousands.
    tickets = list(
        Ticket.objects.filter(pk__in=ticket_ids)
        .select_related("assignee", "organisation")
        .only(
            "number", "subject", "status", "type", "priority", "updated_at",
            "reaction_due", "resolution_due", "organisation__name", "assignee",
            *(f"assignee__{name}" for name in _RECIPIENT_FIELDS),
        )
    )
    # Read once for the whole batch, not once per ticket.
    staff = _staff()
    triage, managers = _triage(staff), (staff[1] if breached else [])
    watching = _staff_watching(ticket_ids)
    items = []
    for ticket in tickets:
        due = ticket.reaction_due if clock == "reaction" else ticket.resolution_due
        items.append(
            OutboxItem(
                event=Event.SLA_BREACHED if breached else Event.SLA_AT_RISK,
                ticket=ticket,
                recipients=_contractor_side(
                    ticket, actor=None, triage=triage, watchers=watching.get(ticket.pk, [])
                )
                + managers,
                context={"clock": clock, "due": due.isoformat() if due else None},
            )
        )
    outbox_write_many(items)
    webhook_events.webhook_sla(tickets=tickets, breached=breached, clock=clock)


# What ``person`` and the outbox read of a recipient.
_RECIPIENT_FIELDS = ("email", "language", "role", "is_active", "is_superuser", "organisation",
                     "first_name", "last_name", "full_name")


def _staff_watching(ticket_ids: list[int]) -> dict[int, list[User]]:
    """The active contractor staff watching each of these tickets, in one query."""
    through = Ticket.watchers.through
    rows = through.objects.filter(
        ticket_id__in=ticket_ids, user__is_active=True, user__role__in=[Role.AGENT, Role.MANAGER]
    ).select_related("user")
    watching: dict[int, list[User]] = {}
    for row in rows:
        watching.setdefault(row.ticket_id, []).append(row.user)
    return watching


def notify_auto_close_warning(*, ticket: Ticket, close_at) -> None:
    """A resolved ticket left unanswered is about to close automatically (hook for the
    auto-close job): the customer side is told when, and that a reply keeps it open."""
    outbox_write(
        event=Event.AUTO_CLOSE_WARNING,
        ticket=ticket,
        actor=None,
        recipients=_customer_side(ticket),
        context={"close_at": close_at.isoformat()},
    )


# Not one of ``Event``'s ticket mails: its own templates, like the features' events.
LOW_RATING_EVENT = "satisfaction_low"


def notify_low_rating(*, rating, actor: User | None) -> None:
    """A low satisfaction rating alerts the agent who resolved the ticket (else its
    assignee) and the managers, at once, with the comment."""
    ticket = rating.ticket
    agent = rating.agent or ticket.assignee
    present = agent is not None and agent.is_active and agent.is_contractor
    people = [person(agent, Audience.CONTRACTOR)] if present else []
    managers = [m for m in _staff()[1] if m.email not in {p.email for p in people}]
    recipients = [replace(r, essential=True) for r in people + managers]
    outbox_write(
        event=LOW_RATING_EVENT,
        ticket=ticket,
        actor=actor,
        recipients=_without(recipients, actor),
        context={"score": rating.score, "comment": rating.comment},
    )


def notify_reopen_refused(*, ticket: Ticket, user: User) -> Notification | None:
    """A customer tried to reopen (e.g. by e-mail) a ticket closed past the reopen window:
    say why, and offer a new ticket that follows it."""
    if not (user.is_customer and user.organisation_id == ticket.organisation_id):
        logger.warning(
            "Reopen refusal for %s not sent to %s: not of its organisation", ticket.number, user.pk
        )
        return None
    rows = outbox_write(
        event=Event.REOPEN_REFUSED,
        ticket=ticket,
        actor=user,
        recipients=[person(user, Audience.CUSTOMER, essential=True)],
        context={"window_days": settings.REOPEN_WINDOW_DAYS},
    )
    return rows[0] if rows else None


def notify_merged(
    *, duplicate: Ticket, original: Ticket, actor: User | None, old: str, comments: int, files: int
) -> None:
    """A duplicate was merged into its original: one mail, on the original, to both
    tickets' people (the duplicate's requester and watchers watch the original by now);
    the duplicate's requester always hears of it (their ticket closed)."""
    recipients = _both_sides(original, actor)
    known = {r.email for r in recipients}
    recipients += [
        r for r in _without(_contractor_side(duplicate, actor=actor), actor) if r.email not in known
    ]
    requester = duplicate.requester.email.lower()
    recipients = [replace(r, essential=True) if r.email == requester else r for r in recipients]
    outbox_write(
        event=Event.TICKET_MERGED,
        ticket=original,
        actor=actor,
        recipients=recipients,
        context={
            "duplicate": duplicate.number,
            "duplicate_subject": duplicate.subject,
            "comments": comments,
            "files": files,
        },
    )
    webhook_events.webhook_status_changed(
        ticket=duplicate, actor=actor, old=old, new=duplicate.status
    )
