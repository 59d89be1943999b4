"""The invoice form: currency and due date fall back to the website's billing settings, and a
draft can be issued and emailed on save. Totals shown while typing are a preview; the services
compute the real ones."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm

from ..core.money import SUPPORTED_CURRENCIES, exponent
from ..models import BillingSettings
from ..services.access import billing_sites


class InvoiceForm(WagtailAdminModelForm):
    send_now = forms.BooleanField(
        label=_("Issue and send by email now"),
        required=False,
        help_text=_("On save, the draft gets its number and is emailed to the client with the PDF and the pay link."),
    )

    class Media:
        js = ["invoicing/admin/invoice_totals.js"]
        css = {"all": ["invoicing/admin/invoice_admin.css"]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        billing = list(BillingSettings.objects.filter(site__in=billing_sites(self.for_user)).select_related("site"))
        if "currency" in self.fields:
            currency = self.fields["currency"]
            currency.required = False
            currency.help_text = _("Left empty: the website's default currency.")
            # The live totals round each currency as the server does, and know each site's default.
            currency.widget.attrs["data-exponents"] = json.dumps(
                {code: exponent(code) for code in sorted(SUPPORTED_CURRENCIES)}
            )
            currency.widget.attrs["data-site-currencies"] = json.dumps(
                {setting.site_id: setting.default_currency for setting in billing}
            )
        if "due_date" in self.fields:
            self.fields["due_date"].help_text = payment_terms_help(billing)

    def clean(self):
        cleaned_data = super().clean()
        site = cleaned_data.get("site")
        if site is not None and not cleaned_data.get("currency"):
            cleaned_data["currency"] = BillingSettings.for_site(site).default_currency
        return cleaned_data


def payment_terms_help(settings):
    described = ", ".join(
        ngettext("%(site)s: %(days)d day", "%(site)s: %(days)d days", setting.payment_terms_days)
        % {"site": setting.site.site_name or setting.site.hostname, "days": setting.payment_terms_days}
        for setting in settings
    )
    help_text = _("Left empty: the issue date plus the website's payment terms.")
    return f"{help_text} ({described})" if described else help_text
