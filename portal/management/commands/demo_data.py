"""Demo organisations, people and a few weeks of history, for trying the portal.

Everything is built through the real use cases (``tickets.services``, the billing
services and statements, ``accounts.services``; moderation flags come from the comments
themselves), the way the portal and the admin build them, so the history, the SLA clocks,
the flags and the mail are the real thing. Only the clock is the demo's own: time-machine
moves it to each step of a story, on the business calendar of the last weeks, so that
reactions take varied business hours and some deadlines are missed; the SLA and
auto-close sweeps run at each step, as the worker's beat would have. A finished month
(the previous one) gets its statements at the end, at the real time.

Running the command again changes nothing: it only prints the logins.
"""

import datetime
from pathlib import Path

import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import Organisation, Role, User
from billing import services as billing_services
from billing import statements
from billing.calendar import previous_month
from billing.models import Statement, TimeEntry
from sla.services import current_calendar
from tickets import periodic, rules, services
from tickets.models import (
    LinkKind,
    Macro,
    MacroStatus,
    Priority,
    RatingVia,
    SatisfactionRating,
    Ticket,
    TicketType,
)

PASSWORD = "demo-pass-2026"
FIXTURES = Path(settings.BASE_DIR) / "tests" / "fixtures"
SCREENSHOT = "invoice-run-error.png"
LOG_FILE = "invoice-run-2026-10.log"

NORTHWIND = "Northwind Telecom"
BALTIC = "Baltic Cable Networks"
ORGANISATIONS = {
    NORTHWIND: {
        "contract_number": "NW-2025-014",
        "contract_start": datetime.date(2025, 1, 1),
        "contract_end": datetime.date(2027, 12, 31),
    },
    BALTIC: {
        "contract_number": "BC-2026-003",
        "contract_start": datetime.date(2026, 2, 1),
        "contract_end": None,
    },
}

REP, EMPLOYEE = Role.CUSTOMER_REPRESENTATIVE, Role.CUSTOMER_EMPLOYEE

# key: (e-mail, full name, role, organisation, language)
PEOPLE = {
    "olga": ("rep@northwind.example", "Olga Petrova", REP, NORTHWIND, "en"),
    "anna": ("anna@northwind.example", "Anna Smirnova", EMPLOYEE, NORTHWIND, "en"),
    "boris": ("boris@northwind.example", "Boris Ivanov", EMPLOYEE, NORTHWIND, "ru"),
    "janis": ("rep@baltic.example", "Janis Berzins", REP, BALTIC, "en"),
    "liis": ("liis@baltic.example", "Liis Tamm", EMPLOYEE, BALTIC, "en"),
    "marek": ("marek@baltic.example", "Marek Nowak", EMPLOYEE, BALTIC, "en"),
    "dmitry": ("agent1@vendor.example", "Dmitry Volkov", Role.AGENT, None, "en"),
    "elena": ("agent2@vendor.example", "Elena Sokolova", Role.AGENT, None, "ru"),
    "sergey": ("manager@vendor.example", "Sergey Orlov", Role.MANAGER, None, "en"),
}

INCIDENT = TicketType.INCIDENT
CONSULTATION = TicketType.CONSULTATION
CHANGE_REQUEST = TicketType.CHANGE_REQUEST
UPDATE = TicketType.UPDATE_INSTALLATION


class Command(BaseCommand):
    help = "Create demo organisations, people and tickets (once), then print the logins."

    def handle(self, *args, **options):
        if _already_there():
            self.stdout.write("Demo data is already in the database; nothing was added.")
        else:
            with transaction.atomic():
                with DemoClock() as clock:
                    people = _create_people(clock)
                    _history(clock, people)
                    _satisfaction_ratings(clock, people)
                    _macros()
                _statements(people)
            created = (
                f"Demo data created: {Ticket.objects.count()} tickets, "
                f"{TimeEntry.objects.count()} time entries, "
                f"{Statement.objects.count()} statements."
            )
            self.stdout.write(self.style.SUCCESS(created))
        self._print_logins()

    def _print_logins(self):
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write(f"Portal:   {site}/")
        self.stdout.write(f"Admin:    {site}/admin/   (contractor staff)")
        self.stdout.write(f"Password: {PASSWORD}   (every demo account)")
        self.stdout.write("")
        self.stdout.write(f"{'E-mail':<26} {'Role':<26} Organisation")
        for email, _name, role, organisation, _language in PEOPLE.values():
            who = organisation or "(contractor)"
            self.stdout.write(f"{email:<26} {Role(role).label:<26} {who}")
        self.stdout.write("")
        self.stdout.write(f"Mail sink: {_mail_sink()}")


