"""Money in and out. ``apply_payment`` is the one entry point for every payment method: the
Stripe return URL, the webhook, the reconciliation sweep, manual entries and credit."""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core import signals
from ..core.exceptions import InvalidTransition, PaymentRejected, ValidationFailed
from ..core.lifecycle import COLLECTIBLE_STATES, ClientRequest, InvoiceStatus, client_may
from ..core.money import MoneyError, format_money, round_money, to_decimal
from ..models import CardPayment, Client, CreditEntry, InvoiceEvent, Payment, PaymentLink, PaymentMethod, Refund
from .amounts_due import amounts_due, early_price, next_collect_by
from .events import record_event
from .intents import cancel_live_intents
from .invoices import describe, send_after_commit, transition
from .locking import lock_invoice
from .outbox import queue_receipt
from .tokens import IssuedLink, open_new_link

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    created: bool
    credited: Decimal = Decimal(0)
    # The invoice's balance changed but is not settled: its link was rotated to the new balance.
    new_link: IssuedLink | None = None


def positive_amount(value, currency):
    """``value`` as an amount of ``currency`` above zero at its exponent, or ``ValidationFailed``."""
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        raise ValidationFailed(str(exc)) from exc
    if amount <= 0:
        raise ValidationFailed(_("The amount must be more than zero."))
    if round_money(amount, currency) != amount:
        raise ValidationFailed(
            _("%(amount)s has more decimal places than %(currency)s allows.") % {"amount": amount, "currency": currency}
        )
    return amount


def _existing(invoice, method, provider_reference, amount, currency):
    payment = Payment.objects.filter(method=method, provider_reference=provider_reference).first()
    if payment is None:
        return None
    if payment.invoice_id != invoice.pk or payment.amount != amount or payment.currency != currency:
        logger.error("Payment reference %s:%s reused for a different payment", method, provider_reference)
        raise PaymentRejected(
            _("Reference %(reference)s was already used for another payment.") % {"reference": provider_reference}
        )
    return PaymentResult(payment=payment, created=False)


def apply_payment(invoice, *, method, amount, currency, provider_reference, by=None, note="", paid_on=None):
    """Record money received for ``invoice``, exactly once per (method, provider reference).

    ``paid_on``: the day the client paid (a card payment: the day it was started), which decides
    whether an early-payment discount applies; today by default.

    The invoice row is locked for the whole operation, so concurrent deliveries of the same
    payment serialise, and the unique constraint stops any that slip past. Money beyond the
    balance, or for an invoice that can no longer take it, becomes the client's credit.
    """
    currency = (currency or "").upper()
    amount = positive_amount(amount, currency)
    if not provider_reference:
        raise ValidationFailed(_("A payment needs a provider reference."))
    with transaction.atomic():
        lock_invoice(invoice)
        existing = _existing(invoice, method, provider_reference, amount, currency)
        if existing:
            return existing
        if currency != invoice.currency:
            raise PaymentRejected(
                _("Invoice %(invoice)s is in %(expected)s, not %(currency)s.")
                % {"invoice": describe(invoice), "expected": invoice.currency, "currency": currency}
            )
        if invoice.status == InvoiceStatus.DRAFT:
            raise InvalidTransition(_("A draft cannot receive payments; issue it first."))
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    invoice=invoice,
                    method=method,
                    amount=amount,
                    currency=currency,
                    provider_reference=provider_reference,
                    recorded_by=by,
                    note=note,
                )
        except IntegrityError:
            existing = _existing(invoice, method, provider_reference, amount, currency)
            if existing:
                return existing
            raise
        record_event(
            invoice, InvoiceEvent.Kind.PAYMENT_RECEIVED, by=by, payment=payment.pk, method=method, amount=amount
        )
        applied, early = Decimal(0), None
        if invoice.status in COLLECTIBLE_STATES:
            # Before an early-payment discount ends, its price settles the balance.
            early = early_price(invoice, on=paid_on)
            applied = min(amount, early if early is not None and amount >= early else invoice.amount_due)
        new_link = _settle(invoice, applied, by=by, early_discount=applied == early) if applied else None
        excess = amount - applied
        if excess:
            _credit_excess(invoice, payment, excess, by=by)
        # In this transaction, so that a rollback sends nothing; sent after commit, once per payment.
        queue_receipt(payment, link=new_link)
    return PaymentResult(payment=payment, created=True, credited=excess, new_link=new_link)


