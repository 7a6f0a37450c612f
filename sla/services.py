"""The SLA clock: start, pause, resume, stop, recalculate, and the sweeps.

Semantics (also in the README):
- Reaction clock: starts when the ticket is filed; the contractor's first acceptance
  stops it for good and records met or breached and the business time it took. It never
  pauses (a ticket cannot wait for the customer before it is accepted).
- Resolution clock: starts at filing; pauses while the ticket waits for the customer and
  resumes with the business time that was left; stops at "resolved" (met or breached)
  and at rejection or duplicate-closing (no outcome); reopening resumes it.
- Deadlines are always derived by replaying the ticket's clock events (started, paused,
  resumed, stopped) against the targets and the calendar, so a policy or calendar
  change recomputes them exactly, pauses included.

This module knows no ticket states. The ticket's use cases (``tickets.services``) call
the hook of what happened: ``sla_start`` when filed (before the INSERT; ``sla_started``
after it), ``sla_record_reaction`` when first accepted, ``sla_pause`` / ``sla_resume`` /
``sla_stop``; the sweep and the recalculation are given the tickets to look at
(``tickets.deadlines``).
"""

import datetime
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from sla.calendar import BusinessCalendar
from sla.models import (
    CLOCK_EVENTS,
    DEFAULT_TARGETS,
    LIVE_SLA_STATES,
    CalendarOverride,
    ClockWindow,
    Priority,
    RecalculationRequest,
    SlaEvent,
    SlaEventKind,
    SlaPolicy,
    SlaState,
)
from sla.windows import WindowedCalendar

ZERO = datetime.timedelta(0)
logger = logging.getLogger(__name__)


# --- the calendar and the targets --------------------------------------------------


def current_calendar() -> BusinessCalendar:
    """The site's calendar: settings plus the managers' overrides (one small query)."""
    overrides = tuple(
        CalendarOverride.objects.order_by("date").values_list("date", "kind", "start", "end")
    )
    return _calendar(overrides)


@functools.lru_cache(maxsize=8)
def _calendar(overrides: tuple) -> BusinessCalendar:
    from sla.calendar import calendar_from_settings

    return calendar_from_settings(overrides)


def calendar_for(ticket):
    """The ticket's calendar: the site's, plus its around-the-clock windows (approved
    out-of-hours work), in which the clock runs around the clock."""
    base = current_calendar()
    windows = list(ClockWindow.objects.filter(ticket_id=ticket.pk).values_list("start", "end"))
    return WindowedCalendar(base, windows) if windows else base


def sla_window_add(
    *, ticket, start: datetime.datetime, end: datetime.datetime, note: str = ""
) -> None:
    """Out-of-hours work approved by both parties: from ``start`` to ``end`` the ticket's
    clock runs around the clock. The caller holds the ticket's row lock."""
    _, created = ClockWindow.objects.get_or_create(ticket_id=ticket.pk, start=start, end=end)
    if created:
        sla_recalculate(ticket=ticket, note=note)


@dataclass(frozen=True)
class Targets:
    reaction: datetime.timedelta
    resolution: datetime.timedelta


def _hours(value: Decimal) -> datetime.timedelta:
    return datetime.timedelta(seconds=int(Decimal(value) * 3600))


def targets_for(priority: int) -> Targets:
    """The policy of the ticket's priority (non-Incidents are Normal already)."""
    policy = SlaPolicy.objects.filter(priority=priority).first()
    if policy is None:
        reaction, resolution = DEFAULT_TARGETS[Priority(priority)]
    else:
        reaction, resolution = policy.reaction_hours, policy.resolution_hours
    return Targets(reaction=_hours(reaction), resolution=_hours(resolution))


def _at_risk_part(target: datetime.timedelta) -> datetime.timedelta:
    """The share of a target after which the ticket is at risk (75 % by default)."""
    return datetime.timedelta(seconds=int(target.total_seconds() * settings.SLA_AT_RISK_SHARE))


