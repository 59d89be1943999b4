"""Listing columns shared by the admin's views."""

from wagtail.admin.ui.tables import Column

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
