"""A website's front: what its client pages need that is not an invoice's state (the Site, its pay
page with that page's view restrictions, the branding of its Invoice emails page with the logo's
rendition, and its billing settings), cached per host in the default cache.

Without it, each pay-page request would look all of this up again: Wagtail finds the site and
walks the page tree, then the page finds its site, branding and settings (eleven queries before
the invoice's own). Nothing here depends on an invoice: the invoice, its link and its payments
are read from the database on every request, so a paid invoice shows paid at once.

Correct because every change that could alter a front (a Site, any page, a view restriction, an
image or rendition, the billing settings, a page moved) starts a new cache generation, at once and
again when its transaction commits (``receivers.py``), and a front lives ``CACHE_SECONDS`` at
most (``COPY_SECONDS`` more in a process's own copy). With a cache of each process's own (check
``invoicing.W004``), the other processes see a change when that time is up; a change made with
``QuerySet.update()`` sends no signal and is seen then too. A cache that fails is logged and
bypassed: the front is then read from the database.
"""

import logging
import secrets
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.http.request import split_domain_port
from wagtail.models import Site

from ..models import InvoiceEmailTemplatePage, PayPage
from ..settings import BillingSettings
from .tokens import pay_page_for_site

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300
# This process keeps the fronts it read, by generation, for a minute: unpickling one costs about as
# much as Django's whole answer to a bare request. A new generation still shows at once.
COPY_SECONDS = 60
MAX_COPIES = 128
GENERATION_KEY = "invoicing:front:generation"
_copies = {}


@dataclass(frozen=True)
class Front:
    site: Site
    pay_page: PayPage | None
    # The pay page's view restrictions (its own and its ancestors'), as Wagtail would query them.
    pay_page_restrictions: tuple
    branding: InvoiceEmailTemplatePage | None
    logo: object  # the branding logo's rendition for the pages, or None
    billing: BillingSettings


def front_for_request(request):
    """The front of the website answering ``request``, or ``None`` where no Site does. Cached per
    hostname and port (the server's, as Wagtail matches them) when the Host names a Site; another
    Host (the default site's fallback) is looked up again, so that no Host header can fill the
    cache. Wagtail's ``Site.find_for_request`` then answers from the request without a query."""
    if not hasattr(request, "invoicing_front"):
        request.invoicing_front = _front_for_request(request)
    return request.invoicing_front


def _front_for_request(request):
    hostname, port = split_domain_port(request._get_raw_host())[0], request.get_port()
    key = f"host:{hostname}:{port}"
    front = _cached(key)
    if front is None:
        site = Site.find_for_request(request)
        if site is None:
            return None
        front = build_front(site)
        if site.hostname == hostname:
            _store(key, front)
    # Wagtail's own per-request memo of the site (documented on Site.find_for_request).
    request._wagtail_site = front.site
    return front


def build_front(site):
    pay_page = pay_page_for_site(site)
    branding = InvoiceEmailTemplatePage.for_site(site)
    return Front(
        site=site,
        pay_page=pay_page,
        pay_page_restrictions=tuple(pay_page.get_view_restrictions()) if pay_page else (),
        branding=branding,
        logo=branding.page_logo() if branding else None,
        billing=BillingSettings.for_site(site),
    )


def forget_fronts():
    """Start a new generation now, for this process and its transaction, and again once the
    transaction commits, for a front that another request cached from the data before it."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _new_generation():
    _cache_call("set", GENERATION_KEY, secrets.token_hex(8), None)


def _generation():
    generation = _cache_call("get", GENERATION_KEY)
    if generation is None:
        # A random one: after an eviction, no entry of an earlier generation can match again.
        _cache_call("add", GENERATION_KEY, secrets.token_hex(8), None)
        generation = _cache_call("get", GENERATION_KEY)
    return generation


def _cached(key):
    generation = _generation()
    if not generation:
        return None
    name = f"invoicing:front:{generation}:{key}"
    copy = _copies.get(name)
    if copy is not None and copy[1] > time.monotonic():
        return copy[0]
    front = _cache_call("get", name)
    if front is not None:
        _keep(name, front)
    return front


def _store(key, front):
    generation = _generation()
    if generation:
        name = f"invoicing:front:{generation}:{key}"
        _cache_call("set", name, front, CACHE_SECONDS)
        _keep(name, front)


def _keep(name, front):
    if len(_copies) >= MAX_COPIES:
        _copies.clear()
    _copies[name] = (front, time.monotonic() + COPY_SECONDS)


def _cache_call(method, *args):
    try:
        return getattr(cache, method)(*args)
    except Exception:
        # A cache outage must not take the pay pages down: they read the database meanwhile.
        logger.exception("The cache failed (%s); website data is read from the database", method)
        return None
