"""Who is mailed about what: both sides, never one's own action, muting, suppression, caps.

The rows are what the outbox holds after the event; delivery is tested elsewhere.
"""

import pytest

from notifications import services as mail
from notifications.api import notify_address
from notifications.models import (
    Event,
    Notification,
    NotificationStatus,
    SuppressedAddress,
    SuppressionKind,
    SuppressionReason,
)
from tests import factories
from tests.helpers import drive_to
from tickets import notify as ticket_mail
from tickets import services
from tickets.models import Priority, Status, TicketType

pytestmark = pytest.mark.django_db


def to(event, **filters) -> list[str]:
    rows = Notification.objects.filter(event=event, **filters).order_by("to_email")
    return [row.to_email for row in rows]


def statuses(event) -> dict[str, str]:
    return {n.to_email: n.status for n in Notification.objects.filter(event=event)}


def test_filing_confirms_to_the_requester_and_alerts_the_managers_not_every_agent(
    customer, agent, second_agent, manager
):
    ticket = factories.TicketFactory(requester=customer)

    assert to(Event.TICKET_FILED, ticket=ticket) == [customer.email]
    assert to(Event.NEW_TICKET, ticket=ticket) == [manager.email]


def test_every_agent_hears_of_new_tickets_when_the_setting_says_so(
    customer, agent, second_agent, manager, settings
):
    settings.TRIAGE_ALL_AGENTS = True
    factories.TicketFactory(requester=customer)
    assert to(Event.NEW_TICKET) == sorted([agent.email, second_agent.email])


def test_without_managers_the_agents_hear_of_new_tickets(customer, agent):
    factories.TicketFactory(requester=customer)
    assert to(Event.NEW_TICKET) == [agent.email]


def test_filing_tells_the_representatives_but_not_when_switched_off(
    customer, representative, agent, settings
):
    factories.TicketFactory(requester=customer)
    assert to(Event.TICKET_FILED) == sorted([customer.email, representative.email])

    settings.NOTIFY_REPRESENTATIVES = False
    Notification.objects.all().delete()
    factories.TicketFactory(requester=customer)
    assert to(Event.TICKET_FILED) == [customer.email]


def test_triage_emails_replace_the_agents_when_set(customer, agent, settings):
    settings.TRIAGE_EMAILS = ["Triage@Vendor.example", agent.email]
    factories.TicketFactory(requester=customer)
    rows = Notification.objects.filter(event=Event.NEW_TICKET).order_by("to_email")
    assert [(r.to_email, r.recipient_id) for r in rows] == [
        (agent.email, agent.pk),
        ("triage@vendor.example", None),
    ]


def test_no_agents_means_the_managers_get_the_alert(customer, manager):
    factories.TicketFactory(requester=customer)
    assert to(Event.NEW_TICKET) == [manager.email]


def test_new_ticket_alerts_are_essential_even_when_muted(customer, agent):
    mail.preference_set_muted(user=agent, muted=True)
    factories.TicketFactory(requester=customer, priority=Priority.NORMAL)
    factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    alerts = Notification.objects.filter(event=Event.NEW_TICKET).order_by("pk")
    assert [(a.context["urgent"], a.status) for a in alerts] == [
        (False, NotificationStatus.PENDING),
        (True, NotificationStatus.PENDING),
    ]


def test_an_urgent_incident_alerts_every_agent_as_well_as_the_managers(customer, agent, manager):
    factories.TicketFactory(requester=customer, priority=Priority.NORMAL)
    assert to(Event.NEW_TICKET) == [manager.email]
    Notification.objects.all().delete()
    factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    assert to(Event.NEW_TICKET) == sorted([agent.email, manager.email])


def test_an_agent_filing_for_a_customer_is_not_alerted_of_it(customer, agent, second_agent):
    factories.TicketFactory(requester=customer, actor=agent)
    assert to(Event.TICKET_FILED) == [customer.email]
    assert to(Event.NEW_TICKET) == [second_agent.email]


