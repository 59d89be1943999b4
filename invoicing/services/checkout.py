"""Paying an invoice by card: start (or reuse) a PaymentIntent for an amount computed here, and
check the one the browser comes back with. The browser's word never counts; Stripe's does."""

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..core.exceptions import InvalidTransition, PaymentRejected, ValidationFailed
from ..core.lifecycle import ClientRequest, client_may
from ..core.money import MoneyError, exponent, format_money, round_money, to_decimal, to_minor_units
from ..models import BillingSettings, CardPayment, InvoiceEvent
from ..providers import get_provider
from .amounts_due import amounts_due
from .card_payments import intent_metadata, sync_card_payment
from .events import record_event
from .intents import cancel_intent, under_way
from .invoices import describe
from .locking import lock_invoice
from .payments import PaymentResult

logger = logging.getLogger(__name__)

Status = CardPayment.Status
STRIPE_ID = re.compile(r"[A-Za-z0-9_]{1,255}")
# Intents that the customer can still complete in the browser.
CONFIRMABLE = frozenset({Status.REQUIRES_PAYMENT_METHOD, Status.REQUIRES_CONFIRMATION, Status.REQUIRES_ACTION})


@dataclass(frozen=True)
class CardCheckout:
    """What the browser needs to confirm the payment with Stripe.js."""

    intent_id: str
    client_secret: str
    publishable_key: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class CardOutcome:
    status: str  # succeeded, processing, requires_action, requires_payment_method or canceled
    result: PaymentResult | None  # set once this call or an earlier one counted the payment
    message: str


def card_payment_processing(invoice):
    """A card payment is on its way: the page offers no second pay button, and no manual entry."""
    return CardPayment.objects.processing().filter(invoice=invoice).exists()


def minimum_partial_amount(invoice):
    return min(get_provider().minimum_amount(invoice.currency), invoice.amount_due)


def start_card_payment(invoice, *, amount=None, save_for_customer=""):
    """A PaymentIntent for ``amount`` (``None``: the whole balance) of ``invoice``, new or reused.
    With ``save_for_customer`` (the client ticked "charge my card automatically"), a new intent
    that keeps the card on that Stripe customer (``services.saved_cards``).

    One intent lives per invoice, amount and link version: two tabs or two clicks get the same
    one, and another amount cancels it. The invoice's row lock is held across the calls to Stripe,
    so that concurrent starts and payments of the same invoice take turns; if Stripe cannot be
    reached, nothing is written and a retry sends the same idempotency key.
    """
    provider = get_provider()
    with transaction.atomic():
        lock_invoice(invoice)
        _check_payable(invoice)
        amount = _amount_to_charge(invoice, amount, provider)
        version = invoice.payment_link.version if invoice.payment_link_id else 0
        wanted = (amount, invoice.currency, version)
        for card_payment in invoice.card_payments.live().select_for_update():
            same = (card_payment.amount, card_payment.currency, card_payment.link_version) == wanted
            # An intent that keeps the card is never shared: the earlier one is cancelled.
            if same and not save_for_customer:
                reused = _reuse(card_payment, provider)
                if reused:
                    return reused
            else:
                cancel_intent(card_payment, provider)
        # A cancelled intent cannot be paid again, so each new one for the same amount needs a new key.
        attempt = invoice.card_payments.filter(amount=amount, currency=invoice.currency, link_version=version).count()
        key = f"invoice-{invoice.pk}-v{version}-{to_minor_units(amount, invoice.currency)}{invoice.currency}-{attempt}"
        intent = provider.create_intent(
            amount=amount,
            currency=invoice.currency,
            metadata=intent_metadata(
                invoice, version, **({"client_id": str(invoice.client_id)} if save_for_customer else {})
            ),
            idempotency_key=key,
            save_for_customer=save_for_customer,
        )
        CardPayment.objects.create(
            invoice=invoice,
            intent_id=intent.id,
            amount=amount,
            currency=invoice.currency,
            link_version=version,
            idempotency_key=key,
            status=intent.status,
        )
        record_event(invoice, InvoiceEvent.Kind.PAYMENT_STARTED, intent=intent.id, amount=amount)
    return _checkout(intent, provider)


def _checkout(intent, provider):
    return CardCheckout(
        intent_id=intent.id,
        client_secret=intent.client_secret,
        publishable_key=provider.publishable_key,
        amount=intent.amount,
        currency=intent.currency,
    )


def _check_payable(invoice):
    if not client_may(invoice, ClientRequest.PAY):
        raise InvalidTransition(
            _("Invoice %(invoice)s is %(status)s and cannot be paid.")
            % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
        )
    if not BillingSettings.for_site(invoice.site).stripe_enabled:
        raise PaymentRejected(_("This website does not take card payments."))
    if card_payment_processing(invoice):
        raise PaymentRejected(_("A card payment for this invoice is already processing; you will get a receipt."))


