"""The public pay endpoints: the pay page as JSON, with every rule of the pay page (SECURITY.md
1–7, 27, 29): same 404 for every token that opens nothing here, 410 without the invoice for an
unusable link, rate limits, CSRF on POST, no-store and no Referer path, amounts computed here.
Card payments go to localstripe over HTTP."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client as DjangoClient
from django.utils import timezone

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import BillingSettings, CardPayment, PaymentMethod
from invoicing.services.invoices import void_invoice
from invoicing.services.payments import apply_payment
from invoicing.services.tokens import resolve_payment_link, rotate_payment_link
from tests.factories import line, open_invoice
from tests.localstripe import free_port

from .conftest import API

pytestmark = pytest.mark.django_db


def pay_url(link_or_token):
    token = getattr(link_or_token, "token", link_or_token)
    return f"{API}pay/{token}/"


@pytest.fixture
def visitor():
    """An anonymous visitor on Acme's host, with CSRF checks on, as a real one has them."""
    cache.clear()  # the rate limits' counters
    return DjangoClient(enforce_csrf_checks=True, HTTP_HOST="acme.test")


def post(visitor, url, data):
    """A POST as the pay page's script sends it: the CSRF cookie from the GET, back in a header."""
    visitor.get(url)
    return visitor.post(
        url, data, content_type="application/json", headers={"X-CSRFToken": visitor.cookies["csrftoken"].value}
    )


def assert_protected(response):
    assert "no-store" in response["Cache-Control"]
    # The URL holds the token: no Referer may carry the path (the pay page's policy, invoicing.pay.headers).
    assert response["Referrer-Policy"] == "strict-origin"
    assert response["X-Frame-Options"] == "DENY"


def give_credit(invoice, amount):
    """Money that arrived for a void invoice of the same client becomes that client's credit."""
    earlier, _ = open_invoice(invoice.site, client=invoice.client, lines=[line(unit_price="1.00")])
    void_invoice(earlier, reason="Sent twice")
    apply_payment(
        earlier,
        method=PaymentMethod.MANUAL,
        amount=amount,
        currency=invoice.currency,
        provider_reference=f"bank-{earlier.pk}",
    )


def test_get_shows_what_the_pay_page_shows(visitor, site_a):
    invoice, link = open_invoice(site_a, lines=[line(description="Design", unit_price="120.00", tax_rate="20")])
    response = visitor.get(pay_url(link))
    assert response.status_code == 200
    assert_protected(response)
    body = response.json()
    assert body["reference_id"] == invoice.number and body["client_name"] == invoice.client.name
    assert (body["amount"], body["amount_due"], body["currency"]) == ("144.00", "144.00", "EUR")
    assert [(row["description"], row["unit_price"]) for row in body["lines"]] == [("Design", "120.000")]
    assert body["payable"] is True and body["card_enabled"] is True and body["processing"] is False
    assert body["credit_available"] == "0.00" and body["minimum_partial_amount"] is None
    assert body["pdf_url"] == link.url + "pdf/"
    assert "csrftoken" in visitor.cookies


def test_every_token_that_opens_nothing_here_is_the_same_404(visitor, site_a, site_b):
    _invoice, link = open_invoice(site_a)
    _other, globex_link = open_invoice(site_b)
    wrong = link.token[:-4] + ("AAAA" if not link.token.endswith("AAAA") else "BBBB")
    answers = set()
    for token in (wrong, "garbage", globex_link.token, "INV-" + "x" * 70):
        response = visitor.get(pay_url(token))
        assert response.status_code == 404
        assert_protected(response)
        answers.add(response.content)
    assert len(answers) == 1
    # The other site's token works on its own host.
    assert DjangoClient(HTTP_HOST="globex.test").get(pay_url(globex_link)).status_code == 200


def test_an_unusable_link_is_a_410_that_reveals_nothing(visitor, site_a):
    invoice, link = open_invoice(site_a, title="Secret project")
    rotate_payment_link(invoice)
    response = visitor.get(pay_url(link))
    assert response.status_code == 410
    assert_protected(response)
    assert response.json() == {
        "code": "payment_link_unusable",
        "detail": "This payment link has been replaced or revoked.",
    }
    _invoice, expiring = open_invoice(site_a, due_date=timezone.localdate())
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        expired = visitor.get(pay_url(expiring))
    assert expired.status_code == 410 and expired.json()["detail"] == "This payment link has expired."
    for answer in (response, expired):
        assert invoice.number not in answer.content.decode() and "Secret" not in answer.content.decode()


