"""The ticketing rules page: built in, or as the managers word it, per language."""

import pytest

from tickets.models import RulesPage


@pytest.mark.django_db
def test_the_built_in_rules_show_until_a_manager_writes_their_own(client, customer):
    client.force_login(customer)
    assert "One task per ticket" in client.get("/rules/").content.decode()

    RulesPage.objects.create(language="en", body="## Our rules\n\nCall us <script>x</script>")
    page = client.get("/rules/").content.decode()

    assert "<h2>Our rules</h2>" in page
    assert "<script>x" not in page
    # Russian readers keep the built-in text until a Russian page exists.
    page = client.get("/rules/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Our rules" not in page


@pytest.mark.django_db
def test_only_managers_edit_the_rules(client, agent, manager):
    data = {"language": "ru", "body": "Правила"}

    client.force_login(agent)
    assert client.post("/admin/tickets/rulespage/add/", data).status_code == 403

    client.force_login(manager)
    assert client.post("/admin/tickets/rulespage/add/", data).status_code == 302
    page = RulesPage.objects.get(language="ru")
    assert page.updated_by == manager
