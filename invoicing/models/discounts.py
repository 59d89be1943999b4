from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from ..core.money import CURRENCY_CHOICES
from .money_fields import money_field


class DiscountCode(models.Model):
    """A code a website's admins apply to drafts: a percentage, or a fixed amount in one currency."""

    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage")
        FIXED = "fixed", _("Fixed amount")

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.PROTECT, related_name="discount_codes", verbose_name=_("website")
    )
    code = models.CharField(_("code"), max_length=40, help_text=_("Letters, digits and dashes; not case-sensitive."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PERCENT)
    percent = models.DecimalField(
        _("percent off"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    amount = money_field(_("amount off"), null=True, blank=True)
    currency = models.CharField(
        _("currency"),
        max_length=3,
        choices=CURRENCY_CHOICES,
        blank=True,
        help_text=_("A fixed amount's currency, which the invoice must be in. Optional for a percentage."),
    )
    minimum_amount = money_field(
        _("minimum invoice amount"), help_text=_("What the lines must add up to, in the code's currency.")
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    max_redemptions = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    max_per_client = models.PositiveIntegerField(_("maximum uses per client"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Counted in the database, under the code's row lock, with the redemptions themselves.
    times_redeemed = models.PositiveIntegerField(_("times used"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["site", "code"]
        constraints = [
            models.UniqueConstraint(Upper("code"), "site", name="invoicing_unique_discount_code"),
            models.CheckConstraint(
                condition=(models.Q(kind="percent", percent__isnull=False))
                | models.Q(kind="fixed", amount__gt=0, currency__gt=""),
                name="invoicing_discount_code_has_value",
            ),
            models.CheckConstraint(
                condition=models.Q(max_redemptions__isnull=True)
                | models.Q(times_redeemed__lte=models.F("max_redemptions")),
                name="invoicing_discount_code_not_overused",
            ),
        ]
        verbose_name = _("discount code")
        verbose_name_plural = _("discount codes")

    def __str__(self):
        return self.code


class DiscountRedemption(models.Model):
    """One use of a code, by one invoice (applied to its draft, kept once issued)."""

    code = models.ForeignKey(DiscountCode, on_delete=models.PROTECT, related_name="redemptions")
    invoice = models.OneToOneField("invoicing.Invoice", on_delete=models.CASCADE, related_name="discount_redemption")
    client = models.ForeignKey("invoicing.Client", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("discount code use")
        verbose_name_plural = _("discount code uses")

    def __str__(self):
        return f"{self.code} on {self.invoice_id}"
