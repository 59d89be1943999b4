from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from invoicing.webhooks import stripe_webhook

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # ESP delivery-tracking webhooks, e.g. /anymail/postmark/tracking/ (basic auth: ANYMAIL_WEBHOOK_SECRET).
    path("anymail/", include("anymail.urls")),
    # Stripe's webhook (signed; see invoicing.webhooks).
    path("api/v1/order-payments/webhooks/stripe/", stripe_webhook, name="stripe_webhook"),
    # The invoicing REST API, its OpenAPI schema (api/v1/schema/) and docs (api/v1/docs/).
    path("api/v1/", include("invoicing.api.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
