"""Invoice templates (presets) as snippets, per website, and "New invoice from template": pick a
template (and a client when it names none), and ``services.templates.draft_from_template`` fills
a draft that opens in the invoice editor."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton, ListingButton
from wagtail.snippets.views.snippets import IndexView, InspectView, SnippetViewSet
from wagtail.snippets.widgets import AdminSnippetChooser

from ..core.exceptions import InvoicingError
from ..core.totals import compute_totals
from ..models import Client, Invoice, InvoiceTemplate
from ..models.access import sites_granting
from ..services.templates import draft_from_template
from .access import SiteScopedViewSetMixin
from .columns import MoneyColumn
from .forms import InvoiceTemplateForm, TaxedLinesPanel, scope_field

NEW_INVOICE = "new_invoice"


def template_totals(template):
    """What an invoice from the template adds up to, before any period placeholder is filled."""
    lines = template.lines.all()
    return compute_totals(((line.quantity, line.unit_price, line.tax_rate) for line in lines), template.currency)


def new_invoice_url(template=None):
    """The "New invoice from template" page, with ``template`` chosen already when given."""
    url = reverse(InvoiceTemplate.snippet_viewset.get_url_name(NEW_INVOICE))
    return f"{url}?{urlencode({'template': template.pk})}" if template is not None else url


def may_create_invoices(user, template=None):
    """Whether ``user`` may add invoices: at all, or on ``template``'s website."""
    policy = Invoice.snippet_viewset.permission_policy
    if template is None:
        return policy.user_has_permission(user, "add")
    return policy.user_has_permission(user, "add") and policy.user_has_any_permission_on_site(
        user, ["add"], template.site_id
    )


class NewInvoiceFromTemplateForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=InvoiceTemplate.objects.select_related("site", "client")
    )
    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=Client.objects.all(),
        required=False,
        widget=AdminSnippetChooser(Client),
        help_text=_("Required when the template names no client; otherwise it replaces the template's client."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            scope_field(field, user)
        # The draft is made on the template's website: only where the user may add invoices.
        template = self.fields["template"]
        template.queryset = template.queryset.filter(site__in=sites_granting(user, "invoicing.add_invoice"))


class NewInvoiceFromTemplateView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Choose a template (and a client), then edit the draft it fills. Making an invoice takes the
    permission to add invoices; the template and the client are chosen among the user's websites."""

    index_url_name = None
    template_name = "invoicing/admin/new_invoice_from_template.html"
    form_class = NewInvoiceFromTemplateForm
    page_title = _("New invoice from template")
    header_icon = "doc-full-inverse"
    permission_required = "add"

    def user_has_permission(self, permission):
        return Invoice.snippet_viewset.permission_policy.user_has_permission(self.request.user, permission)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        return {"template": self.request.GET.get("template")}

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(Invoice.snippet_viewset.get_url_name("list")), "label": _("Invoices")},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=reverse(self.index_url_name), **kwargs)

    def form_valid(self, form):
        template = form.cleaned_data["template"]
        try:
            invoice = draft_from_template(template, client=form.cleaned_data["client"], by=self.request.user)
        except InvoicingError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request, _("A draft from “%(template)s” is ready: check it, then issue it.") % {"template": template}
        )
        return redirect(reverse(Invoice.snippet_viewset.get_url_name("edit"), args=[quote(invoice.pk)]))


class InvoiceTemplateIndexView(IndexView):
    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if may_create_invoices(self.request.user):
            buttons.append(HeaderButton(_("New invoice from template"), new_invoice_url(), icon_name="doc-full"))
        return buttons

    def get_list_buttons(self, instance):
        buttons = super().get_list_buttons(instance)
        if may_create_invoices(self.request.user, instance):
            buttons.insert(0, ListingButton(_("New invoice"), new_invoice_url(instance), icon_name="doc-full"))
        return buttons

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = templates = list(object_list)
        for template in templates:
            template.total = template_totals(template).total
        return paginator, page, templates, is_paginated


class InvoiceTemplateInspectView(InspectView):
    template_name = "invoicing/admin/invoice_template_inspect.html"

    @cached_property
    def header_buttons(self):
        if not may_create_invoices(self.request.user, self.object):
            return []
        return [HeaderButton(_("New invoice from template"), new_invoice_url(self.object), icon_name="doc-full")]

    def get_fields(self):
        return []  # The template lays the preset out itself.

    def get_context_data(self, **kwargs):
        template = self.object
        lines = list(template.lines.all())
        schedules = list(template.schedules.select_related("client"))
        schedule_inspect = template.schedules.model.snippet_viewset.get_url_name("inspect")
        for schedule in schedules:
            schedule.inspect_url = reverse(schedule_inspect, args=[quote(schedule.pk)])
        return super().get_context_data(
            template=template, lines=lines, totals=template_totals(template), schedules=schedules, **kwargs
        )


class InvoiceTemplateViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    model = InvoiceTemplate
    icon = "doc-empty"
    menu_label = _("Invoice templates")
    menu_order = 202
    add_to_admin_menu = True
    index_view_class = InvoiceTemplateIndexView
    inspect_view_class = InvoiceTemplateInspectView
    inspect_view_enabled = True
    list_display = [
        "name",
        Column("site", label=_("Website"), accessor="site.site_name", sort_key="site__site_name"),
        Column("client", label=_("Client"), accessor="client.name", sort_key="client__name"),
        Column("currency", label=_("Currency"), sort_key="currency"),
        MoneyColumn("total", label=_("Total")),
    ]
    list_filter = ["site", "currency"]
    search_backend_name = None
    search_fields = ["name", "title", "client__name"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("site"), FieldPanel("client")]),
                    FieldPanel("name"),
                    FieldPanel("title"),
                    FieldPanel("description"),
                ],
                heading=_("Template"),
                help_text=_(
                    "In the title and the lines, {period_start}, {period_end} and {period_label} are filled "
                    "with each period's dates when a recurring schedule uses the template."
                ),
            ),
            FieldRowPanel(
                [FieldPanel("currency"), FieldPanel("payment_terms_days"), FieldPanel("allow_partial_payments")]
            ),
            TaxedLinesPanel("lines", heading=_("Lines"), label=_("Line"), min_num=1),
            FieldPanel("notes"),
        ],
        base_form_class=InvoiceTemplateForm,
    )

    def get_queryset(self, request):
        return InvoiceTemplate.objects.select_related("site", "client").prefetch_related("lines")

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("new-invoice/", self.construct_view(NewInvoiceFromTemplateView), name=NEW_INVOICE),
        ]
