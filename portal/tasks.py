from celery import shared_task

from portal.submit import submit_tokens_forget


@shared_task(ignore_result=True)
def forget_submit_tokens():
    """Hourly (beat): one-time submit tokens older than a day go."""
    submit_tokens_forget()


@shared_task(ignore_result=True)
def forget_pending_uploads():
    """Hourly (beat): files kept from forms shown again go after a day."""
    from portal.pending import forget_expired

    forget_expired()
