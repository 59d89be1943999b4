"""The admin's forms. Site-scoped: every site-scoped viewset's create, edit and copy forms get
``SiteScopedFormMixin`` (see ``SiteScopedViewSetMixin.get_form_class``). The invoice form: currency
and due date fall back to the website's billing settings, and a draft can be issued and emailed on
save; totals shown while typing are a preview, the services compute the real ones. And the forms
of the invoice actions (a reason, a manual payment)."""

import json

from django import forms
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.admin.widgets import AdminDateInput
from wagtail.admin.widgets.chooser import BaseChooser
from wagtail.models import Site

from ..core.exceptions import InvoicingError
from ..core.money import SUPPORTED_CURRENCIES, exponent
from ..core.tax import TaxTreatment
from ..core.totals import PER_TOTAL
from ..models import BillingSettings, Client, TaxRate
from ..models.access import billing_sites, scope_choices, sites_granting
from ..services.invoice_totals import discount_of
from ..services.invoices import new_draft_terms
from ..services.tax import ClientTaxInvalid, active_rates, clean_client_tax, resolve_line_tax


class ServiceErrorsOnFormMixin:
    """For a create or edit view that saves through a service: the service's domain error is shown
    on the form, as Wagtail shows its own errors, instead of a 500."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except InvoicingError as exc:
            self.produced_error_code = exc.code
            self.produced_error_message = exc.message
            return self.form_invalid(form)


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
        site = self.fields.get("site")
        if site is not None and isinstance(getattr(site, "queryset", None), QuerySet):
            # Only the websites where the user may add (or, editing, change) such a record.
            opts = self._meta.model._meta
            action = "change" if self.instance.pk else "add"
            permission = f"{opts.app_label}.{get_permission_codename(action, opts)}"
            site.queryset = site.queryset.filter(pk__in=sites_granting(self.for_user, permission).values("pk"))

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


class TaxRateSelect(forms.Select):
    """The catalogue's rates, each option with its percentage, website and whether it is the
    default: the live totals read them, and show only the chosen website's rates."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        rate = getattr(value, "instance", None)
        if rate is not None:
            option["attrs"].update({"data-rate": f"{rate.rate:f}", "data-site": str(rate.site_id)})
            if rate.is_default:
                option["attrs"]["data-default"] = ""
        return option


