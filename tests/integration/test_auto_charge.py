"""Automatic charges with a saved card, against localstripe over HTTP: saving a card, a charge
that pays the invoice once, declines and the bank asking for authentication (the client is emailed
the pay link and the reason), the retry schedule with time travel, and what cancels a charge.

localstripe limits: it refuses ``SetupIntent.create(confirm=True)`` and ``setup_future_usage``,
so cards are saved here the way the offline path does (``PaymentMethod.create`` + ``attach``);
and a declined off-session charge comes back as a card error without its PaymentIntent (Stripe
sends it along), so a decline here leaves no ``CardPayment``; see test_live_autocharge.py.
"""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
import time_machine

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.mail.kinds import EmailKind
from invoicing.models import AutoCharge, CardPayment, InvoiceEvent, OutboundEmail, Payment, SavedCard
from invoicing.providers import get_provider
from invoicing.services.autocharge import run_due_auto_charges, schedule_auto_charge
from invoicing.services.card_payments import sync_card_payment
from invoicing.services.payments import record_manual_payment
from invoicing.services.reconcile import reconcile_card_payments
from invoicing.services.saved_cards import active_card, remove_card, save_card
from invoicing.services.tokens import resolve_payment_link
from tests.factories import ClientFactory, line, open_invoice
from tests.localstripe import CARD_REQUIRING_3DS

pytestmark = pytest.mark.django_db

VISA = "4242424242424242"
DECLINED_AT_CHARGE = "4000000000000341"  # attaches, then every charge is declined
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def charge(site_a, stripe_server, django_capture_on_commit_callbacks):
    """Save ``number`` for a new client, issue an invoice of 120.00 and schedule its charge; the
    first attempt runs after commit, as in production (the immediate task backend here)."""

    def make(number=VISA):
        client = ClientFactory(site=site_a)
        save_card(client, stripe_server.card(number))
        return issue_and_charge(site_a, client, django_capture_on_commit_callbacks)

    return make


def issue_and_charge(site, client, capture_on_commit_callbacks):
    """Issue an invoice of 120.00 to ``client`` and schedule its automatic charge; the first
    attempt runs after commit."""
    invoice, _link = open_invoice(site, client=client, lines=[line(unit_price="120.00")])
    with capture_on_commit_callbacks(execute=True):
        auto_charge = schedule_auto_charge(invoice)
    auto_charge.refresh_from_db()
    invoice.refresh_from_db()
    return invoice, auto_charge


def failed_emails(invoice):
    return list(invoice.emails.filter(kind=EmailKind.CHARGE_FAILED).order_by("pk"))


def test_saving_a_card_keeps_references_only_and_a_new_card_replaces_the_old(site_a, stripe_server):
    client = ClientFactory(site=site_a)
    first = save_card(client, stripe_server.card(VISA))
    assert (first.brand, first.last4, first.exp_month, first.exp_year) == ("visa", "4242", 12, 2040)
    assert first.customer_reference.startswith("cus_") and first.payment_method_reference.startswith("pm_")

    second = save_card(client, stripe_server.card(DECLINED_AT_CHARGE))
    first.refresh_from_db()
    assert active_card(client) == second and second.last4 == "0341"
    assert first.removed_at is not None and first.removed_by == SavedCard.RemovedBy.CLIENT
    # One Stripe customer per client, reused.
    assert second.customer_reference == first.customer_reference


def test_no_saved_card_no_automatic_charge(site_a, stripe_server):
    invoice, _link = open_invoice(site_a)
    assert schedule_auto_charge(invoice) is None
    assert not AutoCharge.objects.exists()


