"""Every URL of the module but the pay pages (which Wagtail routes to each site's ``PayPage``).
A project includes it before Wagtail's own: ``path("", include("invoicing.urls"))``."""

from django.urls import include, path

from .api.webhooks import stripe_webhook

urlpatterns = [
    # Stripe's webhook (signed; see api/webhooks.py).
    path("api/v1/order-payments/webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    # The REST API, its OpenAPI schema (api/v1/schema/) and docs (api/v1/docs/).
    path("api/v1/", include("invoicing.api.urls")),
    # The ESP's delivery-tracking webhooks, e.g. /anymail/postmark/tracking/ (basic auth: ANYMAIL's WEBHOOK_SECRET).
    path("anymail/", include("anymail.urls")),
]