def _already_there() -> bool:
    emails = [person[0] for person in PEOPLE.values()]
    return (
        Organisation.objects.filter(name__in=ORGANISATIONS).exists()
        or User.objects.filter(email__in=emails).exists()
    )


def _mail_sink() -> str:
    if settings.EMAIL_BACKEND != "notifications.file_backend.EmailBackend":
        host = getattr(settings, "EMAIL_HOST", "")
        return f"{settings.EMAIL_BACKEND} {host}".strip()
    path = Path(settings.EMAIL_FILE_PATH)
    try:
        path = path.relative_to(settings.BASE_DIR)
    except ValueError:
        pass
    return f"{path}/ (one .eml file per message, written by the Celery worker)"


def _macros() -> None:
    """Two canned replies the agents can pick on the ticket page."""
    Macro.objects.create(
        name="Ask for the log and the version",
        body_en=(
            "Hello {{ requester }},\n\nto look into {{ number }} we need the server log of "
            "the failed run and the version of the billing system you use.\n\n{{ agent }}"
        ),
        body_ru=(
            "Здравствуйте, {{ requester }}!\n\nЧтобы разобраться с {{ number }}, пришлите, "
            "пожалуйста, журнал сервера за неудачный запуск и версию биллинга.\n\n{{ agent }}"
        ),
        set_status=MacroStatus.REQUEST_INFO,
        position=1,
    )
    Macro.objects.create(
        name="We are on it",
        body_en=(
            "Hello {{ requester }},\n\nwe have taken {{ number }} and will react by "
            "{{ deadline }}.\n\n{{ agent }}"
        ),
        body_ru=(
            "Здравствуйте, {{ requester }}!\n\nМы взяли {{ number }} в работу и ответим до "
            "{{ deadline }}.\n\n{{ agent }}"
        ),
        set_status=MacroStatus.ACCEPT,
        position=2,
    )


# --- the demo's clock ------------------------------------------------------------------


class DemoClock:
    """Moves the clock (time-machine) to each step of the demo's history, never past the
    real now, and runs the minute rules there: the SLA sweep (at risk, breached) and the
    auto-close sweep, as the worker's beat does.

    ``day(n)`` is the n-th business day before today; ``last_month(n)`` the n-th business
    day of the previous month (the one the statements cover), whatever today is.
    """

    def __init__(self):
        self.real_now = timezone.now()
        self.calendar = current_calendar()
        self.zone = self.calendar.tz
        self.today = self.real_now.astimezone(self.zone).date()
        self.month = previous_month(self.today)
        self._traveller = None

    def __enter__(self) -> "DemoClock":
        self._traveller = time_machine.travel(self.real_now, tick=True)
        self._coordinates = self._traveller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._traveller.stop()

    def day(self, back: int) -> datetime.date:
        day = self.today
        while back > 0:
            day -= datetime.timedelta(days=1)
            if self.calendar.is_business_day(day):
                back -= 1
        return day

    def last_month(self, n: int) -> datetime.date:
        day = self.month
        while not self.calendar.is_business_day(day) or n > 1:
            if self.calendar.is_business_day(day):
                n -= 1
            day += datetime.timedelta(days=1)
        return day

    def moment(self, day: datetime.date, hhmm: str) -> datetime.datetime:
        hour, minute = (int(part) for part in hhmm.split(":"))
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.zone)

    def at(self, day: datetime.date, hhmm: str) -> None:
        """Go to ``hhmm`` (calendar time) on ``day``."""
        self.go(self.moment(day, hhmm))

    def ago(self, **delta) -> None:
        """Go to a moment shortly before the real now (``minutes=40``)."""
        self.go(self.real_now - datetime.timedelta(**delta))

    def go(self, moment: datetime.datetime) -> None:
        if moment > self.real_now:
            raise ValueError(f"The demo's history cannot happen in the future ({moment}).")
        self._coordinates.move_to(moment)
        periodic.sla_sweep()
        periodic.auto_close_sweep()

    def next_saturday(self) -> datetime.date:
        day = self.today + datetime.timedelta(days=1)
        while day.weekday() != 5:
            day += datetime.timedelta(days=1)
        return day


