"""A representative may ask for a colleague's account by e-mail, as the rules allow; a
privileged action, so only from a sender our mail server proved (issue 10: "Privileged
actions never follow from an unverified mail")."""

import pytest

from accounts.models import AccountRequest, AccountRequestStatus
from mailin.models import Source, Status
from mailin.services import inbound_receive
from notifications.models import Notification
from tests import factories
from tests.inbound.conftest import render
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

AUTHSERV_ID = "mx.helpdesk.localhost"


def request_mail(representative, settings, name="account_request_dmarc_pass.eml", **values):
    values = {
        "authserv_id": AUTHSERV_ID, "dmarc_domain": "customer.example", **values,
    }
    return render(
        name, representative=representative.email, support=settings.SUPPORT_EMAIL, **values
    )


def test_a_verified_representatives_mail_asking_for_an_account_becomes_a_request_not_a_ticket(
    representative, settings
):
    settings.INBOUND_AUTHSERV_ID = AUTHSERV_ID

    inbound = inbound_receive(raw=request_mail(representative, settings), source=Source.FILE)

    assert inbound.status == Status.ACCOUNT_REQUEST
    assert inbound.sender_verified
    request = AccountRequest.objects.get()
    assert request.email == "pavel.smirnov@customer.example"
    assert request.organisation_id == representative.organisation_id
    assert not Ticket.objects.exists()


def test_the_manager_is_told_an_emailed_request_proves_nobodys_identity(
    client, representative, manager, settings
):
    settings.INBOUND_AUTHSERV_ID = AUTHSERV_ID
    inbound_receive(raw=request_mail(representative, settings), source=Source.FILE)
    request = AccountRequest.objects.get()
    client.force_login(manager)

    page = client.get(f"/admin/accounts/accountrequest/{request.pk}/change/").content.decode()

    assert "This request came by e-mail" in page
    assert "confirm with the representative" in page


def test_a_plain_forged_from_of_a_representative_is_only_an_unconfirmed_request(
    representative, manager, settings
):
    # No authserv-id configured: nothing can prove the From. The request is written as
    # unconfirmed, the managers hear nothing, and only the real representative, at their
    # own address, gets the link that would make it real.
    raw = render(
        "account_request_from_representative.eml",
        representative=representative.email, support=settings.SUPPORT_EMAIL,
    )

    inbound = inbound_receive(raw=raw, source=Source.FILE)

    assert inbound.status == Status.ACCOUNT_REQUEST and not inbound.sender_verified
    request = AccountRequest.objects.get()
    assert request.status == AccountRequestStatus.UNCONFIRMED
    assert not Ticket.objects.exists()
    mails = Notification.objects.all()
    assert [(m.event, m.to_email) for m in mails] == [
        ("account_request_confirm", representative.email)
    ]
    assert "/accounts/requests/confirm/" in mails[0].context["confirm_url"]


@pytest.mark.parametrize(
    ("case", "values"),
    [
        ("a pass for another domain", {"dmarc_domain": "evil.org"}),
        ("a pass stamped by another server", {"authserv_id": "mx.attacker.example"}),
    ],
)
def test_an_account_request_is_not_filed_unless_our_server_passed_dmarc_for_its_domain(
    representative, settings, case, values
):
    settings.INBOUND_AUTHSERV_ID = AUTHSERV_ID

    inbound = inbound_receive(
        raw=request_mail(representative, settings, **values), source=Source.FILE
    )

    assert not inbound.sender_verified, case
    assert AccountRequest.objects.get().status == AccountRequestStatus.UNCONFIRMED, case


def test_the_representative_confirms_by_the_link_and_only_then_the_managers_hear(
    client, representative, manager, settings
):
    raw = render(
        "account_request_from_representative.eml",
        representative=representative.email, support=settings.SUPPORT_EMAIL,
    )
    inbound_receive(raw=raw, source=Source.FILE)
    link = Notification.objects.get(event="account_request_confirm").context["confirm_url"]
    path = link.removeprefix(settings.SITE_URL.rstrip("/"))

    other = factories.RepresentativeFactory(organisation=representative.organisation)
    client.force_login(other)
    assert client.get(path).status_code == 404  # only the one in whose name it was asked

    client.force_login(representative)
    assert "Confirm the request" in client.get(path).content.decode()
    assert client.post(path).status_code == 302
    request = AccountRequest.objects.get()
    assert request.status == AccountRequestStatus.PENDING
    assert Notification.objects.filter(event="account_request_new", to_email=manager.email)
    assert client.post(path).status_code == 302  # single use: nothing happens again
    assert Notification.objects.filter(event="account_request_new").count() == 1
