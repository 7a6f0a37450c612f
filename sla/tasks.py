from celery import shared_task

from sla import services


@shared_task(ignore_result=True)
def sla_sweep():
    """Every minute: tickets past the at-risk share or a deadline get their event once."""
    services.sla_sweep()


@shared_task(ignore_result=True)
def sla_recalculate_open(priority=None, note=""):
    """After a policy or calendar change: recompute the open tickets' deadlines."""
    services.sla_recalculate_open(priority=priority, note=note)
