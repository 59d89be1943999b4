"""HTTP helpers: document downloads, and hardening for pages opened with a payment-link token."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control


def stripe_origins():
    js = urlsplit(settings.STRIPE_JS_URL)
    api = urlsplit(settings.STRIPE_API_BASE)
    return sorted({f"{js.scheme}://{js.netloc}", f"{api.scheme}://{api.netloc}", "https://hooks.stripe.com"})


def content_security_policy():
    stripe = " ".join(stripe_origins())
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {stripe}",
            f"frame-src {stripe}",
            f"connect-src 'self' {stripe}",
            "img-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def protect_token_response(response):
    """No caching, no referrer (the URL holds the token), no framing, and only Stripe beside us."""
    patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = content_security_policy()
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def download_response(content, filename, content_type="application/pdf"):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
