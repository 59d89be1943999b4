"""The pay page's views, routed by ``routes.py`` below a ``PayPage``: the invoice, paying with
credit, the receipt, the PDFs and the fresh-link form. Thin: the services decide everything.
Each view gets the page first, as a routable page's method would."""

import logging
from functools import partial

from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ..core.exceptions import InvoicingError, PaymentLinkInvalid, PaymentLinkUnusable
from ..core.lifecycle import InvoiceStatus
from ..models import Payment
from ..services import documents, einvoices, plans
from ..services.outbox import send_fresh_link
from ..services.pay_policy import refusal
from ..services.payments import pay_with_credit
from ..services.tokens import is_current_token, pay_link_url, resolve_payment_link
from .flows import EINVOICE_LABELS, LinkFlow
from .forms import CreditPaymentForm, PlanChoiceForm
from .guards import guarded, opens_invoice, render_unusable_link
from .headers import download_response

logger = logging.getLogger(__name__)


def no_invoice(page, request):
    """The pay page itself shows nothing: only a token opens an invoice."""
    raise Http404


@opens_invoice()
def invoice(page, request, invoice, token):
    return LinkFlow(page, request, invoice, token).render_invoice()


@guarded(methods=("POST",), fail_closed=True)  # it sends email: no counting, no sending
def fresh_link(page, request, token):
    """POST from the recovery page (CSRF-protected). The answer is the same whether or not an
    email went out, so the form reveals nothing and cannot be used to probe or to spam."""
    try:
        resolve_payment_link(token, site=page.front.site)
    except PaymentLinkInvalid:
        raise Http404 from None
    except PaymentLinkUnusable as error:
        send_fresh_link(error.link)
        return render_unusable_link(page, request, error, fresh_link_requested=True)
    # The link still works: nothing to send.
    return redirect(page.route_url("invoice", token))


def pay_by_credit(request, flow):
    """Spend the client's credit on the invoice: the amount posted, or as much as is needed."""
    invoice = flow.invoice
    form = CreditPaymentForm(request.POST, invoice=invoice)
    if not form.is_valid():
        return flow.render_invoice(status=400, error=form.first_error())
    refused = refusal(invoice, method="credit")
    if refused:
        return flow.render_invoice(status=409, error=refused)
    try:
        result = pay_with_credit(invoice, amount=form.cleaned_data["credit_amount"])
    except InvoicingError as error:
        invoice.refresh_from_db()
        return flow.render_invoice(status=409, error=error.message)
    return redirect(flow.after(result).receipt_url(result.payment))


@opens_invoice(methods=("POST",))
def credit_payment(page, request, invoice, token):
    return pay_by_credit(request, LinkFlow(page, request, invoice, token))


@opens_invoice(methods=("POST",))
def choose_plan(page, request, invoice, token):
    """The client splits the invoice into the monthly instalments the website offers; back on the
    page (the same link: the balance it is bound to does not change), the first is due now."""
    form = PlanChoiceForm(request.POST)
    flow = LinkFlow(page, request, invoice, token)
    if not form.is_valid():
        return flow.render_invoice(status=400, error=form.first_error())
    try:
        plans.choose_plan(invoice, form.cleaned_data["count"])
    except InvoicingError as error:
        invoice.refresh_from_db()
        return flow.render_invoice(status=409, error=error.message)
    return redirect(page.route_url("invoice", token))


@opens_invoice(receipt=True)
def receipt(page, request, invoice, token):
    """The payments received so far and, while some is still due, how to pay it."""
    if invoice.payment is None:
        return redirect(page.route_url("invoice", token))
    context = {
        "invoice": invoice,
        "payment": invoice.payment,
        "payments": invoice.payments.filter(status=Payment.Status.SUCCEEDED).order_by("created_at", "id"),
        "token": token,
        "still_due": invoice.status == InvoiceStatus.OPEN and invoice.amount_due > 0,
        # A link replaced by a payment opens only this receipt; the rest is paid through a fresh link.
        "link_is_current": is_current_token(invoice, token),
    }
    return page.render(request, template="invoicing/pay/receipt.html", context_overrides=context)


@opens_invoice()
def invoice_pdf(page, request, invoice, token):
    content = documents.invoice_pdf(invoice, pay_url=pay_link_url(invoice.site, token))
    return download_response(content, documents.pdf_filename(invoice))


def einvoice_download(request, document, *, offered, unavailable):
    """``document``'s e-invoice (an issued invoice or a credit note) in the syntax the query asks
    for (CII by default), where ``offered`` says its page offers it, else a 404. One that cannot be
    made is ``unavailable(status=409)``: the page it is offered on, with a message for the client;
    the reason, written for the seller (a detail missing in the settings, an amount EN 16931 cannot
    carry), goes to the log."""
    syntax = request.GET.get("syntax", "cii")
    if syntax not in EINVOICE_LABELS or not offered:
        raise Http404
    try:
        xml = einvoices.einvoice_xml(document, syntax)
    except einvoices.EInvoiceUnavailable as error:
        logger.warning("No e-invoice for %s %s: %s", type(document).__name__, document.pk, error.message)
        return unavailable(status=409)
    return download_response(xml, einvoices.einvoice_filename(document, syntax), content_type="application/xml")


def invoice_einvoice_download(flow):
    message = _("This invoice has no e-invoice at the moment; the PDF is the invoice. Please contact us for it.")
    unavailable = partial(flow.render_invoice, error=message)
    return einvoice_download(flow.request, flow.invoice, offered=flow.offers_einvoices, unavailable=unavailable)


@opens_invoice()
def invoice_einvoice(page, request, invoice, token):
    return invoice_einvoice_download(LinkFlow(page, request, invoice, token))


@opens_invoice(receipt=True)
def receipt_pdf(page, request, invoice, token):
    if invoice.payment is None:
        raise Http404
    return download_response(documents.receipt_pdf(invoice.payment), documents.pdf_filename(invoice, receipt=True))
