"""Every account mail renders in English and Russian, as plain text and HTML, and says
only what its reader may know."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts import email_requests, services
from notifications.models import Notification
from notifications.rendering import render_notification
from tests import factories

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
TEMPLATES = Path(settings.BASE_DIR) / "templates" / "notifications" / "email"
EVENTS = [
    "account_request_new",
    "account_request_received",
    "account_request_refused",
    "account_request_approved",
    "account_request_declined",
    "account_invitation",
    "account_deactivated",
]
RUSSIAN_WORDS = {
    "account_request_new": "просит создать учётную запись",
    "account_request_received": "Мы получили ваш запрос",
    "account_request_refused": "не может быть принят",
    "account_request_approved": "Ваш запрос одобрен",
    "account_request_declined": "отклонён",
    "account_invitation": "Задайте пароль по этой ссылке",
    "account_deactivated": "отключена",
}


@pytest.fixture
def rows(representative, customer, colleague, manager):
    """One row of each account mail, made through the services."""
    text = "Please create a new account for Ivan Petrov ivan.petrov@customer.example"
    email_requests.account_request_from_email(sender=representative, subject="", text=text)
    email_requests.account_request_from_email(sender=customer, subject="", text=text)
    first = services.account_request_file(
        requested_by=representative, full_name="Nina Novak", email="nina@customer.example"
    )
    services.account_request_approve(account_request=first, actor=manager)
    second = services.account_request_file(
        requested_by=representative, full_name="Petr <b>Bold</b>", email="petr@customer.example"
    )
    services.account_request_decline(account_request=second, actor=manager, reason="<i>No</i>")
    leaver = services.account_deactivation_request_file(requested_by=representative, user=colleague)
    services.account_request_approve(account_request=leaver, actor=manager)
    found = {}
    for row in Notification.objects.order_by("pk"):
        found.setdefault(row.event, row)
    return found


def test_every_account_event_has_its_three_templates():
    for event in EVENTS:
        for suffix in (".subject.txt", ".txt", ".html"):
            assert (TEMPLATES / f"{event}{suffix}").exists(), f"{event}{suffix}"


def test_the_services_make_every_account_mail(rows):
    assert set(EVENTS) <= set(rows)


@pytest.mark.parametrize("event", EVENTS)
def test_every_account_mail_renders_in_english(rows, event):
    row = rows[event]
    row.language = "en"

    mail = render_notification(row)

    for part in (mail.subject, mail.text, mail.html):
        assert part.strip()
        assert not CYRILLIC.search(part), part
        assert "{%" not in part and "{{" not in part
    assert "\n" not in mail.subject
    assert mail.html.lstrip().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("event", EVENTS)
def test_every_account_mail_renders_in_russian(rows, event):
    row = rows[event]
    row.language = "ru"

    mail = render_notification(row)

    assert CYRILLIC.search(mail.subject), mail.subject
    assert RUSSIAN_WORDS[event] in mail.text, mail.text
    assert RUSSIAN_WORDS[event] in mail.html


def test_names_are_escaped_in_html_and_plain_in_text(rows):
    declined = rows["account_request_declined"]
    declined.language = "en"

    mail = render_notification(declined)

    assert "Petr &lt;b&gt;Bold&lt;/b&gt;" in mail.html and "<b>Bold" not in mail.html
    assert "&lt;i&gt;No&lt;/i&gt;" in mail.html
    assert "Petr <b>Bold</b>" in mail.text and "<i>No</i>" in mail.text


def test_the_manager_alert_links_to_the_admin_and_names_the_role(rows):
    alert = rows["account_request_new"]
    alert.language = "en"

    mail = render_notification(alert)

    assert "/admin/accounts/accountrequest/" in mail.text
    assert "as Customer employee" in mail.text


def test_account_mails_name_no_other_organisation(rows, other_organisation):
    outsider_org = factories.OrganisationFactory(name="Rival Holding")
    for row in rows.values():
        row.language = "en"
        mail = render_notification(row)
        assert outsider_org.name not in mail.text + mail.html
        assert other_organisation.name not in mail.text + mail.html
