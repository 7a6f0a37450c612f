"""Every mail renders in English and Russian, as plain text and HTML, with the headers
that thread a ticket and keep auto-responders quiet."""

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail as outbox

from notifications import delivery
from notifications import services as mail
from notifications.models import Event, Notification, NotificationStatus
from notifications.rendering import build_message, render_notification
from notifications.tokens import reply_address, ticket_number_from_address
from tests import factories
from tests.notifications.scenarios import ALL_EVENTS, every_event, one_of_each
from tickets import services
from tickets.models import Priority, TicketType

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
TEMPLATES = Path(settings.BASE_DIR) / "templates" / "notifications" / "email"


@pytest.fixture
def rows(customer, representative, agent, second_agent, manager):
    every_event(customer=customer, agent=agent, second_agent=second_agent, manager=manager)
    return one_of_each()


def test_every_event_has_its_three_templates():
    for event in ALL_EVENTS:
        for suffix in (".subject.txt", ".txt", ".html"):
            assert (TEMPLATES / f"{event}{suffix}").exists(), f"{event}{suffix}"


def test_the_scenario_makes_every_kind_of_mail(rows):
    assert sorted(rows) == sorted(ALL_EVENTS)


@pytest.mark.parametrize("event", ALL_EVENTS)
def test_every_mail_renders_in_english(rows, event):
    row = rows[event]
    row.language = "en"
    rendered = render_notification(row)
    for part in (rendered.subject, rendered.text, rendered.html):
        assert part.strip()
        assert not CYRILLIC.search(part), part
    assert "\n" not in rendered.subject
    assert rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert "{%" not in rendered.text + rendered.html and "{{" not in rendered.text + rendered.html
    if row.ticket:
        assert rendered.subject.startswith(
            f"[{row.ticket.number}] "
        ) or rendered.subject.startswith(f"[URGENT] [{row.ticket.number}] ")


@pytest.mark.parametrize("event", ALL_EVENTS)
def test_every_mail_renders_in_russian(rows, event):
    row = rows[event]
    row.language = "ru"
    rendered = render_notification(row)
    english = render_notification(_with_language(row, "en"))
    for part, original in zip(
        (rendered.subject, rendered.text, rendered.html),
        (english.subject, english.text, english.html),
        strict=True,
    ):
        assert CYRILLIC.search(part), part
        assert part != original
    assert "Hello" not in rendered.text and "Здравствуйте" in rendered.text
    assert '<html lang="ru">' in rendered.html


def _with_language(row, language):
    copy = Notification.objects.get(pk=row.pk)
    copy.language = language
    return copy


def test_the_urgent_alert_is_marked_in_subject_and_headers(customer, agent):
    factories.TicketFactory(requester=customer, type=TicketType.INCIDENT, priority=Priority.URGENT)
    alert = Notification.objects.get(event=Event.NEW_TICKET)
    message = build_message(alert)
    assert message.subject.startswith("[URGENT] [HD-")
    assert message.extra_headers["Importance"] == "high"
    assert message.extra_headers["X-Priority"].startswith("1")

    confirmation = build_message(Notification.objects.get(event=Event.TICKET_FILED))
    assert "Importance" not in confirmation.extra_headers
    assert settings.SUPPORT_PHONE in confirmation.body


