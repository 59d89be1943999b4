"""Credit notes: numbering, what they credit, and where their money goes (the balance first, then
account credit or a refund through localstripe)."""

from decimal import Decimal

import pytest

from invoicing.core.exceptions import InvalidTransition, PaymentLinkUnusable, PaymentRejected, ValidationFailed
from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import CreditEntry, CreditNote, Invoice, InvoiceEvent, PaymentMethod, Refund
from invoicing.services.checkout import complete_card_payment, start_card_payment
from invoicing.services.credit_notes import FreeLine, credit_note_totals, issue_credit_note
from invoicing.services.invoices import issue_invoice, mark_uncollectible, void_invoice
from invoicing.services.payments import apply_payment, credit_balance, pay_with_credit, record_manual_payment
from invoicing.services.tokens import resolve_payment_link, resolve_receipt_link
from tests.factories import ClientFactory, draft_invoice, line, make_website, open_invoice
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def two_lines(site, **kwargs):
    return open_invoice(
        site,
        lines=[line("Design", quantity="2", unit_price="100.00"), line("Hosting", quantity="1", unit_price="50.00")],
        **kwargs,
    )


def pay_by_card(invoice, stripe_server, amount=None):
    checkout = start_card_payment(invoice, amount=amount)
    assert stripe_server.pay(checkout.intent_id)[0] == 200
    outcome = complete_card_payment(invoice, checkout.intent_id)
    assert outcome.status == "succeeded"
    invoice.refresh_from_db()
    return checkout.intent_id


class TestNumbering:
    def test_credit_notes_have_their_own_gapless_sequence_per_website(self, site_a, site_b):
        first, _ = open_invoice(site_a)
        second, _ = open_invoice(site_a)
        other, _ = open_invoice(site_b)
        notes = [
            issue_credit_note(first, lines=[(first.lines.get(), "0.5")], reason="Late"),
            issue_credit_note(other, reason="Cancelled"),
            issue_credit_note(second, reason="Cancelled"),
            issue_credit_note(first, reason="The rest"),
        ]
        year = notes[0].issued_at.year
        assert [note.number for note in notes] == [
            f"ACME-CN-{year}-00001",
            f"GLX-CN-{year}-00001",
            f"ACME-CN-{year}-00002",
            f"ACME-CN-{year}-00003",
        ]
        # Invoices go on with their own numbers.
        third, _ = open_invoice(site_a)
        assert third.number == f"ACME-{year}-00003"

    def test_a_refused_credit_note_gives_its_number_back(self, site_a):
        invoice, _ = open_invoice(site_a)
        with pytest.raises(ValidationFailed):
            issue_credit_note(invoice, lines=[(invoice.lines.get(), "2")], reason="Too much")
        assert issue_credit_note(invoice, reason="Cancelled").number.endswith("-00001")


