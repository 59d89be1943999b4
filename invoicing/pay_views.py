"""The request side of the pay page: opening an invoice from a token (rate-limited, hardened),
and turning the checkout services' answers into pages and JSON. ``PayPage`` in ``pages.py``
keeps only its routes; everything that changes state is a service."""

import logging
from functools import wraps

from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _

from .exceptions import (
    InvalidTransition,
    PaymentLinkInvalid,
    PaymentLinkUnusable,
    PaymentRejected,
    ProviderUnavailable,
)
from .http import protect_token_response, stripe_js
from .lifecycle import InvoiceStatus
from .money import format_money
from .ratelimit import check_request, client_ip

logger = logging.getLogger(__name__)

RATE_LIMIT_GROUP = "pay"


def rate_limited(page, request, token):
    """The branded 429 page when ``request`` is over a limit, else ``None``."""
    limited = check_request(request, group=RATE_LIMIT_GROUP, token=token)
    if limited is None:
        return None
    response = page.render(
        request,
        template="invoicing/pay/too_many_requests.html",
        context_overrides={"branding": page.branding(), "retry_after": limited.retry_after},
    )
    response.status_code = 429
    response["Retry-After"] = str(limited.retry_after)
    return protect_token_response(response)


def opens_invoice(*, methods=("GET",), receipt=False):
    """A pay-page route that opens the invoice of the ``token`` in its URL, on this page's site.

    Every call counts against the rate limits first. A token that opens nothing here answers 404,
    whatever the reason; an expired, revoked or replaced one gets the recovery page, except that
    ``receipt`` routes also open an invoice whose link was replaced by a payment (its receipt
    must stay reachable from the page the client paid on). Every answer gets the token pages'
    protective headers.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(page, request, token):
            # Imported here: the services import the models, which import the pages.
            from .services.tokens import resolve_payment_link, resolve_receipt_link

            limited = rate_limited(page, request, token)
            if limited:
                return limited
            if request.method not in methods:
                return protect_token_response(HttpResponseNotAllowed(methods))
            site = page.get_site()
            resolve = resolve_receipt_link if receipt else resolve_payment_link
            try:
                invoice = resolve(token, site=site)
            except PaymentLinkInvalid:
                logger.info("Unknown payment link on site %s from %s", site.pk, client_ip(request))
                raise Http404 from None
            except PaymentLinkUnusable as error:
                return protect_token_response(page.render_unusable_link(request, error))
            return protect_token_response(view(page, request, invoice, token))

        return wrapper

    return decorate


def invoice_context(page, invoice, token, *, error="", notice="", retry_url=""):
    """Everything the invoice page shows: the invoice, its state and the ways it can be paid."""
    from .models import BillingSettings
    from .services.checkout import card_payment_processing, minimum_partial_amount
    from .services.payments import credit_balance

    billing = BillingSettings.for_site(invoice.site)
    open_balance = invoice.status == InvoiceStatus.OPEN and invoice.amount_due > 0
    processing = invoice.status == InvoiceStatus.OPEN and card_payment_processing(invoice)
    payable = open_balance and not processing
    credit = credit_balance(invoice.client, invoice.currency) if payable and billing.credit_enabled else 0
    card = payable and billing.stripe_enabled
    return {
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "branding": page.branding(),
        "token": token,
        "processing": processing,
        "payable": payable and (card or credit > 0),
        "card_enabled": card,
        "credit": credit,
        "credit_covers_all": credit >= invoice.amount_due,
        "minimum_partial": minimum_partial_amount(invoice) if card and invoice.allow_partial_payments else None,
        "stripe_js": stripe_js() if card else None,
        "error": error,
        "notice": notice,
        "retry_url": retry_url,
    }


def refusal(invoice, *, method):
    """Why the page cannot take a ``method`` ("card" or "credit") payment for ``invoice`` now, or "".
    The services check again under the invoice's lock; this is for a clear answer first."""
    from .models import BillingSettings
    from .services.checkout import card_payment_processing

    billing = BillingSettings.for_site(invoice.site)
    if invoice.status != InvoiceStatus.OPEN or invoice.amount_due <= 0:
        return _("This invoice is %(status)s; nothing can be paid on it here.") % {
            "status": invoice.get_status_display().lower()
        }
    if card_payment_processing(invoice):
        return _("A card payment for this invoice is still processing. Please wait for it to finish.")
    if method == "card" and not billing.stripe_enabled:
        return _("Card payments are not accepted for this invoice.")
    if method == "credit" and not billing.credit_enabled:
        return _("Account credit is not accepted for this invoice.")
    return ""


def error_message(error):
    if isinstance(error, ProviderUnavailable):
        return _("We could not reach our card processor, so nothing has changed. Please try again in a moment.")
    return error.message


def json_error(error, *, status=None, **extra):
    """A domain error as JSON for pay.js: the message is written for people, ``retry`` says
    whether trying again may help (Stripe was unreachable; nothing changed)."""
    if status is None:
        if isinstance(error, ProviderUnavailable):
            status = 503
        elif isinstance(error, InvalidTransition | PaymentRejected):
            status = 409
        else:
            status = 400
    retry = isinstance(error, ProviderUnavailable)
    return JsonResponse({"error": error_message(error), "retry": retry, **extra}, status=status)


def checkout_json(checkout, *, return_url, page_url, confirm_url=None, notice=""):
    offline = {"confirm_url": confirm_url} if confirm_url else {}
    return JsonResponse(
        {
            **offline,
            "intent_id": checkout.intent_id,
            "client_secret": checkout.client_secret,
            "publishable_key": checkout.publishable_key,
            "return_url": return_url,
            "page_url": page_url,
            "amount": format_money(checkout.amount, checkout.currency),
            "notice": notice,
        }
    )


def receipt_context(page, invoice, token):
    """The receipt: the payments received so far and, while some is still due, how to pay it."""
    from .models import Payment
    from .services.tokens import hash_token

    return {
        "invoice": invoice,
        "payment": invoice.payment,
        "payments": invoice.payments.filter(status=Payment.Status.SUCCEEDED).order_by("created_at", "id"),
        "branding": page.branding(),
        "token": token,
        "still_due": invoice.status == InvoiceStatus.OPEN and invoice.amount_due > 0,
        # A link replaced by a payment opens only this receipt; the rest is paid through a fresh link.
        "link_is_current": invoice.payment_token == hash_token(token),
    }
