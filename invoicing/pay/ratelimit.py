"""Rate limits for public, unauthenticated endpoints (pay-page token routes, the fresh-link form).

Counters live in Django's cache, so that every web host shares them once the cache is shared
(Redis in production). Each request counts against fixed one-minute windows, one per client IP
and one per payment-link token. The token is hashed before it becomes part of a key, so that
neither the cache nor anything that dumps it ever holds a usable link.

``check_request`` is independent of pages and views, so that a DRF throttle (or any other
public endpoint) can reuse the same counters and limits.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import caches

from ..conf import invoicing_settings

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# The pay page and the public pay API count in one group: the same limits, whichever a client uses.
PAY_GROUP = "pay"


@dataclass(frozen=True)
class RateLimited:
    """Over a limit: ``retry_after`` seconds until the window that was exceeded ends."""

    scope: str
    retry_after: int


def limits():
    """Requests per minute, from ``INVOICING_RATE_LIMITS`` (e.g. ``{"ip": 60, "token": 30}``)."""
    return invoicing_settings.rate_limits


def client_ip(request):
    """The client's address. Behind ``INVOICING_TRUSTED_PROXIES`` proxies (load balancers) that
    each append to ``X-Forwarded-For``, the address the outermost of them saw; never a value the
    client could have written itself."""
    proxies = invoicing_settings.INVOICING_TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _digest(value):
    return hashlib.sha256(value.encode()).hexdigest()


def _hit(key, limit, now):
    """Count one request in the current window of ``key``; the seconds left if it is over ``limit``."""
    window = int(now // WINDOW_SECONDS)
    cache_key = f"invoicing:ratelimit:{key}:{window}"
    cache = caches[invoicing_settings.INVOICING_RATE_LIMIT_CACHE]
    # add() then incr(): atomic on Redis and Memcached, so concurrent hosts never lose a count.
    if cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 1):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 1)
            count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))


def check_request(request, *, group, token=None):
    """Count ``request`` against the per-IP limit of ``group`` and, given a ``token``, the per-token
    limit. Returns ``None`` when it may go on, otherwise a ``RateLimited``. Every call counts,
    whatever the outcome, so that guessing tokens is throttled as much as using one."""
    now = time.time()
    configured = limits()
    ip = client_ip(request)
    checks = [("ip", f"{group}:ip:{_digest(ip)}")]
    if token is not None:
        checks.append(("token", f"{group}:token:{_digest(token)}"))
    for scope, key in checks:
        retry_after = _hit(key, configured[scope], now)
        if retry_after is not None:
            # The IP is what an operator needs to act on; the token (or its hash) is never logged.
            logger.warning("Rate limit (%s, %s) exceeded from %s", group, scope, ip)
            return RateLimited(scope=scope, retry_after=retry_after)
    return None
