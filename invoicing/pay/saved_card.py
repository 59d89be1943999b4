"""The client's saved card on the pay page: kept after a card payment made with the "charge my card
automatically" box ticked, and stopped with the page's button. Thin: ``services.saved_cards``
decides everything."""

import logging
import re

from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ..core.exceptions import InvoicingError
from ..services.saved_cards import active_card, remove_card, save_card_from_setup, start_card_setup
from .flows import LinkFlow
from .guards import opens_invoice

logger = logging.getLogger(__name__)

SETUP_ID = re.compile(r"seti_[A-Za-z0-9]{1,200}")


def card_setup_json(invoice):
    """What the browser needs to save the card along with the payment (``confirmCardSetup``)."""
    _setup_id, client_secret = start_card_setup(invoice.client)
    return {"setup_client_secret": client_secret}


def keep_card(invoice, setup_id):
    """After a payment that succeeded: save the card the client allowed us to charge later. The
    payment stands whatever happens here; a card that cannot be saved is only logged."""
    if not SETUP_ID.fullmatch(setup_id or ""):
        return None
    try:
        card = save_card_from_setup(invoice.client, setup_id)
    except InvoicingError as error:
        logger.warning("The card of client %s could not be saved: %s", invoice.client_id, error.message)
        return None
    if card is None:
        logger.warning("SetupIntent %s is not confirmed or not client %s's", setup_id, invoice.client_id)
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
