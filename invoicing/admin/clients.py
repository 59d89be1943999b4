"""Clients as snippets: each with its invoices, its open balance and its credit, per currency."""

from collections import defaultdict

from django.contrib.admin.utils import quote, unquote
from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import IndexView, InspectView, SnippetViewSet

from ..core.lifecycle import InvoiceStatus
from ..core.money import format_money, round_money
from ..models import Client, CreditEntry, Invoice
from ..models.access import scope_to_user
from .access import SiteScopedViewSetMixin

# The client page lists this many invoices, newest first; the invoice listing, filtered, has them all.
RECENT_INVOICES = 50


def balances(rows, key):
    """``{client id: {currency: amount}}`` from grouped rows, leaving out what sums to zero."""
    by_client = defaultdict(dict)
    for row in rows:
        amount = round_money(row[key], row["currency"])
        if amount:
            by_client[row["client"]][row["currency"]] = amount
    return by_client


def open_balances(client_ids):
    """What the clients' open invoices still ask for, per currency: one query for a whole page."""
    rows = (
        Invoice.objects.filter(client__in=client_ids, status=InvoiceStatus.OPEN)
        .values("client", "currency")
        .annotate(due=Sum(F("total") - F("amount_paid")))
        .order_by()
    )
    return balances(rows, "due")


def credit_balances(client_ids):
    rows = (
        CreditEntry.objects.filter(client__in=client_ids)
        .values("client", "currency")
        .annotate(balance=Sum("amount"))
        .order_by()
    )
    return balances(rows, "balance")


def describe_amounts(amounts):
    return " · ".join(format_money(amount, currency) for currency, amount in sorted(amounts.items()))


class AmountsColumn(Column):
    """Amounts in several currencies, one after the other (``120.00 EUR · 30.00 USD``)."""

    def get_value(self, instance):
        return describe_amounts(getattr(instance, self.accessor))


class ClientIndexView(IndexView):
    def paginate_queryset(self, queryset, page_size):
        # Per-currency sums do not fit one annotation: two grouped queries for the page instead,
        # so the listing costs the same for 20 clients or 20,000.
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        clients = list(object_list)
        ids = [client.pk for client in clients]
        due, credit = open_balances(ids), credit_balances(ids)
        for client in clients:
            client.open_balance, client.credit_balance = due.get(client.pk, {}), credit.get(client.pk, {})
        page.object_list = clients
        return paginator, page, clients, is_paginated


class ClientInspectView(InspectView):
    template_name = "invoicing/admin/client_inspect.html"

    def get_object(self, queryset=None):
        clients = scope_to_user(Client.objects.select_related("site", "user"), self.request.user)
        return get_object_or_404(clients, pk=unquote(str(self.pk)))

    def get_fields(self):
        return []  # The template lays the client out itself.

    def get_context_data(self, **kwargs):
        client = self.object
        invoices = list(Invoice.objects.filter(client=client).order_by("-created_at", "-id")[:RECENT_INVOICES])
        invoice_inspect = Invoice.snippet_viewset.get_url_name("inspect")
        for invoice in invoices:
            invoice.inspect_url = reverse(invoice_inspect, args=[quote(invoice.pk)])
        return super().get_context_data(
            client=client,
            invoices=invoices,
            invoice_count=Invoice.objects.filter(client=client).count(),
            all_invoices_url=reverse(Invoice.snippet_viewset.get_url_name("list"))
            + "?"
            + urlencode({"client": client.pk}),
            open_balance=describe_amounts(open_balances([client.pk]).get(client.pk, {})),
            credit_balance=describe_amounts(credit_balances([client.pk]).get(client.pk, {})),
            **kwargs,
        )


class ClientViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    model = Client
    icon = "user"
    menu_label = _("Clients")
    menu_order = 210
    add_to_admin_menu = True
    index_view_class = ClientIndexView
    inspect_view_class = ClientInspectView
    inspect_view_enabled = True
    list_display = [
        "name",
        "email",
        Column("site", label=_("Website"), accessor="site.site_name", sort_key="site__site_name"),
        Column("invoice_count", label=_("Invoices"), sort_key="invoice_count"),
        AmountsColumn("open_balance", label=_("Open balance")),
        AmountsColumn("credit_balance", label=_("Credit")),
    ]
    list_filter = ["site"]
    # Searched in the database, like invoices: the search index's SQLite backend cannot count a
    # queryset with the listing's annotations.
    search_backend_name = None
    search_fields = ["name", "email"]
    panels = [
        FieldPanel("site"),
        FieldPanel("name"),
        FieldPanel("email"),
        FieldPanel("billing_address"),
        FieldPanel("tax_id"),
        # Users are not per website: only those who may manage users anyway get to pick one.
        FieldPanel("user", permission="auth.change_user"),
    ]

    def get_queryset(self, request):
        invoice_count = (
            Invoice.objects.filter(client=OuterRef("pk")).order_by().values("client").annotate(count=Count("pk"))
        )
        return Client.objects.select_related("site").annotate(
            invoice_count=Coalesce(Subquery(invoice_count.values("count")), 0)
        )
