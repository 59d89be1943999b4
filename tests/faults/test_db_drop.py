"""The database connection dropped inside ``apply_payment``, on PostgreSQL.

The drop is real: a second connection calls ``pg_terminate_backend`` on the test's own backend,
from a hook injected with monkeypatch around one of ``apply_payment``'s inner calls (the points
are named in ``DROP_POINTS``), so the transaction dies half-way with the Payment row inserted.
Nothing of it may survive: no Payment, the invoice's amounts as before, no event, no email queued
or sent. Once Django has reconnected, a retry counts the payment exactly once.

SQLite has no server to lose: these run on PostgreSQL only (CI runs them there).
"""

from decimal import Decimal

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connection

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import CardPayment, Invoice, InvoiceEvent, OutboundEmail, Payment, PaymentLink, PaymentMethod
from invoicing.services import payments
from invoicing.services.payments import apply_payment
from tests.factories import line, make_website, open_invoice

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Inner calls of apply_payment, in the order it makes them, all inside its transaction: right after
# the Payment row is inserted; after the invoice's balance and status are saved; the outbox, last.
DROP_POINTS = ["record_event", "_settle", "queue_receipt"]


def terminate(pid):
    """From a second connection, as an administrator (or a failover) would."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)


def rows():
    return (
        Payment.objects.count(),
        InvoiceEvent.objects.count(),
        OutboundEmail.objects.count(),
        PaymentLink.objects.count(),
        CardPayment.objects.count(),
    )


def pay(invoice, amount):
    return apply_payment(
        Invoice.objects.get(pk=invoice.pk),
        method=PaymentMethod.STRIPE,
        amount=amount,
        currency="EUR",
        provider_reference="pi_dropped",
    )


@pytest.mark.parametrize("point", DROP_POINTS)
@pytest.mark.parametrize("amount", ["100.00", "40.00"], ids=["full", "partial"])
def test_a_dropped_connection_leaves_nothing_and_the_retry_counts_once(point, amount, monkeypatch, anymail_outbox):
    invoice, _link = open_invoice(make_website("drop.test"), lines=[line(unit_price="100.00")])
    invoice.refresh_from_db()
    before = (invoice.status, invoice.amount_paid, invoice.payment_link_id, rows())
    pid = connection.cursor().connection.info.backend_pid
    calls = []
    inner = getattr(payments, point)

    def dropping(*args, **kwargs):
        if not calls:
            calls.append(point)
            # Inside apply_payment's transaction, with the Payment row already inserted in it.
            assert connection.in_atomic_block and Payment.objects.filter(provider_reference="pi_dropped").exists()
            terminate(pid)
        return inner(*args, **kwargs)

    monkeypatch.setattr(payments, point, dropping)

    with pytest.raises((OperationalError, InterfaceError)):
        pay(invoice, Decimal(amount))

    assert calls == [point]
    # Django dropped the broken connection when the rollback failed; the next query opens a new one.
    connection.close()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.payment_link_id, rows()) == before
    assert anymail_outbox == []

    result = pay(invoice, Decimal(amount))  # the hook fires once: this is the retry, on a new connection
    again = pay(invoice, Decimal(amount))  # and Stripe's next delivery of the same payment

    assert result.created and not again.created and again.payment == result.payment
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal(amount)
    assert invoice.status == (InvoiceStatus.PAID if amount == "100.00" else InvoiceStatus.OPEN)
    assert Payment.objects.count() == 1
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_RECEIVED).count() == 1
    assert OutboundEmail.objects.count() == 1 and len(anymail_outbox) == 1
