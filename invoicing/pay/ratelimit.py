"""Rate limits for public, unauthenticated endpoints (pay-page token routes, the fresh-link form).

Counters live in Django's cache, so that every web host shares them once the cache is shared
(Redis in production). Each request counts against fixed one-minute windows, one per client IP
and one per payment-link token. The token is hashed before it becomes part of a key, so that
neither the cache nor anything that dumps it ever holds a usable link.

``check_request`` is independent of pages and views, so that a DRF throttle (or any other
public endpoint) can reuse the same counters and limits.

When the cache cannot be reached, a route's answer depends on what it does:

- **Fail open** (the default): the token routes and the payments go on, with an error logged.
  A token has 256 random bits, so guessing needs no limit to fail, and a client must be able to
  see and pay an invoice while the cache is down.
- **Fail closed** (``fail_closed=True``, or a group in ``FAIL_CLOSED_GROUPS``): the routes that
  send email (the fresh-link form, the billing account's sign-in link) answer "try again later",
  so that an outage of the counters never turns them into a mail cannon.
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
# Groups whose every route sends email (the billing account's sign-in link, counted per address):
# without the counters, they refuse. ``check_request(..., fail_closed=True)`` does it for one call.
FAIL_CLOSED_GROUPS = frozenset({"sign-in"})


@dataclass(frozen=True)
class RateLimited:
    """Over a limit: ``retry_after`` seconds until the window that was exceeded ends."""

    scope: str  # "ip", "token", or "unavailable": the counters could not be reached
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
    # incr(), else add(): each atomic on Redis and Memcached, so concurrent hosts never lose a count;
    # the window's first request misses, and every later one (the common case) costs one incr().
    try:
        count = cache.incr(cache_key)
    except ValueError:  # the window's first request, or its key just expired
        count = 1 if cache.add(cache_key, 1, timeout=WINDOW_SECONDS + 1) else cache.incr(cache_key)
    if count <= limit:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))


def check_request(request, *, group, token=None, fail_closed=None):
    """Count ``request`` against the per-IP limit of ``group`` and, given a ``token``, the per-token
    limit. Returns ``None`` when it may go on, otherwise a ``RateLimited``. Every call counts,
    whatever the outcome, so that guessing tokens is throttled as much as using one.

    If the cache cannot be reached, the request goes on (``None``, and an error is logged), unless
    ``fail_closed`` (by default: ``group`` is one of ``FAIL_CLOSED_GROUPS``); then it is refused
    as ``RateLimited(scope="unavailable")`` for a window."""
    if fail_closed is None:
        fail_closed = group in FAIL_CLOSED_GROUPS
    now = time.time()
    configured = limits()
    ip = client_ip(request)
    checks = [("ip", f"{group}:ip:{_digest(ip)}")]
    if token is not None:
        checks.append(("token", f"{group}:token:{_digest(token)}"))
    for scope, key in checks:
        try:
            retry_after = _hit(key, configured[scope], now)
        except Exception as exc:  # noqa: BLE001 - any backend's failure: Redis, Memcached, a database
            return _counters_unreachable(group, ip, exc, fail_closed=fail_closed)
        if retry_after is not None:
            # The IP is what an operator needs to act on; the token (or its hash) is never logged.
            logger.warning("Rate limit (%s, %s) exceeded from %s", group, scope, ip)
            return RateLimited(scope=scope, retry_after=retry_after)
    return None


def _counters_unreachable(group, ip, exc, *, fail_closed):
    outcome = "refused" if fail_closed else "let through uncounted"
    logger.error("Rate limit (%s) cache unavailable; request from %s %s: %r", group, ip, outcome, exc)
    if fail_closed:
        return RateLimited(scope="unavailable", retry_after=WINDOW_SECONDS)
    return None
