"""A leaver's deactivation: approved by a manager, it ends their sessions at once and
both the representative and the leaver are mailed."""

import html

import pytest

from accounts import services
from accounts.models import AccountRequestStatus
from notifications.models import Notification
from notifications.rendering import render_notification
from tests.helpers import text

pytestmark = pytest.mark.django_db


def test_approval_deactivates_the_leaver_and_ends_their_session(
    client, manager, representative, colleague, pending_deactivation
):
    leaver = client  # the leaver is logged in while the manager decides
    leaver.force_login(colleague)
    assert leaver.get("/").status_code == 200

    services.account_request_approve(account_request=pending_deactivation, actor=manager)

    colleague.refresh_from_db()
    assert not colleague.is_active
    response = leaver.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    pending_deactivation.refresh_from_db()
    assert pending_deactivation.status == AccountRequestStatus.APPROVED


def test_the_leaver_can_no_longer_log_in(client, manager, colleague, pending_deactivation):
    from tests.factories import PASSWORD

    services.account_request_approve(account_request=pending_deactivation, actor=manager)

    response = client.post("/accounts/login/", {"username": colleague.email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_approval_is_mailed_to_the_representative_and_the_leaver(
    manager, representative, colleague, pending_deactivation
):
    services.account_request_approve(account_request=pending_deactivation, actor=manager)

    to_representative = Notification.objects.get(event="account_request_approved")
    to_leaver = Notification.objects.get(event="account_deactivated")
    assert to_representative.to_email == representative.email
    assert to_leaver.to_email == colleague.email
    rep_mail = render_notification(to_representative)
    assert "is deactivated" in rep_mail.text and colleague.email in rep_mail.text
    leaver_mail = render_notification(to_leaver)
    assert "your helpdesk account" in leaver_mail.text
    assert representative.organisation.name in leaver_mail.text


def test_a_declined_deactivation_keeps_the_account(
    client, manager, representative, colleague, pending_deactivation
):
    services.account_request_decline(
        account_request=pending_deactivation, actor=manager, reason="She still has open work."
    )

    colleague.refresh_from_db()
    assert colleague.is_active
    declined = Notification.objects.get(event="account_request_declined")
    assert declined.to_email == representative.email
    assert "She still has open work." in render_notification(declined).text
    assert not Notification.objects.filter(event="account_deactivated").exists()


def test_the_admin_button_deactivates(client, manager, colleague, pending_deactivation):
    client.force_login(manager)

    response = client.post(
        f"/admin/accounts/accountrequest/{pending_deactivation.pk}/change/",
        {"_fsm_transition_to": "approve"},
        follow=True,
    )

    colleague.refresh_from_db()
    assert not colleague.is_active
    assert f"{colleague.get_full_name()} is deactivated." in html.unescape(text(response))


def test_the_representative_sees_the_leaver_as_deactivated(
    client, manager, representative, colleague, pending_deactivation
):
    services.account_request_approve(account_request=pending_deactivation, actor=manager)
    client.force_login(representative)

    shown = html.unescape(text(client.get("/accounts/colleagues/")))

    assert colleague.email in shown and "Deactivated" in shown
    assert f"/accounts/colleagues/{colleague.pk}/deactivate/" not in shown


def test_an_invitation_sent_before_a_deactivation_no_longer_works(
    client, manager, representative, pending_request
):
    from accounts.models import User

    services.account_request_approve(account_request=pending_request, actor=manager)
    newcomer = User.objects.get(email=pending_request.email)
    path = Notification.objects.get(event="account_invitation").context["invitation_url"]
    deactivation = services.account_deactivation_request_file(
        requested_by=representative, user=newcomer
    )
    services.account_request_approve(account_request=deactivation, actor=manager)

    response = client.get(path.removeprefix("https://helpdesk.example.com"), follow=True)

    assert "no longer works" in html.unescape(text(response))
