"""Managers decide on account requests in the staff admin; agents only look."""

import html

import pytest

from accounts.models import AccountRequest, AccountRequestStatus, Role, User
from notifications.models import Notification
from tests.helpers import text

pytestmark = pytest.mark.django_db

LIST = "/admin/accounts/accountrequest/"


def change_url(request) -> str:
    return f"{LIST}{request.pk}/change/"


def transition_url(request, name: str) -> str:
    return f"{LIST}{request.pk}/transition/{name}/"


def page(response) -> str:
    return html.unescape(text(response))


def test_a_manager_approves_with_the_button_and_the_colleague_is_created(
    client, manager, representative, pending_request
):
    client.force_login(manager)
    assert 'value="approve"' in text(client.get(change_url(pending_request)))

    response = client.post(change_url(pending_request), {"_fsm_transition_to": "approve"})

    assert response.status_code == 302
    pending_request.refresh_from_db()
    assert pending_request.status == AccountRequestStatus.APPROVED
    assert pending_request.decided_by == manager
    assert pending_request.decided_at is not None
    colleague = User.objects.get(email="ivan.petrov@customer.example")
    assert pending_request.user == colleague
    assert (colleague.full_name, colleague.role, colleague.organisation, colleague.language) == (
        "Ivan Petrov", Role.CUSTOMER_EMPLOYEE, representative.organisation, "ru",
    )
    # Active, but no password until they set one through the invitation.
    assert colleague.is_active and not colleague.has_usable_password()
    invitation = Notification.objects.get(event="account_invitation")
    assert (invitation.to_email, invitation.language) == (colleague.email, "ru")
    approved = Notification.objects.get(event="account_request_approved")
    assert approved.to_email == representative.email


def test_a_manager_approves_a_representative_role_as_requested(
    client, manager, representative
):
    from accounts import services

    request = services.account_request_file(
        requested_by=representative, full_name="Vera Deputy", email="vera@customer.example",
        role=Role.CUSTOMER_REPRESENTATIVE,
    )
    client.force_login(manager)

    client.post(change_url(request), {"_fsm_transition_to": "approve"})

    assert User.objects.get(email="vera@customer.example").is_representative


def test_declining_asks_for_a_reason_and_mails_it_to_the_representative(
    client, manager, representative, pending_request
):
    client.force_login(manager)

    response = client.post(change_url(pending_request), {"_fsm_transition_to": "decline"})
    assert response["Location"] == transition_url(pending_request, "decline")
    form = client.get(response["Location"])
    assert "Reason" in page(form)

    empty = client.post(transition_url(pending_request, "decline"), {"reason": ""})
    assert empty.status_code == 200 and "This field is required." in page(empty)
    pending_request.refresh_from_db()
    assert pending_request.status == AccountRequestStatus.PENDING

    done = client.post(
        transition_url(pending_request, "decline"),
        {"reason": "Please use the company's address."},
    )

    assert done.status_code == 302
    pending_request.refresh_from_db()
    assert pending_request.status == AccountRequestStatus.DECLINED
    assert pending_request.reason == "Please use the company's address."
    assert not User.objects.filter(email=pending_request.email).exists()
    declined = Notification.objects.get(event="account_request_declined")
    assert declined.to_email == representative.email
    assert declined.context["reason"] == "Please use the company's address."
    assert not Notification.objects.filter(event="account_invitation").exists()


def test_an_agent_sees_the_requests_but_has_no_buttons(client, agent, pending_request):
    client.force_login(agent)

    listing = client.get(LIST)
    detail = client.get(change_url(pending_request))

    assert listing.status_code == 200 and "Ivan Petrov" in page(listing)
    assert detail.status_code == 200
    assert 'value="approve"' not in text(detail)
    assert 'value="decline"' not in text(detail)
    assert "A contractor manager approves or declines this request." in page(detail)


