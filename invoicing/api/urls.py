"""The invoicing API, mounted under ``api/v1/`` by ``invoicing.urls``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .clients import ClientViewSet
from .credit_notes import CreditNoteViewSet, InvoiceCreditNotesViewSet
from .discounts import InvoiceDiscountViewSet
from .einvoices import CreditNoteEInvoiceViewSet, InvoiceEInvoiceViewSet
from .plans import InvoicePlanViewSet
from .public import PayLinkView
from .schema import DocsView, SchemaView
from .views import InvoiceViewSet

router = SimpleRouter()
router.register("order-payments/invoices", InvoiceViewSet, basename="invoicing-api-invoice")
router.register("order-payments/clients", ClientViewSet, basename="invoicing-api-client")

urlpatterns = [
    # Before the router: ``pay/...`` must never be read as an invoice id (ids are digits anyway).
    path("order-payments/invoices/pay/<str:token>/", PayLinkView.as_view(), name="invoicing-api-pay"),
    path(
        "order-payments/invoices/<str:pk>/discount/",
        InvoiceDiscountViewSet.as_view({"post": "apply_discount", "delete": "remove_discount"}),
        name="invoicing-api-invoice-discount",
    ),
    path(
        "order-payments/invoices/<str:pk>/plan/",
        InvoicePlanViewSet.as_view({"put": "set_plan", "delete": "remove_plan"}),
        name="invoicing-api-invoice-plan",
    ),
    path(
        "order-payments/invoices/<str:pk>/credit-notes/",
        InvoiceCreditNotesViewSet.as_view({"get": "list_credit_notes", "post": "issue_credit_note"}),
        name="invoicing-api-invoice-credit-notes",
    ),
    path(
        "order-payments/invoices/<str:pk>/einvoice/",
        InvoiceEInvoiceViewSet.as_view({"get": "einvoice"}),
        name="invoicing-api-invoice-einvoice",
    ),
    path(
        "order-payments/credit-notes/<str:pk>/",
        CreditNoteViewSet.as_view({"get": "retrieve"}),
        name="invoicing-api-credit-note",
    ),
    path(
        "order-payments/credit-notes/<str:pk>/pdf/",
        CreditNoteViewSet.as_view({"get": "pdf"}),
        name="invoicing-api-credit-note-pdf",
    ),
    path(
        "order-payments/credit-notes/<str:pk>/einvoice/",
        CreditNoteEInvoiceViewSet.as_view({"get": "einvoice"}),
        name="invoicing-api-credit-note-einvoice",
    ),
    *router.urls,
    path("schema/", SchemaView.as_view(), name="invoicing-api-schema"),
    path("docs/", DocsView.as_view(url_name="invoicing-api-schema"), name="invoicing-api-docs"),
]
