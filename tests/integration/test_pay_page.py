"""The pay page over HTTP, through Wagtail's routing with each site's own Host."""

import logging
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from invoicing.models import PaymentLink
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import record_manual_payment
from invoicing.services.tokens import revoke_payment_link
from tests.factories import open_invoice


def get(client, url, host=None):
    parts = urlsplit(url)
    return client.get(parts.path, HTTP_HOST=host or parts.netloc)


@pytest.fixture
def issued(site_a):
    return open_invoice(site_a, title="Quarterly hosting")


def test_the_link_shows_the_invoice_on_its_sites_branding(client, issued):
    invoice, link = issued
    response = get(client, link.url)
    assert response.status_code == 200
    body = response.content.decode()
    assert invoice.number in body and "Quarterly hosting" in body
    assert "100.00 EUR" in body  # total and amount due
    assert "--brand: #123456" in body  # the site's branding page


def test_token_pages_send_protective_headers(client, issued):
    response = get(client, issued[1].url)
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "strict-origin"  # the origin only: never the path, which holds the token
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp


def test_wrong_garbage_and_other_site_tokens_get_the_same_404(client, issued, site_b):
    _, link = issued
    other_site = get(client, link.url, host=site_b.hostname)
    wrong = get(client, link.url[:-2] + "x/")
    garbage = get(client, "http://acme.test/pay/invoice/hello/")
    assert other_site.status_code == wrong.status_code == garbage.status_code == 404
    assert other_site.content == wrong.content == garbage.content


def test_the_pay_page_itself_reveals_nothing(client, issued):
    assert client.get("/pay/", HTTP_HOST="acme.test").status_code == 404


@pytest.mark.parametrize("end", ["expired", "revoked", "voided", "rotated"])
def test_an_unusable_link_gets_the_recovery_page_which_reveals_nothing(client, issued, end):
    invoice, link = issued
    if end == "expired":
        PaymentLink.objects.filter(pk=invoice.payment_link_id).update(expires_at=timezone.now() - timedelta(minutes=1))
    elif end == "revoked":
        revoke_payment_link(invoice)
    elif end == "voided":
        invoice_services.void_invoice(invoice, reason="Duplicate")
    else:
        record_manual_payment(invoice, amount="10.00", reason="Part", by=None)
    response = get(client, link.url)
    assert response.status_code == 410
    body = response.content.decode()
    assert "can no longer be used" in body
    for secret in (invoice.number, invoice.title, invoice.client.name, "100.00"):
        assert secret not in body
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]


def test_a_paid_invoice_shows_it_is_paid(client, issued):
    invoice, link = issued
    record_manual_payment(invoice, reason="Bank transfer", by=None)
    body = get(client, link.url).content.decode()
    assert "Paid on" in body


def test_failures_are_logged_without_the_token(client, issued, caplog):
    _, link = issued
    with caplog.at_level(logging.INFO):
        get(client, link.url[:-2] + "x/")
        revoke_payment_link(issued[0])
        get(client, link.url)
    assert caplog.records, "the failures should be logged"
    token_part = link.token[-43:]  # the random part (it may itself contain "-")
    assert token_part not in caplog.text


def test_a_link_opens_its_invoice_pdf_and_receipt_and_is_no_login(client, issued):
    """Rule 4: the token is the key to one invoice's pages, never a session for anything wider."""
    invoice, link = issued
    other, _ = open_invoice(invoice.site, client=invoice.client, title="Another invoice")
    record_manual_payment(invoice, amount="10.00", reason="Part", by=None)
    opened = [get(client, link.url + "receipt/"), get(client, link.url + "receipt/pdf/")]
    assert [response.status_code for response in opened] == [200, 200]
    for response in opened:
        assert other.number.encode() not in response.content and b"Another invoice" not in response.content
    # A link replaced by a payment opens the receipt only, not the invoice or its PDF.
    assert get(client, link.url).status_code == 410
    assert get(client, link.url + "pdf/").status_code == 410
    # The browser is logged in nowhere, and holds no session naming an invoice or a client.
    assert "sessionid" not in client.cookies
    assert client.get("/admin/", HTTP_HOST="acme.test").status_code == 302
    assert client.get("/api/v1/order-payments/invoices/", HTTP_HOST="acme.test").status_code in (401, 403)


def test_the_csp_allows_nothing_but_this_site_and_stripe(client, issued, settings):
    """Rule 28, the whole policy: any source added to any directive (another origin, a wildcard, inline
    script, eval) must be a deliberate change to this test."""
    settings.STRIPE_OFFLINE_JS = False
    response = get(client, issued[1].url)
    policy = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        policy[name] = set(sources)
    assert policy == {
        "default-src": {"'self'"},
        "script-src": {"'self'", "https://js.stripe.com"},
        "frame-src": {"https://js.stripe.com", "https://hooks.stripe.com"},
        "connect-src": {"'self'", "https://api.stripe.com"},
        "img-src": {"'self'", "data:", "https://*.stripe.com"},
        "style-src": {"'self'", "'unsafe-inline'"},  # the site's brand colours, one inline <style>
        "base-uri": {"'none'"},
        "form-action": {"'self'"},
        "frame-ancestors": {"'none'"},
    }
    assert response["X-Frame-Options"] == "DENY"
