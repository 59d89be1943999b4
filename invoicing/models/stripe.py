"""What we keep of Stripe: each PaymentIntent we started, and the inbox of webhook events."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..core.money import CURRENCY_CHOICES
from .money_fields import ScaledToCurrency, money_field


class CardPaymentQuerySet(models.QuerySet):
    def live(self):
        """Intents that may still take money: neither settled nor cancelled."""
        return self.exclude(status__in=CardPayment.FINAL_STATUSES)

    def processing(self):
        return self.filter(status=CardPayment.Status.PROCESSING)


class CardPayment(ScaledToCurrency, models.Model):
    """One Stripe PaymentIntent we started for an invoice, and what became of it."""

    money_fields = ("amount",)

    class Status(models.TextChoices):
        # Stripe's own PaymentIntent statuses.
        REQUIRES_PAYMENT_METHOD = "requires_payment_method", _("Waiting for a card")
        REQUIRES_CONFIRMATION = "requires_confirmation", _("Waiting for confirmation")
        REQUIRES_ACTION = "requires_action", _("Waiting for the bank's check")
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Succeeded")
        CANCELED = "canceled", _("Cancelled")

    # Never left once reached: the state only moves forward, whatever order events arrive in.
    FINAL_STATUSES = frozenset({Status.SUCCEEDED, Status.CANCELED})

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="card_payments")
    intent_id = models.CharField(_("PaymentIntent"), max_length=255, unique=True)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    link_version = models.PositiveIntegerField(_("payment link version"))
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(_("status"), max_length=32, choices=Status.choices)
    payment = models.OneToOneField(
        "invoicing.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="card_payment"
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CardPaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("card payment")
        verbose_name_plural = _("card payments")

    def __str__(self):
        return f"{self.intent_id} ({self.get_status_display()})"


class StripeEvent(models.Model):
    """The webhook inbox: each event stored once (unique id), with the outcome of applying it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    livemode = models.BooleanField(_("live mode"), default=False)
    site = models.ForeignKey(
        "wagtailcore.Site",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("website"),
    )
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.SET_NULL, null=True, blank=True, related_name="stripe_events"
    )
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        permissions = [("replay_stripeevent", _("Can replay Stripe events"))]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self):
        return f"{self.type} {self.event_id}"