def test_a_mail_carries_threading_reply_to_and_auto_submitted_headers(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    first = Notification.objects.get(event=Event.TICKET_FILED)
    assert delivery.notification_send(notification_id=first.pk).outcome == "sent"
    services.ticket_accept(ticket=ticket, actor=agent)
    second = Notification.objects.get(event=Event.STATUS_CHANGED)
    delivery.notification_send(notification_id=second.pk)

    sent = [
        message_from_bytes(m.message().as_bytes(), policy=policy.default) for m in outbox.outbox
    ]
    root = f"<ticket-{ticket.number}@helpdesk.example.com>"
    assert [m["Message-ID"].strip() for m in sent] == [first.message_id, second.message_id]
    assert sent[0]["In-Reply-To"].strip() == root
    assert sent[1]["In-Reply-To"].strip() == first.message_id
    assert sent[1]["References"].split() == [root, first.message_id]
    for message in sent:
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["X-Auto-Response-Suppress"] == "All"
        assert message["Reply-To"] == reply_address(ticket)
        assert ticket_number_from_address(message["Reply-To"]) == ticket.number
        assert message["Subject"].startswith(f"[{ticket.number}]")
        assert message.get_body(("plain",)) and message.get_body(("html",))


def test_message_ids_are_unique_and_on_our_domain(customer, representative, agent):
    factories.TicketFactory(requester=customer)
    ids = list(Notification.objects.values_list("message_id", flat=True))
    assert len(ids) == len(set(ids)) == 3
    assert all(
        re.fullmatch(r"<[0-9a-f]{24}\.HD-\d{4}-\d{5}@helpdesk\.example\.com>", i) for i in ids
    )


def test_customer_text_is_escaped_in_html_and_left_alone_in_text(customer, agent):
    ticket = factories.TicketFactory(
        requester=customer, subject="Tom & Jerry <script>alert(1)</script>", body="x"
    )
    services.ticket_accept(ticket=ticket, actor=agent)
    services.comment_add(
        ticket=ticket, author=customer, body="See [this](javascript:alert(1)) <img src=x onerror=y>"
    )
    row = Notification.objects.filter(to_email=agent.email).last()
    rendered = render_notification(row)
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "javascript:" not in rendered.html and "onerror" not in rendered.html
    assert "Tom & Jerry <script>" in rendered.subject
    assert "Tom & Jerry <script>" in rendered.text


def test_a_contractor_mail_links_to_the_admin_and_a_customer_mail_to_the_portal(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    customer_mail = render_notification(Notification.objects.get(event=Event.TICKET_FILED))
    agent_mail = render_notification(Notification.objects.get(event=Event.NEW_TICKET))
    assert f"https://helpdesk.example.com/tickets/{ticket.number}/" in customer_mail.text
    assert "/admin/" not in customer_mail.text + customer_mail.html
    assert (
        f"https://helpdesk.example.com/admin/tickets/ticket/{ticket.pk}/change/" in agent_mail.text
    )


def test_rendering_refuses_an_internal_note_for_a_customer(customer, agent):
    from notifications.rendering import RenderRefused

    ticket = factories.TicketFactory(requester=customer)
    note = services.comment_add(ticket=ticket, author=agent, body="internal", internal=True)
    forged = Notification.objects.create(
        event=Event.COMMENT,
        ticket=ticket,
        recipient=customer,
        to_email=customer.email,
        language="en",
        audience="customer",
        context={"comment_id": note.pk},
        message_id=mail.new_message_id(ticket),
    )
    with pytest.raises(RenderRefused):
        render_notification(forged)
    assert delivery.notification_send(notification_id=forged.pk).outcome == "failed"
    forged.refresh_from_db()
    assert forged.status == NotificationStatus.FAILED and "RenderRefused" in forged.last_error


def test_each_mail_answers_the_previous_one_and_references_grow(customer, agent, time_machine):
    time_machine.move_to("2026-11-30 11:00:00+03:00", tick=False)
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    time_machine.move_to("2026-11-30 11:05:00+03:00", tick=False)  # not merged into the last
    services.comment_add(ticket=ticket, author=agent, body="Looking into it.")
    rows = list(Notification.objects.filter(to_email=customer.email).order_by("pk"))
    for row in rows:
        assert delivery.notification_send(notification_id=row.pk).outcome == "sent"
    sent = [
        message_from_bytes(m.message().as_bytes(), policy=policy.default) for m in outbox.outbox
    ]
    root = f"<ticket-{ticket.number}@helpdesk.example.com>"
    ids = [row.message_id for row in rows]
    assert [m["In-Reply-To"].strip() for m in sent] == [root, ids[0], ids[1]]
    assert sent[2]["References"].split() == [root, ids[0], ids[1]]
    assert {m["X-Loop"] for m in sent} == {settings.SUPPORT_EMAIL}


def test_non_essential_mail_has_a_one_click_unsubscribe_that_mutes_it(client, customer, agent):
    from notifications.models import NotificationPreference

    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    confirmation = build_message(Notification.objects.get(event=Event.TICKET_FILED))
    assert "List-Unsubscribe" not in confirmation.extra_headers  # essential
    status = build_message(
        Notification.objects.get(event=Event.STATUS_CHANGED, to_email=customer.email)
    )
    assert status.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = status.extra_headers["List-Unsubscribe"].strip("<>")
    path = url.removeprefix(settings.SITE_URL.rstrip("/"))

    assert client.get(path).status_code == 200  # asks, changes nothing
    assert not NotificationPreference.objects.filter(user=customer, mute_non_essential=True)
    assert client.post(path).status_code == 200  # the mail client's one click, no session
    assert NotificationPreference.objects.get(user=customer).mute_non_essential
    assert client.post(path.replace("/unsubscribe/", "/unsubscribe/x")).status_code == 404


def test_the_reopen_refused_mail_offers_the_follow_up_and_invites_no_reply(customer, agent):
    from tickets import notify as ticket_mail

    ticket = factories.TicketFactory(requester=customer)
    row = ticket_mail.notify_reopen_refused(ticket=ticket, user=customer)
    mail = render_notification(row)
    assert f"?follows={ticket.number}" in mail.text
    assert "Reply to this e-mail" not in mail.text and "Reply to this e-mail" not in mail.html
    status = build_message(Notification.objects.get(event=Event.TICKET_FILED))
    assert "Reply to this e-mail" in status.body  # the others still invite a reply
