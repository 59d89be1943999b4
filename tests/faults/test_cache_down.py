"""The cache (Redis) down: the pay page still shows and takes payments, the routes that send email
refuse.

A real Redis client against a port where nothing listens (connection refused), or a socket that
accepts and never answers (a hung Redis), never a mock: what breaks is redis-py's own error.
Policy (``invoicing/pay/ratelimit.py``): the token routes and the payments fail open, with an error
logged; the fresh-link form and the billing account's sign-in-link request fail closed, with the
branded 429 and a ``Retry-After``.

Django's own ``RedisCache`` as the *default* cache takes every Wagtail page down with Redis (Wagtail
reads its site root paths from it on each page), so the default cache here is
``invoicing.cache.FailSoftRedisCache``; the rate limits' counters get Django's plain ``RedisCache``
through ``INVOICING_RATE_LIMIT_CACHE``, so that ``ratelimit.py`` alone decides there.
"""

import logging
import socket
import time
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from django.test import Client as HttpClient

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import OutboundEmail, PaymentLink, PaymentMethod, SignInLink
from invoicing.services.payments import record_manual_payment
from tests.accounts import ACCOUNT
from tests.factories import ClientFactory, line, open_invoice

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # port 1: nothing listens, the connection is refused


def caches_with_redis_down(location=DEAD_REDIS, options=None):
    return {
        "default": {
            "BACKEND": "invoicing.cache.FailSoftRedisCache",
            "LOCATION": location,
            "OPTIONS": options or {},
        },
        "counters": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": options or {},
        },
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = caches_with_redis_down()
    settings.INVOICING_RATE_LIMIT_CACHE = "counters"
    # Proof that the outage is real: Django's own backend raises redis-py's error.
    with pytest.raises(Exception, match="Connection refused|Error 111"):
        caches["counters"].add("probe", 1)


def path_of(url):
    return urlsplit(url).path


def give_credit(client_record, site, amount):
    """Credit as clients really get it: an overpayment of another invoice."""
    other, _ = open_invoice(site, client=client_record, lines=[line(unit_price="10.00")])
    record_manual_payment(other, reason="Bank transfer", by=None, amount=Decimal("10.00") + Decimal(amount))


def test_the_pay_page_answers_and_takes_a_credit_payment(client, site_a, settings, caplog):
    client_record = ClientFactory(site=site_a)
    give_credit(client_record, site_a, "150.00")
    invoice, link = open_invoice(site_a, client=client_record, lines=[line(unit_price="100.00")])
    bad = path_of(link.url)[:-6] + "zzzzz/"
    settings.CACHES = caches_with_redis_down()  # the outage starts now: the set-up above needs no cache
    settings.INVOICING_RATE_LIMIT_CACHE = "counters"

    with caplog.at_level(logging.ERROR):
        page = client.get(path_of(link.url), HTTP_HOST="acme.test")
        pdf = client.get(path_of(link.url) + "pdf/", HTTP_HOST="acme.test")
        unknown = client.get(bad, HTTP_HOST="acme.test")
        paid = client.post(path_of(link.url) + "credit/", HTTP_HOST="acme.test")
        receipt = client.get(paid["Location"], HTTP_HOST="acme.test")

    assert (page.status_code, pdf.status_code, unknown.status_code) == (200, 200, 404)
    assert paid.status_code == 302 and paid["Location"] == path_of(link.url) + "receipt/"
    assert receipt.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.payments.get().method == PaymentMethod.CREDIT
    # Each request went on uncounted, with an error for the people who watch the logs, and no token.
    uncounted = [r for r in caplog.records if "let through uncounted" in r.getMessage()]
    assert len(uncounted) == 5
    assert link.token[-43:] not in caplog.text


def test_the_public_pay_api_answers(client, site_a, redis_down):
    _, link = open_invoice(site_a)
    token = path_of(link.url).rstrip("/").rsplit("/", 1)[1]
    answer = client.get(f"/api/v1/order-payments/invoices/pay/{token}/", HTTP_HOST="acme.test")
    assert answer.status_code == 200 and answer.json()["amount_due"]
    unknown = client.get(f"/api/v1/order-payments/invoices/pay/{token[:-4]}zzzz/", HTTP_HOST="acme.test")
    assert unknown.status_code == 404


@pytest.fixture
def expired(site_a):
    invoice, link = open_invoice(site_a, client=ClientFactory(site=site_a, email="on-file@example.com"))
    PaymentLink.objects.filter(pk=invoice.payment_link_id).update(expires_at="2000-01-01T00:00:00Z")
    return invoice, link


def test_the_fresh_link_form_refuses_and_sends_nothing(
    expired, client, redis_down, anymail_outbox, django_capture_on_commit_callbacks, caplog
):
    _, link = expired
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        # The recovery page itself (a GET of the token route) still answers.
        recovery = client.get(path_of(link.url), HTTP_HOST="acme.test")
        asked = [client.post(path_of(link.url) + "fresh-link/", HTTP_HOST="acme.test") for _ in range(5)]
    assert recovery.status_code == 410
    assert [answer.status_code for answer in asked] == [429] * 5
    assert asked[0]["Retry-After"] == "60" and "no-store" in asked[0]["Cache-Control"]
    assert "Too many attempts" in asked[0].content.decode()  # the site's branded page, not a 500
    assert not OutboundEmail.objects.exists() and anymail_outbox == []
    assert "Rate limit (pay) cache unavailable; request from 127.0.0.1 refused" in caplog.text


def test_the_sign_in_link_request_refuses_and_sends_nothing(
    site_a, client, redis_down, anymail_outbox, django_capture_on_commit_callbacks
):
    jane = ClientFactory(site=site_a, email="jane@example.com")
    http = HttpClient()
    with django_capture_on_commit_callbacks(execute=True):
        form = http.get(ACCOUNT, HTTP_HOST=jane.site.hostname)  # the sign-in form (no email) answers
        asked = [http.post(ACCOUNT + "sign-in/", {"email": jane.email}, HTTP_HOST=jane.site.hostname) for _ in range(3)]
    assert form.status_code == 200
    assert [answer.status_code for answer in asked] == [429] * 3
    assert asked[0]["Retry-After"] == "60"
    assert not SignInLink.objects.exists() and not OutboundEmail.objects.exists() and anymail_outbox == []


def test_a_hung_redis_costs_a_request_its_socket_timeouts_only(client, site_a, settings):
    """A Redis that accepts connections and never answers (a stalled host): with socket timeouts in
    the cache's OPTIONS, as the README asks, the page answers in about three of them (the counter,
    Wagtail's read and its write), not in minutes."""
    _, link = open_invoice(site_a)
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)  # the kernel completes connections; nobody ever reads or answers
        port = hung.getsockname()[1]
        settings.CACHES = caches_with_redis_down(
            f"redis://127.0.0.1:{port}/0", options={"socket_connect_timeout": 0.3, "socket_timeout": 0.3}
        )
        settings.INVOICING_RATE_LIMIT_CACHE = "counters"
        started = time.monotonic()
        page = client.get(path_of(link.url), HTTP_HOST="acme.test")
        elapsed = time.monotonic() - started
    assert page.status_code == 200
    assert elapsed < 5, f"{elapsed:.1f} s"
