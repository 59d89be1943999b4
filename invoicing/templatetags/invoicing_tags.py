from django import template

from ..core.money import format_money

register = template.Library()


@register.simple_tag
def money(amount, currency):
    return format_money(amount, currency)


@register.inclusion_tag("invoicing/pay/status.html")
def invoice_status(invoice, processing=False):
    """The status a client reads: overdue and partly paid are derived, not stored."""
    return {"invoice": invoice, "processing": processing}
