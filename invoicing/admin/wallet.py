"""The client's wallet in the admin: "Add credit" (a prepayment received, with its reason) on the
client's page, and the ledger of the client's credit per currency with its running balance."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from ..core.exceptions import InvoicingError
from ..core.money import CURRENCY_CHOICES, format_money
from ..models import BillingSettings, Client
from ..services.wallet import add_credit, ledger

# Adding credit changes what the client can pay with: those who may change clients may.
ADD_CREDIT_PERMISSION = "change"


class AddCreditForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=18, decimal_places=3, min_value=0)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example the prepayment's bank reference. Shown in the client's ledger and statements."),
    )


class AddCreditView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    model = None
    index_url_name = None
    permission_required = ADD_CREDIT_PERMISSION
    template_name = "invoicing/admin/client_add_credit.html"
    form_class = AddCreditForm
    page_title = _("Add credit")
    header_icon = "plus"

    def setup(self, request, pk, *args, **kwargs):
        # Below the imports of ``clients``, which imports this module for its URL.
        from .clients import client_for

        super().setup(request, *args, **kwargs)
        self.client = client_for(request.user, pk)

    def get_page_subtitle(self):
        return str(self.client)

    def inspect_url(self):
        return reverse(Client.snippet_viewset.get_url_name("inspect"), args=[quote(self.client.pk)])

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": capfirst(Client._meta.verbose_name_plural)},
            {"url": self.inspect_url(), "label": str(self.client)},
            {"url": "", "label": self.page_title},
        ]

    def get_initial(self):
        return {"currency": BillingSettings.for_site(self.client.site).default_currency}

    def get_context_data(self, **kwargs):
        return super().get_context_data(client=self.client, cancel_url=self.inspect_url(), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            entry = add_credit(
                self.client,
                amount=data["amount"],
                currency=data["currency"],
                reason=data["reason"],
                by=self.request.user,
            )
        except InvoicingError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(amount)s of credit added for %(client)s.")
            % {"amount": format_money(entry.amount, entry.currency), "client": self.client},
        )
        return redirect(self.inspect_url())


def add_credit_url(client):
    return reverse(Client.snippet_viewset.get_url_name("add_credit"), args=[quote(client.pk)])


def wallet_context(client, *, may_add):
    """What the client's inspect view shows of the wallet: the ledger per currency, and the link
    to add credit for those who may."""
    return {"ledgers": ledger(client), "add_credit_url": add_credit_url(client) if may_add else ""}