def test_nobody_is_mailed_about_their_own_comment(customer, representative, agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    Notification.objects.all().delete()

    services.comment_add(ticket=ticket, author=agent, body="Could you send the log?")
    assert to(Event.COMMENT) == sorted([customer.email, representative.email])

    Notification.objects.all().delete()
    services.comment_add(ticket=ticket, author=customer, body="Attached.")
    assert to(Event.COMMENT) == sorted([agent.email, representative.email])


def test_a_customer_comment_on_an_unassigned_ticket_goes_to_triage(customer, agent, second_agent):
    ticket = factories.TicketFactory(requester=customer)
    services.comment_add(ticket=ticket, author=customer, body="One more detail.")
    assert to(Event.COMMENT) == sorted([agent.email, second_agent.email])


def test_a_colleague_comment_on_an_unassigned_ticket_does_not_go_to_triage(
    customer, agent, second_agent
):
    ticket = factories.TicketFactory(requester=customer)
    services.comment_add(ticket=ticket, author=agent, body="Looking into it.")
    assert to(Event.COMMENT) == [customer.email]


def test_internal_notes_go_to_the_assignee_only(customer, representative, agent, second_agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    services.comment_add(ticket=ticket, author=second_agent, body="Known bug 1234.", internal=True)
    services.comment_add(ticket=ticket, author=agent, body="My own note.", internal=True)

    assert to(Event.INTERNAL_NOTE) == [agent.email]
    assert not Notification.objects.filter(
        context__comment_id__isnull=False,
        audience="customer",
        context__comment_id__in=list(
            ticket.comments.filter(is_internal=True).values_list("pk", flat=True)
        ),
    ).exists()


def test_accepting_tells_the_customer_side_not_the_agent(customer, representative, agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    assert to(Event.STATUS_CHANGED) == sorted([customer.email, representative.email])
    assert to(Event.ASSIGNED) == []  # the agent took it themselves


def test_the_question_and_waiting_for_the_customer_are_one_mail(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    Notification.objects.all().delete()

    services.ticket_request_info(ticket=ticket, actor=agent, message="Which browser do you use?")

    rows = Notification.objects.filter(to_email=customer.email)
    assert [(r.event, r.context["new"]) for r in rows] == [
        (Event.STATUS_CHANGED, Status.WAITING_FOR_CUSTOMER)
    ]
    comment = ticket.comments.get()
    assert rows[0].context["comment_id"] == comment.pk


def test_the_customer_reply_reaches_the_assignee_as_one_mail(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    drive_to(ticket, Status.WAITING_FOR_CUSTOMER, agent=agent, customer=customer)
    Notification.objects.all().delete()

    services.comment_add(ticket=ticket, author=customer, body="Firefox 140.")

    rows = Notification.objects.filter(to_email=agent.email)
    assert [r.event for r in rows] == [Event.STATUS_CHANGED]
    assert rows[0].context["comment_id"] == ticket.comments.latest("pk").pk
    assert to(Event.STATUS_CHANGED) == [agent.email]


def test_closing_by_the_customer_tells_the_assignee(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    drive_to(ticket, Status.RESOLVED, agent=agent, customer=customer)
    Notification.objects.all().delete()
    services.ticket_close(ticket=ticket, actor=customer)
    assert to(Event.STATUS_CHANGED) == [agent.email]


def test_assignment_by_a_colleague_tells_the_new_assignee(customer, agent, second_agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_assign(ticket=ticket, actor=agent, assignee=second_agent)
    assert to(Event.ASSIGNED) == [second_agent.email]


def test_a_priority_change_reaches_the_customer_with_its_reason_even_when_muted(customer, agent):
    ticket = factories.TicketFactory(
        requester=customer, type=TicketType.INCIDENT, priority=Priority.URGENT
    )
    mail.preference_set_muted(user=customer, muted=True)
    services.ticket_change_priority(
        ticket=ticket, actor=agent, priority=Priority.NORMAL, reason="Only one user is affected."
    )
    row = Notification.objects.get(event=Event.PRIORITY_CHANGED)
    assert (row.to_email, row.status) == (customer.email, NotificationStatus.PENDING)
    assert row.context == {
        "old": Priority.URGENT,
        "new": Priority.NORMAL,
        "reason": "Only one user is affected.",
    }


def test_a_rejection_is_essential_and_carries_the_reason(customer, agent):
    mail.preference_set_muted(user=customer, muted=True)
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_reject(ticket=ticket, actor=agent, reason="Out of the contract's scope.")
    row = Notification.objects.get(event=Event.REJECTED)
    assert (row.to_email, row.status) == (customer.email, NotificationStatus.PENDING)
    assert row.context["reason"] == "Out of the contract's scope."


def test_muting_silences_the_non_essential_with_a_visible_reason(customer, agent):
    mail.preference_set_muted(user=customer, muted=True)
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    services.comment_add(ticket=ticket, author=agent, body="Working on it.")

    rows = {r.event: r for r in Notification.objects.filter(to_email=customer.email)}
    assert rows[Event.TICKET_FILED].status == NotificationStatus.PENDING  # essential
    for event in (Event.STATUS_CHANGED, Event.COMMENT):
        assert (rows[event].status, rows[event].suppressed_reason) == (
            NotificationStatus.SUPPRESSED,
            SuppressionReason.MUTED,
        )


def test_a_suppressed_address_gets_nothing(customer, agent):
    mail.suppression_add(email=customer.email.upper(), reason=SuppressionKind.HARD_BOUNCE)
    factories.TicketFactory(requester=customer)
    row = Notification.objects.get(event=Event.TICKET_FILED)
    assert (row.status, row.suppressed_reason) == (
        NotificationStatus.SUPPRESSED,
        SuppressionReason.ADDRESS,
    )


def test_a_cleared_address_gets_mail_again(customer, manager):
    address = mail.suppression_add(email=customer.email, reason=SuppressionKind.COMPLAINT)
    assert mail.suppression_clear(address=address, by=manager)
    factories.TicketFactory(requester=customer)
    assert Notification.objects.get(event=Event.TICKET_FILED).status == NotificationStatus.PENDING
    assert SuppressedAddress.objects.get().cleared_by == manager


def test_more_than_ten_mails_about_a_ticket_in_ten_minutes_are_held_for_one_digest(
    customer, agent, second_agent, time_machine
):
    from notifications.digests import digests_run
    from notifications.rendering import render_notification

    time_machine.move_to("2026-11-23 12:00:00+03:00", tick=False)
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)  # filed + accepted: 2 mails so far
    for n in range(10):
        services.comment_add(ticket=ticket, author=second_agent, body=f"Update {n}")

    rows = list(Notification.objects.filter(to_email=customer.email).order_by("pk"))
    assert [r.status for r in rows].count(NotificationStatus.PENDING) == 10
    assert [(r.status, r.suppressed_reason) for r in rows[10:]] == [
        (NotificationStatus.HELD, SuppressionReason.TICKET_CAP)
    ] * 2
    assert digests_run() == 0  # the window has not ended yet

    time_machine.move_to("2026-11-23 12:10:30+03:00", tick=False)
    assert digests_run() == 2  # the customer's, and the assignee's of the colleague's notes
    assert digests_run() == 0  # once
    digest = Notification.objects.get(event=Event.DIGEST, to_email=customer.email)
    assert (digest.to_email, digest.ticket, digest.status) == (
        customer.email,
        ticket,
        NotificationStatus.PENDING,
    )
    held = Notification.objects.filter(digest=digest)
    assert {r.status for r in held} == {NotificationStatus.DIGESTED} and held.count() == 2
    mail_text = render_notification(digest).text
    assert f"There were 2 more updates on {ticket.number}" in mail_text
    assert "Update 8" in mail_text and "Update 9" in mail_text


def test_a_customer_flood_never_silences_support(customer, agent, settings):
    settings.MAIL_CAP_PER_TICKET = 2
    settings.MAIL_CAP_PER_ADDRESS = 3
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    for n in range(6):
        services.comment_add(ticket=ticket, author=customer, body=f"Any news? {n}")
    for n in range(4):
        factories.TicketFactory(requester=customer, subject=f"Also broken {n}")
    to_agent = Notification.objects.filter(to_email=agent.email)
    assert to_agent.filter(event=Event.COMMENT, status=NotificationStatus.PENDING).count() == 6
    assert to_agent.filter(event=Event.NEW_TICKET, status=NotificationStatus.PENDING).count() == 5
    confirmations = Notification.objects.filter(event=Event.TICKET_FILED, to_email=customer.email)
    assert {c.status for c in confirmations} == {NotificationStatus.PENDING}


def test_the_cap_lifts_when_the_window_has_passed(
    customer, agent, second_agent, settings, time_machine
):
    settings.MAIL_CAP_PER_TICKET = 2
    time_machine.move_to("2026-11-23 12:00:00+03:00", tick=False)
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    services.comment_add(ticket=ticket, author=second_agent, body="Over the cap")
    time_machine.move_to("2026-11-23 12:11:00+03:00", tick=False)
    services.comment_add(ticket=ticket, author=second_agent, body="A new window")

    rows = Notification.objects.filter(to_email=customer.email).order_by("pk")
    assert [r.suppressed_reason for r in rows] == ["", "", SuppressionReason.TICKET_CAP, ""]


def test_the_per_address_cap_counts_every_ticket(customer, agent, settings):
    settings.MAIL_CAP_PER_ADDRESS = 3
    tickets = [factories.TicketFactory(requester=customer) for _ in range(2)]
    for ticket in tickets:  # the confirmations are essential but count towards the cap
        services.ticket_accept(ticket=ticket, actor=agent)
    rows = Notification.objects.filter(to_email=customer.email).order_by("pk")
    assert [r.suppressed_reason for r in rows] == ["", "", "", SuppressionReason.ADDRESS_CAP]
    assert rows.last().status == NotificationStatus.HELD


def test_sla_at_risk_warns_the_assignee_and_a_breach_also_the_managers(customer, agent, manager):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_assign(ticket=ticket, actor=manager, assignee=agent)
    Notification.objects.all().delete()

    ticket_mail.notify_sla(kind="resolution_at_risk", ticket_ids=[ticket.pk])
    ticket_mail.notify_sla(kind="reaction_breached", ticket_ids=[ticket.pk])

    assert to(Event.SLA_AT_RISK) == [agent.email]
    assert to(Event.SLA_BREACHED) == sorted([agent.email, manager.email])
    assert Notification.objects.get(event=Event.SLA_AT_RISK).context["clock"] == "resolution"
    assert not Notification.objects.filter(audience="customer").exists()


def test_the_sla_sweep_mails_in_its_own_transaction(customer, agent):
    import datetime

    from tickets.periodic import sla_sweep

    ticket = factories.TicketFactory(requester=customer)
    sla_sweep(now=ticket.reaction_due + datetime.timedelta(minutes=1))
    assert to(Event.SLA_BREACHED, ticket=ticket) == [agent.email]


def test_reopen_refused_goes_to_the_customer_who_tried(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    row = ticket_mail.notify_reopen_refused(ticket=ticket, user=customer)
    assert (row.event, row.to_email, row.context["window_days"]) == (
        Event.REOPEN_REFUSED,
        customer.email,
        10,
    )


def test_reopen_refused_is_not_sent_to_someone_of_another_organisation(customer, outsider):
    ticket = factories.TicketFactory(requester=customer)
    assert ticket_mail.notify_reopen_refused(ticket=ticket, user=outsider) is None
    assert not Notification.objects.filter(to_email=outsider.email).exists()


def test_a_mail_to_an_address_without_an_account_names_no_ticket(db):
    row = notify_address(
        event="account_invitation", email="Stranger@Example.org", language="ru", context={}
    )
    assert (row.to_email, row.language, row.ticket, row.audience) == (
        "stranger@example.org",
        "ru",
        None,
        "sender",
    )


def test_we_never_mail_our_own_support_address(db, settings):
    assert notify_address(event="account_invitation", email=settings.SUPPORT_EMAIL) is None


def test_a_deactivated_person_gets_nothing(customer, representative, agent):
    representative.is_active = False
    representative.save(update_fields=["is_active"])
    factories.TicketFactory(requester=customer)
    assert to(Event.TICKET_FILED) == [customer.email]


def test_a_comment_by_someone_else_does_not_join_a_status_mail(customer, agent, second_agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    services.comment_add(ticket=ticket, author=second_agent, body="A colleague's answer.")
    assert [
        r.event for r in Notification.objects.filter(to_email=customer.email).order_by("pk")
    ] == [Event.TICKET_FILED, Event.STATUS_CHANGED, Event.COMMENT]


def test_a_comment_does_not_join_a_status_mail_a_worker_already_claimed(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    Notification.objects.filter(event=Event.STATUS_CHANGED).update(
        status=NotificationStatus.SENDING
    )
    services.comment_add(ticket=ticket, author=agent, body="Second thought.")
    assert to(Event.COMMENT) == [customer.email]


def test_representatives_hear_of_colleagues_tickets_in_one_daily_digest(
    customer, representative, agent
):
    from notifications.digests import daily_digests_run
    from notifications.rendering import render_notification

    first = factories.TicketFactory(requester=customer, subject="Invoices are late")
    second = factories.TicketFactory(requester=customer, subject="Export fails")
    services.ticket_accept(ticket=first, actor=agent)
    to_rep = Notification.objects.filter(to_email=representative.email)
    assert {(r.status, r.suppressed_reason) for r in to_rep} == {
        (NotificationStatus.HELD, SuppressionReason.DAILY)
    }
    own = factories.TicketFactory(requester=representative, subject="My own ticket")
    assert Notification.objects.get(
        ticket=own, to_email=representative.email, event=Event.TICKET_FILED
    ).status == NotificationStatus.PENDING  # their own ticket: at once

    assert daily_digests_run() == 1
    assert daily_digests_run() == 0
    digest = Notification.objects.get(event=Event.DIGEST, to_email=representative.email)
    assert digest.ticket is None and digest.status == NotificationStatus.PENDING
    text = render_notification(digest).text
    assert first.number in text and second.number in text


def test_a_representative_may_take_colleagues_ticket_mail_at_once(
    client, customer, representative
):
    client.force_login(representative)
    response = client.post(
        "/mail/settings/", {"language": "en", "representative_immediate": "on"}
    )
    assert response.status_code == 302
    factories.TicketFactory(requester=customer)
    row = Notification.objects.get(to_email=representative.email, event=Event.TICKET_FILED)
    assert (row.status, row.suppressed_reason) == (NotificationStatus.PENDING, "")


@pytest.mark.parametrize("all_agents", [False, True])
def test_an_urgent_filing_reads_the_staff_once(
    customer, agent, second_agent, manager, settings, all_agents, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.TRIAGE_ALL_AGENTS = all_agents
    normal = factories.TicketFactory(requester=customer, priority=Priority.NORMAL)
    urgent = factories.TicketFactory(requester=customer, priority=Priority.URGENT)
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        ticket_mail.notify_ticket_filed(ticket=normal, actor=customer)
    # Every agent and the managers as well as triage, for no query more than a normal one.
    with django_assert_num_queries(len(queries.captured_queries)):
        ticket_mail.notify_ticket_filed(ticket=urgent, actor=customer)
    assert to(Event.NEW_TICKET, ticket=urgent) == sorted(
        [agent.email, second_agent.email, manager.email]
    )
