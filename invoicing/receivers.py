"""Receivers: delivery tracking (anymail's ``tracking`` signal, from the configured ESP's webhook),
a client's address changing, and the changes that renew the websites' cached fronts."""

from anymail.signals import tracking
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from wagtail.images.models import AbstractImage, AbstractRendition
from wagtail.models import BaseViewRestriction, Page, Site
from wagtail.signals import post_page_move

from .models import Client
from .services.fronts import forget_fronts
from .services.sign_in import revoke_sign_in_links
from .services.tracking import record_delivery_event
from .settings import BillingSettings


@receiver(tracking, dispatch_uid="invoicing.delivery_tracking")
def email_delivery_event(sender, event, esp_name, **kwargs):
    record_delivery_event(
        message_id=event.message_id,
        event_type=event.event_type,
        recipient=event.recipient or "",
        description=event.description or event.mta_response or "",
    )


@receiver(pre_save, sender=Client, dispatch_uid="invoicing.client_address_changed")
def client_address_changed(sender, instance, raw=False, **kwargs):
    """A sign-in link went to the address on file: once that changes (a typo fixed, a mailbox that
    changed hands), the links sent to the old one must not sign anyone in."""
    if raw or instance.pk is None:
        return
    before = Client.objects.filter(pk=instance.pk).values_list("email", flat=True).first()
    if before is not None and before.lower() != instance.email.lower():
        revoke_sign_in_links(instance)


# What a website's cached front is made of (``services.fronts``); any page, since moving or
# renaming an ancestor changes a pay page's path.
FRONT_MODELS = (Site, Page, BaseViewRestriction, AbstractImage, AbstractRendition, BillingSettings)


@receiver(post_save, dispatch_uid="invoicing.front_saved")
@receiver(post_delete, dispatch_uid="invoicing.front_deleted")
def front_changed(sender, instance, **kwargs):
    if isinstance(instance, FRONT_MODELS):
        forget_fronts()


@receiver(post_page_move, dispatch_uid="invoicing.front_page_moved")
def front_page_moved(sender, **kwargs):
    forget_fronts()
