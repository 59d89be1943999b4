from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaxRateQuerySet(models.QuerySet):
    def for_site(self, site):
        return self.filter(site=site, active=True)


class TaxRate(models.Model):
    """One rate of a website's tax catalogue, chosen per line instead of typed."""

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.PROTECT, related_name="tax_rates", verbose_name=_("website")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("As printed, e.g. “VAT 19 %”."))
    rate = models.DecimalField(
        _("rate (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    inclusive = models.BooleanField(
        _("prices include this tax"),
        default=False,
        help_text=_("New invoices whose default rate this is take prices with tax included."),
    )
    is_default = models.BooleanField(_("default"), default=False, help_text=_("Chosen for new lines."))
    active = models.BooleanField(_("active"), default=True, help_text=_("Inactive rates are kept for old invoices."))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TaxRateQuerySet.as_manager()

    class Meta:
        ordering = ["site", "-is_default", "rate", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="invoicing_unique_tax_rate_name"),
            models.UniqueConstraint(
                fields=["site"], condition=models.Q(is_default=True), name="invoicing_one_default_tax_rate"
            ),
        ]
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")

    def __str__(self):
        return f"{self.name} ({self.rate.normalize():f} %)"
