"""HTTP helpers: document downloads, which Stripe.js the pay page loads, and hardening for pages
opened with a payment-link token."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import HttpResponse
from django.utils.cache import patch_cache_control

from ..conf import invoicing_settings

STRIPE_JS_URL = "https://js.stripe.com/v3/"
# Stripe's documented CSP for Stripe.js and the Payment Element (docs.stripe.com/security/guide).
STRIPE_ORIGINS = {
    "script": ("https://js.stripe.com",),
    "frame": ("https://js.stripe.com", "https://hooks.stripe.com"),
    "connect": ("https://api.stripe.com",),
    "img": ("https://*.stripe.com",),
}


@dataclass(frozen=True)
class StripeJs:
    """The Stripe.js the pay page loads, and how pay.js drives it: ``payment-element`` (Stripe's
    Payment Element and ``confirmPayment``) or, offline only, ``card-element`` (localstripe's fake
    card widget; see ``offline_stripe_js``)."""

    url: str
    adapter: str


def offline_stripe_js():
    """True only where the dev and test settings say so, with localstripe: its fake Stripe.js has
    no Payment Element, so pay.js uses its card widget and the server confirms the intent.
    Production settings never set it, and a system check refuses it next to real Stripe."""
    return invoicing_settings.stripe_offline_js


def localstripe_origin():
    api = urlsplit(invoicing_settings.stripe_api_base)
    return f"{api.scheme}://{api.netloc}"


def stripe_js():
    if offline_stripe_js():
        return StripeJs(url=f"{localstripe_origin()}/js.stripe.com/v3/", adapter="card-element")
    return StripeJs(url=STRIPE_JS_URL, adapter="payment-element")


def content_security_policy():
    # Offline, localstripe serves both its fake Stripe.js and the API it calls.
    origins = dict.fromkeys(STRIPE_ORIGINS, (localstripe_origin(),)) if offline_stripe_js() else STRIPE_ORIGINS
    stripe = {directive: " ".join(values) for directive, values in origins.items()}
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {stripe['script']}",
            f"frame-src {stripe['frame']}",
            f"connect-src 'self' {stripe['connect']}",
            f"img-src 'self' data: {stripe['img']}",
            # The site's brand colours are one inline <style>; no inline script is ever allowed.
            "style-src 'self' 'unsafe-inline'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# The URL holds the token, so no Referer may ever carry the path: "strict-origin" sends the origin
# alone (and nothing from https to http). Not "no-referrer": with it, browsers send "Origin: null"
# on the page's own form POSTs, and Django's CSRF check rightly refuses those (tests/e2e shows it).
REFERRER_POLICY = "strict-origin"


def protect_token_response(response):
    """No caching, no path in any Referer, no framing, and only Stripe beside us."""
    patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
    response["Referrer-Policy"] = REFERRER_POLICY
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = content_security_policy()
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def download_response(content, filename, content_type="application/pdf"):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
