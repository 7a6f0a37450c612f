"""Agents log time in the admin; the calendar splits it; unapproved out-of-hours time is
flagged for the manager; update installations carry a schedule and bill support hours."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from billing import services
from billing.calendar import split_time
from billing.forms import parse_duration_text
from billing.models import Activity, Statement, StatementStatus, TimeEntry, UpdateSchedule
from sla.calendar import NaiveDatetimeError, default_calendar
from tests import factories
from tests.billing.conftest import msk
from tests.helpers import text
from tickets.models import TicketType

pytestmark = pytest.mark.django_db

H = 3600


def _log(client, user, ticket, *, day="2026-11-27", time="17:00", duration="4:00",
         activity="incident_work", billable=True, description="Restarted the billing run"):
    client.force_login(user)
    form = {
        "ticket": ticket.pk, "started_at_0": day, "started_at_1": time, "duration": duration,
        "activity": activity, "description": description,
    }
    if billable:
        form["billable"] = "on"
    return client.post(reverse("admin:billing_timeentry_add"), form)


def _entry(ticket, agent, start, hours, **extra) -> TimeEntry:
    return services.time_entry_save(
        entry=TimeEntry(
            ticket=ticket, started_at=start, duration=datetime.timedelta(hours=hours),
            description="Work", activity=extra.pop("activity", Activity.INCIDENT_WORK), **extra,
        ),
        actor=agent,
    )


# --- the split, by hand -----------------------------------------------------------


def test_the_split_crosses_the_end_of_the_day_the_weekend_and_an_approved_window():
    calendar = default_calendar()
    # Friday 27 Nov 2026 18:00 -> Saturday 28 Nov 02:00 (8 h).
    # Business 18:00-19:00 = 1 h; out of hours 19:00-02:00 = 7 h, of which the approved
    # window 20:00-01:00 covers 5 h; 19:00-20:00 and 01:00-02:00 = 2 h unapproved.
    split = split_time(
        calendar, msk(2026, 11, 27, 18), msk(2026, 11, 28, 2),
        [(msk(2026, 11, 27, 20), msk(2026, 11, 28, 1))],
    )
    assert (split.business, split.approved_ooh, split.unapproved_ooh) == (1 * H, 5 * H, 2 * H)


def test_overlapping_windows_do_not_count_time_twice():
    calendar = default_calendar()
    # Saturday 28 Nov 2026 10:00-14:00, all out of hours (4 h). Windows 09:00-12:00 and
    # 11:00-13:00 merge into 09:00-13:00: 10:00-13:00 = 3 h approved, 13:00-14:00 = 1 h not.
    split = split_time(
        calendar, msk(2026, 11, 28, 10), msk(2026, 11, 28, 14),
        [(msk(2026, 11, 28, 9), msk(2026, 11, 28, 12)),
         (msk(2026, 11, 28, 11), msk(2026, 11, 28, 13))],
    )
    assert (split.business, split.approved_ooh, split.unapproved_ooh) == (0, 3 * H, 1 * H)


def test_a_holiday_is_out_of_hours_all_day():
    # Wednesday 4 November 2026 is National Unity Day: 11:00-14:00 is 3 h out of hours.
    split = split_time(default_calendar(), msk(2026, 11, 4, 11), msk(2026, 11, 4, 14), [])
    assert (split.business, split.approved_ooh, split.unapproved_ooh) == (0, 0, 3 * H)


def test_naive_datetimes_are_refused(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    with pytest.raises(NaiveDatetimeError):
        _entry(ticket, agent, datetime.datetime(2026, 11, 27, 18), 1)


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("1:30", 90), ("1.5", 90), ("1,5 h", 90), ("90m", 90), ("2h 15m", 135), ("45 min", 45),
     ("2 ч 30 мин", 150), ("abc", None), ("", None)],
)
def test_a_duration_is_typed_as_agents_think_of_it(typed, minutes):
    parsed = parse_duration_text(typed)
    assert (parsed and parsed.total_seconds() / 60) == (minutes and float(minutes)) or (
        parsed is None and minutes is None
    )


# --- the admin ---------------------------------------------------------------------


def test_an_agent_logs_time_in_the_admin_and_sees_it_split(client, customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    response = _log(client, agent, ticket)  # Friday 27 Nov 17:00, 4 h
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert entry.agent == agent and entry.created_by == agent
    assert entry.started_at == msk(2026, 11, 27, 17)
    # 17:00-19:00 business (2 h), 19:00-21:00 out of hours without approval (2 h).
    assert (entry.business_seconds, entry.approved_ooh_seconds, entry.unapproved_ooh_seconds) == (
        2 * H, 0, 2 * H
    )
    assert entry.ooh_flagged
    page = text(client.get(reverse("admin:billing_timeentry_changelist")))
    assert ticket.number in page and "27 Nov 2026, 17:00 (GMT+3)" in page
    assert ">4:00<" in page


def test_the_activity_defaults_from_the_ticket_type(client, customer, agent):
    ticket = factories.TicketFactory(requester=customer, type=TicketType.CONSULTATION)
    _log(client, agent, ticket, activity="")
    assert TimeEntry.objects.get().activity == Activity.CONSULTATION


def test_a_bad_duration_is_refused_with_a_hint(client, customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    response = _log(client, agent, ticket, duration="soon")
    assert response.status_code == 200
    assert "Type the duration as hours:minutes (1:30), hours (1.5) or minutes (90m)." in text(
        response
    )
    assert not TimeEntry.objects.exists()


def test_the_manager_filters_unapproved_out_of_hours_and_marks_it_reviewed(
    client, customer, agent, manager
):
    ticket = factories.TicketFactory(requester=customer)
    inside = _entry(ticket, agent, msk(2026, 11, 26, 11), 2)  # Thursday 11-13: business only
    outside = _entry(ticket, agent, msk(2026, 11, 28, 12), 1)  # Saturday: out of hours
    assert not inside.ooh_flagged and outside.ooh_flagged

    url = reverse("admin:billing_timeentry_changelist")
    client.force_login(manager)
    page = text(client.get(url + "?unapproved_ooh=review"))
    assert f"/admin/billing/timeentry/{outside.pk}/change/" in page
    assert f"/admin/billing/timeentry/{inside.pk}/change/" not in page

    client.post(url, {"action": "mark_reviewed", "_selected_action": [outside.pk]})
    outside.refresh_from_db()
    assert outside.ooh_reviewed_by == manager
    page = text(client.get(url + "?unapproved_ooh=review"))
    assert f"/admin/billing/timeentry/{outside.pk}/change/" not in page
    page = text(client.get(url + "?unapproved_ooh=reviewed"))
    assert f"/admin/billing/timeentry/{outside.pk}/change/" in page

    # Agents have no such action.
    client.force_login(agent)
    assert "mark_reviewed" not in text(client.get(url))


def test_agents_change_only_their_own_entries_managers_any(client, customer, agent, manager):
    ticket = factories.TicketFactory(requester=customer)
    colleague = factories.AgentFactory()
    entry = _entry(ticket, colleague, msk(2026, 11, 26, 11), 1)
    change = reverse("admin:billing_timeentry_change", args=[entry.pk])
    client.force_login(agent)
    page = text(client.get(change))
    assert 'name="duration"' not in page  # view only
    client.force_login(manager)
    assert 'name="duration"' in text(client.get(change))
    with pytest.raises(services.ActionRefused):
        services.time_entry_save(entry=entry, actor=agent)


def test_customers_cannot_log_time_or_see_the_entries(client, representative):
    client.force_login(representative)
    response = client.get(reverse("admin:billing_timeentry_changelist"))
    assert response.status_code == 302
    ticket = factories.TicketFactory(requester=representative)
    with pytest.raises(services.ActionRefused):
        _entry(ticket, representative, msk(2026, 11, 26, 11), 1)


def test_a_month_with_an_issued_statement_is_frozen_until_disputed(client, customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    statement = Statement.objects.create(
        organisation=ticket.organisation, month=datetime.date(2026, 11, 1),
        period_start=msk(2026, 11, 1), period_end=msk(2026, 12, 1), time_zone="Europe/Moscow",
    )
    response = _log(client, agent, ticket, day="2026-11-30", time="12:00")
    assert "The statement for 11/2026 is already issued" in text(response)
    assert not TimeEntry.objects.exists()
    # December is open.
    assert _log(client, agent, ticket, day="2026-12-01", time="12:00").status_code == 302

    statement.status = StatementStatus.DISPUTED
    statement.save(update_fields=["status"])
    assert _log(client, agent, ticket, day="2026-11-30", time="12:00").status_code == 302


# --- update installations ---------------------------------------------------------


@pytest.fixture
def update_ticket(customer):
    return factories.TicketFactory(
        requester=customer, type=TicketType.UPDATE_INSTALLATION, subject="Install 5.2"
    )


def _schedule(client, user, ticket, *, estimate="2", start=("2026-12-04", "19:00"),
              end=("2026-12-04", "22:00"), agreed_with=None):
    client.force_login(user)
    form = {
        "ticket": ticket.pk, "window_start_0": start[0], "window_start_1": start[1],
        "window_end_0": end[0], "window_end_1": end[1], "estimate_hours": estimate,
        "note": "Backup first.",
    }
    if agreed_with is not None:
        form["agreed_with"] = agreed_with.pk
    return client.post(reverse("admin:billing_updateschedule_add"), form)


def test_an_update_installation_gets_its_window_and_estimate_shown_on_the_ticket(
    client, customer, agent, update_ticket
):
    response = _schedule(client, agent, update_ticket, agreed_with=customer)
    assert response.status_code == 302
    schedule = UpdateSchedule.objects.get()
    assert schedule.window_start == msk(2026, 12, 4, 19)
    assert schedule.window_end == msk(2026, 12, 4, 22)
    assert schedule.agreed_with == customer

    client.force_login(customer)
    page = text(client.get(reverse("portal:ticket_detail", args=[update_ticket.number])))
    assert "4 Dec 2026, 19:00 – 22:00 (GMT+3)" in page
    assert "2 h" in page
    # Friday 19:00-22:00 is all after business hours.
    assert "3.00 h of the window are outside business hours" in page


@pytest.mark.parametrize(
    ("estimate", "end", "error"),
    [
        ("4", ("2026-12-04", "23:30"), "An update installation is estimated at 1 to 3 hours."),
        ("0.5", ("2026-12-04", "22:00"), "An update installation is estimated at 1 to 3 hours."),
        ("3", ("2026-12-04", "21:00"), "The window is shorter than the estimate."),
        ("2", ("2026-12-04", "18:00"), "The window must end after it starts."),
    ],
)
def test_the_schedule_is_validated(client, agent, update_ticket, estimate, end, error):
    response = _schedule(client, agent, update_ticket, estimate=estimate, end=end)
    assert response.status_code == 200
    assert error in text(response)
    assert not UpdateSchedule.objects.exists()


def test_only_an_update_installation_has_a_schedule(client, customer, agent):
    incident = factories.TicketFactory(requester=customer)
    response = _schedule(client, agent, incident)
    assert response.status_code == 200
    assert not UpdateSchedule.objects.exists()


def test_the_schedule_is_agreed_with_someone_of_the_ticket_organisation(
    client, agent, update_ticket, outsider
):
    response = _schedule(client, agent, update_ticket, agreed_with=outsider)
    assert "Choose a person of the ticket&#x27;s organisation." in text(response)


def test_update_installation_time_is_always_billable_support_hours(
    client, agent, update_ticket
):
    response = _log(client, agent, update_ticket, activity="", billable=False)
    assert "An update installation is billed as support hours" in text(response)
    _log(client, agent, update_ticket, activity="")
    entry = TimeEntry.objects.get()
    assert entry.billable and entry.activity == Activity.UPDATE_INSTALLATION


def test_staff_see_the_logged_time_on_the_ticket_page(client, customer, agent, representative):
    ticket = factories.TicketFactory(requester=customer)
    _entry(ticket, agent, msk(2026, 11, 27, 18), 2)  # 1 h business, 1 h out of hours
    ticket_url = reverse("portal:ticket_detail", args=[ticket.number])
    client.force_login(agent)
    page = text(client.get(ticket_url))
    assert "Time logged" in page and "Log time" in page
    client.force_login(representative)
    assert "Time logged" in text(client.get(ticket_url))
    client.force_login(customer)
    assert "Time logged" not in text(client.get(ticket_url))


def test_a_ticket_page_with_billing_costs_a_bounded_number_of_queries(
    client, customer, agent, representative, django_assert_max_num_queries
):
    with time_machine.travel(msk(2026, 11, 27, 17), tick=False):
        ticket = factories.TicketFactory(requester=customer)
        for hour in (20, 21, 22):
            services.ooh_request_create(
                ticket=ticket, actor=agent, start=msk(2026, 11, 27, hour),
                end=msk(2026, 11, 27, hour, 30), reason="Night work",
            )
        client.force_login(representative)
        with django_assert_max_num_queries(40):
            client.get(reverse("portal:ticket_detail", args=[ticket.number]))


def test_a_manager_logs_time_for_an_agent_or_for_themselves(client, customer, agent, manager):
    ticket = factories.TicketFactory(requester=customer)
    _log(client, manager, ticket)
    assert TimeEntry.objects.get().agent == manager
    client.post(reverse("admin:billing_timeentry_add"), {
        "ticket": ticket.pk, "agent": agent.pk, "started_at_0": "2026-11-26",
        "started_at_1": "11:00", "duration": "1:00", "billable": "on", "description": "Call",
    })
    entry = TimeEntry.objects.get(agent=agent)
    assert entry.created_by == manager and entry.business_seconds == H
