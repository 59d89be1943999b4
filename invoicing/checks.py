"""System checks: what a project that installs the module is missing, and how to fix it."""

from pathlib import Path
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Q
from wagtail.models import Site

from . import INVOICING_APPS
from .conf import LOCALSTRIPE_WEBHOOK_SECRET, invoicing_settings
from .core.addresses import compact_iban
from .core.number_format import NUMBER_CHARS, validate_number_format, validate_number_prefix
from .models import BillingAccountPage, Invoice, PayPage
from .services.bulk import exports_storage
from .settings import BillingSettings

# Backends that never deliver an email to a client.
NON_DELIVERING_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
NUMBERING_VALIDATORS = (("number_prefix", validate_number_prefix), ("number_format", validate_number_format))
# The IBAN countries of a Swiss QR-bill (SIX's implementation guidelines).
QR_BILL_COUNTRIES = ("CH", "LI")
# Caches that each process keeps to itself.
PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
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


@checks.register(checks.Tags.security)
def check_shared_cache(app_configs=None, **kwargs):
    """Rate limits count in ``INVOICING_RATE_LIMIT_CACHE`` and the fresh-link interval in the default
    cache: a cache of each process's own multiplies every limit by the number of processes, and a
    restart forgets them."""
    if settings.DEBUG:
        return []
    aliases = dict.fromkeys([invoicing_settings.INVOICING_RATE_LIMIT_CACHE, "default"])
    return [
        checks.Warning(
            f"The cache {alias!r} is {backend}: each process counts the pay pages' rate limits on its own.",
            hint="Use a cache that all web processes share, e.g. django.core.cache.backends.redis.RedisCache.",
            id="invoicing.W004",
        )
        for alias in aliases
        if (backend := settings.CACHES.get(alias, {}).get("BACKEND", "")) in PER_PROCESS_CACHES
    ]


@checks.register()
def check_numbering(app_configs=None, **kwargs):
    """Every character of an invoice number goes into its payment link: a number format or prefix
    saved before they were validated (``GL X``, ``GLX/1``) gives invoices whose links answer 404."""
    try:
        problems = [
            (billing.site, field, error.messages[0])
            for billing in BillingSettings.objects.select_related("site")
            for field, validate in NUMBERING_VALIDATORS
            if (error := _invalid(validate, getattr(billing, field)))
        ]
        unlinkable_sites = sorted(
            Invoice.objects.exclude(number="")
            .exclude(number__regex=rf"^{NUMBER_CHARS}+$")
            .values_list("site__hostname", flat=True)
            .distinct()
        )
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    warnings = [
        checks.Warning(
            f"The website {site.hostname} has a {field.replace('_', ' ')} that payment links cannot carry: {message}",
            hint=f"Correct it in Settings → Billing of {site.hostname} before issuing more invoices there.",
            id="invoicing.W003",
        )
        for site, field, message in problems
    ]
    warnings += [
        checks.Warning(
            f"The website {hostname} has issued invoices whose numbers no payment link can carry; their links "
            "answer 404.",
            hint="Record their payments in the admin, or void them and issue replacements.",
            id="invoicing.W003",
        )
        for hostname in unlinkable_sites
    ]
    return warnings


def _invalid(validate, value):
    try:
        validate(value)
    except ValidationError as error:
        return error
    return None


@checks.register()
def check_client_pages(app_configs=None, **kwargs):
    """A website that bills without a live Pay page cannot issue invoices; one with client accounts
    turned on but no live Billing account page cannot sign its clients in."""
    try:
        sites = list(Site.objects.filter(pk__in=Invoice.objects.values("site_id")).select_related("root_page"))
        without_pay_page = [site for site in sites if not _has_live(PayPage, site)]
        accounts_on = set(
            BillingSettings.objects.filter(site__in=sites, account_page_enabled=True).values_list("site_id", flat=True)
        )
        without_account_page = [
            site for site in sites if site.pk in accounts_on and not _has_live(BillingAccountPage, site)
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
    ] + [
        checks.Warning(
            f"The website {site.hostname} has client accounts turned on but no live Billing account page: its "
            "clients cannot sign in, and its emails carry no link to their invoices.",
            hint=f"Run: manage.py invoicing_setup_site {site.hostname}, or turn client accounts off under Settings → "
            "Billing.",
            id="invoicing.W005",
        )
        for site in without_account_page
    ]


def _has_live(page_model, site):
    return page_model.objects.live().descendant_of(site.root_page, inclusive=True).exists()


@checks.register()
def check_einvoice_settings(app_configs=None, **kwargs):
    """The settings form refuses these, but rows written another way (a shell, an import, a data
    migration) are not checked: e-invoices on without the seller's legal details make every
    e-invoice download of the website fail, and a Swiss QR-bill cannot carry a foreign IBAN."""
    try:
        rows = list(
            BillingSettings.objects.filter(Q(einvoices_enabled=True) | Q(swiss_qr_bill=True)).select_related("site")
        )
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    warnings = []
    for billing in rows:
        hostname = billing.site.hostname
        if billing.einvoices_enabled and (missing := billing.einvoice_missing()):
            warnings.append(
                checks.Warning(
                    f"The website {hostname} has e-invoices on, but its billing settings lack what they need: "
                    f"{', '.join(str(name) for name in missing)}.",
                    hint=f"Fill them in under Settings → Billing of {hostname}, or turn e-invoices off there.",
                    id="invoicing.W006",
                )
            )
        if billing.swiss_qr_bill and (country := compact_iban(billing.iban)[:2]) not in QR_BILL_COUNTRIES:
            iban = f"an IBAN from {country}" if country else "no IBAN"
            warnings.append(
                checks.Warning(
                    f"The website {hostname} has the Swiss QR-bill on, with {iban}: a QR-bill needs a Swiss or "
                    "Liechtenstein one.",
                    hint=f"Give a CH… or LI… IBAN under Settings → Billing of {hostname}, or turn the QR-bill off.",
                    id="invoicing.W007",
                )
            )
    return warnings


@checks.register(checks.Tags.security)
def check_exports_are_private(app_configs=None, **kwargs):
    """A bulk export holds many clients' invoices: under MEDIA_ROOT or STATIC_ROOT, the web server
    would hand it to anyone with its URL, past the download view's checks."""
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
