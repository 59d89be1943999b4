"""Credit notes: ``GET …/invoices/{id}/credit-notes/`` lists an invoice's, ``POST`` issues one
(``{"reason": …, "settlement": "credit"|"refund", "lines": [{"line": <invoice line id>, "quantity":
"1"}, …]}``, without ``lines`` everything not yet credited); ``GET …/credit-notes/{id}/`` shows
one and ``…/credit-notes/{id}/pdf/`` is its PDF. Scoped to the caller's websites like invoices:
another website's invoice or credit note is a 404, and one of a website where the caller lacks the
permission (``view``, or ``credit`` to issue one) a 403."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from ..models import CreditNote
from ..models.access import scope_to_user
from ..pay.headers import download_response
from ..services.actions import ACTIONS
from ..services.credit_note_documents import credit_note_filename, credit_note_pdf
from ..services.credit_notes import credit_note_totals
from .permissions import SitePermission
from .schema import extend_schema
from .serializers import DecimalString, InvoiceDetailSerializer, MoneyField, TaxRowSerializer
from .views import INVOICE_ID, InvoiceViewSet, InvoicingAPIMixin, PdfRenderer


class CreditNoteLineSerializer(serializers.Serializer):
    description = serializers.CharField(read_only=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True, coerce_to_string=True)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=3, read_only=True, coerce_to_string=True)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True, coerce_to_string=True)
    invoice_line = serializers.IntegerField(source="invoice_line_id", read_only=True, allow_null=True)


class CreditNoteSerializer(serializers.ModelSerializer):
    invoice = serializers.IntegerField(source="invoice_id", read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    client = serializers.IntegerField(source="client_id", read_only=True)
    website = serializers.IntegerField(source="site_id", read_only=True)
    subtotal = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    applied_to_invoice = MoneyField(help_text=gettext_lazy("Taken off the invoice's open balance."))
    credited = MoneyField(help_text=gettext_lazy("Added to the client's account credit."))
    refunded = MoneyField(help_text=gettext_lazy("Refunded through the original card payment."))
    lines = CreditNoteLineSerializer(many=True, read_only=True)
    tax_summary = serializers.SerializerMethodField()

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "invoice",
            "invoice_number",
            "client",
            "website",
            "currency",
            "reason",
            "settlement",
            "subtotal",
            "tax",
            "total",
            "applied_to_invoice",
            "credited",
            "refunded",
            "lines",
            "tax_summary",
            "issued_at",
        ]
        read_only_fields = fields

    @extend_schema_field(TaxRowSerializer(many=True))
    def get_tax_summary(self, note) -> list[dict]:
        return [
            {"rate": f"{row.rate:f}", "base": str(row.base), "tax": str(row.tax)}
            for row in credit_note_totals(note).by_rate
        ]


class CreditLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, help_text=gettext_lazy("The id of one of the invoice's lines."))
    quantity = DecimalString(max_digits=12, decimal_places=3, min_value=0, max_value=100_000)


class CreditNoteInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=gettext_lazy("Printed on the credit note."))
    settlement = serializers.ChoiceField(
        choices=CreditNote.Settlement.choices,
        default=CreditNote.Settlement.CREDIT,
        help_text=gettext_lazy(
            "What happens to money the client already paid: account credit, or a refund to the card."
        ),
    )
    lines = CreditLineInputSerializer(
        many=True,
        required=False,
        max_length=50,
        help_text=gettext_lazy("Lines and quantities to credit; without it, everything not yet credited."),
    )


class CreditNoteResultSerializer(serializers.Serializer):
    credit_note = CreditNoteSerializer()
    invoice = InvoiceDetailSerializer()


class InvoiceCreditNotesViewSet(InvoiceViewSet):
    """Routed by ``api/urls.py``: GET → ``list_credit_notes``, POST → ``issue_credit_note``; the
    invoice is found, scoped and permission-checked as by the invoice endpoints."""

    # One invoice's few credit notes: no pages, and the invoice listing's filters do not apply.
    pagination_class = None
    filter_backends = []

    @extend_schema(summary="The invoice's credit notes", responses={200: CreditNoteSerializer(many=True)})
    def list_credit_notes(self, request, pk=None):
        invoice = self.get_object()
        notes = invoice.credit_notes.select_related("invoice").prefetch_related("lines")
        return Response(CreditNoteSerializer(notes, many=True).data)

    @extend_schema(
        summary="Issue a credit note against an issued invoice",
        description="It first takes what it can off the open balance (the pay link is replaced, the new one is "
        "in the invoice's payment_link, and the invoice is paid when nothing is left); money already paid goes "
        "to the client's credit or is refunded to the card. "
        "400 when a quantity is more than what is left to credit or the reason is missing; 409 for a draft or void "
        "invoice, or a refund of money received by hand.",
        request=CreditNoteInputSerializer,
        responses={201: CreditNoteResultSerializer},
    )
    def issue_credit_note(self, request, pk=None):
        invoice = self.get_object()
        serializer = CreditNoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines = None
        if data.get("lines"):
            by_id = {line.pk: line for line in invoice.lines.all()}
            missing = [row["line"] for row in data["lines"] if row["line"] not in by_id]
            if missing:
                raise serializers.ValidationError(
                    {"lines": [_("Line %(id)s is not on this invoice.") % {"id": missing[0]}]}
                )
            lines = [(by_id[row["line"]], row["quantity"]) for row in data["lines"]]
        note = ACTIONS["credit_note"].run(
            invoice, lines=lines, reason=data["reason"], settlement=data["settlement"], by=request.user
        )
        body = {
            "credit_note": CreditNoteSerializer(note).data,
            "invoice": self.detail_data(invoice, issued_link=note.new_link),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class CreditNotePermission(SitePermission):
    """Reading credit notes needs the invoice view permission, issuing one the credit note action's
    (``credit``), on the website of the invoice or credit note."""

    model = "invoice"
    permissions = {
        "retrieve": "view",
        "pdf": "view",
        "einvoice": "view",
        "list_credit_notes": "view",
        "issue_credit_note": ACTIONS["credit_note"].permission,
    }


InvoiceCreditNotesViewSet.permission_classes = [CreditNotePermission]


class CreditNoteViewSet(InvoicingAPIMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One credit note of the websites you bill for."""

    permission_classes = [CreditNotePermission]
    serializer_class = CreditNoteSerializer
    lookup_value_regex = "[^/]+"
    queryset = CreditNote.objects.none()
    pagination_class = None

    def get_queryset(self):
        notes = CreditNote.objects.select_related("invoice", "site").prefetch_related("lines")
        return scope_to_user(notes, self.request.user)

    def get_object(self):
        if not INVOICE_ID.fullmatch(self.kwargs[self.lookup_field]):
            raise NotFound
        return super().get_object()

    @extend_schema(summary="A credit note, with its lines, tax summary and how it was settled")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="The credit note as a PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        note = self.get_object()
        return download_response(credit_note_pdf(note), credit_note_filename(note))