# --- replaying the trail -----------------------------------------------------------


@dataclass
class Clock:
    due: datetime.datetime | None
    risk_at: datetime.datetime | None
    left: datetime.timedelta
    running: bool
    # Crossed during an earlier running span (before a pause): already recorded then.
    risk_earlier: bool = False
    breached_earlier: bool = False


def replay(events, target: datetime.timedelta, calendar: BusinessCalendar) -> Clock:
    """Walk the clock events; find when the target and its at-risk share are reached."""
    risk_target = _at_risk_part(target)
    used, since = ZERO, None
    due = risk_at = None
    for event in events:
        if event.kind in (SlaEventKind.STARTED, SlaEventKind.RESUMED):
            if since is None:
                since = event.at
        elif since is not None:  # paused or stopped
            span = calendar.between(since, event.at)
            due = due or _crossing(calendar, since, used, span, target)
            risk_at = risk_at or _crossing(calendar, since, used, span, risk_target)
            used, since = used + span, None
    clock = Clock(
        due=due,
        risk_at=risk_at,
        left=target - used,
        running=since is not None,
        risk_earlier=risk_at is not None,
        breached_earlier=due is not None,
    )
    if since is not None:
        clock.due = due or calendar.add(since, target - used)
        clock.risk_at = risk_at or calendar.add(since, risk_target - used)
    return clock


def _crossing(calendar, since, used, span, target):
    """The moment within a finished running span at which `target` was used up, if any."""
    if used <= target < used + span:
        return calendar.add(since, target - used)
    return None


def _clock_events(ticket) -> list:
    return list(ticket.sla_events.filter(kind__in=CLOCK_EVENTS).order_by("at", "id"))


# --- hooks called from the ticket signals ------------------------------------------


def _record(
    ticket, kind, *, at, business_seconds=None, due=None, note="", target_seconds=None
) -> SlaEvent:
    return SlaEvent.objects.create(
        ticket=ticket, kind=kind, at=at, business_seconds=business_seconds, due=due, note=note,
        target_seconds=target_seconds,
    )


def sla_start(*, ticket, at: datetime.datetime) -> None:
    """Filing starts both clocks: the deadlines of a ticket not saved yet, so that they
    go in with its INSERT (a new ticket has no windows and no trail but this start, so
    nothing else is read). The caller saves it, then calls ``sla_started``."""
    if ticket.pk is not None:
        raise ValueError("sla_start is for a ticket not saved yet")
    _set_deadlines(
        ticket, now=at, calendar=current_calendar(), targets=targets_for(ticket.priority),
        events=[SlaEvent(kind=SlaEventKind.STARTED, at=at)],
    )


def sla_started(*, ticket, at: datetime.datetime) -> None:
    """The start event of a ticket that ``sla_start`` gave its deadlines, once saved."""
    _record(ticket, SlaEventKind.STARTED, at=at)


def sla_pause(*, ticket, at: datetime.datetime) -> None:
    """Waiting for the customer pauses the resolution clock."""
    _record(ticket, SlaEventKind.PAUSED, at=at)
    _apply(ticket, now=at)


def sla_resume(*, ticket, at: datetime.datetime) -> None:
    """The customer's reply (or a reopen) resumes it with the time that was left."""
    _record(ticket, SlaEventKind.RESUMED, at=at)
    _apply(ticket, now=at)


def sla_record_reaction(*, ticket, at: datetime.datetime) -> None:
    """The first acceptance is the reaction: met or breached, and how long it took."""
    if (
        ticket.reaction_state in (SlaState.MET, SlaState.BREACHED)
        and ticket.reaction_business_seconds
    ):
        return
    calendar = calendar_for(ticket)
    took = int(calendar.between(ticket.created_at, at).total_seconds())
    met = ticket.reaction_due is not None and at <= ticket.reaction_due
    already_breached = ticket.sla_events.filter(kind=SlaEventKind.REACTION_BREACHED).exists()
    if not already_breached:
        kind = SlaEventKind.REACTION_MET if met else SlaEventKind.REACTION_BREACHED
        _record(ticket, kind, at=at, business_seconds=took, due=ticket.reaction_due)
    ticket.reaction_state = SlaState.MET if met and not already_breached else SlaState.BREACHED
    ticket.reaction_business_seconds = took
    ticket.save(update_fields=["reaction_state", "reaction_business_seconds"])


