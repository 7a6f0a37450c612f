from celery import shared_task


@shared_task(ignore_result=True)
def forget_pending_uploads():
    """Hourly (beat): files kept from forms shown again go after a day."""
    from portal.pending import forget_expired

    forget_expired()
