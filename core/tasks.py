from celery import shared_task

from core.submit import submit_tokens_forget


@shared_task(ignore_result=True)
def forget_submit_tokens() -> None:
    """Hourly (beat): the forms' submit tokens and the API's idempotency keys past their
    lifetime go (``core.submit.kept``)."""
    submit_tokens_forget()
