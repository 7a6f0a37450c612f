"""Inbound content is kept, not refused (issue 9): forwarded mails, signed mail, raw
8-bit subjects, and texts longer than the portal takes."""

import pytest

from mailin.acting import FULL_TEXT_NAME, MAX_TEXT
from mailin.models import Status
from tickets.models import Channel, Comment, Ticket

pytestmark = pytest.mark.django_db

PARTNER_TEXT = "Счёт № 4512 не проводится: биллинг пишет «Период закрыт»."


def emailed_ticket() -> Ticket:
    return Ticket.objects.get(channel=Channel.EMAIL)


# --- forwards ------------------------------------------------------------------------


def test_a_forwarded_mail_is_shown_under_the_customers_text(receive):
    inbound = receive("forward_attached.eml")

    ticket = emailed_ticket()
    assert inbound.status == Status.TICKET
    assert ticket.body.startswith("Пересылаю письмо партнёра, посмотрите, пожалуйста.")
    assert (
        "Forwarded message from Бухгалтерия <buh@partner.example> "
        "(Tue, 24 Nov 2026 16:40:00 +0300): Счёт № 4512 не проводится"
    ) in ticket.body
    assert PARTNER_TEXT in ticket.body
    assert PARTNER_TEXT in inbound.text


def test_a_forwarded_mail_is_kept_as_an_eml_attachment(receive):
    receive("forward_attached.eml")

    ticket = emailed_ticket()
    [kept] = ticket.attachments.all()
    assert kept.original_name == "Счёт № 4512.eml"
    content = kept.file.read()
    assert content.startswith(b"Message-ID: <inner-fwd-1@partner.example>")
    assert PARTNER_TEXT.encode() in content
    assert "not attached" not in ticket.body


def test_when_the_whole_mail_is_a_forward_its_text_is_the_body(receive):
    inbound = receive("forward_whole.eml")

    ticket = emailed_ticket()
    assert inbound.status == Status.TICKET
    assert ticket.subject == "FW: Счёт № 4512 не проводится"
    assert ticket.body == (
        "Счёт № 4512 не проводится: биллинг пишет «Период закрыт».\n"
        "Проверьте, пожалуйста, у себя."
    )
    assert [a.original_name for a in ticket.attachments.all()] == [
        "Счёт № 4512 не проводится.eml"
    ]


# --- signatures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "text"),
    [
        ("signed_pgp.eml", "The VAT line of the tax report is rounded to whole roubles"),
        ("signed_smime.eml", "The payment import stops at row 1200"),
    ],
)
def test_a_detached_signature_is_dropped_quietly(receive, fixture, text):
    inbound = receive(fixture)

    ticket = emailed_ticket()
    assert inbound.status == Status.TICKET
    assert text in ticket.body
    assert not ticket.attachments.exists()
    assert "not attached" not in ticket.body
    assert inbound.detail == ""


# --- raw 8-bit subjects --------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["raw_subject_koi8r.eml", "raw_subject_cp1251.eml", "raw_subject_unlabelled.eml"]
)
def test_a_raw_8bit_subject_is_read_in_the_charset_of_the_body(receive, fixture):
    inbound = receive(fixture)

    ticket = emailed_ticket()
    assert ticket.subject == "Не работает биллинг"
    assert inbound.subject == "Не работает биллинг"
    assert inbound.from_name == "Иван Петров"
    assert "не работает биллинг: расчёт за ноябрь не запускается" in ticket.body


# --- texts over the portal's limit ---------------------------------------------------


def pasted_log(lines: int = 1200) -> str:
    return "\n".join(
        f"2026-11-26 02:{n // 60 % 60:02d}:{n % 60:02d},{n % 1000:03d} ERROR [billing.run] "
        f"account {40000 + n}: tariff 'Бизнес-{n % 7}' has no price for 2026-11"
        for n in range(lines)
    )


def test_a_body_over_the_portals_limit_is_cut_there_and_kept_whole_as_a_text_file(
    receive, values
):
    log = pasted_log()
    inbound = receive("long_body.eml", to=values["support"], subject="Ночной расчёт", log=log)

    ticket = emailed_ticket()
    assert inbound.status == Status.TICKET
    assert len(log) > MAX_TEXT
    assert len(ticket.body) <= MAX_TEXT
    assert ticket.body.startswith("Добрый день! Ночной расчёт снова упал")
    assert f"its whole text is attached as “{FULL_TEXT_NAME}”" in ticket.body
    [whole] = ticket.attachments.all()
    assert (whole.original_name, whole.content_type) == (FULL_TEXT_NAME, "text/plain")
    text = whole.file.read().decode("utf-8")
    assert text.startswith("Добрый день!")
    assert log.splitlines()[-1] in text and text.rstrip().endswith("Иван")


def test_a_reply_over_the_portals_limit_is_cut_and_kept_whole_on_the_comment(
    receive, values, ticket
):
    log = pasted_log()

    inbound = receive(
        "long_body.eml", to=values["reply_address"], subject=f"Re: [{ticket.number}] Report",
        log=log,
    )

    comment = Comment.objects.get(ticket=ticket)
    assert inbound.status == Status.COMMENT
    assert len(comment.body) <= MAX_TEXT
    [whole] = comment.attachments.all()
    assert whole.original_name == FULL_TEXT_NAME
    assert log.splitlines()[-1] in whole.file.read().decode("utf-8")


def test_a_body_within_the_limit_gets_no_text_file(receive, values):
    receive("long_body.eml", to=values["support"], subject="Ночной расчёт", log=pasted_log(50))

    ticket = emailed_ticket()
    assert not ticket.attachments.exists()
    assert "whole text is attached" not in ticket.body
