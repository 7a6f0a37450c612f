"""Celery tasks of accounts: take nothing, call a service."""

from celery import shared_task

from accounts.mail_failures import mail_failures_report


@shared_task(ignore_result=True)
def report_mail_failures():
    """Every five minutes (beat): the managers hear of mail that could not be sent."""
    mail_failures_report()
