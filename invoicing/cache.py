"""A Redis cache that an outage of Redis does not turn into an outage of the website.

Wagtail reads its site root paths from the default cache on every page (``Site.get_site_root_paths``),
so with Django's own ``RedisCache`` a dead Redis makes every page, the pay page included, a 500.
``FailSoftRedisCache`` is that backend with plain reads and writes degraded: a read that cannot
reach Redis is a miss, a write is dropped, each with an error logged, and the caller computes the
value itself, as it does on a cold cache.

``add`` and ``incr`` still raise. They are counters and once-only markers (the pay page's rate
limits, "a fresh link at most once an hour"), and a silent miss there would count nothing and
allow everything: ``invoicing.pay.ratelimit`` decides, route by route, whether to go on or refuse.

Set ``CACHE_BACKEND=invoicing.cache.FailSoftRedisCache``, and give Redis short socket timeouts
(``OPTIONS``: ``socket_connect_timeout``, ``socket_timeout``) so that a Redis that does not answer
costs a request a second, not minutes.
"""

import logging
from functools import wraps

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


def _fail_soft(name, outage_answer):
    """``RedisCache.<name>``, answering ``outage_answer(*args)`` (a miss, a dropped write) when Redis
    cannot be reached, with an error logged."""
    redis_method = getattr(RedisCache, name)

    @wraps(redis_method)
    def method(self, *args, **kwargs):
        try:
            return redis_method(self, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - redis-py's errors and socket errors alike
            logger.error("Cache unavailable (%s degraded to a miss or a dropped write): %r", name, exc)
            return outage_answer(*args, **kwargs)

    return method


def _nothing(*args, **kwargs):
    return None


def _false(*args, **kwargs):
    return False


class FailSoftRedisCache(RedisCache):
    get = _fail_soft("get", lambda key, default=None, version=None: default)
    get_many = _fail_soft("get_many", lambda *args, **kwargs: {})
    has_key = _fail_soft("has_key", _false)
    set = _fail_soft("set", _nothing)
    # Every key failed: Django's answer for keys it could not set.
    set_many = _fail_soft("set_many", lambda data, *args, **kwargs: list(data))
    touch = _fail_soft("touch", _false)
    # Deleting is how a changed value is invalidated (Wagtail drops its site root paths when a
    # site changes): a delete that cannot reach Redis is logged, and the stale value lives at most
    # its timeout once Redis is back. Raising would fail the admin's save for a cache.
    delete = _fail_soft("delete", _false)
    delete_many = _fail_soft("delete_many", _nothing)
