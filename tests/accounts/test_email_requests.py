"""``account_request_from_email``: the hook the inbound mail calls for a mail from a known
customer address. A request is recognised in English and Russian; anything else is left
to the caller (None); a request that breaks a rule is recorded as refused and answered."""

import pytest

from accounts.email_requests import account_request_from_email
from accounts.models import (
    AccountRequest,
    AccountRequestChannel,
    AccountRequestStatus,
    Role,
    User,
)
from notifications.models import Notification
from notifications.rendering import render_notification
from tests import factories

pytestmark = pytest.mark.django_db

ENGLISH = """Hello,

please create a helpdesk account for our new colleague Ivan Petrov, ivan.petrov@customer.example.
He starts in the billing team on Monday.

Best regards,
Anna
-- 
Anna Smith, Customer Company
anna.smith@customer.example
"""

RUSSIAN = """Добрый день!

Прошу создать учётную запись в helpdesk для нового сотрудника.
ФИО: Сидорова Мария Ивановна
E-mail: m.sidorova@customer.example

Спасибо.
"""

NAME_ABOVE = """Hi support,
We need a new account:
Olga Ivanova
olga.ivanova@customer.example
Thanks
"""

ANGLE_BRACKETS = "New colleague: Jan de Vries <jan.devries@customer.example>. Thank you!"


def test_an_english_request_from_a_representative_is_pending(representative, manager):
    request = account_request_from_email(
        sender=representative, subject="New account", text=ENGLISH
    )

    assert request is not None
    assert request.status == AccountRequestStatus.PENDING
    assert request.channel == AccountRequestChannel.EMAIL
    assert (request.full_name, request.email, request.role) == (
        "Ivan Petrov", "ivan.petrov@customer.example", Role.CUSTOMER_EMPLOYEE,
    )
    assert request.organisation == representative.organisation
    assert request.requested_by == representative


def test_a_russian_request_with_labelled_fields(representative, manager):
    request = account_request_from_email(
        sender=representative, subject="Новый сотрудник", text=RUSSIAN
    )

    assert request is not None
    assert (request.full_name, request.email) == (
        "Сидорова Мария Ивановна", "m.sidorova@customer.example",
    )


@pytest.mark.parametrize(
    ("subject", "text", "name", "email"),
    [
        ("Access", NAME_ABOVE, "Olga Ivanova", "olga.ivanova@customer.example"),
        ("Re: onboarding", ANGLE_BRACKETS, "Jan de Vries", "jan.devries@customer.example"),
        (
            "Учетная запись для коллеги",
            "Здравствуйте! Заведите, пожалуйста, Петров Пётр petrov@customer.example",
            "Петров Пётр",
            "petrov@customer.example",
        ),
        (
            "New employee",
            "Please add Lena Koval\nE-mail: lena.koval@customer.example\n",
            "Lena Koval",
            "lena.koval@customer.example",
        ),
        (
            "New employee",
            "Please add her:\nLena Koval\nE-mail: lena.koval@customer.example\n",
            "Lena Koval",
            "lena.koval@customer.example",
        ),
        (
            "Account for a colleague",
            "Name: Lena Koval\nEmail: lena.koval@customer.example\n",
            "Lena Koval",
            "lena.koval@customer.example",
        ),
    ],
)
def test_request_shapes_people_write(representative, manager, subject, text, name, email):
    request = account_request_from_email(sender=representative, subject=subject, text=text)

    assert request is not None
    assert (request.full_name, request.email) == (name, email)


def test_a_representative_role_can_be_asked_for_by_mail(representative, manager):
    text = (
        "As the representative of Customer Company I ask you to create an account\n"
        "as our second representative:\nPavel Orlov pavel@customer.example"
    )

    request = account_request_from_email(sender=representative, subject="New account", text=text)

    assert request.role == Role.CUSTOMER_REPRESENTATIVE


def test_the_sender_calling_themselves_representative_asks_for_an_employee(
    representative, manager
):
    text = "As the representative of Customer Company: new account for Pavel Orlov pavel@x.example"

    request = account_request_from_email(sender=representative, subject="", text=text)

    assert (request.full_name, request.role) == ("Pavel Orlov", Role.CUSTOMER_EMPLOYEE)


