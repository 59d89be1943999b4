"""Delivery tracking: the ESP's delivered, opened, bounced and complained events (anymail's
``tracking`` signal) applied to the outbox row and the invoice's timeline."""

import logging

from django.db import transaction
from django.utils import timezone

from ..models import InvoiceEvent, OutboundEmail
from .events import record_event

logger = logging.getLogger(__name__)

DELIVERY_BY_ESP_EVENT = {
    "delivered": OutboundEmail.Delivery.DELIVERED,
    "opened": OutboundEmail.Delivery.OPENED,
    "bounced": OutboundEmail.Delivery.BOUNCED,
    "rejected": OutboundEmail.Delivery.BOUNCED,
    "complained": OutboundEmail.Delivery.COMPLAINED,
}
TIMELINE_KIND = {
    OutboundEmail.Delivery.DELIVERED: InvoiceEvent.Kind.DELIVERED,
    OutboundEmail.Delivery.OPENED: InvoiceEvent.Kind.OPENED,
    OutboundEmail.Delivery.BOUNCED: InvoiceEvent.Kind.BOUNCED,
    OutboundEmail.Delivery.COMPLAINED: InvoiceEvent.Kind.COMPLAINED,
}
# A later "opened" (some mail proxies open everything) must not hide a bounce or a complaint.
STICKY = {OutboundEmail.Delivery.BOUNCED, OutboundEmail.Delivery.COMPLAINED}


def record_delivery_event(*, message_id, event_type, recipient="", description=""):
    """Apply one ESP tracking event to the outbox row it is about. Unknown messages are ignored."""
    delivery = DELIVERY_BY_ESP_EVENT.get(event_type)
    if delivery is None or not message_id:
        return None
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(esp_message_id=str(message_id)).first()
        if email is None:
            logger.info("Tracking event %s for unknown message %s ignored", event_type, message_id)
            return None
        if email.delivery not in STICKY or delivery in STICKY:
            email.delivery = delivery
        email.delivery_updated_at = timezone.now()
        email.save(update_fields=["delivery", "delivery_updated_at"])
        record_event(
            email.invoice,
            TIMELINE_KIND[delivery],
            email=email.pk,
            email_kind=email.kind,
            recipient=recipient,
            description=description or "",
        )
    return email
