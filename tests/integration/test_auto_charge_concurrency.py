"""Several workers running the automatic-charge sweep at once, with real threads and row locks on
PostgreSQL (SQLite would hide a missing lock), against localstripe: each attempt is charged once."""

import pytest

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import AutoCharge, CardPayment, Payment
from invoicing.services.autocharge import run_due_auto_charges
from invoicing.services.saved_cards import save_card
from tests.factories import ClientFactory, line, make_website, open_invoice
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 6


def test_concurrent_sweeps_charge_each_invoice_once(stripe_server):
    site = make_website("autocharge-race.test")
    invoices = []
    for _ in range(3):
        client = ClientFactory(site=site)
        card = save_card(client, stripe_server.card("4242424242424242"))
        invoice, _link = open_invoice(site, client=client, lines=[line(unit_price="80.00")])
        # Made directly, not by schedule_auto_charge: its first attempt would run at once on commit.
        AutoCharge.objects.create(invoice=invoice, saved_card=card, next_attempt_at=invoice.issued_at)
        invoices.append(invoice)

    results = run_together(lambda _: run_due_auto_charges(), range(WORKERS))

    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(results) == len(invoices)
    assert Payment.objects.count() == len(invoices)
    assert CardPayment.objects.count() == len(invoices)
    # What Stripe charged: localstripe ignores idempotency keys, so a second try would show here.
    charged = stripe_server.http.get(f"{stripe_server.url}/v1/payment_intents").json()["data"]
    assert len(charged) == len(invoices)
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert invoice.auto_charge.attempts == 1
