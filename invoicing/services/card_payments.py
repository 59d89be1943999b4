"""Card payments we started, brought up to what Stripe reports. The return URL, the webhook and
the reconciliation sweep all end here, and money is counted only through ``apply_payment``."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.exceptions import InvoicingError, PaymentRejected
from ..core.money import format_money
from ..models import BillingSettings, CardPayment, InvoiceEvent, PaymentMethod
from .events import record_event
from .invoices import describe
from .locking import lock_invoice
from .payments import PaymentResult, apply_payment, record_refund

logger = logging.getLogger(__name__)

Status = CardPayment.Status


def intent_metadata(invoice, link_version, **extra):
    """What every intent we start for ``invoice`` carries: ``check_intent`` checks it on the way back."""
    return {
        "invoice_id": str(invoice.pk),
        "invoice_number": invoice.number,
        "site_id": str(invoice.site_id),
        "link_version": str(link_version),
        **extra,
    }


def check_intent(card_payment, intent, provider):
    """Refuse an intent that is not exactly the one we started for this invoice.

    Only what Stripe reports counts: the id, amount, currency, mode and the metadata we set, and,
    once it succeeded, the amount actually received.
    """
    invoice = card_payment.invoice
    mismatches = [
        name
        for name, ok in (
            ("id", intent.id == card_payment.intent_id),
            ("invoice", intent.metadata.get("invoice_id") == str(invoice.pk)),
            ("site", intent.metadata.get("site_id") == str(invoice.site_id)),
            ("currency", intent.currency == card_payment.currency),
            ("amount", intent.amount == card_payment.amount),
            ("livemode", intent.livemode == provider.livemode),
            ("amount_received", intent.status != Status.SUCCEEDED or intent.amount_received == intent.amount),
        )
        if not ok
    ]
    if mismatches:
        logger.error("Intent %s does not match invoice %s: %s", intent.id, invoice.pk, ", ".join(mismatches))
        raise PaymentRejected(
            _("This card payment does not match invoice %(invoice)s, so it was not counted.")
            % {"invoice": describe(invoice)}
        )


def sync_card_payment(card_payment, intent, *, provider):
    """Record what Stripe says of ``card_payment``; count it, once, when it succeeded.

    Returns the ``PaymentResult`` when the payment is (or already was) counted, else ``None``.
    A final status (succeeded, cancelled) is never left, so late or repeated news changes nothing.
    """
    check_intent(card_payment, intent, provider)
    with transaction.atomic():
        # Invoice first, then the card payment: the order start_card_payment locks them in.
        invoice = lock_invoice(card_payment.invoice)
        card_payment = (
            CardPayment.objects.select_for_update(of=("self",)).select_related("payment").get(pk=card_payment.pk)
        )
        card_payment.invoice = invoice
        if card_payment.payment is not None:
            return _counted(card_payment)
        unchanged = (intent.status, intent.failure_message) == (card_payment.status, card_payment.last_error)
        if card_payment.status in CardPayment.FINAL_STATUSES or unchanged:
            return None
        result = None
        if intent.status == Status.SUCCEEDED:
            result = apply_payment(
                invoice,
                method=PaymentMethod.STRIPE,
                amount=card_payment.amount,
                currency=card_payment.currency,
                provider_reference=intent.id,
                paid_on=timezone.localdate(card_payment.created_at),
            )
            card_payment.payment = result.payment
        elif intent.status == Status.REQUIRES_PAYMENT_METHOD and intent.failure_message:
            card_payment.last_error = intent.failure_message
            record_event(invoice, InvoiceEvent.Kind.PAYMENT_FAILED, intent=intent.id, reason=intent.failure_message)
        card_payment.status = intent.status
        card_payment.save(update_fields=["status", "payment", "last_error", "updated_at"])
    if result is not None and result.created and result.credited:
        _handle_late_money(card_payment, result, provider)
    return result


def _counted(card_payment):
    return PaymentResult(payment=card_payment.payment, created=False)


def _handle_late_money(card_payment, result, provider):
    """Money the invoice could not take (void, or paid meanwhile) is credit already, and logged by
    ``apply_payment``; the site may prefer it refunded to the card instead."""
    invoice = card_payment.invoice
    if BillingSettings.for_site(invoice.site).late_card_payments != "refund":
        return
    amount = result.credited
    try:
        # One such refund per intent, whatever retries happen.
        refund = provider.refund_intent(
            card_payment.intent_id,
            amount=amount,
            currency=card_payment.currency,
            idempotency_key=f"late-payment-refund-{card_payment.intent_id}",
        )
        # Recording the refund takes the amount back from the client's credit. A pending one may
        # still fail: it stays credit until Stripe's refund event says it succeeded.
        if refund.status == "succeeded":
            record_refund(
                result.payment,
                amount=refund.amount,
                provider_reference=refund.id,
                reason=_("Arrived after the invoice was closed or paid"),
            )
    except InvoicingError as exc:
        logger.error(
            "Could not refund %s of intent %s to the card (%s); it stays on client %s's credit",
            format_money(amount, card_payment.currency),
            card_payment.intent_id,
            exc,
            invoice.client_id,
        )
        return
    logger.warning(
        "Refunded %s of intent %s to the card (%s): invoice %s is %s",
        format_money(amount, card_payment.currency),
        card_payment.intent_id,
        refund.status,
        invoice.pk,
        invoice.status,
    )
