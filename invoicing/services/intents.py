"""Stopping PaymentIntents that must not take money any more: the client chose another amount,
or the invoice is closing (void, written off) or its balance changed outside the card flow (a
manual payment). A cancelled intent cannot be confirmed, so the card is never charged for it."""

import logging

from django.utils.translation import gettext as _

from ..core.exceptions import PaymentRejected
from ..models import CardPayment, InvoiceEvent
from ..providers import get_provider
from .events import record_event

logger = logging.getLogger(__name__)

Status = CardPayment.Status


def under_way():
    return PaymentRejected(
        _("A card payment for this invoice is already under way; try again once it has been counted.")
    )


def cancel_intent(card_payment, provider):
    """Cancel ``card_payment``'s intent at Stripe, then here. Stripe refuses to cancel an intent
    that is processing or paid: that payment must finish and be counted, so ``PaymentRejected``."""
    try:
        provider.cancel_intent(card_payment.intent_id)
    except PaymentRejected as exc:
        # Already cancelled at Stripe (by Stripe, or by an earlier try) is as good as done.
        if provider.retrieve_intent(card_payment.intent_id).status != Status.CANCELED:
            logger.info("Intent %s could not be cancelled: %s", card_payment.intent_id, exc)
            raise under_way() from exc
    card_payment.status = Status.CANCELED
    card_payment.save(update_fields=["status", "updated_at"])
    record_event(card_payment.invoice, InvoiceEvent.Kind.PAYMENT_CANCELED, intent=card_payment.intent_id)


def cancel_live_intents(invoice):
    """Cancel every intent of ``invoice`` that could still take money, before its state changes.

    The caller holds the invoice's row lock, in the transaction that changes it: if an intent is
    processing, Stripe refuses, or Stripe cannot be reached, the error rolls that transaction back
    and the invoice is unchanged. Stripe is called only when there is a live intent.
    """
    live = list(invoice.card_payments.live().select_for_update())
    if any(card_payment.status == Status.PROCESSING for card_payment in live):
        raise under_way()
    if live:
        provider = get_provider()
        for card_payment in live:
            cancel_intent(card_payment, provider)
