"""Out-of-hours work: asked by either side, approved by the customer's representative and a
contractor manager, both sides mailed at each step — through the portal and the admin."""

import datetime
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from billing import selectors, services
from billing.models import Decision, OutOfHoursRequest, OutOfHoursStatus
from notifications.models import Notification
from notifications.rendering import render_notification
from sla.models import ClockWindow
from tests import factories
from tests.billing.conftest import mails, msk
from tests.helpers import flash_messages as raw_flash_messages
from tests.helpers import text
from tickets import services as ticket_services
from tickets.models import Priority, TicketType

pytestmark = pytest.mark.django_db


def flash_messages(html: str) -> list[tuple[str, str]]:
    return [(level, unescape(message)) for level, message in raw_flash_messages(html)]


def _ask(client, user, ticket, start="2026-11-27T20:00", end="2026-11-27T23:00",
         reason="The nightly billing run must be restarted."):
    client.force_login(user)
    return client.post(
        reverse("billing:ooh_request", args=[ticket.number]),
        {"start": start, "end": end, "reason": reason},
    )


def _decide_in_portal(client, user, ooh, decision="approve", comment=""):
    client.force_login(user)
    return client.post(
        reverse("billing:ooh_decide", args=[ooh.pk]), {"decision": decision, "comment": comment}
    )


def _decide_in_admin(client, user, ooh, decision="approve", comment=""):
    client.force_login(user)
    return client.post(
        reverse("admin:billing_outofhoursrequest_decide", args=[ooh.pk]),
        {"decision": decision, "comment": comment},
    )


def test_a_customers_request_needs_the_representative_and_a_manager_and_mails_both_sides(
    client, customer, representative, manager, agent, urgent_incident, friday_evening
):
    ticket_services.ticket_accept(ticket=urgent_incident, actor=agent)
    Notification.objects.all().delete()

    response = _ask(client, customer, urgent_incident)
    assert response.status_code == 302
    ooh = OutOfHoursRequest.objects.get()
    # Entered in Moscow time, stored as the same instant.
    assert (ooh.start, ooh.end) == (msk(2026, 11, 27, 20), msk(2026, 11, 27, 23))
    assert ooh.requested_by == customer
    assert (ooh.customer_decision, ooh.contractor_decision) == (Decision.PENDING, Decision.PENDING)
    assert ooh.status == OutOfHoursStatus.PENDING
    # Requested: both sides, not the asker.
    assert mails("ooh_requested") == sorted([representative.email, manager.email, agent.email])

    page = text(client.get(reverse("portal:ticket_detail", args=[urgent_incident.number])))
    assert "27 Nov 2026, 20:00 – 23:00 (GMT+3)" in page
    assert "Awaiting approval" in page
    assert 'name="decision" value="approve"' not in page  # an employee does not approve

    # The representative approves in the portal: one side done.
    response = _decide_in_portal(client, representative, ooh)
    assert response.status_code == 302
    ooh.refresh_from_db()
    assert ooh.customer_decision == Decision.APPROVED
    assert ooh.customer_decided_by == representative
    assert ooh.status == OutOfHoursStatus.PENDING
    assert selectors.approved_windows(urgent_incident) == []
    assert mails("ooh_side_approved") == sorted([customer.email, manager.email, agent.email])

    # A manager approves in the admin: approved by both parties.
    response = _decide_in_admin(client, manager, ooh)
    assert response.status_code == 302
    ooh.refresh_from_db()
    assert ooh.contractor_decision == Decision.APPROVED
    assert ooh.status == OutOfHoursStatus.APPROVED
    assert selectors.approved_windows(urgent_incident) == [
        (msk(2026, 11, 27, 20), msk(2026, 11, 27, 23))
    ]
    assert mails("ooh_approved") == sorted([customer.email, representative.email, agent.email])

    client.force_login(customer)
    page = text(client.get(reverse("portal:ticket_detail", args=[urgent_incident.number])))
    assert '<span class="badge ooh-approved">Approved</span>' in page


