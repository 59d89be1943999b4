"""The invoice endpoints for admins and machines (session or ``Authorization: Token <key>``).

Thin: each action validates its input, calls one service and answers with the invoice as it now
is. Every queryset is narrowed to the caller's websites, so another website's invoice is a 404."""

import re

from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from ..core.exceptions import InvalidTransition
from ..core.lifecycle import COLLECTIBLE_STATES, InvoiceStatus
from ..mail.kinds import EmailKind
from ..models import Invoice, Payment
from ..models.access import scope_to_user, sites_granting
from ..pay.headers import download_response
from ..services.actions import ACTIONS
from ..services.documents import pdf_filename
from ..services.invoices import create_invoice, delete_draft, describe, issue_invoice, update_draft
from ..services.outbox import send_invoice_email
from ..services.stats import invoice_stats
from ..services.tokens import rotate_payment_link
from . import errors
from .action_serializers import (
    MarkPaidSerializer,
    PaymentResultSerializer,
    SendEmailResultSerializer,
    SendEmailSerializer,
    VoidSerializer,
    WriteOffSerializer,
)
from .filters import InvoiceFilter
from .invoice_input import InvoiceWriteSerializer, draft_as_input
from .permissions import HasInvoicePermission
from .schema import extend_schema
from .serializers import (
    EmailStatusSerializer,
    InvoiceDetailSerializer,
    InvoiceSerializer,
    PaymentSerializer,
)
from .stats import StatsQuerySerializer, StatsSerializer


class PdfRenderer(BaseRenderer):
    """Lets ``Accept: application/pdf`` through content negotiation; the view returns the bytes."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class InvoicePagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class InvoicingAPIMixin:
    """Authentication, parsing and errors of every invoicing endpoint, whatever the project's
    ``REST_FRAMEWORK`` defaults are: the module stays pluggable."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    schema = AutoSchema()
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    # OPTIONS answers 405: the schema documents the API, and the public endpoint reveals nothing more.
    metadata_class = None

    def get_exception_handler(self):
        return errors.exception_handler

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        # An error is JSON, even where a PDF was asked for.
        if not isinstance(getattr(self.request, "accepted_renderer", None), JSONRenderer):
            self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return response


INVOICE_ID = re.compile("[0-9]{1,18}")


def payments_with_refunds():
    return Payment.objects.annotate(refunded_amount=Sum("refunds__amount")).order_by("-created_at", "-id")


