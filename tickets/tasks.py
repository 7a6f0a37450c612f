from celery import shared_task

from tickets import periodic


@shared_task(ignore_result=True)
def auto_close_sweep():
    """Hourly: warn, then close, resolved tickets left unanswered."""
    periodic.auto_close_sweep()


@shared_task(ignore_result=True)
def reopen_window_sweep():
    """Hourly: mark closed tickets that can no longer be reopened."""
    periodic.reopen_window_sweep()
