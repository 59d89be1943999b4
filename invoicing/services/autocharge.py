"""Charging an invoice automatically with the client's saved card (off-session), and retrying.

An invoice of a schedule with auto-charge on gets an ``AutoCharge`` when it is issued
(``schedule_auto_charge``). Each attempt is an off-session PaymentIntent recorded as a
``CardPayment``, so the webhook and the reconciliation sweep settle it too; money counts only
through ``sync_card_payment`` (and so ``apply_payment``).

Retries: ``INVOICING_AUTO_CHARGE_RETRY_DAYS`` (default 1, 3, 5) are days after the first failure.
Each retry is scheduled from the attempt that just failed, by the gap between two entries (1, then
2, then 2 days), so a sweep that ran late never crowds the retries together. After the last, the
charge is given up; there are never more than ``1 + len(RETRY_DAYS)`` attempts.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from ..conf import invoicing_settings
from ..core.exceptions import InvoicingError
from ..core.lifecycle import COLLECTIBLE_STATES
from ..mail.kinds import EmailKind
from ..models import AutoCharge, CardPayment, InvoiceEvent, OutboundEmail, SavedCard
from ..providers import get_provider
from .amounts_due import early_price
from .card_payments import intent_metadata, sync_card_payment
from .checkout import card_payment_processing
from .events import record_event
from .intents import cancel_intent
from .locking import lock_invoice
from .outbox import send_invoice_email

logger = logging.getLogger(__name__)

Status = AutoCharge.Status


def retry_days():
    return tuple(invoicing_settings.INVOICING_AUTO_CHARGE_RETRY_DAYS)


def schedule_auto_charge(invoice):
    """The automatic charge of a just-issued ``invoice`` with its client's active saved card, or
    ``None`` when the client has none. Runs in the caller's transaction; the first attempt is
    queued once it commits."""
    card = SavedCard.objects.active().filter(client_id=invoice.client_id).first()
    if card is None:
        return None
    with transaction.atomic():
        auto_charge, created = AutoCharge.objects.get_or_create(
            invoice=invoice, defaults={"saved_card": card, "next_attempt_at": timezone.now()}
        )
        if created:
            record_event(invoice, InvoiceEvent.Kind.AUTO_CHARGE_SCHEDULED, card=str(card))
            transaction.on_commit(lambda: run_auto_charge.enqueue(auto_charge.pk), robust=True)
    return auto_charge


@task()
def run_auto_charge(auto_charge_id):
    """One attempt of one automatic charge, when due (``run_due_auto_charges`` catches up on
    attempts whose task was lost and on retries). Returns the charge's status after it, if tried."""
    auto_charge = attempt_charge(auto_charge_id)
    return auto_charge.status if auto_charge else None


def run_due_auto_charges(now=None):
    """The periodic sweep: each charge whose attempt is due is tried once. Returns how many were
    tried. Two sweeps at once never try the same attempt twice (see ``attempt_charge``)."""
    now = now or timezone.now()
    due = AutoCharge.objects.pending().filter(next_attempt_at__lte=now).values_list("pk", flat=True)
    tried = 0
    for pk in list(due):
        try:
            tried += attempt_charge(pk, now=now) is not None
        except InvoicingError as exc:
            # Stripe unreachable: nothing was written, the attempt stays due with the same key.
            logger.warning("Automatic charge %s not tried: %s", pk, exc)
    return tried


