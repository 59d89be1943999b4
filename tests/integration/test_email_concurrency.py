"""A payment delivered from many threads at once (webhook, return URL, reconciliation) gets one
receipt, sent once. On PostgreSQL, with real row locks (see test_concurrency)."""

import pytest

from invoicing.models import Invoice, OutboundEmail, PaymentMethod
from invoicing.services.payments import apply_payment
from tests.factories import make_website, open_invoice
from tests.integration.test_concurrency import THREADS, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_concurrent_deliveries_of_one_payment_send_one_receipt(anymail_outbox):
    site = make_website("receipts.test")
    invoice, _ = open_invoice(site)
    results = run_together(
        lambda _: apply_payment(
            Invoice.objects.get(pk=invoice.pk),
            method=PaymentMethod.STRIPE,
            amount=invoice.total,
            currency=invoice.currency,
            provider_reference="pi_receipt_race",
        ),
        range(THREADS),
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(result.created for result in results) == 1
    receipt = OutboundEmail.objects.get(kind="receipt")
    assert receipt.status == OutboundEmail.Status.SENT
    assert [message.to for message in anymail_outbox] == [[invoice.billing_email]]