@extend_schema_view(
    list=extend_schema(summary="List invoices", description="Paginated; filter, search by reference, order."),
    retrieve=extend_schema(summary="An invoice, with lines, payments, link expiry and email status"),
    create=extend_schema(
        summary="Create a draft, or issue (and email) it at once",
        request=InvoiceWriteSerializer,
        responses={201: InvoiceDetailSerializer},
    ),
    update=extend_schema(
        summary="Replace a draft", request=InvoiceWriteSerializer, responses={200: InvoiceDetailSerializer}
    ),
    partial_update=extend_schema(
        summary="Change some fields of a draft",
        request=InvoiceWriteSerializer,
        responses={200: InvoiceDetailSerializer},
    ),
    destroy=extend_schema(summary="Delete a draft", description="An issued invoice answers 409: void it instead."),
)
class InvoiceViewSet(InvoicingAPIMixin, viewsets.ModelViewSet):
    """Invoices of the websites you bill for (another website's invoice is a 404); each action needs
    its permission on the invoice's own website (else 403, see ``permissions``). Amounts are
    decimal strings, never JSON numbers. Errors are ``{"code", "detail"}``, plus ``fields`` for
    invalid input."""

    permission_classes = [HasInvoicePermission]
    pagination_class = InvoicePagination
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = InvoiceFilter
    search_fields = ["number", "title"]
    ordering_fields = ["created_at", "issued_at", "due_date", "total", "number"]
    ordering = ["-created_at", "-id"]
    # Any segment, so that a malformed id gets the API's JSON 404 rather than the site's HTML one.
    lookup_value_regex = "[^/]+"
    queryset = Invoice.objects.none()  # for the schema; ``get_queryset`` is what counts

    def get_queryset(self):
        invoices = Invoice.objects.select_related("site", "client", "payment_link").prefetch_related(
            Prefetch("payments", queryset=payments_with_refunds(), to_attr="payments_with_refunds")
        )
        if self.action != "list":
            invoices = invoices.prefetch_related("lines")
        return scope_to_user(invoices, self.request.user)

    def get_object(self):
        if not INVOICE_ID.fullmatch(self.kwargs[self.lookup_field]):
            raise NotFound
        return super().get_object()

    def get_serializer_class(self):
        return InvoiceSerializer if self.action == "list" else InvoiceDetailSerializer

    def fresh(self, invoice):
        """``invoice`` as the detail shows it, re-read after a service changed it."""
        return self.get_queryset().get(pk=invoice.pk)

    def detail_data(self, invoice, *, issued_link=None):
        context = {**self.get_serializer_context(), "issued_link": issued_link}
        return InvoiceDetailSerializer(self.fresh(invoice), context=context).data

    def create(self, request, *args, **kwargs):
        serializer = InvoiceWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        send, issue = serializer.validated_data["send_email"], serializer.validated_data["issue"]
        link = None
        # One transaction: a draft that cannot be issued (or emailed) as asked is not left behind.
        with transaction.atomic():
            invoice = create_invoice(by=request.user, **serializer.service_fields())
            if issue or send:
                link = issue_invoice(invoice, by=request.user)
            if send:
                send_invoice_email(invoice, EmailKind.INVOICE, link=link, by=request.user)
        return Response(self.detail_data(invoice, issued_link=link), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        invoice = self.get_object()
        ensure_draft(invoice, _("Invoice %(invoice)s is %(status)s and can no longer be edited."))
        data = request.data
        if kwargs.get("partial"):
            if not isinstance(data, dict):
                raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
            data = {**draft_as_input(invoice), **data}
        serializer = InvoiceWriteSerializer(invoice, data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        update_draft(invoice, by=request.user, **serializer.service_fields())
        return Response(self.detail_data(invoice))

    def destroy(self, request, *args, **kwargs):
        delete_draft(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Email the invoice, a reminder or the latest receipt",
        description="An invoice or a reminder carries a new pay link: the old one stops working.",
        request=SendEmailSerializer,
        responses={202: SendEmailResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def send_email(self, request, pk=None):
        invoice = self.get_object()
        serializer = SendEmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind = serializer.validated_data["kind"]
        link = None
        with transaction.atomic():
            # The email needs a fresh link (only the token's hash is stored); the caller gets it too.
            if kind != EmailKind.RECEIPT and invoice.status in COLLECTIBLE_STATES:
                link = rotate_payment_link(invoice, by=request.user)
            # Not ACTIONS["send_email"].run, which issues a draft: the API issues only when asked to.
            email = send_invoice_email(invoice, kind, link=link, by=request.user)
        email.refresh_from_db()
        return Response(
            {"email": EmailStatusSerializer(email).data, "invoice": self.detail_data(invoice, issued_link=link)},
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        summary="Record a manual payment (bank transfer, cash)",
        description="The amount defaults to the balance. The same reference twice records one payment.",
        request=MarkPaidSerializer,
        responses={201: PaymentResultSerializer, 200: PaymentResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def mark_paid(self, request, pk=None):
        invoice = self.get_object()
        serializer = MarkPaidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not ACTIONS["mark_paid"].applies_to(invoice):
            raise InvalidTransition(
                _("Invoice %(invoice)s is %(status)s; nothing is due on it.")
                % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
            )
        result = ACTIONS["mark_paid"].run(invoice, by=request.user, **serializer.validated_data)
        body = {
            "payment": PaymentSerializer(payments_with_refunds().get(pk=result.payment.pk)).data,
            "invoice": self.detail_data(invoice, issued_link=result.new_link),
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(summary="Void an open invoice", request=VoidSerializer, responses={200: InvoiceDetailSerializer})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        invoice = self.get_object()
        serializer = VoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ACTIONS["void"].run(invoice, by=request.user, **serializer.validated_data)
        return Response(self.detail_data(invoice))

    @extend_schema(
        summary="Write off an open invoice (mark it uncollectible)",
        description="The client can no longer pay it through its link; money recorded later still settles it. "
        "409 unless the invoice is open.",
        request=WriteOffSerializer,
        responses={200: InvoiceDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def mark_uncollectible(self, request, pk=None):
        invoice = self.get_object()
        serializer = WriteOffSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ACTIONS["mark_uncollectible"].run(invoice, by=request.user, **serializer.validated_data)
        return Response(self.detail_data(invoice))

    @extend_schema(
        summary="Pause the invoice's scheduled reminders",
        description="Emails sent by hand still go. 409 when they are already paused or the invoice is not open.",
        request=None,
        responses={200: InvoiceDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def pause_reminders(self, request, pk=None):
        invoice = self.get_object()
        ACTIONS["pause_reminders"].run(invoice, by=request.user)
        return Response(self.detail_data(invoice))

    @extend_schema(
        summary="Resume the invoice's scheduled reminders",
        description="The next step goes on its own date; steps that fell due while paused are skipped.",
        request=None,
        responses={200: InvoiceDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def resume_reminders(self, request, pk=None):
        invoice = self.get_object()
        ACTIONS["resume_reminders"].run(invoice, by=request.user)
        return Response(self.detail_data(invoice))

    @extend_schema(
        summary="The invoice as a PDF",
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        invoice = self.get_object()
        # Without the pay link: only its hash is stored.
        return download_response(ACTIONS["pdf"].run(invoice, by=request.user), pdf_filename(invoice))

    @extend_schema(
        summary="Statistics of the websites where you may read reports, per currency",
        parameters=[StatsQuerySerializer],
        responses={200: StatsSerializer},
    )
    @action(detail=False, methods=["get"])
    def stats(self, request):
        query = StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data
        sites = sites_granting(request.user, "invoicing.report_invoice")
        if "website" in period:
            sites = sites.filter(pk=period["website"])
        figures = invoice_stats(
            sites, start=period["start"], end=period["end"], as_of=period["as_of"], origin=period.get("origin")
        )
        body = {"start": period["start"], "end": period["end"], "as_of": period["as_of"], "currencies": figures}
        return Response(StatsSerializer(body).data)


def ensure_draft(invoice, message):
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvalidTransition(
            message % {"invoice": describe(invoice), "status": invoice.get_status_display().lower()}
        )