def test_a_representatives_own_request_is_the_customers_approval(
    client, representative, manager, urgent_incident, friday_evening
):
    _ask(client, representative, urgent_incident)
    ooh = OutOfHoursRequest.objects.get()
    assert ooh.customer_decision == Decision.APPROVED
    assert ooh.customer_decided_by == representative
    assert ooh.contractor_decision == Decision.PENDING
    assert ooh.status == OutOfHoursStatus.PENDING

    # Nothing left on the customer's side to decide.
    response = _decide_in_portal(client, representative, ooh)
    assert ("error", "This request is already “Approved”; nothing was changed.") in (
        flash_messages(text(client.get(response.url)))
    )
    _decide_in_admin(client, manager, ooh)
    ooh.refresh_from_db()
    assert ooh.status == OutOfHoursStatus.APPROVED


def test_an_agents_request_needs_both_sides_and_a_managers_own_is_the_contractors_approval(
    client, customer, representative, agent, manager, urgent_incident, friday_evening
):
    admin_add = reverse("admin:billing_outofhoursrequest_add")
    form = {
        "ticket": urgent_incident.pk, "start_0": "2026-11-27", "start_1": "20:00",
        "end_0": "2026-11-27", "end_1": "23:00", "reason": "Database failover tonight.",
    }
    client.force_login(agent)
    response = client.post(admin_add, form)
    assert response.status_code == 302
    by_agent = OutOfHoursRequest.objects.get()
    assert (by_agent.customer_decision, by_agent.contractor_decision) == ("pending", "pending")
    assert by_agent.start == msk(2026, 11, 27, 20)
    # The agent cannot approve it for the contractor.
    _decide_in_admin(client, agent, by_agent)
    by_agent.refresh_from_db()
    assert by_agent.contractor_decision == Decision.PENDING
    assert mails("ooh_requested") == sorted([customer.email, representative.email, manager.email])

    client.force_login(manager)
    client.post(admin_add, {**form, "reason": "Second attempt"})
    by_manager = OutOfHoursRequest.objects.exclude(pk=by_agent.pk).get()
    assert by_manager.contractor_decision == Decision.APPROVED
    assert by_manager.customer_decision == Decision.PENDING
    _decide_in_portal(client, representative, by_manager)
    by_manager.refresh_from_db()
    assert by_manager.status == OutOfHoursStatus.APPROVED


def test_one_decline_ends_the_request_and_both_sides_hear_why(
    client, customer, representative, manager, urgent_incident, friday_evening
):
    _ask(client, customer, urgent_incident)
    ooh = OutOfHoursRequest.objects.get()
    _decide_in_admin(client, manager, ooh, "approve")
    _decide_in_portal(client, representative, ooh, "decline", "We will wait until Monday.")
    ooh.refresh_from_db()
    assert ooh.status == OutOfHoursStatus.DECLINED
    assert ooh.customer_decision == Decision.DECLINED
    assert ooh.customer_comment == "We will wait until Monday."
    assert mails("ooh_declined") == sorted([customer.email, manager.email])
    row = Notification.objects.filter(event="ooh_declined", to_email=manager.email).get()
    assert "We will wait until Monday." in render_notification(row).text
    assert selectors.approved_windows(urgent_incident) == []


def test_a_declined_request_cannot_be_approved_later(
    client, customer, representative, manager, urgent_incident, friday_evening
):
    _ask(client, customer, urgent_incident)
    ooh = OutOfHoursRequest.objects.get()
    _decide_in_admin(client, manager, ooh, "decline", "No engineer on duty.")
    response = _decide_in_portal(client, representative, ooh, "approve")
    assert ("error", "This request is already “Declined”; nothing was changed.") in (
        flash_messages(text(client.get(response.url)))
    )
    ooh.refresh_from_db()
    assert ooh.customer_decision == Decision.PENDING
    assert ooh.status == OutOfHoursStatus.DECLINED


def test_an_employee_cannot_approve_and_another_organisation_cannot_see_the_request(
    client, customer, outsider, urgent_incident, friday_evening
):
    _ask(client, customer, urgent_incident)
    ooh = OutOfHoursRequest.objects.get()
    response = _decide_in_portal(client, customer, ooh)
    assert ("error", "Only the customer's representative or a contractor manager decides on "
                     "out-of-hours work.") in flash_messages(text(client.get(response.url)))

    other_rep = factories.RepresentativeFactory(organisation=outsider.organisation)
    assert _decide_in_portal(client, other_rep, ooh).status_code == 404
    assert _ask(client, other_rep, urgent_incident).status_code == 404
    ooh.refresh_from_db()
    assert ooh.customer_decision == Decision.PENDING