def _amount_to_charge(invoice, amount, provider):
    """The amount asked for, if the invoice's terms allow it: the whole balance, its early-payment
    price, what is due now, or (under a plan, or where partial payments are allowed) anything
    between the least and the balance that leaves enough for a later card payment."""
    minimum = provider.minimum_amount(invoice.currency)
    due = amounts_due(invoice)
    if amount is None:
        return due.now
    try:
        amount = to_decimal(amount)
    except MoneyError as exc:
        raise ValidationFailed(_("Enter an amount such as 25.00.")) from exc
    if round_money(amount, invoice.currency) != amount:
        raise ValidationFailed(
            _("%(currency)s amounts have at most %(places)s decimal places.")
            % {"currency": invoice.currency, "places": exponent(invoice.currency)}
        )
    amount = round_money(amount, invoice.currency)
    if amount in (due.balance, due.early_price, due.now):
        return amount
    if due.least == due.balance:
        raise ValidationFailed(
            _("This invoice must be paid in full: %(due)s.") % {"due": _money(due.early_price or due.balance, invoice)}
        )
    least = due.least
    if amount > due.balance:
        raise ValidationFailed(
            _("You can pay at most the amount due, %(due)s.") % {"due": _money(due.balance, invoice)}
        )
    if amount < least:
        if due.instalments:
            raise ValidationFailed(_("Pay at least what is due now, %(min)s.") % {"min": _money(least, invoice)})
        raise ValidationFailed(_("The smallest card payment is %(min)s.") % {"min": _money(least, invoice)})
    if due.balance - amount < min(minimum, due.balance):
        raise ValidationFailed(
            _("Pay the full %(due)s, or leave at least %(min)s to pay later.")
            % {"due": _money(due.balance, invoice), "min": _money(minimum, invoice)}
        )
    return amount


def _money(amount, invoice):
    return format_money(amount, invoice.currency, BillingSettings.for_site(invoice.site).locale)


def _reuse(card_payment, provider):
    intent = provider.retrieve_intent(card_payment.intent_id)
    if intent.status in CONFIRMABLE:
        if intent.status != card_payment.status:
            card_payment.status = intent.status
            card_payment.save(update_fields=["status", "updated_at"])
        return _checkout(intent, provider)
    if intent.status == Status.CANCELED:
        card_payment.status = Status.CANCELED
        card_payment.save(update_fields=["status", "updated_at"])
        return None
    # Processing or succeeded: the webhook, the return URL or the sweep counts it; never charge twice.
    raise under_way()


MESSAGES = {
    Status.SUCCEEDED: gettext_lazy("Thank you: your payment was received. A receipt is on its way by email."),
    Status.PROCESSING: gettext_lazy("Your payment is processing. We will email your receipt as soon as it completes."),
    Status.REQUIRES_ACTION: gettext_lazy("Your bank asks you to confirm this payment."),
    Status.REQUIRES_CONFIRMATION: gettext_lazy("The payment was not completed. Nothing was charged; please try again."),
    Status.REQUIRES_PAYMENT_METHOD: gettext_lazy(
        "The payment did not go through. Nothing was charged; try another card."
    ),
    Status.CANCELED: gettext_lazy("This payment was cancelled. Nothing was charged."),
}


def _own_card_payment(invoice, intent_id):
    # Stripe's ids are letters, digits and underscores. Anything else is nobody's intent, and is
    # never sent to the database: PostgreSQL refuses a NUL byte in a query (a 500, not a refusal).
    card_payment = None
    if STRIPE_ID.fullmatch(intent_id or ""):
        card_payment = (
            CardPayment.objects.select_related("invoice__site", "payment")
            .filter(invoice=invoice, intent_id=intent_id)
            .first()
        )
    if card_payment is None:
        logger.warning("A payment intent that is not invoice %s's own was ignored", invoice.pk)
        raise PaymentRejected(
            _("This payment does not belong to invoice %(invoice)s.") % {"invoice": describe(invoice)}
        )
    return card_payment


def complete_card_payment(invoice, intent_id):
    """The return URL's work: fetch the intent from Stripe, check it, and count it if it succeeded.

    Only intents we started for this invoice are looked at; anything else in the URL is ignored.
    """
    card_payment = _own_card_payment(invoice, intent_id)
    if card_payment.payment is not None:
        return CardOutcome(
            Status.SUCCEEDED,
            PaymentResult(payment=card_payment.payment, created=False),
            str(MESSAGES[Status.SUCCEEDED]),
        )
    provider = get_provider()
    intent = provider.retrieve_intent(card_payment.intent_id)
    result = sync_card_payment(card_payment, intent, provider=provider)
    status = Status.SUCCEEDED if result is not None else intent.status
    if status == Status.REQUIRES_CONFIRMATION:
        status = Status.REQUIRES_PAYMENT_METHOD
    message = MESSAGES[status]
    if status == Status.REQUIRES_PAYMENT_METHOD and intent.failure_message:
        message = _("The payment did not go through: %(reason)s Nothing was charged; try another card.") % {
            "reason": intent.failure_message
        }
    return CardOutcome(status=status, result=result, message=str(message))


def confirm_card_offline(invoice, intent_id, card_id):
    """localstripe only (``get_provider().offline``): the server confirms with the card the fake
    Stripe.js made, then checks the result as the return URL would. A declined card raises
    ``PaymentRejected``; 3-D Secure gives ``requires_action``, for the browser's modal."""
    card_payment = _own_card_payment(invoice, intent_id)
    try:
        get_provider().confirm_with_card_offline(card_payment.intent_id, card_id)
    except PaymentRejected:
        # Declined: recorded on the invoice's timeline as a returning browser would, then reported.
        complete_card_payment(invoice, intent_id)
        raise
    return complete_card_payment(invoice, intent_id)
