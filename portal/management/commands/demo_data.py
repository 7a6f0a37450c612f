"""Demo organisations, people and tickets in every state, for trying the portal.

Every ticket is built through ``tickets.services``, the same way the portal and the
admin build them, so its history, SLA clock and notifications are the real thing.
Running the command again changes nothing: it only prints the logins.
"""

import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F

from accounts.models import Organisation, Role, User
from tickets import services
from tickets.models import (
    Attachment,
    Comment,
    LinkKind,
    Macro,
    MacroStatus,
    Priority,
    Ticket,
    TicketEvent,
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
                people = _create_people()
                _northwind_tickets(people)
                _baltic_tickets(people)
                _macros()
            created = f"Demo data created: {Ticket.objects.count()} tickets."
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
    if settings.EMAIL_BACKEND != "django.core.mail.backends.filebased.EmailBackend":
        host = getattr(settings, "EMAIL_HOST", "")
        return f"{settings.EMAIL_BACKEND} {host}".strip()
    path = Path(settings.EMAIL_FILE_PATH)
    try:
        path = path.relative_to(settings.BASE_DIR)
    except ValueError:
        pass
    return f"{path}/ (one file per message, written by the Celery worker)"


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


def _create_people() -> dict[str, User]:
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


def _backdate(ticket: Ticket, *, days: int) -> None:
    """Demo data back-dating: move a finished ticket's whole story `days` into the past.

    Only for the demo, so that one closed ticket is past the reopen window; real
    tickets are never back-dated, and the state itself was reached through services.
    """
    shift = datetime.timedelta(days=days)
    moved = {
        field: F(field) - shift
        for field in ("created_at", "updated_at", "first_accepted_at", "resolved_at", "closed_at")
    }
    Ticket.objects.filter(pk=ticket.pk).update(**moved)
    for model in (TicketEvent, Comment, Attachment):
        model.objects.filter(ticket=ticket).update(created_at=F("created_at") - shift)


# --- Northwind Telecom ---------------------------------------------------------------


def _northwind_tickets(p: dict[str, User]) -> None:
    october = _nw_october_invoices(p)
    _nw_follow_up(p, october)
    payments = _nw_online_payments(p)
    _nw_duplicate(p, payments)
    _nw_bank_import(p)
    tariff = _nw_tariff_question(p)
    update = _nw_update(p)
    services.ticket_link(ticket=tariff, actor=p["dmitry"], other=update, kind=LinkKind.RELATED)
    _nw_bulky(p)
    _nw_cdr_export(p)


def _nw_october_invoices(p) -> Ticket:
    """Closed 20 days ago: past the reopen window, so the portal offers a follow-up."""
    anna, dmitry = p["anna"], p["dmitry"]
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
    services.ticket_accept(ticket=ticket, actor=dmitry)
    services.ticket_request_info(
        ticket=ticket,
        actor=dmitry,
        message="Please attach the invoice run log from 1 November "
        "(`/var/log/billing/invoice-run.log` on the application server).",
    )
    services.comment_add(
        ticket=ticket,
        author=anna,
        body="Here is the log of the run.",
        files=[_fixture(LOG_FILE, "text/plain")],
    )
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        internal=True,
        body="Tariff plan 311 has no price for service 4120 (SIP trunk, extra channel) from "
        "1 October; `stop_on_error` then skipped all corporate batches. Same bug as in 5.3.x: "
        "the price editor drops the row when the plan is copied.",
    )
    services.ticket_resolve(
        ticket=ticket,
        actor=dmitry,
        message="The tariff plan *Business Unlimited 2026* had no price for "
        '"SIP trunk, extra channel" from 1 October, so the corporate batch stopped. '
        "We added the price and re-ran the invoice run for corporate accounts: "
        "1,204 invoices are generated. Please check them and close the ticket.",
    )
    services.ticket_close(ticket=ticket, actor=anna)
    _backdate(ticket, days=20)
    return ticket


def _nw_follow_up(p, october: Ticket) -> Ticket:
    """A new ticket that follows the old closed one, as the portal offers it."""
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


def _nw_online_payments(p) -> Ticket:
    """An Urgent incident, in progress, with public comments and an internal note."""
    boris, dmitry = p["boris"], p["dmitry"]
    ticket = services.ticket_file(
        requester=boris,
        subject="Online payments rejected since 09:40",
        body="Since 09:40 every top-up through the self-care portal fails with "
        "`Payment gateway unavailable`. Subscribers cannot pay; the call centre is "
        "overloaded. We have also called the support line.",
        type=INCIDENT,
        priority=Priority.URGENT,
    )
    services.ticket_accept(ticket=ticket, actor=dmitry)
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        internal=True,
        body="The gateway connector fails the TLS handshake: the bank rotated its "
        "certificate at 09:38. Need the new CA bundle from the bank.",
    )
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        body="We see the payment gateway connector failing to connect to the bank and are "
        "working on it. Next update within an hour.",
    )
    services.comment_add(
        ticket=ticket,
        author=boris,
        body="Thank you. Meanwhile the call centre tells subscribers to pay at the offices.",
    )
    return ticket


