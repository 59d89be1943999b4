"""Invoices as snippets. Create and edit save through the services; issued invoices are read-only
and open on their inspect view. The listing runs the same queries for ten invoices or a million."""

from django.contrib import messages
from django.contrib.admin.utils import quote
from django.db import transaction
from django.db.models import DecimalField, ExpressionWrapper
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.actions.delete import DeleteAction
from wagtail.admin.panels import FieldPanel, FieldRowPanel, HelpPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import HeaderButton
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import CreateView, DeleteView, EditView, IndexView, SnippetViewSet

from ..core.lifecycle import InvoiceStatus
from ..core.money import DECIMAL_PLACES, MAX_DIGITS
from ..models import Invoice, OutboundEmail
from ..models.invoices import AMOUNT_DUE
from ..services.invoices import delete_draft, save_draft
from ..services.outbox import issue_and_send_invoice
from .access import SiteScopedPermissionPolicyMixin, SiteScopedViewSetMixin
from .actions import action_urlpatterns
from .columns import EmailStatusColumn, InvoiceNumberColumn, InvoiceStatusColumn, MoneyColumn
from .einvoices import einvoice_urlpatterns
from .filters import InvoiceFilterSet
from .forms import InvoiceForm, ServiceErrorsOnFormMixin, TaxedLinesPanel
from .inspect import InvoiceInspectView
from .invoice_templates import new_invoice_url


class InvoicePermissionPolicy(SiteScopedPermissionPolicyMixin, ModelPermissionPolicy):
    """Only a draft can be deleted: an issued invoice keeps its number and history, and is voided.
    The listing, the delete view and the bulk delete all ask here. Each permission counts on the
    invoice's own website (``SiteScopedPermissionPolicyMixin``)."""

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "delete" and instance.status != InvoiceStatus.DRAFT:
            return False
        return super().user_has_permission_for_instance(user, action, instance)


class DeleteDraftAction(DeleteAction):
    """Wagtail's delete of one invoice, through the service that refuses anything but a draft."""

    def _delete(self):
        with transaction.atomic():
            log(instance=self.instance, action=self.log_action, user=self.user, deleted=True)
            delete_draft(self.instance)


def inspect_url(invoice):
    return reverse(Invoice.snippet_viewset.get_url_name("inspect"), args=[quote(invoice.pk)])


class SavesThroughServicesMixin(ServiceErrorsOnFormMixin):
    """Save the form's (unsaved) invoice through ``save_draft``, issue and email it when asked, and
    show domain errors on the form. Wagtail saves inside one transaction: a failed send keeps no draft."""

    def save_instance(self):
        invoice = save_draft(self.form.save(commit=False), by=self.request.user)
        if self.form.cleaned_data.get("send_now"):
            self.sent_email = issue_and_send_invoice(invoice, by=self.request.user)
        return invoice

    def get_success_message(self, *args):
        email = getattr(self, "sent_email", None)
        if email is None:
            return super().get_success_message(*args)
        return _("Invoice %(number)s is issued and on its way to %(to)s.") % {
            "number": self.object.number,
            "to": email.to_email,
        }

    def get_success_buttons(self):
        return [] if self.object.status != InvoiceStatus.DRAFT else super().get_success_buttons()

    def get_success_url(self):
        if self.object.status != InvoiceStatus.DRAFT:
            return inspect_url(self.object)
        return super().get_success_url()


class InvoiceCreateView(SavesThroughServicesMixin, CreateView):
    pass


class DraftsOnlyMixin:
    """Editing and deleting are for drafts: an issued invoice opens its inspect view instead."""

    refusal = None  # "Invoice %(number)s is %(status)s; only drafts can …"

    def dispatch(self, request, *args, **kwargs):
        invoice = self.get_object()
        if invoice.status != InvoiceStatus.DRAFT:
            messages.warning(
                request,
                self.refusal % {"number": invoice.number, "status": invoice.get_status_display().lower()},
            )
            return redirect(inspect_url(invoice))
        return super().dispatch(request, *args, **kwargs)


class InvoiceEditView(DraftsOnlyMixin, SavesThroughServicesMixin, EditView):
    refusal = _("Invoice %(number)s is %(status)s; only drafts can be edited.")


class InvoiceDeleteView(DraftsOnlyMixin, DeleteView):
    refusal = _("Invoice %(number)s is %(status)s; only drafts can be deleted. Void it instead.")


