"""Credit notes: how an issued invoice is corrected. An issued invoice is never re-totalled; a
credit note credits some of its lines (or all of them), and its money is settled in one order:

1. it takes what it can off the invoice's open balance (``invoice.amount_credited``), and the
   invoice is paid when nothing is left;
2. the rest is money the client already paid: it goes to the client's account credit, or is
   refunded through the payment's provider (card payments, newest first; what was paid with
   credit returns to credit; money received by hand cannot be refunded here).

Open, paid and written-off invoices can be credited; drafts are edited instead, and a voided
invoice asks for nothing and received nothing, so there is nothing to credit.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core import signals
from ..core.exceptions import InvalidTransition, PaymentRejected, ValidationFailed
from ..core.lifecycle import COLLECTIBLE_STATES, InvoiceStatus
from ..core.money import format_money, round_money, to_minor_units
from ..models import Client, CreditEntry, CreditNote, CreditNoteLine, InvoiceEvent, Payment, PaymentLink, PaymentMethod
from ..providers import get_provider
from .amounts_due import next_collect_by
from .credit_note_lines import FreeLine, credit_note_totals, credited_quantities, totals_of, wanted_lines
from .events import record_event
from .intents import cancel_live_intents
from .invoices import describe, transition
from .locking import lock_invoice
from .numbering import assign_credit_note_number
from .payments import record_refund
from .tokens import open_new_link

logger = logging.getLogger(__name__)

__all__ = ["FreeLine", "can_be_credited", "credit_note_totals", "credited_quantities", "issue_credit_note"]

Settlement = CreditNote.Settlement
CREDITABLE_STATES = frozenset({InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.UNCOLLECTIBLE})


def can_be_credited(invoice):
    """Whether ``invoice`` is issued and not void: what the admin offers the action for, without a
    query (listings ask for every row). ``issue_credit_note`` refuses one that is credited in full."""
    return invoice.status in CREDITABLE_STATES


def _prepare(invoice, lines):
    """The lines to credit and their totals, checked: the invoice can be credited, and all its
    credit notes together never credit more than its total."""
    if invoice.status not in CREDITABLE_STATES:
        raise InvalidTransition(
            _("Invoice %(invoice)s is %(status)s: only an issued invoice that is not void can be credited.")
            % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
        )
    earlier = list(invoice.credit_notes.prefetch_related("lines"))
    credited_before = credited_quantities(invoice)
    wanted = wanted_lines(invoice, lines, credited_before)
    totals = totals_of(invoice, wanted, earlier, credited_before)
    credited_total = sum((note.total for note in earlier), Decimal(0))
    if totals.total <= 0:
        raise ValidationFailed(_("A credit note must credit more than zero."))
    if credited_total + totals.total > invoice.total:
        raise ValidationFailed(
            _("This would credit %(amount)s, but only %(left)s of invoice %(invoice)s is left to credit.")
            % {
                "amount": format_money(totals.total, invoice.currency),
                "left": format_money(invoice.total - credited_total, invoice.currency),
                "invoice": describe(invoice),
            }
        )
    return wanted, totals, earlier


@dataclass(frozen=True)
class CreditNotePreview:
    """What a credit note would be, for a confirmation page: nothing is written."""

    lines: tuple
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    off_balance: Decimal  # taken off the open balance
    paid_back: Decimal  # money already paid, to credit or refunded


def preview_credit_note(invoice, *, lines=None):
    wanted, totals, earlier = _prepare(invoice, lines)
    note = CreditNote(currency=invoice.currency, total=totals.total)
    off_balance, paid_back = _split(note, invoice, earlier)
    return CreditNotePreview(
        lines=tuple(wanted),
        subtotal=totals.subtotal,
        tax=totals.tax,
        total=totals.total,
        off_balance=off_balance,
        paid_back=paid_back,
    )


def issue_credit_note(invoice, *, lines=None, reason, settlement=Settlement.CREDIT, by=None):
    """Issue a credit note against ``invoice`` and settle its money; returns the ``CreditNote``,
    with ``new_link`` set to the invoice's new payment link where its open balance changed.

    ``lines``: ``None`` credits everything not yet credited; else ``(invoice_line, quantity)``
    pairs, or ``FreeLine`` amounts. ``settlement``: what happens to money the client already paid.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for the credit note."))
    if settlement not in Settlement.values:
        raise ValidationFailed(_("Choose whether paid money goes to account credit or is refunded."))
    with transaction.atomic():
        # The client row first, then the invoice, in the order ``pay_with_credit`` takes them.
        Client.objects.select_for_update().get(pk=invoice.client_id)
        lock_invoice(invoice)
        wanted, totals, earlier = _prepare(invoice, lines)
        note = CreditNote(
            site=invoice.site,
            invoice=invoice,
            client=invoice.client,
            currency=invoice.currency,
            reason=reason,
            settlement=settlement,
            subtotal=totals.subtotal,
            tax=totals.tax,
            total=totals.total,
            created_by=by,
        )
        note.number = assign_credit_note_number(note)
        off_balance, paid_back = _split(note, invoice, earlier)
        note.save()
        CreditNoteLine.objects.bulk_create(
            CreditNoteLine(
                credit_note=note,
                sort_order=index,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                tax_id=line.tax_id,
                invoice_line_id=line.invoice_line_id,
            )
            for index, line in enumerate(wanted)
        )
        _apply_to_balance(invoice, note, off_balance, by=by)
        _settle_paid_money(invoice, note, paid_back, by=by)
        record_event(
            invoice,
            InvoiceEvent.Kind.CREDIT_NOTE_ISSUED,
            by=by,
            credit_note=note.pk,
            number=note.number,
            total=note.total,
            applied=note.applied_to_invoice,
            credited=note.credited,
            refunded=note.refunded,
        )
        transaction.on_commit(
            lambda: signals.credit_note_issued.send(sender=CreditNote, credit_note=note, invoice=invoice, by=by)
        )
    return note


