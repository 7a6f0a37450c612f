from celery import shared_task

from billing import statements


@shared_task(ignore_result=True)
def monthly_statements():
    """Hourly: on the first business day of a month, last month's statements, once."""
    statements.monthly_statements_run()
