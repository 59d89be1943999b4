"""Wagtail admin: invoices and clients as snippets. Every change goes through the services."""

from django.contrib import messages
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from .admin_views import DownloadPdfsBulkAction, InvoicePdfView, SendEmailView
from .exceptions import InvoicingError
from .lifecycle import InvoiceStatus
from .models import Client, Invoice, OutboundEmail
from .models.outbox import email_summary
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


class EmailStatusColumn(Column):
    """An email's state, in red when it needs attention (a bounce, a complaint, a failed send)."""

    cell_template_name = "invoicing/admin/email_status_cell.html"

    def __init__(self, name, *, status_accessor, delivery_accessor, **kwargs):
        super().__init__(name, **kwargs)
        self.status_accessor, self.delivery_accessor = status_accessor, delivery_accessor

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        status = getattr(instance, self.status_accessor)
        delivery = getattr(instance, self.delivery_accessor)
        context["value"], context["attention"] = email_summary(status, delivery) if status else ("", False)
        context["status"] = delivery or status or ""
        return context


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

    @property
    def pdf_view(self):
        return self.construct_view(InvoicePdfView)

    @property
    def send_email_view(self):
        return self.construct_view(SendEmailView)

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("pdf/<str:pk>/", self.pdf_view, name="pdf"),
            path("send/<str:pk>/", self.send_email_view, name="send_email"),
        ]


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


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """The outbox is a record: rows are written by the sending pipeline, never by hand."""

    def user_has_permission(self, user, action):
        return action not in {"add", "change", "delete"} and super().user_has_permission(user, action)


class OutboundEmailViewSet(SnippetViewSet):
    model = OutboundEmail
    icon = "mail"
    menu_label = _("Emails")
    menu_order = 220
    add_to_admin_menu = True
    list_display = [
        "subject",
        "to_email",
        "kind",
        EmailStatusColumn("summary", label=_("Status"), status_accessor="status", delivery_accessor="delivery"),
        "attempts",
        "last_error",
        "created_at",
    ]
    list_filter = ["status", "delivery", "kind", "trigger"]
    search_backend_name = None
    search_fields = ["subject", "to_email", "invoice__number"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "invoice",
        "kind",
        "trigger",
        "to_email",
        "from_email",
        "reply_to",
        "subject",
        "status",
        "delivery",
        "attempts",
        "last_error",
        "next_attempt_at",
        "sent_at",
        "esp_message_id",
        "delivery_updated_at",
        "text_body",
    ]

    def get_queryset(self, request):
        return OutboundEmail.objects.select_related("invoice")


register_permission_policy(OutboundEmail, ReadOnlyPermissionPolicy(OutboundEmail))
register_snippet(InvoiceViewSet)
register_snippet(ClientViewSet)
register_snippet(OutboundEmailViewSet)
hooks.register("register_bulk_action", DownloadPdfsBulkAction)


@hooks.register("register_snippet_listing_buttons")
def invoice_buttons(snippet, user, next_url=None):
    if isinstance(snippet, Invoice):
        viewset = Invoice.snippet_viewset
        yield Button(
            _("Download PDF"),
            reverse(viewset.get_url_name("pdf"), args=[snippet.pk]),
            icon_name="download",
            priority=30,
        )
        yield Button(
            _("Send by email"),
            reverse(viewset.get_url_name("send_email"), args=[snippet.pk]),
            icon_name="mail",
            priority=31,
        )
