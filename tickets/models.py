"""Tickets, their state machine, and what hangs off a ticket.

Transition methods only change fields and state their rule; every write, with its
history, goes through ``tickets.services``.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import CONTRACTOR_ROLES
from core.choices import TranslatedChoicesOnce
from moderation.presets import RejectPreset
from sla.models import LIVE_SLA_STATES, LiveClock, Priority, SlaState  # noqa: F401  (re-exported)
from tickets.attachments import PREVIEWABLE_TYPES


class TicketType(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    CONSULTATION = "consultation", _("Consultation")
    CHANGE_REQUEST = "change_request", _("Change request")
    UPDATE_INSTALLATION = "update_installation", _("Update installation")


class Status(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_CUSTOMER = "waiting_for_customer", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (
    Status.NEW,
    Status.IN_PROGRESS,
    Status.WAITING_FOR_CUSTOMER,
    Status.RESOLVED,
)
# States in which the next move is the customer's.
CUSTOMER_TURN_STATUSES = (Status.WAITING_FOR_CUSTOMER, Status.RESOLVED)
# Which SLA clock the contractor works against in each state: the one rule behind the
# portal's promise, the admin's "SLA left" column and its sort order. Other states: none.
LIVE_CLOCK = {
    Status.NEW: LiveClock.REACTION,
    Status.IN_PROGRESS: LiveClock.RESOLUTION,
    Status.WAITING_FOR_CUSTOMER: LiveClock.PAUSED,
}
LIVE_DEADLINE_FIELDS = {LiveClock.REACTION: "reaction_due", LiveClock.RESOLUTION: "resolution_due"}


def live_deadline_expression() -> models.Case:
    """The deadline the agent works against: reaction for new tickets, resolution in
    progress, none otherwise. The staff list sorts by it, served by an index on it."""
    return models.Case(
        *(
            models.When(status=status, then=models.F(LIVE_DEADLINE_FIELDS[clock]))
            for status, clock in LIVE_CLOCK.items()
            if clock in LIVE_DEADLINE_FIELDS
        ),
        default=None,
        output_field=models.DateTimeField(),
    )


class Channel(models.TextChoices):
    WEB = "web", _("Web portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    API = "api", _("API")


# Permissions of transitions: who may fire which.
def by_contractor(ticket: "Ticket", user) -> bool:
    return bool(user) and user.is_contractor


def by_customer(ticket: "Ticket", user) -> bool:
    return bool(user) and user.is_customer and user.organisation_id == ticket.organisation_id


def by_either_party(ticket: "Ticket", user) -> bool:
    return by_contractor(ticket, user) or by_customer(ticket, user)


def within_reopen_window(ticket: "Ticket") -> bool:
    """A closed ticket reopens only within REOPEN_WINDOW_DAYS of closing."""
    if ticket.status != Status.CLOSED:
        return True
    return ticket.reopen_deadline is not None and timezone.now() <= ticket.reopen_deadline


def not_closed_as_duplicate(ticket: "Ticket") -> bool:
    """A ticket closed as a duplicate goes on in its original, never by itself."""
    if ticket.status != Status.CLOSED:
        return True
    return duplicate_of_link(ticket) is None


_DUPLICATE_LINK = "_duplicate_of_link"


def duplicate_of_link(ticket: "Ticket") -> "TicketLink | None":
    """The ticket's "duplicate of" link, with its target: read once per loaded ticket (a
    page asks the state machine and the comment rules about it). A change of links, or
    ``refresh_from_db``, forgets it (``forget_duplicate_link``)."""
    if _DUPLICATE_LINK not in ticket.__dict__:
        ticket.__dict__[_DUPLICATE_LINK] = (
            ticket.links_out.filter(kind=LinkKind.DUPLICATE_OF).select_related("target").first()
        )
    return ticket.__dict__[_DUPLICATE_LINK]


def known_without_duplicate_link(ticket: "Ticket") -> None:
    """The caller read that the ticket has no outgoing link at all: no "duplicate of"."""
    ticket.__dict__[_DUPLICATE_LINK] = None


def forget_duplicate_link(*tickets: "Ticket") -> None:
    for ticket in tickets:
        ticket.__dict__.pop(_DUPLICATE_LINK, None)


class Ticket(TranslatedChoicesOnce, ConcurrentTransitionMixin, models.Model):
    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("description"), help_text=_("Markdown"))
    type = models.CharField(
        _("type"), max_length=32, choices=TicketType.choices, default=TicketType.INCIDENT
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    status = FSMField(
        _("status"), choices=Status.choices, default=Status.NEW, protected=True, max_length=32
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        limit_choices_to={"role__in": sorted(CONTRACTOR_ROLES), "is_active": True},
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.WEB
    )
    sender_unverified = models.BooleanField(
        _("sender not verified"),
        default=False,
        help_text=_(
            "Filed by e-mail from an address our mail server could not prove (no DMARC "
            "pass): anyone can write any From. The confirmation went to the real address."
        ),
    )
    reject_reason = models.TextField(_("rejection reason"), blank=True)
    reject_preset = models.CharField(
        _("standard rejection reason"), max_length=16, choices=RejectPreset.choices, blank=True
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("watchers"),
        blank=True,
        related_name="watched_tickets",
        help_text=_("People who get the ticket's mail besides the requester and assignee."),
    )

    created_at = models.DateTimeField(_("filed at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    first_accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting for customer since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    # Auto-close of a resolved ticket the customer leaves unanswered: set when it is
    # resolved (``tickets.deadlines``), cleared when it leaves "resolved".
    auto_close_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    auto_close_at = models.DateTimeField(_("closes automatically at"), null=True, blank=True)
    auto_close_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    # SLA clock, kept by sla.services from the ticket's SlaEvent trail.
    reaction_due = models.DateTimeField(_("reaction due"), null=True, blank=True)
    reaction_risk_at = models.DateTimeField(null=True, blank=True, editable=False)
    reaction_state = models.CharField(
        _("reaction SLA"), max_length=16, choices=SlaState.choices, default=SlaState.RUNNING
    )
    reaction_business_seconds = models.BigIntegerField(null=True, blank=True, editable=False)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_risk_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_state = models.CharField(
        _("resolution SLA"), max_length=16, choices=SlaState.choices, default=SlaState.RUNNING
    )
    resolution_left_seconds = models.BigIntegerField(
        null=True, blank=True, editable=False, help_text="Business time left while paused."
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["organisation", "status", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
            # The SLA sweeps: one partial index per query, on live clocks only.
            models.Index(
                fields=["reaction_risk_at"],
                name="sla_reaction_risk_idx",
                condition=Q(reaction_state="running"),
            ),
            models.Index(
                fields=["reaction_due"],
                name="sla_reaction_due_idx",
                condition=Q(reaction_state__in=["running", "at_risk"]),
            ),
            models.Index(
                fields=["resolution_risk_at"],
                name="sla_resolution_risk_idx",
                condition=Q(resolution_state="running"),
            ),
            models.Index(
                fields=["resolution_due"],
                name="sla_resolution_due_idx",
                condition=Q(resolution_state__in=["running", "at_risk"]),
            ),
            models.Index(
                fields=["auto_close_warn_at"],
                name="auto_close_warn_idx",
                condition=Q(status="resolved", auto_close_warned_at__isnull=True),
            ),
            models.Index(
                fields=["auto_close_at"], name="auto_close_idx", condition=Q(status="resolved")
            ),
            # The staff list's default order: the most urgent live deadline first.
            models.Index(
                live_deadline_expression().asc(nulls_last=True),
                models.F("created_at").desc(),
                models.F("id").desc(),
                name="ticket_live_deadline_idx",
            ),
            # The dashboards' two lists, newest change first: whose turn it is decides
            # the list, so each is one walk down its own partial index.
            models.Index(
                fields=["-updated_at"],
                name="ticket_customer_turn_idx",
                condition=Q(status__in=["waiting_for_customer", "resolved"]),
            ),
            models.Index(
                fields=["-updated_at"],
                name="ticket_contractor_turn_idx",
                condition=Q(status__in=["new", "in_progress"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="priority_only_for_incidents",
                condition=Q(type=TicketType.INCIDENT) | Q(priority=Priority.NORMAL),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def live_clock(self) -> str | None:
        """The SLA clock that matters now (``LIVE_CLOCK``)."""
        return LIVE_CLOCK.get(self.status)

    def refresh_from_db(self, *args, **kwargs):
        forget_duplicate_link(self)
        super().refresh_from_db(*args, **kwargs)

    @property
    def reopen_deadline(self) -> datetime.datetime | None:
        if self.closed_at is None:
            return None
        return self.closed_at + datetime.timedelta(days=settings.REOPEN_WINDOW_DAYS)

    @property
    def reopen_refused(self) -> bool:
        """Closed longer ago than the reopen window: only a new, linked ticket will do."""
        return self.status == Status.CLOSED and not within_reopen_window(self)

    # --- transitions -------------------------------------------------------------

    @transition(
        field=status,
        source=Status.NEW,
        target=Status.IN_PROGRESS,
        permission=by_contractor,
        custom={"label": _("Accept"), "icon": "accept"},
    )
    def accept(self):
        """The contractor takes the ticket: this is the reaction."""
        now = timezone.now()
        self.first_accepted_at = self.first_accepted_at or now

    @transition(
        field=status,
        source=Status.IN_PROGRESS,
        target=Status.WAITING_FOR_CUSTOMER,
        permission=by_contractor,
        custom={"label": _("Ask for information"), "needs": "message"},
    )
    def request_info(self):
        """The contractor needs information from the customer; the clocks pause."""
        self.waiting_since = timezone.now()

    @transition(
        field=status,
        source=Status.WAITING_FOR_CUSTOMER,
        target=Status.IN_PROGRESS,
        permission=by_either_party,
        custom={"label": _("Resume work")},
    )
    def resume(self):
        """The customer answered (or the contractor resumes): work continues."""
        self.waiting_since = None

    @transition(
        field=status,
        source=[Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER],
        target=Status.RESOLVED,
        permission=by_contractor,
        custom={"label": _("Resolve")},
    )
    def resolve(self):
        """The contractor says the work is done; the customer confirms or asks more."""
        self.waiting_since = None
        self.resolved_at = timezone.now()

    @transition(
        field=status,
        source=Status.RESOLVED,
        target=Status.CLOSED,
        permission=by_customer,
        custom={"label": _("Close"), "portal": True},
    )
    def close(self):
        """The customer confirms the resolution and closes the ticket."""
        self.closed_at = timezone.now()
        self.auto_close_warn_at = self.auto_close_at = None

    @transition(
        field=status,
        source=[Status.RESOLVED, Status.CLOSED],
        target=Status.IN_PROGRESS,
        permission=by_customer,
        conditions=[within_reopen_window, not_closed_as_duplicate],
        custom={"label": _("Reopen"), "portal": True},
    )
    def reopen(self):
        """The customer reopens: a resolved ticket any time, a closed one within the window."""
        self.reopened_at = timezone.now()
        self.resolved_at = None
        self.closed_at = None
        self.auto_close_warn_at = self.auto_close_at = self.auto_close_warned_at = None

    @transition(
        field=status,
        source=[Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER],
        target=Status.REJECTED,
        permission=by_contractor,
        custom={"label": _("Reject"), "needs": "reason"},
    )
    def reject(self, reason: str = "", preset: str = ""):
        """The contractor ignores an improper ticket, with a reason the customer sees."""
        self.reject_reason = reason
        self.reject_preset = preset if preset in RejectPreset.values else ""
        self.rejected_at = timezone.now()
        self.waiting_since = None

    @transition(
        field=status,
        source=[Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER],
        target=Status.CLOSED,
        permission=by_contractor,
        custom={"label": _("Mark as duplicate"), "needs": "original"},
    )
    def mark_duplicate(self):
        """A repeat of an open ticket closes, linked to the original."""
        self.closed_at = timezone.now()
        self.waiting_since = None


class TicketNumberCounter(models.Model):
    """The last number handed out per year; a row lock makes filing safe in parallel."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Comment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(_("comment"))
    is_internal = models.BooleanField(
        _("internal note"),
        default=False,
        help_text=_("Internal notes are seen by the contractor only."),
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    # Set when a merge moved the comment here from a duplicate (``services.merge``).
    merged_from = models.ForeignKey(
        "Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged from"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.ticket.number} #{self.pk}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Stored under a generated name: the customer's file name never touches the disk.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(default=timezone.now)
    # Set when a merge moved the file here from a duplicate (``services.merge``).
    merged_from = models.ForeignKey(
        "Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged from"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type in PREVIEWABLE_TYPES


class LinkKind(models.TextChoices):
    RELATED = "related", _("related to")
    DUPLICATE_OF = "duplicate_of", _("duplicate of")
    FOLLOWS = "follows", _("follows")
    BLOCKS = "blocks", _("blocks")
    PARENT_OF = "parent_of", _("parent of")


# How a link reads from the other ticket's side.
INVERSE_LINK_LABELS = {
    LinkKind.RELATED: _("related to"),
    LinkKind.DUPLICATE_OF: _("has duplicate"),
    LinkKind.FOLLOWS: _("followed by"),
    LinkKind.BLOCKS: _("blocked by"),
    LinkKind.PARENT_OF: _("subtask of"),
}


class TicketLink(TranslatedChoicesOnce, models.Model):
    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("link"), max_length=16, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="unique_link"),
            models.CheckConstraint(name="no_self_link", condition=~Q(source=models.F("target"))),
        ]

    def __str__(self) -> str:
        return f"{self.source.number} {self.get_kind_display()} {self.target.number}"


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    STATUS = "status", _("Status changed")
    PRIORITY = "priority", _("Priority changed")
    TYPE = "type", _("Type changed")
    ASSIGNEE = "assignee", _("Assignee changed")
    LINK = "link", _("Link added")
    UNLINK = "unlink", _("Link removed")
    MERGE = "merge", _("Merged")
    RATED = "rated", _("Resolution rated")


