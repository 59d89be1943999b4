"""The early-payment discount ("2 % if paid within 10 days"): what a payment made by its last day
owes, by hand, with credit and by card on the pay page (against localstripe), and what the pay page
and the link show and charge."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from babel.dates import format_date
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateformat import format as date_format

from invoicing.core.exceptions import ValidationFailed
from invoicing.core.lifecycle import InvoiceStatus
from invoicing.core.money import format_money
from invoicing.mail.kinds import EmailKind
from invoicing.models import BillingSettings, InvoiceEmailTemplatePage, InvoiceEvent, PaymentMethod
from invoicing.services.amounts_due import amounts_due
from invoicing.services.outbox import send_invoice_email
from invoicing.services.payments import credit_balance, pay_with_credit, record_manual_payment
from tests.factories import ClientFactory, open_invoice
from tests.integration.test_pay_page_payments import get, give_credit, post

pytestmark = pytest.mark.django_db

TWO_PERCENT = {"early_discount_percent": Decimal("2"), "early_discount_days": 10}


def at(day, hour, minute):
    """An instant of ``day`` in the site's time zone, for ``time_machine``."""
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def early(site_a):
    """100.00 EUR, 2 % off if paid within 10 days."""
    return open_invoice(site_a, **TWO_PERCENT)


class TestManualPayments:
    def test_money_received_on_the_last_day_earns_the_discount(self, early):
        invoice, _ = early
        last_day = invoice.early_discount_until
        assert last_day == timezone.localdate() + timedelta(days=10)
        with time_machine.travel(at(last_day + timedelta(days=3), 9, 0)):  # recorded later
            result = record_manual_payment(invoice, reason="Transfer", by=None, paid_on=last_day)
        invoice.refresh_from_db()
        assert result.payment.amount == Decimal("98.00") and result.credited == 0
        assert (invoice.status, invoice.early_discount_taken, invoice.amount_due) == (
            InvoiceStatus.PAID,
            Decimal("2.00"),
            Decimal("0.00"),
        )
        taken = invoice.events.get(kind=InvoiceEvent.Kind.EARLY_DISCOUNT_TAKEN)
        assert Decimal(taken.data["amount"]) == Decimal("2.00")

    def test_money_received_a_day_later_owes_the_full_price(self, early):
        invoice, _ = early
        late = invoice.early_discount_until + timedelta(days=1)
        with time_machine.travel(at(late, 9, 0)):
            assert amounts_due(invoice).early_price is None
            result = record_manual_payment(invoice, reason="Transfer", by=None, paid_on=late)
        invoice.refresh_from_db()
        assert result.payment.amount == Decimal("100.00")
        assert (invoice.status, invoice.early_discount_taken) == (InvoiceStatus.PAID, Decimal("0.00"))
        assert not invoice.events.filter(kind=InvoiceEvent.Kind.EARLY_DISCOUNT_TAKEN).exists()

    def test_the_early_price_sent_a_day_late_leaves_the_rest_open(self, early):
        invoice, _ = early
        late = invoice.early_discount_until + timedelta(days=1)
        with time_machine.travel(at(late, 9, 0)):
            record_manual_payment(invoice, reason="Transfer", by=None, amount=Decimal("98.00"), paid_on=late)
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_due) == (InvoiceStatus.OPEN, Decimal("2.00"))

    def test_a_receipt_day_in_the_future_is_refused(self, early):
        invoice, _ = early
        with pytest.raises(ValidationFailed, match="cannot be in the future"):
            record_manual_payment(invoice, reason="Transfer", by=None, paid_on=timezone.localdate() + timedelta(days=1))

    def test_partial_payments_in_the_window_then_the_rest_at_the_discounted_price(self, early):
        invoice, _ = early
        record_manual_payment(invoice, reason="Transfer", by=None, amount=Decimal("50.00"))
        invoice.refresh_from_db()
        # The discount is 2 % of what the invoice bills, whatever was paid before.
        assert amounts_due(invoice).early_price == Decimal("48.00")
        record_manual_payment(invoice, reason="Transfer", by=None)
        invoice.refresh_from_db()
        assert sorted(p.amount for p in invoice.payments.all()) == [Decimal("48.00"), Decimal("50.00")]
        assert (invoice.status, invoice.early_discount_taken) == (InvoiceStatus.PAID, Decimal("2.00"))


class TestCredit:
    def test_credit_without_an_amount_pays_the_early_price(self, site_a):
        client_record = ClientFactory(site=site_a)
        give_credit(client_record, site_a, "150.00")
        invoice, _ = open_invoice(site_a, client=client_record, **TWO_PERCENT)
        result = pay_with_credit(invoice)
        invoice.refresh_from_db()
        assert result.payment.amount == Decimal("98.00") and invoice.status == InvoiceStatus.PAID
        assert credit_balance(client_record, "EUR") == Decimal("52.00")


