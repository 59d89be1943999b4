"""Tax on the invoice pages (the pay page, the client's account, the admin's inspect view): the
summary per rate and the treatment's note, computed as the PDF and the API compute them."""

from decimal import Decimal

from django import template

from ..core.money import format_money
from ..services.tax import invoice_tax_summary

register = template.Library()


@register.simple_tag
def tax_summary(invoice, lines=None):
    """``{% tax_summary invoice lines as tax %}``: ``tax.rows`` (rate, base, tax), ``tax.totals``,
    ``tax.prices_include_tax``, ``tax.is_reverse_charge``, ``tax.is_exempt``, ``tax.exemption_reason``."""
    return invoice_tax_summary(invoice, lines)


@register.simple_tag
def minus_money(amount, currency):
    """An amount taken off (a discount, a credit), with its minus sign."""
    return format_money(-(amount or 0), currency)


@register.filter
def percent(value):
    """``19.00`` → ``19``, ``7.50`` → ``7.5``, ``10.00`` → ``10`` (never ``1E+1``)."""
    if value in (None, ""):
        return ""
    value = Decimal(value)
    return f"{value.normalize():f}" if value != value.to_integral() else f"{value.to_integral():f}"
