from django.db import models
from django.utils.translation import gettext_lazy as _

from .money_fields import ScaledToCurrency, money_field


class Instalment(ScaledToCurrency, models.Model):
    """One part of an invoice's payment plan. The parts add up to the invoice's total; payments
    settle them earliest first, so what is paid of each is derived, never stored."""

    money_fields = ("amount",)

    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = money_field(_("amount"))
    # Loaded beside the amount so that it is scaled to the currency's exponent.
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "sequence"], name="invoicing_unique_instalment"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="invoicing_instalment_amount_positive"),
        ]
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")

    def __str__(self):
        return f"{self.sequence}: {self.amount} {self.currency} by {self.due_date}"
