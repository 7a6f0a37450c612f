"""Staff members' own saved views of the ticket list, and the bulk "Assign to…"."""

import re

import pytest
from django.http import QueryDict

from notifications.models import Event, Notification
from tests import factories
from tests.helpers import result_list
from tickets import services
from tickets.models import EventKind, Priority, SavedView, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

LIST = "/admin/tickets/ticket/"


def save(client, query: str, name: str):
    return client.post(f"{LIST}?{query}", {"saved_view-name": name, "save_view": "1"})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def numbers(response) -> list[str]:
    """The ticket numbers of the list's rows, in order."""
    return re.findall(r'class="ticket-number">([^<]+)<', result_list(response.content.decode()))


def view_filter(page: str) -> str:
    """The list's first filter ("By view") as rendered."""
    return page.split('data-filter-title="view"')[1].split("</details>")[0]


# --- the model and the service ---------------------------------------------------------


def test_a_view_keeps_only_the_lists_own_parameters_in_a_stable_order(agent):
    allowed = {"queue", "status__exact", "q", "o"}
    view, replaced = services.saved_view_save(
        owner=agent,
        name="  New ones about VAT  ",
        query="q=VAT&p=3&e=1&_changelist_filters=x&status__exact=new&evil=1&o=&queue=open",
        allowed=allowed,
    )
    assert not replaced
    assert view.name == "New ones about VAT"
    assert view.query == "q=VAT&queue=open&status__exact=new"


@pytest.mark.parametrize(
    ("name", "query", "said"),
    [
        ("   ", "queue=open", "Give the view a name."),
        ("x" * 81, "queue=open", "A view's name is at most 80 characters; this one has 81."),
        ("Nothing", "p=2&evil=1", "There is nothing to save"),
    ],
)
def test_a_view_without_a_name_with_a_long_one_or_of_nothing_is_refused(
    agent, name, query, said
):
    with pytest.raises(services.ActionRefused, match=said):
        services.saved_view_save(owner=agent, name=name, query=query, allowed={"queue"})
    assert not SavedView.objects.exists()


def test_customers_cannot_have_views(customer):
    with pytest.raises(services.ActionRefused):
        services.saved_view_save(owner=customer, name="Mine", query="queue=open", allowed={"queue"})


# --- saving, replacing and deleting from the list --------------------------------------


def test_the_save_form_shows_on_a_filtered_list_only(client, agent):
    client.force_login(agent)
    assert 'name="saved_view-name"' not in client.get(LIST).content.decode()
    assert 'name="saved_view-name"' not in client.get(f"{LIST}?p=1").content.decode()
    for query in ("queue=open", "q=VAT", "o=3", "priority__exact=1"):
        page = client.get(f"{LIST}?{query}").content.decode()
        assert 'name="saved_view-name"' in page and 'maxlength="80"' in page


def test_an_agent_saves_the_filtered_list_and_lands_on_it(client, agent):
    client.force_login(agent)
    query = "queue=open&priority__exact=1&q=invoice&p=2&_facets=1&foo=1&e=1"
    response = save(client, query, "Urgent")
    view = SavedView.objects.get()
    assert (view.owner, view.name) == (agent, "Urgent")
    assert QueryDict(view.query) == QueryDict("priority__exact=1&q=invoice&queue=open")
    assert response.status_code == 302 and response.url == f"{LIST}?{view.query}"
    page = client.get(response.url)
    assert "Saved this list as your view “Urgent”." in messages_of(page)
    # The view is chosen in the filter, not the built-in queue it starts from.
    shown = view_filter(page.content.decode())
    assert '<li class="saved-view selected">' in shown
    assert f'href="?{view.query.replace("&", "&amp;")}">Urgent</a>' in shown
    assert '<li class="selected">' not in shown


def test_saving_under_the_same_name_replaces_the_view_and_says_so(client, agent):
    client.force_login(agent)
    save(client, "queue=open", "Mine")
    response = save(client, "queue=mine&o=-2", "mine")
    view = SavedView.objects.get()
    assert (view.name, view.query) == ("mine", "o=-2&queue=mine")
    said = messages_of(client.get(response.url))
    assert "Your view “mine” now shows this list (it replaced the one saved before)." in said


def test_a_refused_name_shows_the_same_list_with_the_reason_and_the_name_kept(
    client, agent, customer
):
    new = factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    client.force_login(agent)
    response = save(client, "priority__exact=1", "")
    page = response.content.decode()
    assert response.status_code == 200
    assert "The view was not saved: Give the view a name." in messages_of(response)
    assert '<ul class="errorlist"' in page and "Give the view a name." in page
    assert new.number in result_list(page)  # the same list

    long_name = "A" * 81
    page = save(client, "priority__exact=1", long_name).content.decode()
    assert "at most 80 characters" in page and f'value="{long_name}"' in page
    assert not SavedView.objects.exists()