def _split(note, invoice, earlier):
    """How the total is settled, as (off the open balance, money already paid to give back): off the
    balance first; the rest is money received, given back as the settlement says. Where the rest is
    more than the client paid and has not had back (the invoice took an early-payment discount),
    that part was never paid and counts as off the balance."""
    balance = invoice.amount_due if invoice.status in COLLECTIBLE_STATES else Decimal(0)
    off_balance = min(note.total, balance)
    rest = note.total - off_balance
    given_back = sum((earlier_note.credited + earlier_note.refunded for earlier_note in earlier), Decimal(0))
    money = min(rest, max(invoice.amount_paid - given_back, Decimal(0)))
    note.applied_to_invoice = note.total - money
    note.credited = note.refunded = round_money(0, note.currency)
    # The invoice's new payment link (``IssuedLink``), where its balance changed and stays open.
    note.new_link = None
    return off_balance, money


def _apply_to_balance(invoice, note, off_balance, *, by):
    if not off_balance:
        return
    # The balance changes outside the card flow: an intent for the old amount must not take money.
    cancel_live_intents(invoice)
    invoice.amount_credited += off_balance
    invoice.collect_by = next_collect_by(invoice)
    if invoice.amount_due == 0:
        transition(invoice, InvoiceStatus.PAID)
        invoice.paid_at = timezone.now()
        invoice.save()
        record_event(invoice, InvoiceEvent.Kind.PAID, by=by, credit_note=note.pk)
        transaction.on_commit(lambda: signals.invoice_paid.send(sender=type(invoice), invoice=invoice, by=by))
        return
    invoice.save()
    # The link is bound to the balance: the old one now leads to the recovery page.
    note.new_link = open_new_link(invoice, by=by, reason=PaymentLink.EndReason.ROTATED)


def _settle_paid_money(invoice, note, money, *, by):
    if not money:
        return
    if note.settlement == Settlement.CREDIT:
        _to_credit(note, money, by=by)
    else:
        _refund(invoice, note, money, by=by)
    note.save(update_fields=["credited", "refunded"])


def _to_credit(note, amount, *, by):
    CreditEntry.objects.create(
        client=note.client,
        currency=note.currency,
        amount=amount,
        kind=CreditEntry.Kind.CREDIT_NOTE,
        credit_note=note,
        created_by=by,
        note=_("Credit note %(number)s") % {"number": note.number},
    )
    note.credited += amount


def _refund(invoice, note, amount, *, by):
    """Card payments are refunded at the provider, newest first; what was paid with account credit
    returns to credit; money received by hand (a transfer, cash) cannot be sent back from here."""
    payments = list(
        invoice.payments.filter(
            status=Payment.Status.SUCCEEDED, method__in=(PaymentMethod.STRIPE, PaymentMethod.CREDIT)
        )
        .select_for_update()
        .order_by("-created_at", "-id")
    )
    plan, left = [], amount
    for method in (PaymentMethod.STRIPE, PaymentMethod.CREDIT):
        for payment in payments:
            if payment.method == method and left and (part := min(left, payment.refundable_amount)) > 0:
                plan.append((payment, part))
                left -= part
    if left:
        raise PaymentRejected(
            _(
                "%(amount)s of invoice %(invoice)s was received by hand (a transfer or cash) and cannot be refunded "
                "through a provider: give it back yourself and issue the credit note to account credit."
            )
            % {"amount": format_money(left, invoice.currency), "invoice": describe(invoice)}
        )
    for payment, part in plan:
        if payment.method == PaymentMethod.CREDIT:
            # Recorded as a refund of the credit payment, which returns it to credit (once per note).
            record_refund(
                payment,
                amount=part,
                provider_reference=f"credit-note-{note.number}",
                reason=_("Credit note %(number)s: %(reason)s") % {"number": note.number, "reason": note.reason},
                by=by,
            )
            note.credited += part
    card_parts = [(payment, part) for payment, part in plan if payment.method == PaymentMethod.STRIPE]
    if not card_parts:
        return
    provider = get_provider()
    for payment, part in card_parts:
        # The key repeats on a retry after a rollback (the number is given back with it), so
        # Stripe refunds once however often this runs.
        key = f"credit-note-{note.site_id}-{note.number}-{payment.pk}-{to_minor_units(part, note.currency)}"
        refund = provider.refund_intent(
            payment.provider_reference, amount=part, currency=note.currency, idempotency_key=key
        )
        if refund.status in ("failed", "canceled"):
            raise PaymentRejected(
                _("The provider refused to refund %(amount)s of card payment %(reference)s.")
                % {"amount": format_money(part, note.currency), "reference": payment.provider_reference}
            )
        record_refund(
            payment,
            amount=refund.amount,
            provider_reference=refund.id,
            reason=_("Credit note %(number)s: %(reason)s") % {"number": note.number, "reason": note.reason},
            by=by,
            take_back_credit=False,
        )
        note.refunded += refund.amount
        logger.info("Credit note %s refunded %s of intent %s", note.number, part, payment.provider_reference)