def test_a_successful_charge_pays_the_invoice_once(charge, stripe_server, site_a):
    invoice, auto_charge = charge()

    assert invoice.status == InvoiceStatus.PAID and invoice.amount_due == 0
    assert (auto_charge.status, auto_charge.attempts) == (AutoCharge.Status.SUCCEEDED, 1)
    card_payment = CardPayment.objects.get(invoice=invoice)
    assert card_payment.payment is not None and card_payment.idempotency_key == f"autocharge-{invoice.pk}-1"
    assert stripe_server.intent(card_payment.intent_id)["metadata"]["invoice_id"] == str(invoice.pk)
    assert invoice.events.filter(kind=InvoiceEvent.Kind.AUTO_CHARGE_SCHEDULED).count() == 1

    # The webhook and the reconciliation sweep see the same intent: nothing more is counted.
    provider = get_provider()
    sync_card_payment(card_payment, provider.retrieve_intent(card_payment.intent_id), provider=provider)
    reconcile_card_payments(now=datetime.now(UTC) + timedelta(hours=1))
    assert run_due_auto_charges() == 0
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert Payment.objects.get(invoice=invoice).amount == Decimal("120.00")
    assert invoice.emails.filter(kind=EmailKind.RECEIPT).count() == 1
    assert not failed_emails(invoice)


def test_a_declined_card_is_retried_after_1_3_and_5_days_then_given_up(charge, client, site_a, anymail_outbox):
    with time_machine.travel(START, tick=False):
        invoice, auto_charge = charge(DECLINED_AT_CHARGE)
    assert invoice.status == InvoiceStatus.OPEN
    assert (auto_charge.status, auto_charge.attempts) == (AutoCharge.Status.SCHEDULED, 1)
    assert auto_charge.next_attempt_at == START + timedelta(days=1)
    failed = invoice.events.get(kind=InvoiceEvent.Kind.AUTO_CHARGE_FAILED)
    assert failed.data == {"attempt": 1, "reason": "Your card was declined."}

    # The client is told why, with a pay link that opens the invoice.
    assert len(failed_emails(invoice)) == 1
    (message,) = anymail_outbox
    assert message.to == [invoice.client.email]
    assert "Your card was declined." in message.body
    pay_url = re.search(r"https?://\S+/pay/invoice/\S+/", message.body).group(0)
    token = urlparse(pay_url).path.rstrip("/").rsplit("/", 1)[-1]
    assert resolve_payment_link(token, site=site_a) == invoice
    page = client.get(urlparse(pay_url).path, HTTP_HOST=urlparse(pay_url).netloc)
    assert page.status_code == 200 and invoice.number in page.content.decode()

    for day, next_day in ((1, 3), (3, 5)):
        with time_machine.travel(START + timedelta(days=day) - timedelta(minutes=1), tick=False):
            assert run_due_auto_charges() == 0  # not due yet
        with time_machine.travel(START + timedelta(days=day), tick=False):
            assert run_due_auto_charges() == 1
        auto_charge.refresh_from_db()
        assert auto_charge.next_attempt_at == START + timedelta(days=next_day)

    with time_machine.travel(START + timedelta(days=5), tick=False):
        assert run_due_auto_charges() == 1
    for days in (6, 30, 400):
        with time_machine.travel(START + timedelta(days=days), tick=False):
            assert run_due_auto_charges() == 0

    auto_charge.refresh_from_db()
    invoice.refresh_from_db()
    assert (auto_charge.status, auto_charge.attempts, auto_charge.next_attempt_at) == (
        AutoCharge.Status.FAILED,
        4,
        None,
    )
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_due == Decimal("120.00")
    assert invoice.events.filter(kind=InvoiceEvent.Kind.AUTO_CHARGE_FAILED).count() == 4
    assert invoice.events.filter(kind=InvoiceEvent.Kind.AUTO_CHARGE_GAVE_UP).count() == 1
    assert len(failed_emails(invoice)) == 4
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_a_late_sweep_does_not_crowd_the_retries(charge, settings):
    settings.INVOICING_AUTO_CHARGE_RETRY_DAYS = (1, 3)
    with time_machine.travel(START, tick=False):
        invoice, auto_charge = charge(DECLINED_AT_CHARGE)
    # Down for ten days: one retry now, the next one the schedule's gap (2 days) later.
    with time_machine.travel(START + timedelta(days=10), tick=False):
        assert run_due_auto_charges() == 1
        assert run_due_auto_charges() == 0
    auto_charge.refresh_from_db()
    assert auto_charge.next_attempt_at == START + timedelta(days=12)