class TestOpenInvoice:
    def test_a_credit_reduces_the_balance_and_rotates_the_link(self, site_a):
        invoice, link = two_lines(site_a)
        design = invoice.lines.get(description="Design")

        note = issue_credit_note(invoice, lines=[(design, "1")], reason="One day less", by=None)

        invoice.refresh_from_db()
        assert (note.total, note.applied_to_invoice, note.credited, note.refunded) == (
            Decimal("100.00"),
            Decimal("100.00"),
            Decimal("0.00"),
            Decimal("0.00"),
        )
        assert invoice.status == InvoiceStatus.OPEN
        assert (invoice.amount_credited, invoice.amount_due) == (Decimal("100.00"), Decimal("150.00"))
        # The old link was bound to 250.00: it leads to the recovery page now, the new one to 150.00.
        with pytest.raises(PaymentLinkUnusable):
            resolve_payment_link(link.token, site=site_a)
        assert invoice.payment_link.amount_due_minor == 15000
        event = invoice.events.get(kind=InvoiceEvent.Kind.CREDIT_NOTE_ISSUED)
        assert event.data["number"] == note.number
        assert not CreditEntry.objects.exists()

    def test_a_credit_for_the_whole_balance_pays_the_invoice(self, site_a):
        invoice, _ = open_invoice(site_a, allow_partial_payments=True)
        apply_payment(invoice, method=PaymentMethod.MANUAL, amount="30.00", currency="EUR", provider_reference="t1")
        invoice.refresh_from_db()

        note = issue_credit_note(invoice, lines=[(invoice.lines.get(), "0.7")], reason="Discount agreed")

        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID and invoice.amount_due == 0 and invoice.paid_at
        assert note.applied_to_invoice == Decimal("70.00")

    def test_a_credit_beyond_the_balance_puts_the_paid_part_on_credit(self, site_a):
        invoice, _ = open_invoice(site_a, allow_partial_payments=True)  # 100.00
        apply_payment(invoice, method=PaymentMethod.MANUAL, amount="60.00", currency="EUR", provider_reference="t1")
        invoice.refresh_from_db()

        note = issue_credit_note(invoice, reason="Cancelled")

        invoice.refresh_from_db()
        assert (note.applied_to_invoice, note.credited) == (Decimal("40.00"), Decimal("60.00"))
        assert invoice.status == InvoiceStatus.PAID
        entry = CreditEntry.objects.get()
        assert (entry.kind, entry.amount, entry.credit_note) == (CreditEntry.Kind.CREDIT_NOTE, Decimal("60.00"), note)
        assert credit_balance(invoice.client, "EUR") == Decimal("60.00")

    def test_an_uncollectible_invoice_can_be_credited_a_void_or_draft_one_cannot(self, site_a):
        written_off, _ = open_invoice(site_a)
        mark_uncollectible(written_off)
        issue_credit_note(written_off, reason="Settled")
        written_off.refresh_from_db()
        assert written_off.status == InvoiceStatus.PAID

        voided, _ = open_invoice(site_a)
        void_invoice(voided, reason="Wrong client")
        with pytest.raises(InvalidTransition, match="void"):
            issue_credit_note(voided, reason="x")
        draft = draft_invoice(site_a)
        with pytest.raises(InvalidTransition, match="draft"):
            issue_credit_note(draft, reason="x")
        assert CreditNote.objects.count() == 1


class TestLines:
    def test_partial_lines_copy_the_invoice_lines_and_the_rest_can_follow(self, site_a):
        invoice, _ = open_invoice(
            site_a,
            lines=[
                line("Design", quantity="3", unit_price="100.00", tax_rate="19"),
                line("Books", quantity="2", unit_price="10.00", tax_rate="7"),
            ],
        )
        assert invoice.total == Decimal("378.40")
        design = invoice.lines.get(description="Design")
        first = issue_credit_note(invoice, lines=[(design, "1")], reason="One day less")
        assert [(cl.description, cl.quantity, cl.unit_price, cl.tax_rate) for cl in first.lines.all()] == [
            ("Design", Decimal("1.000"), Decimal("100.00"), Decimal("19.00"))
        ]
        assert (first.subtotal, first.tax, first.total) == (Decimal("100.00"), Decimal("19.00"), Decimal("119.00"))

        with pytest.raises(ValidationFailed, match="has 2 left to credit"):
            issue_credit_note(invoice, lines=[(design, "3")], reason="Too much")

        rest = issue_credit_note(invoice, reason="Cancelled")
        assert sorted((cl.description, cl.quantity) for cl in rest.lines.all()) == [
            ("Books", Decimal("2.000")),
            ("Design", Decimal("2.000")),
        ]
        assert first.total + rest.total == invoice.total
        with pytest.raises(ValidationFailed, match="credited in full"):
            issue_credit_note(invoice, reason="Again")
        with pytest.raises(ValidationFailed, match="left to credit"):
            issue_credit_note(invoice, lines=[FreeLine("Goodwill", Decimal("1.00"))], reason="Again")

    def test_reverse_charge_invoices_credit_without_tax(self, site_a):
        client = ClientFactory(site=site_a, tax_treatment="reverse_charge")
        invoice, _ = open_invoice(site_a, client=client, lines=[line(unit_price="100.00", tax_rate="19")])
        assert invoice.total == Decimal("100.00")
        note = issue_credit_note(invoice, reason="Cancelled")
        assert (note.tax, note.total) == (Decimal("0.00"), Decimal("100.00"))
        assert note.lines.get().tax_rate == 0

    def test_a_line_of_another_invoice_and_a_bad_quantity_are_refused(self, site_a):
        invoice, _ = open_invoice(site_a)
        other, _ = open_invoice(site_a)
        with pytest.raises(ValidationFailed, match="not on invoice"):
            issue_credit_note(invoice, lines=[(other.lines.get(), "1")], reason="x")
        with pytest.raises(ValidationFailed, match="more than zero"):
            issue_credit_note(invoice, lines=[(invoice.lines.get(), "-1")], reason="x")
        with pytest.raises(ValidationFailed, match="reason"):
            issue_credit_note(invoice, reason="  ")
        assert not CreditNote.objects.exists()

    def test_free_lines_credit_an_amount(self, site_a):
        invoice, _ = open_invoice(site_a, lines=[line(unit_price="100.00", tax_rate="19")])
        note = issue_credit_note(
            invoice, lines=[FreeLine("Goodwill", Decimal("10.00"), tax_rate=Decimal(19))], reason="x"
        )
        assert (note.subtotal, note.tax, note.total) == (Decimal("10.00"), Decimal("1.90"), Decimal("11.90"))
        assert note.lines.get().invoice_line is None


