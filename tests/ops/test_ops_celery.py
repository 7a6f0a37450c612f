"""Celery in production shape: routes per kind of work, the worker's heartbeat, one beat."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from core.heartbeats import WORKER_PREFIX, lease_acquire, lease_release, worker_queue_ages
from core.models import Heartbeat
from helpdesk.celery import BEAT_LEASE, app
from tests.notifications.conftest import start_worker, stop_worker, wait_for


def queue_of(task_name: str) -> str:
    route = app.amqp.router.route({}, task_name)
    return route["queue"].name


def test_mail_sweeps_and_heavy_work_go_to_their_own_queues(settings):
    assert queue_of("notifications.tasks.send_notification") == settings.MAIL_CELERY_QUEUE
    assert queue_of("tickets.tasks.sla_sweep") == "sweeps"
    assert queue_of("tickets.tasks.auto_close_sweep") == "sweeps"
    assert queue_of("tickets.tasks.sla_recalculations_run") == "heavy"
    assert queue_of("billing.tasks.monthly_statements") == "heavy"
    assert queue_of("some.task.nobody.routed") == "heavy"  # never in front of mail


def test_every_task_has_a_time_limit_and_heavy_work_a_longer_one():
    assert app.conf.task_soft_time_limit and app.conf.task_time_limit
    heavy = app.conf.task_annotations["tickets.tasks.sla_recalculations_run"]
    assert heavy["time_limit"] > app.conf.task_time_limit


def test_one_beat_holds_the_lease_until_it_expires(db):
    assert lease_acquire(name=BEAT_LEASE, holder="beat-a", seconds=90)
    assert not lease_acquire(name=BEAT_LEASE, holder="beat-b", seconds=90)
    assert lease_acquire(name=BEAT_LEASE, holder="beat-a", seconds=90)  # renewal
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=91)):
        assert lease_acquire(name=BEAT_LEASE, holder="beat-b", seconds=90)  # a died
        assert not lease_acquire(name=BEAT_LEASE, holder="beat-a", seconds=90)
    lease_release(name=BEAT_LEASE, holder="beat-b")
    assert lease_acquire(name=BEAT_LEASE, holder="beat-a", seconds=90)


def test_a_second_beat_runs_nothing_while_the_first_holds_the_lease(db, settings):
    settings.BEAT_LEASE_SECONDS = 90
    assert app.conf.beat_scheduler == "helpdesk.celery:LeasedScheduler"
    first, second = _scheduler(), _scheduler()
    assert first.holds_lease()
    assert not second.holds_lease()
    assert second.tick() == 15  # it waits, quiet, and asks again
    assert first.holds_lease()


def _scheduler():
    from helpdesk.celery import LeasedScheduler

    scheduler = LeasedScheduler.__new__(LeasedScheduler)  # the lease logic, no schedule file
    scheduler.lease_holder = f"test-{id(scheduler)}"
    scheduler._held, scheduler._renew_at = False, 0.0
    return scheduler


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_beats_for_its_queues_and_says_goodbye(tmp_path):
    worker = start_worker(tmp_path, {"WORKER_HEARTBEAT_SECONDS": "1"}, queue="ops-hb-test")
    try:
        ages = wait_for(lambda: worker_queue_ages().get("ops-hb-test") is not None, timeout=30,
                        worker=worker)
        assert ages
        assert worker_queue_ages()["ops-hb-test"] < 5
    finally:
        stop_worker(worker)
    assert not Heartbeat.objects.filter(name__startswith=WORKER_PREFIX, detail="ops-hb-test")


def test_beat_entries_go_where_their_task_is_routed_and_name_no_queue_of_their_own(settings):
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        options = entry.get("options", {})
        assert "queue" not in options, name  # one source of truth: CELERY_TASK_ROUTES
        assert app.amqp.router.route(options, entry["task"])["queue"].name == queue_of(
            entry["task"]
        )
    assert queue_of(settings.CELERY_BEAT_SCHEDULE["mail-relay"]["task"]) == "mail"
    assert queue_of(settings.CELERY_BEAT_SCHEDULE["webhook-relay"]["task"]) == "mail"


def test_the_sla_sweep_forgets_heartbeats_of_workers_long_gone(db, settings):
    from tickets.tasks import sla_sweep

    settings.WORKER_HEARTBEAT_KEEP_HOURS = 24
    now = timezone.now()
    Heartbeat.objects.create(name=f"{WORKER_PREFIX}dead@old-host", at=now - datetime.timedelta(
        hours=25), detail="gone-queue")
    Heartbeat.objects.create(name=f"{WORKER_PREFIX}alive@host", at=now, detail="mail")
    assert "gone-queue" in worker_queue_ages()
    sla_sweep()
    assert "gone-queue" not in worker_queue_ages()
    assert set(Heartbeat.objects.values_list("name", flat=True)) == {
        f"{WORKER_PREFIX}alive@host", "sla-sweep"}