def sla_stop(*, ticket, at: datetime.datetime, outcome: bool) -> None:
    """Resolved stops the clock with an outcome; rejection or duplicate without one."""
    due = ticket.resolution_due  # the deadline in force until now
    _record(ticket, SlaEventKind.STOPPED, at=at)
    _apply(ticket, now=at)
    if not outcome:
        if ticket.reaction_state in LIVE_SLA_STATES:  # rejected before anyone accepted it
            ticket.reaction_state = SlaState.STOPPED
            ticket.save(update_fields=["reaction_state"])
        return
    # The business time the clock ran, and the target it ran against (today's policy).
    target = int(targets_for(ticket.priority).resolution.total_seconds())
    took = {"business_seconds": target - ticket.resolution_left_seconds, "target_seconds": target}
    if due is not None and at > due:
        breach = _breach_recorded_since_start(ticket)
        if breach is None:
            _record(ticket, SlaEventKind.RESOLUTION_BREACHED, at=at, due=due, **took)
        else:  # the sweep recorded the crossing; the resolution time is known only now
            SlaEvent.objects.filter(pk=breach).update(**took)
        ticket.resolution_state = SlaState.BREACHED
    else:
        _record(ticket, SlaEventKind.RESOLUTION_MET, at=at, due=due, **took)
        ticket.resolution_state = SlaState.MET
    ticket.resolution_due = due
    ticket.save(update_fields=["resolution_state", "resolution_due"])


