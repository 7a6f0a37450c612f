"""SLA policies, business-calendar overrides and the per-ticket SLA audit trail.

The deadlines themselves live on the ticket (``Ticket.reaction_due`` …) so that lists and
sweeps read them with one indexed query; ``SlaEvent`` rows are the trail they are
recomputed from. This app knows no ticket states: the ticket's use cases tell the clock
what happened (``sla.services``), and the priorities and clock states are defined here.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import TranslatedChoicesOnce


class Priority(models.IntegerChoices):
    """The priority scale of the contract; each has its own targets (``SlaPolicy``)."""

    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")


class SlaState(models.TextChoices):
    RUNNING = "running", _("On track")
    AT_RISK = "at_risk", _("At risk")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    STOPPED = "stopped", _("Stopped")


# A clock whose deadline is still ahead of it: what the sweeps look at.
LIVE_SLA_STATES = (SlaState.RUNNING, SlaState.AT_RISK)


class LiveClock(models.TextChoices):
    """The deadline the contractor works against now (the ticket says which, by state)."""

    REACTION = "reaction", _("reaction")
    RESOLUTION = "resolution", _("resolution")
    PAUSED = "paused", _("paused")


DEFAULT_TARGETS = {
    Priority.URGENT: (Decimal(1), Decimal(8)),
    Priority.HIGH: (Decimal(4), Decimal(24)),
    Priority.NORMAL: (Decimal(8), Decimal(40)),
    Priority.LOW: (Decimal(24), Decimal(80)),
}


class SlaPolicy(models.Model):
    """Reaction and resolution targets of one priority, in business hours."""

    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, unique=True
    )
    reaction_hours = models.DecimalField(
        _("reaction time, business hours"), max_digits=7, decimal_places=2
    )
    resolution_hours = models.DecimalField(
        _("resolution target, business hours"), max_digits=7, decimal_places=2
    )

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(
                name="sla_targets_positive",
                condition=models.Q(reaction_hours__gt=0, resolution_hours__gt=0),
            )
        ]

    def __str__(self) -> str:
        return str(self.get_priority_display())


class OverrideKind(models.TextChoices):
    DAY_OFF = "day_off", _("Extra day off")
    WORKING_DAY = "working_day", _("Extra working day")
    HOURS = "hours", _("Other hours on this date")


class CalendarOverride(models.Model):
    """A manager's exception to the official calendar for one date."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OverrideKind.choices)
    start = models.TimeField(_("work starts"), null=True, blank=True)
    end = models.TimeField(_("work ends"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self):
        if self.kind == OverrideKind.HOURS and not (self.start and self.end):
            raise ValidationError(_("Give the hours of work on this date."))
        if self.kind == OverrideKind.WORKING_DAY and bool(self.start) != bool(self.end):
            raise ValidationError(
                _("Give both the start and the end of work, or neither for the usual hours.")
            )
        if self.start and self.end and self.start >= self.end:
            raise ValidationError(_("Work must end after it starts."))
        if self.kind == OverrideKind.DAY_OFF:
            self.start = self.end = None


class SlaEventKind(models.TextChoices):
    STARTED = "started", _("Clock started")
    PAUSED = "paused", _("Clock paused (waiting for the customer)")
    RESUMED = "resumed", _("Clock resumed")
    STOPPED = "stopped", _("Clock stopped")
    REACTION_AT_RISK = "reaction_at_risk", _("Reaction at risk")
    REACTION_MET = "reaction_met", _("Reaction met")
    REACTION_BREACHED = "reaction_breached", _("Reaction breached")
    RESOLUTION_AT_RISK = "resolution_at_risk", _("Resolution at risk")
    RESOLUTION_MET = "resolution_met", _("Resolution met")
    RESOLUTION_BREACHED = "resolution_breached", _("Resolution breached")
    RECALCULATED = "recalculated", _("Deadlines recalculated")


# Events that move the resolution clock; the others only record what happened.
CLOCK_EVENTS = (
    SlaEventKind.STARTED,
    SlaEventKind.PAUSED,
    SlaEventKind.RESUMED,
    SlaEventKind.STOPPED,
)


class RecalculationNote(models.TextChoices):
    """Why deadlines were recalculated (``SlaEvent.note``): stored in these words, shown
    in the reader's language."""

    POLICY_CHANGED = "policy changed", _("policy changed")
    CALENDAR_CHANGED = "calendar changed", _("calendar changed")
    PRIORITY_CHANGED = "priority changed", _("priority changed")
    OUT_OF_HOURS_APPROVED = "out-of-hours window approved", _("out-of-hours window approved")


class SlaEvent(TranslatedChoicesOnce, models.Model):
    """One line of a ticket's SLA trail."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events"
    )
    kind = models.CharField(max_length=24, choices=SlaEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    business_seconds = models.BigIntegerField(
        null=True, blank=True, help_text=_("Business time it took, where it applies.")
    )
    due = models.DateTimeField(null=True, blank=True)
    # An outcome's target as the policy set it then (a later policy change does not
    # rewrite what a resolved ticket was held to).
    target_seconds = models.BigIntegerField(
        null=True, blank=True, help_text=_("The target in force, where it applies.")
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        indexes = [
            models.Index(fields=["ticket", "at"]),
            # Metrics: the day's outcomes, the last 30 days' resolution times.
            models.Index(fields=["kind", "at"], name="sla_event_kind_at_idx"),
        ]
        constraints = [
            # A sweep records each warning and breach once, however many sweeps overlap.
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=models.Q(
                    kind__in=[
                        "reaction_at_risk",
                        "reaction_met",
                        "reaction_breached",
                    ]
                ),
                name="one_reaction_outcome_per_ticket",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def note_text(self) -> str:
        """The note in the active language (a note in other words, e.g. from a shell, as
        it was written)."""
        if self.note in RecalculationNote.values:
            return RecalculationNote(self.note).label
        return self.note


class ClockWindow(models.Model):
    """A window in which the ticket's clock runs around the clock: out-of-hours work
    approved by both parties (billing tells the clock when it approves one)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_windows"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["start", "end"]
        verbose_name = _("around-the-clock window")
        verbose_name_plural = _("around-the-clock windows")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "start", "end"], name="one_window_per_span"),
            models.CheckConstraint(
                name="window_ends_after_start", condition=models.Q(end__gt=models.F("start"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M}"


class RecalculationRequest(models.Model):
    """A policy or the calendar changed: the open tickets' deadlines are to be recomputed.

    Written in the transaction of the change and worked off by a worker (never in the
    web request), so a change is never lost when the broker is down."""

    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True
    )
    note = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    tickets_done = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("deadline recalculation")
        verbose_name_plural = _("deadline recalculations")
        indexes = [
            models.Index(
                fields=["requested_at"],
                name="sla_recalc_pending_idx",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.note}"
