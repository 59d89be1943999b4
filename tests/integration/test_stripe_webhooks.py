"""Stripe's webhook over HTTP, through Django's test client: signed on the raw body, stored once
in the inbox, applied once whatever the order or the number of deliveries.

The events are the ones localstripe recorded for real payments, fetched from its API and signed
here with Stripe's scheme (localstripe's own deliveries are covered by the live-server test at the
end). localstripe never sends ``charge.refunded``, so that event is built here from its charge.
"""

import json
import logging
import time
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import BillingSettings, CardPayment, CreditEntry, InvoiceEvent, Payment, Refund, StripeEvent
from invoicing.providers.stripe import StripeProvider
from invoicing.services.checkout import complete_card_payment, start_card_payment
from invoicing.services.invoices import void_invoice
from invoicing.services.payments import pay_with_credit, record_manual_payment
from invoicing.services.stripe_events import replay_stripe_event
from tests.conftest import STRIPE_WEBHOOK_SECRET
from tests.factories import line, open_invoice
from tests.localstripe import free_port, stripe_signature

pytestmark = pytest.mark.django_db
URL = "/api/v1/order-payments/webhooks/stripe/"


def deliver(client, event, *, secret=STRIPE_WEBHOOK_SECRET, timestamp=None):
    body = json.dumps(event).encode()
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=stripe_signature(body, secret, timestamp),
    )


def event_for(stripe_server, type, intent_id):
    return next(e for e in stripe_server.events(type) if e["data"]["object"]["id"] == intent_id)


def paid_intent(site, stripe_server, **invoice_fields):
    invoice, _link = open_invoice(site, **invoice_fields)
    checkout = start_card_payment(invoice)
    assert stripe_server.pay(checkout.intent_id)[0] == 200
    return invoice, checkout


def test_the_url_is_the_seed_contract():
    assert reverse("stripe_webhook") == URL


def test_succeeded_counts_once_however_often_it_arrives(
    site_a, stripe_server, client, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, checkout = paid_intent(site_a, stripe_server)
    event = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)

    with django_capture_on_commit_callbacks(execute=True):
        responses = [deliver(client, event) for _ in range(3)]
        complete_card_payment(invoice, checkout.intent_id)  # and the browser comes back too

    assert [r.status_code for r in responses] == [200, 200, 200]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert Payment.objects.count() == 1 and len(anymail_outbox) == 1
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.status, stored.attempts) == (event["id"], "processed", 1)
    assert (stored.invoice, stored.site) == (invoice, site_a)
    assert checkout.client_secret not in json.dumps(stored.payload)


def test_out_of_order_news_never_moves_the_state_back(site_a, stripe_server, client):
    invoice, checkout = paid_intent(site_a, stripe_server)
    succeeded = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)
    # News of an earlier failed attempt, arriving last (localstripe cannot retry a declined intent,
    # so this one is made from the success event; the handler re-reads the intent anyway).
    stale = json.loads(json.dumps(succeeded))
    stale.update(id="evt_stale_failure", type="payment_intent.payment_failed")
    stale["data"]["object"]["status"] = "requires_payment_method"

    assert deliver(client, stale).status_code == 200
    assert deliver(client, succeeded).status_code == 200
    assert deliver(client, stale).status_code == 200

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert CardPayment.objects.get().status == "succeeded"
    assert Payment.objects.count() == 1


def test_failed_payment_is_recorded_and_the_invoice_stays_open(site_a, stripe_server, client):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    stripe_server.pay(checkout.intent_id, "pm_card_chargeCustomerFail")

    assert (
        deliver(client, event_for(stripe_server, "payment_intent.payment_failed", checkout.intent_id)).status_code
        == 200
    )

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not Payment.objects.exists()
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_FAILED).count() == 1


@pytest.mark.parametrize(
    "secret, age",
    [("whsec_someone_else", 0), (STRIPE_WEBHOOK_SECRET, 301)],
    ids=["bad signature", "older than 300 s"],
)
def test_a_bad_or_old_signature_gets_400_and_writes_nothing(site_a, stripe_server, client, secret, age):
    invoice, checkout = paid_intent(site_a, stripe_server)
    event = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)

    response = deliver(client, event, secret=secret, timestamp=int(time.time()) - age)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists() and not Payment.objects.exists()


