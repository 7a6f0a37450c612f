"""Out-of-hours requests and time entries through the API: the billing services' rules."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from billing.models import OutOfHoursRequest, OutOfHoursStatus, TimeEntry
from tests import factories
from tests.api_support import client_for, generous_rate_limits  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def _tomorrow_evening() -> tuple[str, str]:
    day = datetime.datetime.now(MSK).date() + datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(20), MSK)
    return start.isoformat(), (start + datetime.timedelta(hours=2)).isoformat()


def test_out_of_hours_work_is_asked_and_approved_by_both_sides(
    ticket, customer, representative, manager, outsider
):
    start, end = _tomorrow_evening()
    url = f"/api/v1/tickets/{ticket.number}/out-of-hours/"
    body = {"start": start, "end": end, "reason": "The month-end run cannot wait."}
    assert client_for(outsider).post(url, body, content_type="application/json").status_code == 404
    response = client_for(customer).post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    decide = f"/api/v1/out-of-hours/{pk}/approve/"
    refused = client_for(customer).post(decide, {}, content_type="application/json")
    assert refused.status_code == 403
    assert client_for(representative).post(decide, {}, content_type="application/json").json()[
        "customer_decision"] == "approved"
    final = client_for(manager).post(decide, {"comment": "OK"}, content_type="application/json")
    assert final.json()["status"] == OutOfHoursStatus.APPROVED
    again = client_for(manager).post(decide, {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "decided"
    listed = client_for(customer).get(url).json()
    assert [r["id"] for r in listed] == [pk]


def test_a_window_in_business_hours_is_a_400_naming_why(ticket, customer):
    day = datetime.datetime.now(MSK).date() + datetime.timedelta(days=7)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(11), MSK)
    response = client_for(customer).post(
        f"/api/v1/tickets/{ticket.number}/out-of-hours/",
        {"start": start.isoformat(), "end": (start + datetime.timedelta(hours=1)).isoformat(),
         "reason": "Why not"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "within business hours" in response.json()["detail"]
    assert not OutOfHoursRequest.objects.exists()


def test_staff_log_time_and_customers_do_not_see_it(ticket, agent, customer):
    url = f"/api/v1/tickets/{ticket.number}/time-entries/"
    started = (datetime.datetime.now(MSK) - datetime.timedelta(days=1)).replace(
        hour=11, minute=0, second=0, microsecond=0
    )
    body = {"started_at": started.isoformat(), "duration": "01:30:00",
            "description": "Restored the template."}
    assert client_for(customer).post(url, body, content_type="application/json").status_code == 403
    assert client_for(customer).get(url).status_code == 403
    response = client_for(agent).post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    entry = TimeEntry.objects.get()
    assert entry.agent == agent and entry.duration == datetime.timedelta(minutes=90)
    assert client_for(factories.ManagerFactory()).get(url).json()[0]["id"] == entry.pk
    zero = client_for(agent).post(url, {**body, "duration": "00:00:00"},
                                  content_type="application/json")
    assert zero.status_code == 400 and zero.json()["errors"][0]["field"] == "duration"
