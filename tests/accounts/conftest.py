"""Fixtures of the account request tests: mail settings and the people involved."""

import shutil
import subprocess
from pathlib import Path

import pytest

from accounts import services
from tests import factories

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "ru" / "LC_MESSAGES" / "django.po"


@pytest.fixture(scope="session", autouse=True)
def _compiled_russian():
    """Compile the Russian catalogue when it is newer than its .mo (as scripts/test does)."""
    compiled = CATALOGUE.with_suffix(".mo")
    stale = CATALOGUE.exists() and (
        not compiled.exists() or compiled.stat().st_mtime < CATALOGUE.stat().st_mtime
    )
    if stale and shutil.which("msgfmt"):
        subprocess.run(["msgfmt", "-o", str(compiled), str(CATALOGUE)], check=True)
        from django.utils.translation import reloader

        reloader.translation_file_changed(sender=None, file_path=compiled)


@pytest.fixture(autouse=True)
def _account_settings(settings):
    settings.SITE_URL = "https://helpdesk.example.com"
    settings.SUPPORT_EMAIL = "support@helpdesk.example.com"
    settings.ACCOUNT_INVITATION_DAYS = 7
    settings.MAIL_CELERY_QUEUE = ""
    return settings


@pytest.fixture
def colleague(organisation):
    """Another employee of the representative's organisation."""
    return factories.CustomerFactory(organisation=organisation, full_name="Olga Leaving")


@pytest.fixture
def other_representative(other_organisation):
    return factories.RepresentativeFactory(organisation=other_organisation)


@pytest.fixture
def pending_request(representative, manager):
    return services.account_request_file(
        requested_by=representative,
        full_name="Ivan Petrov",
        email="ivan.petrov@customer.example",
        role="customer_employee",
        language="ru",
    )


@pytest.fixture
def pending_deactivation(representative, colleague, manager):
    return services.account_deactivation_request_file(
        requested_by=representative, user=colleague, note="Last day: Friday"
    )
