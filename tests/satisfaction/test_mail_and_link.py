"""The ask in the requester's mail and its one-click links: signed for one rating of one
ticket, single use, dated; a GET (a mail scanner's too) records nothing."""

import datetime
import re

import pytest
import time_machine
from django.core import mail as outbox
from django.utils import timezone

from notifications.models import Notification
from notifications.tokens import rating_token
from tests import factories
from tests.helpers import text
from tests.satisfaction.support import links_in, path_of, resolve, send_mails_to
from tickets import services
from tickets.models import RatingVia, SatisfactionRating

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    return SatisfactionRating.objects.get(ticket=ticket)


def _links(customer) -> dict[int, str]:
    messages = send_mails_to(customer.email)
    resolved = [m for m in messages if links_in(m)]
    assert len(resolved) == 1, [m.subject for m in messages]
    return links_in(resolved[0])


def test_the_resolved_mail_to_the_requester_has_five_links_in_text_and_html(
    asked, customer
):
    messages = send_mails_to(customer.email)
    mail = next(m for m in messages if links_in(m))
    links = links_in(mail)
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert all(url.startswith("https://helpdesk.example.com/rate/") for url in links.values())
    html = mail.alternatives[0][0]
    for url in links.values():
        assert url.replace("&", "&amp;") in html
    assert "How satisfied are you with the resolution?" in mail.body


def test_only_the_requester_gets_the_links(asked, customer, representative, agent):
    for email in (representative.email, agent.email):
        for message in send_mails_to(email):
            assert not links_in(message), message.body


def test_a_get_shows_the_chosen_score_and_records_nothing(client, asked, customer):
    page = client.get(path_of(_links(customer)[4]))
    assert page.status_code == 200
    body = text(page)
    assert asked.ticket.number in body and asked.ticket.subject in body
    [chosen] = re.findall(r'<input type="radio" name="score"[^>]*checked[^>]*>', body)
    assert 'value="4"' in chosen
    asked.refresh_from_db()
    assert asked.score is None  # a link scanner's GET changes nothing


def test_the_page_reveals_nothing_else_of_the_ticket(client, asked, customer, agent):
    services.comment_add(ticket=asked.ticket, author=agent, body="Secret workaround detail")
    body = text(client.get(path_of(_links(customer)[5])))
    assert "Secret workaround detail" not in body
    assert asked.ticket.body.splitlines()[0] not in body
    assert agent.get_full_name() not in body and customer.get_full_name() not in body


def test_the_link_rates_without_a_login_once(client, asked, customer, manager):
    links = _links(customer)
    url = path_of(links[5])
    done = client.post(url, {"score": "5", "comment": "Thanks, all good"})
    assert done.status_code == 200
    assert "your rating is recorded" in text(done)
    asked.refresh_from_db()
    assert (asked.score, asked.comment, asked.rated_by, asked.via) == (
        5, "Thanks, all good", customer, RatingVia.MAIL,
    )
    again = client.get(url)
    assert "already rated" in text(again) and 'name="score"' not in text(again)
    other = client.post(path_of(links[1]), {"score": "1"})
    assert "already rated" in text(other)
    asked.refresh_from_db()
    assert asked.score == 5
    assert SatisfactionRating.objects.filter(score__isnull=False).count() == 1


def test_a_score_changed_on_the_page_counts_not_the_one_clicked(client, asked, customer):
    client.post(path_of(_links(customer)[5]), {"score": "3", "comment": ""})
    asked.refresh_from_db()
    assert asked.score == 3


def test_a_post_without_a_score_loses_nothing_and_says_why(client, asked, customer):
    page = client.post(path_of(_links(customer)[5]), {"comment": "My words"})
    assert page.status_code == 400
    assert "Choose a score from 1 to 5." in text(page) and "My words" in text(page)
    asked.refresh_from_db()
    assert asked.score is None


def test_a_forged_or_altered_link_names_nothing(client, asked, customer):
    url = path_of(_links(customer)[5])
    token = url.split("/rate/")[1].split("/")[0]
    assert client.get(f"/rate/{token[:-2]}xx/?score=5").status_code == 404
    assert client.get("/rate/not-a-token/?score=5").status_code == 404
    assert client.post("/rate/not-a-token/", {"score": "5"}).status_code == 404
    asked.refresh_from_db()
    assert asked.score is None


def test_a_link_for_another_ticket_is_refused(client, asked, customer):
    other = factories.TicketFactory(requester=customer)
    # Signed by us, but naming this rating with another ticket: it names nothing.
    token = rating_token(rating_id=asked.pk, ticket_id=other.pk)
    assert client.post(f"/rate/{token}/", {"score": "5"}).status_code == 404
    asked.refresh_from_db()
    assert asked.score is None


def test_an_expired_link_says_so_and_records_nothing(client, asked, customer, settings):
    url = path_of(_links(customer)[5])
    later = timezone.now() + datetime.timedelta(days=settings.SATISFACTION_LINK_DAYS, hours=1)
    with time_machine.travel(later):
        page = client.post(url, {"score": "5"})
    assert page.status_code == 410
    assert "expired" in text(page)
    asked.refresh_from_db()
    assert asked.score is None


def test_a_link_of_a_reopened_ticket_asks_to_wait_for_the_new_resolution(
    client, asked, customer, agent
):
    url = path_of(_links(customer)[4])
    services.ticket_reopen(ticket=asked.ticket, actor=customer, message="Again.")
    page = client.post(url, {"score": "4"})
    assert page.status_code == 409
    assert "can be rated once it is resolved" in text(page)
    services.ticket_resolve(ticket=asked.ticket, actor=agent)
    page = client.post(url, {"score": "4"})
    assert page.status_code == 409
    assert "earlier resolution" in text(page)
    assert not SatisfactionRating.objects.filter(score__isnull=False).exists()


def test_rated_in_the_portal_first_the_link_says_already_rated(client, asked, customer):
    url = path_of(_links(customer)[2])
    services.ticket_rate(ticket=asked.ticket, actor=customer, score=4)
    assert "already rated" in text(client.get(url))


def test_closing_an_old_resolved_ticket_asks_in_the_closed_mail(ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    SatisfactionRating.objects.all().delete()  # resolved before ratings existed
    Notification.objects.all().delete()
    services.ticket_close(ticket=ticket, actor=None, reason="Closed automatically.")
    links = _links(customer)
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert SatisfactionRating.objects.get(ticket=ticket).resolved_at == ticket.resolved_at


def test_a_low_rating_alerts_the_assignee_and_the_managers_with_the_comment(
    client, asked, customer, agent, manager
):
    client.post(path_of(_links(customer)[1]), {"score": "1", "comment": "Took a week"})
    for person in (agent, manager):
        [mail] = send_mails_to(person.email, event="satisfaction_low")
        assert "Low satisfaction rating (1 of 5)" in mail.subject
        assert asked.ticket.number in mail.subject
        assert "rated the resolution 1 of 5" in mail.body and "Took a week" in mail.body
    assert not Notification.objects.filter(event="satisfaction_low", to_email=customer.email)


def test_a_good_rating_alerts_nobody(asked, customer):
    services.ticket_rate(ticket=asked.ticket, actor=customer, score=3)
    assert not Notification.objects.filter(event="satisfaction_low").exists()
    outbox.outbox.clear()


def test_a_low_rating_skips_an_agent_who_has_left(asked, customer, agent, manager):
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    services.ticket_rate(ticket=asked.ticket, actor=customer, score=1, comment="Nobody came")
    alerted = set(
        Notification.objects.filter(event="satisfaction_low").values_list("to_email", flat=True)
    )
    assert alerted == {manager.email}
