"""The client's wallet: account credit per currency, kept as a ledger of ``CreditEntry`` rows.

Credit comes from overpayments, payments for closed invoices, credit notes, refunded credit
payments and prepayments an admin records (``add_credit``); it is spent with ``pay_with_credit``.
Every change takes the client's row lock, so that concurrent changes never overdraw it."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from ..core.exceptions import ValidationFailed
from ..core.money import SUPPORTED_CURRENCIES, round_money
from ..models import Client, CreditEntry
from .payments import positive_amount


def add_credit(client, *, amount, currency, reason, by):
    """Record a prepayment received from ``client`` (or credit granted) as account credit."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give a reason for adding credit, such as the prepayment's reference."))
    currency = (currency or "").upper()
    if currency not in SUPPORTED_CURRENCIES:
        raise ValidationFailed(_("%(currency)s is not a supported currency.") % {"currency": currency or "?"})
    amount = positive_amount(amount, currency)
    with transaction.atomic():
        # The client row serialises every change of the wallet (``pay_with_credit`` takes it too).
        Client.objects.select_for_update().get(pk=client.pk)
        return CreditEntry.objects.create(
            client=client,
            currency=currency,
            amount=amount,
            kind=CreditEntry.Kind.ADDED,
            note=reason,
            created_by=by,
        )


@dataclass(frozen=True)
class LedgerRow:
    when: datetime
    kind: str
    label: str
    description: str
    amount: Decimal
    balance: Decimal  # the credit after this entry
    invoice_number: str = ""
    credit_note_number: str = ""


@dataclass(frozen=True)
class CurrencyLedger:
    currency: str
    rows: tuple[LedgerRow, ...]  # oldest first
    balance: Decimal


def ledger(client):
    """The client's credit entries per currency, oldest first, each with the running balance."""
    entries = (
        CreditEntry.objects.filter(client=client)
        .select_related("payment__invoice", "refund__payment__invoice", "credit_note", "created_by")
        .order_by("created_at", "pk")
    )
    by_currency = {}
    for entry in entries:
        rows, balance = by_currency.setdefault(entry.currency, ([], [round_money(0, entry.currency)]))
        balance[0] += entry.amount
        invoice = _invoice_of(entry)
        rows.append(
            LedgerRow(
                when=entry.created_at,
                kind=entry.kind,
                label=entry.get_kind_display(),
                description=entry.note,
                amount=entry.amount,
                balance=balance[0],
                invoice_number=invoice.number if invoice else "",
                credit_note_number=entry.credit_note.number if entry.credit_note_id else "",
            )
        )
    return [
        CurrencyLedger(currency=currency, rows=tuple(rows), balance=balance[0])
        for currency, (rows, balance) in sorted(by_currency.items())
    ]


def _invoice_of(entry):
    if entry.credit_note_id:
        return entry.credit_note.invoice
    if entry.payment_id:
        return entry.payment.invoice
    if entry.refund_id:
        return entry.refund.payment.invoice
    return None
