"""The pay page's card payment, as three requests: start (JSON for pay.js), confirm offline
(localstripe only) and the return from Stripe. Thin: the checkout services decide everything."""

import logging

from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ..core.exceptions import (
    InvalidTransition,
    InvoicingError,
    PaymentRejected,
    ProviderUnavailable,
    ValidationFailed,
)
from ..core.money import format_money
from ..services.checkout import complete_card_payment, confirm_card_offline, start_card_payment
from ..services.pay_policy import refusal
from ..services.payments import pay_with_credit
from ..services.tokens import pay_link_url
from .forms import CardPaymentForm
from .guards import opens_invoice
from .headers import offline_stripe_js
from .views import render_invoice

logger = logging.getLogger(__name__)


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


@opens_invoice(methods=("POST",))
def start(page, request, invoice, token):
    """A PaymentIntent for the balance (or the chosen part of it), after spending the client's
    credit first when asked to. The amount posted counts only as a partial-payment choice."""
    form = CardPaymentForm(request.POST, invoice=invoice)
    if not form.is_valid():
        return json_error(ValidationFailed(form.first_error()))
    refused = refusal(invoice, method="card") or (form.cleaned_data["use_credit"] and refusal(invoice, method="credit"))
    if refused:
        return json_error(PaymentRejected(refused), status=409)
    notice = ""
    try:
        if form.cleaned_data["use_credit"]:
            result = pay_with_credit(invoice)
            if result.new_link is None:  # the credit settled it all
                return JsonResponse({"redirect": page.route_url(request, "receipt", token)})
            # A partial payment replaced the link: the card pays the rest on the new one.
            token = result.new_link.token
            notice = _("%(credit)s of your credit was applied; %(due)s remains to pay by card.") % {
                "credit": format_money(result.payment.amount, invoice.currency),
                "due": format_money(invoice.amount_due, invoice.currency),
            }
        checkout = start_card_payment(invoice, amount=form.cleaned_data["amount"])
    except InvoicingError as error:
        # After credit paid part of it, the page must reload on the new link to show the new balance.
        moved = {"page_url": page.route_url(request, "invoice", token), "notice": notice} if notice else {}
        return json_error(error, **moved)
    return checkout_json(
        checkout,
        # Absolute and on the Site's own host, as Stripe needs it; card_return is the invoice's "return/".
        return_url=pay_link_url(invoice.site, token) + "return/",
        page_url=page.route_url(request, "invoice", token),
        # On the link the rest is paid on, which credit may just have replaced.
        confirm_url=page.route_url(request, "offline_card_confirm", token) if offline_stripe_js() else None,
        notice=notice,
    )


@opens_invoice(methods=("POST",))
def confirm_offline(page, request, invoice, token):
    """localstripe only, a 404 everywhere else: its fake Stripe.js cannot confirm a payment, so
    the server confirms with the card token the widget made (``checkout.confirm_card_offline``).
    A succeeded payment is counted there and then, exactly as by the return URL."""
    if not offline_stripe_js():
        raise Http404
    try:
        outcome = confirm_card_offline(invoice, request.POST.get("intent_id", ""), request.POST.get("card_id", ""))
    except InvoicingError as error:
        return json_error(error)
    if outcome.status == "succeeded":
        new_link = getattr(outcome.result, "new_link", None)
        receipt = page.route_url(request, "receipt", new_link.token if new_link else token)
        return JsonResponse({"status": outcome.status, "redirect": receipt})
    if outcome.status in ("requires_action", "processing"):
        return JsonResponse({"status": outcome.status})
    return json_error(PaymentRejected(outcome.message), status=402)


@opens_invoice(receipt=True)
def returned(page, request, invoice, token):
    """Where Stripe sends the browser back. Only the PaymentIntent as the server reads it counts:
    ``redirect_status`` and the rest of the query prove nothing."""
    intent_id = request.GET.get("payment_intent", "")
    if not intent_id:
        return redirect(page.route_url(request, "invoice", token))
    try:
        outcome = complete_card_payment(invoice, intent_id)
    except ProviderUnavailable as error:
        return render_invoice(
            page, request, invoice, token, status=503, error=error_message(error), retry_url=request.get_full_path()
        )
    except InvoicingError as error:
        logger.warning("Card return for invoice %s refused: %s", invoice.pk, error.message)
        return render_invoice(page, request, invoice, token, status=400, error=error.message)
    if outcome.status == "succeeded":
        new_link = getattr(outcome.result, "new_link", None)
        return redirect(page.route_url(request, "receipt", new_link.token if new_link else token))
    if outcome.status == "processing":
        return redirect(page.route_url(request, "invoice", token))
    invoice.refresh_from_db()
    return render_invoice(page, request, invoice, token, status=402, error=outcome.message)
