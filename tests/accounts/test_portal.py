"""The representative's pages: colleagues, requesting an account or a deactivation, and
the list of requests; nobody else gets in, and nothing of another organisation shows."""

import html

import pytest

from accounts.models import AccountRequest, AccountRequestKind, AccountRequestStatus, Role
from notifications.models import Notification
from tests import factories
from tests.helpers import flash_messages, text

pytestmark = pytest.mark.django_db

COLLEAGUES = "/accounts/colleagues/"
NEW = "/accounts/colleagues/new/"
REQUESTS = "/accounts/requests/"


def deactivate_url(user) -> str:
    return f"/accounts/colleagues/{user.pk}/deactivate/"


def request_form(**overrides) -> dict:
    return {
        "full_name": "Ivan Petrov",
        "email": "Ivan.Petrov@Customer.example",
        "role": Role.CUSTOMER_EMPLOYEE,
        "language": "ru",
        "note": "Starts on Monday in accounting.",
        **overrides,
    }


def page(response) -> str:
    return html.unescape(text(response))


# --- requesting an account -------------------------------------------------------------


def test_a_representative_requests_an_account_and_sees_it_pending(
    client, representative, manager
):
    client.force_login(representative)

    response = client.post(NEW, request_form(), follow=True)

    assert response.redirect_chain[-1][0] == REQUESTS
    request = AccountRequest.objects.get()
    assert (request.kind, request.status) == (
        AccountRequestKind.NEW_ACCOUNT,
        AccountRequestStatus.PENDING,
    )
    assert (request.full_name, request.email, request.role, request.language) == (
        "Ivan Petrov", "ivan.petrov@customer.example", Role.CUSTOMER_EMPLOYEE, "ru",
    )
    assert request.organisation == representative.organisation
    shown = page(response)
    assert "Ivan Petrov" in shown and "ivan.petrov@customer.example" in shown
    assert "Awaiting approval" in shown
    assert any("Ivan Petrov" in message for _level, message in flash_messages(text(response)))


def test_a_new_request_alerts_the_managers_with_a_link_to_the_admin(
    client, representative, manager, agent
):
    client.force_login(representative)

    client.post(NEW, request_form(role=Role.CUSTOMER_REPRESENTATIVE))

    alert = Notification.objects.get(event="account_request_new")
    request = AccountRequest.objects.get()
    assert alert.to_email == manager.email
    assert alert.context["admin_url"].endswith(
        f"/admin/accounts/accountrequest/{request.pk}/change/"
    )
    assert alert.context["role"] == Role.CUSTOMER_REPRESENTATIVE
    assert not Notification.objects.filter(to_email=agent.email).exists()


def test_the_request_form_shows_its_fields_and_the_email_alternative(client, representative):
    client.force_login(representative)

    shown = page(client.get(NEW))

    for label in ("Full name", "E-mail", "Customer employee", "Customer representative"):
        assert label in shown
    assert "support@helpdesk.example.com" in shown


def test_an_address_with_an_account_elsewhere_is_filed_like_a_new_one_and_tells_nothing(
    client, representative, outsider
):
    # Refusing it would tell the representative that the address has an account in
    # another organisation (issue 10); the manager sees the conflict when deciding.
    client.force_login(representative)

    response = client.post(NEW, request_form(email=outsider.email.upper()))

    assert response.status_code == 302
    assert "already has a helpdesk account" not in page(client.get(response.url))
    request = AccountRequest.objects.get()
    assert request.email == outsider.email.lower()


def test_an_address_with_a_pending_request_is_refused_on_the_form(
    client, representative, pending_request
):
    client.force_login(representative)

    response = client.post(NEW, request_form(email="IVAN.PETROV@customer.example"))

    assert response.status_code == 400
    assert "already been requested and awaits approval" in page(response)
    assert AccountRequest.objects.count() == 1


def test_the_same_address_can_be_requested_again_after_a_decline(
    client, representative, pending_request, manager
):
    from accounts import services

    services.account_request_decline(
        account_request=pending_request, actor=manager, reason="Wrong spelling"
    )
    client.force_login(representative)

    response = client.post(NEW, request_form(email=pending_request.email))

    assert response.status_code == 302
    assert AccountRequest.objects.filter(status=AccountRequestStatus.PENDING).count() == 1


def test_a_missing_name_or_a_bad_address_is_a_form_error(client, representative):
    client.force_login(representative)

    response = client.post(NEW, request_form(full_name="", email="not-an-address"))

    assert response.status_code == 400
    shown = page(response)
    assert "This field is required." in shown
    assert "Enter a valid email address." in shown
    assert not AccountRequest.objects.exists()


def test_a_representative_cannot_ask_for_a_staff_role(client, representative):
    client.force_login(representative)

    response = client.post(NEW, request_form(role=Role.MANAGER))

    assert response.status_code == 400
    assert not AccountRequest.objects.exists()


# --- who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [COLLEAGUES, NEW, REQUESTS])
def test_an_employee_may_not_open_the_representative_pages(client, customer, url):
    client.force_login(customer)

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [COLLEAGUES, NEW, REQUESTS])
def test_contractor_staff_use_the_admin_not_these_pages(client, manager, url):
    client.force_login(manager)

    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [COLLEAGUES, NEW, REQUESTS])
def test_an_anonymous_visitor_is_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_employee_posting_the_form_files_nothing(client, customer):
    client.force_login(customer)

    response = client.post(NEW, request_form())

    assert response.status_code == 403
    assert not AccountRequest.objects.exists()


