"""The pay page's token routes (``…/invoice/<token>/…``), served without walking the page tree.

Wagtail finds a page by looking up the site, then each page on the path, its aliases and its view
restrictions: seven queries before a view runs, for the one public page that must stay fast and
that anyone can hammer with bad tokens. This view, which ``invoicing.urls`` mounts before
Wagtail's own, finds the website's pay page in its cached front (``services.fronts``) instead and
hands Wagtail the route already resolved, so that Wagtail's ``serve`` still runs every
``before_serve_page`` and ``on_serve_page`` hook (view restrictions included) as for any page.
Any other path that merely looks like a token route goes to Wagtail's ``serve`` untouched.
"""

import re

from django.http import Http404
from wagtail.url_routing import RouteResult
from wagtail.urls import serve_pattern
from wagtail.views import serve

from ..services.fronts import front_for_request

# ``<the pay page's path>invoice/<token>/<more>/``: the path components as Wagtail's serve_pattern
# has them, so that nothing else is caught.
TOKEN_ROUTE_PATTERN = r"^(?P<page_path>(?:[^/]+/)*?)(?P<route>invoice/(?:[^/]+/)+)$"  # noqa: S105 - a URL pattern
WAGTAIL_PATH = re.compile(serve_pattern)


def serve_token_route(request, page_path, route):
    front = front_for_request(request)
    page = front.pay_page if front else None
    if page is not None and page.path_on(front.site) == f"/{page_path}":
        try:
            match = page.resolve_subpage(f"/{route}")
        except Http404:
            match = None
        if match is not None:
            page.front = front
            request.routable_resolver_match = match
            # Wagtail's per-request memo of the route (documented on Page.route_for_request).
            request._wagtail_route_for_request = RouteResult(page, args=(match.func, match.args, match.kwargs))
    path = page_path + route
    if not WAGTAIL_PATH.match(path):
        raise Http404
    return serve(request, path)