def test_the_urgent_incident_button_asks_from_now_for_four_hours_in_one_click(
    client, customer, representative, manager, urgent_incident, friday_evening
):
    page_url = reverse("portal:ticket_detail", args=[urgent_incident.number])
    client.force_login(customer)
    assert "Request out-of-hours work now" in text(client.get(page_url))

    # Clicked at 18:00 on a Friday: business hours run to 19:00, so 19:00-23:00.
    client.post(reverse("billing:ooh_urgent", args=[urgent_incident.number]))
    ooh = OutOfHoursRequest.objects.get()
    assert (ooh.start, ooh.end) == (msk(2026, 11, 27, 19), msk(2026, 11, 27, 23))
    assert ooh.reason == (
        f"Urgent incident {urgent_incident.number}: the work cannot wait for business hours."
    )
    assert ooh.customer_decision == Decision.PENDING

    # The representative's click is the customer's approval at once.
    client.force_login(representative)
    response = client.post(reverse("billing:ooh_urgent", args=[urgent_incident.number]))
    mine = OutOfHoursRequest.objects.exclude(pk=ooh.pk).get()
    assert mine.customer_decision == Decision.APPROVED
    assert ("success", "Out-of-hours work is requested and approved for your organisation; a "
                       "contractor manager approves it next.") in flash_messages(
        text(client.get(response.url))
    )


def test_at_night_the_one_click_window_starts_now(client, customer, urgent_incident):
    with time_machine.travel(msk(2026, 11, 28, 3, 17, 42), tick=False):
        client.force_login(customer)
        client.post(reverse("billing:ooh_urgent", args=[urgent_incident.number]))
    ooh = OutOfHoursRequest.objects.get()
    assert (ooh.start, ooh.end) == (msk(2026, 11, 28, 3, 17), msk(2026, 11, 28, 7, 17))


def test_the_one_click_button_is_only_on_urgent_incidents(client, customer, friday_evening):
    normal = factories.TicketFactory(requester=customer, priority=Priority.HIGH)
    client.force_login(customer)
    page = text(client.get(reverse("portal:ticket_detail", args=[normal.number])))
    assert "Request out-of-hours work now" not in page
    assert "Request out-of-hours work" in page  # the form with a window is there
    client.post(reverse("billing:ooh_urgent", args=[normal.number]))
    assert not OutOfHoursRequest.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "error"),
    [
        ("2026-11-27T23:00", "2026-11-27T20:00", "The window must end after it starts."),
        ("2026-11-30T11:00", "2026-11-30T15:00",
         "The whole window is within business hours: no approval is needed for it."),
        ("2026-11-27T20:00", "2026-11-30T21:00",
         "One request covers at most 72 hours; ask again for the rest."),
        ("2026-11-26T20:00", "2026-11-26T23:00", "The window has already ended."),
    ],
)
def test_a_bad_window_is_refused_with_a_reason(
    client, customer, urgent_incident, friday_evening, start, end, error
):
    response = _ask(client, customer, urgent_incident, start=start, end=end)
    assert response.status_code == 400
    assert error in text(response)
    assert not OutOfHoursRequest.objects.exists()


def test_no_request_on_a_closed_ticket(client, customer, agent, friday_evening):
    from tests.helpers import drive_to

    ticket = factories.TicketFactory(requester=customer)
    drive_to(ticket, "closed", agent=agent, customer=customer)
    assert _ask(client, customer, ticket).status_code == 404


def test_approval_doubles_time_already_logged_in_the_window_and_tells_the_sla_clock(
    customer, representative, manager, agent, urgent_incident, friday_evening
):
    from billing.models import Activity, TimeEntry

    entry = services.time_entry_save(
        entry=TimeEntry(
            ticket=urgent_incident, started_at=msk(2026, 11, 27, 18),
            duration=datetime.timedelta(hours=3), description="Restarted the run",
            activity=Activity.INCIDENT_WORK,
        ),
        actor=agent,
    )
    # 18-19 business, 19-21 out of hours and not (yet) approved.
    assert (entry.business_seconds, entry.unapproved_ooh_seconds) == (3600, 7200)
    assert entry.ooh_flagged
    ooh = services.ooh_request_create(
        ticket=urgent_incident, actor=representative, start=msk(2026, 11, 27, 19),
        end=msk(2026, 11, 27, 23), reason="Restart",
    )
    services.ooh_request_approve(request=ooh, actor=manager)
    entry.refresh_from_db()
    assert (entry.business_seconds, entry.approved_ooh_seconds, entry.unapproved_ooh_seconds) == (
        3600, 7200, 0
    )
    assert not entry.ooh_flagged
    assert entry.billable_seconds == 3600 + 2 * 7200
    assert list(
        ClockWindow.objects.filter(ticket=urgent_incident).values_list("start", "end")
    ) == [(ooh.start, ooh.end)]


