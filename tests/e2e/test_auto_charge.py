"""A client ticks "charge my card automatically" and pays on the pay page in a real browser
(localstripe's Stripe.js saves the card with a SetupIntent, then pays); the schedule's next
invoice is then charged without the client, and the client gets only the receipt."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from home import demo
from invoicing.core.lifecycle import InvoiceStatus
from invoicing.mail.kinds import EmailKind
from invoicing.models import InvoiceTemplate, InvoiceTemplateLine, RecurringSchedule
from invoicing.services.recurring import generate_recurring_invoices
from invoicing.services.saved_cards import active_card
from tests.e2e.test_card_payment import demo_website, fill_card, pay_link_in, send_invoice
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def monthly_schedule(site, client):
    """A monthly schedule with auto-charge on, whose first period starts next month."""
    template = InvoiceTemplate.objects.create(site=site, name="Hosting", title="Hosting {period_label}", currency="EUR")
    InvoiceTemplateLine.objects.create(template=template, description="Managed hosting", quantity=1, unit_price=49)
    return RecurringSchedule.objects.create(
        site=site,
        name="Hosting",
        template=template,
        client=client,
        interval=RecurringSchedule.Interval.MONTH,
        interval_count=1,
        start_date=timezone.localdate() + timedelta(days=31),
        action=RecurringSchedule.Action.SEND,
        auto_charge=True,
    )


def test_the_client_saves_the_card_on_the_pay_page_and_the_next_invoice_is_paid_without_them(
    page, live_server, stripe_server, anymail_outbox
):
    acme = demo_website(demo.ACME, urlsplit(live_server.url).port)
    client = ClientFactory(site=acme, email="accounts@wayne.example")
    schedule = monthly_schedule(acme, client)
    send_invoice(acme, client=client)
    pay_link = pay_link_in(anymail_outbox[-1], acme)

    page.goto(pay_link)
    page.get_by_label("Charge my card automatically for this website's future invoices").check()
    expect(page.locator("#save-card-help")).to_contain_text("never its number")
    page.get_by_role("button", name="Pay by card").click()
    fill_card(page, "4242424242424242")
    page.locator("#card-element").get_by_placeholder("postal_code").fill("10115")
    page.get_by_role("button", name="Pay now").click()
    expect(page.locator(".state-paid")).to_contain_text("paid in full")
    card = active_card(client)
    assert (card.brand, card.last4) == ("visa", "4242")

    page.goto(pay_link)
    expect(page.locator("#saved-card-status")).to_contain_text("Your Visa •••• 4242 is charged automatically")

    # A month later the schedule issues the next invoice: charged, and the client gets the receipt.
    emails_before = len(anymail_outbox)
    generate_recurring_invoices(today=schedule.start_date)
    invoice = schedule.invoices.get()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.auto_charge.attempts == 1
    assert invoice.payments.get().card_payment.intent_id.startswith("pi_")
    sent = [message.anymail_test_params["metadata"]["kind"] for message in anymail_outbox[emails_before:]]
    assert sent == [EmailKind.RECEIPT]

    # The client stops it on the page: the card is removed.
    page.goto(pay_link)
    page.get_by_role("button", name="Stop automatic charges").click()
    expect(page.locator("body")).to_contain_text("Automatic charges are stopped")
    assert active_card(client) is None
