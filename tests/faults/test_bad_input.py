"""Bad input at scale against the public routes: the pay page's token routes, the public pay API
and Stripe's webhook. Random tokens, bodies, signatures, unicode, CR/LF in headers (put straight
into the WSGI environ by Django's test client, which a real server would have refused earlier),
and 1 MB bodies: never a 5xx, never a row written, and bounded memory.

Then 1,000 random well-formed tokens from one address: the rate limit stops them after the
threshold and none opens anything, counted in the test cache and in a real Redis.

The hypothesis part is derandomized (the same cases every run) and kept to about half a minute;
it is marked ``fuzz`` with the API fuzzing, so ``make test`` runs it in its second process.
"""

import json
import secrets
import tracemalloc
import uuid
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from invoicing.models import (
    BillingSettings,
    CardPayment,
    InvoiceEvent,
    OutboundEmail,
    Payment,
    PaymentLink,
    StripeEvent,
)
from tests.conftest import STRIPE_WEBHOOK_SECRET
from tests.factories import ClientFactory, open_invoice
from tests.localstripe import free_port, stripe_signature

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/v1/order-payments/webhooks/stripe/"
PAY_API = "/api/v1/order-payments/invoices/pay/{}/"
PAGE_GETS = ["", "pdf/", "receipt/", "receipt/pdf/", "return/"]
PAGE_POSTS = ["", "card/", "card/confirm-offline/", "credit/", "plan/", "fresh-link/", "receipt/"]
FUZZ = {
    "derandomize": True,
    "deadline": None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}
MB = 1024 * 1024


def state():
    return {
        model.__name__: model.objects.count()
        for model in (Payment, PaymentLink, OutboundEmail, InvoiceEvent, StripeEvent, CardPayment)
    }


@pytest.fixture
def target(site_a, settings):
    """An open invoice with a working link, on a website that takes no cards (a card POST would
    otherwise reach Stripe: this is about input, not Stripe) and a client with no credit."""
    billing = BillingSettings.for_site(site_a)
    billing.stripe_enabled = False
    billing.save()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # should anything still call it
    invoice, link = open_invoice(site_a, client=ClientFactory(site=site_a, email="on-file@example.com"))
    token = link.url.rstrip("/").rsplit("/", 1)[1]
    return invoice, token


# Tokens: the real one, near misses of it, well-formed random ones, and anything at all.
def tokens(real):
    near = st.builds(
        lambda i, c: real[:i] + c + real[i + 1 :], st.integers(0, len(real) - 1), st.characters(codec="utf-8")
    )
    well_formed = st.builds(lambda: real.rsplit("-", 1)[0] + "-" + secrets.token_urlsafe(32))
    anything = st.text(min_size=1, max_size=300).filter(lambda t: "/" not in t and "?" not in t and "#" not in t)
    return st.one_of(st.just(real), near, well_formed, anything)


header_values = st.one_of(
    st.text(max_size=200),
    st.builds(lambda a, b: f"{a}\r\n{b}", st.text(max_size=40), st.text(max_size=40)),  # header injection
    st.sampled_from(["t=0,v1=00", "t=9999999999,v1=" + "a" * 64, "", "\x00", "t=,v1=", "v1=" + "f" * 64]),
)
# The fields the pay forms and the API read, with values that are no amount or id of ours.
junk = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["NaN", "Infinity", "-0", "1e999999", "0.001", "-5", "١٢٣", "100.00\r\nX: y", "\x00", "9" * 40]),
)
form_bodies = st.dictionaries(
    st.sampled_from(
        ["amount", "amount_choice", "use_credit", "credit_amount", "intent_id", "card_id", "method", "email"]
    ),
    junk,
    max_size=5,
)
bodies = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000).map(str.encode),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
        lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
)


def path(token, suffix=""):
    return f"/pay/invoice/{quote(token, safe='')}/{suffix}"