def test_authentication_required_is_a_failure_and_the_client_pays_on_the_page(charge, stripe_server):
    invoice, auto_charge = charge(CARD_REQUIRING_3DS)
    assert invoice.status == InvoiceStatus.OPEN
    assert auto_charge.status == AutoCharge.Status.SCHEDULED and auto_charge.attempts == 1
    # Nobody is there to authenticate: the intent is stopped, and cannot take money later.
    card_payment = CardPayment.objects.get(invoice=invoice)
    assert card_payment.status == CardPayment.Status.CANCELED
    assert stripe_server.intent(card_payment.intent_id)["status"] == "canceled"
    (email,) = failed_emails(invoice)
    assert "Your bank asks you to confirm this payment yourself." in email.text_body


def test_removing_the_card_cancels_the_pending_charge(charge, stripe_server, admin_user):
    with time_machine.travel(START, tick=False):
        invoice, auto_charge = charge(DECLINED_AT_CHARGE)
    card = auto_charge.saved_card
    remove_card(card, removed_by=SavedCard.RemovedBy.ADMIN, user=admin_user)
    card.refresh_from_db()
    auto_charge.refresh_from_db()
    assert (card.removed_by, card.removed_by_user) == (SavedCard.RemovedBy.ADMIN, admin_user)
    assert auto_charge.status == AutoCharge.Status.CANCELED
    with time_machine.travel(START + timedelta(days=2), tick=False):
        assert run_due_auto_charges() == 0
    auto_charge.refresh_from_db()
    assert auto_charge.attempts == 1


def test_removing_the_card_detaches_it_at_stripe(site_a, stripe_server, django_capture_on_commit_callbacks):
    client = ClientFactory(site=site_a)
    card = save_card(client, stripe_server.card(VISA))
    with django_capture_on_commit_callbacks(execute=True):
        remove_card(card, removed_by=SavedCard.RemovedBy.CLIENT)
    method = stripe_server.http.get(f"{stripe_server.url}/v1/payment_methods/{card.payment_method_reference}").json()
    assert method["customer"] is None
    assert active_card(client) is None


def test_a_paid_invoice_cancels_its_pending_charge(charge, admin_user):
    with time_machine.travel(START, tick=False):
        invoice, auto_charge = charge(DECLINED_AT_CHARGE)
        record_manual_payment(invoice, reason="Bank transfer", by=admin_user)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert run_due_auto_charges() == 1
    auto_charge.refresh_from_db()
    assert (auto_charge.status, auto_charge.attempts) == (AutoCharge.Status.CANCELED, 1)
    assert len(failed_emails(invoice)) == 1
    assert OutboundEmail.objects.filter(invoice=invoice, kind=EmailKind.CHARGE_FAILED).count() == 1


def test_a_card_payment_processing_holds_the_charge(site_a, stripe_server):
    client = ClientFactory(site=site_a)
    card = save_card(client, stripe_server.card(VISA))
    invoice, _link = open_invoice(site_a, client=client)
    CardPayment.objects.create(
        invoice=invoice,
        intent_id="pi_on_its_way",
        amount=invoice.amount_due,
        currency=invoice.currency,
        link_version=1,
        idempotency_key="the-clients-own",
        status=CardPayment.Status.PROCESSING,
    )
    auto_charge = AutoCharge.objects.create(invoice=invoice, saved_card=card, next_attempt_at=invoice.issued_at)

    assert run_due_auto_charges() == 0  # due, but not tried

    auto_charge.refresh_from_db()
    assert (auto_charge.status, auto_charge.attempts) == (AutoCharge.Status.SCHEDULED, 0)
    assert CardPayment.objects.filter(invoice=invoice).count() == 1
