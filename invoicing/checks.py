"""System checks: what a project that installs the module is missing, and how to fix it."""

from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from wagtail.models import Site

from . import INVOICING_APPS
from .conf import LOCALSTRIPE_WEBHOOK_SECRET, invoicing_settings
from .models import Invoice, PayPage

# Backends that never deliver an email to a client.
NON_DELIVERING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@checks.register()
def check_required_apps(app_configs=None, **kwargs):
    installed = {config.name for config in apps.get_app_configs()}
    missing = [app for app in INVOICING_APPS if app not in installed]
    if not missing:
        return []
    return [
        checks.Error(
            f"The invoicing module needs these apps in INSTALLED_APPS: {', '.join(missing)}.",
            hint="In your settings: from invoicing import INVOICING_APPS, then "
            "INSTALLED_APPS += [app for app in INVOICING_APPS if app not in INSTALLED_APPS].",
            id="invoicing.E001",
        )
    ]


@checks.register(checks.Tags.security)
def check_stripe_keys(app_configs=None, **kwargs):
    errors = []
    if invoicing_settings.uses_localstripe and not settings.DEBUG:
        errors.append(
            checks.Error(
                "STRIPE_SECRET_KEY is not set, so card payments would go to localstripe, a fake Stripe server.",
                hint="Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET from your Stripe "
                "dashboard (localstripe is for DEBUG only).",
                id="invoicing.E002",
            )
        )
    elif not invoicing_settings.uses_localstripe and invoicing_settings.stripe_webhook_secret in (
        "",
        LOCALSTRIPE_WEBHOOK_SECRET,
    ):
        errors.append(
            checks.Error(
                "STRIPE_WEBHOOK_SECRET is not set (or is localstripe's public one) while a Stripe key is.",
                hint="Set STRIPE_WEBHOOK_SECRET to the signing secret (whsec_...) of your Stripe webhook endpoint.",
                id="invoicing.E003",
            )
        )
    if invoicing_settings.stripe_offline_js and urlsplit(invoicing_settings.stripe_api_base).hostname == (
        "api.stripe.com"
    ):
        errors.append(
            checks.Error(
                "STRIPE_OFFLINE_JS is on while STRIPE_API_BASE is Stripe itself.",
                hint="STRIPE_OFFLINE_JS is for localstripe only (dev and test settings); remove it.",
                id="invoicing.E101",
            )
        )
    return errors


@checks.register()
def check_email_backend(app_configs=None, **kwargs):
    if settings.DEBUG or settings.EMAIL_BACKEND not in NON_DELIVERING_EMAIL_BACKENDS:
        return []
    return [
        checks.Warning(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: invoices, reminders and receipts reach no client.",
            hint="Use an anymail ESP backend (e.g. anymail.backends.postmark.EmailBackend) or SMTP in production.",
            id="invoicing.W001",
        )
    ]


@checks.register()
def check_pay_pages(app_configs=None, **kwargs):
    """A website that bills without a live Pay page cannot issue invoices."""
    try:
        sites = list(Site.objects.filter(pk__in=Invoice.objects.values("site_id")).select_related("root_page"))
        without_pay_page = [
            site
            for site in sites
            if not PayPage.objects.live().descendant_of(site.root_page, inclusive=True).exists()
        ]
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    return [
        checks.Warning(
            f"The website {site.hostname} has invoices but no live Pay page: no invoice can be issued there.",
            hint=f"Run: manage.py invoicing_setup_site {site.hostname}",
            id="invoicing.W002",
        )
        for site in without_pay_page
    ]


@checks.register(checks.Tags.security)
def check_exports_are_private(app_configs=None, **kwargs):
    """A bulk export holds many clients' invoices: under MEDIA_ROOT or STATIC_ROOT, the web server
    would hand it to anyone with its URL, past the download view's checks."""
    from pathlib import Path

    from .services.bulk import exports_storage

    location = getattr(exports_storage(), "location", None)  # a bucket has none: its policy is its own
    if not location:
        return []
    served = [
        (name, root)
        for name, root in (("MEDIA_ROOT", settings.MEDIA_ROOT), ("STATIC_ROOT", settings.STATIC_ROOT))
        if root and Path(location).resolve().is_relative_to(Path(root).resolve())
    ]
    return [
        checks.Error(
            f"Bulk-export ZIPs are kept in {location}, inside {name} ({root}), which is served publicly.",
            hint="Set INVOICING_EXPORTS_ROOT (or STORAGES['invoicing_exports']) to a directory that no URL serves.",
            id="invoicing.E005",
        )
        for name, root in served
    ]
