"""No mail ever carries another organisation's data, nor an internal note to a customer."""

import pytest

from accounts.models import User
from notifications.models import Audience, Notification
from notifications.rendering import build_message
from tests import factories
from tests.notifications.scenarios import every_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_organisations(agent, second_agent, manager):
    alpha, bravo = (
        factories.OrganisationFactory(name="Alpha Mills"),
        factories.OrganisationFactory(name="Bravo Foods"),
    )
    people = {}
    for organisation, tag in ((alpha, "ALPHA"), (bravo, "BRAVO")):
        customer = factories.CustomerFactory(
            organisation=organisation, language="ru" if tag == "BRAVO" else "en"
        )
        factories.RepresentativeFactory(organisation=organisation)
        tickets = every_event(
            customer=customer, agent=agent, second_agent=second_agent, manager=manager, tag=tag
        )
        people[organisation.pk] = {"tag": tag, "organisation": organisation, "tickets": tickets}
    return people


def _secrets_of(organisation, info) -> list[str]:
    """Everything that would betray the organisation in someone else's mail."""
    users = User.objects.filter(organisation=organisation)
    numbers = [t.number for t in organisation.tickets.all()]
    return [
        info["tag"],
        organisation.name,
        *numbers,
        *users.values_list("email", flat=True),
        *users.values_list("full_name", flat=True),
    ]


def _whole_mail(row) -> str:
    message = build_message(row)
    html = message.alternatives[0][0] if message.alternatives else ""
    headers = " ".join(f"{k}: {v}" for k, v in message.extra_headers.items())
    return "\n".join([message.subject, message.body, html, headers, " ".join(message.reply_to)])


def test_no_mail_carries_another_organisations_data(two_organisations):
    rows = list(Notification.objects.select_related("ticket", "recipient"))
    assert len(rows) > 40
    for row in rows:
        text = _whole_mail(row)
        for organisation_id, info in two_organisations.items():
            if row.ticket.organisation_id == organisation_id:
                assert info["tag"] in text  # the check below is not vacuous
                continue
            for secret in _secrets_of(info["organisation"], info):
                assert secret not in text, f"{row} carries {secret!r} of another organisation"


def test_no_customer_mail_carries_an_internal_note(two_organisations):
    customer_mails = Notification.objects.filter(audience=Audience.CUSTOMER)
    assert customer_mails.count() > 20
    for row in customer_mails:
        assert row.recipient.organisation_id == row.ticket.organisation_id
        assert "Secret root cause" not in _whole_mail(row), row
    notes = Notification.objects.filter(event="internal_note")
    assert notes.exists() and all(n.recipient.is_contractor for n in notes)
    assert all("Secret root cause" in _whole_mail(n) for n in notes)


def test_customers_get_mail_only_about_their_own_organisations_tickets(two_organisations):
    for row in Notification.objects.filter(recipient__organisation__isnull=False):
        assert row.ticket.organisation_id == row.recipient.organisation_id
