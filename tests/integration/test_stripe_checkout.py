"""Paying by card against localstripe over HTTP: the intent is made on the server for the amount
the server computes, and only the intent fetched back from Stripe counts."""

import logging
from dataclasses import replace
from decimal import Decimal

import pytest

from invoicing.core.exceptions import (
    InvalidTransition,
    PaymentLinkInvalid,
    PaymentLinkUnusable,
    PaymentRejected,
    ProviderUnavailable,
    ValidationFailed,
)
from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import CardPayment, InvoiceEvent, Payment, PaymentMethod
from invoicing.providers.stripe import StripeProvider
from invoicing.services.card_payments import sync_card_payment
from invoicing.services.checkout import (
    card_payment_processing,
    complete_card_payment,
    confirm_card_offline,
    minimum_partial_amount,
    start_card_payment,
)
from invoicing.services.invoices import void_invoice
from invoicing.services.payments import apply_payment, pay_with_credit, record_manual_payment
from invoicing.services.tokens import resolve_payment_link, resolve_receipt_link, rotate_payment_link
from tests.factories import line, open_invoice
from tests.localstripe import CARD_REQUIRING_3DS, free_port

pytestmark = pytest.mark.django_db


def test_full_payment(site_a, stripe_server, anymail_outbox, django_capture_on_commit_callbacks):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="120.00")])
    checkout = start_card_payment(invoice)
    assert (checkout.amount, checkout.currency, checkout.publishable_key) == (
        Decimal("120.00"),
        "EUR",
        "pk_test_localstripe",
    )
    intent = stripe_server.intent(checkout.intent_id)
    assert intent["amount"] == 12000
    assert intent["metadata"] == {
        "invoice_id": str(invoice.pk),
        "invoice_number": invoice.number,
        "site_id": str(site_a.pk),
        "link_version": "1",
    }

    assert stripe_server.pay(checkout.intent_id)[0] == 200
    with django_capture_on_commit_callbacks(execute=True):
        outcome = complete_card_payment(invoice, checkout.intent_id)

    assert outcome.status == "succeeded" and outcome.result.created
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == Decimal("120.00")
    payment = invoice.payments.get()
    assert (payment.method, payment.provider_reference) == (PaymentMethod.STRIPE, checkout.intent_id)
    assert CardPayment.objects.get(intent_id=checkout.intent_id).payment == payment
    assert [m.subject for m in anymail_outbox] == [f"Receipt for invoice {invoice.number}"]
    # Coming back again (a reload) counts nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = complete_card_payment(invoice, checkout.intent_id)
    assert again.status == "succeeded" and not again.result.created
    assert Payment.objects.count() == 1 and len(anymail_outbox) == 1
    assert resolve_receipt_link(link.token, site=site_a) == invoice


def test_two_clicks_reuse_one_intent_and_a_new_amount_cancels_it(site_a, stripe_server):
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="100.00")], allow_partial_payments=True)
    first = start_card_payment(invoice)
    assert start_card_payment(invoice).intent_id == first.intent_id

    partial = start_card_payment(invoice, amount="40.00")

    assert partial.intent_id != first.intent_id and partial.amount == Decimal("40.00")
    assert stripe_server.intent(first.intent_id)["status"] == "canceled"
    assert CardPayment.objects.get(intent_id=first.intent_id).status == "canceled"
    # Back to the full amount: a new intent (a cancelled one cannot take money), with a new key.
    full_again = start_card_payment(invoice)
    assert full_again.intent_id not in {first.intent_id, partial.intent_id}
    assert CardPayment.objects.live().get().intent_id == full_again.intent_id


