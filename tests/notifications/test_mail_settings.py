"""A person chooses the language of their mail and mutes what is not essential."""

import pytest

from notifications.models import NotificationPreference


@pytest.mark.django_db
def test_a_customer_mutes_non_essential_mail_and_picks_russian(client, customer):
    client.force_login(customer)
    assert "Send me only essential mail" in client.get("/mail/settings/").content.decode()

    response = client.post("/mail/settings/", {"language": "ru", "mute_non_essential": "on"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.language == "ru"
    assert NotificationPreference.objects.get(user=customer).mute_non_essential


@pytest.mark.django_db
def test_an_unknown_language_is_refused_with_the_form_kept(client, customer):
    client.force_login(customer)

    response = client.post("/mail/settings/", {"language": "xx", "mute_non_essential": "on"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    customer.refresh_from_db()
    assert customer.language == "en"


def test_mail_settings_need_a_login(client):
    assert client.get("/mail/settings/").status_code == 302
