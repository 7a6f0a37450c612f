"""A reply to one of our mails becomes a public comment on its ticket, quoted text trimmed."""

import datetime

import pytest
from django.utils import timezone

from mailin.models import Reason, Status
from notifications.models import Event, Notification
from tests.helpers import drive_to
from tickets.models import Channel, Comment, Ticket
from tickets.models import Status as TicketStatus

pytestmark = pytest.mark.django_db


def only_comment(ticket) -> Comment:
    return Comment.objects.get(ticket=ticket)


def mails_to(address: str):
    return Notification.objects.filter(to_email__iexact=address)


def test_a_reply_to_the_signed_address_is_a_public_comment_without_quote_or_signature(
    receive, ticket, customer
):
    inbound = receive("reply_token.eml")

    comment = only_comment(ticket)
    assert inbound.status == Status.COMMENT
    assert inbound.comment == comment
    assert comment.author == customer
    assert not comment.is_internal
    assert comment.body == (
        "The export still fails after clearing the cache.\n"
        "    at com.example.reports.TemplateStore.get(TemplateStore.java:88)"
    )
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()


def test_a_reply_found_by_in_reply_to_naming_our_mail_to_that_person(
    receive, ticket, notification_id
):
    inbound = receive("reply_in_reply_to.eml", notification_id=notification_id)

    assert inbound.status == Status.COMMENT
    assert only_comment(ticket).body == "Here is the answer to your question: we use Chrome 131."


def test_a_reply_found_by_references_alone(receive, ticket, notification_id):
    inbound = receive("reply_references.eml", notification_id=notification_id)

    assert inbound.status == Status.COMMENT
    assert only_comment(ticket).body == "Found by the references header."