def test_partial_payment_rotates_the_link_and_the_receipt_carries_the_new_one(
    site_a, stripe_server, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="100.00")], allow_partial_payments=True)
    checkout = start_card_payment(invoice, amount=Decimal("30.00"))
    stripe_server.pay(checkout.intent_id)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = complete_card_payment(invoice, checkout.intent_id)

    invoice.refresh_from_db()
    assert outcome.status == "succeeded"
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_due == Decimal("70.00")
    new_link = outcome.result.new_link
    assert resolve_payment_link(new_link.token, site=site_a) == invoice
    # The browser still holds the old token: it opens the receipt, not the pay page.
    assert resolve_receipt_link(link.token, site=site_a) == invoice
    with pytest.raises(Exception, match="replaced"):
        resolve_payment_link(link.token, site=site_a)
    (receipt,) = anymail_outbox
    assert new_link.url in receipt.body
    # The rest is paid with a new intent for the new balance, under the new link's version.
    rest = start_card_payment(invoice)
    assert rest.amount == Decimal("70.00")
    assert CardPayment.objects.get(intent_id=rest.intent_id).link_version == 2


def test_credit_then_card_for_the_rest(site_a, stripe_server):
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="100.00")])
    earlier, _ = open_invoice(site_a, client=invoice.client, lines=[line(unit_price="10.00")])
    void_invoice(earlier, reason="Sent twice")
    apply_payment(earlier, method=PaymentMethod.MANUAL, amount="25.00", currency="EUR", provider_reference="bank-1")
    pay_with_credit(invoice)

    checkout = start_card_payment(invoice)
    assert checkout.amount == Decimal("75.00")
    stripe_server.pay(checkout.intent_id)
    complete_card_payment(invoice, checkout.intent_id)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert sorted(invoice.payments.values_list("method", "amount")) == [
        ("credit", Decimal("25.000")),
        ("stripe", Decimal("75.000")),
    ]


def test_declined_card_leaves_the_invoice_unchanged(site_a, stripe_server, anymail_outbox):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    status, body = stripe_server.pay(checkout.intent_id, "pm_card_chargeCustomerFail")
    assert status == 402

    outcome = complete_card_payment(invoice, checkout.intent_id)

    assert outcome.status == "requires_payment_method" and outcome.result is None
    assert "declined" in outcome.message
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0
    assert not Payment.objects.exists() and not anymail_outbox
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_FAILED).exists()
    # The same intent takes another card.
    assert start_card_payment(invoice).intent_id == checkout.intent_id


def test_3d_secure_requires_action_then_completes(site_a, stripe_server):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    stripe_server.pay(checkout.intent_id, stripe_server.card(CARD_REQUIRING_3DS))

    outcome = complete_card_payment(invoice, checkout.intent_id)
    assert outcome.status == "requires_action" and outcome.result is None
    assert start_card_payment(invoice).intent_id == checkout.intent_id

    stripe_server.authenticate(checkout.intent_id, checkout.client_secret, success=True)
    assert complete_card_payment(invoice, checkout.intent_id).status == "succeeded"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_amount_is_computed_on_the_server(site_a, stripe_server):
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="100.00")])
    with pytest.raises(ValidationFailed, match="paid in full"):
        start_card_payment(invoice, amount="1.00")
    partial, _ = open_invoice(site_a, lines=[line(unit_price="100.00")], allow_partial_payments=True)
    assert minimum_partial_amount(partial) == Decimal("0.50")
    for tampered, error in [
        ("100.01", "at most"),
        ("0.10", "smallest"),
        ("99.80", "leave at least"),
        ("-5", "smallest"),
        ("12.345", "decimal places"),
        ("abc", "amount such as"),
    ]:
        with pytest.raises(ValidationFailed, match=error):
            start_card_payment(partial, amount=tampered)
    assert not CardPayment.objects.exists()


def test_forged_returns_are_ignored(site_a, stripe_server):
    invoice, _link = open_invoice(site_a)
    other, _ = open_invoice(site_a)
    paid_elsewhere = start_card_payment(other)
    stripe_server.pay(paid_elsewhere.intent_id)
    unpaid = start_card_payment(invoice)

    # Another invoice's paid intent.
    with pytest.raises(PaymentRejected, match="does not belong"):
        complete_card_payment(invoice, paid_elsewhere.intent_id)
    # Our own intent, not paid: whatever the URL says (redirect_status=succeeded), Stripe says no.
    outcome = complete_card_payment(invoice, unpaid.intent_id)
    assert outcome.status == "requires_payment_method" and outcome.result is None
    # An id Stripe never issued.
    with pytest.raises(PaymentRejected):
        complete_card_payment(invoice, "pi_made_up")
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and not Payment.objects.exists()