def _create_people(clock: DemoClock) -> dict[str, User]:
    clock.go(clock.moment(clock.month, "09:00") - datetime.timedelta(days=30))
    organisations = {
        name: Organisation.objects.create(name=name, **contract)
        for name, contract in ORGANISATIONS.items()
    }
    return {
        key: User.objects.create_user(
            email,
            PASSWORD,
            full_name=full_name,
            role=role,
            organisation=organisations.get(organisation),
            language=language,
        )
        for key, (email, full_name, role, organisation, language) in PEOPLE.items()
    }


def _fixture(name: str, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type=content_type)


def _log_time(ticket: Ticket, agent: User, start: datetime.datetime, minutes: int,
              description: str, *, billable: bool = True) -> TimeEntry:
    entry = TimeEntry(
        ticket=ticket, agent=agent, started_at=start,
        duration=datetime.timedelta(minutes=minutes), description=description,
        billable=billable,
    )
    return billing_services.time_entry_save(entry=entry, actor=agent)


# --- the history, filed in the order it happened -----------------------------------


def _history(clock: DemoClock, p: dict[str, User]) -> None:
    """The stories, each filed at its own moment (so the numbers follow the dates): the
    previous month's closed work its statements bill, then the last two weeks."""
    _nw_october_invoices(clock, p)
    _bc_update(clock, p)
    _bc_printer(clock, p)
    _bc_console_login(clock, p)
    cdr = _nw_cdr_export(clock, p)
    update = _nw_update(clock, p)
    _bc_dunning(clock, p)
    charge = _bc_double_charge(clock, p)
    _nw_bulky(clock, p)
    _nw_follow_up(clock, p)
    _nw_bank_import(clock, p)
    payments = _nw_online_payments(clock, p)
    _bc_vat_breakdown(clock, p)
    _account_requests(clock, p)
    tariff = _nw_tariff_question(clock, p)
    clock.ago(minutes=20)
    services.ticket_link(ticket=tariff, actor=p["dmitry"], other=update, kind=LinkKind.RELATED)
    services.ticket_watch(ticket=payments, user=p["olga"], watching=True)
    services.ticket_watch(ticket=payments, user=p["sergey"], watching=True)
    services.ticket_watch(ticket=cdr, user=p["olga"], watching=True)
    services.ticket_watch(ticket=charge, user=p["janis"], watching=True)


# --- the previous month: closed work that its statements bill ------------------------