def _settle(invoice, applied, *, by, early_discount):
    if early_discount:
        invoice.early_discount_taken = invoice.amount_due - applied
        record_event(invoice, InvoiceEvent.Kind.EARLY_DISCOUNT_TAKEN, by=by, amount=invoice.early_discount_taken)
    invoice.amount_paid += applied
    invoice.collect_by = next_collect_by(invoice)
    if invoice.amount_due == 0:
        transition(invoice, InvoiceStatus.PAID)
        invoice.paid_at = timezone.now()
        invoice.save()
        record_event(invoice, InvoiceEvent.Kind.PAID, by=by)
        send_after_commit(signals.invoice_paid, invoice=invoice, by=by)
        return None
    invoice.save()
    # The link is bound to the balance: a partial payment rotates it (the old one still opens the receipt).
    return open_new_link(invoice, by=by, reason=PaymentLink.EndReason.PAID_IN_PART)


def _credit_excess(invoice, payment, excess, *, by):
    kind = CreditEntry.Kind.UNAPPLIED_PAYMENT if excess == payment.amount else CreditEntry.Kind.OVERPAYMENT
    CreditEntry.objects.create(
        client=invoice.client, currency=invoice.currency, amount=excess, kind=kind, payment=payment
    )
    record_event(invoice, InvoiceEvent.Kind.OVERPAYMENT_CREDITED, by=by, payment=payment.pk, amount=excess)
    # An alert for the people who watch the logs: money arrived that the invoice did not ask for.
    logger.warning(
        "Payment %s put %s on client %s's credit (invoice %s is %s)",
        payment.pk,
        format_money(excess, invoice.currency),
        invoice.client_id,
        invoice.pk,
        invoice.status,
    )


def record_manual_payment(invoice, *, reason, by, amount=None, reference="", paid_on=None):
    """An admin records money received outside Stripe (a bank transfer, cash). ``paid_on``: the
    day the money was received (today by default), which decides an early-payment discount;
    without ``amount``, what the invoice asked for on that day."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Give a reason for recording a manual payment."))
    if paid_on is not None and paid_on > timezone.localdate():
        raise ValidationFailed(_("The day the money was received cannot be in the future."))
    with transaction.atomic():
        lock_invoice(invoice)
        if (
            invoice.payments.filter(method=PaymentMethod.STRIPE, status=Payment.Status.PROCESSING).exists()
            or CardPayment.objects.processing().filter(invoice=invoice).exists()
        ):
            raise PaymentRejected(
                _("A card payment for %(invoice)s is still processing; wait for it to finish.")
                % {"invoice": describe(invoice)}
            )
        # The balance changes outside the card flow: an intent for the old one must not take money.
        cancel_live_intents(invoice)
        if amount is None:
            amount = early_price(invoice, on=paid_on) or invoice.amount_due
        return apply_payment(
            invoice,
            method=PaymentMethod.MANUAL,
            amount=amount,
            currency=invoice.currency,
            provider_reference=reference.strip() or f"manual-{uuid.uuid4().hex}",
            by=by,
            note=reason.strip(),
            paid_on=paid_on,
        )


def credit_balance(client, currency):
    return CreditEntry.objects.balance(client, currency)


def pay_with_credit(invoice, *, amount=None, by=None):
    """Spend the client's credit on the invoice, in whole or in part; never beyond the balance."""
    with transaction.atomic():
        # The client row serialises every spend of the same wallet.
        Client.objects.select_for_update().get(pk=invoice.client_id)
        lock_invoice(invoice)
        if not client_may(invoice, ClientRequest.PAY):
            raise InvalidTransition(
                _("Invoice %(invoice)s is %(status)s and cannot be paid.")
                % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
            )
        available = credit_balance(invoice.client, invoice.currency)
        # As much as is due now, as a card would pay: under a plan the instalments due, not the balance.
        due_now = amounts_due(invoice).now
        amount = min(available, due_now) if amount is None else positive_amount(amount, invoice.currency)
        if amount <= 0 or amount > available:
            raise PaymentRejected(
                _("Only %(available)s %(currency)s of credit is available.")
                % {"available": available, "currency": invoice.currency}
            )
        if amount > invoice.amount_due:
            raise PaymentRejected(_("Credit can pay at most the amount due, %(due)s.") % {"due": invoice.amount_due})
        result = apply_payment(
            invoice,
            method=PaymentMethod.CREDIT,
            amount=amount,
            currency=invoice.currency,
            provider_reference=f"credit-{uuid.uuid4().hex}",
            by=by,
        )
        CreditEntry.objects.create(
            client=invoice.client,
            currency=invoice.currency,
            amount=-amount,
            kind=CreditEntry.Kind.SPENT,
            payment=result.payment,
        )
    return result


