"""One submit-once mechanism (core.submit) for the forms' tokens and the API's
Idempotency-Key: each keeps to its own kind, and one purge forgets both."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.models import SubmitToken
from core.tasks import forget_submit_tokens
from tests.api_support import client_for, generous_rate_limits  # noqa: F401 - fixture
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SAME = "alert-4711"  # a client may choose as its key what a form once carried


def _file_in_portal(client, subject):
    return client.post("/tickets/new/", {
        "type": "incident", "priority": "3", "subject": subject,
        "body": "The balance did not change.", "submit_token": SAME,
    })


def _file_by_api(client, subject):
    return client.post(
        "/api/v1/tickets/", {"subject": subject, "body": "Since 9:00.", "type": "incident"},
        content_type="application/json", HTTP_IDEMPOTENCY_KEY=SAME,
    )


def test_a_form_token_and_an_api_key_of_one_person_with_the_same_text_do_not_meet(
    client, customer
):
    client.force_login(customer)
    api = client_for(customer)

    in_portal = _file_in_portal(client, "Filed in the portal")
    by_api = _file_by_api(api, "Filed by the API")

    assert in_portal.status_code == 302 and by_api.status_code == 201
    assert "Idempotent-Replayed" not in by_api  # not the form's result, nor a 422
    portal_ticket = Ticket.objects.get(subject="Filed in the portal")
    api_ticket = Ticket.objects.get(subject="Filed by the API")
    assert in_portal["Location"] == f"/tickets/{portal_ticket.number}/"
    assert by_api.json()["number"] == api_ticket.number

    # Each repeat gets its own first result, and nothing is filed again.
    again_in_portal = _file_in_portal(client, "Filed in the portal")
    again_by_api = _file_by_api(api, "Filed by the API")
    assert again_in_portal["Location"] == in_portal["Location"]
    assert again_by_api["Idempotent-Replayed"] == "true"
    assert again_by_api.json()["number"] == api_ticket.number
    assert Ticket.objects.count() == 2
    assert set(SubmitToken.objects.values_list("kind", "key")) == {("form", SAME), ("api", SAME)}


def test_one_purge_forgets_both_kinds_each_after_its_own_lifetime(
    client, customer, settings, time_machine
):
    settings.API_IDEMPOTENCY_HOURS = 48  # the forms' tokens are kept a day
    time_machine.move_to(timezone.now(), tick=False)
    start = timezone.now()
    client.force_login(customer)
    _file_in_portal(client, "Filed in the portal")
    _file_by_api(client_for(customer), "Filed by the API")
    assert SubmitToken.objects.count() == 2

    time_machine.move_to(start + datetime.timedelta(hours=25), tick=False)
    forget_submit_tokens()
    assert list(SubmitToken.objects.values_list("kind", flat=True)) == ["api"]

    time_machine.move_to(start + datetime.timedelta(hours=49), tick=False)
    forget_submit_tokens()
    assert not SubmitToken.objects.exists()


def test_a_form_token_past_its_day_does_the_work_again_before_the_purge_came(
    client, customer, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    start = timezone.now()
    client.force_login(customer)
    first = _file_in_portal(client, "Filed in the portal")
    time_machine.move_to(start + datetime.timedelta(hours=25), tick=False)
    again = _file_in_portal(client, "Filed in the portal")
    assert again.status_code == 302 and again["Location"] != first["Location"]
    assert Ticket.objects.count() == 2
    assert SubmitToken.objects.count() == 1  # the old row made way for the new one


def test_the_upgrade_moves_the_kept_api_keys_into_the_one_table(customer):
    executor = MigrationExecutor(connection)
    before = [("core", "0002_submittoken"), ("api", "0001_initial")]
    after = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    old.get_model("api", "IdempotentRequest").objects.create(
        user_id=customer.pk, key=SAME, fingerprint="f" * 64, status_code=201,
        body={"number": "HD-2026-00001"}, headers={"Location": "/api/v1/tickets/HD-2026-00001/"},
    )
    old.get_model("core", "SubmitToken").objects.create(
        user_id=customer.pk, key=SAME, result_url="/tickets/HD-2026-00002/"
    )

    with connection.cursor() as cursor:  # the rows' foreign keys checked before the ALTERs
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate(after)

    api = SubmitToken.objects.get(kind=SubmitToken.Kind.API)
    assert (api.key, api.status_code, api.body["number"]) == (SAME, 201, "HD-2026-00001")
    assert api.headers == {"Location": "/api/v1/tickets/HD-2026-00001/"}
    form = SubmitToken.objects.get(kind=SubmitToken.Kind.FORM)
    assert (form.key, form.result_url) == (SAME, "/tickets/HD-2026-00002/")

    # And back: a downgrade gives the API its own table and rows again.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    kept = old.get_model("api", "IdempotentRequest").objects.get()
    assert (kept.key, kept.status_code, kept.body["number"]) == (SAME, 201, "HD-2026-00001")
    tokens = old.get_model("core", "SubmitToken").objects.all()
    assert [(t.key, t.result_url) for t in tokens] == [(SAME, "/tickets/HD-2026-00002/")]
    executor = MigrationExecutor(connection)
    executor.migrate(after)