def test_a_delivery_without_a_signature_header_gets_400_and_writes_nothing(site_a, stripe_server, client):
    """A forged, unsigned ``payment_intent.succeeded`` must not mark the invoice paid."""
    invoice, checkout = paid_intent(site_a, stripe_server)
    event = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)

    response = client.post(URL, data=json.dumps(event).encode(), content_type="application/json")

    assert response.status_code == 400
    assert not StripeEvent.objects.exists() and not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0


@pytest.mark.parametrize(
    "ahead, accepted",
    [(600, False), (60, True)],
    ids=["10 min ahead: refused", "1 min ahead (clock skew): accepted"],
)
def test_a_timestamp_more_than_300_s_ahead_is_refused(site_a, stripe_server, client, ahead, accepted):
    """Stripe's library refuses only old timestamps; one far in the future would outlive the tolerance."""
    invoice, checkout = paid_intent(site_a, stripe_server)
    event = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)

    response = deliver(client, event, timestamp=int(time.time()) + ahead)

    invoice.refresh_from_db()
    if accepted:
        assert response.status_code == 200
        assert invoice.status == InvoiceStatus.PAID and StripeEvent.objects.get().status == "processed"
    else:
        assert response.status_code == 400
        assert not StripeEvent.objects.exists() and not Payment.objects.exists()
        assert invoice.status == InvoiceStatus.OPEN


@pytest.mark.parametrize(
    "change, mismatch",
    [
        ({"amount": 5000, "amount_received": 5000}, "amount"),
        ({"amount_received": 5000}, "amount_received"),
        ({"currency": "usd"}, "currency"),
        ({"livemode": True}, "livemode"),
    ],
    ids=["amount", "amount_received", "currency", "livemode"],
)
def test_a_signed_success_for_another_amount_currency_or_mode_counts_nothing(
    site_a, stripe_server, client, caplog, change, mismatch
):
    """Stripe's signed word is checked like any other: each field alone stops the payment.

    The event is localstripe's own, changed here: localstripe always reports test mode, receives
    exactly the amount, and cannot change an intent's amount or currency in a typed way.
    """
    invoice, checkout = paid_intent(site_a, stripe_server)
    event = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)
    event["data"]["object"].update(change)

    with caplog.at_level(logging.ERROR, logger="invoicing"):
        assert deliver(client, event).status_code == 200

    stored = StripeEvent.objects.get()
    assert stored.status == "ignored" and "does not match" in stored.error
    assert f"does not match invoice {invoice.pk}: {mismatch}\n" in caplog.text  # this field alone
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0 and not Payment.objects.exists()


def test_a_tampered_body_gets_400(site_a, stripe_server, client):
    _invoice, checkout = paid_intent(site_a, stripe_server)
    event = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)
    body = json.dumps(event).encode()
    header = stripe_signature(body, STRIPE_WEBHOOK_SECRET)
    tampered = body.replace(b'"amount": ', b'"amount": 1')
    response = client.post(URL, data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400 and not StripeEvent.objects.exists()


def test_only_post(client):
    assert client.get(URL).status_code == 405


def test_unknown_types_get_200_and_a_log_line(client, stripe_server, caplog):
    caplog.set_level(logging.INFO, logger="invoicing")
    response = deliver(client, {"id": "evt_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}})
    assert response.status_code == 200
    assert StripeEvent.objects.get().status == "ignored"
    assert "customer.created ignored" in caplog.text


def test_an_event_for_another_sites_invoice_does_nothing_there(site_a, site_b, stripe_server, client):
    invoice, checkout = paid_intent(site_a, stripe_server)
    event = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)
    event["data"]["object"]["metadata"]["site_id"] = str(site_b.pk)

    assert deliver(client, event).status_code == 200

    stored = StripeEvent.objects.get()
    assert stored.status == "ignored" and "does not match" in stored.error
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and not Payment.objects.exists()


def test_a_handler_error_answers_500_and_the_redelivery_applies_it(site_a, stripe_server, client, settings):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    stripe_server.pay(checkout.intent_id, "pm_card_chargeCustomerFail")
    event = event_for(stripe_server, "payment_intent.payment_failed", checkout.intent_id)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # the handler re-reads the intent: Stripe is down

    assert deliver(client, event).status_code == 500
    stored = StripeEvent.objects.get()
    assert (stored.status, stored.attempts) == ("failed", 1) and "ProviderUnavailable" in stored.error
    assert not invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_FAILED).exists()

    settings.STRIPE_API_BASE = stripe_server.url
    assert deliver(client, event).status_code == 200
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.error) == ("processed", 2, "")
    assert invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_FAILED).count() == 1


