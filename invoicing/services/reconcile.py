"""The reconciliation sweep: card payments started but never settled (a lost webhook, a browser
closed before the return URL) are read again from Stripe and settled, exactly once."""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from ..core.exceptions import InvoicingError
from ..models import CardPayment
from ..providers import get_provider
from .card_payments import sync_card_payment

logger = logging.getLogger(__name__)

# Younger intents may still be in a customer's hands.
GRACE = timedelta(minutes=10)
# Stripe retries a webhook for three days, and the sweep covers the same span: older unsettled
# intents are ones nobody paid, and reading each of them again every few minutes would cost calls.
HORIZON = timedelta(days=3)


@dataclass
class ReconcileReport:
    checked: int = 0
    counted: int = 0
    closed: int = 0
    errors: list = field(default_factory=list)


def unsettled_card_payments(*, now=None, grace=GRACE):
    now = now or timezone.now()
    return CardPayment.objects.live().filter(
        payment__isnull=True, created_at__lte=now - grace, created_at__gte=now - HORIZON
    )


def reconcile_card_payments(*, now=None, grace=GRACE):
    provider = get_provider()
    report = ReconcileReport()
    pending = unsettled_card_payments(now=now, grace=grace)
    for card_payment in pending.select_related("invoice__site").order_by("created_at"):
        report.checked += 1
        try:
            intent = provider.retrieve_intent(card_payment.intent_id)
            result = sync_card_payment(card_payment, intent, provider=provider)
        except InvoicingError as exc:
            # One bad intent (or Stripe down) must not stop the sweep; the next run tries again.
            logger.warning("Reconciling intent %s failed: %s", card_payment.intent_id, exc)
            report.errors.append(f"{card_payment.intent_id}: {exc}")
            continue
        if result is not None and result.created:
            logger.warning("Reconciliation counted intent %s, which no webhook had reported", intent.id)
            report.counted += 1
        elif intent.status in CardPayment.FINAL_STATUSES:
            report.closed += 1
    return report
