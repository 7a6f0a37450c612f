"""The ticketing rules as the customer and the contractor meet them."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from tests import factories, helpers
from tests.helpers import text
from tickets import services
from tickets.models import (
    EventKind,
    LinkKind,
    Priority,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketType,
)

MOSCOW = ZoneInfo("Europe/Moscow")
# A Tuesday in business hours; the reopen window runs from here.
CLOSED_AT = datetime.datetime(2026, 3, 3, 12, 0, tzinfo=MOSCOW)

pytestmark = pytest.mark.django_db


def _file_via_portal(client, **data):
    payload = {
        "type": TicketType.INCIDENT,
        "priority": Priority.NORMAL,
        "subject": "S",
        "body": "B",
    }
    payload.update(data)
    return client.post("/tickets/new/", payload)


def _closed_ticket(customer, agent, *, at=CLOSED_AT):
    with time_machine.travel(at - datetime.timedelta(days=1), tick=False):
        ticket = factories.TicketFactory(requester=customer, subject="Invoice run stops at batch 7")
    with time_machine.travel(at, tick=False):
        helpers.drive_to(ticket, Status.CLOSED, agent=agent, customer=customer)
    return ticket


# --- priority --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type", "sent", "stored"),
    [
        (TicketType.CONSULTATION, Priority.URGENT, Priority.NORMAL),
        (TicketType.CHANGE_REQUEST, Priority.HIGH, Priority.NORMAL),
        (TicketType.UPDATE_INSTALLATION, Priority.LOW, Priority.NORMAL),
        (TicketType.INCIDENT, Priority.URGENT, Priority.URGENT),
        (TicketType.INCIDENT, Priority.LOW, Priority.LOW),
    ],
)
def test_service_ignores_the_priority_of_everything_but_incidents(customer, type, sent, stored):
    ticket = services.ticket_file(
        requester=customer,
        subject="Where is the export setting?",
        body="?",
        type=type,
        priority=sent,
    )
    ticket.refresh_from_db()
    assert ticket.priority == stored


@pytest.mark.parametrize(
    ("type", "sent", "stored_label"),
    [
        (TicketType.CONSULTATION, Priority.URGENT, "Normal"),
        (TicketType.INCIDENT, Priority.URGENT, "Urgent"),
        (TicketType.INCIDENT, Priority.HIGH, "High"),
    ],
)
def test_portal_files_a_consultation_sent_as_urgent_as_normal_but_keeps_an_incidents_priority(
    client, customer, type, sent, stored_label
):
    client.force_login(customer)
    response = _file_via_portal(client, type=type, priority=sent, subject="Export settings")
    ticket = Ticket.objects.get(subject="Export settings")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert ticket.get_priority_display() == stored_label
    page = text(client.get(response["Location"]))
    assert f'prio-{ticket.priority}">{stored_label}<' in page


@pytest.mark.parametrize(
    ("type", "sent", "stored"),
    [
        (TicketType.CONSULTATION, Priority.URGENT, Priority.NORMAL),
        (TicketType.INCIDENT, Priority.URGENT, Priority.URGENT),
    ],
)
def test_admin_add_form_files_a_consultation_sent_as_urgent_as_normal_keeps_an_incidents(
    client, customer, agent, type, sent, stored
):
    client.force_login(agent)
    assert client.get("/admin/tickets/ticket/add/").status_code == 200
    response = client.post(
        "/admin/tickets/ticket/add/",
        {
            "organisation": customer.organisation.pk,
            "requester": customer.pk,
            "channel": "email",
            "type": type,
            "priority": sent,
            "subject": "Phoned in: how to set the VAT rate",
            "body": "Called the support line at 10:05.",
            "_save": "Save",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/tickets/ticket/{ticket.pk}/change/"
    assert ticket.priority == stored
    assert ticket.requester == customer
    assert re.fullmatch(r"HD-\d{4}-\d{5}", ticket.number)
    filed = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FILED)
    assert filed.actor == agent


def test_portal_tells_the_customer_to_phone_for_an_urgent_incident(client, customer):
    client.force_login(customer)
    response = _file_via_portal(client, priority=Priority.URGENT, subject="Nobody can log in")
    page = text(client.get(response["Location"]))
    assert "+1 (256) 474-85-86" in page
    assert "ext. 200" in page


# --- ticket numbers --------------------------------------------------------------------


def test_ticket_numbers_look_like_hd_year_and_five_digits_and_are_sequential(customer):
    with time_machine.travel(datetime.datetime(2026, 2, 10, 11, 0, tzinfo=MOSCOW), tick=False):
        numbers = [factories.TicketFactory(requester=customer).number for _ in range(3)]
    assert numbers == ["HD-2026-00001", "HD-2026-00002", "HD-2026-00003"]


def test_ticket_numbers_start_again_in_a_new_year_by_the_local_calendar(customer):
    with time_machine.travel(datetime.datetime(2026, 12, 31, 20, 0, tzinfo=MOSCOW), tick=False):
        last_of_2026 = factories.TicketFactory(requester=customer).number
    # 22:30 UTC on 31 December is already New Year in Moscow.
    with time_machine.travel(datetime.datetime(2026, 12, 31, 22, 30, tzinfo=datetime.UTC)):
        first_of_2027 = factories.TicketFactory(requester=customer).number
    assert last_of_2026 == "HD-2026-00001"
    assert first_of_2027 == "HD-2027-00001"


# --- reopen window ---------------------------------------------------------------------


def test_reopen_is_allowed_nine_days_and_twenty_three_hours_after_closing(customer, agent):
    ticket = _closed_ticket(customer, agent)
    with time_machine.travel(CLOSED_AT + datetime.timedelta(days=9, hours=23), tick=False):
        services.ticket_reopen(ticket=ticket, actor=customer, message="It broke again.")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.closed_at is None


def test_reopen_is_refused_ten_days_and_an_hour_after_closing(customer, agent):
    ticket = _closed_ticket(customer, agent)
    with time_machine.travel(CLOSED_AT + datetime.timedelta(days=10, hours=1), tick=False):
        with pytest.raises(services.ActionRefused) as refused:
            services.ticket_reopen(ticket=ticket, actor=customer)
    assert refused.value.code == "reopen_window_passed"
    assert ticket.number in refused.value.message
    assert "10 days" in refused.value.message
    assert "file a new ticket" in refused.value.message
    assert "linked" in refused.value.message
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_portal_reopens_a_ticket_closed_nine_days_and_twenty_three_hours_ago(
    client, customer, agent
):
    ticket = _closed_ticket(customer, agent)
    with time_machine.travel(CLOSED_AT + datetime.timedelta(days=9, hours=23), tick=False):
        client.force_login(customer)
        page = text(client.get(f"/tickets/{ticket.number}/"))
        assert f"/tickets/{ticket.number}/do/reopen/" in page
        response = client.post(
            f"/tickets/{ticket.number}/do/reopen/",
            {"expected_status": Status.CLOSED, "message": "Batch 7 stops again."},
            follow=True,
        )
    assert response.redirect_chain == [(f"/tickets/{ticket.number}/", 302)]
    assert f"{ticket.number} is reopened." in text(response)
    assert "Batch 7 stops again." in text(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_portal_refuses_a_late_reopen_and_offers_a_follow_up_ticket_linked_to_the_old_one(
    client, customer, agent
):
    old = _closed_ticket(customer, agent)
    with time_machine.travel(CLOSED_AT + datetime.timedelta(days=10, hours=1), tick=False):
        client.force_login(customer)
        detail = text(client.get(f"/tickets/{old.number}/"))
        assert "can no longer be reopened" in detail
        assert f"/tickets/{old.number}/do/reopen/" not in detail

        response = client.post(
            f"/tickets/{old.number}/do/reopen/", {"expected_status": Status.CLOSED}
        )
        assert response.status_code == 302
        assert response["Location"] == f"/tickets/new/?follows={old.number}"

        form_page = text(client.get(response["Location"]))
        assert "can no longer be reopened" in form_page
        assert "Please file a new ticket; it will be linked to this one." in form_page
        assert f"This ticket will be linked to {old.number} as its follow-up." in form_page
        assert f'name="follows" value="{old.number}"' in form_page
        assert f"Follow-up to {old.number}: Invoice run stops at batch 7" in form_page
        assert f"This continues {old.number}, closed on 2026-03-03." in form_page

        filed = client.post(
            f"/tickets/new/?follows={old.number}",
            {
                "follows": old.number,
                "type": TicketType.INCIDENT,
                "priority": Priority.NORMAL,
                "subject": f"Follow-up to {old.number}: Invoice run stops at batch 7",
                "body": f"This continues {old.number}. It stops at batch 9 now.",
            },
        )
        new = Ticket.objects.exclude(pk=old.pk).get()
        assert filed["Location"] == f"/tickets/{new.number}/"
        new_page = text(client.get(f"/tickets/{new.number}/"))
        old_page = text(client.get(f"/tickets/{old.number}/"))
    assert TicketLink.objects.filter(source=new, target=old, kind=LinkKind.FOLLOWS).exists()
    assert re.search(rf"Follows <a href=\"/tickets/{old.number}/\">{old.number}</a>", new_page)
    assert re.search(rf"Followed by <a href=\"/tickets/{new.number}/\">{new.number}</a>", old_page)
    old.refresh_from_db()
    assert old.status == Status.CLOSED


# --- customer comments -----------------------------------------------------------------


@pytest.mark.parametrize("state", [Status.RESOLVED, Status.WAITING_FOR_CUSTOMER])
def test_a_customer_comment_moves_a_resolved_or_waiting_ticket_back_to_work(
    client, customer, agent, state
):
    ticket = helpers.drive_to(
        factories.TicketFactory(requester=customer), state, agent=agent, customer=customer
    )
    client.force_login(customer)
    response = client.post(
        f"/tickets/{ticket.number}/comment/",
        {"body": "Does this also cover the March run?", "expected_status": state},
        follow=True,
    )
    assert response.redirect_chain == [(f"/tickets/{ticket.number}/", 302)]
    page = text(response)
    assert "Your comment is added." in page
    assert "Does this also cover the March run?" in page
    assert ">In progress<" in page
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    last = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.STATUS).last()
    assert (last.old_value, last.new_value, last.actor) == (state, Status.IN_PROGRESS, customer)


def test_a_comment_on_a_ticket_changed_meanwhile_is_refused_and_the_text_kept(
    client, customer, agent
):
    # Resolved while the customer typed: the comment would now reopen it, so it waits
    # for one more click (an acceptance meanwhile would not matter: tests/test_conflicts.py).
    ticket = helpers.drive_to(
        factories.TicketFactory(requester=customer),
        Status.RESOLVED,
        agent=agent,
        customer=customer,
    )
    client.force_login(customer)
    response = client.post(
        f"/tickets/{ticket.number}/comment/",
        {"body": "Here is the log you asked for.", "expected_status": Status.IN_PROGRESS},
    )
    assert response.status_code == 400
    assert "was changed by someone else a moment ago" in text(response)
    assert "Here is the log you asked for.</textarea>" in text(response)
    assert not ticket.comments.filter(author=customer).exists()


# --- reject, duplicate, priority change ------------------------------------------------


def test_reject_requires_a_reason(ticket, agent):
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_reject(ticket=ticket, actor=agent, reason="   ")
    assert refused.value.code == "reason_required"
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_the_customer_sees_the_rejection_reason_on_the_ticket_page(client, ticket, customer, agent):
    services.ticket_reject(
        ticket=ticket,
        actor=agent,
        reason="Configuring your own mail server is outside the contract.",
    )
    client.force_login(customer)
    page = text(client.get(f"/tickets/{ticket.number}/"))
    assert ">Rejected<" in page
    assert "Configuring your own mail server is outside the contract." in page
    # A rejected ticket takes no more comments.
    assert f"/tickets/{ticket.number}/comment/" not in page


def test_mark_duplicate_closes_the_ticket_and_links_it_to_the_original(client, customer, agent):
    original = factories.TicketFactory(requester=customer, subject="Invoices lack VAT line")
    repeat = factories.TicketFactory(requester=customer, subject="VAT line missing again")
    services.ticket_mark_duplicate(ticket=repeat, actor=agent, original=original)

    repeat.refresh_from_db()
    assert repeat.status == Status.CLOSED
    assert TicketLink.objects.filter(
        source=repeat, target=original, kind=LinkKind.DUPLICATE_OF
    ).exists()
    client.force_login(customer)
    repeat_page = text(client.get(f"/tickets/{repeat.number}/"))
    original_page = text(client.get(f"/tickets/{original.number}/"))
    assert (
        f'Duplicate of <a href="/tickets/{original.number}/">{original.number}</a>' in repeat_page
    )
    assert f'Has duplicate <a href="/tickets/{repeat.number}/">{repeat.number}</a>' in original_page


def test_mark_duplicate_refuses_an_original_of_another_organisation(ticket, agent):
    foreign = factories.TicketFactory()
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_mark_duplicate(ticket=ticket, actor=agent, original=foreign)
    assert refused.value.code == "other_organisation"


def test_a_priority_change_needs_a_reason(ticket, agent):
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_change_priority(
            ticket=ticket, actor=agent, priority=Priority.URGENT, reason=""
        )
    assert refused.value.code == "reason_required"
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL


def test_the_customer_sees_a_priority_change_and_its_reason_on_the_ticket_page(
    client, ticket, customer, agent
):
    services.ticket_change_priority(
        ticket=ticket,
        actor=agent,
        priority=Priority.LOW,
        reason="A workaround exists, so this is Low by the operating procedure.",
    )
    client.force_login(customer)
    page = text(client.get(f"/tickets/{ticket.number}/"))
    assert "Priority: Normal → Low" in page
    assert "A workaround exists, so this is Low by the operating procedure." in page


def test_customers_cannot_change_the_priority(ticket, customer):
    with pytest.raises(services.ActionRefused):
        services.ticket_change_priority(ticket=ticket, actor=customer, priority=1, reason="Hurry")


# --- who may file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "organisation_state",
    [
        {"is_active": False},
        {"contract_end": datetime.date(2026, 1, 31)},
        {"contract_start": datetime.date(2027, 1, 1)},
    ],
    ids=["inactive", "contract-expired", "contract-not-started"],
)
def test_an_organisation_without_an_active_contract_cannot_file_and_keeps_the_typed_text(
    client, organisation_state
):
    organisation = factories.OrganisationFactory(name="Lapsed Ltd", **organisation_state)
    customer = factories.CustomerFactory(organisation=organisation)
    client.force_login(customer)

    with time_machine.travel(datetime.datetime(2026, 6, 1, 11, 0, tzinfo=MOSCOW), tick=False):
        response = _file_via_portal(
            client,
            subject="Printing of waybills is slow",
            body="Since Monday each waybill takes a minute.",
        )

    page = text(response)
    assert response.status_code in (200, 400)
    assert "Lapsed Ltd has no active support contract, so new tickets cannot be filed." in page
    assert 'value="Printing of waybills is slow"' in page
    assert "Since Monday each waybill takes a minute.</textarea>" in page
    assert not Ticket.objects.exists()


def test_an_organisation_without_an_active_contract_is_refused_by_the_service(
    organisation, customer
):
    organisation.contract_end = datetime.date(2025, 12, 31)
    organisation.save()
    with pytest.raises(services.ActionRefused) as refused:
        factories.TicketFactory(requester=customer)
    assert refused.value.code == "no_contract"


# --- accounts --------------------------------------------------------------------------


def test_login_by_e_mail_ignores_letter_case(client, organisation):
    customer = factories.CustomerFactory(
        organisation=organisation, email="olga.petrova@customer.example"
    )
    response = client.post(
        "/accounts/login/",
        {"username": "Olga.Petrova@Customer.EXAMPLE", "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session["_auth_user_id"]) == customer.pk


def test_five_failed_logins_lock_the_account_out_and_the_sixth_is_refused_even_if_right(
    client, customer
):
    for _ in range(4):
        response = client.post(
            "/accounts/login/", {"username": customer.email, "password": "wrong"}
        )
        assert response.status_code == 200
        assert "The e-mail address or the password is wrong." in text(response)
    # AXES_FAILURE_LIMIT=5: the fifth failure is the one that locks.
    fifth = client.post("/accounts/login/", {"username": customer.email, "password": "wrong"})
    assert fifth.status_code == 429

    sixth = client.post(
        "/accounts/login/", {"username": customer.email, "password": factories.PASSWORD}
    )
    assert sixth.status_code == 429
    assert "Too many failed attempts" in text(sixth)
    assert 'href="/accounts/password_reset/"' in text(sixth)
    assert "_auth_user_id" not in client.session


def test_a_lockout_of_one_account_does_not_lock_out_a_colleague_elsewhere(
    client, customer, organisation
):
    colleague = factories.CustomerFactory(organisation=organisation)
    for _ in range(5):
        client.post("/accounts/login/", {"username": customer.email, "password": "wrong"})
    response = client.post(
        "/accounts/login/",
        {"username": colleague.email, "password": factories.PASSWORD},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302


def test_customers_cannot_enter_the_staff_admin(client, customer):
    client.force_login(customer)
    response = client.get("/admin/tickets/ticket/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_password_reset_sends_a_mail_with_a_link(client, customer):
    response = client.post("/accounts/password_reset/", {"email": customer.email.upper()})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert re.search(r"/accounts/reset/[\w-]+/[\w-]+/", message.body)


def test_a_password_reset_for_an_unknown_address_sends_nothing_and_looks_the_same(client, customer):
    known = client.post("/accounts/password_reset/", {"email": customer.email})
    mail.outbox.clear()
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@customer.example"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert mail.outbox == []


def test_closing_from_the_portal_with_a_comment_closes_and_keeps_the_comment(
    client, customer, agent
):
    ticket = helpers.drive_to(
        factories.TicketFactory(requester=customer), Status.RESOLVED, agent=agent, customer=customer
    )
    client.force_login(customer)
    response = client.post(
        f"/tickets/{ticket.number}/do/close/",
        {"expected_status": Status.RESOLVED, "message": "Works again, thank you."},
        follow=True,
    )
    page = text(response)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert helpers.flash_messages(page) == [("success", f"{ticket.number} is closed.")]
    assert ticket.comments.filter(body="Works again, thank you.", author=customer).exists()
