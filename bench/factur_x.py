"""The Factur-X PDF's part of ``bench/pdf.py``: the bench invoice in EN 16931's model, the PDF that
carries it, and medians taken in turn with the plain PDF's."""

import statistics
import time
from dataclasses import replace
from decimal import Decimal

from invoicing.einvoice import document as en16931
from invoicing.einvoice.cii import to_cii
from invoicing.pdf.document import InvoiceDocument


def make_einvoice(document: InvoiceDocument) -> en16931.EInvoice:
    """The bench invoice in EN 16931's model, by hand, as ``services/einvoices.py`` makes it from an
    invoice: German seller, American buyer, standard-rated lines, paid by SEPA transfer."""
    seller = en16931.TradeParty(
        document.seller.name,
        en16931.Address("DE", ("Hauptstraße 5",), "Berlin", "10115"),
        vat_id=document.seller.tax_id,
        email=document.seller.email,
    )
    buyer = en16931.TradeParty(document.client.name, en16931.Address("US", (document.client.address.split("\n")[0],)))
    lines = tuple(
        en16931.Line(
            str(n), line.description, line.quantity, line.unit_price, line.total, en16931.STANDARD, line.tax_rate
        )
        for n, line in enumerate(document.lines, start=1)
    )
    breakdown = tuple(en16931.VatBreakdown(en16931.STANDARD, tax.rate, tax.base, tax.tax) for tax in document.taxes)
    tax_total = sum((tax.tax for tax in document.taxes), Decimal(0))
    totals = en16931.Totals(
        document.subtotal, Decimal(0), document.subtotal, tax_total, document.total, Decimal(0), document.total
    )
    transfer = en16931.PaymentMeans(en16931.SEPA_CREDIT_TRANSFER, iban="DE89370400440532013000", bic="COBADEFFXXX")
    return en16931.EInvoice(
        number=document.number,
        type_code=en16931.INVOICE,
        issue_date=document.issued_on,
        currency=document.currency,
        seller=seller,
        buyer=buyer,
        lines=lines,
        vat_breakdown=breakdown,
        totals=totals,
        due_date=document.due_on,
        payment_means=(transfer,),
        remittance_information=document.number,
    )


def render_factur_x(document: InvoiceDocument) -> bytes:
    """What a Factur-X download costs: the XML written from the invoice's data, then the PDF carrying it."""
    from invoicing.pdf.render import render_pdf

    return render_pdf(replace(document, factur_x=to_cii(make_einvoice(document))))


def paired_medians_ms(*renders) -> list[float]:
    """The median of each (render, documents), the renders taking turns document by document: their
    ratio holds on a machine whose load changes during the run, where two runs one after the other
    can differ by more than what is measured. Give each render documents of its own where a first
    render would warm the caches for the other (a new pay link's QR code)."""
    times = [[] for _ in renders]
    for documents in zip(*(documents for _render, documents in renders), strict=True):
        for (render, _documents), document, runs in zip(renders, documents, times, strict=True):
            start = time.perf_counter()
            render(document)
            runs.append(time.perf_counter() - start)
    return [statistics.median(runs) * 1000 for runs in times]
