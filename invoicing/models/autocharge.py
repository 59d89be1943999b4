"""Cards clients saved for a website's future invoices, and the automatic charges made with them.

Only the provider's references are kept (a Stripe customer and payment method), never card data.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedCardQuerySet(models.QuerySet):
    def active(self):
        return self.filter(removed_at__isnull=True)


class SavedCard(models.Model):
    """A card a client allowed a website to charge for its future invoices (a client belongs to
    one website, so this is per client and website). At most one is active per client."""

    class RemovedBy(models.TextChoices):
        CLIENT = "client", _("The client")
        ADMIN = "admin", _("An admin")

    client = models.ForeignKey(
        "invoicing.Client", on_delete=models.CASCADE, related_name="saved_cards", verbose_name=_("client")
    )
    provider = models.CharField(_("provider"), max_length=32, default="stripe")
    customer_reference = models.CharField(_("customer"), max_length=255)
    payment_method_reference = models.CharField(_("payment method"), max_length=255)
    brand = models.CharField(_("brand"), max_length=32, blank=True)
    last4 = models.CharField(_("last 4 digits"), max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"), null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(_("expiry year"), null=True, blank=True)
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.CharField(_("removed by"), max_length=16, choices=RemovedBy.choices, blank=True)
    removed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SavedCardQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(removed_at__isnull=True),
                name="invoicing_one_saved_card_per_client",
            ),
        ]
        verbose_name = _("saved card")
        verbose_name_plural = _("saved cards")

    def __str__(self):
        return f"{self.brand or _('Card')} •••• {self.last4}"


class AutoChargeQuerySet(models.QuerySet):
    def pending(self):
        """Charges that will still be tried: the invoice waits for them, and is not reminded."""
        return self.filter(status__in=(AutoCharge.Status.SCHEDULED, AutoCharge.Status.CHARGING))


class AutoCharge(models.Model):
    """The automatic charge of one invoice with a saved card: its attempts and retries.

    Each attempt is a ``CardPayment`` (an off-session PaymentIntent), so that the webhook and the
    reconciliation sweep settle it like any card payment, through ``apply_payment``.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CHARGING = "charging", _("Charging")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Gave up")
        CANCELED = "canceled", _("Cancelled")

    invoice = models.OneToOneField(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="auto_charge", verbose_name=_("invoice")
    )
    saved_card = models.ForeignKey(
        SavedCard, on_delete=models.PROTECT, related_name="charges", verbose_name=_("saved card")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AutoChargeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("automatic charge")
        verbose_name_plural = _("automatic charges")

    def __str__(self):
        return f"{self.invoice} ({self.get_status_display()})"
