"""The mail server down: for longer than the old retry budget, and for longer than the
retry lifetime. Mail is delayed, never lost and never sent twice.

Before issue 9 a row got five attempts (about 4 to 7 minutes with the shipped backoff) and
then stayed failed for good. Now transient failures (a refused connection, a 4xx) are
retried with backoff for MAIL_RETRY_LIFETIME_HOURS; a mail that outlives it is failed,
the managers are told, and staff resend it in bulk from the admin.

Each test runs an SMTP sink of its own (``own_smtp_sink``: it stops it, or makes it answer
451), its own redis-server and a real Celery worker, whose timers are shrunk through its
environment (it is another process: the ``settings`` fixture does not reach it).
"""

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.mail_failures import EVENT as MAIL_FAILED
from accounts.mail_failures import mail_failures_report
from notifications import delivery
from notifications.models import Notification, NotificationStatus
from tests import factories
from tests.faults.conftest import lost_and_duplicated
from tests.notifications.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

OLD_BUDGET = 5  # attempts a mail had before this issue
RETRY = {"MAIL_RETRY_BASE_SECONDS": "0.1", "MAIL_RETRY_MAX_SECONDS": "0.3"}  # 0.05-0.3 s
SHORT_LIFETIME_SECONDS = 2


def file_tickets(customer, n: int) -> list[Notification]:
    """n tickets, each a confirmation to the customer and an alert to the agent (triage)."""
    for _ in range(n):
        factories.TicketFactory(requester=customer)
    rows = list(Notification.objects.order_by("pk"))
    assert len(rows) == 2 * n, [(r.event, r.to_email, r.status) for r in rows]
    assert {r.status for r in rows} <= {NotificationStatus.PENDING, NotificationStatus.SENDING}
    return rows


def rows_where(**lookups):
    return lambda: not Notification.objects.exclude(**lookups).exists()


def every_row_failed(times: int, error: str):
    """Each row has failed at least `times` times, the last time with `error`. A row in
    ``sending`` is on an attempt whose outcome is not known yet: it does not count."""
    failed = Q(status=NotificationStatus.PENDING, attempts__gte=times) | Q(
        status=NotificationStatus.SENDING, attempts__gte=times + 1
    )
    return lambda: not Notification.objects.exclude(failed, last_error__contains=error).exists()


def states(rows) -> list[tuple]:
    return list(
        Notification.objects.filter(pk__in=[r.pk for r in rows])
        .order_by("pk")
        .values_list("pk", "event", "status", "attempts", "last_error")
    )


def test_mail_arrives_once_after_the_smtp_server_was_down_longer_than_the_old_retry_budget(
    redis, mail_worker, own_smtp_sink, customer, agent
):
    sink = own_smtp_sink
    # A lifetime of 3 minutes bounds the retrying; the outage lasts a few seconds.
    worker = mail_worker({**RETRY, "MAIL_RETRY_LIFETIME_HOURS": "0.05"}, sink=sink)
    sink.stop()  # connection refused
    rows = file_tickets(customer, 5)

    # Down: every mail is refused three times, then deferred (451) until it has been
    # tried more often than the old budget allowed.
    wait_for(every_row_failed(3, "Connection refused"), timeout=60, worker=worker)
    sink.fail_next = 10**9
    sink.start()
    wait_for(every_row_failed(OLD_BUDGET + 1, "451"), timeout=60, worker=worker)
    assert not Notification.objects.filter(
        status__in=[NotificationStatus.SENT, NotificationStatus.FAILED]
    ).exists(), states(rows)
    assert sink.messages == [] and sink.refused >= len(rows)

    # Back: everything arrives, once.
    sink.fail_next = 0
    wait_for(rows_where(status=NotificationStatus.SENT), timeout=60, worker=worker)
    wait_for(lambda: len(sink.message_ids()) >= len(rows), timeout=10)
    redis.settle(settings.MAIL_CELERY_QUEUE)  # a task still queued could send twice
    problems = lost_and_duplicated(sink, rows)
    assert not problems, "\n".join(problems)
    tries = [r[3] for r in states(rows)]
    print(f"{len(rows)} mails, {min(tries)} to {max(tries)} attempts each, all arrived once")
    assert min(tries) > OLD_BUDGET + 1