def _nw_duplicate(p, original: Ticket) -> Ticket:
    ticket = services.ticket_file(
        requester=p["anna"],
        subject="Subscribers cannot pay online",
        body="Several subscribers have called: the payment page says the gateway is unavailable.",
        type=INCIDENT,
        priority=Priority.HIGH,
    )
    return services.ticket_mark_duplicate(ticket=ticket, actor=p["dmitry"], original=original)


def _nw_bank_import(p) -> Ticket:
    """Waiting for the customer: the contractor asked for the file."""
    ticket = services.ticket_file(
        requester=p["anna"],
        subject="Bank statement import fails with an encoding error",
        body="Importing today's statement in *Payments → Import* stops with "
        "`UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc0`. "
        "Yesterday's file imported fine.",
        type=INCIDENT,
        priority=Priority.NORMAL,
    )
    services.ticket_accept(ticket=ticket, actor=p["elena"])
    return services.ticket_request_info(
        ticket=ticket,
        actor=p["elena"],
        message="Please attach the statement file and tell us which import profile you used "
        "(*Payments → Import → Profile*). Did the bank announce a new file format?",
    )


def _nw_tariff_question(p) -> Ticket:
    """New, a Consultation: the priority the customer asked for is ignored (Normal)."""
    return services.ticket_file(
        requester=p["olga"],
        subject="How to configure a new tariff plan",
        body="From January we sell a plan with a monthly fee of 25 EUR that includes "
        "500 minutes; each extra minute costs 0.04 EUR. Which settings of "
        "*Tariffs → Plans* do we need, and can existing subscribers be moved in bulk?",
        type=CONSULTATION,
        priority=Priority.HIGH,
    )


def _nw_update(p) -> Ticket:
    """Resolved: an update installation, scheduled with the customer."""
    olga, elena = p["olga"], p["elena"]
    ticket = services.ticket_file(
        requester=olga,
        subject="Install update 5.4.2",
        body="Please install update 5.4.2 (fixes for the invoice run and the new tariff "
        "wizard). Any weekday after 14:00 suits us.",
        type=UPDATE,
    )
    services.ticket_accept(ticket=ticket, actor=elena)
    services.comment_add(
        ticket=ticket,
        author=elena,
        body="We propose Thursday 14:00-16:00 Moscow time. The billing will be read-only for "
        "about 20 minutes during the database migration.",
    )
    services.comment_add(ticket=ticket, author=olga, body="Thursday 14:00 is fine for us.")
    return services.ticket_resolve(
        ticket=ticket,
        actor=elena,
        message="Update 5.4.2 is installed (14:05-15:20). Please check the invoice run and "
        "the tariff wizard and close the ticket if all is well.",
    )


def _nw_bulky(p) -> Ticket:
    """Rejected: several tasks in one ticket, against the rules."""
    ticket = services.ticket_file(
        requester=p["boris"],
        subject="Several questions: reports, user rights, tariff import",
        body="1. The debtors report is empty.\n2. How do we give a cashier read-only rights?\n"
        "3. Can we import tariffs from Excel?",
        type=CONSULTATION,
    )
    return services.ticket_reject(
        ticket=ticket,
        actor=p["dmitry"],
        reason="Each separate task is to be submitted as a separate ticket (Helpdesk Ticketing "
        "Rules). Please file these three questions as three tickets and we will answer them.",
    )


def _nw_cdr_export(p) -> Ticket:
    """Closed recently (still reopenable); the contractor lowered an Urgent priority."""
    boris, elena = p["boris"], p["elena"]
    ticket = services.ticket_file(
        requester=boris,
        subject="Export of call detail records to CSV takes 40 minutes",
        body="Exporting one month of CDRs in *Reports → Calls* takes about 40 minutes; "
        "it used to take 5.",
        type=INCIDENT,
        priority=Priority.URGENT,
    )
    services.ticket_change_priority(
        ticket=ticket,
        actor=elena,
        priority=Priority.LOW,
        reason="A slow export does not stop the service for subscribers: under the operating "
        "procedure this is a Low incident, not Urgent.",
    )
    services.ticket_accept(ticket=ticket, actor=elena)
    services.ticket_resolve(
        ticket=ticket,
        actor=elena,
        message="The CDR table was missing an index after the last upgrade; we rebuilt it. "
        "A month now exports in about 4 minutes.",
    )
    services.ticket_close(ticket=ticket, actor=boris)
    return ticket