def _nw_october_invoices(clock: DemoClock, p) -> Ticket:
    """Closed last month: past the reopen window, so the portal offers a follow-up.
    Reacted in 1.5 business hours (target 4)."""
    anna, dmitry = p["anna"], p["dmitry"]
    second, third, fourth = clock.last_month(2), clock.last_month(3), clock.last_month(4)
    clock.at(second, "09:40")
    ticket = services.ticket_file(
        requester=anna,
        subject="Invoices not generated for October",
        body=(
            "The monthly invoice run on 1 November finished without errors on the dashboard, "
            "but **none of our corporate customers** got an invoice for October.\n\n"
            "- Residential invoices are there (about 47,000).\n"
            "- *Billing → Invoices → Corporate* shows red status for every account.\n\n"
            "Screenshot attached. We must send the invoices by the 5th."
        ),
        type=INCIDENT,
        priority=Priority.HIGH,
        files=[_fixture(SCREENSHOT, "image/png")],
    )
    clock.at(second, "11:30")
    services.ticket_accept(ticket=ticket, actor=dmitry)
    clock.at(second, "12:10")
    services.ticket_request_info(
        ticket=ticket,
        actor=dmitry,
        message="Please attach the invoice run log from 1 November "
        "(`/var/log/billing/invoice-run.log` on the application server).",
    )
    clock.at(second, "15:20")
    services.comment_add(
        ticket=ticket,
        author=anna,
        body="Here is the log of the run.",
        files=[_fixture(LOG_FILE, "text/plain")],
    )
    clock.at(second, "17:05")
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        internal=True,
        body="Tariff plan 311 has no price for service 4120 (SIP trunk, extra channel) from "
        "1 October; `stop_on_error` then skipped all corporate batches. Same bug as in 5.3.x: "
        "the price editor drops the row when the plan is copied.",
    )
    _log_time(ticket, dmitry, clock.moment(second, "15:30"), 90,
              "Read the invoice run log, found the missing price.")
    clock.at(third, "14:30")
    _log_time(ticket, dmitry, clock.moment(third, "10:15"), 240,
              "Added the price, re-ran the corporate invoice run, checked 50 invoices.")
    services.ticket_resolve(
        ticket=ticket,
        actor=dmitry,
        message="The tariff plan *Business Unlimited 2026* had no price for "
        '"SIP trunk, extra channel" from 1 October, so the corporate batch stopped. '
        "We added the price and re-ran the invoice run for corporate accounts: "
        "1,204 invoices are generated. Please check them and close the ticket.",
    )
    clock.at(fourth, "10:15")
    services.ticket_close(ticket=ticket, actor=anna)
    return ticket


def _bc_update(clock: DemoClock, p) -> Ticket:
    """Closed by the representative after an update installation, last month."""
    janis, dmitry = p["janis"], p["dmitry"]
    sixth, eighth = clock.last_month(6), clock.last_month(8)
    clock.at(sixth, "10:00")
    ticket = services.ticket_file(
        requester=janis,
        subject="Install update 5.4.1",
        body="Please install update 5.4.1 on the production server. Best on a Tuesday morning.",
        type=UPDATE,
    )
    clock.at(sixth, "11:20")
    services.ticket_accept(ticket=ticket, actor=dmitry)
    clock.at(eighth, "11:40")
    _log_time(ticket, dmitry, clock.moment(eighth, "10:00"), 90,
              "Installed update 5.4.1 and ran the post-installation checks.")
    services.ticket_resolve(
        ticket=ticket,
        actor=dmitry,
        message="Update 5.4.1 is installed; it took 1.5 hours including the checks.",
    )
    clock.at(eighth, "15:00")
    services.ticket_close(ticket=ticket, actor=janis)
    return ticket


def _bc_printer(clock: DemoClock, p) -> Ticket:
    """Rejected: outside the scope of the contract."""
    day = clock.last_month(10)
    clock.at(day, "10:30")
    ticket = services.ticket_file(
        requester=p["marek"],
        subject="Set up the printer in the Riga office",
        body="The new printer in the Riga office does not print invoices. Can you set it up?",
        type=CONSULTATION,
    )
    clock.at(day, "11:00")
    return services.ticket_reject(
        ticket=ticket,
        actor=p["dmitry"],
        reason="Office printers are outside the scope of the support contract. If invoices "
        "print wrongly on a working printer, please file a ticket with a sample PDF.",
    )


# --- Northwind Telecom, the last weeks ---------------------------------------------------


