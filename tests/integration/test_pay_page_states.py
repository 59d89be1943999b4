"""What the pay page shows in each state of an invoice, the headers of every token route, and
CSRF on every POST; through Wagtail's routing with each site's own Host."""

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from invoicing.checks import check_stripe_keys
from invoicing.core.exceptions import InvalidTransition
from invoicing.models import BillingSettings, CardPayment
from invoicing.services.checkout import start_card_payment
from invoicing.services.invoices import mark_uncollectible
from invoicing.services.payments import pay_with_credit, record_manual_payment
from tests.factories import ClientFactory, line, open_invoice

pytestmark = pytest.mark.django_db


def path_of(url):
    return urlsplit(url).path


def get(client, url, **extra):
    return client.get(url if url.startswith("/") else path_of(url), HTTP_HOST="acme.test", **extra)


def post(client, url, data=None):
    return client.post(url if url.startswith("/") else path_of(url), data or {}, HTTP_HOST="acme.test")


def give_credit(client_record, site, amount):
    """Credit as clients really get it: an overpayment of another invoice."""
    other, _ = open_invoice(site, client=client_record, lines=[line(unit_price="10.00")])
    record_manual_payment(other, reason="Bank transfer", by=None, amount=Decimal("10.00") + Decimal(amount))


def test_an_open_invoice_offers_the_card_and_no_credit_without_any(client, site_a):
    _, link = open_invoice(site_a, lines=[line(unit_price="100.00")])
    body = get(client, link.url).content.decode()
    assert 'id="card-form"' in body and 'data-adapter="card-element"' in body
    assert "credit-form" not in body and "amount-choice" not in body
    # Stripe.js and our script load as files (the CSP allows no inline script).
    assert re.search(r'<script src="http://127\.0\.0\.1:\d+/js\.stripe\.com/v3/"></script>', body)
    assert '<script src="/static/invoicing/pay.js" defer></script>' in body
    assert "<script>" not in body
    # pay.js is deferred: until it handles the form, the button stays off, so that an early click
    # cannot post the form natively and land the client on the JSON of the card step.
    assert re.search(r'<button type="submit" class="button" id="card-start" disabled>', body)


def test_credit_is_offered_with_the_clients_balance(client, site_a):
    client_record = ClientFactory(site=site_a)
    give_credit(client_record, site_a, "30.00")
    _, link = open_invoice(site_a, client=client_record, lines=[line(unit_price="100.00")])
    body = get(client, link.url).content.decode()
    assert "You have 30.00 EUR of account credit." in body
    assert "Use my account credit (30.00 EUR) first, and pay the rest by card" in body


def test_a_partially_paid_invoice_offers_an_amount_with_its_minimum(client, site_a):
    invoice, _ = open_invoice(site_a, lines=[line(unit_price="100.00")], allow_partial_payments=True)
    result = record_manual_payment(invoice, reason="Deposit", by=None, amount=Decimal("40.00"))
    body = get(client, result.new_link.url).content.decode()
    assert "Partially paid" in body
    assert re.search(r'class="invoice-paid"><th colspan="4">Paid</th><td>40\.00 EUR', body)
    assert re.search(r'class="invoice-due"><th colspan="4">Amount due</th><td>60\.00 EUR', body)
    assert "Pay in full (60.00 EUR)" in body and "Pay an amount" in body
    assert "At least 0.50 EUR, and at most the amount due." in body


def test_a_paid_invoice_shows_when_and_its_receipt_but_no_pay_button(client, site_a):
    invoice, link = open_invoice(site_a)
    record_manual_payment(invoice, reason="Bank transfer", by=None)
    invoice.refresh_from_db()
    body = get(client, link.url).content.decode()
    assert f"Paid on {invoice.paid_at:%-d %B %Y}. Thank you!" in body
    assert f'href="{path_of(link.url)}receipt/"' in body
    assert "card-form" not in body and "credit-form" not in body and "js.stripe.com" not in body
    receipt = get(client, link.url + "receipt/")
    assert receipt.status_code == 200
    assert "Thank you: we received 100.00 EUR" in receipt.content.decode()


def test_an_uncollectible_invoice_says_so_and_takes_no_payment_here(client, site_a):
    invoice, link = open_invoice(site_a)
    mark_uncollectible(invoice, reason="Client vanished")
    body = get(client, link.url).content.decode()
    assert "written off; contact us to settle it" in body
    assert "card-form" not in body
    response = post(client, link.url + "card/")
    assert response.status_code == 409 and "uncollectible" in response.json()["error"]
    # The services refuse too, whatever a caller skipped.
    for pay in (start_card_payment, pay_with_credit):
        with pytest.raises(InvalidTransition, match="uncollectible"):
            pay(invoice)


