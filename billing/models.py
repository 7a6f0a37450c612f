"""Out-of-hours approvals, logged time, update schedules and monthly statements.

Every write goes through ``billing.services``; reads shared by views through
``billing.selectors``. Durations are stored as whole seconds; the calendar's split of a
time entry (business hours / out of hours, approved or not) is stored on the entry and
recomputed on every save and whenever an approved window of its ticket changes.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

HOUR = 3600


class Decision(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class OutOfHoursStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class OutOfHoursRequest(models.Model):
    """A request for work on a ticket outside business hours, in a time window.

    Billed at double rate, so both parties approve: the customer's representative and a
    contractor manager. A representative's own request is the customer's approval, a
    manager's own request the contractor's.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="out_of_hours_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    start = models.DateTimeField(_("window start"))
    end = models.DateTimeField(_("window end"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OutOfHoursStatus.choices,
        default=OutOfHoursStatus.PENDING,
        db_index=True,
    )

    customer_decision = models.CharField(
        _("customer's decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING
    )
    customer_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided for the customer by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    customer_decided_at = models.DateTimeField(_("customer decided at"), null=True, blank=True)
    customer_comment = models.TextField(_("customer's comment"), blank=True)

    contractor_decision = models.CharField(
        _("contractor's decision"),
        max_length=16,
        choices=Decision.choices,
        default=Decision.PENDING,
    )
    contractor_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided for the contractor by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    contractor_decided_at = models.DateTimeField(_("contractor decided at"), null=True, blank=True)
    contractor_comment = models.TextField(_("contractor's comment"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("out-of-hours request")
        verbose_name_plural = _("out-of-hours requests")
        indexes = [models.Index(fields=["ticket", "status", "start"])]
        constraints = [
            models.CheckConstraint(
                name="ooh_window_ends_after_start",
                condition=Q(end__gt=F("start")),
                violation_error_message=_("The window must end after it starts."),
            )
        ]

    def __str__(self) -> str:
        start, end = timezone.localtime(self.start), timezone.localtime(self.end)
        return f"{self.ticket.number} {start:%Y-%m-%d %H:%M}–{end:%H:%M}"

    @property
    def duration(self) -> datetime.timedelta:
        return self.end - self.start

    def decision_of(self, side: str) -> str:
        return getattr(self, f"{side}_decision")


class Activity(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    INCIDENT_WORK = "incident_work", _("Incident work")
    UPDATE_INSTALLATION = "update_installation", _("Update installation")
    OTHER = "other", _("Other")


class TimeEntry(models.Model):
    """Time an agent spent on a ticket, split by the business calendar when saved."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="time_entries",
        limit_choices_to={"role__in": ["agent", "manager"]},
    )
    started_at = models.DateTimeField(_("start"), db_index=True)
    duration = models.DurationField(_("duration"))
    description = models.TextField(_("what was done"))
    billable = models.BooleanField(_("billable"), default=True)
    activity = models.CharField(_("activity"), max_length=32, choices=Activity.choices)

    # The calendar's split, recomputed by billing.services on every save.
    business_seconds = models.PositiveIntegerField(
        _("business time (s)"), default=0, editable=False
    )
    approved_ooh_seconds = models.PositiveIntegerField(
        _("approved out-of-hours time (s)"), default=0, editable=False
    )
    unapproved_ooh_seconds = models.PositiveIntegerField(
        _("unapproved out-of-hours time (s)"), default=0, editable=False
    )
    ooh_flagged = models.BooleanField(
        _("unapproved out-of-hours"),
        default=False,
        editable=False,
        db_index=True,
        help_text=_("Part of the time is outside business hours and outside any approved window."),
    )
    ooh_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    ooh_reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("logged at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        indexes = [models.Index(fields=["ticket", "started_at"])]
        constraints = [
            models.CheckConstraint(
                name="time_entry_positive_duration",
                condition=Q(duration__gt=datetime.timedelta(0)),
                violation_error_message=_("The duration must be more than zero."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def ended_at(self) -> datetime.datetime:
        return self.started_at + self.duration

    @property
    def out_of_hours_seconds(self) -> int:
        return self.approved_ooh_seconds + self.unapproved_ooh_seconds

    @property
    def billable_seconds(self) -> int:
        """What the entry bills: approved out-of-hours time counts double."""
        if not self.billable:
            return 0
        return self.business_seconds + 2 * self.approved_ooh_seconds + self.unapproved_ooh_seconds


class UpdateSchedule(models.Model):
    """The window agreed with the customer for installing an update, and its estimate."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="update_schedule",
        limit_choices_to={"type": "update_installation"},
    )
    window_start = models.DateTimeField(_("scheduled start"))
    window_end = models.DateTimeField(_("scheduled end"))
    estimate_hours = models.DecimalField(
        _("estimate (hours)"), max_digits=4, decimal_places=2, default=2
    )
    agreed_with = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agreed with"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"role__in": ["customer_employee", "customer_representative"]},
    )
    note = models.TextField(_("note"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("update installation schedule")
        verbose_name_plural = _("update installation schedules")
        constraints = [
            models.CheckConstraint(
                name="update_window_ends_after_start",
                condition=Q(window_end__gt=F("window_start")),
                violation_error_message=_("The window must end after it starts."),
            ),
            models.CheckConstraint(
                name="update_estimate_positive",
                condition=Q(estimate_hours__gt=0),
                violation_error_message=_("The estimate must be more than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} {timezone.localtime(self.window_start):%Y-%m-%d %H:%M}"


class StatementStatus(models.TextChoices):
    ISSUED = "issued", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    DISPUTED = "disputed", _("Disputed")


class Statement(models.Model):
    """One organisation's month of logged time, frozen when it is generated.

    The period is a calendar month in the business calendar's time zone; an entry
    belongs to the month in which it starts. Billable total = business hours
    + 2 x approved out-of-hours hours + unapproved out-of-hours hours, in hours
    (no money: a rate is the contract's business).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="statements",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=StatementStatus.choices, default=StatementStatus.ISSUED
    )
    generated_at = models.DateTimeField(_("generated at"), default=timezone.now)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)

    tickets_count = models.PositiveIntegerField(_("tickets worked"), default=0)
    business_seconds = models.BigIntegerField(_("business time (s)"), default=0)
    approved_ooh_seconds = models.BigIntegerField(_("approved out-of-hours time (s)"), default=0)
    unapproved_ooh_seconds = models.BigIntegerField(
        _("unapproved out-of-hours time (s)"), default=0
    )
    billable_seconds = models.BigIntegerField(_("billable total (s)"), default=0)
    non_billable_seconds = models.BigIntegerField(_("not billed (s)"), default=0)

    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    response_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-month", "organisation__name"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "month"],
                name="one_statement_a_month",
                violation_error_message=_("The organisation has a statement for that month."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.month:%Y-%m}"

    @property
    def out_of_hours_seconds(self) -> int:
        return self.approved_ooh_seconds + self.unapproved_ooh_seconds

    @property
    def last_day(self) -> datetime.date:
        """The month's last day (the period ends at the next midnight)."""
        return (self.month.replace(day=28) + datetime.timedelta(days=4)).replace(
            day=1
        ) - datetime.timedelta(days=1)


class StatementLine(models.Model):
    """One ticket's figures in a statement, frozen with the ticket's number and subject."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ticket_number = models.CharField(_("ticket"), max_length=32)
    ticket_subject = models.CharField(_("subject"), max_length=200)
    ticket_type = models.CharField(_("type"), max_length=32)
    entries_count = models.PositiveIntegerField(_("entries"), default=0)
    business_seconds = models.BigIntegerField(_("business time (s)"), default=0)
    approved_ooh_seconds = models.BigIntegerField(_("approved out-of-hours time (s)"), default=0)
    unapproved_ooh_seconds = models.BigIntegerField(
        _("unapproved out-of-hours time (s)"), default=0
    )
    billable_seconds = models.BigIntegerField(_("billable total (s)"), default=0)
    non_billable_seconds = models.BigIntegerField(_("not billed (s)"), default=0)

    class Meta:
        ordering = ["ticket_number", "id"]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")

    def __str__(self) -> str:
        return self.ticket_number

    @property
    def out_of_hours_seconds(self) -> int:
        return self.approved_ooh_seconds + self.unapproved_ooh_seconds

    def get_ticket_type_display(self) -> str:
        from tickets.models import TicketType

        try:
            return str(TicketType(self.ticket_type).label)
        except ValueError:
            return self.ticket_type
