from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection

from .factories import ACCESS_ADMIN, EVERY_BILLING_PERMISSION, UserFactory, billing_staff, make_website
from .localstripe import LocalStripe

STRIPE_WEBHOOK_SECRET = "whsec_tests"


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
def admin_client(client, admin_user):
    """Django's test client (the ``client`` fixture itself), logged in as the superuser."""
    client.force_login(admin_user)
    return client


@pytest.fixture
def acme_clerk(site_a):
    """Staff with every invoicing permission and admin access, billing for Acme (site A) only."""
    return billing_staff(site_a, username="acme-clerk", permissions=EVERY_BILLING_PERMISSION)


@pytest.fixture
def acme_viewer(site_a):
    """Staff who may use the admin and view invoices, billing for Acme (site A) only."""
    return billing_staff(site_a, username="acme-billing", permissions=(ACCESS_ADMIN, "view_invoice"))


@pytest.fixture
def empty_cache():
    """The rate limits' counts and the fresh-link interval live in the cache, which outlives a test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rate_limit_clock(monkeypatch):
    """The rate limiter's clock stopped 20 seconds into a one-minute window, so that a test's
    requests never straddle two windows (whose counts start again from zero). Returns a setter."""
    now = [1_800_000_020.0]  # 20 s past a multiple of 60
    monkeypatch.setattr("invoicing.pay.ratelimit.time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.fixture
def anymail_outbox(settings):
    """anymail's test backend (the test runner swaps EMAIL_BACKEND for locmem); sent messages land
    in the returned list, with ``anymail_test_params`` and ``anymail_status``."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    return mail.outbox


@pytest.fixture(scope="session")
def localstripe():
    """One localstripe process for the whole run, on a free port."""
    server = LocalStripe.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_server(localstripe, settings):
    """Stripe settings pointed at localstripe, with its state flushed; webhooks registered by the
    test (``stripe_server.register_webhook(url, secret=settings.STRIPE_WEBHOOK_SECRET)``) end with it."""
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe.url
    settings.STRIPE_NETWORK_RETRIES = 0
    localstripe.flush()
    deliveries_before = localstripe.deliveries()
    yield localstripe
    # Before the test's database goes (this teardown runs before the flush of a transactional test).
    localstripe.settle(deliveries_before)
    localstripe.forget_webhook()


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: SQLite has no row locks, so it would hide a missing one. CI runs it there.")