def test_replay_applies_a_failed_event_once_stripe_is_back(site_a, stripe_server, client, settings):
    invoice, checkout = paid_intent(site_a, stripe_server)
    refund = stripe_server.refund(checkout.intent_id, 1000)
    event = charge_refunded_event(stripe_server, checkout.intent_id, 1)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"
    assert deliver(client, event).status_code == 500
    stored = StripeEvent.objects.get()

    assert replay_stripe_event(stored).status == "failed"  # still down: says so, raises nothing
    settings.STRIPE_API_BASE = stripe_server.url
    replayed = replay_stripe_event(stored)

    assert (replayed.status, replayed.attempts) == ("processed", 3)
    assert list(Refund.objects.values_list("provider_reference", flat=True)) == [refund["id"]]


def test_replay_from_the_admin_is_harmless(site_a, stripe_server, client):
    invoice, checkout = paid_intent(site_a, stripe_server)
    deliver(client, event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id))
    replayed = replay_stripe_event(StripeEvent.objects.get())
    assert replayed.status == "processed" and replayed.attempts == 2
    assert Payment.objects.count() == 1


def charge_refunded_event(stripe_server, intent_id, number):
    """Built here, as localstripe sends none: the charge as Stripe would put it in the event."""
    charge = stripe_server.intent(intent_id)["latest_charge"]
    return {"id": f"evt_refund_{number}", "object": "event", "type": "charge.refunded", "data": {"object": charge}}


def test_two_partial_refunds_count_once_each(site_a, stripe_server, client):
    invoice, checkout = paid_intent(site_a, stripe_server, lines=[line(unit_price="100.00")])
    first = stripe_server.refund(checkout.intent_id, 3000)
    deliver(client, charge_refunded_event(stripe_server, checkout.intent_id, 1))
    second = stripe_server.refund(checkout.intent_id, 2000)
    deliver(client, charge_refunded_event(stripe_server, checkout.intent_id, 2))
    deliver(client, charge_refunded_event(stripe_server, checkout.intent_id, 2))  # again

    payment = Payment.objects.get()  # the refund's news came first: the payment was counted on the way
    refunds = dict(Refund.objects.values_list("provider_reference", "amount"))
    assert refunds == {first["id"]: Decimal("30.000"), second["id"]: Decimal("20.000")}
    assert payment.refundable_amount == Decimal("50.00")
    assert invoice.events.filter(kind=InvoiceEvent.Kind.REFUNDED).count() == 2


@pytest.mark.parametrize("policy", ["credit", "refund"])
def test_money_for_a_voided_invoice_is_credited_or_refunded_and_alerted(
    site_a, stripe_server, client, caplog, monkeypatch, policy
):
    """Voiding cancels the live intents first (test_closing_cancels_intents.py), so Stripe cannot
    take money for a void invoice here. The cancellation is switched off to stand for money that
    arrives anyway (a charge Stripe made in a race, a payment made outside this module): it must
    still become credit or go back to the card, and raise an alert."""
    BillingSettings.objects.filter(site=site_a).update(late_card_payments=policy)
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="80.00")])
    checkout = start_card_payment(invoice)
    monkeypatch.setattr("invoicing.services.invoices.cancel_live_intents", lambda invoice: None)
    void_invoice(invoice, reason="Ordered twice")
    stripe_server.pay(checkout.intent_id)  # the customer's tab was still open: money arrives anyway

    with caplog.at_level(logging.WARNING, logger="invoicing"):
        assert (
            deliver(client, event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)).status_code == 200
        )

    invoice.refresh_from_db()
    payment = Payment.objects.get()
    assert invoice.status == InvoiceStatus.VOID and invoice.amount_paid == 0
    assert invoice.events.filter(kind=InvoiceEvent.Kind.OVERPAYMENT_CREDITED).exists()
    assert "credit" in caplog.text
    balance = CreditEntry.objects.balance(invoice.client, "EUR")
    if policy == "credit":
        assert balance == Decimal("80.00") and not Refund.objects.exists()
    else:
        assert balance == 0
        refund = Refund.objects.get(payment=payment)
        assert refund.amount == Decimal("80.00")
        assert stripe_server.intent(checkout.intent_id)["latest_charge"]["amount_refunded"] == 8000
        assert "Refunded 80.00 EUR" in caplog.text
        # Stripe's own refund news later changes nothing.
        deliver(client, charge_refunded_event(stripe_server, checkout.intent_id, 1))
        assert Refund.objects.count() == 1


