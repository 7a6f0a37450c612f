"""Seed a benchmark database with N realistic tickets (run on demand).

    .venv/bin/python benchmarks/seed.py [--tickets 100000] [--reset]

The database is ``DATABASE_URL`` (default: the ``helpdesk_bench100k`` database on the
local PostgreSQL); it is created if missing and migrated. A database already seeded with
N tickets is reused; one holding a different number is refused unless ``--reset``, which
drops and recreates it (only databases whose name starts with ``helpdesk_bench``).

What goes in: 20 customer organisations with their employees and representatives, 20
agents and 2 managers, tickets of every type, priority and state filed over the last two
years (about a fifth still open), about three comments each (some internal notes), the
ticket history and the SLA trail. Subjects and descriptions come from a support-desk
vocabulary in English and Russian; "invoice" is in about 15 % of the tickets.

Everything goes in through ``bulk_create`` of the models, so a new field with a default
cannot break it; the derived fields are computed by the project's own code: numbers in
the format and counter of filing, deadlines and SLA states replayed by ``sla.services``
on the business calendar, auto-close moments by ``tickets.deadlines``. Search documents
are PostgreSQL's (indexes or generated columns fill themselves).
"""

import argparse
import contextlib
import datetime
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PASSWORD = "bench-pass-2026"
ORGANISATIONS = 20
EMPLOYEES_PER_ORG = 8
REPRESENTATIVES_PER_ORG = 2
AGENTS = 20
MANAGERS = 2
BATCH = 5000
DAYS = 730
FILING_PREFIX = "Benchmark filing"  # subjects of the tickets pages_bench.py files
# (status, share); "resolved" counts as open, so about 21 % of tickets are open.
STATUS_SHARES = (
    ("new", 0.05),
    ("in_progress", 0.08),
    ("waiting_for_customer", 0.04),
    ("resolved", 0.04),
    ("closed", 0.71),
    ("rejected", 0.08),
)
TYPE_SHARES = (
    ("incident", 0.55),
    ("consultation", 0.25),
    ("change_request", 0.12),
    ("update_installation", 0.08),
)
INCIDENT_PRIORITIES = ((1, 0.05), (2, 0.2), (3, 0.6), (4, 0.15))
COMPANIES = (
    "Northwind Traders", "Contoso Energy", "Fabrikam Utilities", "Tailspin Telecom",
    "Adventure Works", "Wide World Importers", "Litware Water", "Proseware Gas",
    "Woodgrove Power", "Lucerne Heating", "ООО Теплосеть", "АО Водоканал Север",
    "ООО Горэнергосбыт", "АО Связь-Регион", "ООО ТеплоЮг", "МУП Водоснабжение",
    "ООО Энергия Плюс", "АО Газсервис", "ООО Сетевая компания", "ПАО Региональные сети",
)


def database_settings():
    from django.conf import settings

    return settings.DATABASES["default"]


def ensure_database(*, reset: bool) -> None:
    from _database import ensure_database as ensure

    ensure(reset=reset, droppable_prefix="helpdesk_bench")


def pick(rnd: random.Random, shares) -> str:
    x, total = rnd.random(), 0.0
    for value, share in shares:
        total += share
        if x < total:
            return value
    return shares[-1][0]


# --- people --------------------------------------------------------------------------


