"""Macros: their placeholders in the requester's language, their effects through the
services (what the ticket refuses is reported, not forced), and who keeps them."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.models import Notification
from tests import factories, helpers
from tickets import services
from tickets.macros import render_macro
from tickets.models import (
    Comment,
    EventKind,
    Macro,
    MacroStatus,
    Priority,
    Status,
    TicketEvent,
    TicketType,
)

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY_11 = datetime.datetime(2026, 11, 30, 11, 0, tzinfo=MSK)
BODY_EN = "Hello {{ requester }}, {{number}} is with {{ agent }}; we react by {{ deadline }}."
BODY_RU = "Здравствуйте, {{ requester }}! {{ number }} у {{ agent }}, реакция до {{ deadline }}."


def macro(**fields) -> Macro:
    values = {"name": "Greeting", "body_en": BODY_EN, "body_ru": BODY_RU, **fields}
    return Macro.objects.create(**values)


def change_url(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def send(client, ticket, **fields):
    data = {
        "expected_status": ticket.status,
        "assign_to": ticket.assignee_id or "",
        "initial-assign_to": ticket.assignee_id or "",
        "reply_kind": "public",
        "_continue": "1",
        **fields,
    }
    return client.post(change_url(ticket), data, follow=True)


def said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def customer_mails(ticket) -> int:
    return Notification.objects.filter(ticket=ticket, recipient=ticket.requester).count()


# --- placeholders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "greeting", "month"),
    [
        ("en", "Hello Olga Petrova,", "Nov 2026"),
        ("ru", "Здравствуйте, Olga Petrova!", "нояб. 2026"),
    ],
)
def test_placeholders_are_filled_in_the_requesters_language(language, greeting, month):
    requester = factories.CustomerFactory(full_name="Olga Petrova", language=language)
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    with time_machine.travel(MONDAY_11, tick=False):
        ticket = factories.TicketFactory(requester=requester)
    text = render_macro(macro(), ticket, agent)
    due = ticket.reaction_due.astimezone(MSK)
    assert text.startswith(greeting)
    assert ticket.number in text and "Ivan Sidorov" in text
    assert f"{due.day} {month}, {due:%H:%M} (GMT+3)" in text
    assert "{{" not in text


def test_a_macros_text_is_never_run_as_a_template(agent, ticket):
    hostile = macro(
        body_en="{% load static %}{{ settings.SECRET_KEY }} {{ number|upper }} {{ number }}",
    )
    text = render_macro(hostile, ticket, agent)
    assert text == (
        "{% load static %}{{ settings.SECRET_KEY }} {{ number|upper }} " + ticket.number
    )


# --- effects, through the services -------------------------------------------------------


def test_sending_with_a_macro_accepts_reprioritises_and_assigns(client, agent, ticket):
    colleague = factories.AgentFactory(full_name="Maria Orlova")
    chosen = macro(
        name="Production down",
        set_status=MacroStatus.ACCEPT,
        set_priority=Priority.HIGH,
        set_assignee=colleague,
    )
    client.force_login(agent)
    response = send(client, ticket, macro=chosen.pk, reply="We are on it.")
    messages = said(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.priority == Priority.HIGH
    assert ticket.assignee == colleague
    assert [c.body for c in Comment.objects.filter(ticket=ticket)] == ["We are on it."]
    priority_event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.PRIORITY)
    assert priority_event.reason == "Production down"
    assert "Reply sent to the customer." in messages
    assert f"{ticket.number} is now “In progress”." in messages
    assert "Assigned to Maria Orlova." in messages


def test_what_the_ticket_refuses_is_reported_and_the_reply_still_goes(client, agent, customer):
    consultation = factories.TicketFactory(requester=customer, type=TicketType.CONSULTATION)
    chosen = macro(set_status=MacroStatus.RESUME, set_priority=Priority.URGENT)
    client.force_login(agent)
    response = send(client, consultation, macro=chosen.pk, reply="Noted.")
    messages = said(response)
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW  # a new ticket cannot be resumed
    assert consultation.priority == Priority.NORMAL  # only incidents have a priority
    assert [c.body for c in Comment.objects.filter(ticket=consultation)] == ["Noted."]
    refused = [m for m in messages if m.startswith("The macro could not do this: ")]
    assert len(refused) == 2
    assert any("Only Incidents have a priority" in m for m in refused)


def test_a_macro_that_asks_for_information_takes_the_reply_once(client, agent, ticket):
    services.ticket_accept(ticket=ticket, actor=agent)
    chosen = macro(name="Need logs", set_status=MacroStatus.REQUEST_INFO)
    client.force_login(agent)
    mails_before = customer_mails(ticket)
    send(client, ticket, macro=chosen.pk, reply="Please send the server log.")
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_CUSTOMER
    assert [c.body for c in Comment.objects.filter(ticket=ticket)] == [
        "Please send the server log."
    ]
    assert customer_mails(ticket) == mails_before + 1


def test_a_refused_status_of_a_message_macro_still_sends_the_reply(client, agent, ticket):
    chosen = macro(set_status=MacroStatus.REQUEST_INFO)  # not from "new"
    client.force_login(agent)
    response = send(client, ticket, macro=chosen.pk, reply="Which version?")
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert [c.body for c in Comment.objects.filter(ticket=ticket, is_internal=False)] == [
        "Which version?"
    ]
    assert any(m.startswith("The macro could not do this: ") for m in said(response))


def test_an_internal_note_is_never_a_macros_message_to_the_customer(client, agent, ticket):
    services.ticket_accept(ticket=ticket, actor=agent)
    chosen = macro(set_status=MacroStatus.REQUEST_INFO)
    client.force_login(agent)
    mails_before = customer_mails(ticket)
    response = send(
        client, ticket, macro=chosen.pk, reply="Ask them for logs.", reply_kind="internal"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS  # the question would have been empty
    assert Comment.objects.get(ticket=ticket).is_internal
    assert customer_mails(ticket) == mails_before
    assert any("Write the question for the customer." in m for m in said(response))


def test_the_service_applies_effects_each_on_its_own(agent, ticket):
    chosen = macro(set_status=MacroStatus.RESOLVE, set_assignee=agent)
    outcome = services.macro_apply(macro=chosen, ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    assert outcome.fired == ""
    assert len(outcome.refused) == 1  # a new ticket is not resolved
    assert ticket.assignee == agent  # the assignment went through all the same
    assert outcome.done == [f"Assigned to {agent.get_full_name()}."]


# --- who keeps the macros -----------------------------------------------------------------

ADD = "/admin/tickets/macro/add/"


def macro_form(**fields) -> dict:
    return {
        "name": "Restart",
        "body_en": "Please restart, {{ requester }}.",
        "body_ru": "Перезапустите, {{ requester }}.",
        "set_status": "",
        "set_priority": "",
        "set_assignee": "",
        "is_active": "on",
        "position": "0",
        **fields,
    }


def test_managers_add_change_and_delete_macros(client, manager):
    client.force_login(manager)
    assert client.post(ADD, macro_form()).status_code == 302
    made = Macro.objects.get(name="Restart")
    change = f"/admin/tickets/macro/{made.pk}/change/"
    assert client.post(change, macro_form(name="Restart the server")).status_code == 302
    made.refresh_from_db()
    assert made.name == "Restart the server"
    delete = f"/admin/tickets/macro/{made.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Macro.objects.exists()


def test_agents_see_macros_but_do_not_change_them(client, agent):
    made = macro()
    client.force_login(agent)
    assert client.get("/admin/tickets/macro/").status_code == 200
    assert client.post(ADD, macro_form()).status_code == 403
    page = client.get(f"/admin/tickets/macro/{made.pk}/change/").content.decode()
    assert 'name="body_en"' not in page  # read-only
    delete = f"/admin/tickets/macro/{made.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Macro.objects.filter(pk=made.pk).exists()


def test_customers_do_not_reach_macros(client, customer):
    client.force_login(customer)
    assert client.get("/admin/tickets/macro/").status_code == 302


def test_an_unknown_placeholder_is_refused_with_the_known_ones_named(client, manager):
    client.force_login(manager)
    response = client.post(ADD, macro_form(body_ru="Здравствуйте, {{ requestor }}."))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Unknown placeholder: {{ requestor }}" in page
    assert "{{ requester }}" in page
    assert not Macro.objects.exists()


def test_a_message_macro_with_files_sends_the_reply_once_and_leaves_the_status(
    client, agent, ticket
):
    services.ticket_accept(ticket=ticket, actor=agent)
    chosen = macro(set_status=MacroStatus.REQUEST_INFO, set_priority=Priority.HIGH)
    client.force_login(agent)
    response = send(
        client,
        ticket,
        macro=chosen.pk,
        reply="Is this the error you see?",
        reply_files=[helpers.screenshot_upload()],
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.priority == Priority.HIGH  # the other effects are made
    assert [c.body for c in Comment.objects.filter(ticket=ticket)] == ["Is this the error you see?"]
    assert any("a status change takes text only" in m for m in said(response))


def test_a_status_button_pressed_wins_over_the_macros_status(client, agent, ticket):
    services.ticket_accept(ticket=ticket, actor=agent)
    chosen = macro(set_status=MacroStatus.REQUEST_INFO)
    client.force_login(agent)
    response = send(
        client, ticket, macro=chosen.pk, reply="Fixed in 4.2.", _fsm_transition_to="resolve"
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert [c.body for c in Comment.objects.filter(ticket=ticket)] == ["Fixed in 4.2."]
    assert "The macro's status change was not made: you pressed a status button." in said(
        response
    )


def test_each_effect_is_tried_and_reported_once(client, agent, customer):
    consultation = factories.TicketFactory(requester=customer, type=TicketType.CONSULTATION)
    services.ticket_accept(ticket=consultation, actor=agent)
    chosen = macro(set_status=MacroStatus.REQUEST_INFO, set_priority=Priority.URGENT)
    client.force_login(agent)
    response = send(client, consultation, macro=chosen.pk, reply="Which module?")
    consultation.refresh_from_db()
    assert consultation.status == Status.WAITING_FOR_CUSTOMER
    assert [c.body for c in Comment.objects.filter(ticket=consultation)] == ["Which module?"]
    refused = [m for m in said(response) if m.startswith("The macro could not do this: ")]
    assert len(refused) == 1 and "Only Incidents have a priority" in refused[0]
