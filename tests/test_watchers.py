"""Watchers get a ticket's mail besides the requester and the assignee."""

import pytest

from notifications.models import Notification
from tests import factories
from tickets import services


@pytest.mark.django_db
def test_a_colleague_who_watches_gets_the_public_reply(client, customer, organisation, agent):
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    colleague = factories.CustomerFactory(organisation=organisation)
    client.force_login(colleague)

    response = client.post(f"/tickets/{ticket.number}/watch/", {"watch": "1"}, follow=True)
    assert "You will get this ticket&#x27;s mail." in response.content.decode()

    services.comment_add(ticket=ticket, author=agent, body="Fixed in 5.4.3")
    assert Notification.objects.filter(ticket=ticket, to_email=colleague.email).exists()

    client.post(f"/tickets/{ticket.number}/watch/", {"watch": "0"})
    before = Notification.objects.filter(to_email=colleague.email).count()
    services.comment_add(ticket=ticket, author=agent, body="And documented")
    assert Notification.objects.filter(to_email=colleague.email).count() == before


@pytest.mark.django_db
def test_another_organisation_cannot_watch(client, customer, outsider):
    ticket = factories.TicketFactory(requester=customer)
    client.force_login(outsider)

    assert client.post(f"/tickets/{ticket.number}/watch/", {"watch": "1"}).status_code == 404
    assert not ticket.watchers.exists()
    with pytest.raises(services.ActionRefused):
        services.ticket_watch(ticket=ticket, user=outsider, watching=True)


@pytest.mark.django_db
def test_a_watching_agent_hears_of_the_customers_reply(customer, agent):
    colleague = factories.AgentFactory()
    ticket = factories.TicketFactory(requester=customer)
    services.ticket_accept(ticket=ticket, actor=agent)
    services.ticket_watch(ticket=ticket, user=colleague, watching=True)

    services.comment_add(ticket=ticket, author=customer, body="It happens again")

    assert Notification.objects.filter(ticket=ticket, to_email=colleague.email).exists()
    assert Notification.objects.filter(ticket=ticket, to_email=agent.email).exists()
