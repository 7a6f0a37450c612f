"""Reads that more than one view needs; every one of them is scoped to the user."""

import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from moderation.selectors import has_open_flag
from sla.services import current_calendar
from tickets.models import (
    CUSTOMER_TURN_STATUSES,
    LIVE_CLOCK,
    LIVE_DEADLINE_FIELDS,
    LIVE_SLA_STATES,
    OPEN_STATUSES,
    Attachment,
    Comment,
    LiveClock,
    Priority,
    SavedView,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
)


def sees_every_ticket(user: User) -> bool:
    """Contractor staff (and superusers) see every ticket (``tickets_visible_to``)."""
    return user.is_authenticated and user.is_active and (user.is_contractor or user.is_superuser)


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Contractor staff see every ticket; a customer sees their organisation's only."""
    tickets = Ticket.objects.select_related("organisation", "requester", "assignee")
    if not user.is_authenticated or not user.is_active:
        return tickets.none()
    if sees_every_ticket(user):
        return tickets
    if user.is_customer:
        return tickets.filter(organisation_id=user.organisation_id)
    return tickets.none()


def _visible(user: User, prefix: str) -> Q:
    """``tickets_visible_to`` as a condition on a related ticket (``prefix``), which
    compiles to a plain column test instead of a subquery."""
    if sees_every_ticket(user):
        return Q()
    if user.is_authenticated and user.is_customer:
        return Q(**{f"{prefix}__organisation_id": user.organisation_id})
    return Q(pk__in=[])


def comments_visible_to(user: User, ticket: Ticket) -> QuerySet[Comment]:
    # The ticket a comment was merged from is rare: prefetched (no query when none is),
    # not joined (a whole ticket's columns in every page's comment query).
    comments = ticket.comments.select_related("author").prefetch_related(
        "merged_from",
        Prefetch("attachments", queryset=Attachment.objects.select_related("merged_from")),
    )
    if not (user.is_contractor or user.is_superuser):
        comments = comments.filter(is_internal=False)
    return comments


def attachments_visible_to(user: User) -> QuerySet[Attachment]:
    """Files of visible tickets, minus those on internal notes for customers."""
    if sees_every_ticket(user):  # every ticket's files: no list of visible tickets to ask
        return Attachment.objects.filter(ticket__isnull=False)
    return _without_internal(user, Attachment.objects.filter(ticket__in=tickets_visible_to(user)))


