"""An automatic charge follows the invoice's terms: inside an early-payment discount's window it
charges the discounted price (and the discount settles the rest), after it the whole balance.
Against localstripe over HTTP."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import CardPayment, InvoiceEvent
from invoicing.services.autocharge import schedule_auto_charge
from invoicing.services.saved_cards import save_card
from tests.factories import ClientFactory, line, open_invoice

pytestmark = pytest.mark.django_db

VISA = "4242424242424242"


def charged_with_terms(site, stripe_server, capture, **terms):
    client = ClientFactory(site=site)
    save_card(client, stripe_server.card(VISA))
    invoice, _link = open_invoice(site, client=client, lines=[line(unit_price="120.00")], **terms)
    with capture(execute=True):
        schedule_auto_charge(invoice)
    invoice.refresh_from_db()
    return invoice


def test_inside_the_early_payment_window_the_card_is_charged_the_discounted_price(
    site_a, stripe_server, django_capture_on_commit_callbacks
):
    invoice = charged_with_terms(
        site_a,
        stripe_server,
        django_capture_on_commit_callbacks,
        early_discount_percent=Decimal(2),
        early_discount_days=10,
    )
    card_payment = CardPayment.objects.get(invoice=invoice)
    assert card_payment.amount == Decimal("117.60")
    assert stripe_server.intent(card_payment.intent_id)["amount"] == 11760
    assert invoice.status == InvoiceStatus.PAID
    assert (invoice.amount_paid, invoice.early_discount_taken, invoice.amount_due) == (
        Decimal("117.60"),
        Decimal("2.40"),
        Decimal("0.00"),
    )
    assert invoice.events.filter(kind=InvoiceEvent.Kind.EARLY_DISCOUNT_TAKEN).exists()


def test_after_the_window_the_whole_balance_is_charged(site_a, stripe_server, django_capture_on_commit_callbacks):
    issued_on = timezone.localdate()
    client = ClientFactory(site=site_a)
    save_card(client, stripe_server.card(VISA))
    invoice, _link = open_invoice(
        site_a,
        client=client,
        lines=[line(unit_price="120.00")],
        early_discount_percent=Decimal(2),
        early_discount_days=3,
    )
    with time_machine.travel(issued_on + timedelta(days=4)), django_capture_on_commit_callbacks(execute=True):
        schedule_auto_charge(invoice)
    invoice.refresh_from_db()
    assert CardPayment.objects.get(invoice=invoice).amount == Decimal("120.00")
    assert invoice.status == InvoiceStatus.PAID and invoice.early_discount_taken == 0
