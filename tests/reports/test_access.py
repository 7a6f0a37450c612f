"""Who sees the reports: contractor staff only; hours (money) for managers only."""

import pytest

from tests import factories

STAFF_PAGES = [
    "/admin/reports/", "/admin/reports/sla/", "/admin/reports/sla.csv",
    "/admin/reports/tickets/", "/admin/reports/tickets.csv",
    "/admin/reports/satisfaction/", "/admin/reports/satisfaction.csv",
]
MONEY_PAGES = ["/admin/reports/hours/", "/admin/reports/hours.csv"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", STAFF_PAGES + MONEY_PAGES)
def test_anonymous_visitors_meet_the_admin_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["customer", "representative"])
@pytest.mark.parametrize("url", STAFF_PAGES + MONEY_PAGES)
def test_customers_never_see_a_report(client, role, url, request):
    client.force_login(request.getfixturevalue(role))

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("url", STAFF_PAGES)
def test_agents_see_the_sla_and_ticket_reports(client, agent, url):
    client.force_login(agent)

    assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", MONEY_PAGES)
def test_agents_do_not_see_hours_billed(client, agent, url):
    client.force_login(agent)

    assert client.get(url).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("url", STAFF_PAGES + MONEY_PAGES)
def test_managers_see_every_report(client, manager, url):
    client.force_login(manager)

    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_a_deactivated_agent_is_turned_away(client):
    agent = factories.AgentFactory()
    client.force_login(agent)
    agent.is_active = False
    agent.save(update_fields=["is_active"])

    assert client.get("/admin/reports/sla/").status_code == 302


@pytest.mark.django_db
def test_the_admin_index_links_the_reports(client, agent, manager):
    client.force_login(agent)
    html = client.get("/admin/").content.decode()
    assert 'href="/admin/reports/sla/"' in html
    assert 'href="/admin/reports/tickets/"' in html
    assert 'href="/admin/reports/hours/"' not in html  # money: managers only

    client.force_login(manager)
    assert 'href="/admin/reports/hours/"' in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_the_reports_index_lists_hours_for_managers_only(client, agent, manager):
    client.force_login(agent)
    assert "/admin/reports/hours/" not in client.get("/admin/reports/").content.decode()
    client.force_login(manager)
    assert "/admin/reports/hours/" in client.get("/admin/reports/").content.decode()