class TicketEvent(TranslatedChoicesOnce, models.Model):
    """One line of a ticket's history: who changed what, when and why."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("history entry")
        verbose_name_plural = _("history")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.old_value} -> {self.new_value}"


class RulesPage(models.Model):
    """The ticketing rules as the managers word them, per language (Markdown); without
    a text for a language the portal shows the built-in summary of the vendor's rules."""

    language = models.CharField(
        _("language"), max_length=8, unique=True, choices=settings.LANGUAGES
    )
    body = models.TextField(_("rules"), help_text=_("Markdown"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["language"]
        verbose_name = _("ticketing rules page")
        verbose_name_plural = _("ticketing rules pages")

    def __str__(self) -> str:
        return str(self.get_language_display())


class RatingVia(models.TextChoices):
    MAIL = "mail", _("Link in the mail")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")


SATISFACTION_SCORES = range(1, 6)


class SatisfactionRating(TranslatedChoicesOnce, models.Model):
    """The requester's rating of one resolution: asked when the ticket is resolved (or
    closed without an ask), answered once, from the mail's link or in the portal. A
    ticket reopened and resolved again is asked again, for its new resolution."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="ratings"
    )
    resolved_at = models.DateTimeField(_("resolution rated"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, choices=[(n, str(n)) for n in SATISFACTION_SCORES]
    )
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    via = models.CharField(_("rated via"), max_length=8, choices=RatingVia.choices, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "resolved_at"], name="one_rating_per_resolution"
            ),
            models.CheckConstraint(
                name="rating_score_1_to_5",
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
            ),
            models.CheckConstraint(
                name="rating_scored_when_rated",
                condition=Q(score__isnull=True, rated_at__isnull=True)
                | Q(score__isnull=False, rated_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["rated_at"], name="rating_rated_idx", condition=Q(score__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.score or '-'}"

    @property
    def is_rated(self) -> bool:
        return self.score is not None


class MacroStatus(models.TextChoices):
    """The status moves a macro may make: the transitions that need no more than the
    reply (the reply is the message of those that need one)."""

    ACCEPT = "accept", _("Accept")
    REQUEST_INFO = "request_info", _("Ask for information")
    RESUME = "resume", _("Resume work")
    RESOLVE = "resolve", _("Resolve")
    REJECT = "reject", _("Reject")


class Macro(models.Model):
    """A canned reply the managers write once, in English and Russian, and agents pick on
    the ticket page (``tickets.macros`` fills its placeholders). It may also move the
    ticket's status, priority or assignee when the reply is sent, through the same
    services as the page's own buttons."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    body_en = models.TextField(
        _("text in English"), help_text=_("Markdown. Placeholders are listed below.")
    )
    body_ru = models.TextField(
        _("text in Russian"), help_text=_("Markdown. Placeholders are listed below.")
    )
    set_status = models.CharField(
        _("then change the status"),
        max_length=32,
        choices=MacroStatus.choices,
        blank=True,
        help_text=_(
            "Done only when the ticket's state allows it when the reply is sent; otherwise "
            "the agent is told and the reply goes as it is. Asking for information, resolving "
            "and rejecting take the reply as their message."
        ),
    )
    set_priority = models.PositiveSmallIntegerField(
        _("then change the priority"),
        choices=Priority.choices,
        null=True,
        blank=True,
        help_text=_("Incidents only. The macro's name is the reason the customer is told."),
    )
    set_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("then assign to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"role__in": sorted(CONTRACTOR_ROLES), "is_active": True},
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active macros are offered to agents.")
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Smaller numbers come first in the list.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.name

    def body_for(self, language: str) -> str:
        return self.body_ru if language == "ru" else self.body_en


class SavedView(models.Model):
    """A staff member's own view of the ticket list: its filters, search and order (the
    list's query string, only the parameters the list accepts), under a name of theirs.
    The list's "view" filter offers each to its owner only."""

    NAME_MAX_LENGTH = 80
    QUERY_MAX_LENGTH = 2000

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    query = models.CharField(_("query string"), max_length=QUERY_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            # One view of a name per person, whatever its letter case: saving it again
            # replaces it.
            models.UniqueConstraint(
                "owner", Lower("name"), name="saved_view_one_name_per_owner"
            ),
        ]

    def __str__(self) -> str:
        return self.name