def _breach_recorded_since_start(ticket) -> int | None:
    """The resolution breach the sweep recorded in this run of the clock (its id), if any."""
    last_resume = (
        ticket.sla_events.filter(kind__in=[SlaEventKind.RESUMED, SlaEventKind.STARTED])
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    return (
        ticket.sla_events.filter(
            kind=SlaEventKind.RESOLUTION_BREACHED, at__gte=last_resume or ticket.created_at
        )
        .values_list("pk", flat=True)
        .first()
    )


def sla_recalculate(*, ticket, note: str = "") -> None:
    """Recompute the deadlines from the trail (after a policy, priority or calendar change)."""
    old = (ticket.reaction_due, ticket.resolution_due)
    _apply(ticket, now=timezone.now())
    if (ticket.reaction_due, ticket.resolution_due) != old:
        _record(
            ticket,
            SlaEventKind.RECALCULATED,
            at=timezone.now(),
            due=ticket.resolution_due,
            note=note,
        )


def _apply(ticket, *, now: datetime.datetime) -> None:
    """Store the deadlines and states the trail implies."""
    fields = _set_deadlines(
        ticket, now=now, calendar=calendar_for(ticket), targets=targets_for(ticket.priority),
        events=_clock_events(ticket),
    )
    ticket.save(update_fields=fields)


def _set_deadlines(ticket, *, now, calendar, targets: Targets, events: list) -> list[str]:
    """Set the deadlines and states the trail implies; returns the fields it set."""
    fields = ["resolution_due", "resolution_risk_at", "resolution_state", "resolution_left_seconds"]
    if ticket.reaction_state in LIVE_SLA_STATES:
        started = events[0].at if events else ticket.created_at
        ticket.reaction_due = calendar.add(started, targets.reaction)
        ticket.reaction_risk_at = calendar.add(started, _at_risk_part(targets.reaction))
        fields += ["reaction_due", "reaction_risk_at"]
    clock = replay(events, targets.resolution, calendar)
    paused = bool(events) and events[-1].kind == SlaEventKind.PAUSED
    ticket.resolution_due, ticket.resolution_risk_at = clock.due, clock.risk_at
    ticket.resolution_left_seconds = int(clock.left.total_seconds())
    ticket.resolution_state = _resolution_state(ticket, clock, now, paused=paused)
    return fields


def _resolution_state(ticket, clock: Clock, now, *, paused: bool) -> str:
    """The state the trail implies. Crossings while running are left to the sweep, which
    records them as events; crossings before a pause were recorded back then."""
    previous = ticket.resolution_state
    if not clock.running:
        if paused:
            return SlaState.PAUSED
        return previous if previous in (SlaState.MET, SlaState.BREACHED) else SlaState.STOPPED
    if clock.breached_earlier:
        return SlaState.BREACHED
    if clock.risk_earlier:
        return SlaState.AT_RISK
    if previous == SlaState.AT_RISK and clock.risk_at and now >= clock.risk_at:
        return SlaState.AT_RISK
    if previous == SlaState.BREACHED and clock.due and now >= clock.due:
        return SlaState.BREACHED
    return SlaState.RUNNING


# --- sweeps ------------------------------------------------------------------------

SWEEPS = (
    # (state column, moment column, from states, to state, event)
    ("reaction_state", "reaction_risk_at", ("running",), "at_risk", SlaEventKind.REACTION_AT_RISK),
    (
        "reaction_state",
        "reaction_due",
        ("running", "at_risk"),
        "breached",
        SlaEventKind.REACTION_BREACHED,
    ),
    (
        "resolution_state",
        "resolution_risk_at",
        ("running",),
        "at_risk",
        SlaEventKind.RESOLUTION_AT_RISK,
    ),
    (
        "resolution_state",
        "resolution_due",
        ("running", "at_risk"),
        "breached",
        SlaEventKind.RESOLUTION_BREACHED,
    ),
)


def sla_sweep(
    *,
    table: str,
    now: datetime.datetime | None = None,
    on_recorded: Callable[[str, list[int]], None] | None = None,
) -> dict[str, int]:
    """Mark tickets at risk or breached: one indexed UPDATE … RETURNING per rule.

    The UPDATE is the compare-and-swap: a row changes only if it is still in the old
    state, so two overlapping sweeps record each event once. ``on_recorded(kind, ids)``
    runs in the same transaction (the ticket layer writes its mail there).
    """
    now = now or timezone.now()
    counts = {}
    for state_col, moment_col, old_states, new_state, kind in SWEEPS:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                changed = _swap_and_record(
                    table, state_col, moment_col, old_states, new_state, kind, now
                )
            else:
                swapped = _swap(table, state_col, moment_col, old_states, new_state, now)
                SlaEvent.objects.bulk_create(
                    [SlaEvent(ticket_id=pk, kind=kind, at=now, due=due) for pk, due in swapped],
                    ignore_conflicts=True,
                )
                changed = [pk for pk, _due in swapped]
            if changed and on_recorded is not None:
                on_recorded(kind, changed)
        counts[kind] = len(changed)
    return counts


def _swap_and_record(table, state_col, moment_col, old_states, new_state, kind, now) -> list:
    """PostgreSQL: the compare-and-swap and its events in one statement (a data-modifying
    WITH), so that marking thousands of tickets builds no event rows in Python. The
    events' columns are the model's: those not given take their field's default."""
    given = {"ticket_id": ("id", None), "due": ("due", None), "kind": ("%s", kind),
             "at": ("%s", now)}
    columns, values, row_params = [], [], []
    for field in SlaEvent._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        value, param = given.get(field.column, ("%s", field.get_default()))
        values.append(value)
        if value == "%s":
            row_params.append(field.get_db_prep_save(param, connection))
    update, params = _swap_sql(table, state_col, moment_col, old_states, new_state, now)
    # Table and column names come from the constant table above and from the model.
    sql = (
        f"WITH changed AS ({update}), "  # noqa: S608
        f"recorded AS (INSERT INTO {SlaEvent._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM changed ON CONFLICT DO NOTHING) "
        "SELECT id FROM changed"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *row_params])
        return [pk for (pk,) in cursor.fetchall()]


