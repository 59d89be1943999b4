"""The client's saved card on the pay page: kept after a card payment made with the "charge my card
automatically" box ticked, and stopped with the page's button. Thin: ``services.saved_cards``
decides everything."""

import logging
import re

from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ..core.exceptions import InvoicingError
from ..services.saved_cards import (
    active_card,
    customer_reference,
    remove_card,
    save_card_from_intent,
    save_card_from_setup,
    start_card_setup,
)
from .flows import LinkFlow
from .guards import opens_invoice

logger = logging.getLogger(__name__)

SETUP_ID = re.compile(r"seti_[A-Za-z0-9]{1,200}")


def card_setup_json(invoice):
    """Offline (localstripe refuses ``setup_future_usage``): a SetupIntent that the card widget
    confirms (``confirmCardSetup``) before paying; what the browser needs for it."""
    _setup_id, client_secret = start_card_setup(invoice.client)
    return {"setup_client_secret": client_secret}


def saving_customer(invoice):
    """With Stripe: the client's Stripe customer, on which the paying intent keeps the card."""
    return customer_reference(invoice.client)


def keep_card(invoice, *, setup_id="", intent_id=""):
    """After a payment that succeeded: save the card the client allowed us to charge later, from
    the offline SetupIntent or from the intent made to keep it. The payment stands whatever
    happens here; a card that cannot be saved is only logged."""
    try:
        if SETUP_ID.fullmatch(setup_id or ""):
            card = save_card_from_setup(invoice.client, setup_id)
        elif intent_id:
            card = save_card_from_intent(invoice.client, intent_id)
        else:
            return None
    except InvoicingError as error:
        logger.warning("The card of client %s could not be saved: %s", invoice.client_id, error.message)
        return None
    if card is None:
        logger.warning("No card to save from %s for client %s", setup_id or intent_id, invoice.client_id)
    return card


@opens_invoice(methods=("POST",))
def stop(page, request, invoice, token):
    """The client stops automatic charges: the card is removed, pending charges are cancelled."""
    flow = LinkFlow(page, request, invoice, token)
    card = active_card(invoice.client)
    if card is None:
        return redirect(flow.invoice_url)
    try:
        remove_card(card, removed_by=card.RemovedBy.CLIENT)
    except InvoicingError as error:
        return flow.render_invoice(status=503, error=error.message)
    return flow.render_invoice(notice=_("Automatic charges are stopped: your card is no longer saved with us."))
