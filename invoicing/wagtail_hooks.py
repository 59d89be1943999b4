"""Registers the module's admin: snippet viewsets, bulk actions and listing buttons.
The views themselves live in ``invoicing.admin``; every change they make goes through the services."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets import Button
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .admin.bulk_actions import DownloadPdfsBulkAction
from .admin.clients import ClientViewSet
from .admin.emails import OutboundEmailViewSet, ReadOnlyPermissionPolicy
from .admin.invoices import InvoiceViewSet
from .models import Invoice, OutboundEmail

register_permission_policy(OutboundEmail, ReadOnlyPermissionPolicy(OutboundEmail))
register_snippet(InvoiceViewSet)
register_snippet(ClientViewSet)
register_snippet(OutboundEmailViewSet)
hooks.register("register_bulk_action", DownloadPdfsBulkAction)


@hooks.register("register_snippet_listing_buttons")
def invoice_buttons(snippet, user, next_url=None):
    if isinstance(snippet, Invoice):
        viewset = Invoice.snippet_viewset
        yield Button(
            _("Download PDF"),
            reverse(viewset.get_url_name("pdf"), args=[snippet.pk]),
            icon_name="download",
            priority=30,
        )
        yield Button(
            _("Send by email"),
            reverse(viewset.get_url_name("send_email"), args=[snippet.pk]),
            icon_name="mail",
            priority=31,
        )
