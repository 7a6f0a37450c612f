"""The staff workspace: the ticket page's reply and status buttons, two-step actions,
double submits, the ticket list, bulk actions and the triage dashboard."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.admin.models import ADDITION, LogEntry

from notifications.models import Event, Notification
from tests import factories
from tests.helpers import result_list
from tickets import services
from tickets.models import Comment, EventKind, Priority, Status, Ticket, TicketEvent, TicketType

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")


def msk(*args):
    return datetime.datetime(*args, tzinfo=MSK)


def change_url(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def transition_url(ticket, name: str) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/transition/{name}/"


def press(client, ticket, transition: str, *, expected: str, **fields):
    data = {
        "expected_status": expected,
        "assign_to": ticket.assignee_id or "",
        "initial-assign_to": ticket.assignee_id or "",
        "_fsm_transition_to": transition,
        **fields,
    }
    return client.post(change_url(ticket), data)


def public_comments(ticket):
    return Comment.objects.filter(ticket=ticket, is_internal=False)


def customer_mails(ticket) -> int:
    """Mails to the requester (a comment made with a status change rides in its mail)."""
    return Notification.objects.filter(ticket=ticket, recipient=ticket.requester).count()


@pytest.fixture
def accepted(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    return ticket


# --- the typed reply is the transition's message, once ---------------------------------


def test_ask_for_information_takes_the_typed_reply_once(client, agent, accepted):
    client.force_login(agent)
    mails_before = customer_mails(accepted)
    response = press(
        client, accepted, "request_info", expected=Status.IN_PROGRESS, reply="Which version?"
    )
    assert response.status_code == 302
    assert response.url.startswith(change_url(accepted))  # no second page asking again
    accepted.refresh_from_db()
    assert accepted.status == Status.WAITING_FOR_CUSTOMER
    assert [c.body for c in public_comments(accepted)] == ["Which version?"]
    assert customer_mails(accepted) == mails_before + 1
    assert not Notification.objects.filter(ticket=accepted, event=Event.COMMENT).exists()


def test_resolve_and_reject_take_the_typed_reply(client, agent, customer, accepted):
    client.force_login(agent)
    press(client, accepted, "resolve", expected=Status.IN_PROGRESS, reply="Fixed in 4.2.")
    accepted.refresh_from_db()
    assert accepted.status == Status.RESOLVED
    assert [c.body for c in public_comments(accepted)] == ["Fixed in 4.2."]

    other = factories.TicketFactory(requester=customer)
    press(client, other, "reject", expected=Status.NEW, reply="Out of the contract's scope.")
    other.refresh_from_db()
    assert other.status == Status.REJECTED
    assert other.reject_reason == "Out of the contract's scope."
    assert not public_comments(other).exists()


def test_with_an_empty_reply_the_second_step_asks_for_the_message(client, agent, accepted):
    client.force_login(agent)
    mails_before = customer_mails(accepted)
    response = press(client, accepted, "request_info", expected=Status.IN_PROGRESS, reply="")
    assert response.status_code == 302
    assert response.url == transition_url(accepted, "request_info") + "?expected_status=in_progress"
    page = client.get(response.url).content.decode()
    assert "Question for the customer" in page
    assert 'name="expected_status" value="in_progress"' in page

    response = client.post(
        transition_url(accepted, "request_info"),
        {"expected_status": Status.IN_PROGRESS, "message": "Logs, please."},
    )
    assert response.status_code == 302
    assert [c.body for c in public_comments(accepted)] == ["Logs, please."]
    assert customer_mails(accepted) == mails_before + 1


def test_a_status_button_on_a_ticket_changed_since_does_nothing_and_keeps_the_text(
    client, agent, accepted
):
    client.force_login(agent)
    services.ticket_request_info(ticket=accepted, actor=factories.AgentFactory(), message="Q?")
    response = press(
        client, accepted, "resolve", expected=Status.IN_PROGRESS, reply="Done."
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "was changed by someone else" in page
    assert "Done." in page  # kept
    assert 'name="expected_status" value="waiting_for_customer"' in page  # re-armed
    accepted.refresh_from_db()
    assert accepted.status == Status.WAITING_FOR_CUSTOMER
    assert [c.body for c in public_comments(accepted)] == ["Q?"]
    assert not accepted.comments.filter(is_internal=True).exists()


# --- the expected status through the second step ---------------------------------------


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("resolve", {"message": "Fixed."}),
        ("request_info", {"message": "Which browser?"}),
        ("reject", {"reason": "Out of scope, sorry."}),
        ("mark_duplicate", {"original": "{original}"}),
    ],
)
def test_the_second_step_refuses_a_ticket_changed_after_the_first(
    client, agent, customer, accepted, name, fields
):
    original = factories.TicketFactory(requester=customer)
    fields = {k: v.format(original=original.number) for k, v in fields.items()}
    client.force_login(agent)
    first = press(client, accepted, name, expected=Status.IN_PROGRESS)
    assert first.status_code == 302
    client.get(first.url)
    # A colleague asks the customer a question while the form page is open.
    services.ticket_request_info(ticket=accepted, actor=factories.AgentFactory(), message="Q?")

    response = client.post(
        transition_url(accepted, name), {"expected_status": Status.IN_PROGRESS, **fields}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "was changed by someone else" in page and "Your text is kept" in page
    for value in fields.values():
        assert value in page
    assert 'name="expected_status" value="waiting_for_customer"' in page
    accepted.refresh_from_db()
    assert accepted.status == Status.WAITING_FOR_CUSTOMER

    if name in ("reject", "mark_duplicate"):  # still possible on a waiting ticket
        again = client.post(
            transition_url(accepted, name),
            {"expected_status": Status.WAITING_FOR_CUSTOMER, **fields},
        )
        assert again.status_code == 302
        accepted.refresh_from_db()
        assert accepted.status != Status.WAITING_FOR_CUSTOMER


def test_the_second_step_without_a_carried_status_uses_the_status_now(client, agent, accepted):
    client.force_login(agent)
    page = client.get(transition_url(accepted, "resolve")).content.decode()
    assert 'name="expected_status" value="in_progress"' in page
    shown = page.split('name="expected_status" value="')[1].split('"')[0]
    # A colleague asks the customer for information between showing the page and the post.
    services.ticket_request_info(ticket=accepted, actor=factories.AgentFactory(), message="Q?")

    response = client.post(
        transition_url(accepted, "resolve"), {"expected_status": shown, "message": "Fixed."}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "was changed by someone else" in page and "Fixed." in page
    assert 'name="expected_status" value="waiting_for_customer"' in page
    accepted.refresh_from_db()
    assert accepted.status == Status.WAITING_FOR_CUSTOMER
    assert [c.body for c in public_comments(accepted)] == ["Q?"]



# --- one-time submit token on the ticket page ------------------------------------------


def test_the_reply_posted_twice_with_one_token_is_added_once(client, agent, accepted):
    client.force_login(agent)
    page = client.get(change_url(accepted)).content.decode()
    token = page.split('name="submit_token" value="')[1].split('"')[0]
    data = {
        "expected_status": Status.IN_PROGRESS,
        "submit_token": token,
        "reply": "Please try again now.",
        "assign_to": accepted.assignee_id,
        "initial-assign_to": accepted.assignee_id,
        "_continue": "1",
    }
    first = client.post(change_url(accepted), data)
    mails_after_first = Notification.objects.filter(ticket=accepted).count()
    second = client.post(change_url(accepted), data)
    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert [c.body for c in public_comments(accepted)] == ["Please try again now."]
    assert Notification.objects.filter(ticket=accepted).count() == mails_after_first
    followed = client.get(second.url).content.decode()
    assert "This was sent already; here is the result." in followed
    assert f'name="submit_token" value="{token}"' not in followed  # a fresh one


def test_the_add_form_posted_twice_with_one_token_files_one_ticket(client, agent, customer):
    client.force_login(agent)
    page = client.get("/admin/tickets/ticket/add/").content.decode()
    token = page.split('name="submit_token" value="')[1].split('"')[0]
    data = {
        "submit_token": token,
        "organisation": customer.organisation.pk,
        "requester": customer.pk,
        "channel": "phone",
        "type": TicketType.CONSULTATION,
        "subject": "Phoned in: the VAT rate",
        "body": "Called the support line at 10:05.",
        "_save": "Save",
    }
    first = client.post("/admin/tickets/ticket/add/", data)
    second = client.post("/admin/tickets/ticket/add/", data)
    ticket = Ticket.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == change_url(ticket)
    assert Notification.objects.filter(event=Event.TICKET_FILED).count() == 1
    added = LogEntry.objects.filter(action_flag=ADDITION).values_list("object_id", flat=True)
    assert list(added) == [str(ticket.pk)]  # the admin's log says it once too
    followed = client.get(second.url).content.decode()
    assert "This was sent already; here is the result." in followed


def test_a_double_click_on_a_status_button_fires_it_once(client, agent, accepted):
    client.force_login(agent)
    data = {"submit_token": "tok-1", "reply": "Which version?"}
    press(client, accepted, "request_info", expected=Status.IN_PROGRESS, **data)
    second = press(client, accepted, "request_info", expected=Status.IN_PROGRESS, **data)
    assert second.status_code == 302 and second.url.startswith(change_url(accepted))
    assert [c.body for c in public_comments(accepted)] == ["Which version?"]


def test_a_refused_reply_leaves_its_token_free(client, agent, accepted):
    client.force_login(agent)
    services.ticket_request_info(ticket=accepted, actor=factories.AgentFactory(), message="Q?")
    data = {"submit_token": "tok-2", "reply": "Done."}
    refused = press(client, accepted, "resolve", expected=Status.IN_PROGRESS, **data)
    assert refused.status_code == 200
    again = press(client, accepted, "reject", expected=Status.WAITING_FOR_CUSTOMER, **data)
    assert again.status_code == 302
    accepted.refresh_from_db()
    assert accepted.status == Status.REJECTED


# --- the ticket list -------------------------------------------------------------------

LIST = "/admin/tickets/ticket/"


def test_the_list_shows_the_columns_that_fit_and_the_most_urgent_deadline_first(
    client, agent, customer
):
    client.force_login(agent)
    with time_machine.travel(msk(2026, 11, 30, 10, 0), tick=False):
        normal = factories.TicketFactory(requester=customer, subject="Normal one")
        urgent = factories.TicketFactory(
            requester=customer, priority=Priority.URGENT, subject="Urgent one"
        )
        waiting = factories.TicketFactory(requester=customer, subject="Waiting one")
        services.ticket_accept(ticket=waiting, actor=agent)
        services.ticket_request_info(ticket=waiting, actor=agent, message="Logs?")
        page = client.get(LIST).content.decode()
    head = page.split("<thead>")[1].split("</thead>")[0]
    for gone in ("column-type", "column-flagged", "column-subject"):
        assert gone not in head
    for column in ("ticket", "organisation", "priority", "status", "assignee", "sla_left", "age"):
        assert f"column-{column}" in head
    # Urgent's reaction is due first; the paused one has no live deadline: last.
    rows = result_list(page)
    assert rows.index(urgent.number) < rows.index(normal.number) < rows.index(waiting.number)
    assert 'class="ticket-subject">Urgent one</span>' in rows


def test_the_lists_age_says_how_long_ago_with_the_exact_time_on_hover(client, agent, customer):
    client.force_login(agent)
    with time_machine.travel(msk(2026, 11, 30, 10, 0), tick=False):
        factories.TicketFactory(requester=customer, subject="Filed on Monday")
    with time_machine.travel(msk(2026, 12, 1, 13, 0), tick=False):
        page = client.get(LIST).content.decode()
    age = re.search(r'<td class="[^"]*\bfield-age\b[^"]*"[^>]*>(.*?)</td>', page, re.S)
    assert age is not None, "no age column"
    assert age.group(1).strip() == (
        '<time datetime="2026-11-30T10:00:00+03:00" title="30 Nov 2026, 10:00 (GMT+3)">'
        "1\xa0day, 3\xa0hours ago</time>"
    )


def test_saved_views(client, agent, customer):
    colleague = factories.AgentFactory()
    mine = factories.TicketFactory(requester=customer, subject="Mine")
    services.ticket_accept(ticket=mine, actor=agent)
    theirs = factories.TicketFactory(requester=customer, subject="Theirs")
    services.ticket_accept(ticket=theirs, actor=colleague)
    nobodys = factories.TicketFactory(requester=customer, subject="Nobody's")
    waiting = factories.TicketFactory(requester=customer, subject="Waiting")
    services.ticket_accept(ticket=waiting, actor=colleague)
    services.ticket_request_info(ticket=waiting, actor=colleague, message="Logs?")
    done = factories.TicketFactory(requester=customer, subject="Done")
    services.ticket_reject(ticket=done, actor=agent, reason="Out of scope")
    client.force_login(agent)

    def shown(queue):
        rows = result_list(client.get(f"{LIST}?queue={queue}").content.decode())
        return {t.number for t in (mine, theirs, nobodys, waiting, done) if t.number in rows}

    assert shown("mine") == {mine.number}
    assert shown("unassigned") == {nobodys.number}
    assert shown("waiting") == {waiting.number}
    assert shown("open") == {mine.number, theirs.number, nobodys.number, waiting.number}
    assert shown("breaching_soon") == set()
    with time_machine.travel(mine.resolution_due - datetime.timedelta(minutes=30)):
        assert mine.number in shown("breaching_soon")
    page = client.get(LIST).content.decode()
    assert "My open tickets" in page and "Breaching within the hour" in page


def test_the_list_makes_as_many_queries_for_10_rows_as_for_50(
    client, agent, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(agent)
    staff = [agent, factories.AgentFactory(), factories.AgentFactory()]

    def add(n):
        for i in range(n):
            ticket = factories.TicketFactory()  # each its own organisation and requester
            services.ticket_assign(ticket=ticket, actor=agent, assignee=staff[i % 3])

    add(10)
    client.get(LIST)  # warm the per-process caches (the calendar, content types)
    with django_assert_max_num_queries(11) as ten:
        assert client.get(LIST).content.decode().count('class="ticket-number"') == 10
    add(40)
    with django_assert_num_queries(len(ten.captured_queries)):
        assert client.get(LIST).content.decode().count('class="ticket-number"') == 50


# --- bulk actions ----------------------------------------------------------------------


def bulk(client, action, tickets, **fields):
    data = {"action": action, "_selected_action": [t.pk for t in tickets], **fields}
    return client.post(LIST, data, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_bulk_assign_to_me_and_accept_say_what_was_changed_and_refused(
    client, agent, customer
):
    fresh = factories.TicketFactory(requester=customer)
    other = factories.TicketFactory(requester=customer)
    done = factories.TicketFactory(requester=customer)
    services.ticket_reject(ticket=done, actor=agent, reason="Out of scope")
    client.force_login(agent)

    response = bulk(client, "bulk_assign_to_me", [fresh, other])
    assert f"Changed: {fresh.number}, {other.number}." in messages_of(response)
    assert {t.assignee for t in Ticket.objects.filter(pk__in=[fresh.pk, other.pk])} == {agent}

    response = bulk(client, "bulk_accept", [fresh, done])
    said = messages_of(response)
    assert f"Changed: {fresh.number}." in said
    assert any(m.startswith(f"Not changed: {done.number}: ") and "Rejected" in m for m in said)
    fresh.refresh_from_db()
    done.refresh_from_db()
    assert fresh.status == Status.IN_PROGRESS and done.status == Status.REJECTED


def test_bulk_priority_asks_for_one_reason_for_all(client, agent, customer):
    incident = factories.TicketFactory(requester=customer)
    consultation = factories.TicketFactory(requester=customer, type=TicketType.CONSULTATION)
    client.force_login(agent)

    page = bulk(client, "bulk_change_priority", [incident, consultation])
    assert "Reason for the priority change" in page.content.decode()
    assert not TicketEvent.objects.filter(kind=EventKind.PRIORITY).exists()

    response = bulk(
        client,
        "bulk_change_priority",
        [incident, consultation],
        apply="1",
        priority=Priority.HIGH,
        reason="The whole invoicing run is down.",
    )
    said = messages_of(response)
    assert f"Changed: {incident.number}." in said
    assert any(m.startswith(f"Not changed: {consultation.number}: Only Incidents") for m in said)
    incident.refresh_from_db()
    assert incident.priority == Priority.HIGH
    event = TicketEvent.objects.get(ticket=incident, kind=EventKind.PRIORITY)
    assert event.reason == "The whole invoicing run is down."


def test_bulk_resolve_with_a_message(client, agent, customer, accepted):
    new = factories.TicketFactory(requester=customer)
    client.force_login(agent)
    response = bulk(client, "bulk_resolve", [accepted, new], apply="1", message="Fixed in 4.2.")
    said = messages_of(response)
    assert f"Changed: {accepted.number}." in said
    assert any(m.startswith(f"Not changed: {new.number}: ") for m in said)
    accepted.refresh_from_db()
    assert accepted.status == Status.RESOLVED
    assert [c.body for c in public_comments(accepted)] == ["Fixed in 4.2."]
    assert not public_comments(new).exists()


# --- the triage dashboard --------------------------------------------------------------


def tile(page: str, name: str) -> str:
    return page.split(f'class="triage-{name}')[1].split("</li>")[0]


def test_the_admin_index_is_a_triage_dashboard_that_can_refresh_itself(
    client, agent, customer, django_assert_max_num_queries
):
    urgent = factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    mine = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=mine, actor=agent)
    waiting = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=waiting, actor=agent)
    services.ticket_request_info(ticket=waiting, actor=agent, message="Logs?")
    client.force_login(agent)
    page = client.get("/admin/?refresh=on").content.decode()  # the person's choice

    assert '<meta http-equiv="refresh" content="60">' in page
    assert '<strong class="count">1</strong>' in tile(page, "unassigned")
    assert '<strong class="count">1</strong>' in tile(page, "urgent_new")
    assert '<strong class="count">2</strong>' in tile(page, "mine")
    assert '<strong class="count">0</strong>' in tile(page, "waiting_long")
    assert '<strong class="count">0</strong>' in tile(page, "breached")
    assert 'href="/admin/tickets/ticket/?queue=urgent_new"' in page
    listed = result_list(client.get("/admin/tickets/ticket/?queue=urgent_new").content.decode())
    assert urgent.number in listed and mine.number not in listed

    for _ in range(20):
        factories.TicketFactory(requester=customer)
    with django_assert_max_num_queries(30) as counted:
        client.get("/admin/")
    counts = [q["sql"] for q in counted.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 7  # one per tile, whatever the number of tickets


def test_waiting_for_the_customer_over_3_business_days(client, agent, customer):
    with time_machine.travel(msk(2026, 11, 30, 11, 0), tick=False):  # a Monday
        ticket = factories.TicketFactory(requester=customer)
        services.ticket_accept(ticket=ticket, actor=agent)
        services.ticket_request_info(ticket=ticket, actor=agent, message="Logs?")
    client.force_login(agent)
    # Mon 11-19, Tue, Wed 10-18: 25 business hours of the 27 of three days.
    with time_machine.travel(msk(2026, 12, 2, 18, 0), tick=False):
        assert '<strong class="count">0</strong>' in tile(
            client.get("/admin/").content.decode(), "waiting_long"
        )
    with time_machine.travel(msk(2026, 12, 3, 12, 0), tick=False):  # 28 hours
        assert '<strong class="count">1</strong>' in tile(
            client.get("/admin/").content.decode(), "waiting_long"
        )
        listed = client.get("/admin/tickets/ticket/?queue=waiting_long").content.decode()
        assert ticket.number in result_list(listed)


def test_the_dashboard_reloads_itself_only_for_whoever_turned_that_on(client, agent):
    client.force_login(agent)
    refresh = '<meta http-equiv="refresh" content="60">'

    page = client.get("/admin/").content.decode()
    assert refresh not in page
    assert '<a href="?refresh=on">Reload the counts every 60 seconds</a>' in page

    page = client.get("/admin/?refresh=on").content.decode()
    assert refresh in page and '<a href="?refresh=off">Stop reloading</a>' in page
    assert refresh in client.get("/admin/").content.decode()  # kept for the session

    client.get("/admin/?refresh=off")
    assert refresh not in client.get("/admin/").content.decode()


def test_customers_never_reach_the_dashboard(client, customer):
    client.force_login(customer)
    response = client.get("/admin/")
    assert response.status_code == 302 and "triage-counts" not in response.content.decode()


# --- accessibility ---------------------------------------------------------------------


def test_the_search_box_has_a_label_in_words(client, agent):
    client.force_login(agent)
    page = client.get(LIST).content.decode()
    label = page.split('<label for="searchbar">')[1].split("</label>")[0]
    assert 'aria-hidden="true">search</span>' in label  # the icon is not read out
    assert '<span class="visually-hidden">Search tickets</span>' in label


def test_bulk_reject_with_a_preset_in_each_customers_language(client, agent, customer):
    russian = factories.CustomerFactory(organisation=customer.organisation, language="ru")
    first = factories.TicketFactory(requester=customer)
    second = factories.TicketFactory(requester=russian)
    client.force_login(agent)
    page = bulk(client, "bulk_reject", [first, second], apply="1", preset="", reason="")
    assert "Write the reason or choose a standard one." in page.content.decode()

    response = bulk(
        client, "bulk_reject", [first, second], apply="1", preset="out_of_scope", reason=""
    )
    assert f"Changed: {first.number}, {second.number}." in messages_of(response)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Status.REJECTED
    assert first.reject_reason and second.reject_reason
    assert first.reject_reason != second.reject_reason  # English and Russian
