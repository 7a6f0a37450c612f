"""A mail from a known customer address opens a ticket in their organisation."""

import pytest

from mailin.models import Reason, Status
from notifications.models import Event, Notification
from tickets.models import Channel, Priority, Ticket, TicketType

pytestmark = pytest.mark.django_db


def emailed_tickets():
    return Ticket.objects.filter(channel=Channel.EMAIL)


def test_a_customers_mail_opens_a_consultation_at_normal_priority_whatever_it_asks(
    receive, customer
):
    inbound = receive("new_ticket_plain.eml")

    ticket = emailed_tickets().get()
    assert inbound.status == Status.TICKET
    assert inbound.ticket == ticket
    assert ticket.organisation == customer.organisation
    assert ticket.requester == customer
    assert ticket.type == TicketType.CONSULTATION
    assert ticket.priority == Priority.NORMAL  # the mail said "X-Priority: 1 (Highest)"
    assert ticket.subject == "Отчёт по накладным не выгружается"
    assert "кнопка «Экспорт» крутится" in ticket.body


def test_the_new_ticket_is_acknowledged_to_the_sender(receive, customer):
    receive("new_ticket_plain.eml")

    ticket = emailed_tickets().get()
    confirmation = Notification.objects.filter(
        ticket=ticket, to_email=customer.email, event=Event.TICKET_FILED
    )
    assert confirmation.count() == 1


def test_attachments_of_the_mail_are_attached_to_the_ticket(receive):
    receive("new_ticket_attachments.eml")

    ticket = emailed_tickets().get()
    files = {a.original_name: a for a in ticket.attachments.all()}
    assert set(files) == {"invoice-run-error.png", "invoice-run-2026-10.log"}
    assert files["invoice-run-error.png"].content_type == "image/png"
    assert files["invoice-run-2026-10.log"].content_type == "text/plain"
    assert files["invoice-run-error.png"].file.read().startswith(b"\x89PNG")
    assert "see the screenshot and the log" in ticket.body


def test_a_disguised_file_and_a_program_are_refused_and_named_in_the_ticket(receive, caplog):
    inbound = receive("new_ticket_disguised_attachment.eml")

    ticket = emailed_tickets().get()
    assert inbound.status == Status.TICKET
    assert [a.original_name for a in ticket.attachments.all()] == ["server.log"]
    assert "Files in the e-mail that were not attached:" in ticket.body
    assert "“report.pdf” does not contain what its name says" in ticket.body
    assert "“screenshot.png” is not a file type we accept" in ticket.body
    assert "report.pdf" in inbound.detail
    assert "inbound attachment refused" in caplog.text


def test_more_files_than_the_portal_allows_are_refused_beyond_the_limit(receive, settings):
    settings.ATTACHMENT_MAX_FILES = 1

    receive("new_ticket_attachments.eml")

    ticket = emailed_tickets().get()
    assert [a.original_name for a in ticket.attachments.all()] == ["invoice-run-error.png"]
    assert "“invoice-run-2026-10.log”: at most 1 files" in ticket.body


def test_an_html_only_mail_becomes_readable_text_without_its_script(receive):
    receive("html_only.eml")

    ticket = emailed_tickets().get()
    assert "how do I add a new user with the Accountant role?" in ticket.body
    assert "- Version 4.2" in ticket.body
    assert "alert" not in ticket.body and "<" not in ticket.body


@pytest.mark.parametrize(
    ("fixture", "subject", "text"),
    [
        ("koi8r.eml", "Проводка документов", "Не проходит проводка документов за октябрь"),
        ("windows1251.eml", "Счёт-фактура не печатается", "Не печатается счёт-фактура"),
        ("broken_charset.eml", "Ошибка в отчёте", "Отчёт о продажах показывает нули"),
        ("unknown_charset.eml", "Unknown charset", "Касса не печатает чеки после обновления."),
        ("quoted_printable.eml", "Справочник", "справочник «Контрагенты» — ошибка 500."),
        ("base64_body.eml", "Base64 body", "Как настроить автоматическую выгрузку в 1С"),
    ],
)
def test_every_charset_and_transfer_encoding_reads_as_the_customer_wrote_it(
    receive, fixture, subject, text
):
    inbound = receive(fixture)

    ticket = emailed_tickets().get()
    assert inbound.status == Status.TICKET
    assert ticket.subject == subject
    assert text in ticket.body
    assert text in inbound.text


def test_a_customer_whose_organisation_has_no_contract_is_held_not_filed(receive, customer):
    organisation = customer.organisation
    organisation.contract_end = organisation.contract_start
    organisation.save(update_fields=["contract_end"])

    inbound = receive("new_ticket_plain.eml")

    assert not emailed_tickets().exists()
    assert inbound.status == Status.HELD
    assert inbound.reason == Reason.REFUSED
    assert "no active support contract" in inbound.detail


def test_a_deactivated_customer_is_an_unknown_sender(receive, customer):
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    inbound = receive("new_ticket_plain.eml")

    assert not emailed_tickets().exists()
    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.UNKNOWN_SENDER)


def test_the_sender_address_is_matched_whatever_its_case(receive, customer):
    inbound = receive("new_ticket_plain.eml", customer=customer.email.upper())

    assert inbound.status == Status.TICKET
    assert inbound.ticket.requester == customer


def test_outlooks_inline_screenshot_and_russian_file_name_are_kept_a_forwarded_mail_noted(
    receive,
):
    receive("new_ticket_outlook_inline.eml")

    ticket = emailed_tickets().get()
    assert ticket.subject == "Ошибка при закрытии периода"
    assert ticket.body.startswith("Добрый день! При закрытии периода ошибка:")
    assert sorted(a.original_name for a in ticket.attachments.all()) == [
        "Invoice run failed.eml", "image001.png", "Журнал.log",
    ]
    assert "not attached" not in ticket.body  # the forwarded mail is kept as it came