def test_an_intent_whose_metadata_points_elsewhere_is_refused(site_a, stripe_server):
    """Our record says the intent is this invoice's, but Stripe's copy disagrees: nothing counts."""
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    stripe_server.http.post(
        f"{stripe_server.url}/v1/payment_intents/{checkout.intent_id}", data={"metadata[invoice_id]": "999"}
    ).raise_for_status()
    stripe_server.pay(checkout.intent_id)

    with pytest.raises(PaymentRejected, match="does not match"):
        complete_card_payment(invoice, checkout.intent_id)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    "change, mismatch",
    [
        ({"amount": Decimal("50.00"), "amount_received": Decimal("50.00")}, "amount"),
        ({"amount_received": Decimal("99.99")}, "amount_received"),
        ({"currency": "USD"}, "currency"),
        ({"livemode": True}, "livemode"),
    ],
    ids=["amount", "amount_received", "currency", "livemode"],
)
def test_a_succeeded_intent_for_another_amount_currency_or_mode_is_refused(
    site_a, stripe_server, monkeypatch, caplog, change, mismatch
):
    """The intent fetched on the return URL counts only if each of these matches what we started.

    The intent is localstripe's, paid for real, then changed on its way back from the provider:
    localstripe always runs in test mode, always receives exactly the amount, and its update API
    stores a new amount or currency untyped, so it cannot report such an intent itself.
    """
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="100.00")])
    checkout = start_card_payment(invoice)
    stripe_server.pay(checkout.intent_id)
    retrieve_intent = StripeProvider.retrieve_intent
    monkeypatch.setattr(
        StripeProvider, "retrieve_intent", lambda self, intent_id: replace(retrieve_intent(self, intent_id), **change)
    )

    with caplog.at_level(logging.ERROR, logger="invoicing"), pytest.raises(PaymentRejected, match="does not match"):
        complete_card_payment(invoice, checkout.intent_id)

    assert f"does not match invoice {invoice.pk}: {mismatch}\n" in caplog.text  # this field alone
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0
    assert not Payment.objects.exists()
    assert CardPayment.objects.get(intent_id=checkout.intent_id).payment is None


def test_void_invoice_cannot_start_a_payment(site_a, stripe_server):
    invoice, _link = open_invoice(site_a)
    void_invoice(invoice, reason="Cancelled order")
    with pytest.raises(InvalidTransition, match="void"):
        start_card_payment(invoice)


def test_stripe_down_changes_nothing_and_the_retry_reuses_the_key(site_a, stripe_server, settings, monkeypatch):
    keys_sent = []
    create_intent = StripeProvider.create_intent

    def recording_create_intent(self, **kwargs):  # a spy: the real call still happens
        keys_sent.append(kwargs["idempotency_key"])
        return create_intent(self, **kwargs)

    monkeypatch.setattr(StripeProvider, "create_intent", recording_create_intent)
    invoice, _link = open_invoice(site_a)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with pytest.raises(ProviderUnavailable) as raised:
        start_card_payment(invoice)

    assert raised.value.code == "provider_unavailable" and "try again" in raised.value.message
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0
    assert not CardPayment.objects.exists()
    assert not invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_STARTED).exists()
    settings.STRIPE_API_BASE = stripe_server.url
    checkout = start_card_payment(invoice)
    assert keys_sent == [f"invoice-{invoice.pk}-v1-10000EUR-0"] * 2
    assert CardPayment.objects.get().idempotency_key == keys_sent[0]
    assert checkout.amount == Decimal("100.00")


def test_processing_payment_blocks_a_second_one(site_a, stripe_server):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    # localstripe cannot hold a card payment in "processing"; the record is set as the webhook would.
    CardPayment.objects.filter(intent_id=checkout.intent_id).update(status="processing")
    assert card_payment_processing(invoice)
    with pytest.raises(PaymentRejected, match="processing"):
        start_card_payment(invoice)


