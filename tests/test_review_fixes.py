"""Hostile input and rule gaps found in review: each stays fixed."""

import pytest

from tests import factories
from tickets import services
from tickets.models import Status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/tickets/?q=²", "/tickets/HD%00X/", "/tickets/new/?follows=HD%00", "/tickets/HD%00/comment/"],
)
def test_odd_characters_in_numbers_are_a_404_or_an_empty_result_never_a_500(client, customer, url):
    client.force_login(customer)
    response = client.get(url)
    assert response.status_code in (200, 404, 405)


@pytest.mark.django_db
def test_lockout_counts_an_address_whatever_its_letter_case(client, customer, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = customer.email.upper() if attempt % 2 else customer.email
        client.post("/accounts/login/", {"username": email, "password": "wrong"})

    response = client.post(
        "/accounts/login/", {"username": customer.email.upper(), "password": factories.PASSWORD}
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_lockout_holds_from_another_address(client, customer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": customer.email, "password": "wrong"})

    response = client.post(
        "/accounts/login/",
        {"username": customer.email, "password": factories.PASSWORD},
        REMOTE_ADDR="10.9.8.7",
    )

    assert response.status_code == 429


@pytest.mark.django_db
def test_a_ticket_closed_as_a_duplicate_cannot_be_reopened_by_the_customer(client, customer, agent):
    original = factories.TicketFactory(requester=customer)
    duplicate = factories.TicketFactory(requester=customer)
    services.ticket_mark_duplicate(ticket=duplicate, actor=agent, original=original)

    client.force_login(customer)
    page = client.get(f"/tickets/{duplicate.number}/").content.decode()
    assert f"/tickets/{duplicate.number}/do/reopen/" not in page
    response = client.post(
        f"/tickets/{duplicate.number}/do/reopen/", {"expected_status": Status.CLOSED}, follow=True
    )

    duplicate.refresh_from_db()
    assert duplicate.status == Status.CLOSED
    assert f"closed as a duplicate of {original.number}" in response.content.decode()
