"""Who may call the invoicing endpoints: an active staff user holding the model permission that
the action needs, before anything is read (``has_permission``) where the URL names no object, and
holding it **on the website of the object** that it names (``has_object_permission``, which DRF's
``get_object`` calls): a permission counts on the websites that the group holding it grants
(``models.access.has_site_permission``), so a clerk of one website who manages another may void there and not here.

Which objects are seen at all is narrowed before, by site (``models.access.scope_to_user``): another
website's object is a 404 and its permissions are never asked."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from ..models.access import has_site_permission, site_id_of
from ..services.actions import ACTIONS

# The invoice permission ("view", "add", "change", "delete", "report", or an action's own: "void",
# "write_off", "credit") that each viewset action needs: the invoice actions' own (services.actions),
# and those of reading and editing.
ACTION_PERMISSIONS = {
    "list": "view",
    "retrieve": "view",
    "stats": "report",
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
            "mark_uncollectible",
            "pdf",
            "pause_reminders",
            "resume_reminders",
            "apply_discount",
            "remove_discount",
            "set_plan",
        )
    },
}


def permission_label(permission):
    """``"invoicing.void_invoice"`` as the admin names it ("Can void invoice"), for error messages."""
    app_label, codename = permission.split(".", 1)
    found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    return found.name if found else permission


class SitePermission(BasePermission):
    """Staff only; the ``invoicing.<permission>_<model>`` permission that ``permissions`` names for
    the view's action (an action missing from it is refused rather than left open), held on the
    object's website. Superusers hold every permission everywhere."""

    model = None
    permissions = {}

    def permission_for(self, view):
        permission = self.permissions.get(view.action)
        return permission and f"invoicing.{permission}_{self.model}"

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_staff):
            return False
        if view.action is None:
            return True  # a method this URL does not have: let the view answer 405
        permission = self.permission_for(view)
        if (view.lookup_url_kwarg or view.lookup_field) in view.kwargs:
            # Asked on the object's website once ``get_object`` found it: another website's object
            # stays a 404 whatever the user holds elsewhere.
            return permission is not None
        return permission is not None and user.has_perm(permission)

    def has_object_permission(self, request, view, obj):
        permission = self.permission_for(view)
        if has_site_permission(request.user, permission, site_id_of(obj)):
            return True
        # Read by DRF for the 403's detail; a permission instance serves one request only.
        self.message = _("Your roles on this website do not allow this: it needs “%(permission)s” here.") % {
            "permission": permission_label(permission)
        }
        return False


class HasInvoicePermission(SitePermission):
    model = "invoice"
    permissions = ACTION_PERMISSIONS
