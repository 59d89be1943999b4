import pytest
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


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: SQLite has no row locks, so it would hide a missing one. CI runs it there.")