def test_rate_limited(visitor, site_a, settings, rate_limit_clock):
    settings.INVOICING_RATE_LIMITS = {"ip": 3, "token": 3}
    _invoice, link = open_invoice(site_a)
    assert [visitor.get(pay_url(link)).status_code for _ in range(3)] == [200, 200, 200]
    response = visitor.get(pay_url(link))
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited" and int(response["Retry-After"]) >= 1
    assert_protected(response)
    # Guessing counts as much as using a link.
    assert visitor.get(pay_url("garbage")).status_code == 429


def test_post_keeps_csrf(visitor, site_a, stripe_server):
    _invoice, link = open_invoice(site_a)
    refused = visitor.post(pay_url(link), {"method": "card"}, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert not CardPayment.objects.exists()


def test_start_a_card_payment_for_the_amount_computed_here(visitor, site_a, stripe_server):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="80.00")])
    response = post(visitor, pay_url(link), {"method": "card"})
    assert response.status_code == 200, response.json()
    assert_protected(response)
    body = response.json()
    assert body["client_secret"].startswith(body["intent_id"]) and body["publishable_key"] == "pk_test_localstripe"
    assert (body["amount"], body["currency"]) == ("80.00", "EUR")
    assert CardPayment.objects.get().amount == Decimal("80.00")
    # An amount sent for an invoice that must be paid in full is refused, not charged.
    smaller = post(visitor, pay_url(link), {"method": "card", "amount": "1.00"})
    assert smaller.status_code == 400 and "paid in full" in smaller.json()["detail"]
    assert post(visitor, pay_url(link), {"method": "card", "amount": 1}).json()["fields"].keys() == {"amount"}


def test_a_partial_card_payment_where_allowed(visitor, site_a, stripe_server):
    _invoice, link = open_invoice(site_a, lines=[line(unit_price="80.00")], allow_partial_payments=True)
    body = post(visitor, pay_url(link), {"method": "card", "amount": "30.00"}).json()
    assert body["amount"] == "30.00"


def test_provider_down_is_a_503_and_changes_nothing(visitor, site_a, stripe_server, settings):
    _invoice, link = open_invoice(site_a)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    response = post(visitor, pay_url(link), {"method": "card"})
    assert (response.status_code, response.json()["code"]) == (503, "provider_unavailable")
    assert not CardPayment.objects.exists()


def test_card_payments_off_for_the_site(visitor, site_a):
    BillingSettings.objects.filter(site=site_a).update(stripe_enabled=False)
    _invoice, link = open_invoice(site_a)
    assert visitor.get(pay_url(link)).json()["card_enabled"] is False
    response = post(visitor, pay_url(link), {"method": "card"})
    assert (response.status_code, response.json()["code"]) == (409, "payment_rejected")


def test_pay_with_credit_in_part_returns_the_new_link(visitor, site_a):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="100.00")])
    give_credit(invoice, "25.00")
    assert visitor.get(pay_url(link)).json()["credit_available"] == "25.00"
    response = post(visitor, pay_url(link), {"method": "credit"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["amount"], body["amount_due"], body["payment"]["method"]) == ("25.00", "75.00", "credit")
    new_token = body["payment_link"]["url"].rstrip("/").rsplit("/", 1)[1]
    assert resolve_payment_link(new_token, site=site_a) == invoice
    assert visitor.get(pay_url(link)).status_code == 410  # the old link was replaced


def test_pay_with_credit_in_full(visitor, site_a):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="20.00")])
    give_credit(invoice, "50.00")
    body = post(visitor, pay_url(link), {"method": "credit"}).json()
    assert (body["amount"], body["amount_due"], body["payment_link"]) == ("20.00", "0.00", None)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    # A paid invoice still opens (to show it is paid), but nothing more can be paid on it.
    again = post(visitor, pay_url(link), {"method": "credit"})
    assert (again.status_code, again.json()["code"]) == (409, "payment_rejected")


def test_no_credit_no_payment(visitor, site_a):
    _invoice, link = open_invoice(site_a)
    response = post(visitor, pay_url(link), {"method": "credit"})
    assert response.status_code == 409 and "credit" in response.json()["detail"]
    assert post(visitor, pay_url(link), {"method": "cash"}).json()["fields"].keys() == {"method"}


def test_methods_other_than_get_and_post(visitor, site_a):
    _invoice, link = open_invoice(site_a)
    response = visitor.delete(pay_url(link))
    assert response.status_code == 405
    assert_protected(response)


def test_tokens_never_reach_the_logs(visitor, site_a, caplog):
    invoice, link = open_invoice(site_a)
    rotate_payment_link(invoice)
    visitor.get(pay_url(link))  # 410
    visitor.get(pay_url(link.token[:-3] + "abc"))  # 404
    assert "Gone: /api/v1/order-payments/invoices/pay/INV-[redacted]/" in caplog.text
    assert link.token not in caplog.text and link.token[:-3] not in caplog.text
