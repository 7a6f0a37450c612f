"""The invitation link: sets a password once, logs the colleague in, then never again;
it expires after ACCOUNT_INVITATION_DAYS and dies with a deactivation."""

import datetime
import html
import re

import pytest
import time_machine

from accounts import services
from accounts.models import User
from notifications.models import Notification
from notifications.rendering import render_notification
from tests.helpers import text

pytestmark = pytest.mark.django_db

PASSWORD = "Tundra-Lantern-2026"
START = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def invitation_path(notification: Notification) -> str:
    url = notification.context["invitation_url"]
    assert url.startswith("https://helpdesk.example.com/accounts/invitation/")
    return url.removeprefix("https://helpdesk.example.com")


def invitation_link_in_mail(notification: Notification) -> str:
    """The link as the colleague reads it in the rendered plain-text mail."""
    mail = render_notification(notification)
    return re.search(r"https://helpdesk\.example\.com/accounts/invitation/\S+", mail.text)[0]


def set_password(client, path: str, password: str = PASSWORD):
    """Open the link (Django moves the token into the session), then post the form."""
    opened = client.get(path)
    if opened.status_code != 302:
        return opened
    return client.post(
        opened["Location"], {"new_password1": password, "new_password2": password}
    )


@pytest.fixture
def approved(pending_request, manager):
    services.account_request_approve(account_request=pending_request, actor=manager)
    return pending_request


@pytest.fixture
def invitation(approved) -> Notification:
    return Notification.objects.get(event="account_invitation")


def test_the_colleague_sets_a_password_and_is_logged_in(client, invitation):
    path = invitation_link_in_mail(invitation).removeprefix("https://helpdesk.example.com")

    response = set_password(client, path)

    assert response.status_code == 302 and response["Location"] == "/"
    colleague = User.objects.get(email="ivan.petrov@customer.example")
    assert colleague.check_password(PASSWORD)
    assert colleague.last_login is not None
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Ivan Petrov" in html.unescape(text(dashboard))


def test_the_link_works_once(client, invitation):
    path = invitation_path(invitation)
    set_password(client, path)
    client.logout()

    again = client.get(path, follow=True)

    assert "The invitation link no longer works" in html.unescape(text(again))
    assert 'name="new_password1"' not in text(again)
    colleague = User.objects.get(email="ivan.petrov@customer.example")
    assert colleague.check_password(PASSWORD)


def test_a_second_password_through_the_same_link_is_refused(client, invitation):
    path = invitation_path(invitation)
    set_password(client, path)
    client.logout()

    response = set_password(client, path, "Another-Password-2027")

    assert "no longer works" in html.unescape(text(response))
    assert User.objects.get(email="ivan.petrov@customer.example").check_password(PASSWORD)


def test_the_link_works_until_the_invitation_days_are_over(client, pending_request, manager):
    with time_machine.travel(START, tick=False):
        services.account_request_approve(account_request=pending_request, actor=manager)
    path = invitation_path(Notification.objects.get(event="account_invitation"))

    with time_machine.travel(START + datetime.timedelta(days=6, hours=23), tick=False):
        response = set_password(client, path)

    assert response.status_code == 302
    assert User.objects.get(email=pending_request.email).has_usable_password()


def test_an_expired_link_is_refused(client, pending_request, manager):
    with time_machine.travel(START, tick=False):
        services.account_request_approve(account_request=pending_request, actor=manager)
    path = invitation_path(Notification.objects.get(event="account_invitation"))

    with time_machine.travel(START + datetime.timedelta(days=7, hours=1), tick=False):
        response = client.get(path, follow=True)

    assert "The invitation link no longer works" in html.unescape(text(response))
    assert not User.objects.get(email=pending_request.email).has_usable_password()


def test_the_lifetime_follows_the_setting(client, settings, pending_request, manager):
    settings.ACCOUNT_INVITATION_DAYS = 2
    with time_machine.travel(START, tick=False):
        services.account_request_approve(account_request=pending_request, actor=manager)
    invitation = Notification.objects.get(event="account_invitation")
    assert invitation.context["days"] == 2

    with time_machine.travel(START + datetime.timedelta(days=3), tick=False):
        response = client.get(invitation_path(invitation), follow=True)

    assert "no longer works" in html.unescape(text(response))


def test_a_resent_invitation_works_after_the_first_expired(client, pending_request, manager):
    with time_machine.travel(START, tick=False):
        services.account_request_approve(account_request=pending_request, actor=manager)
    later = START + datetime.timedelta(days=10)
    with time_machine.travel(later, tick=False):
        pending_request.refresh_from_db()
        assert services.account_invitation_resend(account_request=pending_request, actor=manager)
        fresh = Notification.objects.filter(event="account_invitation").order_by("-pk").first()
        response = set_password(client, invitation_path(fresh))

    assert response.status_code == 302
    assert User.objects.get(email=pending_request.email).check_password(PASSWORD)


def test_a_deactivated_colleague_cannot_use_the_link(client, invitation):
    colleague = User.objects.get(email="ivan.petrov@customer.example")
    colleague.is_active = False
    colleague.save(update_fields=["is_active"])

    response = client.get(invitation_path(invitation), follow=True)

    assert "no longer works" in html.unescape(text(response))


def test_a_tampered_token_is_refused(client, invitation):
    path = invitation_path(invitation)
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa/") else "bbb") + "/"

    response = client.get(tampered, follow=True)

    assert "no longer works" in html.unescape(text(response))


def test_a_password_reset_token_is_not_an_invitation(client, approved):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    colleague = User.objects.get(email="ivan.petrov@customer.example")
    uid = urlsafe_base64_encode(force_bytes(colleague.pk))
    token = default_token_generator.make_token(colleague)

    response = client.get(f"/accounts/invitation/{uid}/{token}/", follow=True)

    assert "no longer works" in html.unescape(text(response))


def test_a_weak_password_is_refused_with_the_reason(client, invitation):
    response = set_password(client, invitation_path(invitation), "12345678")

    assert response.status_code == 200
    assert "This password is too common." in html.unescape(text(response))
    assert not User.objects.get(email="ivan.petrov@customer.example").has_usable_password()


def test_before_the_password_is_set_the_colleague_cannot_log_in(client, approved):
    response = client.post(
        "/accounts/login/", {"username": "ivan.petrov@customer.example", "password": ""}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_invitation_mail_reads_in_the_colleague_s_language(invitation):
    mail = render_notification(invitation)

    assert invitation.language == "ru"
    assert "Ivan Petrov" in mail.text
    assert invitation.context["invitation_url"] in mail.text
    assert invitation.context["invitation_url"] in mail.html
    assert "задайте пароль" in mail.subject
    assert "Задайте пароль по этой ссылке. Она действует один раз в течение 7 дней" in mail.text


def test_the_invitation_mail_in_english_names_the_lifetime(invitation):
    invitation.language = "en"
    mail = render_notification(invitation)

    assert "It works once, for 7 days" in mail.text
    assert "Set your password" in mail.html