def failed_for_good(worker, rows) -> None:
    """Wait until every row has outlived the lifetime (failed); each was retried first."""
    wait_for(
        lambda: (
            not Notification.objects.filter(pk__in=[r.pk for r in rows])
            .exclude(status=NotificationStatus.FAILED)
            .exists()
        ),
        timeout=60,
        worker=worker,
    )
    assert all(attempts > 1 for _pk, _e, _s, attempts, _err in states(rows)), states(rows)


def resend_in_bulk(rows) -> None:
    """What the outbox admin's action "resend" does with the selected failed mails (called
    as the service: the admin's sign-in is not what is tested here)."""
    with transaction.atomic():
        resent = [delivery.notification_resend(notification=row) for row in rows]
    assert all(resent), resent


def test_mail_that_outlived_the_retry_lifetime_is_reported_and_a_bulk_resend_delivers_it_once(
    redis, mail_worker, own_smtp_sink, customer, agent, manager
):
    """The server is down for longer than the lifetime: the mails fail, the managers get one
    report, and staff resend them when it is back. A server that has just come back often
    defers part of the backlog (451, as a provider throttles): the resent mails must be
    retried then, not failed again at their first deferral."""
    sink = own_smtp_sink
    lifetime = str(SHORT_LIFETIME_SECONDS / 3600)
    worker = mail_worker({**RETRY, "MAIL_RETRY_LIFETIME_HOURS": lifetime}, sink=sink)
    sink.stop()
    rows = file_tickets(customer, 5)
    failed_for_good(worker, rows)

    sink.start()
    assert mail_failures_report() == len(rows)
    report = Notification.objects.get(event=MAIL_FAILED)
    assert report.to_email == manager.email.lower()
    wait_for(lambda: report.message_id in sink.message_ids(), timeout=30, worker=worker)

    sink.fail_next = 3  # the first three mails of the backlog are deferred
    resend_in_bulk(rows)
    wait_for(
        lambda: (
            not Notification.objects.filter(pk__in=[r.pk for r in rows])
            .exclude(status__in=[NotificationStatus.SENT, NotificationStatus.FAILED])
            .exists()
        ),
        timeout=60,
        worker=worker,
    )
    redis.settle(settings.MAIL_CELERY_QUEUE)
    problems = lost_and_duplicated(sink, [*rows, report])
    assert not problems, (
        "\n".join(problems)
        + f"\nrows (pk, event, status, attempts, last error): {states(rows)}"
        + f"\nthe sink deferred {sink.refused} mails after it came back"
    )


def test_a_resent_mail_that_fails_again_is_reported_again(
    redis, mail_worker, own_smtp_sink, customer, agent, manager
):
    """Staff resend failed mail while the server is still down: it fails again, and the
    managers must hear of it again, or it is lost silently."""
    sink = own_smtp_sink
    lifetime = str(SHORT_LIFETIME_SECONDS / 3600)
    worker = mail_worker({**RETRY, "MAIL_RETRY_LIFETIME_HOURS": lifetime}, sink=sink)
    sink.stop()
    rows = file_tickets(customer, 2)
    failed_for_good(worker, rows)
    assert mail_failures_report() == len(rows)

    resend_in_bulk(rows)  # still down
    wait_for(
        lambda: (
            not Notification.objects.filter(pk__in=[r.pk for r in rows])
            .exclude(status=NotificationStatus.FAILED)
            .exists()
        ),
        timeout=60,
        worker=worker,
    )
    again = mail_failures_report()
    assert again == len(rows), (
        f"{len(rows)} resent mails failed again; the managers were told of {again}: {states(rows)}"
    )
