"""The representative's resources through the API: people, account and deactivation
requests, statements; the same services, rules and mail as the portal."""

import datetime

import pytest

from accounts.models import AccountRequest, AccountRequestKind, AccountRequestStatus
from billing import statements
from billing.models import StatementStatus
from notifications.models import Notification
from tests import factories
from tests.api_support import client_for, generous_rate_limits  # noqa: F401 - fixture
from tests.billing.conftest import msk
from tests.billing.scenarios import log

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "customer", "representative", "agent", "manager")


@pytest.fixture
def world(organisation, customer, representative, outsider, agent, manager):
    ticket = factories.TicketFactory(requester=customer)
    log(ticket, agent, msk(2026, 11, 27, 18), 2)
    statement = statements.statement_generate(
        organisation=organisation, month=datetime.date(2026, 11, 1)
    )
    people = {
        "anonymous": None, "outsider": outsider, "customer": customer,
        "representative": representative, "agent": agent, "manager": manager,
    }
    return {"statement": statement, "colleague": customer, **people}


# fmt: off
MATRIX = {
    ("get", "/api/v1/people/", ""):                       (401, 403, 403, 200, 403, 403),
    ("post", "/api/v1/people/{colleague}/deactivation-request/", "{}"):
                                                          (401, 403, 403, 201, 403, 403),
    ("get", "/api/v1/account-requests/", ""):             (401, 403, 403, 200, 403, 403),
    ("post", "/api/v1/account-requests/", '{"full_name": "New Person", "email": "new@c.example"}'):
                                                          (401, 403, 403, 201, 403, 403),
    ("get", "/api/v1/statements/", ""):                   (401, 403, 403, 200, 403, 403),
    ("get", "/api/v1/statements/{statement}/", ""):       (401, 403, 403, 200, 403, 403),
    ("post", "/api/v1/statements/{statement}/confirm/", "{}"):
                                                          (401, 403, 403, 200, 403, 403),
}
# fmt: on


@pytest.mark.parametrize(
    ("method", "path", "body", "role", "expected"),
    [
        pytest.param(method, path, body, role, code, id=f"{method} {path} {role}")
        for (method, path, body), row in MATRIX.items()
        for role, code in zip(ROLES, row, strict=True)
    ],
)
def test_representatives_only(world, method, path, body, role, expected):
    url = path.format(colleague=world["colleague"].pk, statement=world["statement"].pk)
    client = client_for(world[role])
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, body, content_type="application/json")
    assert response.status_code == expected, response.content[:300]


def test_another_organisations_representative_sees_none_of_it(world, other_organisation):
    stranger = factories.RepresentativeFactory(organisation=other_organisation)
    client = client_for(stranger)
    assert client.get("/api/v1/statements/").json() == []
    assert client.get(f"/api/v1/statements/{world['statement'].pk}/").status_code == 404
    assert client.post(
        f"/api/v1/statements/{world['statement'].pk}/confirm/", {},
        content_type="application/json",
    ).status_code == 404
    people = client.get("/api/v1/people/").json()
    assert world["colleague"].pk not in {p["id"] for p in people}
    response = client.post(f"/api/v1/people/{world['colleague'].pk}/deactivation-request/")
    assert response.status_code == 404
    assert not AccountRequest.objects.exists()


def test_a_representative_requests_an_account_and_the_managers_hear_of_it(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        response = client_for(world["representative"]).post(
            "/api/v1/account-requests/",
            {"full_name": "Olga Petrova", "email": "Olga@Customer.example", "note": "New in HR"},
            content_type="application/json",
        )
    assert response.status_code == 201
    filed = AccountRequest.objects.get()
    assert (filed.kind, filed.status, filed.email) == (
        AccountRequestKind.NEW_ACCOUNT, AccountRequestStatus.PENDING, "olga@customer.example"
    )
    assert Notification.objects.filter(to_email=world["manager"].email).exists()
    again = client_for(world["representative"]).post(
        "/api/v1/account-requests/",
        {"full_name": "Olga Petrova", "email": "olga@customer.example"},
        content_type="application/json",
    )
    assert again.status_code == 409  # one pending request per address


def test_a_dispute_needs_a_comment(world):
    client = client_for(world["representative"])
    url = f"/api/v1/statements/{world['statement'].pk}/dispute/"
    refused = client.post(url, {}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "no_comment"
    response = client.post(url, {"comment": "Ticket 1 was a bug of yours."},
                           content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == StatementStatus.DISPUTED
    assert response.json()["lines"][0]["billable_seconds"] == 7200
