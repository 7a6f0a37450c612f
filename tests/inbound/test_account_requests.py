"""A representative may ask for a colleague's account by e-mail, as the rules allow; a
privileged action, so only from a sender our mail server proved (issue 10: "Privileged
actions never follow from an unverified mail")."""

import pytest

from accounts.models import AccountRequest
from mailin.models import Reason, Source, Status
from mailin.services import inbound_receive, inbound_retry
from notifications.models import Notification
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


def test_a_plain_forged_from_of_a_representative_files_no_request_with_default_settings(
    representative, settings
):
    # No authserv-id configured: nothing can prove the From, so nothing is filed in the
    # representative's name (before, this filed a request for a stranger's address).
    raw = render(
        "account_request_from_representative.eml",
        representative=representative.email, support=settings.SUPPORT_EMAIL,
    )
    mails_before = Notification.objects.count()

    inbound = inbound_receive(raw=raw, source=Source.FILE)

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.UNVERIFIED_SENDER)
    assert inbound.sender == representative
    assert "not verified" in inbound.detail
    assert not AccountRequest.objects.exists()
    assert not Ticket.objects.exists()
    assert Notification.objects.count() == mails_before  # nobody is told anything


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

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.UNVERIFIED_SENDER), case
    assert not inbound.sender_verified
    assert not AccountRequest.objects.exists()


def test_processing_an_unverified_request_again_still_files_nothing(
    representative, manager, settings
):
    raw = render(
        "account_request_from_representative.eml",
        representative=representative.email, support=settings.SUPPORT_EMAIL,
    )
    inbound = inbound_receive(raw=raw, source=Source.FILE)

    inbound = inbound_retry(inbound=inbound, actor=manager)

    assert (inbound.status, inbound.reason) == (Status.HELD, Reason.UNVERIFIED_SENDER)
    assert not AccountRequest.objects.exists()