@pytest.mark.fuzz
def test_fuzzed_token_routes_never_fail_and_write_nothing(client, target):
    invoice, real = target
    before = state()
    answers = []

    @fuzz_settings(max_examples=500, **FUZZ)
    @given(
        token=tokens(real),
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
        suffix=st.sampled_from(PAGE_GETS + PAGE_POSTS + ["api"]),
        body=bodies | form_bodies,
        header=header_values,
        query=st.text(max_size=80),
    )
    def request(token, method, suffix, body, header, query):
        url = PAY_API.format(quote(token, safe="")) if suffix == "api" else path(token, suffix)
        if isinstance(body, dict):  # a form, as the page posts it, or the API's JSON
            body, content_type = (
                (json.dumps(body).encode(), "application/json")
                if suffix == "api"
                else (urlencode(body).encode(), "application/x-www-form-urlencoded")
            )
        else:
            content_type = header or "application/octet-stream"
        response = client.generic(
            method,
            f"{url}?payment_intent={quote(query)}&q={quote(query)}",
            body,
            content_type=content_type,
            HTTP_HOST="acme.test",
            HTTP_USER_AGENT=header,
            HTTP_X_FORWARDED_FOR=header,
            HTTP_REFERER=header,
            HTTP_ACCEPT=header,
            HTTP_X_CSRFTOKEN=header,
        )
        answers.append(response.status_code)
        assert response.status_code < 500, (method, url, response.status_code)

    request()
    assert state() == before
    # The cases reached the views, not only the 404 of a bad token: the real link answered too.
    assert 200 in answers and 404 in answers and len(set(answers)) >= 4


@pytest.mark.fuzz
def test_fuzzed_pay_forms_never_fail_and_write_nothing(client, target):
    """The forms' own fields, posted on the real link (and near misses of it), with junk values:
    the cases that reach the views' parsing, which random bodies above rarely do."""
    _invoice, real = target
    before = state()
    answers = []

    @fuzz_settings(max_examples=300, **FUZZ)
    @given(
        token=st.one_of(st.just(real), st.just(real), tokens(real)),
        suffix=st.sampled_from(["card/", "card/confirm-offline/", "credit/", "fresh-link/", "api"]),
        form=form_bodies,
        query=st.text(max_size=40),
    )
    def post(token, suffix, form, query):
        if suffix == "api":
            url, body, content_type = PAY_API.format(quote(token, safe="")), json.dumps(form), "application/json"
        else:
            url, body, content_type = path(token, suffix), urlencode(form), "application/x-www-form-urlencoded"
        response = client.generic(
            "POST", f"{url}?q={quote(query)}", body.encode(), content_type=content_type, HTTP_HOST="acme.test"
        )
        answers.append(response.status_code)
        assert response.status_code < 500, (url, form, response.status_code)

    post()
    assert state() == before
    # Most reached the views: refusals (400, 409) of a real link, not only 404s.
    assert sum(status in (400, 409) for status in answers) > 100


@pytest.mark.fuzz
def test_fuzzed_webhook_deliveries_are_refused_and_write_nothing(client, target, settings):
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    before = state()
    answers = []
    past_the_signature = []

    @fuzz_settings(max_examples=250, **FUZZ)
    @given(body=bodies, header=header_values, signed=st.booleans(), timestamp=st.integers(-(2**40), 2**40))
    def deliver(body, header, signed, timestamp):
        # Signed with the right secret, the body is still no event of Stripe's (no id and type, or
        # not JSON); unsigned, the header is anything, line breaks included.
        if signed:
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict) and decoded.get("id") and decoded.get("type"):
                return
        signature = stripe_signature(body, STRIPE_WEBHOOK_SECRET) if signed else header
        response = client.generic(
            "POST",
            WEBHOOK,
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
            HTTP_HOST="acme.test",
        )
        answers.append(response.status_code)
        assert response.status_code == 400, (response.status_code, body[:100], signature[:100])
        if signed and b"signature" not in response.content:
            past_the_signature.append(response.content)

    deliver()
    # A forged signature with a timestamp far ahead, and one far behind, over a real-looking event.
    event = json.dumps({"id": "evt_forged", "type": "payment_intent.succeeded", "data": {"object": {}}}).encode()
    for timestamp in (2**40, 0):
        response = client.post(
            WEBHOOK,
            event,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=stripe_signature(event, STRIPE_WEBHOOK_SECRET, timestamp),
        )
        assert response.status_code == 400
    assert state() == before
    assert len(answers) > 100
    assert len(past_the_signature) > 20  # signed cases reached the body's checks


