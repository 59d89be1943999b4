"""Where a payment happens: on the pay page, opened by a payment link's token, or in the client's
billing account, signed in. The card and credit views are the same for both; a flow tells them
where the invoice, its receipt and the card's return are, and how the invoice page renders."""

from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..core.lifecycle import InvoiceStatus
from ..services.amounts_due import amounts_due
from ..services.checkout import minimum_partial_amount
from ..services.pay_policy import pay_options
from ..services.plans import plan_offers
from ..services.saved_cards import active_card
from .headers import stripe_js

# The e-invoice downloads a client is offered, by syntax: CII first, as the Factur-X PDF carries it.
EINVOICE_LABELS = {"cii": _("E-invoice (XML)"), "ubl": _("E-invoice (UBL, Peppol)")}


def einvoices_offered(page):
    # The website's cached settings: no query on the client's pages.
    return page.front.billing.einvoices_enabled


def einvoice_links(url):
    """(label, URL) of each e-invoice download of the document whose download view is at ``url``."""
    return [(label, f"{url}?{urlencode({'syntax': syntax})}") for syntax, label in EINVOICE_LABELS.items()]


def plan_context(invoice, flow, options, billing):
    """The payment plan's schedule, what the card asks for now, and the plans the client may choose."""
    due = amounts_due(invoice)
    today = timezone.localdate()
    schedule = [
        {"state": state, "overdue": state.is_overdue(today), "next": False, "remaining": state.remaining}
        for state in due.instalments
    ]
    upcoming = next((row for row in schedule if not row["state"].is_paid), None)
    if upcoming:
        upcoming["next"] = True
    has_plan = bool(schedule)
    everything = due.early_price if due.early_price is not None else due.balance
    part_minimum = options.minimum_partial
    if has_plan and options.card_enabled:
        part_minimum = max(due.least, minimum_partial_amount(invoice))
    offers = plan_offers(invoice, billing=billing) if options.payable and flow.plan_url else []
    return {
        "due": due,
        "due_now": due.now,
        "has_plan": has_plan,
        "schedule": schedule,
        # Under a plan, paying what is due now and paying everything differ: both are offered.
        "pay_everything": everything if has_plan and due.now != everything else None,
        "part_minimum": part_minimum if (has_plan or invoice.allow_partial_payments) else None,
        "plan_offers": offers,
    }


def invoice_context(invoice, flow, *, error="", notice="", retry_url=""):
    """Everything an invoice page shows: the invoice, its state and the ways it can be paid."""
    options = pay_options(invoice, billing=flow.page.front.billing)
    saved_card = active_card(invoice.client)
    return {
        **plan_context(invoice, flow, options, flow.page.front.billing),
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "flow": flow,
        "processing": options.processing,
        "payable": options.payable,
        "card_enabled": options.card_enabled,
        "credit": options.credit,
        "credit_covers_all": options.credit >= invoice.amount_due,
        "minimum_partial": options.minimum_partial,
        "stripe_js": stripe_js() if options.card_enabled else None,
        "saved_card": saved_card,
        "can_save_card": options.card_enabled and saved_card is None,
        "error": error,
        "notice": notice,
        "retry_url": retry_url,
        "einvoice_links": flow.einvoice_links(),
    }


class Flow:
    template = ""

    def __init__(self, page, request, invoice):
        self.page = page
        self.request = request
        self.invoice = invoice

    def url(self, name):
        return self.page.route_url(name, self.key)

    @property
    def invoice_url(self):
        return self.url("invoice")

    @property
    def card_start_url(self):
        return self.url("start_card_payment")

    @property
    def credit_url(self):
        return self.url("pay_with_credit")

    @property
    def offline_confirm_url(self):
        return self.url("offline_card_confirm")

    @property
    def plan_url(self):
        """Where the client chooses a payment plan; only on the pay page."""
        return None

    @property
    def card_return_url(self):
        """Absolute and on the Site's own host, as Stripe needs it."""
        return self.page.full_route_url(self.invoice.site, "card_return", self.key)

    @property
    def offers_einvoices(self):
        return einvoices_offered(self.page) and self.invoice.status != InvoiceStatus.DRAFT

    def einvoice_links(self):
        """(label, URL) of each e-invoice download the page offers; none where the website has them off."""
        return einvoice_links(self.url("invoice_einvoice")) if self.offers_einvoices else []

    @property
    def latest_receipt_url(self):
        return self.receipt_url(self.invoice.payment)

    def extra_context(self):
        return {}

    def render_invoice(self, *, status=200, **context):
        response = self.page.render(
            self.request,
            template=self.template,
            context_overrides={**invoice_context(self.invoice, self, **context), **self.extra_context()},
        )
        response.status_code = status
        return response


class LinkFlow(Flow):
    """The pay page: every URL carries the payment link's token."""

    template = "invoicing/pay/invoice.html"

    def __init__(self, page, request, invoice, token):
        super().__init__(page, request, invoice)
        self.token = self.key = token

    def receipt_url(self, payment=None):
        return self.url("receipt")

    def after(self, result):
        """A partial payment replaced the link: the rest is paid on the new one."""
        new_link = getattr(result, "new_link", None)
        return LinkFlow(self.page, self.request, self.invoice, new_link.token) if new_link else self

    @property
    def plan_url(self):
        return self.url("choose_plan")

    @property
    def stop_auto_charge_url(self):
        return self.url("stop_auto_charge")

    def extra_context(self):
        return {"token": self.token}


class AccountFlow(Flow):
    """The client's billing account: URLs carry the invoice's id, which the signed-in session
    scopes to the client; no link is needed, and the emailed one is left as it is."""

    template = "invoicing/pay/account/invoice.html"

    def __init__(self, page, request, invoice, account):
        super().__init__(page, request, invoice)
        self.account = account
        self.key = invoice.pk

    def receipt_url(self, payment=None):
        return self.page.route_url("receipt", payment.pk) if payment else self.invoice_url

    def after(self, result):
        return self

    def extra_context(self):
        return {"account": self.account, "payments": self.account.payments(self.invoice)}
