"""The webhook endpoints for every kind of caller: a representative manages their
organisation's subscriptions only, staff every one; customers and outsiders none."""

import json

import pytest

from tests import factories
from tests.api_support import client_for, generous_rate_limits  # noqa: F401 - fixture
from tests.webhook_support import deliver_pending, serving
from webhooks import services as webhooks
from webhooks.models import Delivery, Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint():
    yield from serving()


@pytest.fixture
def private_targets(settings):
    """The test server is on 127.0.0.1: let webhooks go there."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings

ANONYMOUS, OUTSIDER, CUSTOMER, REPRESENTATIVE, AGENT, MANAGER = ROLES = (
    "anonymous", "outsider", "customer", "representative", "agent", "manager",
)
W = "/api/v1/webhooks/{id}"
NEW = json.dumps({"target_url": "http://127.0.0.1:9/new", "events": ["ticket.created"]})


@pytest.fixture
def world(private_targets, endpoint, customer, representative, outsider, agent, manager):
    """The representative's subscription, with one delivered event."""
    subscription, _secret = webhooks.subscription_create(
        user=representative, target_url=endpoint.url(), events=["ticket.created"]
    )
    factories.TicketFactory(requester=customer)
    deliver_pending()
    return {
        "subscription": subscription,
        "delivery": Delivery.objects.get(),
        ANONYMOUS: None, OUTSIDER: outsider, CUSTOMER: customer,
        REPRESENTATIVE: representative, AGENT: agent, MANAGER: manager,
    }


# fmt: off
MATRIX = {
    # (method, path, body):                          anon outsider customer rep agent manager
    ("get", "/api/v1/webhooks/", ""):                (401, 403,     403,     200, 200, 200),
    ("post", "/api/v1/webhooks/", NEW):              (401, 403,     403,     201, 201, 201),
    ("get", W + "/", ""):                            (401, 403,     403,     200, 200, 200),
    ("patch", W + "/", '{"events": ["ticket.created", "ticket.sla_breached"]}'):
                                                     (401, 403,     403,     200, 200, 200),
    ("get", W + "/deliveries/", ""):                 (401, 403,     403,     200, 200, 200),
    ("post", W + "/deliveries/{delivery}/redeliver/", "{}"):
                                                     (401, 403,     403,     202, 202, 202),
    ("post", W + "/rotate-secret/", "{}"):           (401, 403,     403,     200, 200, 200),
    ("delete", W + "/", ""):                         (401, 403,     403,     204, 204, 204),
}
# fmt: on
CASES = [
    pytest.param(method, path, body, role, expected, id=f"{method} {path} {role}")
    for (method, path, body), row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_each_webhook_operation_answers_each_caller_as_the_rules_say(
    world, method, path, body, role, expected
):
    client = client_for(world[role])
    url = path.format(id=world["subscription"].pk, delivery=world["delivery"].pk)
    response = getattr(client, method)(url, body, content_type="application/json")
    assert response.status_code == expected, response.content[:300]
    if expected >= 400:
        assert Subscription.objects.count() == 1
        assert b"whsec_" not in response.content


def test_the_secret_is_shown_once_and_the_log_shows_each_attempt(world):
    client = client_for(world[REPRESENTATIVE])
    created = client.post("/api/v1/webhooks/", NEW, content_type="application/json").json()
    assert created["secret"].startswith("whsec_")
    assert "secret" not in client.get(f"/api/v1/webhooks/{created['id']}/").json()

    log = client.get(f"/api/v1/webhooks/{world['subscription'].pk}/deliveries/").json()
    (delivery,) = log
    assert delivery["status"] == "succeeded"
    assert delivery["event_type"] == "ticket.created"
    (attempt,) = delivery["log"]
    assert attempt["status_code"] == 204
    assert attempt["number"] == 1
    assert "duration_ms" in attempt


def test_a_representative_cannot_subscribe_to_another_organisation(world, other_organisation):
    client = client_for(world[REPRESENTATIVE])
    body = json.loads(NEW) | {"organisation": other_organisation.pk}
    response = client.post("/api/v1/webhooks/", body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Subscription.objects.count() == 1


def test_a_representatives_subscription_is_for_their_own_organisation(world, organisation):
    client = client_for(world[REPRESENTATIVE])
    created = client.post("/api/v1/webhooks/", NEW, content_type="application/json").json()
    assert created["organisation"] == organisation.pk


def test_another_organisations_representative_sees_none_of_its_subscriptions(world):
    stranger = factories.RepresentativeFactory(organisation=world[OUTSIDER].organisation)
    client = client_for(stranger)
    pk = world["subscription"].pk
    assert client.get("/api/v1/webhooks/").json() == []
    assert client.get(f"/api/v1/webhooks/{pk}/").status_code == 404
    assert client.get(f"/api/v1/webhooks/{pk}/deliveries/").status_code == 404
    assert client.delete(f"/api/v1/webhooks/{pk}/").status_code == 404
    redeliver = f"/api/v1/webhooks/{pk}/deliveries/{world['delivery'].pk}/redeliver/"
    assert client.post(redeliver, {}, content_type="application/json").status_code == 404


def test_staff_subscribe_for_every_ticket(world):
    created = client_for(world[AGENT]).post(
        "/api/v1/webhooks/", NEW, content_type="application/json"
    ).json()
    assert created["organisation"] is None


def test_a_private_target_is_a_400_on_the_field(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = client_for(world[REPRESENTATIVE]).post(
        "/api/v1/webhooks/", NEW, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "target_url"


def test_a_read_only_token_cannot_subscribe(world):
    client = client_for(world[REPRESENTATIVE], scope="read")
    response = client.post("/api/v1/webhooks/", NEW, content_type="application/json")
    assert response.status_code == 403
