"""A card payment reported at once by many webhook deliveries and many returning browsers, with
real threads and row locks on PostgreSQL (SQLite would hide a missing lock), against localstripe."""

import json

import pytest

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import CardPayment, Invoice, OutboundEmail, Payment, StripeEvent
from invoicing.services.checkout import complete_card_payment, start_card_payment
from invoicing.services.stripe_events import receive_stripe_event
from tests.conftest import STRIPE_WEBHOOK_SECRET
from tests.factories import make_website, open_invoice
from tests.localstripe import stripe_signature
from tests.threads import run_together

CALLS = 20

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_reports_of_one_payment_count_it_once(stripe_server, anymail_outbox):
    site = make_website("race.test")
    invoice, _link = open_invoice(site)
    checkout = start_card_payment(invoice)
    stripe_server.pay(checkout.intent_id)
    event = next(
        e for e in stripe_server.events("payment_intent.succeeded") if e["data"]["object"]["id"] == checkout.intent_id
    )
    body = json.dumps(event).encode()

    def report(number):
        if number % 2:  # a (re)delivery of the webhook
            return receive_stripe_event(body, stripe_signature(body, STRIPE_WEBHOOK_SECRET))
        return complete_card_payment(Invoice.objects.get(pk=invoice.pk), checkout.intent_id)  # a returning tab

    results = run_together(report, range(CALLS))

    assert not [r for r in results if isinstance(r, Exception)]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == invoice.total
    assert Payment.objects.count() == 1
    assert CardPayment.objects.get().payment == Payment.objects.get()
    assert StripeEvent.objects.get().attempts == 1
    assert OutboundEmail.objects.filter(kind="receipt").count() == 1
    assert len(anymail_outbox) == 1


def test_concurrent_clicks_on_pay_share_one_intent(stripe_server):
    site = make_website("clicks.test")
    invoice, _link = open_invoice(site)

    results = run_together(lambda _: start_card_payment(Invoice.objects.get(pk=invoice.pk)), range(6))

    assert not [r for r in results if isinstance(r, Exception)]
    assert len({checkout.intent_id for checkout in results}) == 1
    assert CardPayment.objects.count() == 1