def attach_latest_emails(invoices):
    """Give each invoice its latest email's status and delivery, in one query for the whole page.
    (As subqueries in the listing's SELECT, SQLite would compute them for every row it sorts.)"""
    latest = {}
    emails = OutboundEmail.objects.filter(invoice__in=invoices).order_by("invoice", "-created_at", "-id")
    for invoice_id, status, delivery in emails.values_list("invoice", "status", "delivery"):
        latest.setdefault(invoice_id, (status, delivery))
    for invoice in invoices:
        invoice.last_email_status, invoice.last_email_delivery = latest.get(invoice.pk, ("", ""))


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class InvoiceIndexView(IndexView):
    # Newest first, as the model's ordering says, but by primary key: ids grow with creation, and
    # the key's index lets the database read 20 rows instead of sorting the whole table.
    default_ordering = "-pk"

    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if self.add_url:  # the permission to add invoices
            buttons.append(HeaderButton(_("New from template"), new_invoice_url(), icon_name="doc-empty"))
        return buttons

    def _get_title_column(self, field_name, column_class=InvoiceNumberColumn, **kwargs):
        return super()._get_title_column(field_name, column_class, **kwargs)

    def get_edit_url(self, instance):
        # An issued invoice is read-only: its number links to its inspect view, and it has no "Edit".
        return super().get_edit_url(instance) if instance.status == InvoiceStatus.DRAFT else None

    def get_delete_url(self, instance):
        return super().get_delete_url(instance) if self.user_has_permission_for_instance("delete", instance) else None

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        # A spreadsheet opening the CSV would run "=HYPERLINK(…)" in a title or a client's name as
        # a formula (Wagtail guards only its XLSX); a leading quote keeps it text.
        if export_format == self.FORMAT_CSV and isinstance(value, str) and value[:1] in FORMULA_PREFIXES:
            return "'" + value
        return value

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = invoices = list(object_list)
        attach_latest_emails(invoices)
        return paginator, page, invoices, is_paginated


class InvoiceViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    model = Invoice
    icon = "doc-full-inverse"
    menu_label = _("Invoices")
    menu_order = 200
    add_to_admin_menu = True
    index_view_class = InvoiceIndexView
    add_view_class = InvoiceCreateView
    edit_view_class = InvoiceEditView
    delete_view_class = InvoiceDeleteView
    inspect_view_class = InvoiceInspectView
    inspect_view_enabled = True
    list_display = [
        "number",
        Column("client", label=_("Client"), accessor="client.name", sort_key="client__name"),
        Column("site", label=_("Website"), accessor="site.site_name", sort_key="site__site_name"),
        Column("title", label=_("Title"), sort_key="title"),
        MoneyColumn("total", label=_("Total"), sort_key="total"),
        MoneyColumn("amount_due", label=_("Amount due"), sort_key="balance_due"),
        Column("due_date", label=_("Due date"), sort_key="due_date"),
        InvoiceStatusColumn("status", label=_("Status"), sort_key="status"),
        EmailStatusColumn(
            "email_status",
            label=_("Email"),
            status_accessor="last_email_status",
            delivery_accessor="last_email_delivery",
        ),
    ]
    filterset_class = InvoiceFilterSet
    # Searched in the database: numbers and client names need no separate search index.
    search_backend_name = None
    search_fields = ["number", "title", "client__name", "client__email"]

    # Amounts are exported as numbers (Decimal), beside their currency, not as formatted text.
    list_export = [
        "number",
        "get_status_display",
        "title",
        "client.name",
        "client.email",
        "site.hostname",
        "currency",
        "subtotal",
        "tax",
        "total",
        "amount_paid",
        "amount_due",
        "issued_at",
        "due_date",
    ]
    export_headings = {
        "number": _("Number"),
        "get_status_display": _("Status"),
        "title": _("Title"),
        "client.name": _("Client"),
        "client.email": _("Client email"),
        "site.hostname": _("Website"),
        "currency": _("Currency"),
        "subtotal": _("Subtotal"),
        "tax": _("Tax"),
        "total": _("Total"),
        "amount_paid": _("Amount paid"),
        "amount_due": _("Amount due"),
        "issued_at": _("Issued at"),
        "due_date": _("Due date"),
    }
    export_filename = "invoices"

    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("site"), FieldPanel("client")]),
                    FieldPanel("title"),
                    FieldPanel("description"),
                    FieldPanel("buyer_reference"),
                ],
                heading=_("Invoice"),
            ),
            FieldRowPanel([FieldPanel("currency"), FieldPanel("due_date"), FieldPanel("allow_partial_payments")]),
            TaxedLinesPanel("lines", heading=_("Lines"), label=_("Line"), min_num=1),
            MultiFieldPanel(
                [
                    FieldPanel("prices_include_tax"),
                    FieldRowPanel([FieldPanel("early_discount_percent"), FieldPanel("early_discount_days")]),
                ],
                heading=_("Tax and payment terms"),
            ),
            HelpPanel(template="invoicing/admin/invoice_form_totals.html", heading=_("Totals")),
            FieldPanel("send_now"),
        ],
        base_form_class=InvoiceForm,
    )

    def get_queryset(self, request):
        return Invoice.objects.select_related("client", "site").annotate(
            balance_due=ExpressionWrapper(
                AMOUNT_DUE,
                output_field=DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES),
            ),
        )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + action_urlpatterns(self) + einvoice_urlpatterns(self)
