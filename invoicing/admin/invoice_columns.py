"""Columns of the invoice and client listings: numbers, money in its currency, status badges."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, TitleColumn

from ..core.money import format_money


class InvoiceNumberColumn(TitleColumn):
    """The number, or "Draft" before the invoice is issued, linking to the invoice."""

    def get_value(self, instance):
        return instance.number or _("Draft")


class MoneyColumn(Column):
    """An amount written with its currency (``1,234.50 EUR``); the row's ``currency`` field by default."""

    def __init__(self, name, *, currency_accessor="currency", **kwargs):
        super().__init__(name, **kwargs)
        self.currency_accessor = currency_accessor

    def get_value(self, instance):
        amount = super().get_value(instance)
        return "" if amount is None else format_money(amount, getattr(instance, self.currency_accessor))


class InvoiceStatusColumn(Column):
    """The status, with the derived states beside it: overdue and partially paid."""

    cell_template_name = "invoicing/admin/invoice_status_cell.html"

    class Media:
        css = {"all": ["invoicing/admin/invoice_admin.css"]}

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["value"] = instance.get_status_display()
        return context
