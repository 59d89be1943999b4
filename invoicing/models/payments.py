from django.conf import settings
from django.db import models
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from ..core.money import CURRENCY_CHOICES, round_money
from .money_fields import ScaledToCurrency, money_field


class PaymentMethod(models.TextChoices):
    STRIPE = "stripe", _("Card (Stripe)")
    MANUAL = "manual", _("Manual")
    CREDIT = "credit", _("Account credit")


class Payment(ScaledToCurrency, models.Model):
    money_fields = ("amount",)

    class Status(models.TextChoices):
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUCCEEDED)
    provider_reference = models.CharField(_("provider reference"), max_length=255)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["method", "provider_reference"], name="invoicing_unique_payment_reference"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoicing_payment_amount_positive"),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return f"{self.get_method_display()} {self.amount} {self.currency}"

    @property
    def amount_refunded(self):
        refunded = self.refunds.aggregate(total=Sum("amount"))["total"] or 0
        return round_money(refunded, self.currency)

    @property
    def refundable_amount(self):
        return round_money(self.amount - self.amount_refunded, self.currency)


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = money_field(_("amount"))
    provider_reference = models.CharField(_("provider reference"), max_length=255)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "provider_reference"], name="invoicing_unique_refund_reference"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoicing_refund_amount_positive"),
        ]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self):
        return f"Refund {self.amount} of {self.payment}"


class CreditEntryQuerySet(models.QuerySet):
    def balance(self, client, currency):
        total = self.filter(client=client, currency=currency).aggregate(total=Sum("amount"))["total"] or 0
        return round_money(total, currency)


class CreditEntry(ScaledToCurrency, models.Model):
    """The client's wallet, as a ledger: positive entries add credit, negative ones spend it."""

    money_fields = ("amount",)

    class Kind(models.TextChoices):
        OVERPAYMENT = "overpayment", _("Overpayment")
        UNAPPLIED_PAYMENT = "unapplied_payment", _("Payment for a closed invoice")
        SPENT = "spent", _("Used to pay an invoice")
        RETURNED = "returned", _("Credit payment refunded")
        REFUNDED_TO_CARD = "refunded_to_card", _("Refunded to the card instead")
        ADDED = "added", _("Added by an admin")
        CREDIT_NOTE = "credit_note", _("From a credit note")

    client = models.ForeignKey("invoicing.Client", on_delete=models.PROTECT, related_name="credit_entries")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    amount = money_field(_("amount"))
    kind = models.CharField(max_length=24, choices=Kind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_entries")
    refund = models.OneToOneField(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_entry")
    credit_note = models.ForeignKey(
        "invoicing.CreditNote", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_entries"
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A payment adds (or spends) credit at most once per kind, however often it is applied;
            # what its refunds take back is once per refund (``refund`` is one-to-one).
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=models.Q(payment__isnull=False, refund__isnull=True),
                name="invoicing_unique_credit_per_payment",
            ),
        ]
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")

    def __str__(self):
        return f"{self.amount} {self.currency} ({self.get_kind_display()})"
