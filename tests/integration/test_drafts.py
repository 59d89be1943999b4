from decimal import Decimal

import pytest

from invoicing.core import signals
from invoicing.core.exceptions import InvalidTransition, ValidationFailed
from invoicing.models import Invoice, InvoiceEvent
from invoicing.services import invoices as invoice_services
from tests.factories import ClientFactory, draft_invoice, line, open_invoice


def test_a_draft_gets_the_sites_currency_and_payment_terms(site_a, site_b):
    invoice = draft_invoice(site_b)
    assert invoice.currency == "USD"
    assert (invoice.due_date - invoice.created_at.date()).days == 30


def test_update_draft_replaces_lines_and_recomputes_totals(site_a):
    invoice = draft_invoice(site_a)
    invoice_services.update_draft(
        invoice, title="Renamed", lines=[line(quantity="2", unit_price="10.005", tax_rate="10")]
    )
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.title == "Renamed"
    assert (stored.subtotal, stored.tax, stored.total) == (Decimal("20.01"), Decimal("2.00"), Decimal("22.01"))
    assert stored.lines.count() == 1


def test_update_draft_refuses_what_a_draft_edit_may_not_touch(site_a):
    invoice = draft_invoice(site_a)
    with pytest.raises(ValidationFailed, match="status"):
        invoice_services.update_draft(invoice, status="paid")
    with pytest.raises(ValidationFailed, match="total"):
        invoice_services.update_draft(invoice, total=Decimal(1))


def test_an_issued_invoice_is_not_a_draft_any_more(site_a):
    invoice, _ = open_invoice(site_a)
    stale = Invoice.objects.get(pk=invoice.pk)
    with pytest.raises(InvalidTransition, match="can no longer be edited"):
        invoice_services.update_draft(stale, title="Sneaky")
    assert Invoice.objects.get(pk=invoice.pk).title == invoice.title


def test_a_draft_cannot_bill_another_websites_client(site_a, site_b):
    with pytest.raises(ValidationFailed, match="another website"):
        draft_invoice(site_a, client=ClientFactory(site=site_b))
    assert not Invoice.objects.exists()


def test_an_unsupported_currency_is_refused(site_a):
    with pytest.raises(ValidationFailed, match="XYZ"):
        draft_invoice(site_a, currency="XYZ")


@pytest.mark.parametrize(
    ("signal", "act"),
    [
        (signals.invoice_issued, lambda invoice: invoice_services.issue_invoice(invoice)),
        (
            signals.invoice_voided,
            lambda invoice: (
                invoice_services.issue_invoice(invoice),
                invoice_services.void_invoice(invoice, reason="Duplicate"),
            ),
        ),
    ],
)
def test_lifecycle_signals_are_sent_after_commit(site_a, django_capture_on_commit_callbacks, signal, act):
    invoice = draft_invoice(site_a)
    received = []
    signal.connect(lambda **kwargs: received.append(kwargs["invoice"].pk), weak=False, dispatch_uid="test")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            act(invoice)
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        signal.disconnect(dispatch_uid="test")
    assert received == [invoice.pk]


def test_the_timeline_is_append_only(site_a):
    event = draft_invoice(site_a).events.get()
    event.data = {"rewritten": True}
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    assert InvoiceEvent.objects.get(pk=event.pk).data == {}


@pytest.mark.parametrize(("currency", "shown"), [("EUR", "100.00"), ("JPY", "100"), ("KWD", "100.000")])
def test_amounts_load_at_their_currencys_precision(site_a, currency, shown):
    invoice = draft_invoice(site_a, currency=currency, lines=[line(unit_price="100")])
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (str(stored.total), str(stored.amount_due)) == (shown, shown)
