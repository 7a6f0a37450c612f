"""The staff workspace in a real browser (1280×900, the CSP enforced): the dashboard, the
ticket list without a horizontal scroll, asking for information with the typed text, a
queue worked with a saved view, a bulk action, the keyboard and a macro, and a list saved
as an agent's own view and bulk-assigned from it to a colleague."""

import re

import pytest

from notifications.models import Event, Notification
from tests import factories
from tests.axe import assert_accessible
from tests.browser import admin_login
from tickets import services
from tickets.models import Comment, Macro, Priority, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_asks_for_information_with_the_typed_reply_once(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    ticket = factories.TicketFactory(subject="Invoices stop at 40 %")
    services.ticket_accept(ticket=ticket, actor=agent)
    for _ in range(12):
        factories.TicketFactory(subject="A rather long subject for the list " * 3)

    page = new_page("agent")
    admin_login(page, base, agent)
    expect(page.locator(".triage-mine .count")).to_have_text("1")
    page.locator(".triage-mine a").click()
    expect(page.locator("#result_list")).to_contain_text(ticket.number)
    page.goto(f"{base}/admin/tickets/ticket/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    page.get_by_role("link", name=ticket.number).click()
    mails_before = Notification.objects.filter(ticket=ticket, recipient=ticket.requester).count()
    page.locator("textarea[name=reply]").fill("Which version do you run?")
    page.get_by_role("button", name="Ask for information").first.click()
    expect(page.locator(".messagelist")).to_contain_text(
        f"{ticket.number} is now “Waiting for customer”."
    )
    expect(page.locator("textarea[name=message]")).to_have_count(0)  # not asked again
    expect(page.locator("article.post")).to_have_count(1)
    expect(page.locator("article.post")).to_contain_text("Which version do you run?")

    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_CUSTOMER
    assert Comment.objects.filter(ticket=ticket).count() == 1
    mails = Notification.objects.filter(ticket=ticket, recipient=ticket.requester).count()
    assert mails == mails_before + 1


def test_an_agent_works_a_queue_of_20_with_a_saved_view_and_replies_with_a_macro(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    requester = factories.CustomerFactory(full_name="Olga Petrova")
    tickets = [factories.TicketFactory(requester=requester) for _ in range(20)]
    Macro.objects.create(
        name="Looking into it",
        body_en="Hello {{ requester }}, {{ agent }} here: we are looking into {{ number }}.",
        body_ru="Здравствуйте, {{ requester }}! {{ agent }}: мы разбираемся с {{ number }}.",
        set_priority=Priority.HIGH,
    )

    page = new_page("agent")
    admin_login(page, base, agent)
    page.locator(".triage-unassigned a").click()  # the saved view "Unassigned"
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(20)

    # Keyboard: the second ticket of the view, assigned to me with "a".
    shortcuts_ready(page)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile("is-current"))
    page.keyboard.press("Enter")
    expect(page.locator("#reply-box")).to_be_visible()
    page.wait_for_load_state()
    second = ticket_on(page)
    page.keyboard.press("a")
    expect(page.locator(".messagelist")).to_contain_text("Assigned to Ivan Sidorov.")
    assert ticket_on(page) == second

    # The rest of the view at once, with the bulk action.
    page.goto(f"{base}/admin/tickets/ticket/?queue=unassigned")
    expect(rows).to_have_count(19)
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("bulk_assign_to_me")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("Changed: ")
    assert Ticket.objects.filter(assignee=agent).count() == 20

    page.goto(f"{base}/admin/tickets/ticket/?queue=mine")
    expect(rows).to_have_count(20)
    rows.nth(0).locator("th a").click()
    page.wait_for_load_state()
    first = ticket_on(page)
    # Next and previous follow the view; the help says so and gives the focus back.
    page.keyboard.press("j")
    expect(page).not_to_have_url(re.compile(f"/ticket/{first.pk}/"))
    page.wait_for_load_state()
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(f"/ticket/{first.pk}/change/.*queue%3Dmine"))
    page.wait_for_load_state()
    opener = page.get_by_role("button", name="Keyboard shortcuts (?)")
    opener.click()
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Assign the ticket to me")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    expect(opener).to_be_focused()

    box = page.locator("#reply-box")
    box.get_by_role("button", name="Accept").click()
    expect(page.locator(".messagelist")).to_contain_text(f"{first.number} is now “In progress”.")
    page.wait_for_load_state()

    # "r" goes to the box; typed letters there are text, not shortcuts.
    page.keyboard.press("r")
    reply = page.locator("textarea[name=reply]")
    expect(reply).to_be_focused()
    page.keyboard.type("jk")
    expect(reply).to_have_value("jk")
    assert ticket_on(page) == first
    # Unsent text: another ticket asks first (the browser's confirm, refused here).
    reply.blur()
    # (Accepted, the ticket moved to its resolution deadline's place in the view.)
    key = "j" if page.locator("a[data-shortcut=next]").count() else "k"
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.keyboard.press(key)
    expect(reply).to_have_value("jk")
    assert asked == ["The reply box has text that was not sent. Leave it?"]
    assert ticket_on(page) == first

    # An internal note looks different; back to a public reply with a macro.
    box.get_by_label("Internal note").check()
    expect(box.locator(".reply-kind-notice-internal")).to_be_visible()
    box.get_by_label("Public reply").check()
    expect(box.locator(".reply-kind-notice-internal")).to_be_hidden()
    reply.fill("")
    expect(box.get_by_role("button", name="Use macro")).to_be_hidden()
    box.get_by_label("Macro").select_option(label="Looking into it")
    text = f"Hello Olga Petrova, Ivan Sidorov here: we are looking into {first.number}."
    expect(reply).to_have_value(text)
    expect(box.locator("#macro-effects")).to_contain_text("Priority: High")
    reply.fill(text + " We will call you at 15:00.")
    assert_accessible(page)
    box.get_by_role("button", name="Send").click()
    expect(page.locator(".messagelist")).to_contain_text("Reply sent to the customer.")
    expect(page.locator(".messagelist")).to_contain_text("Priority is now High.")

    first.refresh_from_db()
    assert first.priority == Priority.HIGH and first.status == Status.IN_PROGRESS
    sent = Comment.objects.get(ticket=first)
    assert sent.body == text + " We will call you at 15:00." and not sent.is_internal
    carrying = Notification.objects.filter(
        ticket=first, recipient=requester, context__comment_id=sent.pk
    )
    assert carrying.count() == 1
    assert {t.assignee_id for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])} == {
        agent.pk
    }