def test_the_managers_are_alerted_and_the_sender_told_it_arrived(representative, manager):
    request = account_request_from_email(
        sender=representative, subject="New account", text=ENGLISH
    )

    alert = Notification.objects.get(event="account_request_new")
    received = Notification.objects.get(event="account_request_received")
    assert alert.to_email == manager.email
    assert "The request came by e-mail." in render_notification(alert).text
    assert received.to_email == representative.email
    mail = render_notification(received)
    assert request.full_name in mail.subject
    assert "https://helpdesk.example.com/accounts/requests/" in mail.text


def test_the_request_is_approved_like_one_from_the_portal(representative, manager):
    from accounts import services

    request = account_request_from_email(
        sender=representative, subject="New account", text=ENGLISH
    )

    services.account_request_approve(account_request=request, actor=manager)

    assert User.objects.get(email="ivan.petrov@customer.example").organisation == (
        representative.organisation
    )


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Invoices are not sent", "Since 9:00 nothing goes out. Log attached."),
        ("Report export", "Ivan Petrov ivan@customer.example says the export fails."),
        ("New account", "Please create an account for our new colleague, details tomorrow."),
        ("New account", "Please create one for ivan@customer.example"),
    ],
)
def test_mail_that_is_not_a_complete_request_is_left_to_the_caller(
    representative, subject, text
):
    assert account_request_from_email(sender=representative, subject=subject, text=text) is None
    assert not AccountRequest.objects.exists()
    assert not Notification.objects.exists()


def test_the_sender_s_own_address_in_the_signature_is_not_the_colleague(representative):
    text = (
        "Please create a new account for our new colleague.\n"
        f"Representative Person {representative.email}\n"
    )

    assert account_request_from_email(sender=representative, subject="", text=text) is None


def test_quoted_text_is_not_read(representative):
    text = "Please set up a new account.\n\n> Ivan Petrov ivan.petrov@customer.example\n"

    assert account_request_from_email(sender=representative, subject="Re: x", text=text) is None


def test_an_employee_s_request_is_refused_with_a_mail_saying_why(customer, manager):
    request = account_request_from_email(sender=customer, subject="New account", text=ENGLISH)

    assert request.status == AccountRequestStatus.REFUSED
    assert "Only your organisation's representative" in request.reason
    assert not User.objects.filter(email="ivan.petrov@customer.example").exists()
    assert not Notification.objects.filter(event="account_request_new").exists()
    refused = Notification.objects.get(event="account_request_refused")
    assert refused.to_email == customer.email
    assert "Only your organisation's representative" in render_notification(refused).text


def test_an_address_with_an_account_elsewhere_by_mail_is_pending_like_a_new_one(
    representative, manager
):
    factories.CustomerFactory(email="ivan.petrov@customer.example")  # another organisation

    request = account_request_from_email(
        sender=representative, subject="New account", text=ENGLISH
    )

    # The answer must not reveal the other organisation's account; managers see it.
    assert request.status == AccountRequestStatus.PENDING
    assert not Notification.objects.filter(event="account_request_refused").exists()


def test_the_same_mail_twice_is_one_pending_request_and_one_refusal(representative, manager):
    first = account_request_from_email(sender=representative, subject="New account", text=ENGLISH)
    second = account_request_from_email(sender=representative, subject="New account", text=ENGLISH)

    assert first.status == AccountRequestStatus.PENDING
    assert second.status == AccountRequestStatus.REFUSED
    assert "awaits approval" in second.reason


def test_staff_and_deactivated_senders_are_left_to_the_caller(agent, representative):
    representative.is_active = False
    representative.save(update_fields=["is_active"])

    assert account_request_from_email(sender=agent, subject="New account", text=ENGLISH) is None
    assert (
        account_request_from_email(sender=representative, subject="New account", text=ENGLISH)
        is None
    )
    assert not AccountRequest.objects.exists()


def test_a_refused_request_shows_in_the_organisation_s_list(client, customer, representative):
    account_request_from_email(sender=customer, subject="New account", text=ENGLISH)
    client.force_login(representative)

    page = client.get("/accounts/requests/").content.decode()

    assert "Refused" in page and "ivan.petrov@customer.example" in page
