"""Invoices and payments as documents: the data ``pdf.render`` renders, and the PDF bytes."""

import logging
from dataclasses import replace
from decimal import Decimal

from ..core.addresses import postal_address
from ..core.lifecycle import COLLECTIBLE_STATES, InvoiceStatus
from ..core.tax import charges_tax
from ..core.totals import line_total
from ..einvoice.cii import to_cii
from ..models import BillingSettings, InvoiceEmailTemplatePage
from ..pdf import render as pdf
from ..pdf.document import (
    BankTransfer,
    Branding,
    DiscountRow,
    DocumentLine,
    EarlyPayment,
    InstalmentRow,
    InvoiceDocument,
    Party,
    PostalAddress,
    ReceiptPayment,
    TaxRow,
)
from .amounts_due import early_price, instalment_states
from .einvoices import EInvoiceUnavailable, invoice_einvoice
from .tax import invoice_tax_summary

logger = logging.getLogger(__name__)

STAMPS = {
    InvoiceStatus.DRAFT: ("draft", None),
    InvoiceStatus.PAID: ("paid", "paid_at"),
    InvoiceStatus.VOID: ("void", "closed_at"),
    InvoiceStatus.UNCOLLECTIBLE: ("uncollectible", "closed_at"),
}


def seller_party(site, billing):
    return Party(
        name=billing.legal_name or site.site_name or site.hostname,
        address=postal_address(billing.address, billing.postal_code, billing.city, billing.country, billing.locale),
        tax_id=billing.tax_id,
        email=billing.reply_to or billing.sender_email,
    )


def client_party(client, locale):
    """The client as they are now (a draft, a statement)."""
    address = (client.billing_address, client.postal_code, client.city, client.country)
    return Party(client.name, postal_address(*address, locale), client.tax_id, client.email)


def billed_party(invoice, locale):
    """The client as the invoice was issued to them."""
    address = (invoice.billing_address, invoice.billing_postal_code, invoice.billing_city, invoice.billing_country)
    return Party(invoice.billing_name, postal_address(*address, locale), invoice.billing_tax_id, invoice.billing_email)


def invoice_document(invoice, *, pay_url=None, receipt=None):
    """What the invoice's PDF shows. ``pay_url`` is known only where the raw token is at hand."""
    billing = BillingSettings.for_site(invoice.site)
    template = InvoiceEmailTemplatePage.for_site(invoice.site)
    lines = list(invoice.lines.all())
    summary = invoice_tax_summary(invoice, lines)
    totals = summary.totals
    taxed = charges_tax(summary.treatment)
    stamp, stamp_field = STAMPS.get(invoice.status, (None, None))
    stamp_at = getattr(invoice, stamp_field) if stamp_field else None
    return InvoiceDocument(
        number=invoice.number,
        title=invoice.title,
        description=invoice.description,
        currency=invoice.currency,
        seller=seller_party(invoice.site, billing),
        client=(
            client_party(invoice.client, billing.locale)
            if invoice.status == InvoiceStatus.DRAFT
            else billed_party(invoice, billing.locale)
        ),
        lines=tuple(
            DocumentLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate if taxed else Decimal(0),
                total=line_total(line.quantity, line.unit_price, invoice.currency),
            )
            for line in lines
        ),
        subtotal=invoice.subtotal,
        taxes=tuple(TaxRow(rate=row.rate, base=row.base, tax=row.tax) for row in totals.by_rate),
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_due=invoice.amount_due,
        created_at=invoice.issued_at or invoice.created_at,
        issued_on=invoice.issued_at.date() if invoice.issued_at else None,
        due_on=invoice.due_date,
        locale=billing.locale,
        paper_size=billing.paper_size,
        stamp=None if receipt else stamp,
        stamp_date=stamp_at.date() if stamp_at and not receipt else None,
        pay_url=pay_url if invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE) else None,
        payment_instructions=billing.payment_instructions,
        receipt=receipt,
        branding=template.as_branding() if template else Branding(),
        prices_include_tax=invoice.prices_include_tax,
        lines_total=totals.lines_total,
        discount=(
            DiscountRow(label=invoice.discount_label, amount=invoice.discount_total)
            if invoice.discount_code_id is not None
            else None
        ),
        tax_treatment=summary.treatment,
        tax_exemption_reason=summary.exemption_reason,
        amount_credited=invoice.amount_credited,
        early_discount_taken=invoice.early_discount_taken,
        early_payment=None if receipt else _early_payment(invoice),
        instalments=() if receipt else _instalments(invoice),
        factur_x=None
        if receipt or invoice.status == InvoiceStatus.DRAFT
        else factur_x(billing, lambda: invoice_einvoice(invoice, billing=billing, lines=lines), invoice.number),
        bank_transfer=None if receipt else bank_transfer(invoice, billing),
    )


