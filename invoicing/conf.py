"""Every setting the module reads, its default and its meaning, in one place.

A host project sets none of them to try the module: with ``DEBUG`` on and no Stripe key, payments
go to localstripe on this machine. Production sets the Stripe keys (a system check insists).
Values are read on every access, so ``override_settings`` in tests and settings changed at run
time are seen at once.
"""

import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings

LOCALSTRIPE_URL = "http://127.0.0.1:8420"
LOCALSTRIPE_SECRET_KEY = "sk_test_localstripe"  # noqa: S105 - a placeholder that localstripe accepts
LOCALSTRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
LOCALSTRIPE_WEBHOOK_SECRET = "whsec_localstripe"  # noqa: S105 - public, for localstripe only
STRIPE_API_URL = "https://api.stripe.com"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    meaning: str


SETTINGS = [
    Setting("STRIPE_SECRET_KEY", "", "Stripe's secret key. Unset: localstripe at LOCALSTRIPE_URL (DEBUG only)."),
    Setting("STRIPE_PUBLISHABLE_KEY", "", "Stripe's publishable key, for Stripe.js on the pay page."),
    Setting(
        "STRIPE_WEBHOOK_SECRET",
        "",
        "The signing secret of the webhook endpoint (whsec_...). Unset without a key: localstripe's.",
    ),
    Setting("STRIPE_API_BASE", "", "Stripe's API; https://api.stripe.com with a key, LOCALSTRIPE_URL without."),
    Setting("LOCALSTRIPE_URL", LOCALSTRIPE_URL, "Where localstripe listens when no Stripe key is set."),
    Setting(
        "STRIPE_OFFLINE_JS",
        None,
        "Use localstripe's fake card widget on the pay page; unset: on with DEBUG and no Stripe key.",
    ),
    Setting("STRIPE_TIMEOUT_SECONDS", 10, "Timeout of each call to Stripe."),
    Setting("STRIPE_NETWORK_RETRIES", 2, "Retries of a call to Stripe that failed on the network."),
    Setting(
        "INVOICING_FRESH_LINK_MINUTES",
        15,
        "A client gets at most one 'fresh link' email per invoice in this many minutes.",
    ),
    Setting(
        "INVOICING_RATE_LIMITS",
        {"ip": 60, "token": 30},
        "Pay-page requests per minute, per client IP and per payment link.",
    ),
    Setting(
        "INVOICING_PAY_BASE_TEMPLATE",
        "invoicing/pay/base.html",
        "The template the pay pages extend: yours (e.g. base.html) if it has the blocks title, extra_css,"
        " content and extra_js, as Wagtail's project template does.",
    ),
    Setting("INVOICING_RATE_LIMIT_CACHE", "default", "The cache (shared by every web host) that counts requests."),
    Setting(
        "INVOICING_TRUSTED_PROXIES",
        0,
        "How many proxies in front append to X-Forwarded-For; the client IP is what the outermost saw.",
    ),
    Setting(
        "INVOICING_EXPORTS_ROOT",
        "",
        "The private directory of bulk-export ZIPs, outside MEDIA_ROOT and STATIC_ROOT; unset: invoicing-exports"
        " in the system's temporary directory. Unused when STORAGES has an 'invoicing_exports' storage.",
    ),
    Setting("INVOICING_EXPORT_MAX_AGE_HOURS", 24, "Bulk-export ZIPs are deleted this many hours after their job."),
    Setting(
        "INVOICING_LEASE_SECONDS",
        300,
        "A task worker that shows no sign of life for this long is taken for dead: the periodic sweep"
        " (manage.py send_due_emails) resumes its bulk action and takes back the email it was sending.",
    ),
    Setting(
        "INVOICING_AUTO_CHARGE_RETRY_DAYS",
        (1, 3, 5),
        "After a failed automatic charge, retry this many days after the first failure (each retry"
        " scheduled from the one before, by the gap); after the last, give up. () retries never.",
    ),
]
DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


class InvoicingSettings:
    """``invoicing_settings.NAME``: the project's value, or the default above."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not an invoicing setting (see invoicing/conf.py)")
        return getattr(settings, name, DEFAULTS[name])

    @property
    def uses_localstripe(self):
        return not getattr(settings, "STRIPE_SECRET_KEY", "")

    @property
    def stripe_secret_key(self):
        return self.STRIPE_SECRET_KEY or LOCALSTRIPE_SECRET_KEY

    @property
    def stripe_publishable_key(self):
        return LOCALSTRIPE_PUBLISHABLE_KEY if self.uses_localstripe else self.STRIPE_PUBLISHABLE_KEY

    @property
    def stripe_api_base(self):
        return self.STRIPE_API_BASE or (self.LOCALSTRIPE_URL if self.uses_localstripe else STRIPE_API_URL)

    @property
    def stripe_webhook_secret(self):
        """localstripe's secret is public: it is a default only on a developer's machine (DEBUG)
        and in test runs (STRIPE_OFFLINE_JS). Elsewhere no secret refuses every delivery."""
        if self.STRIPE_WEBHOOK_SECRET:
            return self.STRIPE_WEBHOOK_SECRET
        on_a_bench = settings.DEBUG or self.STRIPE_OFFLINE_JS
        return LOCALSTRIPE_WEBHOOK_SECRET if self.uses_localstripe and on_a_bench else ""

    @property
    def stripe_offline_js(self):
        configured = self.STRIPE_OFFLINE_JS
        return self.uses_localstripe and settings.DEBUG if configured is None else bool(configured)

    @property
    def exports_root(self):
        """The temporary directory by default: the module cannot know which of the project's
        directories its web server leaves unserved, and a temporary one never is. It suits one host
        whose web and task processes share it (not systemd's PrivateTmp); others set the setting."""
        return Path(self.INVOICING_EXPORTS_ROOT or Path(tempfile.gettempdir()) / "invoicing-exports")

    @property
    def lease(self):
        return timedelta(seconds=self.INVOICING_LEASE_SECONDS)

    @property
    def rate_limits(self):
        return {**DEFAULTS["INVOICING_RATE_LIMITS"], **self.INVOICING_RATE_LIMITS}


invoicing_settings = InvoicingSettings()
