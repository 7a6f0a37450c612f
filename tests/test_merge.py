"""Merging a duplicate into its original: the rules, what moves, who is told."""

import threading

import pytest
from django.db import connection

from notifications.models import Event, Notification
from notifications.rendering import render_notification
from sla.models import SlaEventKind, SlaState
from tests import factories
from tests.helpers import drive_to
from tickets import rules, services
from tickets.models import (
    Attachment,
    Comment,
    EventKind,
    LinkKind,
    Status,
    TicketLink,
)
from tickets.templatetags.helpdesk import event_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(customer, organisation, agent):
    colleague = factories.CustomerFactory(organisation=organisation)
    original = factories.TicketFactory(requester=customer, subject="Invoices print blank")
    duplicate = factories.TicketFactory(requester=colleague, subject="Blank invoices again")
    services.ticket_accept(ticket=original, actor=agent)
    return duplicate, original


def test_a_merge_moves_the_conversation_and_closes_the_duplicate_linked(
    pair, agent, screenshot_bytes
):
    duplicate, original = pair
    services.comment_add(ticket=duplicate, author=duplicate.requester, body="Since Monday.")
    services.comment_add(ticket=duplicate, author=agent, body="Looks like #41.", internal=True)
    services.comment_add(ticket=original, author=agent, body="Looking into it.")

    result = services.ticket_merge(ticket=duplicate, actor=agent, original=original)

    assert (result.comments, result.files) == (2, 0)
    assert duplicate.status == Status.CLOSED
    assert rules.duplicate_original(duplicate) == original
    assert not duplicate.comments.exists()
    bodies = list(original.comments.values_list("body", "is_internal", "merged_from"))
    assert bodies == [
        ("Since Monday.", False, duplicate.pk),
        ("Looks like #41.", True, duplicate.pk),  # an internal note stays internal
        ("Looking into it.", False, None),
    ]
    # Both histories say so; the duplicate's status change went through the state machine.
    for ticket in (duplicate, original):
        merge = ticket.events.get(kind=EventKind.MERGE)
        assert event_text(merge) == f"Merged {duplicate.number} into {original.number}"
        assert merge.reason == ""  # customers read the history: no count of internal notes
    assert duplicate.events.filter(
        kind=EventKind.STATUS, new_value=Status.CLOSED, reason=f"Merged into {original.number}"
    ).exists()
    # A duplicate closed into another is never reopened by itself.
    assert rules.reopen_refusal(duplicate).code == "duplicate"


