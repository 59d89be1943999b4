from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index

from ..core.addresses import city_field, country_field, electronic_address_field, postal_code_field
from ..core.tax import TaxTreatment


class Client(index.Indexed, models.Model):
    """Someone a website bills. Clients belong to one website."""

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.PROTECT, related_name="billing_clients", verbose_name=_("website")
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    billing_address = models.TextField(
        _("billing address"), blank=True, help_text=_("The street and number, and any other lines before the town.")
    )
    postal_code = postal_code_field()
    city = city_field()
    country = country_field(_("ISO 3166 code, e.g. DE. E-invoices need it."))
    buyer_reference = models.CharField(
        _("buyer reference"),
        max_length=100,
        blank=True,
        help_text=_("Printed on each new invoice and in its e-invoice, e.g. a purchase order or a Leitweg-ID."),
    )
    electronic_address = electronic_address_field(
        _("The client's Peppol id as scheme:id, e.g. 0208:0123456789. Blank: their email.")
    )
    tax_id = models.CharField(
        _("tax id"), max_length=64, blank=True, help_text=_("A VAT id with its country prefix, e.g. DE136695976.")
    )
    tax_treatment = models.CharField(
        _("tax treatment"), max_length=16, choices=TaxTreatment.choices, default=TaxTreatment.STANDARD
    )
    tax_exemption_reason = models.CharField(
        _("exemption reason"),
        max_length=300,
        blank=True,
        help_text=_("Printed on exempt invoices, e.g. “Exempt under Article 132(1)(i) of Directive 2006/112/EC”."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="billing_clients",
        verbose_name=_("linked user"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("email"),
        index.FilterField("site_id"),
    ]

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["site", "email"])]
        verbose_name = _("client")
        verbose_name_plural = _("clients")

    def __str__(self):
        return f"{self.name} <{self.email}>"