def ticket_attachments_visible_to(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    """``attachments_visible_to`` of one ticket."""
    return _without_internal(
        user, Attachment.objects.filter(Q(ticket=ticket) & _visible(user, "ticket"))
    )


def _without_internal(user: User, attachments: QuerySet[Attachment]) -> QuerySet[Attachment]:
    """Customers do not see the files of internal notes."""
    if user.is_contractor or user.is_superuser:
        return attachments
    return attachments.filter(Q(comment__isnull=True) | Q(comment__is_internal=False))


def page_flags(user: User) -> dict:
    """Annotations that let a ticket's page skip the reads of what it has none of (most
    tickets have no links) and read its watchers with the ticket: ``watcher_count``,
    ``watching``, ``has_links_out``, ``has_links_in``, ``has_files``."""
    watchers = Ticket.watchers.through.objects.filter(ticket_id=OuterRef("pk"))
    count = watchers.order_by().values("ticket_id").annotate(n=Count("pk")).values("n")
    return {
        "watcher_count": Coalesce(Subquery(count), 0),
        "watching": Exists(watchers.filter(user_id=user.pk)),
        "has_links_out": Exists(TicketLink.objects.filter(source_id=OuterRef("pk"))),
        "has_links_in": Exists(TicketLink.objects.filter(target_id=OuterRef("pk"))),
        "has_files": Exists(Attachment.objects.filter(ticket_id=OuterRef("pk"))),
    }


LINKED_TICKET_FIELDS = tuple(
    f"{side}__{name}" for side in ("source", "target") for name in ("number", "subject", "status")
)


def links_of(user: User, ticket: Ticket) -> list[dict]:
    """Both directions of a ticket's links, as each reads from this ticket's side (one
    query: this ticket's own links first, then those pointing at it)."""
    from tickets.models import INVERSE_LINK_LABELS

    links = (
        TicketLink.objects.filter(
            (Q(source=ticket) & _visible(user, "target"))
            | (Q(target=ticket) & _visible(user, "source"))
        )
        .select_related("source", "target")
        # What every reader shows of the other ticket: its number, subject and status.
        .only("kind", "source", "target", *LINKED_TICKET_FIELDS)
        .order_by("pk")
    )
    outgoing, incoming = [], []
    for link in links:
        if link.source_id == ticket.pk:
            outgoing.append({"link": link, "label": link.get_kind_display(), "other": link.target})
        else:
            incoming.append(
                {"link": link, "label": INVERSE_LINK_LABELS[link.kind], "other": link.source}
            )
    return outgoing + incoming


def saved_views_of(user: User) -> QuerySet[SavedView]:
    """A staff member's own views of the ticket list; nobody sees another's."""
    return SavedView.objects.filter(owner=user).only("name", "query")


def history_of(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor")


def open_tickets_for_dashboard(
    user: User, *, limit: int = 50
) -> tuple[list[Ticket], list[Ticket]]:
    """The open tickets waiting for the customer's move, and the other open ones: up to
    ``limit`` of each (a full first list never empties the second), newest change first.
    Two queries, each a walk down its partial index (the dashboards at 100,000 tickets
    never sort every open ticket)."""
    visible = tickets_visible_to(user)
    others = [status for status in OPEN_STATUSES if status not in CUSTOMER_TURN_STATUSES]
    customer_turn = visible.filter(status__in=CUSTOMER_TURN_STATUSES).order_by("-updated_at")
    rest = visible.filter(status__in=others).order_by("-updated_at")
    return list(customer_turn[:limit]), list(rest[:limit])


def urgent_not_accepted() -> QuerySet[Ticket]:
    """Urgent incidents still new: the staff banner shows them until one is accepted."""
    return (
        Ticket.objects.filter(status=Status.NEW, priority=Priority.URGENT)
        .select_related("organisation")
        .only("number", "subject", "status", "priority", "created_at", "organisation__name")
        .order_by("created_at")
    )


# --- the staff queues: the ticket list's saved views and the triage dashboard's counts --
# Each is a condition on stored, indexed columns (status, assignee, the SLA states and
# deadlines of the live clock: ``LIVE_CLOCK``), so a count is an index scan.


def sla_state_is(*states: str) -> Q:
    """The live clock (reaction while new, else resolution, running or paused) is in
    one of these SLA states."""
    def statuses(*clocks):
        return [status for status, clock in LIVE_CLOCK.items() if clock in clocks]

    return Q(status__in=statuses(LiveClock.REACTION), reaction_state__in=states) | Q(
        status__in=statuses(LiveClock.RESOLUTION, LiveClock.PAUSED), resolution_state__in=states
    )


def live_deadline_between(start, end) -> Q:
    """A running live clock falls due in [start, end): not breached yet, soon will be."""
    condition = Q(pk__in=[])
    for status, clock in LIVE_CLOCK.items():
        field = LIVE_DEADLINE_FIELDS.get(clock)
        if field is None:
            continue
        state = field.replace("_due", "_state")
        condition |= Q(
            status=status,
            **{f"{state}__in": LIVE_SLA_STATES, f"{field}__gte": start, f"{field}__lt": end},
        )
    return condition


BREACHING_SOON = datetime.timedelta(hours=1)
WAITING_LONG_BUSINESS_DAYS = 3


def business_days_before(now: datetime.datetime, days: int) -> datetime.datetime:
    """The latest moment from which ``days`` standard business days (of the site's
    calendar) have passed by ``now``: a bisection on ``between``, a few µs a step."""
    calendar = current_calendar()
    need = calendar.standard_day * days
    early, late = now - datetime.timedelta(days=7 * days + 60), now
    while late - early > datetime.timedelta(seconds=1):
        middle = early + (late - early) / 2
        if calendar.between(middle, now) >= need:
            early = middle
        else:
            late = middle
    return early

# name, label: the saved views of the ticket list (``?queue=``) and the dashboard's tiles.
QUEUES = (
    ("mine", _("My open tickets")),
    ("unassigned", _("Unassigned")),
    ("breaching_soon", _("Breaching within the hour")),
    ("waiting", _("Waiting for the customer")),
    ("waiting_long", _("Waiting for the customer over 3 business days")),
    ("flagged", _("Flagged for review")),
    ("open", _("All open")),
    ("urgent_new", _("Urgent, not accepted yet")),
    ("breached", _("Breached")),
)


def queue_condition(name: str, *, user: User, now: datetime.datetime) -> Q | None:
    """The condition of one staff queue, or None for an unknown name."""
    open_ = Q(status__in=OPEN_STATUSES)
    conditions = {
        "mine": lambda: open_ & Q(assignee=user),
        "unassigned": lambda: open_ & Q(assignee__isnull=True),
        "urgent_new": lambda: Q(status=Status.NEW, priority=Priority.URGENT),
        "breaching_soon": lambda: live_deadline_between(now, now + BREACHING_SOON),
        "breached": lambda: sla_state_is("breached"),
        "waiting": lambda: Q(status=Status.WAITING_FOR_CUSTOMER),
        "waiting_long": lambda: Q(
            status=Status.WAITING_FOR_CUSTOMER,
            waiting_since__lte=business_days_before(now, WAITING_LONG_BUSINESS_DAYS),
        ),
        "flagged": lambda: Q(has_open_flag()),
        "open": lambda: open_,
    }
    build = conditions.get(name)
    return build() if build else None
