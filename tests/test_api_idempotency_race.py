"""Two copies of one POST at the same moment (a client that retried too soon): the key's
row serialises them, so one ticket is filed and both get its answer."""

import threading

import pytest
from django.db import connections

from tests.api_support import client_for, generous_rate_limits  # noqa: F401 - fixture
from tickets.models import Ticket

NEW_TICKET = {"subject": "Payroll export fails", "body": "Since 9:00.", "type": "incident"}


@pytest.mark.django_db(transaction=True)
def test_parallel_retries_with_one_key_file_one_ticket(customer):
    client = client_for(customer)
    answers = []
    start = threading.Barrier(2)

    def post():
        try:
            start.wait()
            response = client.post("/api/v1/tickets/", NEW_TICKET,
                                   content_type="application/json",
                                   HTTP_IDEMPOTENCY_KEY="race-1")
            answers.append((response.status_code, response.json().get("number")))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Ticket.objects.count() == 1
    number = Ticket.objects.get().number
    assert sorted(answers) == [(201, number), (201, number)]
