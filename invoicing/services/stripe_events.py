"""The Stripe webhook inbox: each event is checked, stored once under its unique id, and applied
in the same transaction. A failure is stored too (for the admin's replay) and re-raised, so
that Stripe delivers the event again."""

import copy
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import invoicing_settings
from ..core.exceptions import PaymentRejected, ValidationFailed
from ..models import CardPayment, StripeEvent
from ..providers import get_provider
from .card_payments import sync_card_payment
from .payments import record_refund

logger = logging.getLogger(__name__)

Status = StripeEvent.Status


def webhook_secrets():
    return [secret for secret in [invoicing_settings.stripe_webhook_secret] if secret]


def receive_stripe_event(payload: bytes, signature: str):
    """Verify a delivery's signature on its raw body, then handle it. Raises
    ``WebhookSignatureInvalid`` (nothing written) or whatever applying it raised."""
    provider = get_provider()
    data = provider.verify_webhook(payload, signature or "", webhook_secrets())
    if not isinstance(data, dict) or not data.get("id") or not data.get("type"):
        raise ValidationFailed(_("This is not a Stripe event."))
    return handle_stripe_event(data, provider=provider)


def _stored(data):
    """The event as kept: Stripe asks that an intent's client secret never be stored or logged."""
    payload = copy.deepcopy(data)
    obj = (payload.get("data") or {}).get("object")
    if isinstance(obj, dict) and obj.get("client_secret"):
        obj["client_secret"] = "[redacted]"  # noqa: S105 - a placeholder, not a secret
    return payload


def handle_stripe_event(data, *, provider, replay=False):
    data = _stored(data)
    try:
        with transaction.atomic():
            event, _created = StripeEvent.objects.get_or_create(
                event_id=data["id"],
                defaults={"type": data["type"], "livemode": bool(data.get("livemode")), "payload": data},
            )
            # Concurrent deliveries of one event wait here; the later ones find it done.
            event = StripeEvent.objects.select_for_update().get(pk=event.pk)
            if event.status in (Status.PROCESSED, Status.IGNORED) and not replay:
                logger.info("Stripe event %s already handled", event.event_id)
                return event
            _apply(event, provider)
    except Exception as exc:
        _record_failure(data, exc)
        raise
    return event


def replay_stripe_event(event, by=None):
    """Apply a stored event again (the admin's "replay"); harmless for one already applied.
    Returns the event, whose status and error say how it went."""
    logger.info("Stripe event %s replayed by %s", event.event_id, by or "the system")
    try:
        return handle_stripe_event(event.payload, provider=get_provider(), replay=True)
    except Exception:  # noqa: BLE001 - logged and stored on the event by handle_stripe_event
        event.refresh_from_db()
        return event


def _apply(event, provider):
    event.attempts += 1
    handler = HANDLERS.get(event.type)
    if handler is None:
        logger.info("Stripe event %s of type %s ignored: no handler", event.event_id, event.type)
        event.status = Status.IGNORED
    else:
        try:
            event.status = handler(event, event.payload["data"]["object"], provider)
            event.error = ""
        except PaymentRejected as exc:
            # Stripe's news does not fit our records (another site's invoice, another amount):
            # delivering it again would not help. Logged, kept, and left for a person.
            logger.error("Stripe event %s not applied: %s", event.event_id, exc)
            event.status, event.error = Status.IGNORED, exc.message
    event.processed_at = timezone.now()
    event.save()


def _record_failure(data, exc):
    logger.exception("Stripe event %s failed; Stripe will deliver it again", data.get("id"))
    with transaction.atomic():
        event, _created = StripeEvent.objects.get_or_create(
            event_id=data["id"],
            defaults={"type": data["type"], "livemode": bool(data.get("livemode")), "payload": data},
        )
        StripeEvent.objects.filter(pk=event.pk).update(
            status=Status.FAILED, error=f"{type(exc).__name__}: {exc}", attempts=F("attempts") + 1
        )


def _card_payment(event, intent_id):
    """Our record of the intent, if we started it; the event is filed under its invoice and site."""
    card_payment = CardPayment.objects.select_related("invoice__site").filter(intent_id=intent_id or "").first()
    if card_payment is not None:
        event.invoice, event.site = card_payment.invoice, card_payment.invoice.site
    return card_payment


def _intent_succeeded(event, intent_data, provider):
    card_payment = _card_payment(event, intent_data.get("id"))
    if card_payment is None:
        logger.info("Stripe event %s is about an intent we did not start", event.event_id)
        return Status.IGNORED
    # The signed event is Stripe's word that the intent succeeded; it is checked like any other.
    sync_card_payment(card_payment, provider.intent_from_event(intent_data), provider=provider)
    return Status.PROCESSED


def _intent_changed(event, intent_data, provider):
    """Failed, processing or cancelled: such news may be stale, so the intent is read again."""
    card_payment = _card_payment(event, intent_data.get("id"))
    if card_payment is None:
        logger.info("Stripe event %s is about an intent we did not start", event.event_id)
        return Status.IGNORED
    sync_card_payment(card_payment, provider.retrieve_intent(card_payment.intent_id), provider=provider)
    return Status.PROCESSED


def _refunds_changed(event, data, provider):
    """A charge was refunded, or one of its refunds changed (a pending one succeeded or failed):
    each refund of the intent that succeeded is recorded once, by its id, however often this
    arrives. ``data`` is a charge or a refund; both name their PaymentIntent."""
    card_payment = _card_payment(event, data.get("payment_intent"))
    if card_payment is None:
        logger.info("Stripe event %s is about a charge we did not start", event.event_id)
        return Status.IGNORED
    if card_payment.payment is None:
        # The refund's news came before the payment's: count the payment first.
        sync_card_payment(card_payment, provider.retrieve_intent(card_payment.intent_id), provider=provider)
        card_payment.refresh_from_db()
        if card_payment.payment is None:
            raise PaymentRejected(_("A refund arrived for a payment that never succeeded."))
    # Listed from Stripe: events of recent API versions no longer carry the refunds. Only a refund
    # that succeeded has left us; a pending one may still fail, and its update event comes later.
    for refund in provider.list_refunds(card_payment.intent_id):
        if refund.status == "succeeded":
            record_refund(
                card_payment.payment, amount=refund.amount, provider_reference=refund.id, reason=_("Refunded in Stripe")
            )
    return Status.PROCESSED


HANDLERS = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_changed,
    "payment_intent.processing": _intent_changed,
    "payment_intent.canceled": _intent_changed,
    "charge.refunded": _refunds_changed,
    "charge.refund.updated": _refunds_changed,
    "refund.updated": _refunds_changed,
}