class TestDiscountCodes:
    def discounted(self, site, **discount):
        from invoicing.models import DiscountCode

        kind = DiscountCode.Kind.PERCENT if "percent" in discount else DiscountCode.Kind.FIXED
        code = DiscountCode.objects.create(site=site, code="SAVE", kind=kind, currency="EUR", **discount)
        invoice = draft_invoice(
            site,
            lines=[
                line("A", quantity="1", unit_price="33.33", tax_rate="19"),
                line("B", quantity="3", unit_price="10.01", tax_rate="7"),
            ],
        )
        Invoice.objects.filter(pk=invoice.pk).update(discount_code=code, **self.terms(discount))
        invoice.refresh_from_db()
        from invoicing.services.invoice_totals import store_totals

        store_totals(invoice)
        invoice.save()
        issue_invoice(invoice)
        invoice.refresh_from_db()
        return invoice

    @staticmethod
    def terms(discount):
        if "percent" in discount:
            return {"discount_percent": discount["percent"], "discount_label": "SAVE"}
        return {"discount_total": discount["amount"], "discount_label": "SAVE"}

    @pytest.mark.parametrize("discount", [{"percent": Decimal("15")}, {"amount": Decimal("7.77")}])
    def test_a_whole_invoice_credit_note_credits_exactly_the_discounted_total(self, site_a, discount):
        invoice = self.discounted(site_a, **discount)
        assert invoice.discount_total > 0
        note = issue_credit_note(invoice, reason="Cancelled")
        assert (note.subtotal, note.tax, note.total) == (invoice.subtotal, invoice.tax, invoice.total)
        assert credit_note_totals(note).total == note.total

    @pytest.mark.parametrize("discount", [{"percent": Decimal("15")}, {"amount": Decimal("7.77")}])
    def test_partial_credit_notes_add_up_to_exactly_the_total(self, site_a, discount):
        invoice = self.discounted(site_a, **discount)
        a, b = invoice.lines.get(description="A"), invoice.lines.get(description="B")
        notes = [
            issue_credit_note(invoice, lines=[(b, "1")], reason="1"),
            issue_credit_note(invoice, lines=[(a, "1"), (b, "1")], reason="2"),
            issue_credit_note(invoice, reason="the rest"),
        ]
        assert sum(note.total for note in notes) <= invoice.total
        assert sum(note.total for note in notes) == invoice.total
        # Stored figures are what the PDF recomputes.
        assert [credit_note_totals(note).total for note in notes] == [note.total for note in notes]


