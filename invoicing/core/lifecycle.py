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