def _swap_sql(table, state_col, moment_col, old_states, new_state, now) -> tuple[str, list]:
    """The compare-and-swap: ``UPDATE … RETURNING id, due``."""
    placeholders = ", ".join(["%s"] * len(old_states))
    # Column names come from the constant table above, never from input.
    sql = (
        f"UPDATE {table} SET {state_col} = %s "  # noqa: S608
        f"WHERE {state_col} IN ({placeholders}) AND {moment_col} <= %s "
        f"RETURNING id, {moment_col} AS due"
    )
    return sql, [new_state, *old_states, now]


def _swap(table, state_col, moment_col, old_states, new_state, now) -> list[tuple]:
    sql, params = _swap_sql(table, state_col, moment_col, old_states, new_state, now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(pk, _aware(moment)) for pk, moment in cursor.fetchall()]


def _aware(moment):
    if isinstance(moment, str):  # SQLite hands back text
        moment = datetime.datetime.fromisoformat(moment)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def sla_recalculate_all(*, tickets: QuerySet, note: str = "") -> int:
    """Recompute the deadlines of these tickets, one locked row at a time."""
    count = 0
    for pk in tickets.values_list("pk", flat=True).iterator(chunk_size=500):
        with transaction.atomic():  # locked, so a concurrent transition is not overwritten
            ticket = tickets.model.objects.select_for_update().get(pk=pk)
            sla_recalculate(ticket=ticket, note=note)
        count += 1
    return count


# The task that works off recalculation requests; named, not imported: it lives with the
# ticket layer, which knows which tickets are open (``tickets.deadlines``).
RECALCULATION_TASK = "tickets.tasks.sla_recalculations_run"


def sla_recalculation_request(*, priority: int | None = None, note: str = "") -> None:
    """Ask for the open tickets' deadlines to be recomputed after this transaction.

    The request is a row of this transaction; a worker is woken after commit, and the
    minute sweep works off whatever is left (the broker may be down)."""
    RecalculationRequest.objects.create(priority=priority, note=note)
    transaction.on_commit(_wake_recalculation)


def _wake_recalculation() -> None:
    from celery import current_app

    try:
        current_app.send_task(RECALCULATION_TASK, ignore_result=True)
    except Exception:  # noqa: BLE001 - the broker may be down: the sweep picks it up
        logger.warning("broker unavailable; the next SLA sweep recalculates", exc_info=True)


def sla_recalculations_pending() -> bool:
    """A recalculation was asked for and nobody has done it yet, nor is doing it: a request
    a worker is working off is row-locked (``sla_recalculations_run``) and skipped here."""
    with transaction.atomic():
        return bool(
            RecalculationRequest.objects.select_for_update(skip_locked=True)
            .filter(done_at__isnull=True)
            .values_list("pk", flat=True)[:1]
        )


def sla_recalculations_run(*, open_tickets: QuerySet) -> int:
    """Work off the pending requests: each recomputes the open tickets (of its priority).
    A request is claimed under a row lock that skips those another worker holds."""
    done = 0
    while True:
        with transaction.atomic():
            request = (
                RecalculationRequest.objects.select_for_update(skip_locked=True)
                .filter(done_at__isnull=True)
                .order_by("requested_at", "id")
                .first()
            )
            if request is None:
                return done
            tickets = open_tickets
            if request.priority is not None:
                tickets = tickets.filter(priority=request.priority)
            request.tickets_done = sla_recalculate_all(tickets=tickets, note=request.note)
            request.done_at = timezone.now()
            request.save(update_fields=["tickets_done", "done_at"])
            done += 1