def seed_people(rnd: random.Random) -> dict:
    """Organisations and accounts (all with the same password)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import CONTRACTOR_ROLES, Organisation, Role, User

    today = datetime.date.today()
    Organisation.objects.bulk_create([
        Organisation(
            name=name,
            contract_number=f"SM-{2020 + i % 5}-{i + 1:03d}",
            contract_start=today - datetime.timedelta(days=DAYS + 365),
            contract_end=today + datetime.timedelta(days=365),
        )
        for i, name in enumerate(COMPANIES[:ORGANISATIONS])
    ])
    organisations = list(Organisation.objects.order_by("id"))
    password = make_password(PASSWORD)
    people = []

    def person(email, name, role, organisation=None, language="en"):
        people.append(User(
            email=email, full_name=name, role=role, organisation=organisation,
            language=language, password=password, is_staff=role in CONTRACTOR_ROLES,
        ))

    for i in range(AGENTS):
        person(f"agent{i + 1:02d}@vendor.example", f"Agent {i + 1:02d}", Role.AGENT)
    for i in range(MANAGERS):
        person(f"manager{i + 1}@vendor.example", f"Manager {i + 1}", Role.MANAGER)
    for o, organisation in enumerate(organisations):
        language = "ru" if o >= 10 else "en"
        domain = f"org{o + 1:02d}.example"
        for i in range(REPRESENTATIVES_PER_ORG):
            person(f"rep{i + 1}@{domain}", f"Representative {i + 1} of {organisation.name}",
                   Role.CUSTOMER_REPRESENTATIVE, organisation, language)
        for i in range(EMPLOYEES_PER_ORG):
            person(f"user{i + 1:02d}@{domain}", f"Employee {i + 1:02d} of {organisation.name}",
                   Role.CUSTOMER_EMPLOYEE, organisation, language)
    User.objects.bulk_create(people)
    users = list(User.objects.order_by("id"))
    return {
        "organisations": organisations,
        "agents": [u for u in users if u.role == Role.AGENT],
        "managers": [u for u in users if u.role == Role.MANAGER],
        "customers": {
            o.pk: [u for u in users if u.organisation_id == o.pk] for o in organisations
        },
    }


# --- tickets ---------------------------------------------------------------------------


class Clock:
    """The project's SLA arithmetic, done in memory for a batch (``sla.services``)."""

    def __init__(self):
        from sla import services as sla
        from tickets import deadlines

        self.sla = sla
        self.deadlines = deadlines
        self.calendar = sla.current_calendar()
        self.targets = {p: sla.targets_for(p) for p in (1, 2, 3, 4)}

    def after(self, moment, hours: float):
        return self.calendar.add(moment, datetime.timedelta(hours=hours))


