"""E-invoice downloads in the admin: an issued invoice's or a credit note's EN 16931 XML, as CII (what
its Factur-X PDF carries) or UBL (Peppol BIS Billing 3.0), linked from its inspect view where the
website has e-invoices on. Found, scoped and permission-checked as its PDF is; whatever keeps the
e-invoice from being made comes back as a message on the inspect view, never as a 500."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import Button

from ..core.lifecycle import InvoiceStatus
from ..models.access import scope_to_user
from ..pay.headers import download_response
from ..services.actions import ACTIONS
from ..services.einvoices import EInvoiceUnavailable, einvoice_filename, einvoice_xml, einvoices_on

SYNTAX_LABELS = {"cii": _("E-invoice: Factur-X / CII XML"), "ubl": _("E-invoice: UBL (Peppol BIS 3)")}
XML_CONTENT_TYPE = "application/xml"


def einvoice_url(document, syntax):
    url = reverse(type(document).snippet_viewset.get_url_name("einvoice"), args=[quote(document.pk)])
    return f"{url}?{urlencode({'syntax': syntax})}"


def einvoice_buttons(document, *, button_class=Button, priority=50):
    """The buttons that download ``document``'s e-invoice; none for a draft, or where its website
    has e-invoices off."""
    if getattr(document, "status", None) == InvoiceStatus.DRAFT or not einvoices_on(document.site):
        return []
    return [
        button_class(label, einvoice_url(document, syntax), icon_name="download", priority=priority + position)
        for position, (syntax, label) in enumerate(SYNTAX_LABELS.items())
    ]


def einvoice_urlpatterns(viewset):
    """The e-invoice download of the viewset's model (an invoice or a credit note)."""
    return [path("einvoice/<str:pk>/", viewset.construct_view(EInvoiceDownloadView), name="einvoice")]


class EInvoiceDownloadView(PermissionCheckedMixin, View):
    """``model`` (set by the viewset) is ``Invoice`` or ``CreditNote``: both belong to a website."""

    model = None
    permission_required = ACTIONS["pdf"].permission

    def get(self, request, pk):
        syntax = request.GET.get("syntax", "cii")
        if syntax not in SYNTAX_LABELS:
            raise Http404
        documents = scope_to_user(self.model.objects.select_related("site"), request.user)
        document = get_object_or_404(documents, pk=unquote(str(pk)))
        inspect_url = reverse(self.model.snippet_viewset.get_url_name("inspect"), args=[quote(document.pk)])
        if not einvoices_on(document.site):
            messages.error(
                request,
                _("E-invoices are off for %(site)s: turn them on in Settings → Billing.")
                % {"site": document.site.site_name or document.site.hostname},
            )
            return redirect(inspect_url)
        try:
            xml = einvoice_xml(document, syntax)
        except EInvoiceUnavailable as exc:
            messages.error(request, exc.message)
            return redirect(inspect_url)
        return download_response(xml, einvoice_filename(document, syntax), content_type=XML_CONTENT_TYPE)