def open_filters(page) -> None:
    """The list's filters open in a side sheet below 1536 px (unfold)."""
    page.locator("a", has_text="Filters").first.click()
    page.locator("#changelist-filter").wait_for(state="visible")


def shortcuts_ready(page) -> None:
    """The page's shortcut keys are listening (a key pressed before its script ran is
    lost, as it would be for a person)."""
    page.wait_for_function("document.body.dataset.shortcuts === 'ready'")


def ticket_on(page) -> Ticket:
    return Ticket.objects.get(pk=int(page.url.split("/ticket/")[1].split("/")[0]))


def test_list_shortcuts_select_rows_and_assign_them_but_never_while_typing(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    for _ in range(3):
        factories.TicketFactory()
    page = new_page("agent")
    admin_login(page, base, agent)
    page.goto(f"{base}/admin/tickets/ticket/?queue=unassigned")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    listed = [ticket_on_row(rows.nth(i)) for i in range(3)]

    page.locator("#searchbar").press_sequentially("jx")  # text, not shortcuts
    expect(page.locator("#result_list tr.is-current")).to_have_count(0)
    page.locator("#searchbar").fill("")
    page.locator("#searchbar").blur()

    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("input.action-select:checked")).to_have_count(2)
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_contain_text("Assign the selected tickets (or this one) to me")
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.locator(".messagelist")).to_contain_text(
        f"Changed: {', '.join(sorted([listed[0].number, listed[2].number]))}."
    )
    assigned = dict(
        Ticket.objects.filter(pk__in=[t.pk for t in listed]).values_list("pk", "assignee_id")
    )
    assert [assigned[t.pk] for t in listed] == [agent.pk, None, agent.pk]