class TaxedLineForm(WagtailAdminModelForm):
    """A line of an invoice or of a template. Its tax is chosen among the active rates of the
    user's websites (the website's own are checked when the invoice is validated); a new line
    starts with its website's default rate, where the website is known. Where a website has no
    catalogue yet, the typed rate counts."""

    def __init__(self, *args, default_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        tax = self.fields.get("tax")
        if tax is None:
            return
        tax.queryset = scope_choices(TaxRate.objects.filter(active=True).select_related("site"), self.for_user)
        tax.widget = TaxRateSelect(attrs={"data-line-tax": ""})
        tax.widget.choices = tax.choices
        tax.label = _("Tax rate")
        tax.empty_label = _("Typed rate")
        if len({rate.site_id for rate in tax.queryset}) > 1:
            tax.label_from_instance = lambda rate: f"{rate.site.site_name or rate.site.hostname} · {rate}"
        if "tax_rate" in self.fields:
            self.fields["tax_rate"].required = False  # a chosen rate gives it
        if self.instance.pk is None and default_site is not None and not self.is_bound:
            default = next((rate for rate in tax.queryset if rate.site_id == default_site.pk and rate.is_default), None)
            if default is not None:
                self.initial.setdefault("tax", default.pk)
                self.initial.setdefault("tax_rate", default.rate)

    def clean(self):
        cleaned_data = super().clean()
        if "tax_rate" in self.fields and cleaned_data.get("tax_rate") is None and "tax_rate" not in self.errors:
            chosen = cleaned_data.get("tax")
            if chosen is not None:
                cleaned_data["tax_rate"] = chosen.rate
            elif "tax" not in self.errors:
                self.add_error("tax_rate", _("Choose a tax rate, or type one."))
        return cleaned_data


class LinesTaxMixin:
    """For the form of an invoice or a template (a ``site`` and ``lines``): each line's tax is
    resolved against the website's catalogue once the form is otherwise valid
    (``services.tax.resolve_line_tax``: a rate of another website, or an inactive one, is refused
    on its line), so that the rate saved is the catalogue's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        lines = self.formsets.get("lines")
        if lines is not None:
            site = self.instance.site if getattr(self.instance, "site_id", None) else None
            if site is None:
                sites = list(billing_sites(self.for_user)[:2])
                site = sites[0] if len(sites) == 1 else None
            lines.form_kwargs["default_site"] = site

    def is_valid(self):
        valid = super().is_valid()
        site = getattr(self, "cleaned_data", {}).get("site") or getattr(self.instance, "site", None)
        lines = self.formsets.get("lines")
        if not valid or site is None or lines is None:
            return valid
        rates = active_rates(site)
        for form in lines.forms:
            if lines.can_delete and lines._should_delete_form(form):
                continue
            try:
                resolve_line_tax(site, form.instance, rates=rates)
            except InvoicingError as exc:
                form.add_error("tax" if "tax" in form.fields else None, exc.message)
                valid = False
        return valid


def describe_tax_terms(form, billing):
    """What the live totals need to compute as the server does: each website's rounding rule, the
    clients whose treatment charges no tax, and the draft's discount; and the tax terms' defaults."""
    currency = form.fields["currency"]
    currency.widget.attrs["data-site-rounding"] = json.dumps(
        {setting.site_id: setting.tax_rounding or PER_TOTAL for setting in billing}
    )
    untaxed = Client.objects.filter(site__in=[setting.site_id for setting in billing]).exclude(
        tax_treatment__in=["", TaxTreatment.STANDARD]
    )
    currency.widget.attrs["data-untaxed-clients"] = json.dumps(sorted(untaxed.values_list("pk", flat=True)))
    invoice = form.instance
    discount = {}
    if getattr(invoice, "discount_code_id", None):
        discount = discount_of(invoice)
        discount = {"percent": discount.percent, "amount": discount.amount}
        discount = {key: f"{value:f}" for key, value in discount.items() if value is not None}
    currency.widget.attrs["data-discount"] = json.dumps(discount)
    for name in ("early_discount_percent", "early_discount_days"):
        if name in form.fields:
            form.fields[name].required = False
            form.fields[name].help_text = _("Left empty: the website's early-payment terms.")
    if invoice.pk is None and not form.is_bound and len(billing) == 1:
        terms = new_draft_terms(billing[0])
        for name, value in terms.items():
            if name in form.fields:
                form.initial[name] = value


class InvoiceForm(LinesTaxMixin, WagtailAdminModelForm):
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
        if "currency" in self.fields:
            describe_tax_terms(self, billing)

    def clean(self):
        cleaned_data = super().clean()
        site = cleaned_data.get("site")
        if site is not None and not cleaned_data.get("currency"):
            cleaned_data["currency"] = BillingSettings.for_site(site).default_currency
        if site is not None:
            # Early-payment terms left empty: the website's (a 0 typed means none).
            terms = None
            for name in ("early_discount_percent", "early_discount_days"):
                if name in self.fields and cleaned_data.get(name) is None and name not in self.errors:
                    terms = terms or new_draft_terms(BillingSettings.for_site(site))
                    cleaned_data[name] = terms[name]
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
    paid_on = forms.DateField(
        label=_("Received on"),
        required=False,
        widget=AdminDateInput,
        help_text=_("The day the money arrived; within an early-payment discount's window, it earns the discount."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TaxedLinesPanel(InlinePanel):
    """The lines of an invoice or a template, each with its tax chosen from the catalogue."""

    def __init__(self, relation_name="lines", **kwargs):
        kwargs.setdefault(
            "panels",
            [
                FieldPanel("description"),
                FieldRowPanel(
                    [FieldPanel("quantity"), FieldPanel("unit_price"), FieldPanel("tax"), FieldPanel("tax_rate")]
                ),
            ],
        )
        super().__init__(relation_name, **kwargs)

    def get_form_options(self):
        options = super().get_form_options()
        formset = options["formsets"][self.relation_name]
        formset["form"] = TaxedLineForm
        # The lines' forms need the user too, to offer only their websites' rates.
        formset["inherit_kwargs"] = ["for_user"]
        return options


class InvoiceTemplateForm(LinesTaxMixin, WagtailAdminModelForm):
    """An invoice template: its lines choose their tax from the website's catalogue, as invoices do."""


class ClientForm(WagtailAdminModelForm):
    """A client: the tax id is checked offline (a VAT id is stored compact, with its country
    prefix), and the tax treatment must go with it (``services.tax.clean_client_tax``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "tax_treatment" in self.fields:
            self.fields["tax_treatment"].required = False  # left out: standard

    def clean(self):
        cleaned_data = super().clean()
        if not {"tax_id", "tax_treatment"} <= set(self.fields) or {"tax_id", "tax_treatment"} & set(self.errors):
            return cleaned_data
        try:
            tax_id, treatment, reason = clean_client_tax(
                tax_id=cleaned_data.get("tax_id"),
                treatment=cleaned_data.get("tax_treatment"),
                exemption_reason=cleaned_data.get("tax_exemption_reason"),
            )
        except ClientTaxInvalid as exc:
            for name, message in exc.errors.items():
                self.add_error(name if name in self.fields else None, message)
            return cleaned_data
        cleaned_data.update(tax_id=tax_id, tax_treatment=treatment, tax_exemption_reason=reason)
        return cleaned_data