def test_a_list_that_cannot_be_shown_is_not_saved(client, agent):
    client.force_login(agent)
    response = save(client, "assignee__id__exact=nobody", "Broken")
    assert response.status_code == 302 and response.url == f"{LIST}?e=1"  # Django's own
    said = messages_of(client.get(response.url))
    assert "The view was not saved: This list cannot be shown, so it cannot be saved." in said
    assert not SavedView.objects.exists()


def test_the_owner_deletes_a_view_and_nobody_else_can(client, agent):
    colleague = factories.AgentFactory()
    client.force_login(agent)
    save(client, "queue=open", "Open")
    view = SavedView.objects.get()

    client.force_login(colleague)
    page = client.get(f"{LIST}?queue=open").content.decode()
    shown = view_filter(page)  # not theirs to see
    assert "My views" not in shown and 'name="delete_view"' not in shown
    response = client.post(f"{LIST}?queue=open", {"delete_view": view.pk}, follow=True)
    assert "You have no such view (deleted already?)." in messages_of(response)
    assert SavedView.objects.filter(pk=view.pk).exists()

    client.force_login(agent)
    page = client.get(LIST).content.decode()
    assert f'name="delete_view" value="{view.pk}"' in view_filter(page)
    response = client.post(f"{LIST}?q=VAT", {"delete_view": view.pk})
    assert response.status_code == 302 and response.url == f"{LIST}?q=VAT"
    assert "Deleted your view “Open”." in messages_of(client.get(response.url))
    assert not SavedView.objects.exists()


def test_customers_reach_none_of_it(client, agent, customer):
    client.force_login(agent)
    save(client, "queue=open", "Open")
    view = SavedView.objects.get()
    client.force_login(customer)
    for data in ({"saved_view-name": "Mine", "save_view": "1"}, {"delete_view": view.pk}):
        response = client.post(f"{LIST}?queue=open", data)
        assert response.status_code == 302 and "/login/" in response.url
    assert list(SavedView.objects.values_list("owner", "name")) == [(agent.pk, "Open")]


# --- the filter and the dashboard ------------------------------------------------------


def test_the_filter_lists_ones_own_views_under_the_built_in_ones(client, agent):
    colleague = factories.AgentFactory()
    SavedView.objects.create(owner=colleague, name="Their view", query="queue=flagged")
    SavedView.objects.create(owner=agent, name="Zebra", query="queue=waiting")
    SavedView.objects.create(owner=agent, name="Alpha", query="o=2")
    client.force_login(agent)
    shown = view_filter(client.get(LIST).content.decode())
    assert shown.index("All open") < shown.index("My views") < shown.index("Alpha")
    assert shown.index("Alpha") < shown.index("Zebra")
    assert "Their view" not in shown
    assert '<li class="selected">' in shown  # "All": no view is chosen


def test_a_saved_view_shows_the_list_it_was_saved_from(client, agent, customer):
    colleague = factories.AgentFactory()
    urgent_mine = factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    services.ticket_accept(ticket=urgent_mine, actor=agent)
    urgent_theirs = factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    services.ticket_accept(ticket=urgent_theirs, actor=colleague)
    normal_mine = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=normal_mine, actor=agent)
    client.force_login(agent)
    query = "queue=mine&priority__exact=1"
    before = numbers(client.get(f"{LIST}?{query}"))

    link = save(client, query, "My urgent").url
    after = numbers(client.get(link))
    assert after == before
    assert urgent_mine.number in after
    assert urgent_theirs.number not in after and normal_mine.number not in after


def test_the_list_makes_as_many_queries_with_5_saved_views_as_with_none(
    client, agent, django_assert_num_queries, django_assert_max_num_queries
):
    for _ in range(5):
        factories.TicketFactory()
    client.force_login(agent)
    client.get(f"{LIST}?queue=open")  # warm the per-process caches
    with django_assert_max_num_queries(11) as none:
        page = client.get(f"{LIST}?queue=open").content.decode()
    assert "My views" not in page
    for n in range(5):
        SavedView.objects.create(owner=agent, name=f"View {n}", query=f"o={n + 1}")
    with django_assert_num_queries(len(none.captured_queries)):
        page = client.get(f"{LIST}?queue=open").content.decode()
    assert view_filter(page).count('name="delete_view"') == 5


