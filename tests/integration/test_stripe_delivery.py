"""localstripe's own webhook deliveries, signed by it, to our endpoint on a live server."""

import time
from pathlib import Path

import pytest

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import Invoice, Payment, StripeEvent
from invoicing.services.checkout import start_card_payment
from tests.conftest import STRIPE_WEBHOOK_SECRET
from tests.factories import open_invoice

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, seconds=20):
    """localstripe delivers about a second after the payment; polled, never timed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_localstripe_delivers_and_the_payment_counts_once(site_a, stripe_server, live_server):
    stripe_server.register_webhook(
        f"{live_server.url}/api/v1/order-payments/webhooks/stripe/", secret=STRIPE_WEBHOOK_SECRET
    )
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)

    assert stripe_server.pay(checkout.intent_id)[0] == 200

    assert wait_for(lambda: StripeEvent.objects.filter(type="payment_intent.succeeded", status="processed").exists())
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert Payment.objects.get().provider_reference == checkout.intent_id


def test_a_delivery_signed_with_another_secret_is_refused(site_a, stripe_server, live_server):
    stripe_server.register_webhook(f"{live_server.url}/api/v1/order-payments/webhooks/stripe/", secret="whsec_wrong")
    log = Path(stripe_server.log)
    refused_before = log.read_text().count("failed with response code 400")
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    stripe_server.pay(checkout.intent_id)

    # localstripe logs each answer: wait for ours, a 400, then check that nothing was written.
    assert wait_for(lambda: log.read_text().count("failed with response code 400") > refused_before)
    assert not StripeEvent.objects.exists() and not Payment.objects.exists()