def test_late_money_refunded_but_still_pending_stays_credit_until_it_succeeds(
    site_a, stripe_server, client, monkeypatch
):
    """localstripe's refunds succeed at once; the refund it makes is shown here as Stripe shows
    one still on its way (some cards and banks), and the later refund event as it completes."""
    BillingSettings.objects.filter(site=site_a).update(late_card_payments="refund")
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="80.00")])
    checkout = start_card_payment(invoice)
    monkeypatch.setattr("invoicing.services.invoices.cancel_live_intents", lambda invoice: None)  # as above
    void_invoice(invoice, reason="Ordered twice")
    stripe_server.pay(checkout.intent_id)
    refund_intent = StripeProvider.refund_intent
    monkeypatch.setattr(
        StripeProvider,
        "refund_intent",
        lambda self, *args, **kwargs: replace(refund_intent(self, *args, **kwargs), status="pending"),
    )

    deliver(client, event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id))

    assert stripe_server.intent(checkout.intent_id)["latest_charge"]["amount_refunded"] == 8000
    assert not Refund.objects.exists()  # it may still fail: the money stays the client's credit
    assert CreditEntry.objects.balance(invoice.client, "EUR") == Decimal("80.00")
    deliver(client, charge_refunded_event(stripe_server, checkout.intent_id, 1))  # it has succeeded
    assert Refund.objects.get().amount == Decimal("80.00")
    assert CreditEntry.objects.balance(invoice.client, "EUR") == 0


