"""Access control between organisations: the account-request form reveals nothing about
other organisations' people (an address with an account or a pending request elsewhere
gets the same answer as a new one), never blocks another organisation's own request,
and the manager who decides sees the conflict."""

import html

import pytest
from django.test import Client

from accounts import services
from accounts.models import AccountRequest, AccountRequestStatus, Role, User
from notifications.models import Notification
from tests import factories
from tests.helpers import flash_messages, text

pytestmark = pytest.mark.django_db

NEW = "/accounts/colleagues/new/"
ADMIN = "/admin/accounts/accountrequest/"


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.MAIL_CELERY_QUEUE = ""


def ask(representative, email: str, name: str = "Ivan Petrov"):
    client = Client()
    client.force_login(representative)
    form = {"full_name": name, "email": email, "role": Role.CUSTOMER_EMPLOYEE, "language": "en"}
    response = client.post(NEW, form, follow=True)
    return response.redirect_chain, flash_messages(text(response)), response.status_code


def answer_shape(answer):
    chain, messages, status = answer
    messages = [(level, message.replace("Ivan Petrov", "NAME")) for level, message in messages]
    return chain, messages, status


@pytest.fixture
def elsewhere(other_organisation):
    """Someone of another organisation, and another organisation's pending request."""
    person = factories.CustomerFactory(
        organisation=other_organisation, email="liis@baltic.example"
    )
    rival = factories.RepresentativeFactory(organisation=other_organisation)
    services.account_request_file(
        requested_by=rival, full_name="Mart Tamm", email="mart@baltic.example"
    )
    return person, rival


def test_an_address_with_an_account_elsewhere_gets_the_answer_a_new_one_gets(
    representative, elsewhere, manager
):
    new = ask(representative, "new.person@customer.example")
    known = ask(representative, "liis@baltic.example")
    pending_elsewhere = ask(representative, "mart@baltic.example")

    assert answer_shape(new) == answer_shape(known) == answer_shape(pending_elsewhere)
    mine = AccountRequest.objects.filter(organisation=representative.organisation)
    assert set(mine.values_list("email", "status")) == {
        ("new.person@customer.example", AccountRequestStatus.PENDING),
        ("liis@baltic.example", AccountRequestStatus.PENDING),
        ("mart@baltic.example", AccountRequestStatus.PENDING),
    }
    # The same mail to the managers for each of the three: nothing tells them apart.
    alerts = Notification.objects.filter(event="account_request_new", to_email=manager.email)
    assert alerts.count() == 3


def test_the_requests_page_shows_nothing_of_the_other_organisation(representative, elsewhere):
    person, rival = elsewhere
    ask(representative, "mart@baltic.example")
    client = Client()
    client.force_login(representative)

    shown = html.unescape(text(client.get("/accounts/requests/")))

    assert rival.organisation.name not in shown and "Mart Tamm" not in shown
    assert person.get_full_name() not in shown


def test_another_organisations_request_does_not_block_this_organisations_own(
    representative, other_organisation, manager
):
    rival = factories.RepresentativeFactory(organisation=other_organisation)
    services.account_request_file(
        requested_by=rival, full_name="Ivan P", email="ivan@shared.example"
    )

    chain, messages, status = ask(representative, "ivan@shared.example")

    assert status == 200 and chain[-1][0] == "/accounts/requests/"
    assert AccountRequest.objects.filter(
        email="ivan@shared.example", status=AccountRequestStatus.PENDING
    ).count() == 2


def test_the_manager_sees_the_conflicts_when_deciding(representative, elsewhere, manager):
    person, rival = elsewhere
    ask(representative, "liis@baltic.example")
    ask(representative, "mart@baltic.example")
    client = Client()
    client.force_login(manager)
    known = AccountRequest.objects.get(organisation=representative.organisation, email=person.email)
    doubled = AccountRequest.objects.get(
        organisation=representative.organisation, email="mart@baltic.example"
    )

    known_page = html.unescape(text(client.get(f"{ADMIN}{known.pk}/change/")))
    doubled_page = html.unescape(text(client.get(f"{ADMIN}{doubled.pk}/change/")))

    exists = f"An account with this address exists: {person.get_full_name()}, {person.organisation}"
    assert exists in known_page
    assert f"{rival.organisation.name} also asks for an account for this address." in doubled_page


def test_approving_a_request_for_an_address_that_has_an_account_is_refused(
    representative, elsewhere, manager
):
    person, _rival = elsewhere
    ask(representative, person.email)
    request = AccountRequest.objects.get(organisation=representative.organisation)

    with pytest.raises(services.AccountRequestRefused):
        services.account_request_approve(account_request=request, actor=manager)

    person.refresh_from_db()
    assert person.organisation != representative.organisation
    assert User.objects.filter(email=person.email).count() == 1


def test_the_first_of_two_organisations_approved_wins_and_the_second_is_refused(
    representative, elsewhere, manager
):
    ask(representative, "mart@baltic.example")
    theirs, ours = AccountRequest.objects.filter(email="mart@baltic.example").order_by("pk")

    services.account_request_approve(account_request=theirs, actor=manager)
    with pytest.raises(services.AccountRequestRefused):
        services.account_request_approve(account_request=ours, actor=manager)

    assert User.objects.get(email="mart@baltic.example").organisation == theirs.organisation


def test_an_own_colleagues_address_is_still_refused_because_it_is_visible_anyway(
    representative, organisation
):
    colleague = factories.CustomerFactory(organisation=organisation)
    chain, messages, status = ask(representative, colleague.email.upper())

    assert status == 400 and not chain
    assert not AccountRequest.objects.exists()
