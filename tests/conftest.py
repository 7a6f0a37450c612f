"""Session guard, per-test settings and shared fixtures.

The suite runs against PostgreSQL only: row locks, sequences and constraints behave
differently elsewhere, so a run on any other database is a failed run, never a skip.
"""

import pytest

from tests import factories, helpers
from tests.browser import browser_settings, new_page  # noqa: F401 - fixtures
from tests.security.second_factor import verified_force_login  # noqa: F401 - autouse fixture


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "i18n_catalogue: the Russian catalogue is complete (fails until it is translated)",
    )


def pytest_sessionstart(session):
    from django.conf import settings
    from django.db import connections

    database = settings.DATABASES["default"]
    vendor = connections["default"].vendor
    if vendor != "postgresql":
        pytest.exit(
            f"The test suite needs PostgreSQL, but the database is {vendor!r} "
            f"({database['ENGINE']}). Set DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk.",
            returncode=3,
        )
    _require_reachable_server(database)
    # Plain HTTP for the whole session: the live server (browser tests) builds its
    # SecurityMiddleware once, before any per-test settings fixture can run.
    settings.SECURE_SSL_REDIRECT = False


def _require_reachable_server(database: dict) -> None:
    import psycopg2

    try:
        psycopg2.connect(
            dbname="postgres",
            user=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
            host=database.get("HOST") or None,
            port=database.get("PORT") or None,
            connect_timeout=5,
        ).close()
    except psycopg2.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL at {database.get('HOST')}:{database.get('PORT')} is unreachable: {exc}",
            returncode=3,
        )


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Uploads go to a throw-away directory; plain HTTP; fast password hashing.

    DEBUG stays False (as in production). django-axes keeps its failures in the
    database, so each test's rollback (or flush) resets it.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def other_organisation(db):
    return factories.OrganisationFactory()


@pytest.fixture
def customer(organisation):
    return factories.CustomerFactory(organisation=organisation)


@pytest.fixture
def representative(organisation):
    return factories.RepresentativeFactory(organisation=organisation)


@pytest.fixture
def outsider(other_organisation):
    """An employee of another customer organisation."""
    return factories.CustomerFactory(organisation=other_organisation)


@pytest.fixture
def agent(db):
    return factories.AgentFactory()


@pytest.fixture
def manager(db):
    return factories.ManagerFactory()


@pytest.fixture
def ticket(customer):
    return factories.TicketFactory(requester=customer)


@pytest.fixture
def screenshot_bytes():
    return helpers.screenshot_bytes()


@pytest.fixture
def log_bytes():
    return helpers.log_bytes()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Lets fixtures see, at teardown, whether the test failed (browser screenshots).
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
