"""E-invoices: an issued invoice or a credit note as EN 16931 data, and its XML in either syntax
(CII, what Factur-X / ZUGFeRD PDFs carry, or UBL for Peppol BIS Billing 3.0).

An e-invoice says what the invoice said when it was issued, with the payments received so far:
credit notes are e-invoices of their own (type 381, naming the invoice), and an early-payment
discount the client took stays a payment matter, as in the buyer's books. Its figures are those the
PDF and the database show (``einvoice_amounts``).
"""

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..core.addresses import compact_iban, split_endpoint
from ..core.exceptions import ValidationFailed
from ..core.lifecycle import InvoiceStatus
from ..core.money import format_money
from ..core.tax import charges_tax, is_vat_id, normalise_vat_id
from ..einvoice import cii, ubl
from ..einvoice.document import (
    CREDIT_NOTE,
    CREDIT_TRANSFER,
    EMAIL_SCHEME,
    INVOICE,
    ONLINE_PAYMENT,
    SEPA_CREDIT_TRANSFER,
    Address,
    EInvoice,
    PaymentMeans,
    Totals,
    TradeParty,
)
from ..models import BillingSettings, CreditNote
from .amounts_due import instalment_states
from .credit_note_lines import credit_note_totals, settlement_rows
from .einvoice_amounts import NotRepresentable, category_of, figures, two_places
from .invoice_totals import invoice_totals, tax_treatment_of
from .invoices import describe

SYNTAXES = {"cii": cii.to_cii, "ubl": ubl.to_ubl}


class EInvoiceUnavailable(ValidationFailed):
    """What an e-invoice needs and this invoice or its website lacks, said for people."""

    code = "einvoice_unavailable"


def einvoices_on(site) -> bool:
    return BillingSettings.for_site(site).einvoices_enabled


def einvoice_xml(document, syntax: str = "cii") -> bytes:
    """``document`` (an issued ``Invoice`` or a ``CreditNote``) in ``syntax``, "cii" or "ubl"."""
    if syntax not in SYNTAXES:
        raise ValidationFailed(_("Ask for the syntax “cii” or “ubl”."))
    einvoice = credit_note_einvoice(document) if isinstance(document, CreditNote) else invoice_einvoice(document)
    return SYNTAXES[syntax](einvoice)


def einvoice_filename(document, syntax: str = "cii") -> str:
    kind = "credit-note" if isinstance(document, CreditNote) else "invoice"
    return f"{kind}-{document.number}-{syntax}.xml"


# -- invoices ------------------------------------------------------------------------------------------


def invoice_einvoice(invoice, *, billing=None, lines=None) -> EInvoice:
    """The issued ``invoice`` as EN 16931 data. ``billing`` and ``lines``, when the caller has them,
    save their queries. Raises ``EInvoiceUnavailable`` saying what is missing."""
    if invoice.status == InvoiceStatus.DRAFT:
        raise EInvoiceUnavailable(
            _("%(invoice)s is a draft: e-invoices are made when it is issued.") % {"invoice": describe(invoice)}
        )
    billing = billing or BillingSettings.for_site(invoice.site)
    lines = list(invoice.lines.all()) if lines is None else lines
    with translation.override(translation.to_language(billing.locale)):
        return _einvoice(
            invoice,
            invoice,
            billing,
            lines,
            invoice_totals(invoice, lines),
            type_code=INVOICE,
            prepaid=invoice.amount_paid,
            due_date=invoice.due_date,
            payment_terms=_payment_terms(invoice),
            payment_means=_payment_means(billing, invoice.currency),
            notes=tuple(note for note in (invoice.title, invoice.description) if note),
        )


def _einvoice(document, invoice, billing, lines, totals, *, type_code, prepaid, **fields) -> EInvoice:
    """What an invoice's and a credit note's e-invoices share: ``document`` is either, ``invoice``
    the invoice (whose client, tax treatment and discount a credit note follows)."""
    taxed = charges_tax(tax_treatment_of(invoice))
    parts = _figures(document, _rows(lines, taxed), totals, invoice)
    return EInvoice(
        number=document.number,
        type_code=type_code,
        issue_date=timezone.localtime(document.issued_at).date(),
        currency=document.currency,
        seller=seller(document.site, billing),
        buyer=buyer(invoice),
        lines=parts.lines,
        allowances=parts.allowances,
        vat_breakdown=parts.breakdown,
        totals=_totals(document, parts, totals, prepaid=prepaid),
        remittance_information=document.number,
        buyer_reference=invoice.buyer_reference,
        **fields,
    )


def _rows(lines, taxed):
    """Each line as ``(name, quantity, unit price, rate)``, at 0 % where the treatment charges no tax."""
    return [(line.description, line.quantity, line.unit_price, line.tax_rate if taxed else 0) for line in lines]


def _figures(document, lines, totals, invoice):
    category = category_of(invoice.tax_treatment, invoice.tax_exemption_reason, _("Reverse charge"))
    try:
        return figures(
            lines,
            totals,
            invoice.currency,
            prices_include_tax=invoice.prices_include_tax,
            rounding=invoice.tax_rounding,
            category=category,
            discount_reason=invoice.discount_label or _("Discount"),
        )
    except NotRepresentable as exc:
        raise EInvoiceUnavailable(
            _(
                "%(document)s has the amount %(amount)s, and EN 16931 allows two decimals at most: bill in "
                "multiples of %(step)s %(currency)s to make e-invoices in %(currency)s."
            )
            % {"document": document.number, "amount": exc.amount, "step": "0.01", "currency": invoice.currency}
        ) from exc


