"""Admin downloads: one invoice's PDF, and a ZIP of many as a bulk action."""

import io
import zipfile

from django.contrib.admin.utils import unquote
from django.shortcuts import get_object_or_404
from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from .http import download_response
from .models import Invoice
from .services.documents import invoice_pdf, pdf_filename


class InvoicePdfView(PermissionCheckedMixin, View):
    """The PDF of one invoice, as the admin sees it (without the pay link: its token is not stored)."""

    model = None
    permission_required = "view"

    def get(self, request, pk):
        invoice = get_object_or_404(self.model.objects.select_related("site", "client"), pk=unquote(pk))
        return download_response(invoice_pdf(invoice), pdf_filename(invoice))


class DownloadPdfsBulkAction(SnippetBulkAction):
    display_name = _("Download PDFs")
    action_type = "download_pdfs"
    aria_label = _("Download the selected invoices as PDFs in a ZIP file")
    template_name = "invoicing/admin/confirm_bulk_download.html"
    action_priority = 20

    @classproperty
    def models(cls):
        return [Invoice]

    def check_perm(self, invoice):
        return self.permission_policy.user_has_permission_for_instance(self.request.user, "view", invoice)

    def prepare_action(self, invoices, invoices_without_access):
        # A download changes nothing, so it answers here, before the base class's write transaction.
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for invoice in invoices:
                archive.writestr(pdf_filename(invoice), invoice_pdf(invoice))
        return download_response(buffer.getvalue(), "invoices.zip", content_type="application/zip")
