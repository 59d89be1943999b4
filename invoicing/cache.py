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

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


def _unreachable(operation, exc):
    logger.error("Cache unavailable (%s degraded to a miss or a dropped write): %r", operation, exc)


class FailSoftRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except Exception as exc:  # noqa: BLE001 - redis-py's errors and socket errors alike
            _unreachable("get", exc)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except Exception as exc:  # noqa: BLE001
            _unreachable("get_many", exc)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except Exception as exc:  # noqa: BLE001
            _unreachable("has_key", exc)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except Exception as exc:  # noqa: BLE001
            _unreachable("set", exc)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except Exception as exc:  # noqa: BLE001
            _unreachable("set_many", exc)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except Exception as exc:  # noqa: BLE001
            _unreachable("touch", exc)
            return False

    # Deleting is how a changed value is invalidated (Wagtail drops its site root paths when a
    # site changes): a delete that cannot reach Redis is logged, and the stale value lives at most
    # its timeout once Redis is back. Raising would fail the admin's save for a cache.
    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except Exception as exc:  # noqa: BLE001
            _unreachable("delete", exc)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except Exception as exc:  # noqa: BLE001
            _unreachable("delete_many", exc)
