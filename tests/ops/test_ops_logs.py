"""Structured logs: every line of a request carries its request id, user and ticket."""

import json
import logging

from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from core import logcontext
from helpdesk.sentry import scrub


def records_of(caplog, request_id):
    return [r for r in caplog.records if getattr(r, "request_id", None) == request_id]


def test_every_line_of_a_request_carries_its_request_id_and_the_response_echoes_it(
    client, customer, ticket, caplog, django_assert_max_num_queries
):
    client.force_login(customer)
    caplog.clear()
    with (
        caplog.at_level(logging.DEBUG),
        caplog.at_level(logging.DEBUG, logger="django.db.backends"),
        django_assert_max_num_queries(100),  # a debug cursor: one line per query
    ):
        response = client.get(f"/tickets/{ticket.number}/", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-42"
    assert caplog.records
    assert all(getattr(r, "request_id", None) == "req-42" for r in caplog.records), [
        (r.name, r.getMessage()[:80]) for r in caplog.records if not hasattr(r, "request_id")
    ]
    queries = [r for r in caplog.records if r.name == "django.db.backends"]
    assert queries and all(r.ticket == ticket.number for r in queries)
    assert any(getattr(r, "user_id", None) == str(customer.pk) for r in queries)


def test_a_request_without_an_id_gets_one_and_a_forged_one_is_replaced(client, db, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.get("/no-such-page/", headers={"X-Request-ID": "bad id\nINJECTED"})
    assert response.status_code == 404
    made = response["X-Request-ID"]
    assert len(made) == 32 and "INJECTED" not in made
    not_found = [r for r in caplog.records if r.name == "django.request"]
    assert not_found and all(r.request_id == made for r in not_found)
    assert client.get("/no-such-page/")["X-Request-ID"] != made


def test_production_lines_are_json_with_the_context():
    formatter = JsonFormatter(**{
        k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"
    })
    with logcontext.bound(request_id="r-1", user_id=7, ticket="HD-2026-00042", task_id="t-9"):
        record = logging.getLogger("tickets").makeRecord(
            "tickets", logging.INFO, __file__, 1, "Ticket %s accepted", ("HD-2026-00042",), None
        )
    line = json.loads(formatter.format(record))
    assert line["message"] == "Ticket HD-2026-00042 accepted"
    assert line["level"] == "INFO" and line["logger"] == "tickets"
    assert (line["request_id"], line["user_id"], line["ticket"], line["task_id"]) == (
        "r-1", "7", "HD-2026-00042", "t-9"
    )


def test_sentry_events_lose_personal_data_and_gain_the_context():
    event = {
        "message": "Mail to anna@northwind.example refused",
        "user": {"id": "7", "email": "anna@northwind.example", "ip_address": "10.0.0.1"},
        "request": {
            "cookies": {"sessionid": "s"}, "data": {"password": "x"},
            "headers": {"Cookie": "s", "Authorization": "Bearer t", "Accept": "text/html"},
        },
        "exception": {"values": [{"value": "no anna@northwind.example",
                                  "stacktrace": {"frames": [{"vars": {"password": "x"}}]}}]},
    }
    with logcontext.bound(request_id="r-2"):
        scrubbed = scrub(event)
    assert "anna@" not in json.dumps(scrubbed) and "password" not in json.dumps(scrubbed)
    assert scrubbed["user"] == {"id": "7"}
    assert scrubbed["request"]["headers"] == {"Accept": "text/html"}
    assert scrubbed["tags"]["request_id"] == "r-2"
