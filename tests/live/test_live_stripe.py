"""The same flow against Stripe's real test mode. Skipped unless STRIPE_TEST_SECRET_KEY (an
``sk_test_...`` key) is set: it needs the internet, which CI and this machine do not have."""

from decimal import Decimal

import pytest

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.services.checkout import complete_card_payment, start_card_payment
from tests.factories import line, open_invoice
from tests.live.conftest import SECRET_KEY

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not SECRET_KEY.startswith("sk_test_"), reason="needs STRIPE_TEST_SECRET_KEY (sk_test_...)"),
]


def test_a_card_payment_in_stripe_test_mode(site_a, live_stripe):
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="12.34")])
    checkout = start_card_payment(invoice)
    assert start_card_payment(invoice).intent_id == checkout.intent_id  # the second click reuses it

    live_stripe.v1.payment_intents.confirm(
        checkout.intent_id, {"payment_method": "pm_card_visa", "return_url": "https://acme.test/"}
    )
    outcome = complete_card_payment(invoice, checkout.intent_id)

    assert outcome.status == "succeeded"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid == Decimal("12.34")


def test_a_declined_card_in_stripe_test_mode(site_a, live_stripe):
    invoice, _link = open_invoice(site_a)
    checkout = start_card_payment(invoice)
    with pytest.raises(Exception, match="declined"):
        live_stripe.v1.payment_intents.confirm(
            checkout.intent_id, {"payment_method": "pm_card_chargeDeclined", "return_url": "https://acme.test/"}
        )
    outcome = complete_card_payment(invoice, checkout.intent_id)
    assert outcome.status == "requires_payment_method" and outcome.result is None
