"""Each website's tax rate catalogue as snippets: the rates that invoice and template lines choose
from. Saved through ``services.tax.save_tax_rate`` (one default per website: making a rate the
default takes over from the previous one). A rate that lines use is kept: make it inactive."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.snippets.views.snippets import CreateView, DeleteView, EditView, SnippetViewSet

from ..models import TaxRate
from ..services.tax import lines_using, save_tax_rate
from .access import SiteScopedViewSetMixin
from .forms import ServiceErrorsOnFormMixin


class TaxRateForm(WagtailAdminModelForm):
    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("is_default") and not cleaned_data.get("active", True):
            self.add_error("is_default", _("An inactive rate cannot be the default: new lines start with the default."))
        return cleaned_data

    def _get_validation_exclusions(self):
        # The one-default-per-website constraint is the service's to keep: a new default takes over.
        exclusions = super()._get_validation_exclusions()
        exclusions.add("is_default")
        return exclusions


class SavesTaxRateMixin(ServiceErrorsOnFormMixin):
    """Save through the service; a domain error shows on the form."""

    def save_instance(self):
        return save_tax_rate(self.form.save(commit=False))


class TaxRateCreateView(SavesTaxRateMixin, CreateView):
    pass


class TaxRateEditView(SavesTaxRateMixin, EditView):
    pass


class TaxRateDeleteView(DeleteView):
    """Invoices keep the rates they were issued with: a rate that any line names cannot go (the
    page says so; ``refuse_deleting_rates_in_use`` refuses the POST)."""

    def lines_using(self):
        if not hasattr(self, "_lines_using"):
            self._lines_using = lines_using(self.object)
        return self._lines_using

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        used = self.lines_using()
        if used:
            context["is_protected"] = True
            context["in_use_message"] = ngettext(
                "%(count)d line of an invoice, a template or a credit note uses this rate, so it cannot be "
                "deleted. Make it inactive instead: it is then no longer offered for new lines.",
                "%(count)d lines of invoices, templates or credit notes use this rate, so it cannot be "
                "deleted. Make it inactive instead: it is then no longer offered for new lines.",
                used,
            ) % {"count": used}
        return context


def refuse_deleting_rates_in_use(request, instances):
    """``before_delete_snippet`` (the delete view and the bulk delete): when the deletion is
    confirmed, rates in use are kept (the database would refuse them anyway, with a 500)."""
    if request.method != "POST":
        return None
    in_use = [rate for rate in instances if isinstance(rate, TaxRate) and lines_using(rate)]
    if not in_use:
        return None
    messages.error(
        request,
        _("These rates are in use and were not deleted: %(rates)s. Make them inactive instead.")
        % {"rates": ", ".join(str(rate) for rate in in_use)},
    )
    return redirect(TaxRate.snippet_viewset.get_url_name("list"))


class TaxRateViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    model = TaxRate
    icon = "decimal"
    menu_label = _("Tax rates")
    menu_order = 203
    add_to_admin_menu = True
    add_view_class = TaxRateCreateView
    edit_view_class = TaxRateEditView
    delete_view_class = TaxRateDeleteView
    delete_template_name = "invoicing/admin/tax_rate_confirm_delete.html"
    list_display = [
        "name",
        Column("site", label=_("Website"), accessor="site.site_name", sort_key="site__site_name"),
        Column("rate", label=_("Rate (%)"), accessor=lambda rate: f"{rate.rate.normalize():f}", sort_key="rate"),
        BooleanColumn("inclusive", label=_("Prices include it")),
        BooleanColumn("is_default", label=_("Default")),
        BooleanColumn("active", label=_("Active")),
    ]
    list_filter = ["site", "active"]
    search_backend_name = None
    search_fields = ["name"]
    list_export = ["name", "site.hostname", "rate", "inclusive", "is_default", "active"]
    export_headings = {
        "name": _("Name"),
        "site.hostname": _("Website"),
        "rate": _("Rate (%)"),
        "inclusive": _("Prices include it"),
        "is_default": _("Default"),
        "active": _("Active"),
    }
    export_filename = "tax-rates"
    edit_handler = ObjectList(
        [
            FieldPanel("site"),
            FieldRowPanel([FieldPanel("name"), FieldPanel("rate")]),
            FieldRowPanel([FieldPanel("inclusive"), FieldPanel("is_default"), FieldPanel("active")]),
        ],
        base_form_class=TaxRateForm,
    )

    def get_queryset(self, request):
        return TaxRate.objects.select_related("site")
