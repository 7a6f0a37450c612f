"""The statement task runs hourly and acts on the first business day of the month only,
in the calendar's time zone, once."""

import datetime

import pytest
import time_machine
from django.conf import settings

from billing import tasks
from billing.calendar import first_business_day
from billing.models import Statement
from sla.services import current_calendar
from tests import factories
from tests.billing.conftest import mails, msk
from tests.billing.scenarios import log

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@pytest.fixture
def december_work(customer, representative, agent):
    ticket = factories.TicketFactory(requester=customer)
    log(ticket, agent, msk(2026, 12, 14, 12), 2)  # Monday 14 December 2026, business hours
    return ticket


def _run_at(moment):
    with time_machine.travel(moment, tick=False):
        tasks.monthly_statements()  # what Celery beat calls


def test_the_first_business_day_of_january_2027_is_the_eleventh():
    # 1-8 January are the New Year holidays, 9-10 January a weekend.
    assert first_business_day(current_calendar(), datetime.date(2027, 1, 1)) == datetime.date(
        2027, 1, 11
    )


def test_nothing_happens_before_the_first_business_day_then_once(
    december_work, customer, representative
):
    for day in range(1, 11):  # 1-10 January 2027: holidays and a weekend
        _run_at(msk(2027, 1, day, 12))
    assert not Statement.objects.exists()

    _run_at(msk(2027, 1, 11, 0, 30))  # Monday 11 January, just after midnight in Moscow
    statement = Statement.objects.get()
    assert statement.organisation == customer.organisation
    assert statement.month == datetime.date(2026, 12, 1)
    assert statement.business_seconds == 2 * 3600
    assert mails("statement_ready") == [representative.email]

    for moment in (msk(2027, 1, 11, 10), msk(2027, 1, 11, 23, 59), msk(2027, 1, 12, 10)):
        _run_at(moment)
    assert Statement.objects.count() == 1
    assert mails("statement_ready") == [representative.email]


def test_today_is_the_calendars_today_not_the_servers(december_work):
    # 10 January 2027 20:59 UTC is 23:59 in Moscow, still Sunday the 10th.
    _run_at(datetime.datetime(2027, 1, 10, 20, 59, tzinfo=UTC))
    assert not Statement.objects.exists()
    # 21:00 UTC is midnight in Moscow: Monday 11 January, the first business day.
    _run_at(datetime.datetime(2027, 1, 10, 21, 0, tzinfo=UTC))
    assert Statement.objects.count() == 1


def test_a_month_starting_on_a_business_day_gets_its_statement_on_the_first(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    log(ticket, agent, msk(2026, 11, 16, 12), 1)
    _run_at(msk(2026, 11, 30, 12))  # the last day of November: too early
    assert not Statement.objects.exists()
    _run_at(msk(2026, 12, 1, 8))  # Tuesday 1 December 2026
    assert Statement.objects.get().month == datetime.date(2026, 11, 1)
    _run_at(msk(2026, 12, 2, 8))  # not the first business day any more
    assert Statement.objects.count() == 1


def test_an_organisation_without_logged_time_gets_no_statement(customer, outsider, agent):
    ticket = factories.TicketFactory(requester=customer)
    log(ticket, agent, msk(2026, 11, 16, 12), 1)
    _run_at(msk(2026, 12, 1, 8))
    assert list(Statement.objects.values_list("organisation", flat=True)) == [
        customer.organisation_id
    ]


def test_beat_runs_the_task_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-statements"]
    assert entry["task"] == "billing.tasks.monthly_statements"
    assert entry["schedule"] == 3600.0


def test_an_operator_generates_a_missed_month_by_command(customer, agent):
    from io import StringIO

    from django.core.management import call_command

    ticket = factories.TicketFactory(requester=customer)
    log(ticket, agent, msk(2026, 11, 16, 12), 1)
    out = StringIO()
    call_command("billing_statements", "2026-11", stdout=out)
    assert "1 statement(s) generated for 2026-11." in out.getvalue()
    call_command("billing_statements", "2026-11", stdout=out)
    assert Statement.objects.count() == 1