def _nw_cdr_export(clock: DemoClock, p) -> Ticket:
    """Closed, then reopened: the export is slow again; the customer's angry comment is
    flagged for review. The contractor lowered an Urgent priority to Low."""
    boris, elena = p["boris"], p["elena"]
    clock.at(clock.day(9), "10:30")
    ticket = services.ticket_file(
        requester=boris,
        subject="Export of call detail records to CSV takes 40 minutes",
        body="Exporting one month of CDRs in *Reports → Calls* takes about 40 minutes; "
        "it used to take 5.",
        type=INCIDENT,
        priority=Priority.URGENT,
    )
    clock.at(clock.day(9), "10:50")
    services.ticket_change_priority(
        ticket=ticket,
        actor=elena,
        priority=Priority.LOW,
        reason="A slow export does not stop the service for subscribers: under the operating "
        "procedure this is a Low incident, not Urgent.",
    )
    services.ticket_accept(ticket=ticket, actor=elena)
    clock.at(clock.day(8), "13:00")
    _log_time(ticket, elena, clock.moment(clock.day(8), "10:00"), 150,
              "Found the missing index on the CDR table and rebuilt it.")
    services.ticket_resolve(
        ticket=ticket,
        actor=elena,
        message="The CDR table was missing an index after the last upgrade; we rebuilt it. "
        "A month now exports in about 4 minutes.",
    )
    clock.at(clock.day(7), "09:30")
    services.ticket_close(ticket=ticket, actor=boris)
    clock.at(clock.day(2), "11:00")
    services.ticket_reopen(
        ticket=ticket,
        actor=boris,
        message="Since this morning the export takes 35 minutes again.",
    )
    clock.at(clock.day(2), "11:05")
    services.comment_add(
        ticket=ticket,
        author=boris,
        body="This is the third time this crap export breaks after an update.",
    )
    return ticket


def _nw_update(clock: DemoClock, p) -> Ticket:
    """Resolved: an update installation. Accepted late: the reaction target was missed."""
    olga, elena = p["olga"], p["elena"]
    clock.at(clock.day(6), "11:00")
    ticket = services.ticket_file(
        requester=olga,
        subject="Install update 5.4.2",
        body="Please install update 5.4.2 (fixes for the invoice run and the new tariff "
        "wizard). Any weekday after 14:00 suits us.",
        type=UPDATE,
    )
    clock.at(clock.day(5), "15:30")
    services.ticket_accept(ticket=ticket, actor=elena)
    clock.at(clock.day(5), "15:40")
    services.comment_add(
        ticket=ticket,
        author=elena,
        body="We propose Thursday 14:00-16:00 Moscow time. The billing will be read-only for "
        "about 20 minutes during the database migration.",
    )
    clock.at(clock.day(5), "16:10")
    services.comment_add(ticket=ticket, author=olga, body="Thursday 14:00 is fine for us.")
    clock.at(clock.day(3), "15:25")
    _log_time(ticket, elena, clock.moment(clock.day(3), "14:05"), 75,
              "Installed update 5.4.2, migrated the database, checked the invoice run.")
    return services.ticket_resolve(
        ticket=ticket,
        actor=elena,
        message="Update 5.4.2 is installed (14:05-15:20). Please check the invoice run and "
        "the tariff wizard and close the ticket if all is well.",
    )


def _nw_bulky(clock: DemoClock, p) -> Ticket:
    """Rejected: several tasks in one ticket, against the rules."""
    clock.at(clock.day(4), "12:00")
    ticket = services.ticket_file(
        requester=p["boris"],
        subject="Several questions: reports, user rights, tariff import",
        body="1. The debtors report is empty.\n2. How do we give a cashier read-only rights?\n"
        "3. Can we import tariffs from Excel?",
        type=CONSULTATION,
    )
    clock.at(clock.day(4), "12:40")
    return services.ticket_reject(
        ticket=ticket,
        actor=p["dmitry"],
        reason="Each separate task is to be submitted as a separate ticket (Helpdesk Ticketing "
        "Rules). Please file these three questions as three tickets and we will answer them.",
    )


