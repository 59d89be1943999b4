"""The pay page's card payment, as three requests: start (JSON for pay.js), confirm offline
(localstripe only) and the return from Stripe. Thin: the checkout services decide everything."""

import logging

from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .exceptions import InvoicingError, PaymentRejected, ProviderUnavailable, ValidationFailed
from .http import offline_stripe_js
from .money import format_money
from .pay_forms import CardPaymentForm
from .pay_views import checkout_json, error_message, json_error, refusal

logger = logging.getLogger(__name__)


def start(page, request, invoice, token):
    """A PaymentIntent for the balance (or the chosen part of it), after spending the client's
    credit first when asked to. The amount posted counts only as a partial-payment choice."""
    # Imported here: the services import the models, which import the pages.
    from .services.checkout import start_card_payment
    from .services.payments import pay_with_credit
    from .services.tokens import pay_link_url

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


def confirm_offline(page, request, invoice, token):
    """localstripe only, a 404 everywhere else: its fake Stripe.js cannot confirm a payment, so
    the server confirms with the card token the widget made (``checkout.confirm_card_offline``).
    A succeeded payment is counted there and then, exactly as by the return URL."""
    from .services.checkout import confirm_card_offline

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


def returned(page, request, invoice, token):
    """Where Stripe sends the browser back. Only the PaymentIntent as the server reads it counts:
    ``redirect_status`` and the rest of the query prove nothing."""
    from .services.checkout import complete_card_payment

    intent_id = request.GET.get("payment_intent", "")
    if not intent_id:
        return redirect(page.route_url(request, "invoice", token))
    try:
        outcome = complete_card_payment(invoice, intent_id)
    except ProviderUnavailable as error:
        return page.render_invoice(
            request, invoice, token, status=503, error=error_message(error), retry_url=request.get_full_path()
        )
    except InvoicingError as error:
        logger.warning("Card return for invoice %s refused: %s", invoice.pk, error.message)
        return page.render_invoice(request, invoice, token, status=400, error=error.message)
    if outcome.status == "succeeded":
        new_link = getattr(outcome.result, "new_link", None)
        return redirect(page.route_url(request, "receipt", new_link.token if new_link else token))
    if outcome.status == "processing":
        return redirect(page.route_url(request, "invoice", token))
    invoice.refresh_from_db()
    return page.render_invoice(request, invoice, token, status=402, error=outcome.message)
