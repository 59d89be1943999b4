"""Opening an invoice from the token in a pay-page URL: rate-limited first, hardened always, and
the same 404 whatever makes a token open nothing here."""

import logging
from functools import wraps

from django.http import Http404, HttpResponseNotAllowed
from django.urls import get_resolver

from ..core.exceptions import PaymentLinkInvalid, PaymentLinkUnusable
from ..core.lifecycle import ClientRequest, client_may
from ..services.fronts import front_for_request
from ..services.tokens import resolve_payment_link, resolve_receipt_link
from .headers import protect_token_response
from .ratelimit import PAY_GROUP, check_request, client_ip

logger = logging.getLogger(__name__)


def rate_limited(page, request, token, *, group=PAY_GROUP, fail_closed=None):
    """The branded 429 page when ``request`` is over a limit, else ``None``."""
    limited = check_request(request, group=group, token=token, fail_closed=fail_closed)
    if limited is None:
        return None
    response = page.render(
        request,
        template="invoicing/pay/too_many_requests.html",
        context_overrides={"retry_after": limited.retry_after},
    )
    response.status_code = 429
    response["Retry-After"] = str(limited.retry_after)
    return protect_token_response(response)


def render_unusable_link(page, request, error, *, fresh_link_requested=False):
    """The recovery page: it says why the link is unusable, never which invoice it opened, and
    offers to send a fresh link to the address on file while the invoice can still be paid."""
    logger.info("Unusable payment link %s for invoice %s: %s", error.link.pk, error.link.invoice_id, error.message)
    response = page.render(
        request,
        template="invoicing/pay/link_unusable.html",
        context_overrides={
            "reason": error.message,
            "can_send_fresh_link": client_may(error.link.invoice, ClientRequest.FRESH_LINK),
            "fresh_link_requested": fresh_link_requested,
        },
    )
    response.status_code = 410
    return response


def not_found(request):
    """The project's own 404 page, as for any unknown URL, here with the token pages' headers:
    the URL of a bad token may still hold most of a real one."""
    return get_resolver().resolve_error_handler(404)(request, Http404())


def guarded(*, methods=("GET",), group=PAY_GROUP, fail_closed=None):
    """A client's route (a token's, or the billing account's): every call counts against the rate
    limits of ``group`` first (per IP, and per token where the URL has one), a method not in
    ``methods`` is a 405, and every answer gets the token pages' protective headers."""

    def decorate(view):
        @wraps(view)
        def wrapper(page, request, **kwargs):
            page.front = front_for_request(request)
            limited = rate_limited(page, request, kwargs.get("token"), group=group, fail_closed=fail_closed)
            if limited:
                return limited
            if request.method not in methods:
                return protect_token_response(HttpResponseNotAllowed(methods))
            try:
                response = view(page, request, **kwargs)
            except Http404:
                response = not_found(request)
            return protect_token_response(response)

        return wrapper

    return decorate


def opens_invoice(*, methods=("GET",), receipt=False):
    """A token route that opens the invoice of the ``token`` in its URL, on this page's site.

    A token that opens nothing here answers 404, whatever the reason; an expired, revoked or
    replaced one gets the recovery page, except that ``receipt`` routes also open an invoice whose
    link was replaced by a payment (its receipt must stay reachable from the page the client
    paid on).
    """

    def decorate(view):
        @guarded(methods=methods)
        @wraps(view)
        def wrapper(page, request, token):
            site = page.front.site
            resolve = resolve_receipt_link if receipt else resolve_payment_link
            try:
                invoice = resolve(token, site=site)
            except PaymentLinkInvalid:
                logger.info("Unknown payment link on site %s from %s", site.pk, client_ip(request))
                raise Http404 from None
            except PaymentLinkUnusable as error:
                return render_unusable_link(page, request, error)
            return view(page, request, invoice, token)

        return wrapper

    return decorate
