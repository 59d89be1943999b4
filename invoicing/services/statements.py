"""A client's statement of account over a range of dates, per currency, as data (its CSV and PDF
are ``statement_files``).

The balance is the one the rest of the module shows: what the client owes on open invoices, less
the account credit they hold. Every event changes it by Δowed − Δcredit:

- an invoice issued: +total;
- a payment: −(what it paid of an open invoice) − (what it put on, or took off, the credit), so a
  card payment is −amount and a payment with credit is 0 (it moves money from credit to the invoice);
- a refund: only what it gives back to, or takes back from, the credit (``amount_paid`` stays);
- an early-payment discount taken: −(the discount), when the payment that earned it settled the invoice;
- a credit note: −(what it took off the invoice's balance) − (what it put on the credit); what it
  refunded to a card is a refund line of its own (0 on the balance);
- credit added by an admin (a prepayment): −(the amount), like any other credit entry on its own;
- a write-off or a void: −(what the invoice still asked for).

The reconciliation at the end date (owed on invoices open then, less the credit then) is computed
separately from the events and must agree with the closing balance.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.exceptions import ValidationFailed
from ..core.lifecycle import InvoiceStatus
from ..core.money import round_money
from ..models import Client, CreditEntry, CreditNote, Invoice, Payment, PaymentMethod

# Lines of the same instant: the invoice before the money paid on it, and its closing last.
KIND_ORDER = {
    "invoice": 0,
    "payment": 1,
    "credit_payment": 1,
    "early_discount": 2,
    "credit_note": 2,
    "refund": 2,
    "credit": 3,
    "write_off": 4,
    "void": 4,
}
CLOSED_KINDS = frozenset({"write_off", "void"})
# What a payment put on the client's credit because the invoice could not take it.
EXCESS_KINDS = frozenset({CreditEntry.Kind.OVERPAYMENT, CreditEntry.Kind.UNAPPLIED_PAYMENT})


@dataclass(frozen=True)
class StatementLine:
    when: datetime
    kind: str  # invoice, payment, credit_payment, early_discount, credit_note, refund, write_off, void, credit
    invoice_number: str
    description: str
    amount: Decimal  # the effect on the balance
    memo: Decimal | None  # money that moved without changing the balance as much (credit payments, refunds)
    balance: Decimal  # the running balance after this line


@dataclass(frozen=True)
class CurrencyStatement:
    currency: str
    opening_balance: Decimal
    lines: tuple[StatementLine, ...]
    invoiced: Decimal
    paid: Decimal
    refunded: Decimal
    closed: Decimal  # written off and voided
    closing_balance: Decimal
    outstanding: Decimal  # owed on invoices open at the end date
    credit: Decimal  # the account credit at the end date


@dataclass(frozen=True)
class Statement:
    client: Client
    site: object  # the client's wagtail Site
    start: date
    end: date
    currencies: tuple[CurrencyStatement, ...]


@dataclass
class _Event:
    when: datetime
    kind: str
    pk: int
    currency: str
    invoice: Invoice | None
    description: str = ""
    memo: Decimal | None = None
    applied: Decimal = Decimal(0)  # what a payment paid of its invoice
    credit: Decimal = Decimal(0)  # Δ of the client's credit
    owed: Decimal = Decimal(0)  # Δ of what the client owes on open invoices, set in order
    day: date = field(init=False)

    def __post_init__(self):
        self.day = timezone.localtime(self.when).date()

    @property
    def order(self):
        return (self.when, KIND_ORDER[self.kind], self.pk)

    @property
    def effect(self):
        return self.owed - self.credit


def _money(value, currency):
    # "+ 0" turns a negative zero (from negating a zero) into a plain one.
    return round_money(value, currency) + 0


def _as_date(value, name):
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not isinstance(value, date):
        raise ValidationFailed(_("The statement's %(name)s must be a date.") % {"name": name})
    return value


def build_statement(client, *, start, end) -> Statement:
    """The statement of ``client`` from ``start`` to ``end``, both included, in local dates."""
    start, end = _as_date(start, _("start")), _as_date(end, _("end"))
    if start > end:
        raise ValidationFailed(
            _("The statement cannot start on %(start)s, after its end on %(end)s; swap the two dates.")
            % {"start": start.isoformat(), "end": end.isoformat()}
        )
    invoices = list(Invoice.objects.filter(client=client, issued_at__isnull=False).exclude(status=InvoiceStatus.DRAFT))
    events, wallet = _events(client, invoices)
    by_currency = defaultdict(list)
    for event in sorted(events, key=lambda event: event.order):
        if event.day <= end:
            by_currency[event.currency].append(event)
    _set_owed(by_currency)
    sections = []
    for currency in sorted(by_currency):
        section = _currency_statement(currency, by_currency[currency], invoices, wallet, start, end)
        if section.lines or section.opening_balance or section.outstanding or section.credit:
            sections.append(section)
    return Statement(client=client, site=client.site, start=start, end=end, currencies=tuple(sections))


def _events(client, invoices):
    """Every event of the client's history, each with what it did to the client's credit; and the
    credit ledger on its own, each entry dated as its event, for the reconciliation."""
    payments = list(
        Payment.objects.filter(invoice__client=client, status=Payment.Status.SUCCEEDED)
        .select_related("invoice")
        .prefetch_related("refunds")
    )
    known_payments = {payment.pk: payment.created_at for payment in payments}
    known_refunds = {refund.pk: refund.created_at for payment in payments for refund in payment.refunds.all()}
    notes = list(CreditNote.objects.filter(client=client).select_related("invoice"))
    known_notes = {note.pk: note.issued_at for note in notes}
    by_payment, by_refund, by_note, loose, wallet = defaultdict(list), defaultdict(list), defaultdict(list), [], []
    for entry in CreditEntry.objects.filter(client=client).order_by("created_at", "pk"):
        if entry.credit_note_id in known_notes:
            by_note[entry.credit_note_id].append(entry)
            moment = known_notes[entry.credit_note_id]
        elif entry.refund_id in known_refunds:
            by_refund[entry.refund_id].append(entry)
            moment = known_refunds[entry.refund_id]
        elif entry.refund_id is None and entry.payment_id in known_payments:
            by_payment[entry.payment_id].append(entry)
            moment = known_payments[entry.payment_id]
        else:
            loose.append(entry)
            moment = entry.created_at
        wallet.append((entry.currency, timezone.localtime(moment).date(), entry.amount))

    events = []
    for invoice in invoices:
        events.append(_Event(invoice.issued_at, "invoice", invoice.pk, invoice.currency, invoice, invoice.title))
        if invoice.early_discount_taken and invoice.paid_at:
            description = _("Early-payment discount")
            events.append(_Event(invoice.paid_at, "early_discount", invoice.pk, invoice.currency, invoice, description))
        closed = _closing_kind(invoice)
        if closed:
            description = _("Voided") if closed == "void" else _("Written off as uncollectible")
            events.append(_Event(invoice.closed_at, closed, invoice.pk, invoice.currency, invoice, description))
    for payment in payments:
        events.append(_payment_event(payment, by_payment[payment.pk]))
        for refund in payment.refunds.all():
            events.append(_refund_event(payment, refund, by_refund[refund.pk]))
    for note in notes:
        events.append(_credit_note_event(note, by_note[note.pk]))
    for entry in loose:
        events.append(
            _Event(
                entry.created_at,
                "credit",
                entry.pk,
                entry.currency,
                None,
                _credit_description(entry),
                credit=entry.amount,
            )
        )
    return events, wallet


def _credit_description(entry):
    if entry.kind == CreditEntry.Kind.ADDED:
        return _("Credit added: %(reason)s") % {"reason": entry.note} if entry.note else entry.get_kind_display()
    return entry.note or entry.get_kind_display()


def _credit_note_event(note, entries):
    description = _("Credit note %(number)s: %(reason)s") % {"number": note.number, "reason": note.reason}
    return _Event(
        note.issued_at,
        "credit_note",
        note.pk,
        note.currency,
        note.invoice,
        description,
        memo=note.total,
        applied=note.applied_to_invoice,
        credit=round_money(sum((entry.amount for entry in entries), Decimal(0)), note.currency),
    )


def _closing_kind(invoice):
    if invoice.closed_at is None:
        return None
    if invoice.status == InvoiceStatus.VOID:
        return "void"
    # Still uncollectible, or paid by late money after it was written off.
    if invoice.status in (InvoiceStatus.UNCOLLECTIBLE, InvoiceStatus.PAID):
        return "write_off"
    return None


def _payment_event(payment, entries):
    currency = payment.currency
    excess = sum((entry.amount for entry in entries if entry.kind in EXCESS_KINDS), Decimal(0))
    credit = sum((entry.amount for entry in entries), Decimal(0))
    number = payment.invoice.number
    if payment.method == PaymentMethod.CREDIT:
        kind, memo = "credit_payment", payment.amount
        description = _("Paid %(number)s with account credit") % {"number": number}
    else:
        kind, memo = "payment", None
        description = _("Card payment") if payment.method == PaymentMethod.STRIPE else _("Payment received")
        if excess and excess == payment.amount:
            description = _("%(payment)s for a closed invoice, kept as account credit") % {"payment": description}
        elif excess:
            description = _("%(payment)s, the overpayment kept as account credit") % {"payment": description}
    return _Event(
        payment.created_at,
        kind,
        payment.pk,
        currency,
        payment.invoice,
        description,
        memo=memo,
        applied=round_money(payment.amount - excess, currency),
        credit=round_money(credit, currency),
    )


def _refund_event(payment, refund, entries):
    currency = payment.currency
    credit = round_money(sum((entry.amount for entry in entries), Decimal(0)), currency)
    if payment.method == PaymentMethod.CREDIT:
        description = _("Credit payment refunded to account credit")
    elif credit < 0:
        description = _("Refund; unused account credit taken back")
    else:
        description = _("Refund")
    return _Event(
        refund.created_at,
        "refund",
        refund.pk,
        currency,
        payment.invoice,
        description,
        memo=round_money(refund.amount, currency),
        credit=credit,
    )


def _set_owed(by_currency):
    """What each event did to the amount owed on open invoices, walking the history in order: a
    payment lowers it only while its invoice is open, and a closing takes away what was left."""
    for events in by_currency.values():
        owed = {}  # invoice id -> what it still asks for; absent before its issue and after its closing
        for event in events:
            invoice = event.invoice
            if event.kind == "invoice":
                owed[invoice.pk] = event.owed = invoice.total
            elif event.kind in ("payment", "credit_payment") and invoice.pk in owed:
                event.owed = -event.applied
                owed[invoice.pk] -= event.applied
            elif event.kind == "early_discount" and invoice.pk in owed:
                event.owed = -min(invoice.early_discount_taken, owed[invoice.pk])
                owed[invoice.pk] += event.owed
            elif event.kind == "credit_note" and invoice.pk in owed:
                # What a credit note "took off" beyond the balance (an early-payment discount's
                # part, which nobody paid) is not owed any more either way.
                event.owed = -min(event.applied, owed[invoice.pk])
                owed[invoice.pk] += event.owed
            elif event.kind in CLOSED_KINDS:
                event.owed = -owed.pop(invoice.pk, Decimal(0))


def _currency_statement(currency, events, invoices, wallet, start, end):
    opening = sum((event.effect for event in events if event.day < start), Decimal(0))
    balance, lines, totals = opening, [], defaultdict(Decimal)
    for event in events:
        if event.day < start:
            continue
        balance += event.effect
        totals[event.kind] += event.effect
        lines.append(
            StatementLine(
                when=event.when,
                kind=event.kind,
                invoice_number=event.invoice.number if event.invoice else "",
                description=event.description,
                amount=_money(event.effect, currency),
                memo=event.memo,
                balance=_money(balance, currency),
            )
        )
    outstanding, credit = _reconciliation(currency, events, invoices, wallet, end)
    closing = _money(balance, currency)
    if closing != outstanding - credit:
        raise AssertionError(
            f"Statement of {currency}: the closing balance {closing} is not {outstanding} owed less {credit} credit"
        )
    return CurrencyStatement(
        currency=currency,
        opening_balance=_money(opening, currency),
        lines=tuple(lines),
        invoiced=_money(totals["invoice"], currency),
        paid=_money(totals["payment"] + totals["credit_payment"], currency),
        refunded=_money(totals["refund"], currency),
        closed=_money(totals["write_off"] + totals["void"], currency),
        closing_balance=closing,
        outstanding=outstanding,
        credit=credit,
    )


def _reconciliation(currency, events, invoices, wallet, end):
    """What was owed on invoices open at the end date, and the credit then, from the invoices, the
    payments and the credit ledger rather than from the lines' effects."""
    local = timezone.localtime
    applied = defaultdict(Decimal)
    for event in events:  # all on or before ``end``
        if event.kind in ("payment", "credit_payment", "credit_note") and event.when >= event.invoice.issued_at:
            applied[event.invoice.pk] += event.applied
        elif event.kind == "early_discount":
            applied[event.invoice.pk] += event.invoice.early_discount_taken
    outstanding = Decimal(0)
    for invoice in invoices:
        if invoice.currency != currency or local(invoice.issued_at).date() > end:
            continue
        if _closing_kind(invoice) and local(invoice.closed_at).date() <= end:
            continue
        outstanding += max(invoice.total - applied[invoice.pk], Decimal(0))
    credit = sum((amount for code, day, amount in wallet if code == currency and day <= end), Decimal(0))
    return _money(outstanding, currency), _money(credit, currency)
