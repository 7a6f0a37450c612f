"""Celery tasks of the ticket's periodic rules: each takes nothing and calls a service."""

from celery import shared_task

from tickets import periodic


@shared_task(ignore_result=True)
def sla_sweep():
    """Every minute: tickets past the at-risk share or a deadline get their event once;
    then any recalculation managers asked for."""
    periodic.sla_sweep()
    periodic.sla_recalculations_run()


@shared_task(ignore_result=True)
def sla_recalculations_run():
    """After a policy or calendar change: recompute the open tickets' deadlines."""
    periodic.sla_recalculations_run()


@shared_task(ignore_result=True)
def auto_close_sweep():
    """Every 15 minutes: warn, then close, resolved tickets left unanswered."""
    periodic.auto_close_sweep()
