"""The email outbox, read-only: rows are written by the sending pipeline, never by hand."""

from django.utils.translation import gettext_lazy as _
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import SnippetViewSet

from ..models import OutboundEmail
from .access import SiteScopedPermissionPolicyMixin, SiteScopedViewSetMixin
from .columns import EmailStatusColumn


class ReadOnlyPermissionPolicy(SiteScopedPermissionPolicyMixin, ModelPermissionPolicy):
    """For records that only the system writes, each of one website: viewing (and the model's own
    actions, such as replaying a Stripe event) is all a person may do, on the record's website."""

    def user_has_permission(self, user, action):
        return action not in {"add", "change", "delete"} and super().user_has_permission(user, action)


class OutboundEmailViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    site_lookup = "invoice__site"
    model = OutboundEmail
    icon = "mail"
    menu_label = _("Emails")
    menu_order = 220
    add_to_admin_menu = True
    list_display = [
        "subject",
        "to_email",
        "kind",
        EmailStatusColumn("summary", label=_("Status"), status_accessor="status", delivery_accessor="delivery"),
        "attempts",
        "last_error",
        "created_at",
    ]
    list_filter = ["status", "delivery", "kind", "trigger"]
    search_backend_name = None
    search_fields = ["subject", "to_email", "invoice__number"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "invoice",
        "kind",
        "trigger",
        "to_email",
        "from_email",
        "reply_to",
        "subject",
        "status",
        "delivery",
        "attempts",
        "last_error",
        "next_attempt_at",
        "claimed_at",
        "handoff_started_at",
        "sent_at",
        "esp_message_id",
        "delivery_updated_at",
        "text_body",
    ]

    def get_queryset(self, request):
        return OutboundEmail.objects.select_related("invoice")
