"""The invoicing API, mounted under ``api/v1/`` by ``invoicing.urls``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .public import PayLinkView
from .schema import DocsView, SchemaView
from .views import InvoiceViewSet

router = SimpleRouter()
router.register("order-payments/invoices", InvoiceViewSet, basename="invoicing-api-invoice")

urlpatterns = [
    # Before the router: ``pay/...`` must never be read as an invoice id (ids are digits anyway).
    path("order-payments/invoices/pay/<str:token>/", PayLinkView.as_view(), name="invoicing-api-pay"),
    *router.urls,
    path("schema/", SchemaView.as_view(), name="invoicing-api-schema"),
    path("docs/", DocsView.as_view(url_name="invoicing-api-schema"), name="invoicing-api-docs"),
]
