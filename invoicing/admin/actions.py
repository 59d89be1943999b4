"""Actions on one invoice, beside its snippet views: download its PDF, send it by email."""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from ..exceptions import InvoicingError
from ..http import download_response
from ..lifecycle import COLLECTIBLE_STATES, InvoiceStatus
from ..mail.kinds import EmailKind
from ..services.documents import invoice_pdf, pdf_filename
from ..services.emails import issue_and_send_invoice, send_invoice_email


class InvoicePdfView(PermissionCheckedMixin, View):
    """The PDF of one invoice, as the admin sees it (without the pay link: its token is not stored)."""

    model = None
    permission_required = "view"

    def get(self, request, pk):
        invoice = get_object_or_404(self.model.objects.select_related("site", "client"), pk=unquote(pk))
        return download_response(invoice_pdf(invoice), pdf_filename(invoice))


class SendEmailView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Email one invoice, after a confirmation: a draft is issued and sent, an open invoice is sent
    again or reminded (with a fresh link), a paid one gets its receipt again."""

    model = None
    permission_required = "change"
    index_url_name = None
    template_name = "invoicing/admin/send_email.html"
    page_title = _("Send by email")
    header_icon = "mail"

    def setup(self, request, pk, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.invoice = get_object_or_404(self.model.objects.select_related("site", "client"), pk=unquote(pk))

    def get_page_subtitle(self):
        return str(self.invoice)

    def kinds(self):
        if self.invoice.status == InvoiceStatus.DRAFT:
            return [(EmailKind.INVOICE, _("Issue the invoice and send it"))]
        if self.invoice.status in COLLECTIBLE_STATES:
            return [(EmailKind.INVOICE, _("Send the invoice again")), (EmailKind.REMINDER, _("Send a reminder"))]
        if self.invoice.payment is not None:
            return [(EmailKind.RECEIPT, _("Send the receipt again"))]
        return []

    def get_context_data(self, **kwargs):
        return super().get_context_data(invoice=self.invoice, kinds=self.kinds(), **kwargs)

    def post(self, request, pk):
        kind = request.POST.get("kind")
        if kind not in dict(self.kinds()):
            messages.error(request, _("Choose what to send."))
            return self.get(request, pk)
        try:
            if self.invoice.status == InvoiceStatus.DRAFT:
                email = issue_and_send_invoice(self.invoice, by=request.user)
            else:
                email = send_invoice_email(self.invoice, kind, by=request.user)
        except InvoicingError as exc:
            messages.error(request, exc.message)
            return redirect(self.index_url_name)
        messages.success(
            request,
            _("%(kind)s for %(invoice)s is on its way to %(to)s.")
            % {"kind": email.get_kind_display(), "invoice": self.invoice, "to": email.to_email},
        )
        return redirect(self.index_url_name)


def action_urlpatterns(viewset):
    """The URLs of the actions on one invoice, added to the invoice viewset's own."""
    return [
        path("pdf/<str:pk>/", viewset.construct_view(InvoicePdfView), name="pdf"),
        path("send/<str:pk>/", viewset.construct_view(SendEmailView), name="send_email"),
    ]
