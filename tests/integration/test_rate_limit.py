"""Token routes and the fresh-link form are rate-limited per client IP and per link, in the cache."""

import logging
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from invoicing.pay.ratelimit import check_request, client_ip
from tests.factories import open_invoice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache", "rate_limit_clock")]


def get(client, url, ip="203.0.113.7"):
    return client.get(urlsplit(url).path, HTTP_HOST="acme.test", REMOTE_ADDR=ip)


def test_over_the_limit_a_branded_429_says_when_to_come_back(client, site_a, settings, rate_limit_clock):
    settings.INVOICING_RATE_LIMITS = {"ip": 3, "token": 100}
    _, link = open_invoice(site_a)
    assert [get(client, link.url).status_code for _ in range(3)] == [200, 200, 200]
    limited = get(client, link.url)
    assert limited.status_code == 429
    assert limited["Retry-After"] == "40"  # the clock stands 20 s into the minute
    body = limited.content.decode()
    assert "Too many attempts; wait a minute and try again." in body
    assert "--brand: #123456" in body  # the site's branding
    assert limited["Referrer-Policy"] == "strict-origin" and "no-store" in limited["Cache-Control"]
    # Another address is not held back, and the next minute lets this one in again.
    assert get(client, link.url, ip="198.51.100.1").status_code == 200
    rate_limit_clock[0] += 40
    assert get(client, link.url).status_code == 200


def test_one_link_is_limited_whatever_the_address(client, site_a, settings):
    settings.INVOICING_RATE_LIMITS = {"ip": 100, "token": 2}
    _, link = open_invoice(site_a)
    _, other_link = open_invoice(site_a)
    assert get(client, link.url, ip="198.51.100.1").status_code == 200
    assert get(client, link.url, ip="198.51.100.2").status_code == 200
    assert get(client, link.url, ip="198.51.100.3").status_code == 429
    assert get(client, other_link.url, ip="198.51.100.3").status_code == 200


def test_guessing_tokens_is_limited_too(client, site_a, settings):
    settings.INVOICING_RATE_LIMITS = {"ip": 5, "token": 100}
    _, link = open_invoice(site_a)
    guesses = [get(client, link.url[:-5] + f"{n:03d}x/").status_code for n in range(5)]
    assert guesses == [404] * 5
    assert get(client, link.url).status_code == 429


def test_every_route_counts_including_the_fresh_link_form(client, site_a, settings):
    settings.INVOICING_RATE_LIMITS = {"ip": 100, "token": 3}
    _, link = open_invoice(site_a)
    path = urlsplit(link.url).path
    get(client, link.url)
    get(client, link.url + "pdf/")
    client.post(path + "credit/", HTTP_HOST="acme.test")
    limited = client.post(path + "fresh-link/", HTTP_HOST="acme.test")
    assert limited.status_code == 429 and limited["Retry-After"]


def test_neither_the_cache_nor_the_logs_hold_the_token(client, site_a, settings, caplog):
    settings.INVOICING_RATE_LIMITS = {"ip": 100, "token": 1}
    _, link = open_invoice(site_a)
    with caplog.at_level(logging.INFO):
        get(client, link.url)
        assert get(client, link.url).status_code == 429
    secret = link.token[-43:]
    keys = list(cache._cache)  # LocMemCache's store: every key written
    assert any("ratelimit" in key for key in keys)
    assert not any(secret in key for key in keys)
    assert "Rate limit (pay, token) exceeded from 203.0.113.7" in caplog.text
    assert secret not in caplog.text


def test_behind_trusted_proxies_the_clients_own_address_counts(settings):
    factory = RequestFactory()
    # The client wrote the first entry itself; our load balancer appended the last one.
    request = factory.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.4", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "10.0.0.2"  # no trusted proxy: the forwarded header is ignored
    settings.INVOICING_TRUSTED_PROXIES = 1
    assert client_ip(request) == "198.51.100.4"


def test_the_limiter_serves_other_public_endpoints(settings):
    """A DRF throttle (or any view) can count against its own group with the same settings."""
    settings.INVOICING_RATE_LIMITS = {"ip": 2, "token": 100}
    request = RequestFactory().get("/api/v1/order-payments/", REMOTE_ADDR="192.0.2.1")
    assert check_request(request, group="api") is None
    assert check_request(request, group="api") is None
    limited = check_request(request, group="api")
    assert limited.scope == "ip" and 1 <= limited.retry_after <= 60
    assert check_request(request, group="pay") is None  # groups count apart