def ticket_on_row(row) -> Ticket:
    href = row.locator("th a").get_attribute("href")
    return Ticket.objects.get(pk=int(href.split("/ticket/")[1].split("/")[0]))


def test_the_urgent_banner_appears_and_goes_by_itself_and_the_counts_follow(
    django_db_setup, live_server, new_page, settings
):
    """An agent keeps the dashboard open: an Urgent incident filed meanwhile shows in the
    banner and the counts without a reload, and goes when a colleague accepts it."""
    from playwright.sync_api import expect

    settings.STAFF_LIVE_POLL_SECONDS = 1
    base = live_server.url
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    colleague = factories.AgentFactory(full_name="Elena Petrova")
    page = new_page("agent")
    admin_login(page, base, agent)
    banner = page.locator("#staff-live-slot")
    expect(page.locator(".triage-urgent_new .count")).to_have_text("0")
    expect(page.locator(".dashboard-live")).to_be_visible()  # the script keeps them current
    expect(banner).to_have_text("")

    urgent = factories.TicketFactory(priority=Priority.URGENT, subject="Payments are down")
    expect(banner.get_by_role("alert")).to_contain_text(urgent.number, timeout=10_000)
    expect(banner).to_contain_text("Payments are down")
    expect(page.locator(".triage-urgent_new .count")).to_have_text("1")
    assert_accessible(page, "the dashboard with the Urgent banner")

    services.ticket_accept(ticket=urgent, actor=colleague)
    expect(banner.get_by_role("alert")).to_have_count(0, timeout=10_000)
    expect(page.locator(".triage-urgent_new .count")).to_have_text("0")
    assert page.url == f"{base}/admin/"  # never reloaded
def test_an_agent_saves_a_filtered_list_as_a_view_and_assigns_from_it_to_a_colleague(
    django_db_setup, live_server, new_page
):
    from playwright.sync_api import expect

    base = live_server.url
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    elena = factories.AgentFactory(full_name="Elena Smirnova")
    urgent = [factories.TicketFactory(priority=Priority.URGENT) for _ in range(2)]
    for _ in range(3):
        factories.TicketFactory(priority=Priority.NORMAL)

    page = new_page("agent")
    admin_login(page, base, agent)
    page.goto(f"{base}/admin/tickets/ticket/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(5)
    expect(page.get_by_label("Save this view as")).to_have_count(0)  # nothing to save yet
    open_filters(page)
    page.locator("#changelist-filter").get_by_role("link", name="Urgent", exact=True).click()
    expect(rows).to_have_count(2)

    page.get_by_label("Save this view as").fill("Urgent ones")
    page.get_by_role("button", name="Save this view").click()
    expect(page.locator(".messagelist")).to_contain_text(
        "Saved this list as your view “Urgent ones”."
    )
    views = page.locator('details[data-filter-title="view"]')
    expect(views.locator("li.saved-view.selected")).to_contain_text("Urgent ones")
    assert_accessible(page)

    page.goto(f"{base}/admin/tickets/ticket/")
    expect(rows).to_have_count(5)
    open_filters(page)
    views.get_by_role("link", name="Urgent ones").click()
    expect(rows).to_have_count(2)
    expect(views.locator("li.saved-view.selected")).to_contain_text("Urgent ones")

    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("bulk_assign")
    page.locator("button[name=index]").click()
    page.get_by_label("Assign to").select_option(label="Elena Smirnova (Contractor agent)")
    assert_accessible(page)
    page.get_by_role("button", name="Assign to…").click()
    numbers = ", ".join(sorted(t.number for t in urgent))
    expect(page.locator(".messagelist")).to_contain_text(f"Changed: {numbers}.")
    assert set(Ticket.objects.filter(assignee=elena).values_list("pk", flat=True)) == {
        t.pk for t in urgent
    }
    assigned = Notification.objects.filter(recipient=elena, event=Event.ASSIGNED)
    assert sorted(assigned.values_list("ticket", flat=True)) == sorted(t.pk for t in urgent)
