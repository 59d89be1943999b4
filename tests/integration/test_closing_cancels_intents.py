"""Voiding, writing off or recording a manual payment cancels the invoice's live PaymentIntents at
Stripe (localstripe over HTTP) first, so that a pay tab left open can no longer charge the card.
If Stripe refuses or cannot be reached, the invoice is left as it was."""

from decimal import Decimal

import pytest
import requests

from invoicing.core.exceptions import PaymentRejected, ProviderUnavailable
from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import CardPayment, CreditEntry, InvoiceEvent
from invoicing.services.checkout import complete_card_payment, start_card_payment
from invoicing.services.invoices import mark_uncollectible, void_invoice
from invoicing.services.payments import record_manual_payment
from tests.factories import line, open_invoice
from tests.localstripe import free_port

pytestmark = pytest.mark.django_db

CLOSINGS = {
    "void": lambda invoice, user: void_invoice(invoice, reason="Ordered twice", by=user),
    "write off": lambda invoice, user: mark_uncollectible(invoice, reason="Client vanished", by=user),
    "manual payment": lambda invoice, user: record_manual_payment(invoice, reason="Bank transfer", by=user),
    "manual part payment": lambda invoice, user: record_manual_payment(
        invoice, reason="Bank transfer", by=user, amount=Decimal("20.00")
    ),
}


def confirm_in_open_tab(stripe_server, intent_id):
    """The HTTP status Stripe answers the client's confirmation with."""
    try:
        return stripe_server.pay(intent_id)[0]
    except requests.HTTPError as refused:  # already refused when the card is attached
        return refused.response.status_code


@pytest.mark.parametrize("closing", CLOSINGS)
def test_the_open_tab_can_no_longer_charge_the_card(closing, site_a, stripe_server, admin_user):
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="80.00")], allow_partial_payments=True)
    checkout = start_card_payment(invoice)

    CLOSINGS[closing](invoice, admin_user)

    assert stripe_server.intent(checkout.intent_id)["status"] == "canceled"
    assert CardPayment.objects.get(intent_id=checkout.intent_id).status == CardPayment.Status.CANCELED
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_CANCELED, data__intent=checkout.intent_id).exists()
    # The client confirms in the tab left open: Stripe refuses, and no money moves.
    assert confirm_in_open_tab(stripe_server, checkout.intent_id) >= 400
    assert stripe_server.intent(checkout.intent_id)["status"] == "canceled"
    assert complete_card_payment(invoice, checkout.intent_id).result is None
    assert not invoice.payments.filter(method="stripe").exists()
    assert CreditEntry.objects.balance(invoice.client, "EUR") == 0


def test_a_payment_the_client_just_confirmed_stops_the_void_and_is_counted(site_a, stripe_server, admin_user):
    """The race: the card was charged a moment before the void, and no webhook has arrived yet."""
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="80.00")])
    checkout = start_card_payment(invoice)
    assert stripe_server.pay(checkout.intent_id)[0] == 200

    with pytest.raises(PaymentRejected, match="under way"):
        void_invoice(invoice, reason="Ordered twice", by=admin_user)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.payment_link.ended_at is None
    assert complete_card_payment(invoice, checkout.intent_id).result.created
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_processing_card_payment_stops_a_write_off(site_a, stripe_server, admin_user):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    # localstripe cannot hold a card payment in "processing"; the record is set as the webhook would.
    CardPayment.objects.filter(intent_id=checkout.intent_id).update(status="processing")

    with pytest.raises(PaymentRejected, match="under way"):
        mark_uncollectible(invoice, reason="Client vanished", by=admin_user)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN


def test_stripe_down_leaves_the_invoice_open_and_the_intent_live(site_a, stripe_server, settings, admin_user):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with pytest.raises(ProviderUnavailable):
        void_invoice(invoice, reason="Ordered twice", by=admin_user)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.payment_link.ended_at is None
    assert CardPayment.objects.get(intent_id=checkout.intent_id).status == "requires_payment_method"
    assert not invoice.events.filter(kind=InvoiceEvent.Kind.VOIDED).exists()


def test_without_a_live_intent_closing_never_calls_stripe(site_a, settings, admin_user):
    invoice, _link = open_invoice(site_a)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # a call would fail

    void_invoice(invoice, reason="Ordered twice", by=admin_user)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
