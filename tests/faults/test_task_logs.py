"""A task's log lines say which request caused it: a mail sent by a real worker carries
the request id of the page that filed the ticket, its own task id and the ticket."""

import json

import pytest

from notifications.models import Notification, NotificationStatus
from tests.notifications.conftest import wait_for
from tickets.models import Ticket, TicketType

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_workers_lines_carry_the_request_task_and_ticket(mail_worker, client, customer, agent):
    worker = mail_worker({"LOG_FORMAT": "json"})
    client.force_login(customer)

    response = client.post(
        "/tickets/new/",
        {"type": TicketType.CONSULTATION, "subject": "Export of waybills",
         "body": "How do I export them?"},
        HTTP_X_REQUEST_ID="req-e2e-42",
    )

    assert response.status_code == 302 and response["X-Request-ID"] == "req-e2e-42"
    ticket = Ticket.objects.get()
    wait_for(lambda: not Notification.objects.exclude(status=NotificationStatus.SENT).exists(),
             timeout=60, worker=worker)
    lines = []
    for line in worker.output().splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    caused = [line for line in lines if line.get("request_id") == "req-e2e-42"]
    assert caused, worker.output()[-3000:]
    assert all(line.get("task_id") for line in caused)
    assert any(line.get("ticket") == ticket.number for line in caused)
