"""The satisfaction link rates a ticket from a mail without logging in, once."""

import pytest

from tests import factories
from tests.axe import assert_accessible
from tests.satisfaction.support import links_in, resolve, send_mails_to
from tickets.models import RatingVia, SatisfactionRating

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_satisfaction_link_rates_a_ticket_from_a_mail_without_logging_in_once(
    django_db_setup, live_server, new_page, settings
):
    from playwright.sync_api import expect

    base = live_server.url
    settings.SITE_URL = base
    customer = factories.CustomerFactory(full_name="Olga Petrova")
    agent = factories.AgentFactory(full_name="Ivan Sidorov")
    ticket = factories.TicketFactory(requester=customer, subject="Invoice run stops at batch 7")
    resolve(ticket, agent=agent, customer=customer)

    # The requester's mail, sent through the outbox, carries the five links.
    [mail] = [m for m in send_mails_to(customer.email) if links_in(m)]
    link = links_in(mail)[2]
    assert link.startswith(f"{base}/rate/")

    # Opened in a browser that never logged in: the chosen score, the ticket's number
    # and subject, and a button; nothing is recorded yet.
    page = new_page("mail reader")
    page.goto(link)
    expect(page.get_by_role("heading", name="Rate the resolution")).to_be_visible()
    expect(page.locator(".rating-link")).to_contain_text(ticket.number)
    expect(page.locator(".rating-link")).to_contain_text("Invoice run stops at batch 7")
    expect(page.locator("input[name=score][value='2']")).to_be_checked()
    assert_accessible(page, "the rating link page")
    assert SatisfactionRating.objects.get(ticket=ticket).score is None

    page.get_by_label("Comment (optional)").fill("It took three reminders.")
    page.get_by_role("button", name="Send the rating").click()
    expect(page.get_by_role("status")).to_have_text("Thank you: your rating is recorded.")

    rating = SatisfactionRating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment, rating.rated_by, rating.via) == (
        2, "It took three reminders.", customer, RatingVia.MAIL,
    )

    # The same link again, and another score's link: already rated, nothing changes.
    page.goto(link)
    expect(page.get_by_role("status")).to_have_text("This ticket is already rated. Thank you!")
    expect(page.locator("input[name=score]")).to_have_count(0)
    page.goto(links_in(mail)[5])
    expect(page.get_by_role("status")).to_have_text("This ticket is already rated. Thank you!")
    assert SatisfactionRating.objects.filter(ticket=ticket, score__isnull=False).count() == 1
    assert SatisfactionRating.objects.get(ticket=ticket).score == 2
