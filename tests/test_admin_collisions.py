"""Two agents on one ticket page: who else is there ("… is viewing", "… is replying"),
and a reply or a status button after someone else changed the ticket since the page was
shown: refused, showing what changed, the text kept, one more click sends it."""

import datetime
import logging

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from tests import factories
from tickets import presence, services
from tickets.models import Comment, Status

pytestmark = pytest.mark.django_db


def change_url(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def presence_url(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/presence/"


def hidden(page: str, name: str) -> str:
    return page.split(f'name="{name}" value="')[1].split('"')[0]


@pytest.fixture
def accepted(customer, agent):
    ticket = factories.TicketFactory(requester=customer, subject="Invoices print blank")
    services.ticket_accept(ticket=ticket, actor=agent)
    cache.delete(presence._key(ticket.pk))
    return ticket


@pytest.fixture
def elena(db):
    return factories.AgentFactory(full_name="Elena Petrova")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def opened(client, ticket) -> dict:
    """The ticket page as the agent's browser got it: its hidden fields."""
    page = client.get(change_url(ticket)).content.decode()
    return {
        name: hidden(page, name)
        for name in ("expected_status", "seen", "submit_token")
    } | {"assign_to": ticket.assignee_id or "", "initial-assign_to": ticket.assignee_id or ""}


# --- presence ---------------------------------------------------------------------------


def test_an_agent_sees_a_colleague_viewing_then_replying(agent, elena, accepted):
    mine, hers = client_for(agent), client_for(elena)
    assert mine.post(presence_url(accepted), {"state": "viewing"}).json()["others"] == []

    hers.post(presence_url(accepted), {"state": "viewing"})
    others = mine.post(presence_url(accepted), {"state": "viewing"}).json()["others"]
    assert [o["text"] for o in others] == ["Elena Petrova is viewing this ticket"]

    hers.post(presence_url(accepted), {"state": "typing"})
    others = mine.post(presence_url(accepted), {"state": "viewing"}).json()["others"]
    assert [o["text"] for o in others] == ["Elena Petrova is replying…"]


def test_presence_is_per_ticket(agent, elena, accepted, customer):
    other = factories.TicketFactory(requester=customer)
    cache.delete(presence._key(other.pk))
    client_for(elena).post(presence_url(other), {"state": "typing"})
    assert client_for(agent).post(presence_url(accepted)).json()["others"] == []


def test_a_presence_not_renewed_is_gone_after_its_ttl(agent, elena, accepted, settings):
    settings.PRESENCE_TTL_SECONDS = 30
    start = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client_for(elena).post(presence_url(accepted), {"state": "viewing"})
    with time_machine.travel(start + datetime.timedelta(seconds=20), tick=False):
        assert len(client_for(agent).post(presence_url(accepted)).json()["others"]) == 1
    with time_machine.travel(start + datetime.timedelta(seconds=31), tick=False):
        assert client_for(agent).post(presence_url(accepted)).json()["others"] == []


def test_customers_never_reach_presence(customer, elena, accepted):
    client_for(elena).post(presence_url(accepted), {"state": "viewing"})
    response = client_for(customer).post(presence_url(accepted), {"state": "viewing"})
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert "Elena" not in response.content.decode()
    # Nor do they count as present.
    assert client_for(elena).post(presence_url(accepted)).json()["others"] == []


def test_presence_takes_only_a_post_with_the_csrf_token(agent, accepted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get(presence_url(accepted)).status_code == 405
    assert client.post(presence_url(accepted), {"state": "viewing"}).status_code == 403


def test_an_unknown_ticket_is_a_404(agent):
    assert client_for(agent).post("/admin/tickets/ticket/999999/presence/").status_code == 404


def test_with_the_cache_down_presence_is_empty_not_an_error(
    agent, accepted, settings, caplog, monkeypatch
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    monkeypatch.setattr(presence, "_told_cache_down", False)
    client = client_for(agent)
    with caplog.at_level(logging.DEBUG, logger="tickets.presence"):
        first = client.post(presence_url(accepted), {"state": "viewing"})
        second = client.post(presence_url(accepted), {"state": "typing"})
    assert first.status_code == second.status_code == 200
    assert first.json()["others"] == [] and second.json()["others"] == []
    assert [r.levelname for r in caplog.records if r.name == "tickets.presence"] == ["DEBUG"]
    page = client.get(change_url(accepted))
    assert page.status_code == 200 and 'id="ticket-presence"' in page.content.decode()


def test_the_page_loads_the_script_from_static_files_only(agent, accepted):
    page = client_for(agent).get(change_url(accepted)).content.decode()
    assert 'src="/static/js/ticket_presence.js"' in page
    assert 'data-interval="12000"' in page
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_the_poll_says_when_the_ticket_changed_since_the_page_was_shown(agent, elena, accepted):
    client = client_for(agent)
    seen = opened(client, accepted)["seen"]
    assert client.post(presence_url(accepted), {"seen": seen}).json()["changed"] is False
    services.comment_add(ticket=accepted, author=elena, body="I called them.", internal=True)
    answer = client.post(presence_url(accepted), {"seen": seen}).json()
    assert answer["changed"] is True
    assert "changed this ticket since you opened it" in answer["changed_text"]


# --- changed since the page was shown ---------------------------------------------------


def test_a_reply_after_a_colleagues_reply_shows_it_and_one_more_click_sends(
    agent, elena, accepted
):
    client = client_for(agent)
    fields = opened(client, accepted)
    services.comment_add(ticket=accepted, author=elena, body="Restart the print service.")

    response = client.post(change_url(accepted), {**fields, "reply": "Try 4.2.", "_continue": 1})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Changed since you opened this page" in page
    assert "Restart the print service." in page
    assert "Nothing was sent" in page
    assert "Try 4.2." in page  # the text is kept
    assert not Comment.objects.filter(author=agent).exists()
    rearmed = hidden(page, "seen")
    assert rearmed == services.seen_state(accepted) != fields["seen"]

    again = client.post(
        change_url(accepted),
        {**fields, "seen": rearmed, "reply": "Try 4.2.", "_continue": 1},
    )
    assert again.status_code == 302
    assert Comment.objects.filter(author=agent, body="Try 4.2.").count() == 1


def test_an_internal_note_after_the_customer_wrote_is_asked_first(agent, customer, accepted):
    client = client_for(agent)
    fields = opened(client, accepted)
    services.comment_add(ticket=accepted, author=customer, body="It works now, thanks!")
    response = client.post(
        change_url(accepted),
        {**fields, "reply": "Waiting for the fix.", "reply_kind": "internal", "_continue": 1},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "It works now, thanks!" in page and "Waiting for the fix." in page
    assert not accepted.comments.filter(is_internal=True).exists()


def test_a_status_button_after_a_reassignment_shows_who_has_it_now(
    agent, elena, manager, accepted
):
    client = client_for(agent)
    fields = opened(client, accepted)
    services.ticket_assign(ticket=accepted, actor=manager, assignee=elena)
    response = client.post(
        change_url(accepted),
        {**fields, "_fsm_transition_to": "resolve", "reply": "Fixed in 4.2."},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Assignee: {agent.get_full_name()} → Elena Petrova" in page
    assert "Fixed in 4.2." in page
    accepted.refresh_from_db()
    assert accepted.status == Status.IN_PROGRESS

    again = client.post(
        change_url(accepted),
        {
            **fields,
            "seen": hidden(page, "seen"),
            "assign_to": elena.pk,
            "initial-assign_to": elena.pk,
            "_fsm_transition_to": "resolve",
            "reply": "Fixed in 4.2.",
        },
    )
    assert again.status_code == 302
    accepted.refresh_from_db()
    assert accepted.status == Status.RESOLVED


def test_nothing_changed_the_reply_goes_at_the_first_click(agent, accepted):
    client = client_for(agent)
    fields = opened(client, accepted)
    response = client.post(change_url(accepted), {**fields, "reply": "On it.", "_continue": 1})
    assert response.status_code == 302
    assert accepted.comments.filter(body="On it.").exists()


def test_files_chosen_with_a_held_reply_are_kept_and_go_with_the_next_click(
    agent, elena, accepted, screenshot_bytes
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(agent)
    fields = opened(client, accepted)
    services.comment_add(ticket=accepted, author=elena, body="On it too.")
    response = client.post(
        change_url(accepted),
        {
            **fields,
            "reply": "Screenshot of the fix attached.",
            "reply_files": SimpleUploadedFile("fix.png", screenshot_bytes, "image/png"),
            "_continue": 1,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Kept for your reply or note" in page and "fix.png" in page
    assert not accepted.attachments.exists()

    again = client.post(
        change_url(accepted),
        {
            **fields,
            "seen": hidden(page, "seen"),
            "reply": "Screenshot of the fix attached.",
            "reply_pending": hidden(page, "reply_pending"),
            "_continue": 1,
        },
    )
    assert again.status_code == 302
    reply = accepted.comments.get(body="Screenshot of the fix attached.")
    assert [a.original_name for a in reply.attachments.all()] == ["fix.png"]


def test_kept_files_are_only_their_uploaders(agent, elena, accepted, screenshot_bytes):
    """Another agent naming someone's kept file gets nothing attached."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(agent)
    fields = opened(client, accepted)
    services.comment_add(ticket=accepted, author=elena, body="Me too.")
    page = client.post(
        change_url(accepted),
        {
            **fields,
            "reply": "With a file.",
            "reply_files": SimpleUploadedFile("fix.png", screenshot_bytes, "image/png"),
            "_continue": 1,
        },
    ).content.decode()
    theirs = client_for(elena)
    her_fields = opened(theirs, accepted)
    theirs.post(
        change_url(accepted),
        {
            **her_fields,
            "reply": "Stealing?",
            "reply_pending": hidden(page, "reply_pending"),
            "_continue": 1,
        },
    )
    assert not accepted.comments.get(body="Stealing?").attachments.exists()


def test_a_poll_costs_a_fixed_handful_of_queries(agent, elena, accepted, django_assert_num_queries):
    client = client_for(agent)
    seen = services.seen_state(accepted)
    client_for(elena).post(presence_url(accepted), {"state": "viewing"})
    client.post(presence_url(accepted), {"seen": seen})
    # The session, the person, the ticket, its newest comment: whoever else is there.
    with django_assert_num_queries(4):
        client.post(presence_url(accepted), {"seen": seen})
