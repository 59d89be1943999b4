from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from ..core.money import CURRENCY_CHOICES
from .invoices import LineFields
from .money_fields import ScaledToCurrency, money_field


class CreditNote(ScaledToCurrency, ClusterableModel):
    """A correction of an issued invoice, numbered in its website's own credit-note sequence.

    What it credits first reduces the invoice's balance; what the client had already paid beyond
    that goes to the client's credit or back through the original payment's provider."""

    money_fields = ("subtotal", "tax", "total", "applied_to_invoice", "credited", "refunded")

    class Settlement(models.TextChoices):
        CREDIT = "credit", _("Add to the client's account credit")
        REFUND = "refund", _("Refund through the original payment")

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.PROTECT, related_name="credit_notes")
    invoice = models.ForeignKey("invoicing.Invoice", on_delete=models.PROTECT, related_name="credit_notes")
    client = models.ForeignKey("invoicing.Client", on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(_("number"), max_length=64)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    reason = models.TextField(_("reason"))
    settlement = models.CharField(_("money already paid"), max_length=8, choices=Settlement.choices)
    subtotal = money_field(_("subtotal"))
    tax = money_field(_("tax"))
    total = money_field(_("total"))
    # How the total was settled: off the invoice's balance, to credit, refunded.
    applied_to_invoice = money_field(_("taken off the balance"))
    credited = money_field(_("added to account credit"))
    refunded = money_field(_("refunded"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="invoicing_unique_credit_note_number"),
            models.CheckConstraint(condition=models.Q(total__gt=0), name="invoicing_credit_note_total_positive"),
        ]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")

    def __str__(self):
        return self.number


class CreditNoteLine(Orderable, LineFields):
    credit_note = ParentalKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    # The invoice line this credits, where it credits one.
    invoice_line = models.ForeignKey(
        "invoicing.InvoiceLine", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(Orderable.Meta):
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")
