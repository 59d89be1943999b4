"""Saved cards and off-session charges against Stripe's real test mode: what localstripe cannot
do (a SetupIntent that attaches the card itself, a declined off-session charge reported with its
PaymentIntent). Skipped unless STRIPE_TEST_SECRET_KEY (an ``sk_test_...`` key) is set: it needs
the internet, which CI and this machine do not have."""

import pytest

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import AutoCharge, CardPayment, SavedCard
from invoicing.services.checkout import complete_card_payment, start_card_payment
from invoicing.services.saved_cards import (
    customer_reference,
    remove_card,
    save_card_from_intent,
    save_card_from_setup,
    start_card_setup,
)
from tests.factories import ClientFactory, line, open_invoice
from tests.integration.test_auto_charge import issue_and_charge
from tests.live.conftest import SECRET_KEY

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not SECRET_KEY.startswith("sk_test_"), reason="needs STRIPE_TEST_SECRET_KEY (sk_test_...)"),
]


@pytest.fixture
def charge(site_a, live_stripe, django_capture_on_commit_callbacks):
    """Save ``payment_method`` the design's way (a SetupIntent the browser confirms), then issue an
    invoice and run its automatic charge."""

    def make(payment_method):
        client = ClientFactory(site=site_a)
        setup_id, _secret = start_card_setup(client)
        live_stripe.v1.setup_intents.confirm(setup_id, {"payment_method": payment_method})  # Stripe.js's part
        card = save_card_from_setup(client, setup_id)
        assert card is not None and card.customer_reference.startswith("cus_")
        return issue_and_charge(site_a, client, django_capture_on_commit_callbacks)

    return make


def test_a_saved_card_pays_the_next_invoice(charge):
    invoice, auto_charge = charge("pm_card_visa")
    assert invoice.status == InvoiceStatus.PAID and auto_charge.status == AutoCharge.Status.SUCCEEDED


def test_a_declined_off_session_charge_is_recorded_with_its_intent(charge):
    invoice, auto_charge = charge("pm_card_chargeCustomerFail")
    assert invoice.status == InvoiceStatus.OPEN and auto_charge.status == AutoCharge.Status.SCHEDULED
    assert CardPayment.objects.get(invoice=invoice).status == CardPayment.Status.REQUIRES_PAYMENT_METHOD
    assert "declined" in auto_charge.last_error


def test_authentication_required_stops_the_intent(charge):
    invoice, auto_charge = charge("pm_card_authenticationRequired")
    assert invoice.status == InvoiceStatus.OPEN and auto_charge.attempts == 1
    assert CardPayment.objects.get(invoice=invoice).status == CardPayment.Status.CANCELED


def test_a_removed_card_is_detached(charge, live_stripe, django_capture_on_commit_callbacks):
    invoice, auto_charge = charge("pm_card_visa")
    card = auto_charge.saved_card
    with django_capture_on_commit_callbacks(execute=True):
        remove_card(card, removed_by=SavedCard.RemovedBy.CLIENT)
    assert live_stripe.v1.payment_methods.retrieve(card.payment_method_reference).customer is None


def test_a_card_payment_with_the_box_ticked_keeps_the_card(site_a, live_stripe):
    """Stripe's own path on the pay page: the paying intent has ``setup_future_usage``."""
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="12.34")])
    checkout = start_card_payment(invoice, save_for_customer=customer_reference(invoice.client))
    live_stripe.v1.payment_intents.confirm(
        checkout.intent_id, {"payment_method": "pm_card_visa", "return_url": "https://acme.test/"}
    )
    assert complete_card_payment(invoice, checkout.intent_id).status == "succeeded"
    card = save_card_from_intent(invoice.client, checkout.intent_id)
    assert card is not None and card.last4 == "4242"