def plan_ticket(rnd, words, clock, people, now, index, count):
    """One ticket's fields, its story (comments, history, SLA trail) as model objects."""
    from sla.models import SlaEvent, SlaEventKind, SlaState
    from tickets.models import Comment, EventKind, Ticket, TicketEvent

    status = pick(rnd, STATUS_SHARES)
    kind = pick(rnd, TYPE_SHARES)
    priority = int(pick(rnd, INCIDENT_PRIORITIES)) if kind == "incident" else 3
    # Tickets are filed in order over two years; open ones are mostly recent.
    created = now - datetime.timedelta(days=DAYS) * (1 - (index + rnd.random()) / count)
    if status in ("new", "in_progress", "waiting_for_customer", "resolved"):
        created = max(created, now - datetime.timedelta(days=rnd.choice((3, 14, 45, 90))))
        created = min(created, now - datetime.timedelta(minutes=rnd.randint(5, 600)))
    organisation = rnd.choice(people["organisations"])
    requester = rnd.choice(people["customers"][organisation.pk])
    agent = rnd.choice(people["agents"])
    language, subject, body = words.ticket()
    targets = clock.targets[priority]
    ticket = Ticket(
        organisation=organisation, requester=requester, subject=subject, body=body,
        type=kind, priority=priority, status=status, created_at=created,
        channel=rnd.choice(("web", "web", "web", "email", "phone")),
    )
    events = [TicketEvent(actor=requester, kind=EventKind.FILED, new_value="new",
                          created_at=created)]
    trail = [SlaEvent(kind=SlaEventKind.STARTED, at=created)]
    comments = []

    def step(old, new, at, actor):
        events.append(TicketEvent(actor=actor, kind=EventKind.STATUS, old_value=old,
                                  new_value=new, created_at=at))

    def talk(at, actor, text, internal=False):
        comments.append(Comment(author=actor, body=text, is_internal=internal, created_at=at))

    # The story, each step later than the one before, none after now.
    t = created
    accepted = None
    if status != "new" and not (status == "rejected" and rnd.random() < 0.5):
        accepted = min(clock.after(t, rnd.uniform(0.1, targets.reaction.total_seconds() / 2600)),
                       now)
        ticket.assignee, ticket.first_accepted_at = agent, accepted
        events.append(TicketEvent(actor=agent, kind=EventKind.ASSIGNEE,
                                  new_value=agent.full_name, created_at=accepted))
        step("new", "in_progress", accepted, agent)
        t = accepted
    replies = max(0, int(rnd.gauss(3, 1.2)))
    for i in range(replies):
        t = min(clock.after(t, rnd.uniform(0.2, 6)), now)
        if i % 2 == 0 and accepted:
            internal = rnd.random() < 0.25
            talk(t, agent, words.note() if internal else words.reply(language), internal)
        else:
            talk(t, requester, words.reply(language))
    end = min(clock.after(t, rnd.uniform(0.5, 30)), now)
    if status == "waiting_for_customer":
        ticket.waiting_since = end
        step("in_progress", status, end, agent)
        trail.append(SlaEvent(kind=SlaEventKind.PAUSED, at=end))
    elif status in ("resolved", "closed"):
        ticket.resolved_at = end
        step("in_progress", "resolved", end, agent)
        trail.append(SlaEvent(kind=SlaEventKind.STOPPED, at=end))
        if status == "closed":
            ticket.closed_at = min(clock.after(end, rnd.uniform(1, 45)), now)
            step("resolved", "closed", ticket.closed_at, requester)
    elif status == "rejected":
        ticket.rejected_at = end
        ticket.reject_reason = "Not covered by the support contract."
        step("in_progress" if accepted else "new", status, end, agent)
        trail.append(SlaEvent(kind=SlaEventKind.STOPPED, at=end))

    # Reaction: the deadline from filing; accepting is the reaction (met or breached).
    reaction = clock.sla.replay(trail[:1], targets.reaction, clock.calendar)
    ticket.reaction_due, ticket.reaction_risk_at = reaction.due, reaction.risk_at
    if accepted:
        met = accepted <= reaction.due
        ticket.reaction_state = SlaState.MET if met else SlaState.BREACHED
        ticket.reaction_business_seconds = int(
            clock.calendar.between(created, accepted).total_seconds())
        trail.append(SlaEvent(
            kind=SlaEventKind.REACTION_MET if met else SlaEventKind.REACTION_BREACHED,
            at=accepted, business_seconds=ticket.reaction_business_seconds, due=reaction.due,
        ))
    elif status == "rejected":
        ticket.reaction_state = SlaState.STOPPED
    else:
        ticket.reaction_state = _live_state(reaction, now)
        if ticket.reaction_state == SlaState.BREACHED:
            trail.append(SlaEvent(kind=SlaEventKind.REACTION_BREACHED, at=reaction.due,
                                  due=reaction.due))

    # Resolution: replay the trail; a stop records met or breached against the deadline
    # in force before it (``sla.services.sla_stop``).
    clock_events = [e for e in trail if e.kind in clock.sla.CLOCK_EVENTS]
    resolution = clock.sla.replay(clock_events, targets.resolution, clock.calendar)
    ticket.resolution_risk_at = resolution.risk_at
    ticket.resolution_left_seconds = int(resolution.left.total_seconds())
    ticket.resolution_due = resolution.due
    if status in ("resolved", "closed"):
        running = clock.sla.replay(clock_events[:-1], targets.resolution, clock.calendar)
        ticket.resolution_due = running.due
        met = end <= running.due
        ticket.resolution_state = SlaState.MET if met else SlaState.BREACHED
        trail.append(SlaEvent(
            kind=SlaEventKind.RESOLUTION_MET if met else SlaEventKind.RESOLUTION_BREACHED,
            at=end, due=running.due,
        ))
    elif status == "rejected":
        ticket.resolution_state = SlaState.STOPPED
    elif status == "waiting_for_customer":
        ticket.resolution_state = SlaState.PAUSED
    else:
        ticket.resolution_state = _live_state(resolution, now)
        if ticket.resolution_state == SlaState.BREACHED:
            trail.append(SlaEvent(kind=SlaEventKind.RESOLUTION_BREACHED, at=resolution.due,
                                  due=resolution.due))
    ticket.updated_at = max(m for m in (t, ticket.waiting_since, ticket.resolved_at,
                                        ticket.closed_at, ticket.rejected_at) if m)
    if status == "resolved":
        ticket.auto_close_warn_at, ticket.auto_close_at = clock.deadlines.auto_close_moments(
            ticket, clock.calendar)
    return ticket, comments, events, trail


def _live_state(clock, now) -> str:
    """What the minute sweep has made of a running clock by now."""
    from sla.models import SlaState

    if clock.due is not None and clock.due <= now:
        return SlaState.BREACHED
    if clock.risk_at is not None and clock.risk_at <= now:
        return SlaState.AT_RISK
    return SlaState.RUNNING