def _nw_bank_import(clock: DemoClock, p) -> Ticket:
    """Waiting for the customer: the contractor asked for the file. The agent's evening
    work on it was not approved out-of-hours time: flagged for the manager."""
    elena = p["elena"]
    day = clock.day(2)
    clock.at(day, "14:10")
    ticket = services.ticket_file(
        requester=p["anna"],
        subject="Bank statement import fails with an encoding error",
        body="Importing today's statement in *Payments → Import* stops with "
        "`UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc0`. "
        "Yesterday's file imported fine.",
        type=INCIDENT,
        priority=Priority.NORMAL,
    )
    clock.at(day, "17:40")
    services.ticket_accept(ticket=ticket, actor=elena)
    clock.at(day, "17:45")
    services.ticket_request_info(
        ticket=ticket,
        actor=elena,
        message="Please attach the statement file and tell us which import profile you used "
        "(*Payments → Import → Profile*). Did the bank announce a new file format?",
    )
    clock.at(day, "20:05")
    _log_time(ticket, elena, clock.moment(day, "19:10"), 50,
              "Tried the import with the bank's sample files in the test environment.")
    return ticket


def _nw_follow_up(clock: DemoClock, p) -> Ticket:
    """New, and nobody has accepted it: its reaction deadline is missed."""
    october = Ticket.objects.get(subject="Invoices not generated for October")
    clock.at(clock.day(3), "10:05")
    return services.ticket_file(
        requester=p["anna"],
        subject="Three corporate accounts still without an October invoice",
        body="After the re-run in the previous ticket, accounts 700145, 700392 and 701008 "
        "still have no October invoice. Their contracts were moved to a new tariff plan on "
        "15 October.",
        type=INCIDENT,
        priority=Priority.NORMAL,
        follows=october,
    )


def _nw_online_payments(clock: DemoClock, p) -> Ticket:
    """An Urgent incident: accepted in 20 minutes, a duplicate marked, out-of-hours work
    approved by both sides for the evening, resolved in that window."""
    boris, dmitry, olga, sergey = p["boris"], p["dmitry"], p["olga"], p["sergey"]
    day = clock.day(1)
    clock.at(day, "09:55")
    ticket = services.ticket_file(
        requester=boris,
        subject="Online payments rejected since 09:40",
        body="Since 09:40 every top-up through the self-care portal fails with "
        "`Payment gateway unavailable`. Subscribers cannot pay; the call centre is "
        "overloaded. We have also called the support line.",
        type=INCIDENT,
        priority=Priority.URGENT,
    )
    clock.at(day, "10:05")
    duplicate = services.ticket_file(
        requester=p["anna"],
        subject="Subscribers cannot pay online",
        body="Several subscribers have called: the payment page says the gateway is unavailable.",
        type=INCIDENT,
        priority=Priority.HIGH,
    )
    clock.at(day, "10:20")
    services.ticket_accept(ticket=ticket, actor=dmitry)
    clock.at(day, "10:25")
    services.ticket_mark_duplicate(ticket=duplicate, actor=dmitry, original=ticket)
    clock.at(day, "10:35")
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        internal=True,
        body="The gateway connector fails the TLS handshake: the bank rotated its "
        "certificate at 09:38. Need the new CA bundle from the bank.",
    )
    clock.at(day, "10:50")
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        body="We see the payment gateway connector failing to connect to the bank and are "
        "working on it. Next update within an hour.",
    )
    clock.at(day, "11:05")
    services.comment_add(
        ticket=ticket,
        author=boris,
        body="Thank you. Meanwhile the call centre tells subscribers to pay at the offices.",
    )
    clock.at(day, "16:30")
    window = billing_services.ooh_request_create(
        ticket=ticket,
        actor=olga,
        start=clock.moment(day, "19:00"),
        end=clock.moment(day, "23:00"),
        reason="The bank sends the new certificate only after 18:00; payments must work "
        "again tonight.",
    )
    clock.at(day, "16:50")
    billing_services.ooh_request_approve(request=window, actor=sergey)
    clock.at(day, "21:10")
    _log_time(ticket, dmitry, clock.moment(day, "19:30"), 95,
              "Installed the bank's new CA bundle on the gateway connector, test payments.")
    services.ticket_resolve(
        ticket=ticket,
        actor=dmitry,
        message="We installed the bank's new CA certificate on the payment gateway "
        "connector; top-ups go through again since 20:55. Please confirm and close.",
    )
    return ticket


