"""The payments ledger, with wagtail-modeladmin: every payment and every refund across invoices,
read-only (only the services write money), narrowed to the websites where the user may read it
(``view_payment``, held through a group that grants the website), each row one click from its invoice."""

from django.contrib import messages
from django.contrib.admin import display
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup
from wagtail_modeladmin.views import DeleteView, EditView, IndexView, InspectView

from ..core.money import format_money
from ..models import Payment, Refund
from ..models.access import scope_to_user, sites_granting

LEDGER_PERMISSION = "invoicing.view_payment"


class ReadOnlyPermissionHelper(PermissionHelper):
    """Money is recorded by the services (card, manual, credit, refund), never typed into a form."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class OpenInvoiceButtonHelper(ButtonHelper):
    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        invoice = self.view.model_admin.invoice_of(obj)
        buttons.append(
            {
                "url": reverse("wagtailsnippets_invoicing_invoice:inspect", args=[quote(invoice.pk)]),
                "label": _("Open invoice"),
                "classname": self.finalise_classname(["button-secondary"], classnames_exclude),
                "title": _("Open invoice %(invoice)s") % {"invoice": invoice},
            }
        )
        return buttons


class SiteScopedInstanceMixin:
    """modeladmin finds the row by its id alone: another website's row must answer 404, and a row
    of one of the user's websites where they may not read the ledger 403."""

    def dispatch(self, request, *args, **kwargs):
        rows = self.model._default_manager.filter(pk=self.instance.pk)
        if not scope_to_user(rows, request.user, f"{self.model_admin.invoice_path}__site").exists():
            raise Http404
        if not self.model_admin.get_queryset(request).filter(pk=self.instance.pk).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ScopedInspectView(SiteScopedInstanceMixin, InspectView):
    pass


class ScopedEditView(SiteScopedInstanceMixin, EditView):
    pass


class ScopedDeleteView(SiteScopedInstanceMixin, DeleteView):
    pass


# The lookups that the listing's own filters put in the query string.
FILTER_LOOKUPS = {"exact", "in", "isnull", "gte", "gt", "lte", "lt"}


class LedgerIndexView(IndexView):
    """modeladmin applies any ``field__lookup`` in the query string as a filter, so a crafted URL
    could follow relations out of the user's websites and probe other rows (an oracle). Only the
    listing's own filters are honoured, and a malformed value is a message, never a 500."""

    def get_filters_params(self, params=None):
        allowed = [path if isinstance(path, str) else path[0] for path in self.list_filter]
        return {
            key: value
            for key, value in super().get_filters_params(params).items()
            if any(
                key == path or (key.startswith(f"{path}__") and key[len(path) + 2 :] in FILTER_LOOKUPS)
                for path in allowed
            )
        }

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except IncorrectLookupParameters:
            messages.error(request, _("That filter could not be applied; the full list is shown instead."))
            return redirect(self.index_url)


class LedgerAdmin(ModelAdmin):
    """What payments and refunds share: read-only, scoped through ``invoice_path`` to the site."""

    invoice_path = None  # from the row to its invoice, as an ORM path
    permission_helper_class = ReadOnlyPermissionHelper
    button_helper_class = OpenInvoiceButtonHelper
    index_view_class = LedgerIndexView
    inspect_view_enabled = True
    inspect_view_class = ScopedInspectView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    history_view_enabled = False
    add_to_settings_menu = False
    list_per_page = 50

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request).select_related(f"{self.invoice_path}__client", f"{self.invoice_path}__site")
        )
        return queryset.filter(**{f"{self.invoice_path}__site__in": sites_granting(request.user, LEDGER_PERMISSION)})

    def invoice_of(self, obj):
        for step in self.invoice_path.split("__"):
            obj = getattr(obj, step)
        return obj

    @display(description=_("Invoice"))
    def invoice_number(self, obj):
        return self.invoice_of(obj).number

    @display(description=_("Client"))
    def client_name(self, obj):
        return self.invoice_of(obj).client.name

    @display(description=_("Website"))
    def website(self, obj):
        site = self.invoice_of(obj).site
        return site.site_name or site.hostname

    @display(description=_("Amount"), ordering="amount")
    def amount_with_currency(self, obj):
        # A payment is always in its invoice's currency (``apply_payment`` refuses any other).
        return format_money(obj.amount, self.invoice_of(obj).currency)

    @staticmethod
    def person(user):
        return (user.get_full_name() or user.get_username()) if user else "—"


class PaymentAdmin(LedgerAdmin):
    model = Payment
    menu_label = _("Payments")
    menu_icon = "success"
    invoice_path = "invoice"
    list_display = (
        "invoice_number", "client_name", "website", "method", "amount_with_currency", "status", "recorder",
        "created_at",
    )  # fmt: skip
    list_filter = ("method", "status", "created_at")
    search_fields = ("invoice__number", "provider_reference")
    inspect_view_fields = (
        "invoice", "method", "amount", "currency", "status", "provider_reference", "note", "recorded_by", "created_at",
    )  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")

    @display(description=_("Recorded by"))
    def recorder(self, obj):
        return self.person(obj.recorded_by)


class RefundAdmin(LedgerAdmin):
    model = Refund
    menu_label = _("Refunds")
    menu_icon = "resubmit"
    invoice_path = "payment__invoice"
    list_display = (
        "invoice_number", "client_name", "website", "payment_method", "amount_with_currency", "reason", "recorder",
        "created_at",
    )  # fmt: skip
    list_filter = ("payment__method", "created_at")
    search_fields = ("payment__invoice__number", "provider_reference", "payment__provider_reference")
    inspect_view_fields = ("payment", "amount", "provider_reference", "reason", "created_by", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")

    @display(description=_("Method"))
    def payment_method(self, obj):
        return obj.payment.get_method_display()

    @display(description=_("Recorded by"))
    def recorder(self, obj):
        return self.person(obj.created_by)


class PaymentsLedger(ModelAdminGroup):
    menu_label = _("Payments")
    menu_icon = "success"
    menu_order = 205
    items = (PaymentAdmin, RefundAdmin)
