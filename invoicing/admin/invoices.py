"""Invoices as snippets. Create and edit save through the services; issued invoices are read-only."""

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from ..exceptions import InvoicingError
from ..lifecycle import InvoiceStatus
from ..models import Invoice, OutboundEmail
from ..services.invoices import save_draft
from .actions import action_urlpatterns
from .columns import EmailStatusColumn


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


def latest_email(field):
    return Subquery(
        OutboundEmail.objects.filter(invoice=OuterRef("pk")).order_by("-created_at", "-id").values(field)[:1]
    )


class InvoiceViewSet(SnippetViewSet):
    model = Invoice
    icon = "doc-full-inverse"
    menu_label = _("Invoices")
    menu_order = 200
    add_to_admin_menu = True
    add_view_class = InvoiceCreateView
    edit_view_class = InvoiceEditView
    list_display = [
        "__str__",
        "client",
        "site",
        "total",
        "amount_due",
        "due_date",
        "status",
        EmailStatusColumn(
            "email_status",
            label=_("Email"),
            status_accessor="last_email_status",
            delivery_accessor="last_email_delivery",
        ),
    ]
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
        return Invoice.objects.select_related("client", "site", "payment_link").annotate(
            last_email_status=latest_email("status"), last_email_delivery=latest_email("delivery")
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + action_urlpatterns(self)