@pytest.mark.parametrize(
    "currency, unit_price, minor_units",
    [("JPY", "1500", 1500), ("KWD", "12.345", 12345), ("USD", "19.99", 1999)],
)
def test_minor_units_follow_stripes_currency_table(site_a, stripe_server, currency, unit_price, minor_units):
    invoice, _link = open_invoice(site_a, currency=currency, lines=[line(unit_price=unit_price)])
    checkout = start_card_payment(invoice)
    intent = stripe_server.intent(checkout.intent_id)
    assert (intent["amount"], intent["currency"]) == (minor_units, currency.lower())

    stripe_server.pay(checkout.intent_id)
    complete_card_payment(invoice, checkout.intent_id)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == Decimal(unit_price)


def test_offline_the_server_confirms_the_card_the_fake_stripe_js_made(site_a, stripe_server):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)

    outcome = confirm_card_offline(invoice, checkout.intent_id, stripe_server.card_from_stripe_js())

    assert outcome.status == "succeeded" and outcome.result.created
    other, _ = open_invoice(site_a)
    with pytest.raises(PaymentRejected, match="does not belong"):
        confirm_card_offline(other, checkout.intent_id, stripe_server.card_from_stripe_js())


def test_offline_confirmation_is_refused_with_a_real_key(site_a, stripe_server, settings):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    settings.STRIPE_SECRET_KEY = "sk_test_a_real_account"  # localstripe accepts any key
    with pytest.raises(PaymentRejected, match="in the browser"):
        confirm_card_offline(invoice, checkout.intent_id, stripe_server.card_from_stripe_js())
    assert stripe_server.intent(checkout.intent_id)["status"] == "requires_payment_method"


def test_a_manual_payment_waits_for_a_processing_card_payment(site_a, stripe_server, admin_user):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    CardPayment.objects.filter(intent_id=checkout.intent_id).update(status="processing")
    with pytest.raises(PaymentRejected, match="still processing"):
        record_manual_payment(invoice, reason="Bank transfer", by=admin_user)


def test_only_a_link_replaced_by_a_payment_still_opens_the_receipt(site_a, site_b, stripe_server):
    invoice, link = open_invoice(site_a)
    rotate_payment_link(invoice)
    with pytest.raises(PaymentLinkUnusable):
        resolve_receipt_link(link.token, site=site_a)
    with pytest.raises(PaymentLinkInvalid):
        resolve_receipt_link(link.token, site=site_b)


def test_offline_a_declined_card_says_why_and_3d_secure_waits_for_the_bank(site_a, stripe_server):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    with pytest.raises(PaymentRejected, match="declined"):
        confirm_card_offline(invoice, checkout.intent_id, stripe_server.card_from_stripe_js("4000000000000341"))
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_FAILED).count() == 1

    other, _ = open_invoice(site_a)
    secure = start_card_payment(other)
    outcome = confirm_card_offline(other, secure.intent_id, stripe_server.card_from_stripe_js(CARD_REQUIRING_3DS))
    assert outcome.status == "requires_action" and outcome.result is None
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and not Payment.objects.exists()


def test_a_cancelled_card_payment_never_moves_back(site_a, stripe_server):
    """A final status is never left: late news of an earlier attempt changes nothing.

    Stripe never reports a cancelled intent as anything else, so the late news is the intent as
    it was before the cancellation, built from localstripe's.
    """
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    provider = StripeProvider.from_settings()
    before = provider.retrieve_intent(checkout.intent_id)
    provider.cancel_intent(checkout.intent_id)
    card_payment = CardPayment.objects.get(intent_id=checkout.intent_id)
    sync_card_payment(card_payment, provider.retrieve_intent(checkout.intent_id), provider=provider)

    late = replace(before, failure_message="Your card was declined.")
    assert sync_card_payment(card_payment, late, provider=provider) is None

    card_payment.refresh_from_db()
    assert (card_payment.status, card_payment.last_error) == ("canceled", "")
    assert not invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_FAILED).exists()