def _nw_tariff_question(clock: DemoClock, p) -> Ticket:
    """New, a Consultation filed a moment ago: the priority asked for is ignored (Normal)."""
    clock.ago(minutes=40)
    return services.ticket_file(
        requester=p["olga"],
        subject="How to configure a new tariff plan",
        body="From January we sell a plan with a monthly fee of 25 EUR that includes "
        "500 minutes; each extra minute costs 0.04 EUR. Which settings of "
        "*Tariffs → Plans* do we need, and can existing subscribers be moved in bulk?",
        type=CONSULTATION,
        priority=Priority.HIGH,
    )


# --- Baltic Cable Networks, the last weeks -----------------------------------------------


def _bc_console_login(clock: DemoClock, p) -> Ticket:
    """Resolved twice (the customer's question reopened it in between), then closed by the
    auto-close sweep after five business days without an answer."""
    liis, elena = p["liis"], p["elena"]
    clock.at(clock.day(10), "10:40")
    ticket = services.ticket_file(
        requester=liis,
        subject="Operator console login takes 30 seconds",
        body="Since Monday logging in to the operator console takes about 30 seconds for "
        "every operator.",
        type=INCIDENT,
        priority=Priority.NORMAL,
    )
    clock.at(clock.day(10), "12:10")
    services.ticket_accept(ticket=ticket, actor=elena)
    clock.at(clock.day(9), "11:00")
    services.ticket_resolve(
        ticket=ticket,
        actor=elena,
        message="The console looked up a retired LDAP server first; we removed it from "
        "the authentication settings.",
    )
    clock.at(clock.day(8), "10:30")
    services.comment_add(
        ticket=ticket,
        author=liis,
        body="Login is fast now, thanks. But the first subscriber search after login still "
        "takes 10 seconds. Is that expected?",
    )
    clock.at(clock.day(8), "14:00")
    services.comment_add(
        ticket=ticket,
        author=elena,
        body="The first search warms up the subscriber index cache; we enabled warming at "
        "startup, so it is fast from the first search now.",
    )
    services.ticket_resolve(ticket=ticket, actor=elena)
    return ticket


def _bc_dunning(clock: DemoClock, p) -> Ticket:
    """Waiting for the customer: a Consultation that needs details."""
    day = clock.day(5)
    clock.at(day, "13:00")
    ticket = services.ticket_file(
        requester=p["marek"],
        subject="How to set up automatic dunning letters",
        body="We want subscribers with a debt over 30 days to get a reminder e-mail, and a "
        "second one after 45 days. Where is this configured?",
        type=CONSULTATION,
    )
    clock.at(day, "14:45")
    services.ticket_accept(ticket=ticket, actor=p["dmitry"])
    clock.at(day, "15:00")
    return services.ticket_request_info(
        ticket=ticket,
        actor=p["dmitry"],
        message="Should the reminders go by e-mail only, or also by SMS? And should services "
        "be suspended after the second reminder?",
    )


