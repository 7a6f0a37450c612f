"""The rules of rating a resolution: scores 1 to 5, once per resolution, by the ticket's
customers only, never on an open ticket; a reopened ticket is asked again."""

import pytest

from core.errors import ActionRefused
from tests import factories
from tests.helpers import drive_to
from tests.satisfaction.support import resolve
from tickets import services
from tickets.models import EventKind, RatingVia, SatisfactionRating, Status

pytestmark = pytest.mark.django_db


def test_resolving_asks_once_for_that_resolution(ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    ask = SatisfactionRating.objects.get(ticket=ticket)
    assert ask.resolved_at == ticket.resolved_at
    assert ask.agent == agent
    assert ask.score is None and ask.rated_at is None
    services.ticket_close(ticket=ticket, actor=customer)
    assert SatisfactionRating.objects.filter(ticket=ticket).count() == 1  # no second ask


def test_the_requester_rates_once_and_it_is_in_the_history(ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    rating = services.ticket_rate(ticket=ticket, actor=customer, score=4, comment=" Quick fix ")
    assert (rating.score, rating.comment, rating.rated_by, rating.via) == (
        4, "Quick fix", customer, RatingVia.PORTAL,
    )
    assert rating.rated_at is not None
    event = ticket.events.get(kind=EventKind.RATED)
    assert (event.actor, event.new_value, event.reason) == (customer, "4", "Quick fix")
    with pytest.raises(ActionRefused) as refused:
        services.ticket_rate(ticket=ticket, actor=customer, score=1)
    assert refused.value.code == "already_rated"
    assert SatisfactionRating.objects.get(pk=rating.pk).score == 4


@pytest.mark.parametrize("score", [0, 6, -1, "five", None, "", 3.5])
def test_a_score_outside_1_to_5_is_refused_and_nothing_is_recorded(
    ticket, agent, customer, score
):
    resolve(ticket, agent=agent, customer=customer)
    with pytest.raises(ActionRefused) as refused:
        services.ticket_rate(ticket=ticket, actor=customer, score=score)
    assert refused.value.code == "score"
    assert "1 to 5" in refused.value.message
    assert not SatisfactionRating.objects.filter(score__isnull=False).exists()


def test_a_long_comment_is_refused_with_its_limit(ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    with pytest.raises(ActionRefused) as refused:
        services.ticket_rate(ticket=ticket, actor=customer, score=3, comment="x" * 2001)
    assert refused.value.code == "comment_too_long"


@pytest.mark.parametrize("state", [Status.NEW, Status.IN_PROGRESS, Status.WAITING_FOR_CUSTOMER,
                                   Status.REJECTED])
def test_an_open_or_rejected_ticket_cannot_be_rated(ticket, agent, customer, state):
    drive_to(ticket, state, agent=agent, customer=customer)
    with pytest.raises(ActionRefused) as refused:
        services.ticket_rate(ticket=ticket, actor=customer, score=5)
    assert refused.value.code == "not_resolved"
    assert not SatisfactionRating.objects.exists()


def test_a_colleague_may_rate_but_not_staff_nor_another_organisation(
    ticket, agent, customer, representative, outsider
):
    resolve(ticket, agent=agent, customer=customer)
    for stranger in (agent, outsider):
        with pytest.raises(ActionRefused) as refused:
            services.ticket_rate(ticket=ticket, actor=stranger, score=5)
        assert refused.value.code == "forbidden"
    rating = services.ticket_rate(ticket=ticket, actor=representative, score=5)
    assert rating.rated_by == representative


def test_a_closed_ticket_can_be_rated_too(ticket, agent, customer):
    drive_to(ticket, Status.CLOSED, agent=agent, customer=customer)
    assert services.ticket_rate(ticket=ticket, actor=customer, score=5).score == 5


def test_a_duplicate_is_not_rated(ticket, agent, customer):
    original = factories.TicketFactory(requester=customer)
    services.ticket_mark_duplicate(ticket=ticket, actor=agent, original=original)
    assert not SatisfactionRating.objects.filter(ticket=ticket).exists()
    with pytest.raises(ActionRefused) as refused:
        services.ticket_rate(ticket=ticket, actor=customer, score=5)
    assert refused.value.code == "not_resolved"


def test_reopened_and_resolved_again_asks_again_for_the_new_resolution(ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    first = services.ticket_rate(ticket=ticket, actor=customer, score=2, comment="Came back")
    services.ticket_reopen(ticket=ticket, actor=customer, message="It came back.")
    with pytest.raises(ActionRefused):
        services.ticket_rate(ticket=ticket, actor=customer, score=5)
    services.ticket_resolve(ticket=ticket, actor=agent, message="Fixed for good.")
    second = services.ticket_rate(ticket=ticket, actor=customer, score=5)
    assert second.pk != first.pk
    assert list(
        SatisfactionRating.objects.filter(ticket=ticket).order_by("asked_at").values_list(
            "score", flat=True
        )
    ) == [2, 5]


def test_an_old_ask_cannot_be_answered_after_a_new_resolution(ticket, agent, customer):
    resolve(ticket, agent=agent, customer=customer)
    old = SatisfactionRating.objects.get(ticket=ticket)
    services.ticket_reopen(ticket=ticket, actor=customer)
    services.ticket_resolve(ticket=ticket, actor=agent)
    with pytest.raises(ActionRefused) as refused:
        services.ticket_rate(
            ticket=ticket, actor=customer, score=3, via=RatingVia.MAIL, rating=old
        )
    assert refused.value.code == "superseded"
    assert SatisfactionRating.objects.get(pk=old.pk).score is None