def _totals(document, parts, totals, *, prepaid) -> Totals:
    try:
        return Totals(
            line_total=parts.line_total,
            allowance_total=parts.allowance_total,
            tax_exclusive=two_places(totals.subtotal),
            tax_total=two_places(totals.tax),
            tax_inclusive=two_places(totals.total),
            prepaid=two_places(prepaid),
            payable=two_places(totals.total - prepaid),
        )
    except NotRepresentable as exc:  # a total of representable parts always is; a payment may not be
        raise EInvoiceUnavailable(
            _("%(document)s has the amount %(amount)s, and EN 16931 allows two decimals at most.")
            % {"document": document.number, "amount": exc.amount}
        ) from exc


def _payment_terms(invoice) -> str:
    currency = invoice.currency
    terms = []
    if invoice.due_date:
        terms.append(_("Payable by %(date)s.") % {"date": invoice.due_date.isoformat()})
    instalments = instalment_states(invoice)
    if instalments:
        terms.append(
            _("In %(count)s instalments: %(rows)s.")
            % {
                "count": len(instalments),
                "rows": "; ".join(
                    f"{state.due_date.isoformat()} {format_money(state.amount, currency)}" for state in instalments
                ),
            }
        )
    if invoice.early_discount_until and invoice.early_discount_percent:
        terms.append(
            _("%(percent)s %% discount if paid in full by %(date)s.")
            % {"percent": f"{invoice.early_discount_percent.normalize():f}", "date": invoice.early_discount_until}
        )
    return " ".join(terms)


def _payment_means(billing, currency) -> tuple[PaymentMeans, ...]:
    """How to pay: by transfer where the website has a bank account, else online through the pay
    link. One kind only: CII allows a single payment means code per invoice (CII-SR-467)."""
    if billing.iban:
        return (
            PaymentMeans(
                code=SEPA_CREDIT_TRANSFER if currency == "EUR" else CREDIT_TRANSFER,
                text=_("Bank transfer"),
                iban=compact_iban(billing.iban),
                bic=billing.bic,
                account_name=billing.legal_name,
            ),
        )
    if billing.stripe_enabled:
        return (PaymentMeans(code=ONLINE_PAYMENT, text=_("Card, through the payment link of the invoice")),)
    return ()


# -- credit notes --------------------------------------------------------------------------------------


def credit_note_einvoice(note, *, billing=None) -> EInvoice:
    invoice = note.invoice
    billing = billing or BillingSettings.for_site(note.site)
    with translation.override(translation.to_language(billing.locale)):
        settlement = "; ".join(
            f"{label}: {format_money(amount, note.currency)}" for label, amount in settlement_rows(note)
        )
        return _einvoice(
            note,
            invoice,
            billing,
            list(note.lines.all()),
            credit_note_totals(note),
            type_code=CREDIT_NOTE,
            prepaid=0,
            payment_terms=settlement,
            preceding_invoice=invoice.number,
            preceding_invoice_date=timezone.localtime(invoice.issued_at).date(),
            notes=(note.reason,),
        )


# -- parties -------------------------------------------------------------------------------------------


def _vat_id(value: str) -> str:
    """``value`` compact when it is a valid VAT id with its country prefix, else ""."""
    return normalise_vat_id(value) if value and is_vat_id(value) else ""


def _street_lines(text: str) -> tuple[str, ...]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return tuple(lines[:2]) + ((", ".join(lines[2:]),) if len(lines) > 2 else ())


def _endpoint(electronic_address: str, email: str) -> tuple[str, str]:
    scheme, identifier = split_endpoint(electronic_address)
    return (scheme, identifier) if scheme else ((EMAIL_SCHEME, email) if email else ("", ""))


def seller(site, billing) -> TradeParty:
    if missing := billing.einvoice_missing():
        raise EInvoiceUnavailable(
            _("E-invoices of %(site)s need, in Settings → Billing: %(fields)s.")
            % {"site": site.site_name or site.hostname, "fields": ", ".join(missing)}
        )
    vat_id = _vat_id(billing.tax_id)
    email = billing.reply_to or billing.sender_email
    scheme, identifier = _endpoint(billing.electronic_address, email)
    return TradeParty(
        name=billing.legal_name,
        address=Address(
            country=billing.country,
            lines=_street_lines(billing.address),
            city=billing.city,
            postal_code=billing.postal_code,
        ),
        vat_id=vat_id,
        tax_id="" if vat_id else billing.tax_id,
        legal_registration_id=billing.legal_registration_id,
        email=email,
        endpoint_scheme=scheme,
        endpoint_id=identifier,
    )


def buyer(invoice) -> TradeParty:
    """The client as the invoice was issued to them. Invoices issued before clients had a country
    take the client's present postal details."""
    client = invoice.client
    country = invoice.billing_country or client.country
    if not country:
        raise EInvoiceUnavailable(
            _("E-invoices need the client's country: give %(client)s one under Clients, then download again.")
            % {"client": client.name}
        )
    snapshot = bool(invoice.billing_country)
    scheme, identifier = _endpoint(invoice.billing_electronic_address, invoice.billing_email)
    return TradeParty(
        name=invoice.billing_name,
        address=Address(
            country=country,
            lines=_street_lines(invoice.billing_address),
            city=invoice.billing_city if snapshot else client.city,
            postal_code=invoice.billing_postal_code if snapshot else client.postal_code,
        ),
        vat_id=_vat_id(invoice.billing_tax_id),
        email=invoice.billing_email,
        endpoint_scheme=scheme,
        endpoint_id=identifier,
    )