def _credit_taken_back(payment, amount):
    """What a refund of ``amount`` takes back from the client's credit: the part of ``payment``
    that the invoice could not take and went to credit goes back first, as far as the client has
    not spent it (the wallet never goes below zero; beyond it, the refund is of the invoice's money)."""
    kinds = (CreditEntry.Kind.OVERPAYMENT, CreditEntry.Kind.UNAPPLIED_PAYMENT, CreditEntry.Kind.REFUNDED_TO_CARD)
    still_credited = payment.credit_entries.filter(kind__in=kinds).aggregate(total=Sum("amount"))["total"]
    if not still_credited or still_credited <= 0:
        return Decimal(0)
    # The client row serialises every change of the wallet (``pay_with_credit`` takes it too).
    client = Client.objects.select_for_update().get(pk=payment.invoice.client_id)
    return max(min(amount, still_credited, credit_balance(client, payment.currency)), Decimal(0))


def record_refund(payment, *, amount, provider_reference, reason="", by=None, take_back_credit=True):
    """Record a refund once per provider reference; several partial refunds add up to at most the payment.

    ``take_back_credit=False``: the refund gives back the invoice's own money (a credit note), so
    none of what the payment put on the client's credit is taken back."""
    if not provider_reference:
        raise ValidationFailed(_("A refund needs a provider reference."))
    amount = positive_amount(amount, payment.currency)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("invoice").get(pk=payment.pk)
        existing = payment.refunds.filter(provider_reference=provider_reference).first()
        if existing:
            return existing, False
        if payment.status != Payment.Status.SUCCEEDED:
            raise PaymentRejected(_("Only a successful payment can be refunded."))
        if amount > payment.refundable_amount:
            raise PaymentRejected(
                _("At most %(left)s %(currency)s of this payment can still be refunded.")
                % {"left": payment.refundable_amount, "currency": payment.currency}
            )
        refund = Refund.objects.create(
            payment=payment, amount=amount, provider_reference=provider_reference, reason=reason, created_by=by
        )
        if payment.method == PaymentMethod.CREDIT:
            CreditEntry.objects.create(
                client=payment.invoice.client,
                currency=payment.currency,
                amount=amount,
                kind=CreditEntry.Kind.RETURNED,
                refund=refund,
            )
        elif take_back_credit and (taken_back := _credit_taken_back(payment, amount)):
            CreditEntry.objects.create(
                client=payment.invoice.client,
                currency=payment.currency,
                amount=-taken_back,
                kind=CreditEntry.Kind.REFUNDED_TO_CARD,
                payment=payment,
                refund=refund,
            )
        record_event(
            payment.invoice, InvoiceEvent.Kind.REFUNDED, by=by, payment=payment.pk, refund=refund.pk, amount=amount
        )
        transaction.on_commit(
            lambda: signals.payment_refunded.send(
                sender=Refund, refund=refund, payment=payment, invoice=payment.invoice
            )
        )
    return refund, True