def test_reconciliation_settles_a_payment_whose_webhook_was_lost(
    site_a, stripe_server, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, checkout = paid_intent(site_a, stripe_server)
    abandoned, _ = open_invoice(site_a)
    cancelled = start_card_payment(abandoned)
    stripe_server.http.post(f"{stripe_server.url}/v1/payment_intents/{cancelled.intent_id}/cancel").raise_for_status()
    fresh, _ = open_invoice(site_a)
    start_card_payment(fresh)  # just started: the customer may still be typing, so the sweep leaves it
    CardPayment.objects.exclude(invoice=fresh).update(created_at=timezone.now() - timedelta(minutes=20))

    output = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reconcile_payments", stdout=output)
        call_command("reconcile_payments", stdout=output)  # a second sweep finds nothing to do

    assert output.getvalue().splitlines() == [
        "2 checked, 1 counted, 1 closed, 0 error(s).",
        "0 checked, 0 counted, 0 closed, 0 error(s).",
    ]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and Payment.objects.count() == 1 and len(anymail_outbox) == 1
    assert CardPayment.objects.get(invoice=abandoned).status == "canceled"
    assert CardPayment.objects.get(invoice=fresh).status == "requires_payment_method"


def test_an_intent_cancelled_in_stripe_is_marked_and_a_new_one_is_started(site_a, stripe_server, client):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    stripe_server.http.post(f"{stripe_server.url}/v1/payment_intents/{checkout.intent_id}/cancel").raise_for_status()
    # localstripe sends no payment_intent.canceled: the event is built from the intent, as Stripe sends it.
    event = {
        "id": "evt_cancelled",
        "type": "payment_intent.canceled",
        "data": {"object": stripe_server.intent(checkout.intent_id)},
    }

    assert deliver(client, event).status_code == 200

    assert CardPayment.objects.get(intent_id=checkout.intent_id).status == "canceled"
    assert start_card_payment(invoice).intent_id != checkout.intent_id


def test_a_card_payment_for_an_invoice_paid_meanwhile_becomes_credit(site_a, stripe_server, admin_user, caplog):
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="60.00")])
    # The client has 60.00 of credit: another invoice of theirs was overpaid.
    overpaid, _ = open_invoice(site_a, client=invoice.client, lines=[line(unit_price="10.00")])
    record_manual_payment(overpaid, reason="Bank transfer", by=admin_user, amount=Decimal("70.00"))
    checkout = start_card_payment(invoice)
    pay_with_credit(invoice)  # in one tab, with their credit
    stripe_server.pay(checkout.intent_id)  # and by card, in another tab left open

    with caplog.at_level(logging.WARNING, logger="invoicing"):
        outcome = complete_card_payment(invoice, checkout.intent_id)

    assert outcome.status == "succeeded" and outcome.result.credited == Decimal("60.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == Decimal("60.00")
    assert CreditEntry.objects.balance(invoice.client, "EUR") == Decimal("60.00")  # 60 spent, 60 back
    assert "credit" in caplog.text


def test_a_pending_refund_counts_only_once_it_succeeds(site_a, stripe_server, client, monkeypatch):
    """A pending refund may still fail: it is not recorded until Stripe says it succeeded.

    localstripe's refunds succeed at once, so its listing is shown here as Stripe shows a
    refund still on its way (bank transfers, some cards), then as it completes.
    """
    invoice, checkout = paid_intent(site_a, stripe_server, lines=[line(unit_price="100.00")])
    refund = stripe_server.refund(checkout.intent_id, 4000)
    list_refunds = StripeProvider.list_refunds
    monkeypatch.setattr(
        StripeProvider,
        "list_refunds",
        lambda self, intent_id: [replace(r, status="pending") for r in list_refunds(self, intent_id)],
    )

    assert deliver(client, charge_refunded_event(stripe_server, checkout.intent_id, 1)).status_code == 200

    assert not Refund.objects.exists()
    assert Payment.objects.get().refundable_amount == Decimal("100.00")
    assert not invoice.events.filter(kind=InvoiceEvent.Kind.REFUNDED).exists()

    monkeypatch.setattr(StripeProvider, "list_refunds", list_refunds)
    updated = {"id": "evt_refund_done", "type": "charge.refund.updated", "data": {"object": refund}}
    assert deliver(client, updated).status_code == 200
    assert deliver(client, {**updated, "id": "evt_refund_done_again"}).status_code == 200

    assert list(Refund.objects.values_list("provider_reference", "amount")) == [(refund["id"], Decimal("40.00"))]
    assert invoice.events.filter(kind=InvoiceEvent.Kind.REFUNDED).count() == 1


def test_a_stale_failure_arriving_alone_is_checked_against_stripe(site_a, stripe_server, client):
    """News of a failed attempt, delivered after the intent succeeded (the success event still on
    its way): the intent is read again from Stripe, which says it is paid."""
    invoice, checkout = paid_intent(site_a, stripe_server)
    stale = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)
    stale.update(id="evt_stale_failure", type="payment_intent.payment_failed")
    stale["data"]["object"].update(status="requires_payment_method", last_payment_error={"message": "Card declined."})

    assert deliver(client, stale).status_code == 200

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and Payment.objects.count() == 1
    assert not invoice.events.filter(kind=InvoiceEvent.Kind.PAYMENT_FAILED).exists()


def test_the_event_and_its_effect_commit_together(site_a, stripe_server, client, monkeypatch):
    """If the inbox row cannot be written, the payment it carried is not counted either, and
    Stripe's next delivery counts it once."""
    invoice, checkout = paid_intent(site_a, stripe_server)
    event = event_for(stripe_server, "payment_intent.succeeded", checkout.intent_id)
    save = StripeEvent.save

    def save_failing_when_processed(self, *args, **kwargs):
        if self.status == "processed":
            raise DatabaseError("disk full")
        return save(self, *args, **kwargs)

    monkeypatch.setattr(StripeEvent, "save", save_failing_when_processed)
    assert deliver(client, event).status_code == 500
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and not Payment.objects.exists()
    assert StripeEvent.objects.get().status == "failed"

    monkeypatch.setattr(StripeEvent, "save", save)
    assert deliver(client, event).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and Payment.objects.count() == 1
