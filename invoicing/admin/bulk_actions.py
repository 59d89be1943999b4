"""Bulk actions on invoices, from the snippet listing."""

import io
import zipfile

from django.utils.functional import classproperty
from django.utils.translation import gettext_lazy as _
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction

from ..http import download_response
from ..models import Invoice
from ..services.documents import invoice_pdf, pdf_filename


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
