"""axe-core on every portal page: no serious or critical violation, for a visitor, a
customer and a customer representative, in the demo's data (every ticket state, a
form that came back with errors, statements, out-of-hours requests, account requests)."""

import pytest
from django.core.management import call_command

from accounts.models import User
from billing.models import Statement
from tests import factories
from tests.axe import assert_accessible, axe_violations
from tests.browser import portal_login
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(django_db_setup):
    call_command("demo_data", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # The demo's people log in with the suite's password, as the factories' do.
    for user in User.objects.all():
        user.set_password(factories.PASSWORD)
        user.save(update_fields=["password"])
    return {user.email: user for user in User.objects.all()}


def _check(page, base: str, paths: list[str]) -> None:
    for path in paths:
        page.goto(base + path)
        assert_accessible(page, path)


def test_the_pages_before_logging_in(live_server, new_page):
    base = live_server.url
    page = new_page("visitor")
    _check(page, base, ["/accounts/login/", "/accounts/password_reset/"])

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert_accessible(page, "the login page with its error")

    page.goto(f"{base}/accounts/password_reset/")
    page.locator("input[name=email]").fill("nobody@example.com")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_url("**/password_reset/done/")
    assert_accessible(page, "password reset sent")

    # The check is not vacuous: an image without a text alternative is caught.
    page.evaluate("document.querySelector('main, body').appendChild(new Image())")
    assert any(line.startswith("image-alt (critical)") for line in axe_violations(page))


def test_every_page_of_a_customer(live_server, new_page, demo):
    base = live_server.url
    anna = demo["anna@northwind.example"]
    closed = Ticket.objects.get(subject="Invoices not generated for October")
    waiting = Ticket.objects.get(subject="Bank statement import fails with an encoding error")
    reopened = Ticket.objects.get(subject__startswith="Export of call detail records")
    page = new_page("customer")
    portal_login(page, base, anna)
    _check(page, base, [
        "/", "/tickets/", "/tickets/?status=closed", "/tickets/new/",
        f"/tickets/{closed.number}/", f"/tickets/{waiting.number}/",
        f"/tickets/{reopened.number}/", "/search/?q=invoice", "/search/?q=nothingmatches",
        "/rules/", "/mail/settings/", "/accounts/two-factor/", "/api-tokens/",
        "/accounts/password_change/",
    ])

    # The new-ticket form sent back with its errors.
    page.goto(f"{base}/tickets/new/")
    page.get_by_label("Subject").fill("Card payments fail with error 502")
    page.locator("form.ticket-form button[type=submit], form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator(".form-errors[role=alert]").count() == 1
    assert page.locator(".field.has-error").count() >= 1
    assert_accessible(page, "the new-ticket form with errors")


def test_every_page_of_a_representative(live_server, new_page, demo):
    base = live_server.url
    janis = demo["rep@baltic.example"]
    statement = Statement.objects.get(organisation=janis.organisation)
    charged = Ticket.objects.get(subject="Subscribers charged twice for the monthly fee")
    page = new_page("representative")
    portal_login(page, base, janis)
    _check(page, base, [
        "/", "/tickets/", f"/tickets/{charged.number}/", "/accounts/colleagues/",
        "/accounts/colleagues/new/", "/accounts/requests/", "/billing/statements/",
        f"/billing/statements/{statement.pk}/",
    ])

    # A comment sent empty comes back with its error.
    page.goto(f"{base}/tickets/{charged.number}/")
    page.locator("form[action$='/comment/'] button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("[role=alert]").count() >= 1
    assert_accessible(page, "the ticket page with a comment error")
