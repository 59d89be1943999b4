"""Races, with real threads and real row locks. SQLite serialises writers and has no row locks,
so it would hide a missing ``select_for_update``: these run on PostgreSQL (CI does)."""

from decimal import Decimal

import pytest

from invoicing.models import CreditEntry, Invoice, OutboundEmail, Payment, PaymentMethod
from invoicing.services.invoices import issue_invoice
from invoicing.services.payments import apply_payment, pay_with_credit
from tests.factories import ClientFactory, draft_invoice, make_website, open_invoice
from tests.threads import run_together

THREADS = 8

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_issues_get_unique_gapless_numbers():
    site = make_website("race.test", prefix="R", number_format="{prefix}-{number:04}")
    invoices = [draft_invoice(site) for _ in range(THREADS * 2)]
    results = run_together(lambda invoice: issue_invoice(Invoice.objects.get(pk=invoice.pk)), invoices)
    assert not [r for r in results if isinstance(r, Exception)]
    numbers = sorted(Invoice.objects.filter(site=site).values_list("number", flat=True))
    assert numbers == [f"R-{n:04d}" for n in range(1, THREADS * 2 + 1)]


def test_the_same_payment_applied_from_many_threads_counts_once_with_one_receipt(anymail_outbox):
    site = make_website("dup.test")
    invoice, _ = open_invoice(site)
    results = run_together(
        lambda _: apply_payment(
            Invoice.objects.get(pk=invoice.pk),
            method=PaymentMethod.STRIPE,
            amount=invoice.total,
            currency=invoice.currency,
            provider_reference="pi_same",
        ),
        range(THREADS),
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(result.created for result in results) == 1
    assert Payment.objects.filter(invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("paid", invoice.total)
    assert not CreditEntry.objects.exists()
    receipt = OutboundEmail.objects.get(kind="receipt")
    assert receipt.status == OutboundEmail.Status.SENT
    assert [message.to for message in anymail_outbox] == [[invoice.billing_email]]


def test_different_payments_racing_for_one_balance_never_lose_money():
    site = make_website("split.test")
    invoice, _ = open_invoice(site)  # 100.00 due
    results = run_together(
        lambda n: apply_payment(
            Invoice.objects.get(pk=invoice.pk),
            method=PaymentMethod.MANUAL,
            amount=Decimal("30.00"),
            currency="EUR",
            provider_reference=f"transfer-{n}",
        ),
        range(5),
    )
    assert not [r for r in results if isinstance(r, Exception)]
    invoice.refresh_from_db()
    # 150.00 arrived for 100.00 due: the invoice is paid and 50.00 is the client's credit.
    assert (invoice.status, invoice.amount_paid) == ("paid", Decimal("100.00"))
    assert CreditEntry.objects.balance(invoice.client, "EUR") == Decimal("50.00")


def test_concurrent_credit_spends_never_overdraw_the_wallet():
    site = make_website("wallet.test")
    client = ClientFactory(site=site)
    invoices = [open_invoice(site, client=client)[0] for _ in range(4)]
    seed = open_invoice(site, client=client)[0]
    # 150.00 of credit, from an overpayment.
    apply_payment(
        seed, method=PaymentMethod.MANUAL, amount=Decimal("250.00"), currency="EUR", provider_reference="over"
    )
    results = run_together(
        lambda invoice: pay_with_credit(Invoice.objects.get(pk=invoice.pk), amount=Decimal("100.00")), invoices
    )
    succeeded = [r for r in results if not isinstance(r, Exception)]
    assert len(succeeded) == 1
    assert CreditEntry.objects.balance(client, "EUR") == Decimal("50.00")
