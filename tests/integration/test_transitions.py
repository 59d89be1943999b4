"""Every allowed and every forbidden move of the lifecycle, through the services."""

from decimal import Decimal

import pytest

from invoicing.core.exceptions import InvalidTransition, ValidationFailed
from invoicing.core.lifecycle import ALLOWED_TRANSITIONS, InvoiceStatus
from invoicing.models import Invoice, InvoiceEvent, PaymentMethod
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import apply_payment, record_manual_payment
from tests.factories import draft_invoice

S = InvoiceStatus


def invoice_in(site, status):
    invoice = draft_invoice(site)
    if status == S.DRAFT:
        return invoice
    invoice_services.issue_invoice(invoice)
    if status == S.PAID:
        record_manual_payment(invoice, reason="Bank transfer", by=None)
    elif status == S.VOID:
        invoice_services.void_invoice(invoice, reason="Duplicate")
    elif status == S.UNCOLLECTIBLE:
        invoice_services.mark_uncollectible(invoice, reason="Gone")
    assert invoice.status == status
    return invoice


def pay_in_full(invoice):
    apply_payment(
        invoice,
        method=PaymentMethod.MANUAL,
        amount=invoice.amount_due,
        currency=invoice.currency,
        provider_reference="ref-1",
    )


# The service that moves an invoice to each target state.
MOVES = {
    S.OPEN: invoice_services.issue_invoice,
    S.PAID: pay_in_full,
    S.VOID: lambda invoice: invoice_services.void_invoice(invoice, reason="Mistake"),
    S.UNCOLLECTIBLE: lambda invoice: invoice_services.mark_uncollectible(invoice, reason="Gone"),
}

ALLOWED = [(source, target) for source in S for target in MOVES if target in ALLOWED_TRANSITIONS[source]]
FORBIDDEN = [
    (source, target)
    for source in S
    for target in MOVES
    if target not in ALLOWED_TRANSITIONS[source] and not (target == S.PAID and source in (S.PAID, S.VOID))
]


@pytest.mark.parametrize(("source", "target"), ALLOWED, ids=[f"{s}->{t}" for s, t in ALLOWED])
def test_allowed_transition(site_a, source, target):
    invoice = invoice_in(site_a, source)
    events_before = invoice.events.count()
    MOVES[target](invoice)
    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.status == target
    assert stored.events.count() > events_before


@pytest.mark.parametrize(("source", "target"), FORBIDDEN, ids=[f"{s}->{t}" for s, t in FORBIDDEN])
def test_forbidden_transition_raises_and_changes_nothing(site_a, source, target):
    invoice = invoice_in(site_a, source)
    before = Invoice.objects.filter(pk=invoice.pk).values().get()
    events_before = invoice.events.count()
    with pytest.raises(InvalidTransition) as error:
        MOVES[target](invoice)
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == before
    assert invoice.events.count() == events_before
    # The message is for a person: it names the invoice and its state.
    assert invoice.get_status_display().lower() in error.value.message


@pytest.mark.parametrize("source", [S.PAID, S.VOID])
def test_money_for_a_closed_invoice_becomes_credit_instead_of_a_transition(site_a, source):
    invoice = invoice_in(site_a, source)
    result = apply_payment(
        invoice, method=PaymentMethod.MANUAL, amount=Decimal("5.00"), currency="EUR", provider_reference="late"
    )
    assert result.credited == Decimal("5.00")
    assert Invoice.objects.get(pk=invoice.pk).status == source


def test_issuing_assigns_number_snapshot_and_link(site_a):
    invoice = draft_invoice(site_a)
    link = invoice_services.issue_invoice(invoice)
    invoice.refresh_from_db()
    assert invoice.number.startswith("ACME-")
    assert invoice.issued_at is not None
    assert invoice.billing_name == invoice.client.name
    assert invoice.payment_link is not None and link.url.endswith(f"/pay/invoice/{link.token}/")
    assert list(invoice.events.values_list("kind", flat=True)) == [
        InvoiceEvent.Kind.CREATED,
        InvoiceEvent.Kind.ISSUED,
        InvoiceEvent.Kind.LINK_ISSUED,
    ]


def test_client_details_are_frozen_at_issue(site_a):
    invoice = draft_invoice(site_a)
    invoice_services.issue_invoice(invoice)
    invoice.client.name = "Renamed Ltd"
    invoice.client.save()
    invoice.refresh_from_db()
    assert invoice.billing_name != "Renamed Ltd"


def test_void_needs_a_reason(site_a):
    invoice = invoice_in(site_a, S.OPEN)
    with pytest.raises(ValidationFailed, match="reason"):
        invoice_services.void_invoice(invoice, reason="  ")
    assert Invoice.objects.get(pk=invoice.pk).status == S.OPEN


def test_a_partly_paid_invoice_cannot_be_voided(site_a):
    invoice = invoice_in(site_a, S.OPEN)
    record_manual_payment(invoice, amount=Decimal("10.00"), reason="Part", by=None)
    with pytest.raises(InvalidTransition, match="refund the payments"):
        invoice_services.void_invoice(invoice, reason="Changed our mind")
    assert Invoice.objects.get(pk=invoice.pk).status == S.OPEN


def test_an_empty_draft_cannot_be_issued(site_a):
    invoice = draft_invoice(site_a)
    invoice.lines.all().delete()
    with pytest.raises(ValidationFailed, match="at least one line"):
        invoice_services.issue_invoice(invoice)
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.number) == (S.DRAFT, "")