def test_the_dashboard_links_to_ones_own_views(client, agent):
    SavedView.objects.create(owner=agent, name="Urgent ones", query="priority__exact=1")
    SavedView.objects.create(owner=factories.AgentFactory(), name="Not mine", query="o=1")
    client.force_login(agent)
    page = client.get("/admin/").content.decode()
    assert "My views" in page
    assert f'<a href="{LIST}?priority__exact=1">Urgent ones</a>' in page
    assert "Not mine" not in page


# --- bulk "Assign to…" -----------------------------------------------------------------


def bulk(client, action, tickets, **fields):
    data = {"action": action, "_selected_action": [t.pk for t in tickets], **fields}
    return client.post(LIST, data, follow=True)


def assignments(ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNEE).count()


def assigned_mails(user) -> int:
    return Notification.objects.filter(recipient=user, event=Event.ASSIGNED).count()


def test_bulk_assign_to_a_colleague_asks_whom_then_reports_each_ticket(
    client, agent, customer
):
    elena = factories.AgentFactory(full_name="Elena Smirnova")
    factories.AgentFactory(full_name="Away Person", is_active=False)
    first = factories.TicketFactory(requester=customer)
    second = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=second, actor=agent)
    already = factories.TicketFactory(requester=customer)
    services.ticket_assign(ticket=already, actor=agent, assignee=elena)
    mails_before = assigned_mails(elena)
    events_before = {t.pk: assignments(t) for t in (first, second, already)}
    client.force_login(agent)

    page = bulk(client, "bulk_assign", [first, second, already]).content.decode()
    assert "Assign to…" in page and "Nobody (unassign)" in page
    assert "Elena Smirnova (" in page
    assert "Away Person" not in page  # only active staff
    assert {t.pk: assignments(t) for t in (first, second, already)} == events_before

    response = bulk(client, "bulk_assign", [first, second, already], apply="1", assignee=elena.pk)
    said = messages_of(response)
    assert f"Changed: {first.number}, {second.number}." in said
    assert f"Not changed: {already.number}: It is assigned to Elena Smirnova already." in said
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {elena.pk}
    # One history entry and one mail to Elena per ticket changed, as for a single assign.
    for ticket in (first, second):
        assert assignments(ticket) == events_before[ticket.pk] + 1
        event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNEE).last()
        assert (event.actor, event.new_value) == (agent, "Elena Smirnova")
    assert assignments(already) == events_before[already.pk]
    assert assigned_mails(elena) == mails_before + 2
    assert not Notification.objects.filter(recipient=customer, event=Event.ASSIGNED).exists()


def test_bulk_assign_to_nobody_unassigns_and_an_empty_choice_changes_nothing(
    client, agent, customer
):
    first = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=first, actor=agent)
    nobodys = factories.TicketFactory(requester=customer)
    client.force_login(agent)

    page = bulk(client, "bulk_assign", [first], apply="1", assignee="").content.decode()
    assert "This field is required." in page
    first.refresh_from_db()
    assert first.assignee == agent

    said = messages_of(bulk(client, "bulk_assign", [first, nobodys], apply="1", assignee="nobody"))
    assert f"Changed: {first.number}." in said
    assert f"Not changed: {nobodys.number}: Nobody is assigned to it already." in said
    first.refresh_from_db()
    assert first.assignee is None
    assert TicketEvent.objects.filter(ticket=first, kind=EventKind.ASSIGNEE, new_value="").exists()


def test_bulk_assign_refuses_a_colleague_deactivated_since_the_form_was_shown(
    client, agent, customer
):
    leaving = factories.AgentFactory(full_name="Leaving Soon")
    ticket = factories.TicketFactory(requester=customer)
    client.force_login(agent)
    assert "Leaving Soon" in bulk(client, "bulk_assign", [ticket]).content.decode()
    leaving.is_active = False
    leaving.save(update_fields=["is_active"])
    page = bulk(client, "bulk_assign", [ticket], apply="1", assignee=leaving.pk)
    assert "Select a valid choice." in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.status == Status.NEW


def test_bulk_assign_to_me_says_which_tickets_were_mine_already(client, agent, customer):
    mine = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=mine, actor=agent)
    fresh = factories.TicketFactory(requester=customer)
    before = assignments(mine)
    client.force_login(agent)
    said = messages_of(bulk(client, "bulk_assign_to_me", [mine, fresh]))
    assert f"Changed: {fresh.number}." in said
    assert f"Not changed: {mine.number}: It is assigned to {agent.get_full_name()} already." in said
    assert assignments(mine) == before
