"""The admin's forms. Site-scoped: every site-scoped viewset's create, edit and copy forms get
``SiteScopedFormMixin`` (see ``SiteScopedViewSetMixin.get_form_class``). The invoice form: currency
and due date fall back to the website's billing settings, and a draft can be issued and emailed on
save; totals shown while typing are a preview, the services compute the real ones. And the forms
of the invoice actions (a reason, a manual payment)."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.widgets.chooser import BaseChooser
from wagtail.models import Site

from ..core.money import SUPPORTED_CURRENCIES, exponent
from ..models import BillingSettings
from ..models.access import billing_sites, scope_choices


def scope_field(field, user):
    """Narrow a choice field (a form's, a filter's) to ``user``'s websites. Its widget too: a
    chooser shows the title of whatever id it is given (posted back, or in a filter's URL) and
    finds it unscoped, which would name another website's client on the page."""
    if not isinstance(getattr(field, "queryset", None), QuerySet):
        return
    field.queryset = queryset = scope_choices(field.queryset, user)
    if isinstance(field.widget, BaseChooser):
        unscoped_lookup = field.widget.get_instance

        def get_instance(value):
            instance = unscoped_lookup(value)
            return instance if instance is not None and queryset.filter(pk=instance.pk).exists() else None

        field.widget.get_instance = get_instance


class SiteScopedFormMixin:
    """The website and every related object (a client, …) can only be chosen among the user's
    websites, and whatever is chosen must belong to the form's own website. The choices are
    checked on the server: a posted id of another website is refused like any invalid choice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            scope_field(field, self.for_user)

    def clean(self):
        cleaned_data = super().clean()
        site = cleaned_data.get("site") if "site" in self.fields else getattr(self.instance, "site", None)
        if not isinstance(site, Site):
            return cleaned_data
        for name, value in list(cleaned_data.items()):
            if name != "site" and isinstance(value, Model) and getattr(value, "site_id", site.pk) != site.pk:
                self.add_error(
                    name,
                    ValidationError(
                        _("%(object)s belongs to another website than %(site)s.") % {"object": value, "site": site},
                        code="other_website",
                    ),
                )
        return cleaned_data


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


class ManualPaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), min_value=0, help_text=_("Defaults to the balance due."))
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this is paid, for the audit trail: for instance, “bank transfer received on 3 March”."),
    )
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=255,
        help_text=_("The transfer's reference, if any. The same reference cannot be recorded twice."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