def factur_x(billing, build, number):
    """The CII XML a PDF carries where the website makes e-invoices: ``build()`` gives the
    ``EInvoice``. One that cannot be made leaves the PDF plain, and says why in the log; the admin's
    and the API's XML downloads say it to people, as the system checks do for the website's
    missing details."""
    if not billing.einvoices_enabled:
        return None
    try:
        return to_cii(build())
    except EInvoiceUnavailable as exc:
        logger.warning("The PDF of %s goes without its e-invoice: %s", number, exc)
        return None


def bank_transfer(invoice, billing):
    """The transfer a QR code asks for where the website is paid by transfer: the open balance to its
    IBAN, quoting the invoice's number. The EPC QR code for euros; the Swiss QR-bill, where the
    website turned it on, for francs and euros."""
    if not billing.iban or invoice.status not in COLLECTIBLE_STATES or invoice.amount_due <= 0:
        return None
    if billing.swiss_qr_bill and invoice.currency in ("CHF", "EUR"):
        kind = "swiss"
    elif billing.epc_qr_code and invoice.currency == "EUR":
        kind = "epc"
    else:
        return None
    return BankTransfer(
        kind=kind,
        creditor_name=billing.legal_name or invoice.site.site_name,
        iban=billing.iban,
        bic=billing.bic,
        amount=invoice.amount_due,
        currency=invoice.currency,
        reference=invoice.number,
        creditor_address=_postal(billing.address, billing.postal_code, billing.city, billing.country),
        debtor_name=invoice.billing_name,
        debtor_address=_postal(
            invoice.billing_address, invoice.billing_postal_code, invoice.billing_city, invoice.billing_country
        ),
    )


def _postal(street, postal_code, city, country):
    return PostalAddress(tuple(street.splitlines()), postal_code, city, country)


def _early_payment(invoice):
    """The early-payment terms as issued: the price of paying everything on the last day of the
    window (what the link binds and the card is charged until then)."""
    if not invoice.early_discount_until:
        return None
    price = early_price(invoice, on=invoice.early_discount_until)
    if price is None:
        return None
    return EarlyPayment(percent=invoice.early_discount_percent, until=invoice.early_discount_until, price=price)


def _instalments(invoice):
    if invoice.status == InvoiceStatus.DRAFT:
        return ()
    return tuple(
        InstalmentRow(number=state.sequence, due_on=state.due_date, amount=state.amount, paid=state.is_paid)
        for state in instalment_states(invoice)
    )


def receipt_document(payment):
    receipt = ReceiptPayment(
        amount=payment.amount,
        method=payment.get_method_display(),
        reference=payment.provider_reference,
        paid_at=payment.created_at,
        refunded=payment.amount_refunded,
    )
    # Dated by the payment, so that a receipt's bytes never change either.
    return replace(invoice_document(payment.invoice, receipt=receipt), created_at=payment.created_at)


def invoice_pdf(invoice, *, pay_url=None):
    return pdf.render_pdf(invoice_document(invoice, pay_url=pay_url))


def receipt_pdf(payment):
    return pdf.render_pdf(receipt_document(payment))


def pdf_filename(invoice, *, receipt=False):
    name = invoice.number or f"draft-{invoice.pk}"
    return f"{'receipt' if receipt else 'invoice'}-{name}.pdf"
