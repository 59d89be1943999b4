"""The invoicing API, to be mounted under ``api/v1/`` by the project (see README, "API")."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from .public import PayLinkView
from .views import InvoiceViewSet

router = SimpleRouter()
router.register("order-payments/invoices", InvoiceViewSet, basename="invoicing-api-invoice")

urlpatterns = [
    # Before the router: ``pay/...`` must never be read as an invoice id (ids are digits anyway).
    path("order-payments/invoices/pay/<str:token>/", PayLinkView.as_view(), name="invoicing-api-pay"),
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="invoicing-api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="invoicing-api-schema"), name="invoicing-api-docs"),
]
