"""An invoice's totals from its lines and terms: the one computation that saving a draft, the
PDF and the API share, so that what is shown is what is stored."""

from ..core.lifecycle import InvoiceStatus
from ..core.tax import charges_tax
from ..core.totals import PER_TOTAL, Discount, compute_totals


def discount_of(invoice):
    """The invoice's discount code as it was applied: its percentage, or its fixed amount."""
    if invoice.discount_code_id is None:
        return None
    if invoice.discount_percent is not None:
        return Discount(percent=invoice.discount_percent)
    if invoice.status == InvoiceStatus.DRAFT:
        # The code's own amount: ``discount_total`` is what was taken, capped at the lines' total,
        # and lines added to the draft later must get the full amount again.
        return Discount(amount=invoice.discount_code.amount)
    return Discount(amount=invoice.discount_total)


def tax_treatment_of(invoice):
    """A draft follows its client's treatment; an issued invoice keeps the one it was issued with."""
    return invoice.client.tax_treatment if invoice.status == InvoiceStatus.DRAFT else invoice.tax_treatment


def invoice_totals(invoice, lines=None):
    taxed = charges_tax(tax_treatment_of(invoice))
    lines = invoice.lines.all() if lines is None else lines
    return compute_totals(
        ((line.quantity, line.unit_price, line.tax_rate if taxed else 0) for line in lines),
        invoice.currency,
        prices_include_tax=invoice.prices_include_tax,
        rounding=invoice.tax_rounding or PER_TOTAL,
        discount=discount_of(invoice),
    )


def store_totals(invoice, lines=None):
    totals = invoice_totals(invoice, lines)
    invoice.subtotal, invoice.tax, invoice.total = totals.subtotal, totals.tax, totals.total
    invoice.discount_total = totals.discount
    return totals