def test_an_agent_posting_a_decision_is_forbidden(client, agent, pending_request):
    client.force_login(agent)

    approve = client.post(change_url(pending_request), {"_fsm_transition_to": "approve"})
    decline = client.post(transition_url(pending_request, "decline"), {"reason": "No."})
    bulk = client.post(
        LIST, {"action": "approve_selected", "_selected_action": [pending_request.pk]}
    )

    assert approve.status_code == 403
    assert decline.status_code == 403
    assert bulk.status_code in (200, 302)  # the action is not offered to agents
    pending_request.refresh_from_db()
    assert pending_request.status == AccountRequestStatus.PENDING
    assert not User.objects.filter(email=pending_request.email).exists()


def test_customers_do_not_enter_the_admin(client, representative, pending_request):
    client.force_login(representative)

    response = client.get(change_url(pending_request))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_nobody_adds_a_request_in_the_admin(client, manager):
    client.force_login(manager)

    assert client.get(f"{LIST}add/").status_code == 403


def test_a_decided_request_has_no_buttons_and_cannot_be_decided_again(
    client, manager, pending_request
):
    client.force_login(manager)
    client.post(change_url(pending_request), {"_fsm_transition_to": "approve"})

    detail = client.get(change_url(pending_request))
    again = client.post(
        change_url(pending_request), {"_fsm_transition_to": "decline"}, follow=True
    )

    assert 'value="approve"' not in text(detail) and 'value="decline"' not in text(detail)
    pending_request.refresh_from_db()
    assert pending_request.status == AccountRequestStatus.APPROVED
    assert Notification.objects.filter(event="account_invitation").count() == 1
    assert again.status_code == 200


def test_approving_in_bulk_creates_every_account(client, manager, representative):
    from accounts import services

    requests = [
        services.account_request_file(
            requested_by=representative, full_name=f"New Person {n}",
            email=f"new{n}@customer.example",
        )
        for n in range(3)
    ]
    client.force_login(manager)

    response = client.post(
        LIST,
        {"action": "approve_selected", "_selected_action": [r.pk for r in requests]},
        follow=True,
    )

    assert "3 requests approved." in page(response)
    assert User.objects.filter(email__startswith="new", is_active=True).count() == 3
    assert Notification.objects.filter(event="account_invitation").count() == 3


def test_approval_is_refused_when_the_address_got_an_account_meanwhile(
    client, manager, representative, pending_request
):
    from tests import factories

    factories.CustomerFactory(email=pending_request.email, organisation=representative.organisation)
    client.force_login(manager)

    response = client.post(
        change_url(pending_request), {"_fsm_transition_to": "approve"}, follow=True
    )

    assert "exists now; decline the request instead" in page(response)
    pending_request.refresh_from_db()
    assert pending_request.status == AccountRequestStatus.PENDING
    assert not Notification.objects.filter(event="account_invitation").exists()


def test_a_manager_sends_the_invitation_again_to_who_has_no_password_yet(
    client, manager, pending_request
):
    from accounts import services

    services.account_request_approve(account_request=pending_request, actor=manager)
    client.force_login(manager)

    response = client.post(
        LIST,
        {"action": "resend_invitation", "_selected_action": [pending_request.pk]},
        follow=True,
    )

    assert "1 invitation sent." in page(response)
    assert Notification.objects.filter(event="account_invitation").count() == 2


def test_no_new_invitation_once_the_password_is_set(client, manager, pending_request):
    from accounts import services

    services.account_request_approve(account_request=pending_request, actor=manager)
    colleague = User.objects.get(email=pending_request.email)
    colleague.set_password("a-fine-long-password-2026")
    colleague.save()
    client.force_login(manager)

    response = client.post(
        LIST,
        {"action": "resend_invitation", "_selected_action": [pending_request.pk]},
        follow=True,
    )

    assert "0 invitations sent." in page(response)
    assert Notification.objects.filter(event="account_invitation").count() == 1


def test_the_pending_filter_shows_what_waits_for_a_manager(
    client, manager, representative, pending_request
):
    from accounts import services

    decided = services.account_request_file(
        requested_by=representative, full_name="Old Request", email="old@customer.example"
    )
    services.account_request_decline(account_request=decided, actor=manager, reason="No.")
    client.force_login(manager)

    shown = page(client.get(LIST, {"decision": "pending"}))

    assert "Ivan Petrov" in shown
    assert "Old Request" not in shown
    assert AccountRequest.objects.count() == 2
