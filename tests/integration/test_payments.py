from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from invoicing.core import signals
from invoicing.core.exceptions import InvalidTransition, PaymentRejected, ValidationFailed
from invoicing.models import CreditEntry, Invoice, Payment, PaymentMethod, Refund, StripeEvent
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import (
    apply_payment,
    credit_balance,
    pay_with_credit,
    record_manual_payment,
    record_refund,
)
from tests.factories import ClientFactory, draft_invoice, line, open_invoice


def pay(invoice, amount, reference="pi_1", method=PaymentMethod.STRIPE, currency=None):
    return apply_payment(
        invoice,
        method=method,
        amount=Decimal(amount),
        currency=currency or invoice.currency,
        provider_reference=reference,
    )


def test_a_full_payment_settles_the_invoice(site_a, django_capture_on_commit_callbacks):
    invoice, _ = open_invoice(site_a)
    received = []
    signals.invoice_paid.connect(lambda **kw: received.append(kw["invoice"].pk), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = pay(invoice, "100.00")
        # invoice_paid waits for the commit.
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        signals.invoice_paid.disconnect(dispatch_uid="t")
    assert received == [invoice.pk]
    invoice.refresh_from_db()
    assert result.created and invoice.status == "paid" and invoice.paid_at is not None
    assert invoice.is_paid and invoice.amount_due == Decimal("0.00") and invoice.payment == result.payment


def test_applying_the_same_payment_twice_records_it_once(site_a):
    invoice, _ = open_invoice(site_a)
    first = pay(invoice, "40.00")
    second = pay(invoice, "40.00")
    assert first.created and not second.created
    assert second.payment == first.payment
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("40.00")
    assert Payment.objects.count() == 1
    assert invoice.events.filter(kind="payment_received").count() == 1


def test_the_database_itself_refuses_a_second_payment_refund_or_event_with_the_same_reference(site_a):
    """The last line behind the row locks: writes that skip the services still cannot count twice."""
    invoice, _ = open_invoice(site_a)
    payment = pay(invoice, "40.00").payment
    Refund.objects.create(payment=payment, amount=Decimal("1.00"), provider_reference="re_1")
    StripeEvent.objects.create(event_id="evt_1", type="payment_intent.succeeded", payload={})
    duplicates = [
        lambda: Payment.objects.create(
            invoice=invoice,
            method=PaymentMethod.STRIPE,
            amount=Decimal("40.00"),
            currency="EUR",
            provider_reference="pi_1",
        ),
        lambda: Refund.objects.create(payment=payment, amount=Decimal("1.00"), provider_reference="re_1"),
        lambda: StripeEvent.objects.create(event_id="evt_1", type="payment_intent.succeeded", payload={}),
    ]
    for duplicate in duplicates:
        with pytest.raises(IntegrityError), transaction.atomic():
            duplicate()
    assert (Payment.objects.count(), Refund.objects.count(), StripeEvent.objects.count()) == (1, 1, 1)


def test_a_reference_reused_for_another_invoice_or_amount_is_rejected(site_a):
    first, _ = open_invoice(site_a)
    second, _ = open_invoice(site_a)
    pay(first, "40.00")
    with pytest.raises(PaymentRejected, match="already used"):
        pay(second, "40.00")
    with pytest.raises(PaymentRejected, match="already used"):
        pay(first, "41.00")
    assert Payment.objects.count() == 1


def test_the_same_reference_under_another_method_is_another_payment(site_a):
    invoice, _ = open_invoice(site_a)
    pay(invoice, "10.00", reference="R1", method=PaymentMethod.STRIPE)
    pay(invoice, "10.00", reference="R1", method=PaymentMethod.MANUAL)
    assert Payment.objects.count() == 2


def test_an_overpayment_becomes_credit_and_raises_an_alert(site_a, caplog):
    invoice, _ = open_invoice(site_a)
    result = pay(invoice, "130.00")
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.amount_paid == Decimal("100.00")
    assert result.credited == Decimal("30.00")
    assert credit_balance(invoice.client, "EUR") == Decimal("30.00")
    assert CreditEntry.objects.get().kind == CreditEntry.Kind.OVERPAYMENT
    assert "30.00 EUR on client" in caplog.text
    assert invoice.events.filter(kind="overpayment_credited").exists()


def test_money_for_a_void_invoice_is_credited_in_full(site_a):
    invoice, _ = open_invoice(site_a)
    invoice_services.void_invoice(invoice, reason="Duplicate")
    result = pay(invoice, "100.00")
    invoice.refresh_from_db()
    assert invoice.status == "void" and invoice.amount_paid == 0
    assert result.credited == Decimal("100.00")
    assert CreditEntry.objects.get().kind == CreditEntry.Kind.UNAPPLIED_PAYMENT


def test_a_refund_takes_back_first_what_went_to_the_clients_credit(site_a):
    """An overpayment refunded from Stripe's dashboard: no credit stays for money sent back."""
    invoice, _ = open_invoice(site_a)  # 100.00
    payment = pay(invoice, "130.00").payment  # 30.00 to credit
    client = invoice.client

    record_refund(payment, amount=Decimal("20.00"), provider_reference="re_1")
    assert CreditEntry.objects.balance(client, "EUR") == Decimal("10.00")
    record_refund(payment, amount=Decimal("50.00"), provider_reference="re_2")  # 10 of credit, 40 of the invoice's
    record_refund(payment, amount=Decimal("50.00"), provider_reference="re_2")  # the same news again
    assert CreditEntry.objects.balance(client, "EUR") == 0
    assert list(payment.credit_entries.order_by("id").values_list("kind", "amount")) == [
        (CreditEntry.Kind.OVERPAYMENT, Decimal("30.00")),
        (CreditEntry.Kind.REFUNDED_TO_CARD, Decimal("-20.00")),
        (CreditEntry.Kind.REFUNDED_TO_CARD, Decimal("-10.00")),
    ]


def test_a_refund_never_takes_back_credit_the_client_has_spent(site_a):
    invoice, _ = open_invoice(site_a)
    payment = pay(invoice, "130.00").payment  # 30.00 to credit
    later, _ = open_invoice(site_a, client=invoice.client, lines=[line(unit_price="25.00")])
    pay_with_credit(later)  # 25.00 of it spent, 5.00 left

    record_refund(payment, amount=Decimal("20.00"), provider_reference="re_1")

    assert CreditEntry.objects.balance(invoice.client, "EUR") == 0  # 5.00 back; the rest was the invoice's
    assert payment.credit_entries.get(kind=CreditEntry.Kind.REFUNDED_TO_CARD).amount == Decimal("-5.00")


def test_a_refund_of_money_for_a_void_invoice_comes_out_of_its_credit(site_a):
    invoice, _ = open_invoice(site_a)
    invoice_services.void_invoice(invoice, reason="Duplicate")
    payment = pay(invoice, "100.00").payment
    record_refund(payment, amount=Decimal("30.00"), provider_reference="re_1")
    assert CreditEntry.objects.balance(invoice.client, "EUR") == Decimal("70.00")


def test_an_uncollectible_invoice_is_settled_by_late_money(site_a):
    invoice, _ = open_invoice(site_a)
    invoice_services.mark_uncollectible(invoice, reason="Silent")
    pay(invoice, "100.00")
    invoice.refresh_from_db()
    assert invoice.status == "paid"


@pytest.mark.parametrize(
    ("amount", "currency", "error"),
    [
        ("0", "EUR", ValidationFailed),
        ("-5", "EUR", ValidationFailed),
        ("1.001", "EUR", ValidationFailed),
        ("10", "USD", PaymentRejected),
    ],
)
def test_bad_amounts_and_currencies_are_refused_and_nothing_is_written(site_a, amount, currency, error):
    invoice, _ = open_invoice(site_a)
    with pytest.raises(error):
        pay(invoice, amount, currency=currency)
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0


def test_a_draft_takes_no_money(site_a):
    with pytest.raises(InvalidTransition, match="draft"):
        pay(draft_invoice(site_a), "10.00")
    assert not Payment.objects.exists()


def test_money_is_computed_in_the_invoice_currency_exponent(site_a):
    invoice, _ = open_invoice(site_a, currency="JPY", lines=[line(quantity="3", unit_price="333", tax_rate="10")])
    assert invoice.total == Decimal(1099)
    with pytest.raises(ValidationFailed):
        pay(invoice, "1099.5")
    pay(invoice, "1099")
    invoice.refresh_from_db()
    assert invoice.status == "paid"


class TestManualPayments:
    def test_needs_a_reason(self, site_a, admin_user):
        invoice, _ = open_invoice(site_a)
        with pytest.raises(ValidationFailed, match="reason"):
            record_manual_payment(invoice, reason=" ", by=admin_user)
        assert not Payment.objects.exists()

    def test_defaults_to_the_balance_and_keeps_who_and_why(self, site_a, admin_user):
        invoice, _ = open_invoice(site_a)
        result = record_manual_payment(invoice, reason="Bank transfer 12/03", by=admin_user, reference="BANK-77")
        payment = result.payment
        assert (payment.amount, payment.method, payment.note) == (Decimal("100.00"), "manual", "Bank transfer 12/03")
        assert payment.recorded_by == admin_user and payment.provider_reference == "BANK-77"
        assert invoice.events.get(kind="payment_received").actor == admin_user

    def test_is_refused_while_a_card_payment_is_processing(self, site_a, admin_user):
        invoice, _ = open_invoice(site_a)
        Payment.objects.create(
            invoice=invoice,
            method=PaymentMethod.STRIPE,
            amount=invoice.total,
            currency="EUR",
            status=Payment.Status.PROCESSING,
            provider_reference="pi_processing",
        )
        with pytest.raises(PaymentRejected, match="processing"):
            record_manual_payment(invoice, reason="Cash", by=admin_user)
        assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0


class TestCredit:
    @pytest.fixture
    def client_with_credit(self, site_a):
        client = ClientFactory(site=site_a)
        invoice, _ = open_invoice(site_a, client=client)
        pay(invoice, "175.00", reference="over")
        assert credit_balance(client, "EUR") == Decimal("75.00")
        return client

    def test_credit_pays_part_of_an_invoice(self, site_a, client_with_credit):
        invoice, _ = open_invoice(site_a, client=client_with_credit)
        result = pay_with_credit(invoice)
        invoice.refresh_from_db()
        assert result.payment.method == "credit" and result.payment.amount == Decimal("75.00")
        assert invoice.amount_due == Decimal("25.00") and invoice.status == "open"
        assert credit_balance(client_with_credit, "EUR") == Decimal("0.00")

    def test_credit_pays_a_whole_invoice(self, site_a, client_with_credit):
        invoice, _ = open_invoice(site_a, client=client_with_credit, lines=[line(unit_price="60.00")])
        pay_with_credit(invoice)
        invoice.refresh_from_db()
        assert invoice.status == "paid"
        assert credit_balance(client_with_credit, "EUR") == Decimal("15.00")

    def test_more_than_the_balance_or_the_amount_due_is_refused(self, site_a, client_with_credit):
        invoice, _ = open_invoice(site_a, client=client_with_credit, lines=[line(unit_price="50.00")])
        with pytest.raises(PaymentRejected, match="75.00"):
            pay_with_credit(invoice, amount=Decimal("80.00"))
        with pytest.raises(PaymentRejected, match="at most the amount due"):
            pay_with_credit(invoice, amount=Decimal("60.00"))
        assert credit_balance(client_with_credit, "EUR") == Decimal("75.00")

    def test_credit_is_per_currency(self, site_a, client_with_credit):
        invoice, _ = open_invoice(site_a, client=client_with_credit, currency="USD")
        with pytest.raises(PaymentRejected, match="0.00"):
            pay_with_credit(invoice)

    def test_refunding_a_credit_payment_returns_the_credit(self, site_a, client_with_credit):
        invoice, _ = open_invoice(site_a, client=client_with_credit)
        result = pay_with_credit(invoice, amount=Decimal("20.00"))
        record_refund(result.payment, amount=Decimal("20.00"), provider_reference="r-credit")
        assert credit_balance(client_with_credit, "EUR") == Decimal("75.00")


class TestRefunds:
    def test_partial_refunds_each_count_once(self, site_a, django_capture_on_commit_callbacks):
        invoice, _ = open_invoice(site_a)
        payment = pay(invoice, "100.00").payment
        refunded = []
        signals.payment_refunded.connect(lambda **kw: refunded.append(kw["refund"].pk), weak=False, dispatch_uid="t")
        try:
            with django_capture_on_commit_callbacks(execute=True):
                first, created_first = record_refund(payment, amount=Decimal("30.00"), provider_reference="re_1")
                again, created_again = record_refund(payment, amount=Decimal("30.00"), provider_reference="re_1")
                _, created_second = record_refund(payment, amount=Decimal("50.00"), provider_reference="re_2")
        finally:
            signals.payment_refunded.disconnect(dispatch_uid="t")
        assert (created_first, created_again, created_second) == (True, False, True)
        assert again == first
        assert payment.amount_refunded == Decimal("80.00") and payment.refundable_amount == Decimal("20.00")
        assert len(refunded) == 2
        assert invoice.events.filter(kind="refunded").count() == 2

    def test_more_than_the_payment_cannot_be_refunded(self, site_a):
        invoice, _ = open_invoice(site_a)
        payment = pay(invoice, "100.00").payment
        record_refund(payment, amount=Decimal("90.00"), provider_reference="re_1")
        with pytest.raises(PaymentRejected, match="10.00"):
            record_refund(payment, amount=Decimal("10.01"), provider_reference="re_2")
        assert Refund.objects.count() == 1
