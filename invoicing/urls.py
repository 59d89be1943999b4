"""Every URL of the module. A project includes it before Wagtail's own:
``path("", include("invoicing.urls"))``. The client pages are Wagtail pages; their token routes
take a shortcut to the page (``pay.routing``), and everything else of them is Wagtail's routing."""

from django.urls import include, path, re_path

from .api.webhooks import stripe_webhook
from .pay.routing import TOKEN_ROUTE_PATTERN, serve_token_route

urlpatterns = [
    # Stripe's webhook (signed; see api/webhooks.py).
    path("api/v1/order-payments/webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    # The REST API, its OpenAPI schema (api/v1/schema/) and docs (api/v1/docs/).
    path("api/v1/", include("invoicing.api.urls")),
    # The ESP's delivery-tracking webhooks, e.g. /anymail/postmark/tracking/ (basic auth: ANYMAIL's WEBHOOK_SECRET).
    path("anymail/", include("anymail.urls")),
    # A pay page's token routes, straight to the page (Wagtail's serve otherwise).
    re_path(TOKEN_ROUTE_PATTERN, serve_token_route, name="invoicing_token_route"),
]