def attempt_charge(auto_charge_id, now=None):
    """Try the charge once if its attempt is due; the ``AutoCharge`` afterwards, or ``None`` when
    there was nothing to do (not due, or another worker holds it right now).

    The charge's row is claimed with ``skip_locked``, and the next attempt is written in the same
    transaction as the attempt's intent: a second worker either skips the row or, after the first
    committed, finds the attempt no longer due. The idempotency key is per attempt, so a retry of
    a transaction that died after Stripe charged gets the same intent back, and counts it once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        auto_charge = (
            AutoCharge.objects.select_for_update(skip_locked=True)
            .pending()
            .filter(pk=auto_charge_id, next_attempt_at__lte=now)
            .first()
        )
        if auto_charge is None:
            return None
        invoice = lock_invoice(auto_charge.invoice)
        card = auto_charge.saved_card
        if invoice.status not in COLLECTIBLE_STATES or invoice.amount_due <= 0 or card.removed_at is not None:
            return _finish(auto_charge, Status.CANCELED)
        if card_payment_processing(invoice):
            # The client's own card payment is on its way: the next run sees whether it paid.
            return None
        _charge(auto_charge, invoice, card, now)
    return auto_charge


def _charge(auto_charge, invoice, card, now):
    provider = get_provider(card.provider)
    attempt = auto_charge.attempts + 1
    key = f"autocharge-{invoice.pk}-{attempt}"
    version = invoice.payment_link.version if invoice.payment_link_id else 0
    outcome = provider.charge_saved_card(
        customer=card.customer_reference,
        payment_method=card.payment_method_reference,
        # The whole balance at once (a payment plan is for clients who pay by hand), at its
        # early-payment price while that lasts.
        amount=early_price(invoice) or invoice.amount_due,
        currency=invoice.currency,
        metadata=intent_metadata(invoice, version, auto_charge=f"{auto_charge.pk}-{attempt}"),
        idempotency_key=key,
    )
    auto_charge.attempts = attempt
    result = None
    if outcome.intent is not None:
        card_payment, _created = CardPayment.objects.get_or_create(
            intent_id=outcome.intent.id,
            defaults={
                "invoice": invoice,
                "amount": outcome.intent.amount,
                "currency": invoice.currency,
                "link_version": version,
                "idempotency_key": key,
                # What it was before Stripe confirmed it: the sync below records the change.
                "status": CardPayment.Status.REQUIRES_CONFIRMATION,
            },
        )
        result = sync_card_payment(card_payment, outcome.intent, provider=provider)
        if outcome.intent.status == CardPayment.Status.PROCESSING:
            # Rare for cards: the webhook or the reconciliation sweep counts it when it completes.
            return _finish(auto_charge, Status.CHARGING)
        if outcome.intent.status == CardPayment.Status.REQUIRES_ACTION:
            # Nobody is there to authenticate it: stopped, and the client pays on the page.
            cancel_intent(card_payment, provider)
    if result is not None:
        return _finish(auto_charge, Status.SUCCEEDED)
    return _failed(auto_charge, invoice, outcome.failure or _("The card was declined."), now)


def _failed(auto_charge, invoice, reason, now):
    days = retry_days()
    retries_done = auto_charge.attempts - 1
    auto_charge.last_error = reason
    record_event(invoice, InvoiceEvent.Kind.AUTO_CHARGE_FAILED, attempt=auto_charge.attempts, reason=reason)
    send_invoice_email(
        invoice, EmailKind.CHARGE_FAILED, trigger=OutboundEmail.Trigger.AUTO_CHARGE, failure_reason=reason
    )
    if retries_done >= len(days):
        record_event(invoice, InvoiceEvent.Kind.AUTO_CHARGE_GAVE_UP, attempts=auto_charge.attempts)
        return _finish(auto_charge, Status.FAILED)
    gap = days[retries_done] - (days[retries_done - 1] if retries_done else 0)
    auto_charge.next_attempt_at = now + timedelta(days=gap)
    auto_charge.status = Status.SCHEDULED
    auto_charge.save(update_fields=["attempts", "status", "next_attempt_at", "last_error", "updated_at"])
    return auto_charge


def _finish(auto_charge, status):
    auto_charge.status = status
    auto_charge.next_attempt_at = None
    auto_charge.save(update_fields=["attempts", "status", "next_attempt_at", "last_error", "updated_at"])
    return auto_charge
