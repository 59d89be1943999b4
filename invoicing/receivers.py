"""Delivery tracking: anymail's ``tracking`` signal, from the configured ESP's webhook."""

from anymail.signals import tracking
from django.dispatch import receiver

from .services.tracking import record_delivery_event


@receiver(tracking, dispatch_uid="invoicing.delivery_tracking")
def email_delivery_event(sender, event, esp_name, **kwargs):
    record_delivery_event(
        message_id=event.message_id,
        event_type=event.event_type,
        recipient=event.recipient or "",
        description=event.description or event.mta_response or "",
    )