def test_a_deactivated_representative_files_nothing(client, representative):
    client.force_login(representative)
    representative.is_active = False
    representative.save(update_fields=["is_active"])

    response = client.post(NEW, request_form())

    assert response.status_code == 302  # logged out: sent to the login page
    assert not AccountRequest.objects.exists()


def test_only_representatives_see_the_colleagues_link(client, representative, customer):
    client.force_login(representative)
    assert 'href="/accounts/colleagues/"' in text(client.get("/"))

    client.force_login(customer)
    assert 'href="/accounts/colleagues/"' not in text(client.get("/"))


# --- colleagues ------------------------------------------------------------------------


def test_colleagues_lists_the_organisation_with_role_and_status(
    client, representative, customer, outsider, agent
):
    invited = factories.CustomerFactory(
        organisation=representative.organisation, full_name="Nina Invited"
    )
    invited.set_unusable_password()
    invited.save()
    gone = factories.CustomerFactory(
        organisation=representative.organisation, full_name="Gleb Gone", is_active=False
    )
    client.force_login(representative)

    shown = page(client.get(COLLEAGUES))

    for person in (representative, customer, invited, gone):
        assert person.email in shown
    assert outsider.email not in shown
    assert agent.email not in shown
    assert "Customer representative" in shown and "Customer employee" in shown
    assert "Invited, no password yet" in shown
    assert "Deactivated" in shown
    assert deactivate_url(customer) in shown
    assert deactivate_url(representative) not in shown  # not themselves
    assert deactivate_url(gone) not in shown


def test_the_colleagues_page_costs_the_same_few_queries_for_many_people(
    client, representative, django_assert_max_num_queries
):
    factories.CustomerFactory.create_batch(30, organisation=representative.organisation)
    client.force_login(representative)

    with django_assert_max_num_queries(8):
        response = client.get(COLLEAGUES)

    assert response.status_code == 200


# --- deactivation ----------------------------------------------------------------------


def test_a_representative_asks_to_deactivate_a_leaver(client, representative, colleague, manager):
    client.force_login(representative)

    response = client.post(deactivate_url(colleague), {"note": "Left on 30 November"}, follow=True)

    request = AccountRequest.objects.get()
    assert (request.kind, request.user, request.note) == (
        AccountRequestKind.DEACTIVATION, colleague, "Left on 30 November",
    )
    colleague.refresh_from_db()
    assert colleague.is_active  # only a manager's approval deactivates
    assert "Deactivation" in page(response) and colleague.email in page(response)
    assert Notification.objects.filter(event="account_request_new", to_email=manager.email)


def test_a_second_deactivation_request_for_the_same_person_is_refused(
    client, representative, colleague, pending_deactivation
):
    client.force_login(representative)

    response = client.post(deactivate_url(colleague), {"note": ""})

    assert response.status_code == 400
    assert "already been requested" in page(response)
    assert AccountRequest.objects.count() == 1
    assert "Deactivation requested" in page(client.get(COLLEAGUES))


def test_a_representative_cannot_ask_to_deactivate_themselves(client, representative):
    client.force_login(representative)

    response = client.post(deactivate_url(representative), {"note": ""})

    assert response.status_code == 400
    assert "your own account" in page(response)
    assert not AccountRequest.objects.exists()


def test_deactivating_someone_of_another_organisation_is_not_found(
    client, representative, outsider
):
    client.force_login(representative)

    assert client.get(deactivate_url(outsider)).status_code == 404
    assert client.post(deactivate_url(outsider), {"note": ""}).status_code == 404
    assert not AccountRequest.objects.exists()


def test_deactivating_contractor_staff_is_not_found(client, representative, agent):
    client.force_login(representative)

    assert client.post(deactivate_url(agent), {"note": ""}).status_code == 404


def test_an_employee_cannot_ask_to_deactivate_a_colleague(client, customer, colleague):
    client.force_login(customer)

    assert client.post(deactivate_url(colleague), {"note": ""}).status_code == 403
    assert not AccountRequest.objects.exists()


def test_an_already_deactivated_colleague_cannot_be_deactivated_again(client, representative):
    gone = factories.CustomerFactory(organisation=representative.organisation, is_active=False)
    client.force_login(representative)

    response = client.post(deactivate_url(gone), {"note": ""})

    assert response.status_code == 400
    assert "already deactivated" in page(response)


# --- the list of requests --------------------------------------------------------------


def test_the_requests_list_shows_only_the_organisation_s_requests(
    client, representative, other_representative, pending_request, manager
):
    from accounts import services

    theirs = services.account_request_file(
        requested_by=other_representative, full_name="Secret Person",
        email="secret.person@other.example",
    )
    services.account_request_decline(
        account_request=pending_request, actor=manager, reason="We need a company address."
    )
    client.force_login(representative)

    shown = page(client.get(REQUESTS))

    assert "Ivan Petrov" in shown
    assert "Declined" in shown and "We need a company address." in shown
    assert theirs.email not in shown and "Secret Person" not in shown


def test_the_requests_list_costs_the_same_few_queries_for_many_requests(
    client, representative, django_assert_max_num_queries, manager
):
    from accounts import services

    for n in range(20):
        services.account_request_file(
            requested_by=representative, full_name=f"Person {n}", email=f"p{n}@customer.example"
        )
    client.force_login(representative)

    with django_assert_max_num_queries(8):
        response = client.get(REQUESTS)

    assert response.status_code == 200
    assert "p19@customer.example" in page(response)
