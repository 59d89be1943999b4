"""What a client may pay on an invoice now, and how: the one policy that the pay page and the
public API both ask. The payment services check again under the invoice's lock; this is for a
clear answer before anything starts."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from ..core.lifecycle import ClientRequest, client_may
from ..settings import BillingSettings
from .checkout import card_payment_processing, minimum_partial_amount
from .payments import credit_balance


@dataclass(frozen=True)
class PayOptions:
    processing: bool  # a card payment is on its way: no second one
    payable: bool  # something can be paid now, by card or credit
    card_enabled: bool
    credit: Decimal  # the client's credit that can pay this invoice
    minimum_partial: Decimal | None  # the least a card pays, where a part of the balance may be paid


def pay_options(invoice, *, billing=None) -> PayOptions:
    """``billing``: the invoice's website's settings where the caller has them already."""
    billing = billing or BillingSettings.for_site(invoice.site)
    open_balance = client_may(invoice, ClientRequest.PAY)
    processing = open_balance and card_payment_processing(invoice)
    can_pay = open_balance and not processing
    credit = credit_balance(invoice.client, invoice.currency) if can_pay and billing.credit_enabled else Decimal(0)
    card = can_pay and billing.stripe_enabled
    return PayOptions(
        processing=processing,
        payable=can_pay and (card or credit > 0),
        card_enabled=card,
        credit=credit,
        minimum_partial=minimum_partial_amount(invoice) if card and invoice.allow_partial_payments else None,
    )


def refusal(invoice, *, method):
    """Why a ``method`` ("card" or "credit") payment cannot be taken for ``invoice`` now, or ""."""
    billing = BillingSettings.for_site(invoice.site)
    if not client_may(invoice, ClientRequest.PAY):
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