def test_managers_see_requests_awaiting_them_in_the_admin(
    client, customer, representative, manager, urgent_incident, friday_evening
):
    _ask(client, customer, urgent_incident)
    ooh = OutOfHoursRequest.objects.get()
    client.force_login(manager)
    page = text(client.get(reverse("admin:billing_outofhoursrequest_changelist")
                           + "?awaiting=contractor"))
    assert urgent_incident.number in page
    change = text(client.get(reverse("admin:billing_outofhoursrequest_change", args=[ooh.pk])))
    assert 'name="decision" value="approve"' in change
    assert "27 Nov 2026, 20:00 – 23:00 (GMT+3)" in change


def test_customers_do_not_enter_the_admin_of_requests(client, representative):
    client.force_login(representative)
    response = client.get(reverse("admin:billing_outofhoursrequest_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response.url


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_out_of_hours_mail_renders(
    language, customer, representative, manager, agent, urgent_incident
):
    with time_machine.travel(msk(2026, 11, 27, 18), tick=False):
        first = services.ooh_request_create(
            ticket=urgent_incident, actor=customer, start=msk(2026, 11, 27, 20),
            end=msk(2026, 11, 28, 1), reason="Nightly run",
        )
        services.ooh_request_approve(request=first, actor=representative)
        services.ooh_request_approve(request=first, actor=manager)
        second = services.ooh_request_create(
            ticket=urgent_incident, actor=agent, start=msk(2026, 11, 28, 20),
            end=msk(2026, 11, 28, 23), reason="Follow-up",
        )
        services.ooh_request_decline(request=second, actor=manager, comment="Not needed")
    events = ["ooh_requested", "ooh_side_approved", "ooh_approved", "ooh_declined"]
    for event in events:
        for row in Notification.objects.filter(event=event):
            row.language = language
            mail = render_notification(row)
            assert mail.subject.startswith(f"[{urgent_incident.number}] ")
            assert "{{" not in mail.text + mail.html and "{%" not in mail.text + mail.html
            if row.context["request_id"] == first.pk and language == "en":
                assert "27 Nov 2026, 20:00 – 28 Nov 2026, 01:00 (GMT+3)" in mail.text
            if language == "ru":
                assert "Здравствуйте" in mail.text and "Окно: " in mail.text
                assert "Работа в нерабочее время" in mail.subject or "Запрошена" in mail.subject


def test_the_window_is_shown_in_moscow_time_in_the_mail(customer, manager, urgent_incident):
    with time_machine.travel(msk(2026, 11, 27, 18), tick=False):
        services.ooh_request_create(
            ticket=urgent_incident, actor=customer, start=msk(2026, 11, 27, 20),
            end=msk(2026, 11, 27, 23), reason="Nightly run",
        )
    row = Notification.objects.get(event="ooh_requested", to_email=manager.email)
    mail = render_notification(row)
    assert "Window: 27 Nov 2026, 20:00 – 23:00 (GMT+3)" in mail.text
    assert "/admin/billing/outofhoursrequest/" in mail.text
    assert mail.subject == (
        f"[{urgent_incident.number}] Out-of-hours work requested: Billing run stopped"
    )


def test_an_update_installation_ticket_is_not_urgent(client, customer, friday_evening):
    ticket = factories.TicketFactory(requester=customer, type=TicketType.UPDATE_INSTALLATION)
    client.force_login(customer)
    response = client.post(reverse("billing:ooh_urgent", args=[ticket.number]))
    refusal = "The one-click request is for Urgent incidents; fill in the window instead."
    assert ("error", refusal) in flash_messages(text(client.get(response.url)))


def test_the_request_page_offers_tonight_after_business_hours(client, customer, friday_evening):
    ticket = factories.TicketFactory(requester=customer)
    client.force_login(customer)
    page = text(client.get(reverse("billing:ooh_request", args=[ticket.number])))
    # Friday 18:00: business hours end at 19:00, so 19:00-23:00 Moscow time.
    assert 'value="2026-11-27T19:00"' in page and 'value="2026-11-27T23:00"' in page