# --- Baltic Cable Networks -------------------------------------------------------------


def _baltic_tickets(p: dict[str, User]) -> None:
    _bc_vat_breakdown(p)
    _bc_double_charge(p)
    _bc_dunning(p)
    _bc_console_login(p)
    _bc_update(p)
    _bc_printer(p)


def _bc_vat_breakdown(p) -> Ticket:
    """New: a change request from the representative."""
    return services.ticket_file(
        requester=p["janis"],
        subject="Add a VAT breakdown to the monthly invoice PDF",
        body="Our auditors ask for the VAT amount per service line on the invoice PDF, "
        "not only the total. Please estimate the change.",
        type=CHANGE_REQUEST,
    )


def _bc_double_charge(p) -> Ticket:
    """In progress, reassigned by the manager, with an internal note."""
    liis, dmitry = p["liis"], p["dmitry"]
    ticket = services.ticket_file(
        requester=liis,
        subject="Subscribers charged twice for the monthly fee",
        body="312 subscribers have two monthly fee charges dated the 1st. "
        "Example accounts: 100231, 100877, 104412.",
        type=INCIDENT,
        priority=Priority.HIGH,
    )
    services.ticket_accept(ticket=ticket, actor=p["elena"])
    services.ticket_assign(ticket=ticket, actor=p["sergey"], assignee=dmitry)
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        internal=True,
        body="The recurring charge job ran twice after the scheduler restart at 00:02. "
        "Preparing a correction script; needs review before it runs on their database.",
    )
    services.comment_add(
        ticket=ticket,
        author=dmitry,
        body="We found the cause: the recurring charge job ran twice. We will reverse the "
        "duplicate charges today; no action is needed on your side.",
    )
    return ticket


def _bc_dunning(p) -> Ticket:
    """Waiting for the customer: a Consultation that needs details."""
    ticket = services.ticket_file(
        requester=p["marek"],
        subject="How to set up automatic dunning letters",
        body="We want subscribers with a debt over 30 days to get a reminder e-mail, and a "
        "second one after 45 days. Where is this configured?",
        type=CONSULTATION,
    )
    services.ticket_accept(ticket=ticket, actor=p["dmitry"])
    return services.ticket_request_info(
        ticket=ticket,
        actor=p["dmitry"],
        message="Should the reminders go by e-mail only, or also by SMS? And should services "
        "be suspended after the second reminder?",
    )


def _bc_console_login(p) -> Ticket:
    """Resolved twice: the customer's question reopened it in between."""
    liis, elena = p["liis"], p["elena"]
    ticket = services.ticket_file(
        requester=liis,
        subject="Operator console login takes 30 seconds",
        body="Since Monday logging in to the operator console takes about 30 seconds for "
        "every operator.",
        type=INCIDENT,
        priority=Priority.NORMAL,
    )
    services.ticket_accept(ticket=ticket, actor=elena)
    services.ticket_resolve(
        ticket=ticket,
        actor=elena,
        message="The console looked up a retired LDAP server first; we removed it from "
        "the authentication settings.",
    )
    services.comment_add(
        ticket=ticket,
        author=liis,
        body="Login is fast now, thanks. But the first subscriber search after login still "
        "takes 10 seconds. Is that expected?",
    )
    services.comment_add(
        ticket=ticket,
        author=elena,
        body="The first search warms up the subscriber index cache; we enabled warming at "
        "startup, so it is fast from the first search now.",
    )
    return services.ticket_resolve(ticket=ticket, actor=elena)


def _bc_update(p) -> Ticket:
    """Closed by the representative after an update installation."""
    janis, dmitry = p["janis"], p["dmitry"]
    ticket = services.ticket_file(
        requester=janis,
        subject="Install update 5.4.1",
        body="Please install update 5.4.1 on the production server. Best on a Tuesday morning.",
        type=UPDATE,
    )
    services.ticket_accept(ticket=ticket, actor=dmitry)
    services.ticket_resolve(
        ticket=ticket,
        actor=dmitry,
        message="Update 5.4.1 is installed; it took 1.5 hours including the checks.",
    )
    services.ticket_close(ticket=ticket, actor=janis)
    return ticket


def _bc_printer(p) -> Ticket:
    """Rejected: outside the scope of the contract."""
    ticket = services.ticket_file(
        requester=p["marek"],
        subject="Set up the printer in the Riga office",
        body="The new printer in the Riga office does not print invoices. Can you set it up?",
        type=CONSULTATION,
    )
    return services.ticket_reject(
        ticket=ticket,
        actor=p["dmitry"],
        reason="Office printers are outside the scope of the support contract. If invoices "
        "print wrongly on a working printer, please file a ticket with a sample PDF.",
    )
