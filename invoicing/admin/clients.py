"""Clients as snippets: each with its invoices, its open balance and its credit, per currency, and
a button that emails the client a sign-in link to their billing account."""

from collections import defaultdict

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton
from wagtail.log_actions import LogFormatter, log
from wagtail.snippets.views.snippets import IndexView, InspectView, SnippetViewSet

from ..core.exceptions import InvoicingError
from ..core.lifecycle import InvoiceStatus
from ..core.money import format_money, round_money
from ..models import BillingSettings, Client, CreditEntry, Invoice, SavedCard
from ..models.access import scope_to_user
from ..models.invoices import AMOUNT_DUE
from ..services.saved_cards import active_card, remove_card
from ..services.sign_in import ensure_accounts_open, send_sign_in_link
from .access import SiteScopedViewSetMixin
from .forms import ClientForm
from .wallet import ADD_CREDIT_PERMISSION, AddCreditView, wallet_context

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
        .annotate(due=Sum(AMOUNT_DUE))
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


def client_for(user, pk):
    """The client, if one of ``user``'s websites has it; another website's client is a 404."""
    clients = scope_to_user(Client.objects.select_related("site", "user"), user)
    return get_object_or_404(clients, pk=unquote(str(pk)))


# The admin history's record of a sign-in link sent (``register_log_actions`` in wagtail_hooks).
SIGN_IN_LINK_SENT = "invoicing.send_sign_in_link"
# Sending one emails the client: those who may change clients may, those who only view may not.
SEND_SIGN_IN_LINK_PERMISSION = "change"


class SignInLinkSentFormatter(LogFormatter):
    label = _("Send sign-in link")

    def format_message(self, log_entry):
        return _("Sign-in link sent to %(email)s") % {"email": (log_entry.data or {}).get("email", "")}


def send_sign_in_link_from_admin(client, *, by):
    """Queue a sign-in email to ``client`` and note it in the client's history: the address it goes
    to, never the token (it does not exist yet: the task makes it). Raises the service's
    ``InvalidTransition`` when the website's accounts are off, and then logs nothing."""
    with transaction.atomic():
        send_sign_in_link(client, by=by)
        log(instance=client, action=SIGN_IN_LINK_SENT, user=by, data={"email": client.email})


def inspect_url(client):
    return reverse(Client.snippet_viewset.get_url_name("inspect"), args=[quote(client.pk)])


