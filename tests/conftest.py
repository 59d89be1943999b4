import pytest
from django.core import mail
from django.db import connection

from .factories import UserFactory, make_website


@pytest.fixture
def site_a(db):
    return make_website("acme.test", prefix="ACME")


@pytest.fixture
def site_b(db):
    return make_website("globex.test", prefix="GLX", currency="USD")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def anymail_outbox(settings):
    """anymail's test backend (the test runner swaps EMAIL_BACKEND for locmem); sent messages land
    in the returned list, with ``anymail_test_params`` and ``anymail_status``."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    return mail.outbox


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: SQLite has no row locks, so it would hide a missing one. CI runs it there.")