def seed_tickets(count: int, people: dict, rnd: random.Random) -> None:
    from django.utils import timezone
    from vocabulary import Words

    from tickets.models import TicketNumberCounter

    words, clock, now = Words(rnd), Clock(), timezone.now()
    last = {}  # year -> last number handed out, as TicketNumberCounter keeps it
    started = time.perf_counter()
    with search_indexes_deferred(), updated_at_as_given():
        for first in range(0, count, BATCH):
            _seed_batch(first, count, rnd, words, clock, people, now, last, started)
    TicketNumberCounter.objects.bulk_create(
        [TicketNumberCounter(year=year, last=n) for year, n in last.items()],
        update_conflicts=True, unique_fields=["year"], update_fields=["last"],
    )


def _seed_batch(first, count, rnd, words, clock, people, now, last, started) -> None:
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from sla.models import SlaEvent
    from tickets.models import Comment, Ticket, TicketEvent

    planned = [
        plan_ticket(rnd, words, clock, people, now, i, count)
        for i in range(first, min(first + BATCH, count))
    ]
    planned.sort(key=lambda p: p[0].created_at)
    for ticket, *_ in planned:
        year = timezone.localtime(ticket.created_at).year
        last[year] = last.get(year, 0) + 1
        ticket.number = f"{settings.TICKET_NUMBER_PREFIX}-{year}-{last[year]:05d}"
    with transaction.atomic():
        Ticket.objects.bulk_create([p[0] for p in planned])
        comments, events, trail = [], [], []
        for ticket, ticket_comments, ticket_events, ticket_trail in planned:
            for item in ticket_comments + ticket_events + ticket_trail:
                item.ticket = ticket
            comments += ticket_comments
            events += ticket_events
            trail += ticket_trail
        Comment.objects.bulk_create(comments, batch_size=BATCH)
        TicketEvent.objects.bulk_create(events, batch_size=BATCH)
        SlaEvent.objects.bulk_create(trail, batch_size=BATCH)
    done = first + len(planned)
    if done % 50_000 == 0 or done == count:
        print(f"  {done:,} tickets, {time.perf_counter() - started:.0f} s", flush=True)


@contextlib.contextmanager
def updated_at_as_given():
    """``Ticket.updated_at`` is auto_now, which would stamp every seeded ticket with the
    moment of seeding; while seeding, it keeps the moment of the ticket's last step."""
    from tickets.models import Ticket

    field = Ticket._meta.get_field("updated_at")
    saved = field.auto_now
    field.auto_now = False
    try:
        yield
    finally:
        field.auto_now = saved


@contextlib.contextmanager
def search_indexes_deferred():
    """Build the tickets' GIN/GiST indexes (the search document, trigrams) once at the
    end instead of row by row: they are dropped and recreated from their own stored
    definitions, whatever the migrations made them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename = 'tickets_ticket' AND indexdef ~ ' USING (gin|gist) '"
        )
        deferred = cursor.fetchall()
        for name, _ in deferred:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # Inside a caller's transaction (the tests), deferred foreign-key checks must
            # run before an index can be built on the table.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _, definition in deferred:
                cursor.execute(definition)
        if deferred:
            print(f"  {len(deferred)} search indexes built in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)


def seeded_count() -> int:
    """Tickets seeded, not counting those pages_bench.py has filed since."""
    from tickets.models import Ticket

    return Ticket.objects.exclude(subject__startswith=FILING_PREFIX).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/helpdesk_bench100k"
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    name = database_settings()["NAME"]
    ensure_database(reset=args.reset)
    call_command("migrate", verbosity=0)
    have = seeded_count()
    if have == args.tickets:
        print(f"{name}: reusing {have:,} tickets (--reset to seed again)")
        return
    if have:
        sys.exit(f"{name} holds {have:,} tickets, not {args.tickets:,}: use --reset")
    print(f"{name}: seeding {args.tickets:,} tickets …", flush=True)
    started = time.perf_counter()
    rnd = random.Random(args.seed)  # noqa: S311 - test data, not secrets
    people = seed_people(rnd)
    seed_tickets(args.tickets, people, rnd)
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {args.tickets:,} tickets in {seeded:.1f} s "
          f"(with ANALYZE {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