class SendSignInLinkView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Confirm, then email the client a one-time sign-in link to their billing account. GET only
    shows what will happen; the POST (CSRF-protected) sends."""

    model = None
    index_url_name = None
    permission_required = SEND_SIGN_IN_LINK_PERMISSION
    template_name = "invoicing/admin/client_sign_in_confirm.html"
    page_title = _("Send sign-in link")

    def setup(self, request, pk, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.client = client_for(request.user, pk)

    def get_page_subtitle(self):
        return str(self.client)

    def get_header_icon(self):
        return "mail"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": capfirst(Client._meta.verbose_name_plural)},
            {"url": inspect_url(self.client), "label": str(self.client)},
            {"url": "", "label": self.page_title},
        ]

    def get_success_url(self):
        return get_valid_next_url_from_request(self.request) or inspect_url(self.client)

    def get_context_data(self, **kwargs):
        try:
            ensure_accounts_open(self.client.site)
        except InvoicingError as exc:
            refusal = exc.message  # said before the click, and again if it is clicked anyway
        else:
            refusal = ""
        return super().get_context_data(
            client=self.client,
            minutes=BillingSettings.for_site(self.client.site).sign_in_link_minutes,
            refusal=refusal,
            cancel_url=self.get_success_url(),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        try:
            send_sign_in_link_from_admin(self.client, by=request.user)
        except InvoicingError as exc:
            messages.error(request, exc.message)
            return redirect(self.get_success_url())
        minutes = BillingSettings.for_site(self.client.site).sign_in_link_minutes
        messages.success(
            request,
            ngettext(
                "A sign-in link is on its way to %(email)s; it works once, for %(minutes)d minute.",
                "A sign-in link is on its way to %(email)s; it works once, for %(minutes)d minutes.",
                minutes,
            )
            % {"email": self.client.email, "minutes": minutes},
        )
        return redirect(self.get_success_url())


# Removing a saved card changes what the client is charged: those who may change clients may.
REMOVE_SAVED_CARD_PERMISSION = "change"


class RemoveSavedCardView(PermissionCheckedMixin, View):
    """POST only (CSRF-protected): remove the client's saved card, recording who did it; its
    pending automatic charges are cancelled."""

    model = None
    permission_required = REMOVE_SAVED_CARD_PERMISSION
    http_method_names = ["post"]

    def post(self, request, pk):
        client = client_for(request.user, pk)
        card = active_card(client)
        if card is None:
            messages.info(request, _("This client has no saved card."))
            return redirect(inspect_url(client))
        pending = card.charges.pending().count()
        try:
            remove_card(card, removed_by=SavedCard.RemovedBy.ADMIN, user=request.user)
        except InvoicingError as exc:
            messages.error(request, exc.message)
            return redirect(inspect_url(client))
        messages.success(
            request,
            ngettext(
                "The saved card %(card)s was removed; %(count)d pending automatic charge was cancelled.",
                "The saved card %(card)s was removed; %(count)d pending automatic charges were cancelled.",
                pending,
            )
            % {"card": card, "count": pending},
        )
        return redirect(inspect_url(client))


class ClientInspectView(InspectView):
    template_name = "invoicing/admin/client_inspect.html"

    def get_object(self, queryset=None):
        return client_for(self.request.user, self.pk)

    @cached_property
    def header_buttons(self):
        if not self.user_has_permission(SEND_SIGN_IN_LINK_PERMISSION):
            return []
        url = reverse(Client.snippet_viewset.get_url_name("send_sign_in_link"), args=[quote(self.object.pk)])
        return [HeaderButton(_("Send sign-in link"), url, icon_name="mail", priority=10)]

    def get_fields(self):
        return []  # The template lays the client out itself.

    def get_context_data(self, **kwargs):
        client = self.object
        invoices = list(Invoice.objects.filter(client=client).order_by("-created_at", "-id")[:RECENT_INVOICES])
        invoice_inspect = Invoice.snippet_viewset.get_url_name("inspect")
        for invoice in invoices:
            invoice.inspect_url = reverse(invoice_inspect, args=[quote(invoice.pk)])
        card = active_card(client)
        return super().get_context_data(
            client=client,
            invoices=invoices,
            invoice_count=Invoice.objects.filter(client=client).count(),
            all_invoices_url=reverse(Invoice.snippet_viewset.get_url_name("list"))
            + "?"
            + urlencode({"client": client.pk}),
            open_balance=describe_amounts(open_balances([client.pk]).get(client.pk, {})),
            credit_balance=describe_amounts(credit_balances([client.pk]).get(client.pk, {})),
            saved_card=card,
            remove_saved_card_url=(
                reverse(Client.snippet_viewset.get_url_name("remove_saved_card"), args=[quote(client.pk)])
                if card and self.user_has_permission(REMOVE_SAVED_CARD_PERMISSION)
                else ""
            ),
            **wallet_context(client, may_add=self.user_has_permission(ADD_CREDIT_PERMISSION)),
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
    edit_handler = ObjectList(
        [
            FieldPanel("site"),
            FieldPanel("name"),
            FieldPanel("email"),
            MultiFieldPanel(
                [
                    FieldPanel("billing_address"),
                    FieldRowPanel([FieldPanel("postal_code"), FieldPanel("city"), FieldPanel("country")]),
                ],
                heading=_("Address"),
            ),
            MultiFieldPanel(
                [FieldPanel("buyer_reference"), FieldPanel("electronic_address")], heading=_("E-invoices")
            ),
            MultiFieldPanel(
                [FieldPanel("tax_id"), FieldPanel("tax_treatment"), FieldPanel("tax_exemption_reason")],
                heading=_("Tax"),
            ),
            # Users are not per website: only those who may manage users anyway get to pick one.
            FieldPanel("user", permission="auth.change_user"),
        ],
        base_form_class=ClientForm,
    )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("send-sign-in-link/<str:pk>/", self.construct_view(SendSignInLinkView), name="send_sign_in_link"),
            path("remove-saved-card/<str:pk>/", self.construct_view(RemoveSavedCardView), name="remove_saved_card"),
            path("add-credit/<str:pk>/", self.construct_view(AddCreditView), name="add_credit"),
        ]

    def get_queryset(self, request):
        invoice_count = (
            Invoice.objects.filter(client=OuterRef("pk")).order_by().values("client").annotate(count=Count("pk"))
        )
        return Client.objects.select_related("site").annotate(
            invoice_count=Coalesce(Subquery(invoice_count.values("count")), 0)
        )
