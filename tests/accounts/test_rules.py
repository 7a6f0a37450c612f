"""The rules in the services themselves, for every way in (portal, admin, e-mail)."""

import pytest

from accounts import services
from accounts.models import AccountRequest, AccountRequestStatus, Role, User
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_request_decided_a_moment_ago_is_not_decided_again(pending_request, manager):
    services.account_request_approve(account_request=pending_request, actor=manager)
    stale = AccountRequest.objects.get(pk=pending_request.pk)

    with pytest.raises(services.AccountRequestRefused) as refused:
        services.account_request_decline(account_request=stale, actor=manager, reason="Late")

    assert refused.value.code == "decided"
    assert User.objects.filter(email=pending_request.email).count() == 1
    assert Notification.objects.filter(event="account_invitation").count() == 1


def test_two_requests_for_one_address_racing_past_the_check_make_one(
    representative, pending_request, monkeypatch
):
    monkeypatch.setattr(services, "_address_refusal", lambda email: None)

    with pytest.raises(services.AccountRequestRefused) as refused:
        services.account_request_file(
            requested_by=representative, full_name="Ivan Again", email=pending_request.email
        )

    assert refused.value.code == "duplicate_request"
    assert AccountRequest.objects.filter(status=AccountRequestStatus.PENDING).count() == 1


@pytest.mark.parametrize("who", ["agent", "representative", "customer"])
def test_only_a_manager_decides(request, pending_request, who):
    actor = request.getfixturevalue(who)

    with pytest.raises(services.AccountRequestRefused):
        services.account_request_approve(account_request=pending_request, actor=actor)
    with pytest.raises(services.AccountRequestRefused):
        services.account_request_decline(account_request=pending_request, actor=actor, reason="x")

    pending_request.refresh_from_db()
    assert pending_request.status == AccountRequestStatus.PENDING


def test_a_decline_needs_a_reason(pending_request, manager):
    with pytest.raises(services.AccountRequestRefused) as refused:
        services.account_request_decline(account_request=pending_request, actor=manager, reason=" ")

    assert refused.value.field == "reason"
    pending_request.refresh_from_db()
    assert pending_request.status == AccountRequestStatus.PENDING


@pytest.mark.parametrize("who", ["customer", "outsider", "agent", "manager"])
def test_non_representatives_cannot_file(request, who):
    actor = request.getfixturevalue(who)

    with pytest.raises(services.AccountRequestRefused) as refused:
        services.account_request_file(
            requested_by=actor, full_name="New Person", email="new@customer.example"
        )

    assert refused.value.code == "not_representative"
    assert not AccountRequest.objects.exists()


def test_a_representative_of_another_organisation_cannot_deactivate_our_people(
    other_representative, colleague
):
    with pytest.raises(services.AccountRequestRefused) as refused:
        services.account_deactivation_request_file(
            requested_by=other_representative, user=colleague
        )

    assert refused.value.code == "not_colleague"


def test_an_inactive_organisation_s_representative_cannot_file(representative):
    representative.organisation.is_active = False
    representative.organisation.save()

    with pytest.raises(services.AccountRequestRefused) as refused:
        services.account_request_file(
            requested_by=representative, full_name="New Person", email="new@customer.example"
        )

    assert refused.value.code == "inactive_organisation"


def test_the_support_address_is_not_a_colleague(representative):
    with pytest.raises(services.AccountRequestRefused) as refused:
        services.account_request_file(
            requested_by=representative, full_name="Support", email="Support@helpdesk.example.com"
        )

    assert refused.value.code == "own_address"


def test_an_approved_representative_can_request_accounts_once_the_password_is_set(
    client, representative, manager
):
    request = services.account_request_file(
        requested_by=representative, full_name="Second Rep", email="second@customer.example",
        role=Role.CUSTOMER_REPRESENTATIVE,
    )
    services.account_request_approve(account_request=request, actor=manager)
    second = User.objects.get(email="second@customer.example")
    second.set_password("Blue-Harbour-Lamp-2026")
    second.save()

    client.force_login(second)

    assert client.get("/accounts/colleagues/").status_code == 200
