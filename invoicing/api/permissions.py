"""Who may call the invoice endpoints: an active staff user with the invoice model permission that
the action needs. Which invoices they see is narrowed separately, by site (``models.access.scope_to_user``)."""

from rest_framework.permissions import BasePermission

from ..services.actions import ACTIONS

# The model permission ("view", "add", "change", "delete") that each viewset action needs: the
# invoice actions' own (services.actions), and those of reading and editing.
ACTION_PERMISSIONS = {
    "list": "view",
    "retrieve": "view",
    "stats": "view",
    "create": "add",
    "update": "change",
    "partial_update": "change",
    "destroy": "delete",
    "remove_plan": ACTIONS["set_plan"].permission,
    "einvoice": ACTIONS["pdf"].permission,  # the PDF's data, in XML
    **{
        name: ACTIONS[name].permission
        for name in (
            "send_email",
            "mark_paid",
            "void",
            "pdf",
            "pause_reminders",
            "resume_reminders",
            "apply_discount",
            "remove_discount",
            "set_plan",
        )
    },
}


class HasInvoicePermission(BasePermission):
    """Staff only; the action's ``invoicing.<action>_invoice`` permission (superusers have all)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        if view.action is None:
            return True  # a method this URL does not have: let the view answer 405
        action = ACTION_PERMISSIONS.get(view.action)
        # An action missing from the table is refused rather than left open.
        return action is not None and user.has_perm(f"invoicing.{action}_invoice")
