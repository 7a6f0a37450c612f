"""The ticket resources of the REST API: what each person reads and does, through the
same services as the portal."""

import datetime

import pytest
from django.utils import timezone

from tests import factories, helpers
from tests.api_support import client_for, generous_rate_limits  # noqa: F401 - fixture
from tickets import services
from tickets.models import Channel, Priority, Status, Ticket, TicketType

pytestmark = pytest.mark.django_db


def test_a_customer_files_an_incident_with_a_screenshot(
    customer, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    with django_capture_on_commit_callbacks():
        response = client.post(
            "/api/v1/tickets/",
            {
                "subject": "Invoice run stops at 40 %",
                "body": "Since this morning.",
                "type": TicketType.INCIDENT,
                "priority": Priority.HIGH,
                "files": [helpers.screenshot_upload()],
            },
        )
    assert response.status_code == 201, response.content
    data = response.json()
    ticket = Ticket.objects.get(number=data["number"])
    assert ticket.channel == Channel.API
    assert ticket.priority == Priority.HIGH
    assert response["Location"].endswith(f"/api/v1/tickets/{ticket.number}/")
    assert response["ETag"] == f'"{data["etag"].strip(chr(34))}"'
    assert [a["name"] for a in data["attachments"]] == ["screenshot.png"]
    assert data["sla"]["reaction"]["due"] is not None
    assert data["transitions"] == []  # nothing a customer may do to a new ticket


def test_priority_of_a_consultation_is_normalised_as_in_the_portal(customer):
    response = client_for(customer).post(
        "/api/v1/tickets/",
        {"subject": "How do I export?", "body": "?", "type": TicketType.CONSULTATION,
         "priority": Priority.URGENT},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["priority"] == Priority.NORMAL


def test_a_disguised_file_is_refused_like_in_the_portal(customer):
    response = client_for(customer).post(
        "/api/v1/tickets/",
        {"subject": "S", "body": "B", "type": TicketType.INCIDENT,
         "files": [helpers.upload("report.pdf", helpers.screenshot_bytes())]},
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "does not contain what its name says" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_the_agent_accepts_and_resolves_through_transitions(ticket, agent):
    client = client_for(agent)
    detail = client.get(f"/api/v1/tickets/{ticket.number}/").json()
    assert {t["name"] for t in detail["transitions"]} == {"accept", "reject", "mark_duplicate"}
    response = client.post(f"/api/v1/tickets/{ticket.number}/transitions/accept/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.IN_PROGRESS
    assert response.json()["assignee"]["id"] == agent.pk
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/transitions/request_info/",
        {"message": ""}, content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "message_required"


def test_reopen_after_the_window_is_409_with_the_follow_up_call(
    ticket, agent, customer, time_machine
):
    helpers.drive_to(ticket, Status.CLOSED, agent=agent, customer=customer)
    time_machine.move_to(ticket.closed_at + datetime.timedelta(days=11))
    response = client_for(customer).post(f"/api/v1/tickets/{ticket.number}/transitions/reopen/")
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "reopen_window_passed"
    assert problem["status"] == 409
    assert problem["follow_up"]["body"] == {"follows": ticket.number}
    assert problem["follow_up"]["href"].endswith("/api/v1/tickets/")


def test_list_filters_and_cursor_pagination(customer, agent):
    mine = [factories.TicketFactory(requester=customer) for _ in range(3)]
    consultation = factories.TicketFactory(requester=customer, type=TicketType.CONSULTATION)
    client = client_for(customer)
    page = client.get("/api/v1/tickets/?page_size=2").json()
    assert [t["number"] for t in page["results"]] == [consultation.number, mine[2].number]
    rest = client.get(page["next"]).json()
    assert [t["number"] for t in rest["results"]] == [mine[1].number, mine[0].number]
    only = client.get("/api/v1/tickets/?type=consultation").json()["results"]
    assert [t["number"] for t in only] == [consultation.number]
    assert client.get("/api/v1/tickets/?status=nonsense").status_code == 400
    mine_assigned = client_for(agent).get("/api/v1/tickets/?assignee=me").json()["results"]
    assert mine_assigned == []


@pytest.mark.parametrize("size", [1, 10])
def test_the_list_costs_the_same_queries_whatever_the_page_size(
    customer, size, django_assert_num_queries
):
    for _ in range(10):
        factories.TicketFactory(requester=customer)
    client = client_for(customer)
    client.get("/api/v1/tickets/")  # the token's first use is recorded once
    with django_assert_num_queries(2):  # the token, the page
        response = client.get(f"/api/v1/tickets/?page_size={size}")
    assert len(response.json()["results"]) == size


def test_a_comment_with_a_log_file_on_a_waiting_ticket_resumes_it(ticket, agent, customer):
    helpers.drive_to(ticket, Status.WAITING_FOR_CUSTOMER, agent=agent, customer=customer)
    response = client_for(customer).post(
        f"/api/v1/tickets/{ticket.number}/comments/",
        {"body": "Here is the log.", "files": [helpers.log_upload("server.log")]},
    )
    assert response.status_code == 201, response.content
    assert [a["name"] for a in response.json()["attachments"]] == ["server.log"]
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_updated_since_text_search_and_requester_filters(customer, organisation, agent):
    colleague = factories.CustomerFactory(organisation=organisation)
    old = factories.TicketFactory(requester=customer, subject="Payroll export drops a row")
    new = factories.TicketFactory(requester=colleague, subject="Printer offline")
    client = client_for(customer)

    def numbers(query: str) -> list[str]:
        return [t["number"] for t in client.get(f"/api/v1/tickets/?{query}").json()["results"]]

    assert numbers("q=payroll") == [old.number]
    assert numbers(f"q={new.number}") == [new.number]
    assert numbers("requester=me") == [old.number]
    assert numbers(f"requester={colleague.pk}") == [new.number]
    since = timezone.now().isoformat()
    services.ticket_accept(ticket=old, actor=agent)
    assert numbers("updated_since=" + since.replace("+", "%2B")) == [old.number]
    assert client.get("/api/v1/tickets/?updated_since=yesterday").status_code == 400


def test_the_event_export_goes_on_from_its_cursor(customer, agent):
    ticket = factories.TicketFactory(requester=customer)
    client = client_for(customer)
    first = client.get("/api/v1/events/?page_size=1").json()
    assert [e["kind"] for e in first["results"]] == ["filed"]
    assert first["has_more"] is False
    assert "cursor=" in first["next"]
    assert client.get(first["next"]).json()["results"] == []  # nothing new yet
    services.ticket_accept(ticket=ticket, actor=agent)
    rest = client.get(first["next"])
    assert rest.status_code == 200, rest.content[:2000]
    rest = rest.json()
    assert [e["kind"] for e in rest["results"]][:1] == ["status"]
    assert all(e["ticket"] == ticket.number for e in rest["results"])
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    older = client.get(f"/api/v1/events/?after={cursor}&page_size=1").json()
    assert older["results"] == rest["results"]  # the older name of the cursor


def test_staff_merge_a_duplicate_through_the_api(customer, agent, outsider):
    original = factories.TicketFactory(requester=customer, subject="Invoices print blank")
    duplicate = factories.TicketFactory(requester=customer, subject="Blank again")
    services.comment_add(ticket=duplicate, author=customer, body="Since Monday.")
    foreign = factories.TicketFactory(requester=outsider)

    refused = client_for(customer).post(
        f"/api/v1/tickets/{duplicate.number}/merge/",
        {"original": original.number},
        content_type="application/json",
    )
    assert refused.status_code == 403
    across = client_for(agent).post(
        f"/api/v1/tickets/{duplicate.number}/merge/",
        {"original": foreign.number},
        content_type="application/json",
    )
    assert across.status_code == 409 and across.json()["code"] == "other_organisation"

    response = client_for(agent).post(
        f"/api/v1/tickets/{duplicate.number}/merge/",
        {"original": original.number},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.CLOSED
    assert original.comments.get().body == "Since Monday."
    comments = client_for(agent).get(f"/api/v1/tickets/{original.number}/comments/").json()
    assert [(c["body"], c["merged_from"]) for c in comments] == [
        ("Since Monday.", duplicate.number)
    ]