class TestCard:
    def test_the_page_shows_and_the_card_charges_the_early_price(self, client, early, stripe_server):
        invoice, link = early
        page = get(client, link.url).content.decode()
        day = date_format(invoice.early_discount_until, "j F Y")
        assert f"Pay 98.00 EUR by {day}" in page
        assert "You save 2.00 EUR (2 %)" in page
        started = post(client, link.url + "card/").json()
        assert started["amount"] == "98.00 EUR"
        # The page's amount = the link's bound amount = the Stripe amount.
        invoice.refresh_from_db()
        assert invoice.payment_link.early_amount_minor == 9800
        assert stripe_server.intent(started["intent_id"])["amount"] == 9800

    def test_a_card_started_on_the_last_day_and_confirmed_after_midnight_keeps_the_discount(
        self, client, early, stripe_server
    ):
        invoice, link = early
        last_day = invoice.early_discount_until
        with time_machine.travel(at(last_day, 23, 58), tick=False):
            started = post(client, link.url + "card/").json()
        assert stripe_server.intent(started["intent_id"])["amount"] == 9800
        stripe_server.pay(started["intent_id"])
        with time_machine.travel(at(last_day + timedelta(days=1), 0, 3), tick=False):
            returned = get(client, started["return_url"] + f"?payment_intent={started['intent_id']}")
        assert returned.status_code == 302
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_paid, invoice.early_discount_taken) == (
            InvoiceStatus.PAID,
            Decimal("98.00"),
            Decimal("2.00"),
        )

    def test_credit_first_then_card_within_the_window(self, client, site_a, stripe_server):
        client_record = ClientFactory(site=site_a)
        give_credit(client_record, site_a, "30.00")
        invoice, link = open_invoice(site_a, client=client_record, **TWO_PERCENT)
        started = post(client, link.url + "card/", {"use_credit": "1"}).json()
        assert started["amount"] == "68.00 EUR"
        assert stripe_server.intent(started["intent_id"])["amount"] == 6800
        stripe_server.pay(started["intent_id"])
        get(client, started["return_url"] + f"?payment_intent={started['intent_id']}")
        invoice.refresh_from_db()
        assert sorted((p.method, p.amount) for p in invoice.payments.all()) == [
            (PaymentMethod.CREDIT, Decimal("30.00")),
            (PaymentMethod.STRIPE, Decimal("68.00")),
        ]
        assert (invoice.status, invoice.early_discount_taken) == (InvoiceStatus.PAID, Decimal("2.00"))

    def test_after_the_window_the_same_link_opens_and_charges_the_full_amount(self, client, early, stripe_server):
        invoice, link = early
        with time_machine.travel(at(invoice.early_discount_until + timedelta(days=1), 10, 0)):
            page = get(client, link.url)
            assert page.status_code == 200
            assert "early-discount" not in page.content.decode()
            started = post(client, link.url + "card/").json()
        assert started["amount"] == "100.00 EUR"
        assert stripe_server.intent(started["intent_id"])["amount"] == 10000

    def test_with_partial_payments_pay_in_full_is_the_early_price(self, client, site_a):
        invoice, link = open_invoice(site_a, allow_partial_payments=True, **TWO_PERCENT)
        page = get(client, link.url).content.decode()
        assert "Pay in full (98.00 EUR)" in page


class TestEmail:
    @pytest.fixture
    def sent(self, django_capture_on_commit_callbacks, anymail_outbox):
        def send(invoice, kind):
            with django_capture_on_commit_callbacks(execute=True):
                send_invoice_email(invoice, kind)
            return anymail_outbox[-1]

        return send

    def test_the_invoice_email_and_reminder_say_what_paying_early_costs(self, early, sent):
        invoice, _ = early
        page = InvoiceEmailTemplatePage.objects.get()
        page.reminder_body = "<p>Pay {early_payment_amount} by {early_payment_date}.</p>"
        page.full_clean()
        page.save_revision().publish()
        # In the website's locale, as every amount and date of its emails.
        locale = BillingSettings.for_site(invoice.site).locale
        day = format_date(invoice.early_discount_until, format="long", locale=locale)
        price = format_money(Decimal("98.00"), "EUR", locale)
        for kind in (EmailKind.INVOICE, EmailKind.REMINDER):
            message = sent(invoice, kind)
            ((html, _),) = message.alternatives
            line_text = f"Pay {price} by {day} and save 2 %"
            assert line_text in message.body and line_text in html, kind
        assert f"Pay {price} by {day}." in message.body

    def test_no_line_and_empty_placeholders_once_the_window_is_over(self, early, sent):
        invoice, _ = early
        page = InvoiceEmailTemplatePage.objects.get()
        page.reminder_body = "<p>Early price: [{early_payment_amount}]</p>"
        page.save_revision().publish()
        with time_machine.travel(at(invoice.early_discount_until + timedelta(days=1), 10, 0)):
            message = sent(invoice, EmailKind.REMINDER)
        assert "and save 2 %" not in message.body and "Early price: []" in message.body

    def test_the_placeholders_are_refused_in_a_receipt(self, site_a):
        page = InvoiceEmailTemplatePage.objects.get()
        page.invoice_subject = "Pay {early_payment_amount} by {early_payment_date}"
        page.full_clean()
        page.receipt_body = "<p>{early_payment_amount}</p>"
        with pytest.raises(ValidationError) as error:
            page.full_clean()
        assert "{early_payment_amount}" in error.value.message_dict["receipt_body"][0]
