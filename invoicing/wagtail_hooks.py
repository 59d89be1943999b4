"""Wagtail admin: invoices and clients as snippets. Every change goes through the services."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.admin.widgets import Button
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from .admin_views import DownloadPdfsBulkAction, InvoicePdfView

from .exceptions import InvoicingError
from .lifecycle import InvoiceStatus
from .models import Client, Invoice
from .services.invoices import save_draft


class SavesThroughServicesMixin:
    """Save the form's (unsaved) invoice through ``save_draft`` and show domain errors on the form."""

    def save_instance(self):
        return save_draft(self.form.save(commit=False), by=self.request.user)

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except InvoicingError as exc:
            self.produced_error_code = exc.code
            self.produced_error_message = exc.message
            return self.form_invalid(form)


class InvoiceCreateView(SavesThroughServicesMixin, CreateView):
    pass


class InvoiceEditView(SavesThroughServicesMixin, EditView):
    def dispatch(self, request, *args, **kwargs):
        invoice = self.get_object()
        if invoice.status != InvoiceStatus.DRAFT:
            messages.error(
                request,
                _("Invoice %(number)s is %(status)s; only drafts can be edited.")
                % {"number": invoice.number, "status": invoice.get_status_display().lower()},
            )
            return redirect(self.index_url_name)
        return super().dispatch(request, *args, **kwargs)


class InvoiceViewSet(SnippetViewSet):
    model = Invoice
    icon = "doc-full-inverse"
    menu_label = _("Invoices")
    menu_order = 200
    add_to_admin_menu = True
    add_view_class = InvoiceCreateView
    edit_view_class = InvoiceEditView
    list_display = ["__str__", "client", "site", "total", "amount_due", "due_date", "status"]
    list_filter = ["status", "site", "currency"]
    # Searched in the database: numbers and client names need no separate search index.
    search_backend_name = None
    search_fields = ["number", "title", "client__name", "client__email"]
    inspect_view_enabled = True

    panels = [
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("site"), FieldPanel("client")]), FieldPanel("title"), FieldPanel("description")],
            heading=_("Invoice"),
        ),
        FieldRowPanel([FieldPanel("currency"), FieldPanel("due_date"), FieldPanel("allow_partial_payments")]),
        InlinePanel("lines", heading=_("Lines"), label=_("Line"), min_num=1),
    ]

    def get_queryset(self, request):
        return Invoice.objects.select_related("client", "site", "payment_link")

    @property
    def pdf_view(self):
        return self.construct_view(InvoicePdfView)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [path("pdf/<str:pk>/", self.pdf_view, name="pdf")]


class ClientViewSet(SnippetViewSet):
    model = Client
    icon = "user"
    menu_label = _("Clients")
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["name", "email", "site"]
    list_filter = ["site"]
    search_fields = ["name", "email"]
    panels = [
        FieldPanel("site"),
        FieldPanel("name"),
        FieldPanel("email"),
        FieldPanel("billing_address"),
        FieldPanel("tax_id"),
        FieldPanel("user"),
    ]


register_snippet(InvoiceViewSet)
register_snippet(ClientViewSet)
hooks.register("register_bulk_action", DownloadPdfsBulkAction)


@hooks.register("register_snippet_listing_buttons")
def invoice_pdf_button(snippet, user, next_url=None):
    if isinstance(snippet, Invoice):
        url = reverse(f"{Invoice.snippet_viewset.get_url_namespace()}:pdf", args=[snippet.pk])
        yield Button(_("Download PDF"), url, icon_name="download", priority=30)
