"""Listing columns of the admin: numbers, money in its currency, status badges, email states."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, TitleColumn

from ..core.money import format_money
from ..models.outbox import email_summary


class EmailStatusColumn(Column):
    """An email's state, in red when it needs attention (a bounce, a complaint, a failed send)."""

    cell_template_name = "invoicing/admin/email_status_cell.html"

    def __init__(self, name, *, status_accessor, delivery_accessor, **kwargs):
        super().__init__(name, **kwargs)
        self.status_accessor, self.delivery_accessor = status_accessor, delivery_accessor

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        status = getattr(instance, self.status_accessor)
        delivery = getattr(instance, self.delivery_accessor)
        context["value"], context["attention"] = email_summary(status, delivery) if status else ("", False)
        context["status"] = delivery or status or ""
        return context


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
