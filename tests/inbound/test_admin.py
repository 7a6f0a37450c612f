"""The review queue in the staff admin: list, filters, decoded text, discard, accept."""

import pytest

from mailin.models import InboundMessage, Reason, Status
from notifications.models import Event, Notification
from tests import factories
from tests.helpers import text
from tickets.models import Channel, Ticket

pytestmark = pytest.mark.django_db

LIST = "/admin/mailin/inboundmessage/"


@pytest.fixture
def queue(receive):
    return {
        "held": receive("unknown_sender.eml"),
        "suppressed": receive("auto_submitted.eml"),
        "ticket": receive("new_ticket_plain.eml"),
        "koi8": receive("koi8r.eml"),
    }


def test_an_agent_sees_the_held_mail_filtered_by_status(client, agent, queue):
    client.force_login(agent)

    page = text(client.get(LIST, {"status__exact": Status.HELD}))

    assert "stranger@nowhere.example" in page
    assert "Please help with your system" in page
    assert "Out of office" not in page


def test_the_review_queue_filter_lists_what_needs_a_person(client, agent, queue):
    client.force_login(agent)

    page = text(client.get(LIST, {"queue": "review"}))

    assert "stranger@nowhere.example" in page
    assert "Automatic reply: Out of office" in page
    assert "Отчёт по накладным" not in page


def test_the_change_page_shows_the_decoded_text(client, agent, queue):
    client.force_login(agent)

    page = text(client.get(f"{LIST}{queue['koi8'].pk}/change/"))

    assert "Не проходит проводка документов за октябрь" in page


def test_the_raw_mail_downloads_as_it_arrived(client, agent, queue):
    client.force_login(agent)
    koi8 = queue["koi8"]

    response = client.get(f"{LIST}{koi8.pk}/raw/")

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == koi8.raw.open("rb").read()


def test_a_customer_cannot_open_the_queue_or_a_raw_mail(client, customer, queue):
    client.force_login(customer)

    assert client.get(LIST).status_code in (302, 403)
    assert client.get(f"{LIST}{queue['held'].pk}/raw/").status_code in (302, 403)


def test_discard_marks_the_mail_discarded_and_keeps_it(client, agent, queue):
    client.force_login(agent)
    held = queue["held"]

    response = client.post(LIST, {"action": "discard", "_selected_action": [held.pk]})

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Status.DISCARDED
    assert held.handled_by == agent
    assert held.raw.read()


def test_accept_as_ticket_files_it_for_the_chosen_customer(client, agent, customer, queue):
    client.force_login(agent)
    held = queue["held"]

    form = client.post(LIST, {"action": "accept_as_ticket", "_selected_action": [held.pk]})
    assert form.status_code == 200
    assert customer.email in text(form) or str(customer) in text(form)

    response = client.post(
        LIST,
        {
            "action": "accept_as_ticket",
            "_selected_action": [held.pk],
            "apply": "1",
            "requester": customer.pk,
        },
    )

    assert response.status_code == 302
    held.refresh_from_db()
    ticket = Ticket.objects.get(channel=Channel.EMAIL, subject="Please help with your system")
    assert (held.status, held.ticket, held.handled_by) == (Status.TICKET, ticket, agent)
    assert ticket.requester == customer
    assert "E-mail from stranger@nowhere.example:" in ticket.body
    assert Notification.objects.filter(
        ticket=ticket, to_email=customer.email, event=Event.TICKET_FILED
    ).exists()


def test_process_again_posts_a_held_mail_once_the_sender_has_an_account(
    client, agent, organisation, queue
):
    factories.CustomerFactory(organisation=organisation, email="stranger@nowhere.example")
    client.force_login(agent)

    client.post(LIST, {"action": "process_again", "_selected_action": [queue["held"].pk]})

    held = InboundMessage.objects.get(pk=queue["held"].pk)
    assert held.status == Status.TICKET
    assert held.reason == Reason.NONE
    assert held.ticket.organisation == organisation
