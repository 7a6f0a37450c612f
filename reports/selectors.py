"""The contractor's reports, aggregated in the database.

Each report costs a fixed number of queries, however many tickets there are: the
figures are grouped by organisation and month (the filing month in the business
calendar's time zone) with ``annotate``; totals that add up are summed in Python, the
medians (which do not add up) are asked of the database once per level.
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, DurationField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from accounts.models import Organisation
from billing.models import Statement, StatementStatus, TimeEntry
from reports.aggregates import Median, database_has_median
from reports.periods import Period, month_of
from tickets.models import (
    OPEN_STATUSES,
    Priority,
    SatisfactionRating,
    SlaState,
    Status,
    Ticket,
    TicketType,
)


def _tickets_filed(period: Period, organisation: Organisation | None) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    if organisation is not None:
        tickets = tickets.filter(organisation=organisation)
    return tickets.annotate(month=TruncMonth("created_at", tzinfo=period.tz)).order_by()


def _percent(part: int, whole: int) -> float | None:
    return None if not whole else 100 * part / whole


# --- SLA compliance ----------------------------------------------------------------


@dataclass
class SlaFigures:
    """SLA figures of a group of tickets (one organisation's month, a month, the period).

    A reaction counts once it is decided: met when the contractor accepted in time,
    breached when it accepted late or the deadline passed first. Tickets still
    waiting for their first acceptance within the deadline are neither.
    """

    organisation_id: int | None = None
    organisation: str = ""
    month: datetime.date | None = None
    filed: int = 0
    reaction_met: int = 0
    reaction_breached: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0
    median_reaction_seconds: float | None = None

    @property
    def reaction_decided(self) -> int:
        return self.reaction_met + self.reaction_breached

    @property
    def reaction_met_percent(self) -> float | None:
        return _percent(self.reaction_met, self.reaction_decided)

    @property
    def median_reaction_hours(self) -> float | None:
        seconds = self.median_reaction_seconds
        return None if seconds is None else seconds / 3600


SLA_COUNTS = ("filed", "reaction_met", "reaction_breached", "resolution_met",
              "resolution_breached")


def _sla_aggregates(with_median: bool) -> dict:
    aggregates = {
        "filed": Count("id"),
        "reaction_met": Count("id", filter=Q(reaction_state=SlaState.MET)),
        "reaction_breached": Count("id", filter=Q(reaction_state=SlaState.BREACHED)),
        "resolution_met": Count("id", filter=Q(resolution_state=SlaState.MET)),
        "resolution_breached": Count("id", filter=Q(resolution_state=SlaState.BREACHED)),
    }
    if with_median:
        aggregates["median_reaction_seconds"] = Median("reaction_business_seconds")
    return aggregates


@dataclass
class SlaReport:
    period: Period
    rows: list[SlaFigures]  # per organisation and month
    months: list[SlaFigures]  # every month of the period, empty ones included
    total: SlaFigures


def sla_compliance(*, period: Period, organisation: Organisation | None = None) -> SlaReport:
    """Reaction and resolution outcomes per organisation and filing month.

    Three queries on PostgreSQL (organisation × month, month, period); one more
    elsewhere, where the medians are computed in Python.
    """
    tickets = _tickets_filed(period, organisation)
    in_db = database_has_median(connection)
    aggregates = _sla_aggregates(with_median=in_db)
    rows = [
        SlaFigures(
            organisation=values.pop("organisation__name"), month=month_of(values.pop("month")),
            **values,
        )
        for values in tickets.values("organisation_id", "organisation__name", "month")
        .annotate(**aggregates)
        .order_by("organisation__name", "organisation_id", "month")
    ]
    per_month = _sla_per_month(tickets, aggregates)
    total = SlaFigures(**tickets.aggregate(**aggregates))
    if not in_db:
        _fill_medians(tickets, rows, per_month, total)
    months = [per_month.get(month) or SlaFigures(month=month) for month in period.months()]
    return SlaReport(period=period, rows=rows, months=months, total=total)


def _sla_per_month(tickets, aggregates) -> dict[datetime.date, SlaFigures]:
    per_month = {}
    for values in tickets.values("month").annotate(**aggregates).order_by("month"):
        month = month_of(values.pop("month"))
        per_month[month] = SlaFigures(month=month, **values)
    return per_month


def _fill_medians(tickets, rows, per_month, total) -> None:
    """Without percentile_cont: one query for the reaction times, medians in Python."""
    by_row, by_month, everything = defaultdict(list), defaultdict(list), []
    for organisation_id, month, seconds in tickets.filter(
        reaction_business_seconds__isnull=False
    ).values_list("organisation_id", "month", "reaction_business_seconds"):
        month = month_of(month)
        by_row[organisation_id, month].append(seconds)
        by_month[month].append(seconds)
        everything.append(seconds)
    for row in rows:
        row.median_reaction_seconds = median_or_none(by_row[row.organisation_id, row.month])
    for month, figures in per_month.items():
        figures.median_reaction_seconds = median_or_none(by_month[month])
    total.median_reaction_seconds = median_or_none(everything)


def median_or_none(values) -> float | None:
    return float(statistics.median(values)) if values else None


# --- tickets by type and priority ----------------------------------------------------


@dataclass
class TicketCounts:
    """How many tickets of each type and priority a group filed, and where they are now.

    Open means not finished yet: new, in progress, waiting for the customer, or resolved
    and not yet confirmed by the customer.
    """

    organisation_id: int | None = None
    organisation: str = ""
    month: datetime.date | None = None
    filed: int = 0
    open: int = 0
    closed: int = 0
    rejected: int = 0
    by_type: dict = field(default_factory=dict)
    by_priority: dict = field(default_factory=dict)

    @property
    def type_counts(self) -> list[int]:
        """Counts in the order of ``TicketType`` (for table columns)."""
        return [self.by_type.get(choice, 0) for choice in TicketType.values]

    @property
    def priority_counts(self) -> list[int]:
        return [self.by_priority.get(choice, 0) for choice in Priority.values]

    def add(self, other: "TicketCounts") -> None:
        for name in ("filed", "open", "closed", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in ((self.by_type, other.by_type), (self.by_priority, other.by_priority)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count


def _type_alias(value: str) -> str:
    return f"type_{value}"


def _priority_alias(value: int) -> str:
    return f"priority_{value}"


def _ticket_count_aggregates() -> dict:
    aggregates = {
        "filed": Count("id"),
        "open": Count("id", filter=Q(status__in=OPEN_STATUSES)),
        "closed": Count("id", filter=Q(status=Status.CLOSED)),
        "rejected": Count("id", filter=Q(status=Status.REJECTED)),
    }
    for value in TicketType.values:
        aggregates[_type_alias(value)] = Count("id", filter=Q(type=value))
    for value in Priority.values:
        aggregates[_priority_alias(value)] = Count("id", filter=Q(priority=value))
    return aggregates


def _ticket_counts(values: dict) -> TicketCounts:
    return TicketCounts(
        organisation_id=values["organisation_id"],
        organisation=values["organisation__name"],
        month=month_of(values["month"]),
        filed=values["filed"],
        open=values["open"],
        closed=values["closed"],
        rejected=values["rejected"],
        by_type={value: values[_type_alias(value)] for value in TicketType.values},
        by_priority={value: values[_priority_alias(value)] for value in Priority.values},
    )


@dataclass
class TicketReport:
    period: Period
    rows: list[TicketCounts]
    months: list[TicketCounts]
    total: TicketCounts


def tickets_by_type_and_priority(
    *, period: Period, organisation: Organisation | None = None
) -> TicketReport:
    """Tickets filed per organisation and month by type, priority and open or finished.

    One query; the counts add up, so the monthly and overall totals are summed here.
    """
    rows = [
        _ticket_counts(values)
        for values in _tickets_filed(period, organisation)
        .values("organisation_id", "organisation__name", "month")
        .annotate(**_ticket_count_aggregates())
        .order_by("organisation__name", "organisation_id", "month")
    ]
    per_month = {month: TicketCounts(month=month) for month in period.months()}
    total = TicketCounts()
    for row in rows:
        per_month[row.month].add(row)
        total.add(row)
    return TicketReport(period=period, rows=rows, months=list(per_month.values()), total=total)


# --- hours billed ----------------------------------------------------------------------

HOUR = 3600


@dataclass
class HoursFigures:
    """Logged time of a group of entries, split as the statements split it.

    An entry belongs to the month in which it starts (calendar time zone). Billable
    total = business time + 2 × approved out-of-hours time + unapproved out-of-hours
    time, of billable entries; the duration of entries not billed is shown apart.
    """

    organisation_id: int | None = None
    organisation: str = ""
    month: datetime.date | None = None
    tickets: int = 0
    entries: int = 0
    business_seconds: int = 0
    approved_ooh_seconds: int = 0
    unapproved_ooh_seconds: int = 0
    billable_seconds: int = 0
    non_billable_seconds: int = 0
    to_review: int = 0  # entries with unapproved out-of-hours time no manager has reviewed
    statement_status: str = ""
    statement_label: str = ""  # the status in words; empty when no statement was issued
    statement_billable_seconds: int | None = None

    ADDITIVE = ("entries", "business_seconds", "approved_ooh_seconds", "unapproved_ooh_seconds",
                "billable_seconds", "non_billable_seconds", "to_review")

    def add(self, other: "HoursFigures") -> None:
        # Tickets add up across organisations (a ticket has one), not across months.
        for name in (*self.ADDITIVE, "tickets"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def hours(self, name: str) -> float:
        return getattr(self, name) / HOUR

    @property
    def business_hours(self) -> float:
        return self.hours("business_seconds")

    @property
    def approved_ooh_hours(self) -> float:
        return self.hours("approved_ooh_seconds")

    @property
    def unapproved_ooh_hours(self) -> float:
        return self.hours("unapproved_ooh_seconds")

    @property
    def billable_hours(self) -> float:
        return self.hours("billable_seconds")

    @property
    def non_billable_hours(self) -> float:
        return self.hours("non_billable_seconds")

    @property
    def statement_billable_hours(self) -> float | None:
        seconds = self.statement_billable_seconds
        return None if seconds is None else seconds / HOUR

    @property
    def statement_differs(self) -> bool:
        """Time was logged or changed after the statement was generated."""
        seconds = self.statement_billable_seconds
        return seconds is not None and seconds != self.billable_seconds


@dataclass
class HoursReport:
    period: Period
    rows: list[HoursFigures]
    months: list[HoursFigures]
    total: HoursFigures


def _hours_aggregates() -> dict:
    """Sums as the statements make them (``billing.statements``): the split of billable
    entries, and the duration of entries not billed."""
    billable = Q(billable=True)

    def total(expression, condition, zero=None):
        return Coalesce(Sum(expression, filter=condition), zero or Value(0))

    double_approved = (
        F("business_seconds") + 2 * F("approved_ooh_seconds") + F("unapproved_ooh_seconds")
    )
    # Aliases differ from the model's field names: an alias equal to a field would make
    # the F() of the next sum refer to the aggregate, not to the column.
    return {
        "n_tickets": Count("ticket_id", distinct=True),
        "n_entries": Count("id"),
        "sum_business": total(F("business_seconds"), billable),
        "sum_approved_ooh": total(F("approved_ooh_seconds"), billable),
        "sum_unapproved_ooh": total(F("unapproved_ooh_seconds"), billable),
        "sum_billable": total(double_approved, billable),
        "sum_non_billable": total(
            F("duration"), ~billable, Value(datetime.timedelta(0), output_field=DurationField())
        ),
        "n_to_review": Count("id", filter=Q(ooh_flagged=True, ooh_reviewed_at__isnull=True)),
    }


def _hours_figures(values: dict, statement: dict) -> HoursFigures:
    return HoursFigures(
        organisation_id=values["ticket__organisation_id"],
        organisation=values["ticket__organisation__name"],
        month=month_of(values["month"]),
        tickets=values["n_tickets"],
        entries=values["n_entries"],
        business_seconds=values["sum_business"],
        approved_ooh_seconds=values["sum_approved_ooh"],
        unapproved_ooh_seconds=values["sum_unapproved_ooh"],
        billable_seconds=values["sum_billable"],
        non_billable_seconds=int(values["sum_non_billable"].total_seconds()),
        to_review=values["n_to_review"],
        statement_status=statement.get("status", ""),
        statement_label=statement.get("label", ""),
        statement_billable_seconds=statement.get("billable_seconds"),
    )


def _organisation_month(values: dict) -> tuple[int, datetime.date]:
    return values["ticket__organisation_id"], month_of(values["month"])


def hours_billed(*, period: Period, organisation: Organisation | None = None) -> HoursReport:
    """Logged time per organisation and month, beside the month's statement if any.

    Three queries: the time entries grouped by organisation and month, the tickets worked
    in the whole period (a ticket worked in two months is one ticket), the statements.
    """
    entries = TimeEntry.objects.filter(
        started_at__gte=period.start, started_at__lt=period.end
    )
    statements = Statement.objects.filter(month__gte=period.first, month__lte=period.last)
    if organisation is not None:
        entries = entries.filter(ticket__organisation=organisation)
        statements = statements.filter(organisation=organisation)
    issued = {
        (values["organisation_id"], values["month"]): values
        for values in statements.values("organisation_id", "month", "status", "billable_seconds")
    }
    for values in issued.values():
        values["label"] = StatementStatus(values["status"]).label
    rows = [
        _hours_figures(values, issued.get(_organisation_month(values), {}))
        for values in entries.annotate(month=TruncMonth("started_at", tzinfo=period.tz))
        .values("ticket__organisation_id", "ticket__organisation__name", "month")
        .annotate(**_hours_aggregates())
        .order_by("ticket__organisation__name", "ticket__organisation_id", "month")
    ]
    per_month = {month: HoursFigures(month=month) for month in period.months()}
    total = HoursFigures()
    for row in rows:
        per_month[row.month].add(row)
        total.add(row)
    total.tickets = entries.aggregate(tickets=Count("ticket_id", distinct=True))["tickets"]
    return HoursReport(period=period, rows=rows, months=list(per_month.values()), total=total)


# --- satisfaction --------------------------------------------------------------------

SCORES = (1, 2, 3, 4, 5)


@dataclass
class SatisfactionFigures:
    """The ratings of a group (an organisation, a month, an agent, the period): how many,
    their average, and how many gave each score. They add up, so the groups are summed
    from one query."""

    organisation_id: int | None = None
    organisation: str = ""
    month: datetime.date | None = None
    agent_id: int | None = None
    agent: str = ""
    rated: int = 0
    score_sum: int = 0
    by_score: dict = field(default_factory=dict)

    @property
    def average(self) -> float | None:
        return None if not self.rated else self.score_sum / self.rated

    @property
    def score_counts(self) -> list[int]:
        """Counts of 1 … 5 (for table columns)."""
        return [self.by_score.get(score, 0) for score in SCORES]

    @property
    def satisfied_percent(self) -> float | None:
        """Share of ratings of 4 or 5."""
        return _percent(self.by_score.get(4, 0) + self.by_score.get(5, 0), self.rated)

    def add(self, other: "SatisfactionFigures") -> None:
        self.rated += other.rated
        self.score_sum += other.score_sum
        for score, count in other.by_score.items():
            self.by_score[score] = self.by_score.get(score, 0) + count


@dataclass
class SatisfactionReport:
    period: Period
    rows: list[SatisfactionFigures]  # per organisation, month and agent (the CSV)
    months: list[SatisfactionFigures]  # every month of the period, empty ones included
    organisations: list[SatisfactionFigures]
    agents: list[SatisfactionFigures]
    total: SatisfactionFigures


def _score_alias(score: int) -> str:
    return f"score_{score}"


def satisfaction(*, period: Period, organisation: Organisation | None = None) -> SatisfactionReport:
    """Satisfaction ratings per organisation, month (of the rating, in the calendar's
    time zone) and agent (who resolved the ticket). One query; the rest is summed."""
    ratings = SatisfactionRating.objects.filter(
        score__isnull=False, rated_at__gte=period.start, rated_at__lt=period.end
    )
    if organisation is not None:
        ratings = ratings.filter(ticket__organisation=organisation)
    aggregates = {"rated": Count("id"), "score_sum": Sum("score")}
    for score in SCORES:
        aggregates[_score_alias(score)] = Count("id", filter=Q(score=score))
    grouped = (
        ratings.annotate(month=TruncMonth("rated_at", tzinfo=period.tz))
        .values(
            "ticket__organisation_id", "ticket__organisation__name", "month", "agent_id",
            "agent__full_name", "agent__email",
        )
        .annotate(**aggregates)
        .order_by("ticket__organisation__name", "ticket__organisation_id", "month",
                  "agent__full_name", "agent_id")
    )
    rows = [
        SatisfactionFigures(
            organisation_id=values["ticket__organisation_id"],
            organisation=values["ticket__organisation__name"],
            month=month_of(values["month"]),
            agent_id=values["agent_id"],
            agent=values["agent__full_name"] or values["agent__email"] or "",
            rated=values["rated"],
            score_sum=values["score_sum"] or 0,
            by_score={score: values[_score_alias(score)] for score in SCORES},
        )
        for values in grouped
    ]
    per_month = {month: SatisfactionFigures(month=month) for month in period.months()}
    per_organisation: dict[int, SatisfactionFigures] = {}
    per_agent: dict[int | None, SatisfactionFigures] = {}
    total = SatisfactionFigures()
    for row in rows:
        per_month[row.month].add(row)
        per_organisation.setdefault(
            row.organisation_id,
            SatisfactionFigures(organisation_id=row.organisation_id, organisation=row.organisation),
        ).add(row)
        per_agent.setdefault(
            row.agent_id, SatisfactionFigures(agent_id=row.agent_id, agent=row.agent)
        ).add(row)
        total.add(row)
    agents = sorted(per_agent.values(), key=lambda f: (f.agent_id is None, f.agent.lower()))
    return SatisfactionReport(
        period=period,
        rows=rows,
        months=list(per_month.values()),
        organisations=list(per_organisation.values()),
        agents=agents,
        total=total,
    )
