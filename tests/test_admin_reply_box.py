"""The ticket page's one reply box (public reply or internal note, its files, the status
buttons beside it), macros picked into it without a script, and the keyboard shortcuts'
next and previous ticket of the view."""

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from notifications.models import Notification
from tests import factories, helpers
from tickets import services
from tickets.admin import TicketAdmin
from tickets.models import Comment, Macro, MacroStatus, Priority, Status

pytestmark = pytest.mark.django_db


def change_url(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def post(client, ticket, **fields):
    data = {
        "expected_status": ticket.status,
        "assign_to": ticket.assignee_id or "",
        "initial-assign_to": ticket.assignee_id or "",
        **fields,
    }
    return client.post(change_url(ticket), data)


def customer_mails(ticket) -> int:
    return Notification.objects.filter(ticket=ticket, recipient=ticket.requester).count()


def customer_mails_with(comment) -> int:
    """Mails to the requester that carry the comment (alone, or in a status mail)."""
    return Notification.objects.filter(
        ticket=comment.ticket, recipient=comment.ticket.requester, context__comment_id=comment.pk
    ).count()


@pytest.fixture
def accepted(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    return ticket


def test_the_page_has_one_box_with_the_switch_files_and_status_buttons(client, agent, accepted):
    client.force_login(agent)
    page = client.get(change_url(accepted)).content.decode()
    assert page.count("<textarea") == 3  # the box, and the reasons of priority and type
    assert page.count('name="reply"') == 1 and 'name="note"' not in page
    box = page.split('id="reply-box"')[1].split("</fieldset>")[0]
    assert 'type="radio" name="reply_kind" value="public"' in box
    assert 'value="public"' in box.split("checked")[0]  # public unless chosen otherwise
    assert 'value="internal"' in box
    assert 'name="reply_files"' in box
    assert ">Send</button>" in box
    for transition in ("request_info", "resolve", "reject"):
        assert f'name="_fsm_transition_to"\n  value="{transition}"' in box


def test_an_internal_note_with_a_file_never_reaches_the_customer(client, agent, customer, accepted):
    client.force_login(agent)
    mails_before = customer_mails(accepted)
    response = post(
        client,
        accepted,
        reply="The DBA deleted the index by mistake.",
        reply_kind="internal",
        reply_files=[helpers.upload("dba-session.log", b"DROP INDEX ...", "text/plain")],
        _continue="1",
    )
    assert response.status_code == 302
    note = Comment.objects.get(ticket=accepted)
    assert note.is_internal and note.attachments.get().original_name == "dba-session.log"
    assert customer_mails(accepted) == mails_before
    assert customer_mails_with(note) == 0

    client.force_login(customer)
    portal = client.get(f"/tickets/{accepted.number}/").content.decode()
    assert "deleted the index" not in portal and "dba-session.log" not in portal


def test_a_public_reply_with_a_file_goes_to_the_customer(client, agent, accepted):
    client.force_login(agent)
    post(
        client,
        accepted,
        reply="The fixed template is attached.",
        reply_kind="public",
        reply_files=[helpers.screenshot_upload("fixed-template.png")],
        _continue="1",
    )
    reply = Comment.objects.get(ticket=accepted)
    assert not reply.is_internal and reply.attachments.count() == 1
    assert customer_mails_with(reply) == 1


def test_a_status_button_never_sends_an_internal_note_as_its_message(client, agent, accepted):
    client.force_login(agent)
    mails_before = customer_mails(accepted)
    response = post(
        client,
        accepted,
        reply="Customer seems confused; ask gently.",
        reply_kind="internal",
        _fsm_transition_to="request_info",
    )
    # The note is kept internal; the question is asked on the second step.
    assert response.status_code == 302
    assert "/transition/request_info/" in response.url
    accepted.refresh_from_db()
    assert accepted.status == Status.IN_PROGRESS
    assert Comment.objects.get(ticket=accepted).is_internal
    assert customer_mails(accepted) == mails_before


def test_ask_for_information_with_the_typed_reply_posts_it_once_and_mails_once(
    client, agent, accepted
):
    client.force_login(agent)
    mails_before = customer_mails(accepted)
    token = client.get(change_url(accepted)).content.decode()
    token = token.split('name="submit_token" value="')[1].split('"')[0]
    for _ in range(2):  # a double click
        response = post(
            client,
            accepted,
            reply="Which version do you run?",
            reply_kind="public",
            submit_token=token,
            _fsm_transition_to="request_info",
        )
        assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.status == Status.WAITING_FOR_CUSTOMER
    assert [c.body for c in Comment.objects.filter(ticket=accepted)] == [
        "Which version do you run?"
    ]
    assert customer_mails(accepted) == mails_before + 1


# --- macros on the page ---------------------------------------------------------------


@pytest.fixture
def greeting():
    return Macro.objects.create(
        name="Greeting",
        body_en="Hello {{ requester }}, {{ number }} is with {{ agent }}.",
        body_ru="Здравствуйте, {{ requester }}! {{ number }} у {{ agent }}.",
        set_status=MacroStatus.REQUEST_INFO,
        set_priority=Priority.HIGH,
    )


def test_the_page_carries_each_macros_text_for_this_ticket(client, agent, greeting):
    russian = factories.CustomerFactory(full_name="Olga Petrova", language="ru")
    ticket = factories.TicketFactory(requester=russian)
    Macro.objects.create(name="Old", body_en="x", body_ru="x", is_active=False)
    client.force_login(agent)
    page = client.get(change_url(ticket)).content.decode()
    script = page.split('<script id="macro-data" type="application/json">')[1]
    data = json.loads(script.split("</script>")[0])
    assert data == [
        {
            "id": greeting.pk,
            "name": "Greeting",
            "text": f"Здравствуйте, Olga Petrova! {ticket.number} у {agent.get_full_name()}.",
            "effects": ["Status: Ask for information", "Priority: High"],
        }
    ]
    assert f'<option value="{greeting.pk}">Greeting</option>' in page
    assert "Old" not in page.split('name="macro"')[1].split("</select>")[0]


def test_use_macro_without_a_script_fills_the_box_and_does_nothing_else(
    client, agent, accepted, greeting
):
    client.force_login(agent)
    mails_before = Notification.objects.filter(ticket=accepted).count()
    response = post(
        client,
        accepted,
        reply="Thanks for the screenshot.",
        reply_kind="internal",
        macro=greeting.pk,
        use_macro="1",
    )
    page = response.content.decode()
    assert response.status_code == 200
    rendered = f"Hello {accepted.requester.get_full_name()}, {accepted.number} is with"
    assert f"Thanks for the screenshot.\n\n{rendered}" in page
    assert f'<option value="{greeting.pk}" selected>' in page
    assert re.search(r'name="reply_kind" value="internal"[^>]*checked', page)
    assert (
        "On sending, this macro also changes: Status: Ask for information; Priority: High"
        in page
    )
    assert 'name="expected_status" value="in_progress"' in page
    accepted.refresh_from_db()
    assert accepted.status == Status.IN_PROGRESS
    assert not Comment.objects.filter(ticket=accepted).exists()
    assert Notification.objects.filter(ticket=accepted).count() == mails_before


# --- keyboard shortcuts ---------------------------------------------------------------


def neighbours(page: str) -> dict[str, str]:
    found = {}
    for rel in ("prev", "next"):
        marker = f'rel="{rel}"'
        if marker in page:
            found[rel] = page.split(marker)[0].rsplit('href="', 1)[1].split('"')[0]
    return found


def ticket_pk(url: str) -> int:
    return int(url.split("/ticket/")[1].split("/")[0])


def test_the_page_links_the_tickets_before_and_after_it_in_the_view(client, agent, customer):
    tickets = [factories.TicketFactory(requester=customer) for _ in range(4)]
    elsewhere = factories.TicketFactory(requester=customer)
    services.ticket_assign(ticket=elsewhere, actor=agent, assignee=agent)
    client.force_login(agent)
    listed = client.get("/admin/tickets/ticket/?queue=unassigned").content.decode()
    order = [t for t in sorted(tickets, key=lambda t: listed.index(t.number))]
    filters = "_changelist_filters=queue%3Dunassigned"

    middle = neighbours(client.get(f"{change_url(order[1])}?{filters}").content.decode())
    assert ticket_pk(middle["prev"]) == order[0].pk
    assert ticket_pk(middle["next"]) == order[2].pk
    assert parse_qs(urlsplit(middle["next"].replace("&amp;", "&")).query) == {
        "_changelist_filters": ["queue=unassigned"]
    }
    first = neighbours(client.get(f"{change_url(order[0])}?{filters}").content.decode())
    assert set(first) == {"next"}
    last = neighbours(client.get(f"{change_url(order[3])}?{filters}").content.decode())
    assert set(last) == {"prev"}


def test_a_neighbour_on_the_next_page_carries_that_page(client, agent, customer, monkeypatch):
    monkeypatch.setattr(TicketAdmin, "list_per_page", 2)
    tickets = [factories.TicketFactory(requester=customer) for _ in range(3)]
    client.force_login(agent)
    listed = client.get("/admin/tickets/ticket/?queue=unassigned").content.decode()
    # The last row of page 1, in the list's own order (equal deadlines after business
    # hours leave the tie to the list's second key, not to the order of filing).
    on_first_page = [t for t in tickets if t.number in listed]
    second = max(on_first_page, key=lambda t: listed.index(t.number))
    page = client.get(f"{change_url(second)}?_changelist_filters=queue%3Dunassigned").content
    found = neighbours(page.decode())
    query = parse_qs(urlsplit(found["next"].replace("&amp;", "&")).query)
    assert parse_qs(query["_changelist_filters"][0]) == {"queue": ["unassigned"], "p": ["2"]}
    back = client.get(found["next"].replace("&amp;", "&")).content.decode()
    assert ticket_pk(neighbours(back)["prev"]) == second.pk  # found on page 2 too


def test_the_help_lists_the_shortcuts_and_assign_to_me_is_a_post(client, agent, customer):
    ticket = factories.TicketFactory(requester=customer)
    client.force_login(agent)
    page = client.get(change_url(ticket)).content.decode()
    dialog = page.split('<dialog id="shortcuts-help"')[1].split("</dialog>")[0]
    assert 'aria-labelledby="shortcuts-help-heading"' in dialog
    for text in ("Next ticket in this view", "Write a reply", "Assign the ticket to me"):
        assert text in dialog
    form = page.split('<form method="post" id="assign-me-form"')[1].split("</form>")[0]
    token = form.split('name="submit_token" value="')[1].split('"')[0]
    response = client.post(change_url(ticket), {"assign_to_me": "1", "submit_token": token})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert "admin_tickets.js" in page
    listing = client.get("/admin/tickets/ticket/").content.decode()
    assert "Next ticket in the list" in listing and "admin_tickets.js" in listing


@pytest.mark.parametrize(
    "filters", ["requester__password__startswith%3Dp", "priority__exact%3Dsoon", "p%3Dlots"]
)
def test_a_list_that_cannot_be_shown_leaves_the_ticket_page_without_neighbours(
    client, agent, customer, filters
):
    ticket = factories.TicketFactory(requester=customer)
    client.force_login(agent)
    response = client.get(f"{change_url(ticket)}?_changelist_filters={filters}")
    assert response.status_code == 200
    assert neighbours(response.content.decode()).keys() <= {"next"}


def test_the_ticket_page_makes_as_many_queries_for_six_macros_as_for_one(
    client, agent, customer, django_assert_num_queries, django_assert_max_num_queries
):
    ticket = factories.TicketFactory(requester=customer)
    colleague = factories.AgentFactory()

    def add(count):
        for i in range(count):
            Macro.objects.create(
                name=f"Macro {Macro.objects.count()}",
                body_en="Hello {{ requester }}, by {{ deadline }}.",
                body_ru="Здравствуйте, {{ requester }}, до {{ deadline }}.",
                set_assignee=colleague if i % 2 else None,
            )

    add(1)
    client.force_login(agent)
    url = f"{change_url(ticket)}?_changelist_filters=queue%3Dunassigned"
    client.get(url)  # warm the per-process caches (the calendar, content types)
    with django_assert_max_num_queries(18) as one:
        client.get(url)
    add(5)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("Hello Employee") == 6


def test_use_macro_without_a_script_keeps_the_chosen_files_for_the_send(
    client, agent, accepted, greeting, screenshot_bytes
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(agent)
    response = post(
        client,
        accepted,
        reply="See the screenshot.",
        macro=greeting.pk,
        use_macro="1",
        reply_files=SimpleUploadedFile("fix.png", screenshot_bytes, "image/png"),
    )
    page = response.content.decode()
    assert "Kept for your reply or note" in page and "fix.png" in page
    kept = re.search(r'name="reply_pending" value="(\d+)"', page).group(1)
    assert not accepted.attachments.exists()  # nothing was sent yet

    sent = post(client, accepted, reply="See the screenshot.", reply_pending=kept,
                seen=re.search(r'name="seen" value="([^"]*)"', page).group(1),
                submit_token=re.search(r'name="submit_token" value="([^"]*)"', page).group(1),
                _continue="1")
    assert sent.status_code == 302
    assert list(accepted.attachments.values_list("original_name", flat=True)) == ["fix.png"]