def one_mb_of(kind):
    if kind == "ascii":
        return b"a" * MB
    if kind == "unicode_json":
        text = json.dumps({"id": "evt_x", "type": "payment_intent.succeeded", "pad": "€ü漢🙂" * (MB // 14)})
        return text.encode()[:MB]
    return secrets.token_bytes(MB)


@pytest.mark.parametrize("kind", ["ascii", "unicode_json", "random_bytes"])
@pytest.mark.parametrize("route", ["webhook", "api", "page_card", "page_credit"])
def test_a_1_mb_body_is_refused_in_bounded_memory(client, target, route, kind):
    """Django holds the body in memory (up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB by default):
    the bound is 8 MB of Python allocations for a 1 MB body, measured with tracemalloc."""
    _invoice, real = target
    url = {
        "webhook": WEBHOOK,
        "api": PAY_API.format(real),
        "page_card": path(real, "card/"),
        "page_credit": path(real, "credit/"),
    }[route]
    body = one_mb_of(kind)
    before = state()
    # Warmed up first: the first request of a process imports and compiles what it needs.
    client.generic("POST", url, b"{}", content_type="application/json", HTTP_HOST="acme.test")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        response = client.generic(
            "POST",
            url,
            body,
            content_type="application/json",
            HTTP_HOST="acme.test",
            HTTP_STRIPE_SIGNATURE="t=1,v1=" + "0" * 64,
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code < 500
    assert peak < 8 * MB, f"{peak / MB:.1f} MB"
    assert state() == before


def test_a_body_beyond_djangos_limit_is_a_400(client, target):
    body = b"x" * (3 * MB)
    response = client.generic("POST", WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1")
    assert response.status_code == 400


# 1,000 guesses from one address ---------------------------------------------------------------


def redis_or_skip():
    redis = pytest.importorskip("redis", reason="the redis package is not installed")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("No Redis on 127.0.0.1:6379 (the shared-cache case needs one)")
    return redis.Redis(host="127.0.0.1", port=6379)


@pytest.fixture(params=["test_cache", "redis"])
def counters(request, settings, empty_cache, rate_limit_clock):
    """Where the rate limits count: the test settings' cache, or a real Redis shared with others
    (a key prefix of our own, and only our keys deleted afterwards: never FLUSHALL)."""
    settings.INVOICING_RATE_LIMITS = {"ip": 20, "token": 3}
    if request.param == "test_cache":
        yield "default"
        return
    server = redis_or_skip()
    prefix = f"faults-{uuid.uuid4().hex}"
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": prefix,
        },
    }
    settings.INVOICING_RATE_LIMIT_CACHE = "shared"
    yield "shared"
    keys = list(server.scan_iter(match=f"{prefix}:*"))
    assert keys, "the counts were kept in Redis"
    server.delete(*keys)


def test_a_thousand_random_tokens_from_one_address_are_stopped(client, target, counters):
    _invoice, real = target
    number = real.rsplit("-", 1)[0]
    before = state()
    answers = []
    for n in range(1000):
        guess = f"{number}-{secrets.token_urlsafe(32)}"
        # The page and the public API count in one group: alternating gains an attacker nothing.
        url = path(guess) if n % 2 else PAY_API.format(guess)
        answers.append(client.get(url, HTTP_HOST="acme.test", REMOTE_ADDR="203.0.113.66").status_code)

    assert answers[:20] == [404] * 20
    assert answers[20:] == [429] * 980
    assert state() == before
    # Another address still opens the real link: the limit is per address, not a lockout of all.
    assert client.get(path(real), HTTP_HOST="acme.test", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_a_nul_byte_in_an_intent_id_is_refused_not_a_500(client, target):
    """Found by the fuzzing on PostgreSQL, which refuses a NUL byte in a query: Stripe's return URL
    (in production) and the offline confirmation are both refused like any id not of this invoice.
    On SQLite it passes either way; CI runs it on PostgreSQL too."""
    _invoice, real = target
    before = state()
    returned = client.get(path(real, "return/") + "?payment_intent=pi_%00x", HTTP_HOST="acme.test")
    confirmed = client.post(
        path(real, "card/confirm-offline/"), {"intent_id": "pi_\x00", "card_id": "card_x"}, HTTP_HOST="acme.test"
    )
    assert returned.status_code == 400 and "does not belong to invoice" in returned.content.decode()
    assert confirmed.status_code == 409
    assert state() == before