def test_files_move_too_and_show_where_they_came_from(pair, agent, screenshot_bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    duplicate, original = pair
    services.comment_add(
        ticket=duplicate,
        author=duplicate.requester,
        body="Screenshot attached.",
        files=[SimpleUploadedFile("blank.png", screenshot_bytes, "image/png")],
    )
    services.ticket_merge(ticket=duplicate, actor=agent, original=original)
    attachment = Attachment.objects.get(original_name="blank.png")
    assert attachment.ticket == original and attachment.merged_from == duplicate
    assert attachment.comment.ticket == original


def test_watchers_merge_and_the_duplicates_requester_watches_the_original(
    pair, agent, organisation
):
    duplicate, original = pair
    follower = factories.CustomerFactory(organisation=organisation)
    colleague_agent = factories.AgentFactory()
    services.ticket_watch(ticket=duplicate, user=follower, watching=True)
    services.ticket_watch(ticket=duplicate, user=colleague_agent, watching=True)

    services.ticket_merge(ticket=duplicate, actor=agent, original=original)

    assert set(original.watchers.all()) == {follower, colleague_agent, duplicate.requester}


def test_the_requester_of_both_is_not_made_a_watcher_of_their_own_ticket(customer, agent):
    original = factories.TicketFactory(requester=customer)
    duplicate = factories.TicketFactory(requester=customer)
    services.ticket_merge(ticket=duplicate, actor=agent, original=original)
    assert not original.watchers.exists()


def test_the_requesters_are_told_in_one_mail_each(pair, agent):
    duplicate, original = pair
    Notification.objects.all().delete()

    services.ticket_merge(ticket=duplicate, actor=agent, original=original)

    rows = Notification.objects.filter(event=Event.TICKET_MERGED)
    assert {row.recipient for row in rows} >= {duplicate.requester, original.requester}
    assert all(row.ticket == original for row in rows)
    assert not Notification.objects.filter(event=Event.STATUS_CHANGED).exists()  # no second mail
    row = rows.get(recipient=duplicate.requester)
    assert row.essential
    mail = render_notification(row)
    assert duplicate.number in mail.subject and original.number in mail.subject
    assert f"{duplicate.number} (“Blank invoices again”)" in mail.text
    assert "the conversation goes on there" in mail.text


def test_the_duplicates_sla_clocks_stop(pair, agent):
    duplicate, original = pair
    services.ticket_merge(ticket=duplicate, actor=agent, original=original)
    duplicate.refresh_from_db()
    assert duplicate.live_clock is None
    assert duplicate.reaction_state == SlaState.STOPPED  # never accepted: no breach later
    assert duplicate.sla_events.filter(kind=SlaEventKind.STOPPED).count() == 1
    assert not original.sla_events.filter(kind=SlaEventKind.STOPPED).exists()


@pytest.mark.parametrize("case", ["itself", "other_organisation", "closed", "rejected"])
def test_merges_that_make_no_sense_are_refused_and_change_nothing(
    case, customer, outsider, agent
):
    duplicate = factories.TicketFactory(requester=customer)
    services.comment_add(ticket=duplicate, author=customer, body="Stays here.")
    if case == "itself":
        original, code = duplicate, "self"
    elif case == "other_organisation":
        original, code = factories.TicketFactory(requester=outsider), "other_organisation"
    else:
        original = factories.TicketFactory(requester=customer)
        drive_to(original, Status[case.upper()], agent=agent, customer=customer)
        code = "original_closed"
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_merge(ticket=duplicate, actor=agent, original=original)
    assert refused.value.code == code
    duplicate.refresh_from_db()
    assert duplicate.status == Status.NEW
    assert duplicate.comments.get().body == "Stays here."


def test_no_chains_either_way(customer, agent):
    first, second, third = (factories.TicketFactory(requester=customer) for _ in range(3))
    services.ticket_merge(ticket=second, actor=agent, original=first)
    # Into a ticket that was merged away: it names where to merge instead.
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_merge(ticket=third, actor=agent, original=second)
    assert refused.value.code == "chain" and first.number in refused.value.message
    # A ticket others were merged into cannot itself be merged away.
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_merge(ticket=first, actor=agent, original=third)
    assert refused.value.code == "chain"
    first.refresh_from_db()
    assert first.is_open


def test_a_closed_duplicate_cannot_be_merged(customer, agent):
    duplicate = factories.TicketFactory(requester=customer)
    drive_to(duplicate, Status.CLOSED, agent=agent, customer=customer)
    original = factories.TicketFactory(requester=customer)
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_merge(ticket=duplicate, actor=agent, original=original)
    assert refused.value.code == "not_allowed"
    assert not TicketLink.objects.filter(kind=LinkKind.DUPLICATE_OF).exists()


def test_only_staff_merge(pair):
    duplicate, original = pair
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_merge(ticket=duplicate, actor=original.requester, original=original)
    assert refused.value.code == "forbidden"


def test_a_change_since_the_agent_looked_is_refused(pair, agent):
    duplicate, original = pair
    services.ticket_request_info(ticket=original, actor=agent, message="Which printer?")
    with pytest.raises(services.ActionRefused) as refused:
        services.ticket_merge(
            ticket=duplicate,
            actor=agent,
            original=original,
            expected_status=Status.NEW,
            expected_original_status=Status.IN_PROGRESS,
        )
    assert refused.value.code == "concurrent"
    assert Comment.objects.filter(merged_from__isnull=False).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_merges_of_one_pair_in_opposite_directions_do_not_deadlock(customer, agent):
    """Both lock the rows in the order of their ids: one merges, the other is refused."""
    first = factories.TicketFactory(requester=customer)
    second = factories.TicketFactory(requester=customer)
    outcomes, barrier = [], threading.Barrier(2)

    def merge(duplicate, original):
        try:
            barrier.wait()
            services.ticket_merge(ticket=duplicate, actor=agent, original=original)
            outcomes.append("merged")
        except services.ActionRefused as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=merge, args=(first, second)),
        threading.Thread(target=merge, args=(second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # The loser sees the winner's result: its original was merged away into its duplicate.
    assert sorted(outcomes) == ["chain", "merged"]


def test_a_comment_mail_still_queued_for_the_duplicate_is_sent_after_the_merge(pair, agent):
    """The comment moved to the original; the mail written before the merge still finds
    it (a digest holding it is not lost either)."""
    duplicate, original = pair
    Notification.objects.all().delete()
    services.comment_add(ticket=duplicate, author=agent, body="Try the 4.2 patch.")
    queued = Notification.objects.filter(event=Event.COMMENT, ticket=duplicate).first()
    assert queued is not None

    services.ticket_merge(ticket=duplicate, actor=agent, original=original)

    mail = render_notification(queued)
    assert "Try the 4.2 patch." in mail.text


def test_the_seen_token_notices_comments_a_merge_brought_in(pair, agent, customer):
    duplicate, original = pair
    services.comment_add(ticket=original, author=customer, body="Still blank.")
    services.comment_add(ticket=duplicate, author=duplicate.requester, body="Older words.")
    original.refresh_from_db()
    seen = services.seen_state(original)

    services.ticket_merge(ticket=duplicate, actor=agent, original=original)

    original.refresh_from_db()
    assert services.seen_state(original) != seen  # the page that showed the old one is stale
    changes = services.changes_since(original, seen)
    assert [c.body for c in changes.comments] == ["Older words."]