def _bc_double_charge(clock: DemoClock, p) -> Ticket:
    """In progress past its resolution deadline, accepted late, reassigned by the
    manager; evening work the manager reviewed, and a Saturday window the representative
    has still to approve."""
    liis, dmitry, elena, sergey = p["liis"], p["dmitry"], p["elena"], p["sergey"]
    clock.at(clock.day(4), "10:10")
    ticket = services.ticket_file(
        requester=liis,
        subject="Subscribers charged twice for the monthly fee",
        body="312 subscribers have two monthly fee charges dated the 1st. "
        "Example accounts: 100231, 100877, 104412.",
        type=INCIDENT,
        priority=Priority.HIGH,
    )
    clock.at(clock.day(4), "16:40")
    services.ticket_accept(ticket=ticket, actor=elena)
    clock.at(clock.day(3), "10:15")
    services.ticket_assign(ticket=ticket, actor=sergey, assignee=dmitry)
    clock.at(clock.day(3), "11:00")
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        internal=True,
        body="The recurring charge job ran twice after the scheduler restart at 00:02. "
        "Preparing a correction script; needs review before it runs on their database.",
    )
    clock.at(clock.day(3), "11:30")
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        body="We found the cause: the recurring charge job ran twice. We will reverse the "
        "duplicate charges with a correction script; no action is needed on your side.",
    )
    clock.at(clock.day(3), "20:40")
    _log_time(ticket, dmitry, clock.moment(clock.day(3), "10:30"), 180,
              "Traced the double run of the recurring charge job.")
    evening = _log_time(ticket, dmitry, clock.moment(clock.day(3), "19:00"), 90,
                        "Wrote and tested the correction script on a copy of the database.")
    clock.at(clock.day(2), "10:00")
    billing_services.time_entries_mark_reviewed(entries=[evening], actor=sergey)
    clock.at(clock.day(1), "12:00")
    saturday = clock.next_saturday()
    window = billing_services.ooh_request_create(
        ticket=ticket,
        actor=dmitry,
        start=clock.moment(saturday, "10:00"),
        end=clock.moment(saturday, "14:00"),
        reason="The correction script locks the charges table: it must run when nobody "
        "bills, on Saturday morning.",
    )
    clock.at(clock.day(1), "12:30")
    billing_services.ooh_request_approve(request=window, actor=sergey)
    return ticket


def _bc_vat_breakdown(clock: DemoClock, p) -> Ticket:
    """New: a change request from the representative."""
    clock.at(clock.day(1), "15:30")
    return services.ticket_file(
        requester=p["janis"],
        subject="Add a VAT breakdown to the monthly invoice PDF",
        body="Our auditors ask for the VAT amount per service line on the invoice PDF, "
        "not only the total. Please estimate the change.",
        type=CHANGE_REQUEST,
    )


# --- people, ratings and the month's statements -----------------------------------------


def _account_requests(clock: DemoClock, p) -> None:
    """The Baltic representative asked for an account for a new colleague: pending."""
    clock.at(clock.day(1), "16:00")
    accounts_services.account_request_file(
        requested_by=p["janis"],
        full_name="Kristiina Kask",
        email="kristiina@baltic.example",
        note="Joins the billing team on Monday.",
    )


# Scores and comments the requesters give, in the order their tickets were resolved; the
# asks left over stay unrated, as many are in real life.
RATINGS = [
    (5, "Quick and clear, thank you."),
    (4, ""),
    (2, "It took three days and two reminders."),
    (5, ""),
    (3, "Fixed, but the first answer did not help."),
    (1, "Closed without asking us whether it works."),
]


def _satisfaction_ratings(clock: DemoClock, p) -> None:
    """Requesters rate some resolutions, an hour or a day after each (by the portal or the
    mail's link), through the same service; two low scores alert the managers."""
    asks = SatisfactionRating.objects.filter(score__isnull=True).select_related(
        "ticket__requester"
    ).order_by("asked_at")
    current = [ask for ask in asks if rules.rated_resolution(ask.ticket) == ask.resolved_at]
    moment = None
    for (score, comment), ask in zip(RATINGS, current, strict=False):
        later = ask.asked_at + datetime.timedelta(hours=1 if score >= 4 else 20)
        # Forward only: the clock of the history never runs back.
        moment = max(filter(None, (moment, later)))
        clock.go(min(moment, clock.real_now - datetime.timedelta(minutes=5)))
        services.ticket_rate(
            ticket=ask.ticket, actor=ask.ticket.requester, score=score, comment=comment,
            via=RatingVia.MAIL if score % 2 else RatingVia.PORTAL, rating=ask,
        )


def _statements(p) -> None:
    """The previous month's statements, generated now as the monthly run does on the
    first business day: Northwind's representative confirmed it, Baltic's is pending."""
    calendar = current_calendar()
    month = previous_month(timezone.localdate(timezone=calendar.tz))
    for statement in statements.statements_generate(month=month, calendar=calendar):
        if statement.organisation.name == NORTHWIND:
            statements.statement_confirm(
                statement=statement, actor=p["olga"], comment="Matches our records."
            )
