"""What the API tests share: a token per person, and a client that sends it."""

import pytest
from django.test import Client

from api.tokens import api_token_create


def token_for(user, scope: str = "read_write", **kwargs) -> str:
    _token, raw = api_token_create(user=user, name="tests", scope=scope, **kwargs)
    return raw


def client_for(user, scope: str = "read_write") -> Client:
    """A client that authenticates with a fresh personal token of the user (None: anonymous)."""
    if user is None:
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope)}")


@pytest.fixture(autouse=True)
def generous_rate_limits(settings):
    """Rate limits out of the way, except in the tests about them."""
    settings.API_THROTTLE_RATES = {"caller": "100000/min", "address": "100000/min"}