class TestPaidInvoice:
    def test_credit_settlement_puts_the_money_on_the_wallet(self, site_a):
        invoice, _ = open_invoice(site_a)
        record_manual_payment(invoice, reason="Transfer", by=None)
        invoice.refresh_from_db()
        note = issue_credit_note(invoice, lines=[(invoice.lines.get(), "0.25")], reason="Partly cancelled")
        assert (note.applied_to_invoice, note.credited, note.refunded) == (0, Decimal("25.00"), 0)
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID and invoice.amount_credited == 0
        assert credit_balance(invoice.client, "EUR") == Decimal("25.00")

    def test_refund_settlement_refunds_the_card_through_stripe(self, site_a, stripe_server):
        invoice, _ = open_invoice(site_a, lines=[line(unit_price="120.00")])
        intent_id = pay_by_card(invoice, stripe_server)

        note = issue_credit_note(
            invoice, lines=[(invoice.lines.get(), "0.5")], reason="Half cancelled", settlement="refund"
        )

        assert (note.applied_to_invoice, note.credited, note.refunded) == (0, 0, Decimal("60.00"))
        refund = Refund.objects.get()
        assert (refund.payment.provider_reference, refund.amount) == (intent_id, Decimal("60.00"))
        assert note.number in refund.reason
        charge = stripe_server.intent(intent_id)["charges"]["data"][0]
        assert charge["amount_refunded"] == 6000
        assert not CreditEntry.objects.exists()
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID

    def test_refund_spreads_over_card_payments_newest_first(self, site_a, stripe_server):
        invoice, _ = open_invoice(site_a, lines=[line(unit_price="100.00")], allow_partial_payments=True)
        older = pay_by_card(invoice, stripe_server, amount=Decimal("70.00"))
        newer = pay_by_card(invoice, stripe_server)
        issue_credit_note(invoice, lines=[(invoice.lines.get(), "0.5")], reason="x", settlement="refund")
        refunds = {r.payment.provider_reference: r.amount for r in Refund.objects.select_related("payment")}
        assert refunds == {newer: Decimal("30.00"), older: Decimal("20.00")}

    def test_an_overpayment_on_credit_is_not_taken_back_by_the_refund(self, site_a, stripe_server):
        invoice, _ = open_invoice(site_a, lines=[line(unit_price="100.00")])
        checkout = start_card_payment(invoice)
        assert stripe_server.pay(checkout.intent_id)[0] == 200
        # A transfer of 20.00 arrives while the card payment of 100.00 is on its way.
        apply_payment(invoice, method=PaymentMethod.MANUAL, amount="20.00", currency="EUR", provider_reference="t")
        complete_card_payment(invoice, checkout.intent_id)
        assert credit_balance(invoice.client, "EUR") == Decimal("20.00")  # the card's excess
        issue_credit_note(invoice, lines=[(invoice.lines.get(), "0.5")], reason="x", settlement="refund")
        assert Refund.objects.get().amount == Decimal("50.00")
        # The refund gives back the invoice's money: the overpayment stays the client's credit.
        assert credit_balance(invoice.client, "EUR") == Decimal("20.00")

    def test_money_received_by_hand_cannot_be_refunded_through_a_provider(self, site_a):
        invoice, _ = open_invoice(site_a)
        record_manual_payment(invoice, reason="Cash", by=None)
        with pytest.raises(PaymentRejected, match="received by hand"):
            issue_credit_note(invoice, reason="Cancelled", settlement="refund")
        assert not CreditNote.objects.exists() and not Refund.objects.exists()

    def test_a_credit_payment_returns_to_credit_on_refund_settlement(self, site_a):
        invoice, _ = open_invoice(site_a)
        CreditEntry.objects.create(client=invoice.client, currency="EUR", amount=Decimal("100.00"), kind="added")
        pay_with_credit(invoice)
        assert credit_balance(invoice.client, "EUR") == 0
        note = issue_credit_note(invoice, reason="Cancelled", settlement="refund")
        assert (note.credited, note.refunded) == (Decimal("100.00"), 0)
        assert credit_balance(invoice.client, "EUR") == Decimal("100.00")
        with pytest.raises(ValidationFailed):
            issue_credit_note(invoice, lines=[FreeLine("More", Decimal("1.00"))], reason="x", settlement="refund")

    def test_the_old_receipt_link_still_opens(self, site_a):
        invoice, link = open_invoice(site_a)
        record_manual_payment(invoice, reason="Transfer", by=None)
        issue_credit_note(invoice, reason="x")
        assert resolve_receipt_link(link.token, site=site_a) == invoice


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_credit_notes_get_distinct_gapless_numbers():
    site = make_website("cn-race.test", prefix="R")
    invoices = [open_invoice(site)[0] for _ in range(6)]
    results = run_together(
        lambda invoice: issue_credit_note(Invoice.objects.get(pk=invoice.pk), reason="race"), invoices
    )
    assert not [r for r in results if isinstance(r, Exception)]
    numbers = sorted(CreditNote.objects.filter(site=site).values_list("number", flat=True))
    year = CreditNote.objects.first().issued_at.year
    assert numbers == [f"R-CN-{year}-{n:05d}" for n in range(1, 7)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_credit_notes_on_one_invoice_never_credit_more_than_its_total():
    site = make_website("cn-over.test", prefix="O")
    invoice, _ = open_invoice(site)
    results = run_together(lambda _: issue_credit_note(Invoice.objects.get(pk=invoice.pk), reason="race"), range(4))
    assert len([r for r in results if isinstance(r, CreditNote)]) == 1
    assert CreditNote.objects.filter(invoice=invoice).count() == 1
