"""E-invoices: ``GET …/invoices/{id}/einvoice/?syntax=cii|ubl`` and ``GET …/credit-notes/{id}/einvoice/``
answer the document as EN 16931 XML, in CII (what its Factur-X PDF carries; the default) or UBL
(Peppol BIS Billing 3.0). Found, scoped and permission-checked as the PDF is. A draft, or a website
with e-invoices off, has none (404); one that cannot be made (the website's legal details or the
client's country missing, an amount EN 16931 cannot carry) is a 409 saying what is missing."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer

from ..core.lifecycle import InvoiceStatus
from ..pay.headers import download_response
from ..services.einvoices import einvoice_filename, einvoice_xml, einvoices_on
from ..services.invoices import describe
from .credit_notes import CreditNoteViewSet
from .schema import extend_schema
from .views import InvoiceViewSet

XML_CONTENT_TYPE = "application/xml"


class XmlRenderer(BaseRenderer):
    """Lets ``Accept: application/xml`` through content negotiation; the view returns the bytes."""

    media_type = XML_CONTENT_TYPE
    format = "xml"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class SyntaxQuerySerializer(serializers.Serializer):
    syntax = serializers.ChoiceField(
        choices=[("cii", "cii"), ("ubl", "ubl")],
        default="cii",
        help_text=gettext_lazy(
            "cii: UN/CEFACT CII, as embedded in the Factur-X / ZUGFeRD PDF; ubl: UBL 2.1, Peppol BIS Billing 3.0."
        ),
    )


def einvoice_response(request, document, invoice):
    """``document`` (``invoice`` itself, or one of its credit notes) as the XML the query asks for."""
    query = SyntaxQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    syntax = query.validated_data["syntax"]
    if invoice.status == InvoiceStatus.DRAFT:
        message = _("%(invoice)s is a draft: it has no e-invoice until it is issued.")
        raise NotFound(message % {"invoice": describe(invoice)})
    if not einvoices_on(document.site):
        raise NotFound(_("E-invoices are off for this website (Settings → Billing)."))
    # An e-invoice that cannot be made raises EInvoiceUnavailable: a 409 with its message (errors.py).
    return download_response(
        einvoice_xml(document, syntax), einvoice_filename(document, syntax), content_type=XML_CONTENT_TYPE
    )


def einvoice_schema(summary):
    return extend_schema(
        summary=summary,
        description="EN 16931 XML in the syntax asked for. 404 for a draft, or where the website has e-invoices "
        "off; 409 when it cannot be made, saying what is missing (the website's legal details in Settings → "
        "Billing, the client's country, or an amount with more than two decimals).",
        parameters=[SyntaxQuerySerializer],
        responses={
            (200, XML_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The e-invoice, as a download.")
        },
    )


class InvoiceEInvoiceViewSet(InvoiceViewSet):
    """Routed by ``api/urls.py`` with GET → ``einvoice``; the invoice is found, scoped and
    permission-checked as by the invoice endpoints."""

    renderer_classes = [JSONRenderer, XmlRenderer]
    pagination_class = None
    filter_backends = []

    @einvoice_schema("The invoice as an e-invoice (CII or UBL XML)")
    def einvoice(self, request, pk=None):
        invoice = self.get_object()
        return einvoice_response(request, invoice, invoice)


class CreditNoteEInvoiceViewSet(CreditNoteViewSet):
    """Routed by ``api/urls.py`` with GET → ``einvoice``; the credit note is found, scoped and
    permission-checked as by the credit note endpoints."""

    renderer_classes = [JSONRenderer, XmlRenderer]

    @einvoice_schema("The credit note as an e-invoice (CII or UBL XML)")
    def einvoice(self, request, pk=None):
        note = self.get_object()
        return einvoice_response(request, note, note.invoice)
