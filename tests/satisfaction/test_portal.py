"""Rating in the portal: the ticket page offers it once the ticket is resolved or closed,
then shows the rating given."""

import pytest

from tests.helpers import drive_to, flash_messages, text
from tests.satisfaction.support import resolve
from tickets.models import RatingVia, SatisfactionRating, Status

pytestmark = pytest.mark.django_db


def _page(client, ticket) -> str:
    return text(client.get(f"/tickets/{ticket.number}/"))


def test_an_open_ticket_offers_no_rating(client, ticket, agent, customer):
    drive_to(ticket, Status.IN_PROGRESS, agent=agent, customer=customer)
    client.force_login(customer)
    assert "Rate the resolution" not in _page(client, ticket)
    response = client.post(f"/tickets/{ticket.number}/rate/", {"score": "5"})
    assert ("error", f"{ticket.number} can be rated once it is resolved.") in flash_messages(
        text(client.get(response["Location"]))
    )
    assert not SatisfactionRating.objects.exists()


def test_the_requester_rates_a_resolved_ticket_and_sees_the_rating(client, ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    client.force_login(customer)
    page = _page(client, ticket)
    assert "Rate the resolution" in page and f'action="/tickets/{ticket.number}/rate/"' in page
    response = client.post(
        f"/tickets/{ticket.number}/rate/", {"score": "4", "comment": "Fast and clear"}
    )
    assert response.status_code == 302
    page = text(client.get(response["Location"]))
    assert ("success", f"Thank you for rating {ticket.number}.") in flash_messages(page)
    assert "Satisfaction rating" in page and "4 of 5" in page and "Fast and clear" in page
    assert "Rate the resolution" not in page
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.via, rating.rated_by) == (4, RatingVia.PORTAL, customer)
    assert "Rated the resolution 4 of 5" in page  # the history


def test_a_second_rating_is_refused_and_the_first_stays(client, ticket, agent, customer):
    drive_to(ticket, Status.CLOSED, agent=agent, customer=customer)
    client.force_login(customer)
    client.post(f"/tickets/{ticket.number}/rate/", {"score": "5"})
    response = client.post(f"/tickets/{ticket.number}/rate/", {"score": "1"})
    messages = flash_messages(text(client.get(response["Location"])))
    assert ("error", f"{ticket.number} is already rated. Thank you!") in messages
    assert SatisfactionRating.objects.get().score == 5


def test_a_missing_score_shows_the_form_again_with_the_comment(client, ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    client.force_login(customer)
    response = client.post(f"/tickets/{ticket.number}/rate/", {"comment": "Kept words"})
    assert response.status_code == 400
    assert "Choose a score from 1 to 5." in text(response) and "Kept words" in text(response)


def test_a_colleague_sees_the_rating_and_staff_cannot_rate(
    client, ticket, agent, customer, representative
):
    resolve(ticket, agent=agent, customer=customer)
    client.force_login(representative)
    assert "Rate the resolution" in _page(client, ticket)
    client.post(f"/tickets/{ticket.number}/rate/", {"score": "2"})
    assert "2 of 5" in _page(client, ticket)
    assert SatisfactionRating.objects.get().rated_by == representative


def test_staff_see_the_rating_on_the_admin_ticket_page(client, ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    client.force_login(agent)
    page = text(client.get(f"/admin/tickets/ticket/{ticket.pk}/change/"))
    assert "Satisfaction" in page and "not rated yet" in page
    from tickets import services

    services.ticket_rate(ticket=ticket, actor=customer, score=2, comment="Slow answer")
    page = text(client.get(f"/admin/tickets/ticket/{ticket.pk}/change/"))
    row = page.split('class="satisfaction-row"')[1].split("</tr>")[0]
    assert "2 of 5" in row and "Slow answer" in row and "Portal" in row
    assert agent.get_full_name() in row  # resolved by


def test_the_api_ticket_detail_carries_the_rating(client, ticket, agent, customer):
    from tickets import services

    client.force_login(customer)
    url = f"/api/v1/tickets/{ticket.number}/"
    assert client.get(url).json()["satisfaction"] is None
    resolve(ticket, agent=agent, customer=customer)
    asked = client.get(url).json()["satisfaction"]
    assert asked["score"] is None and asked["rated_at"] is None
    services.ticket_rate(ticket=ticket, actor=customer, score=5, comment="Great")
    rated = client.get(url).json()["satisfaction"]
    assert (rated["score"], rated["comment"], rated["via"]) == (5, "Great", "portal")


def test_the_ticket_page_reads_the_rating_once(client, ticket, agent, customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    resolve(ticket, agent=agent, customer=customer)
    client.force_login(customer)
    _page(client, ticket)
    with CaptureQueriesContext(connection) as queries:
        assert "Rate the resolution" in _page(client, ticket)
    reads = [q["sql"] for q in queries if "satisfactionrating" in q["sql"]]
    assert len(reads) == 1, reads