def test_a_processing_card_payment_shows_processing_and_no_second_pay_button(client, site_a, stripe_server):
    invoice, link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    # localstripe cannot hold a card payment in "processing"; the record is set as the webhook would.
    CardPayment.objects.filter(intent_id=checkout.intent_id).update(status="processing")
    body = get(client, link.url).content.decode()
    assert "Your card payment is processing" in body
    assert "card-form" not in body and "credit-form" not in body
    response = post(client, link.url + "card/")
    assert response.status_code == 409 and "processing" in response.json()["error"]


def test_methods_the_site_turned_off_are_not_offered(client, site_a):
    client_record = ClientFactory(site=site_a)
    give_credit(client_record, site_a, "30.00")
    _, link = open_invoice(site_a, client=client_record)
    billing = BillingSettings.for_site(site_a)
    billing.stripe_enabled = False
    billing.save()  # as the admin's settings form does: the pay page's cached front is renewed
    body = get(client, link.url).content.decode()
    assert "card-form" not in body and "credit-form" in body
    assert post(client, link.url + "card/").status_code == 409
    billing.stripe_enabled, billing.credit_enabled = True, False
    billing.save()
    body = get(client, link.url).content.decode()
    assert "card-form" in body and "credit-form" not in body
    assert post(client, link.url + "credit/").status_code == 409


def test_every_token_route_sends_the_protective_headers(client, site_a, stripe_server):
    invoice, link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    responses = {
        "page": get(client, link.url),
        "pdf": get(client, link.url + "pdf/"),
        "return": get(client, link.url + f"return/?payment_intent={checkout.intent_id}"),
        "start card": post(client, link.url + "card/"),
        "confirm offline": post(client, link.url + "card/confirm-offline/", {"intent_id": "pi_x", "card_id": "x"}),
        "credit": post(client, link.url + "credit/"),
        "fresh link": post(client, link.url + "fresh-link/"),
    }
    record_manual_payment(invoice, reason="Bank transfer", by=None)
    responses["receipt"] = get(client, link.url + "receipt/")
    responses["receipt pdf"] = get(client, link.url + "receipt/pdf/")
    for name, response in responses.items():
        assert response.status_code < 500, name
        assert "no-store" in response["Cache-Control"], name
        assert response["Referrer-Policy"] == "strict-origin", name
        assert response["X-Frame-Options"] == "DENY", name
        csp = response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, name
        assert f"script-src 'self' {stripe_server.url}" in csp, name


def test_the_production_csp_allows_only_stripes_origins(client, site_a, settings, stripe_server):
    settings.STRIPE_OFFLINE_JS = False
    _, link = open_invoice(site_a)
    response = get(client, link.url)
    csp = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self' https://js.stripe.com"
    assert csp["connect-src"] == "'self' https://api.stripe.com"
    assert csp["frame-src"] == "https://js.stripe.com https://hooks.stripe.com"
    body = response.content.decode()
    assert '<script src="https://js.stripe.com/v3/"></script>' in body
    assert 'data-adapter="payment-element"' in body
    # The offline stand-in does not exist there: pay.js is told of no such route, and it answers 404.
    assert "confirm_url" not in post(client, link.url + "card/").json()
    assert post(client, link.url + "card/confirm-offline/").status_code == 404


@pytest.mark.parametrize("route", ["card/", "credit/", "card/confirm-offline/", "fresh-link/"])
def test_every_post_needs_the_csrf_token(site_a, route):
    browser = Client(enforce_csrf_checks=True)
    _, link = open_invoice(site_a)
    assert get(browser, link.url).status_code == 200  # sets the CSRF cookie, as a browser would get it
    assert post(browser, link.url + route).status_code == 403
    with_token = post(browser, link.url + route, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert with_token.status_code != 403


def test_get_on_a_post_route_is_refused(client, site_a):
    _, link = open_invoice(site_a)
    for route in ("card/", "credit/", "card/confirm-offline/"):
        assert get(client, link.url + route).status_code == 405


def test_the_offline_card_widget_is_refused_next_to_real_stripe(settings):
    settings.STRIPE_OFFLINE_JS = True
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    assert "invoicing.E101" in [error.id for error in check_stripe_keys()]
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"
    assert "invoicing.E101" not in [error.id for error in check_stripe_keys()]


def test_production_settings_never_turn_the_offline_widget_on():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "site_config.settings.production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "billing.example.com",
        "DATABASE_URL": "postgres://u@db/billing",
    }
    env.pop("STRIPE_SECRET_KEY", None)  # even on localstripe
    code = "import django; django.setup(); from invoicing.pay.headers import stripe_js; print(stripe_js())"
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True)
    assert "url='https://js.stripe.com/v3/', adapter='payment-element'" in result.stdout
