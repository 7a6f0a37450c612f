"""Every API operation for every kind of caller: no cross-organisation read or write,
and no internal note (nor its files) for a customer."""

import pytest

from tests import factories, helpers
from tests.api_support import client_for, generous_rate_limits  # noqa: F401 - fixture
from tickets import services
from tickets.models import Status

pytestmark = pytest.mark.django_db

ANONYMOUS, OUTSIDER, CUSTOMER, REPRESENTATIVE, AGENT, MANAGER = ROLES = (
    "anonymous", "outsider", "customer", "representative", "agent", "manager",
)
INTERNAL_NOTE = "Internal: the customer's DBA dropped the index again"


@pytest.fixture
def world(organisation, customer, representative, outsider, agent, manager):
    """An in-progress ticket with a screenshot, a public reply and an internal note
    (with its own log file)."""
    ticket = factories.TicketFactory(requester=customer, files=[helpers.screenshot_upload()])
    helpers.drive_to(ticket, Status.IN_PROGRESS, agent=agent, customer=customer)
    services.comment_add(ticket=ticket, author=agent, body="We are looking at it.")
    services.comment_add(
        ticket=ticket, author=agent, body=INTERNAL_NOTE, internal=True,
        files=[helpers.log_upload("dba.log")],
    )
    files = {a.original_name: a for a in ticket.attachments.all()}
    return {
        "ticket": ticket,
        "public_file": files["screenshot.png"],
        "internal_file": files["dba.log"],
        ANONYMOUS: None,
        OUTSIDER: outsider,
        CUSTOMER: customer,
        REPRESENTATIVE: representative,
        AGENT: agent,
        MANAGER: manager,
    }


T = "/api/v1/tickets/{number}"
# fmt: off
# Bodies are JSON texts, so that a row is hashable and reads as it is sent.
MATRIX = {
    # (method, path, body):                              anon outsider customer rep agent manager
    ("get", "/api/v1/me/", ""):                          (401, 200,     200,     200, 200, 200),
    ("get", "/api/v1/tickets/", ""):                     (401, 200,     200,     200, 200, 200),
    ("get", T + "/", ""):                                (401, 404,     200,     200, 200, 200),
    ("get", T + "/comments/", ""):                       (401, 404,     200,     200, 200, 200),
    ("get", T + "/attachments/", ""):                    (401, 404,     200,     200, 200, 200),
    ("get", T + "/events/", ""):                         (401, 404,     200,     200, 200, 200),
    ("get", "/api/v1/events/", ""):                      (401, 200,     200,     200, 200, 200),
    ("get", "/api/v1/attachments/{public}/download/", ""):
                                                         (401, 404,     200,     200, 200, 200),
    ("get", "/api/v1/attachments/{internal}/download/", ""):
                                                         (401, 404,     404,     404, 200, 200),
    ("get", "/api/v1/sla-policies/", ""):                (401, 403,     403,     403, 200, 200),
    ("post", "/api/v1/tickets/", '{"subject": "S", "body": "B", "type": "incident"}'):
                                                         (401, 201,     201,     201, 403, 403),
    ("post", T + "/comments/", '{"body": "Any news?"}'): (401, 404,     201,     201, 201, 201),
    ("post", T + "/comments/", '{"body": "Note", "internal": true}'):
                                                         (401, 404,     403,     403, 201, 201),
    ("post", T + "/transitions/resolve/", "{}"):         (401, 404,     403,     403, 200, 200),
    ("post", T + "/transitions/request_info/", '{"message": "Which browser?"}'):
                                                         (401, 404,     403,     403, 200, 200),
    ("post", T + "/transitions/close/", "{}"):           (401, 404,     409,     409, 409, 409),
    ("post", T + "/assign/", '{"assignee": null}'):      (401, 403,     403,     403, 200, 200),
    ("post", T + "/priority/", '{"priority": 1, "reason": "Production is down."}'):
                                                         (401, 403,     403,     403, 200, 200),
    ("post", T + "/type/", '{"type": "consultation", "reason": "A question."}'):
                                                         (401, 403,     403,     403, 200, 200),
}
# fmt: on
CASES = [
    pytest.param(method, path, body, role, expected, id=f"{method} {path} {body} {role}")
    for (method, path, body), row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


def _url(path: str, world) -> str:
    return path.format(
        number=world["ticket"].number,
        public=world["public_file"].pk,
        internal=world["internal_file"].pk,
    )


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), CASES)
def test_each_operation_answers_each_caller_as_the_rules_say(
    world, method, path, body, role, expected
):
    client = client_for(world[role])
    url = _url(path, world)
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, body, content_type="application/json")
    assert response.status_code == expected, response.content[:300]
    ticket = world["ticket"]
    ticket.refresh_from_db()
    if expected >= 400 and path.startswith(T) and method == "post":
        assert ticket.status == Status.IN_PROGRESS  # nothing changed
    if role in (OUTSIDER, CUSTOMER, REPRESENTATIVE, ANONYMOUS):
        content = (
            b"".join(response.streaming_content) if response.streaming else response.content
        )
        assert INTERNAL_NOTE.encode() not in content
        assert b"dba.log" not in content


def test_an_outsider_lists_none_of_another_organisations_tickets(world):
    for path in ("/api/v1/tickets/", "/api/v1/events/", "/api/v1/tickets/?q=export"):
        response = client_for(world[OUTSIDER]).get(path)
        assert response.json()["results"] == [], path


def test_a_customer_reads_the_conversation_without_internal_notes(world):
    response = client_for(world[CUSTOMER]).get(_url(T + "/comments/", world))
    assert [c["body"] for c in response.json()] == ["We are looking at it."]
    staff = client_for(world[AGENT]).get(_url(T + "/comments/", world)).json()
    assert [c["internal"] for c in staff] == [False, True]


def test_a_download_is_as_safe_as_in_the_portal(world):
    response = client_for(world[CUSTOMER]).get(_url("/api/v1/attachments/{public}/download/",
                                                    world))
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == helpers.screenshot_bytes()


def test_the_api_and_the_portal_send_one_set_of_safe_download_headers(world, client):
    attachment = world["public_file"]
    api = client_for(world[CUSTOMER]).get(f"/api/v1/attachments/{attachment.pk}/download/")
    client.force_login(world[CUSTOMER])
    portal = client.get(f"/attachments/{attachment.pk}/")
    assert api.status_code == portal.status_code == 200
    for header in ("Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy",
                   "Cache-Control", "Cross-Origin-Resource-Policy"):
        assert api[header] == portal[header], header
    assert api["Content-Disposition"] == 'attachment; filename="screenshot.png"'
    assert api["Cross-Origin-Resource-Policy"] == "same-origin"
    assert api["Content-Type"] == "application/octet-stream"  # as the schema says
    assert portal["Content-Type"].startswith("image/png")
    assert b"".join(api.streaming_content) == b"".join(portal.streaming_content)


def test_the_transitions_listed_are_those_the_caller_may_fire(world):
    number = world["ticket"].number
    names = {
        role: {t["name"] for t in client_for(world[role]).get(f"/api/v1/tickets/{number}/")
               .json()["transitions"]}
        for role in (CUSTOMER, AGENT)
    }
    assert names[CUSTOMER] == set()
    assert names[AGENT] == {"request_info", "resolve", "reject", "mark_duplicate"}
