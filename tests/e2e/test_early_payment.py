"""A client pays within the early-payment window in a real browser (localstripe's Stripe.js): the
page shows the discounted price and its last day, the card is charged that price, and the invoice
is paid with the discount taken."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils.dateformat import format as date_format
from playwright.sync_api import expect

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import InvoiceEvent, PaymentMethod
from invoicing.services.outbox import issue_and_send_invoice
from tests.e2e.test_card_payment import fill_card
from tests.factories import ClientFactory, draft_invoice, line, make_website

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_client_pays_early_and_is_charged_the_discounted_amount(page, live_server, stripe_server, anymail_outbox):
    site = make_website("earlybird.localhost", port=urlsplit(live_server.url).port, prefix="EB")
    client = ClientFactory(site=site, name="Wayne Enterprises", email="accounts@wayne.example")
    invoice = draft_invoice(
        site,
        client=client,
        lines=[line("Consulting", "2", "100.00", "19"), line("Travel", "1", "50.00", "0")],
        early_discount_percent=Decimal("2"),
        early_discount_days=10,
    )
    issue_and_send_invoice(invoice)
    invoice.refresh_from_db()
    assert invoice.total == Decimal("288.00")  # 200.00 + 19 % + 50.00
    [email] = anymail_outbox
    assert "and save 2 %" in email.body
    url = re.search(r"http://earlybird\.localhost:\d+/pay/invoice/INV-[^\s/\"]+/", email.body).group(0)

    page.goto(url)
    last_day = date_format(invoice.early_discount_until, "j F Y")
    # 2 % of 288.00 is 5.76: 282.24 by the last day.
    expect(page.locator(".early-discount-price")).to_have_text(f"Pay 282.24 EUR by {last_day}")
    expect(page.locator(".early-discount-saving")).to_contain_text("You save 5.76 EUR (2 %)")
    expect(page.locator(".invoice-due td")).to_have_text("288.00 EUR")
    page.get_by_role("button", name="Pay by card").click()
    expect(page.locator("#card-amount")).to_have_text("282.24 EUR")
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay now").click()

    expect(page.locator(".receipt-thanks")).to_contain_text("Thank you: we received 282.24 EUR")
    expect(page.locator(".state-paid")).to_contain_text("paid in full")
    invoice.refresh_from_db()
    payment = invoice.payments.get()
    assert payment.method == PaymentMethod.STRIPE and payment.amount == Decimal("282.24")
    # What Stripe charged is what the page showed.
    charged = stripe_server.intent(payment.provider_reference)
    assert (charged["amount"], charged["currency"], charged["status"]) == (28224, "eur", "succeeded")
    assert (invoice.status, invoice.early_discount_taken, invoice.amount_due) == (
        InvoiceStatus.PAID,
        Decimal("5.76"),
        Decimal("0.00"),
    )
    assert invoice.events.filter(kind=InvoiceEvent.Kind.EARLY_DISCOUNT_TAKEN).exists()
