"""Celery tasks of the ticket's periodic rules: each takes nothing and calls a service."""

import datetime

from celery import shared_task
from django.conf import settings

from core.heartbeats import SLA_SWEEP, heartbeat_record, heartbeats_prune
from tickets import periodic


@shared_task(ignore_result=True)
def sla_sweep():
    """Every minute: tickets past the at-risk share or a deadline get their event once;
    its finish is the heartbeat /health/ready reads. A recalculation managers asked for
    and no task carried goes to the heavy queue, so the sweep stays a minute's work.
    Workers' heartbeat rows older than WORKER_HEARTBEAT_KEEP_HOURS are forgotten."""
    periodic.sla_sweep()
    heartbeat_record(name=SLA_SWEEP)
    heartbeats_prune(older_than=datetime.timedelta(hours=settings.WORKER_HEARTBEAT_KEEP_HOURS))
    if periodic.sla_recalculations_pending():
        sla_recalculations_run.apply_async(retry=False)


@shared_task(ignore_result=True)
def sla_recalculations_run():
    """After a policy or calendar change: recompute the open tickets' deadlines."""
    periodic.sla_recalculations_run()


@shared_task(ignore_result=True)
def auto_close_sweep():
    """Every 15 minutes: warn, then close, resolved tickets left unanswered."""
    periodic.auto_close_sweep()