def test_in_reply_to_our_mail_to_someone_else_does_not_thread(
    receive, ticket, customer, representative, notification_id
):
    # The representative quotes the Message-ID of the mail sent to the requester; the
    # subject names no ticket (a subject naming it would, from a colleague: see below).
    inbound = receive(
        "reply_in_reply_to.eml", notification_id=notification_id, customer=representative.email,
        ticket_number="HD-1999-99999",
    )

    assert inbound.status == Status.TICKET
    assert inbound.ticket != ticket
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_forged_reply_address_is_held_and_nothing_is_posted(receive, ticket, customer):
    before = mails_to(customer.email).count()

    inbound = receive("reply_forged_token.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.FORGED_TOKEN)
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()
    assert mails_to(customer.email).count() == before


def test_an_unknown_sender_is_held_without_any_reply(receive):
    inbound = receive("unknown_sender.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.UNKNOWN_SENDER)
    assert inbound.from_address == "stranger@nowhere.example"
    assert "please fix my report" in inbound.text
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()
    assert not mails_to("stranger@nowhere.example").exists()


def test_a_sender_of_another_organisation_is_held_even_with_a_valid_reply_address(
    receive, ticket, outsider
):
    inbound = receive("reply_other_org.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.OTHER_ORGANISATION)
    assert inbound.ticket == ticket
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not mails_to(outsider.email).exists()


def test_contractor_staff_mail_is_held_for_the_admin(receive, ticket, agent):
    inbound = receive("staff_sender.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.STAFF_SENDER)
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_reply_to_a_resolved_ticket_reopens_it(receive, ticket, agent, customer):
    drive_to(ticket, TicketStatus.RESOLVED, agent=agent, customer=customer)

    inbound = receive("reply_resolved.eml")

    ticket.refresh_from_db()
    assert inbound.status == Status.COMMENT
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.comments.last().body == (
        "One more question about the fix: do we need to restart the client?"
    )


def test_a_reply_to_a_waiting_ticket_resumes_work(receive, ticket, agent, customer):
    drive_to(ticket, TicketStatus.WAITING_FOR_CUSTOMER, agent=agent, customer=customer)

    receive("reply_russian_pishet.eml")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_a_reply_to_a_ticket_closed_three_days_ago_reopens_it_and_is_posted(
    receive, ticket, agent, customer, time_machine
):
    drive_to(ticket, TicketStatus.CLOSED, agent=agent, customer=customer)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=3))

    inbound = receive("reply_closed_within_window.eml")

    ticket.refresh_from_db()
    assert inbound.status == Status.COMMENT
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.comments.last().body == "The problem is back since this morning."


def test_a_reply_eleven_days_after_closing_is_refused_with_a_mail_and_nothing_posted(
    receive, ticket, agent, customer, time_machine
):
    drive_to(ticket, TicketStatus.CLOSED, agent=agent, customer=customer)
    comments_before = ticket.comments.count()
    time_machine.move_to(timezone.now() + datetime.timedelta(days=11))

    inbound = receive("reply_closed_past_window.eml")

    ticket.refresh_from_db()
    assert (inbound.status, inbound.reason) == (Status.REFUSED, Reason.REFUSED)
    assert "can no longer be reopened" in inbound.detail
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.comments.count() == comments_before
    refusal = mails_to(customer.email).filter(event=Event.REOPEN_REFUSED, ticket=ticket)
    assert refusal.count() == 1


def test_a_russian_pishet_quote_header_is_trimmed(receive, ticket):
    receive("reply_russian_pishet.eml")

    assert only_comment(ticket).body == "Используем Chrome 131, Windows 10."


def test_a_russian_outlook_header_block_is_trimmed_in_koi8r(receive, ticket):
    receive("reply_russian_outlook.eml")

    assert only_comment(ticket).body == "Да, после перезапуска всё работает."


def test_a_russian_signature_phone_tagline_and_apple_quote_are_trimmed_lists_are_kept(
    receive, ticket
):
    receive("reply_signature.eml")

    assert only_comment(ticket).body == (
        "Шаги для воспроизведения:\n- открыть «Отчёты»\n- нажать «Экспорт»"
    )


def test_an_html_only_reply_has_its_blockquote_trimmed(receive, ticket):
    receive("reply_html_only.eml")

    assert only_comment(ticket).body == "It works now, thank you!"


def test_a_reply_with_only_the_quote_posts_nothing(receive, ticket):
    inbound = receive("reply_quote_only.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.NO_TEXT)
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_replys_attachment_is_kept_on_the_comment(receive, ticket):
    receive("reply_with_attachment.eml")

    comment = only_comment(ticket)
    assert comment.body == "Here is the screenshot you asked for."
    [attachment] = comment.attachments.all()
    assert attachment.ticket == ticket
    assert attachment.original_name == "attachment-1.png"
    assert attachment.content_type == "image/png"


def test_a_reply_to_a_rejected_ticket_is_held_with_the_rule(receive, ticket, agent, customer):
    drive_to(ticket, TicketStatus.REJECTED, agent=agent, customer=customer)

    inbound = receive("reply_token.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.REFUSED)
    assert "was rejected" in inbound.detail
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_a_mail_our_server_says_failed_dmarc_is_held_as_spoofed(receive, ticket, settings):
    settings.INBOUND_AUTHSERV_ID = "mx.helpdesk.localhost"

    inbound = receive("dmarc_fail.eml")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.SPOOFED)
    assert "dmarc=fail" in inbound.detail
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_dmarc_results_stamped_by_another_server_are_ignored(receive, ticket, settings):
    settings.INBOUND_AUTHSERV_ID = "attacker.example"

    inbound = receive("dmarc_fail.eml")

    assert inbound.status == Status.COMMENT


# --- the ticket named only in the subject ------------------------------------------------


def test_a_reply_naming_the_ticket_only_in_its_subject_is_a_comment_outlook_quote_trimmed(
    receive, ticket, customer
):
    inbound = receive("reply_subject_only_outlook_ru.eml")

    assert inbound.status == Status.COMMENT
    assert inbound.ticket == ticket
    comment = only_comment(ticket)
    assert comment.author == customer
    assert comment.body == "Выгрузка заработала после очистки кэша, спасибо."
    assert not Ticket.objects.filter(channel=Channel.EMAIL).exists()


def test_a_colleague_of_the_same_organisation_may_answer_by_subject(
    receive, ticket, representative
):
    inbound = receive("reply_subject_only_outlook_ru.eml", customer=representative.email)

    assert inbound.status == Status.COMMENT
    assert only_comment(ticket).author == representative


def test_a_subject_naming_another_organisations_ticket_attaches_nothing_to_it(
    receive, ticket, outsider
):
    inbound = receive("reply_subject_only_outlook_ru.eml", customer=outsider.email)

    assert not Comment.objects.filter(ticket=ticket).exists()
    assert inbound.ticket != ticket
    # It is the outsider's own mail: a ticket of their own organisation.
    assert inbound.status == Status.TICKET
    assert inbound.ticket.organisation == outsider.organisation


def test_a_subject_naming_a_ticket_from_an_unknown_sender_is_held_without_the_ticket(
    receive, ticket
):
    inbound = receive("reply_subject_only_outlook_ru.eml", customer="stranger@nowhere.example")

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.UNKNOWN_SENDER)
    assert inbound.ticket is None
    assert not Comment.objects.filter(ticket=ticket).exists()
