"""The invoice lifecycle: its states and the one table of allowed moves."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")
    UNCOLLECTIBLE = "uncollectible", _("Uncollectible")


ALLOWED_TRANSITIONS = {
    InvoiceStatus.DRAFT: {InvoiceStatus.OPEN},
    InvoiceStatus.OPEN: {InvoiceStatus.PAID, InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE},
    # As in Stripe: money collected late still settles a written-off invoice.
    InvoiceStatus.UNCOLLECTIBLE: {InvoiceStatus.PAID, InvoiceStatus.VOID},
    InvoiceStatus.PAID: set(),
    InvoiceStatus.VOID: set(),
}

# States in which money can still be applied to the invoice's balance.
COLLECTIBLE_STATES = frozenset({InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE})


def can_transition(current, target) -> bool:
    return InvoiceStatus(target) in ALLOWED_TRANSITIONS[InvoiceStatus(current)]


class ClientRequest(models.TextChoices):
    """What a client can ask for from an invoice's link, beyond seeing it and its documents."""

    PAY = "pay", _("Pay, by card or with account credit")
    FRESH_LINK = "fresh_link", _("A fresh payment link by email, from an expired or replaced one")


# What a client may ask for, per state: the one table that the pay page, the recovery page, the
# public API and the payment services read. Only an open invoice asks for money. A written-off one
# is closed to the client: the admin can still record money for it, and late money settles it.
CLIENT_REQUESTS = {
    InvoiceStatus.DRAFT: frozenset(),
    InvoiceStatus.OPEN: frozenset({ClientRequest.PAY, ClientRequest.FRESH_LINK}),
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.VOID: frozenset(),
    InvoiceStatus.UNCOLLECTIBLE: frozenset(),
}


def client_may(invoice, request: ClientRequest) -> bool:
    return request in CLIENT_REQUESTS[InvoiceStatus(invoice.status)] and invoice.amount_due > 0
