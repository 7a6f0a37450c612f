import pytest


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://helpdesk.example.com"
    settings.SATISFACTION_LINK_DAYS = 30
    settings.SATISFACTION_ALERT_SCORE = 2
    return settings
