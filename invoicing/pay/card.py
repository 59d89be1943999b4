"""A card payment, as three requests: start (JSON for pay.js), confirm offline (localstripe only)
and the return from Stripe; on the pay page and in the client's account alike (``flows``). Thin:
the checkout services decide everything."""

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
from .flows import LinkFlow
from .forms import CardPaymentForm
from .guards import opens_invoice
from .headers import offline_stripe_js
from .saved_card import card_setup_json, keep_card, saving_customer

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


def checkout_json(checkout, *, return_url, page_url, confirm_url=None, notice="", **extra):
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
            **extra,
        }
    )


def start_payment(request, flow):
    """A PaymentIntent for the balance (or the chosen part of it), after spending the client's
    credit first when asked to. The amount posted counts only as a partial-payment choice."""
    invoice = flow.invoice
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
                return JsonResponse({"redirect": flow.receipt_url(result.payment)})
            # A partial payment replaced the link: the card pays the rest on the new one.
            flow = flow.after(result)
            notice = _("%(credit)s of your credit was applied; %(due)s remains to pay by card.") % {
                "credit": format_money(result.payment.amount, invoice.currency),
                "due": format_money(invoice.amount_due, invoice.currency),
            }
        # "Charge my card automatically": Stripe keeps the card that pays; offline, a SetupIntent.
        save, offline = form.cleaned_data["save_card"], offline_stripe_js()
        customer = saving_customer(invoice) if save and not offline else ""
        checkout = start_card_payment(invoice, amount=form.cleaned_data["amount"], save_for_customer=customer)
        setup = card_setup_json(invoice) if save and offline else {}
    except InvoicingError as error:
        # After credit paid part of it, the page must reload on the new link to show the new balance.
        moved = {"page_url": flow.invoice_url, "notice": notice} if notice else {}
        return json_error(error, **moved)
    return checkout_json(
        checkout,
        return_url=flow.card_return_url + ("?save_card=1" if customer else ""),
        page_url=flow.invoice_url,
        # On the link the rest is paid on, which credit may just have replaced.
        confirm_url=flow.offline_confirm_url if offline_stripe_js() else None,
        notice=notice,
        **setup,
    )


def confirm_payment_offline(request, flow):
    """localstripe only, a 404 everywhere else: its fake Stripe.js cannot confirm a payment, so
    the server confirms with the card token the widget made (``checkout.confirm_card_offline``).
    A succeeded payment is counted there and then, exactly as by the return URL."""
    if not offline_stripe_js():
        raise Http404
    try:
        outcome = confirm_card_offline(flow.invoice, request.POST.get("intent_id", ""), request.POST.get("card_id", ""))
    except InvoicingError as error:
        return json_error(error)
    if outcome.status == "succeeded":
        keep_card(flow.invoice, setup_id=request.POST.get("setup_id", ""))
        return JsonResponse({"status": outcome.status, "redirect": receipt_after(flow, outcome)})
    if outcome.status in ("requires_action", "processing"):
        return JsonResponse({"status": outcome.status})
    return json_error(PaymentRejected(outcome.message), status=402)


def receipt_after(flow, outcome):
    return flow.after(outcome.result).receipt_url(getattr(outcome.result, "payment", None))


def card_returned(request, flow):
    """Where Stripe sends the browser back. Only the PaymentIntent as the server reads it counts:
    ``redirect_status`` and the rest of the query prove nothing."""
    invoice = flow.invoice
    intent_id = request.GET.get("payment_intent", "")
    if not intent_id:
        return redirect(flow.invoice_url)
    try:
        outcome = complete_card_payment(invoice, intent_id)
    except ProviderUnavailable as error:
        return flow.render_invoice(status=503, error=error_message(error), retry_url=request.get_full_path())
    except InvoicingError as error:
        logger.warning("Card return for invoice %s refused: %s", invoice.pk, error.message)
        return flow.render_invoice(status=400, error=error.message)
    if outcome.status == "succeeded":
        keep_card(
            invoice,
            setup_id=request.GET.get("setup_intent", ""),
            intent_id=intent_id if request.GET.get("save_card") else "",
        )
        return redirect(receipt_after(flow, outcome))
    if outcome.status == "processing":
        return redirect(flow.invoice_url)
    invoice.refresh_from_db()
    return flow.render_invoice(status=402, error=outcome.message)


# The pay page's routes, opened by a payment link's token.


@opens_invoice(methods=("POST",))
def start(page, request, invoice, token):
    return start_payment(request, LinkFlow(page, request, invoice, token))


@opens_invoice(methods=("POST",))
def confirm_offline(page, request, invoice, token):
    return confirm_payment_offline(request, LinkFlow(page, request, invoice, token))


@opens_invoice(receipt=True)
def returned(page, request, invoice, token):
    return card_returned(request, LinkFlow(page, request, invoice, token))
