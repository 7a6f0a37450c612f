"""A representative may ask for a colleague's account by e-mail, as the rules allow."""

import pytest

from accounts.models import AccountRequest
from mailin.models import Source, Status
from mailin.services import inbound_receive
from tests.inbound.conftest import render
from tickets.models import Ticket


@pytest.mark.django_db
def test_a_representatives_mail_asking_for_an_account_becomes_a_request_not_a_ticket(
    representative, settings
):
    raw = render(
        "account_request_from_representative.eml",
        representative=representative.email,
        support=settings.SUPPORT_EMAIL,
    )

    inbound = inbound_receive(raw=raw, source=Source.FILE)

    inbound.refresh_from_db()
    assert inbound.status == Status.ACCOUNT_REQUEST
    request = AccountRequest.objects.get()
    assert request.email == "pavel.smirnov@customer.example"
    assert request.organisation_id == representative.organisation_id
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_the_manager_is_told_an_emailed_request_proves_nobodys_identity(
    client, representative, manager, settings
):
    raw = render(
        "account_request_from_representative.eml",
        representative=representative.email,
        support=settings.SUPPORT_EMAIL,
    )
    inbound_receive(raw=raw, source=Source.FILE)
    request = AccountRequest.objects.get()
    client.force_login(manager)

    page = client.get(f"/admin/accounts/accountrequest/{request.pk}/change/").content.decode()

    assert "This request came by e-mail" in page
    assert "confirm with the representative" in page
