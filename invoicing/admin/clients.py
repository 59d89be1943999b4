"""Clients as snippets."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.views.snippets import SnippetViewSet

from ..models import Client


class ClientViewSet(SnippetViewSet):
    model = Client
    icon = "user"
    menu_label = _("Clients")
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["name", "email", "site"]
    list_filter = ["site"]
    search_fields = ["name", "email"]
    panels = [
        FieldPanel("site"),
        FieldPanel("name"),
        FieldPanel("email"),
        FieldPanel("billing_address"),
        FieldPanel("tax_id"),
        FieldPanel("user"),
    ]
