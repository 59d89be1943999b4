"""Credit notes as documents: the data ``pdf.credit_note`` renders, and the PDF bytes."""

from django.utils import timezone

from ..core.totals import line_total
from ..models import BillingSettings, InvoiceEmailTemplatePage
from ..pdf.credit_note import CreditNoteDocument, render_credit_note_pdf
from ..pdf.document import Branding, DocumentLine, TaxRow
from .credit_note_lines import credit_note_totals, settlement_rows
from .documents import billed_party, factur_x, seller_party
from .einvoices import credit_note_einvoice


def credit_note_document(note):
    invoice = note.invoice
    billing = BillingSettings.for_site(note.site)
    template = InvoiceEmailTemplatePage.for_site(note.site)
    totals = credit_note_totals(note)
    return CreditNoteDocument(
        number=note.number,
        title="",
        currency=note.currency,
        seller=seller_party(note.site, billing),
        client=billed_party(invoice, billing.locale),
        lines=tuple(
            DocumentLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                total=line_total(line.quantity, line.unit_price, note.currency),
            )
            for line in note.lines.all()
        ),
        subtotal=note.subtotal,
        taxes=tuple(TaxRow(rate=row.rate, base=row.base, tax=row.tax) for row in totals.by_rate if row.tax or row.rate),
        total=note.total,
        amount_paid=0,
        amount_due=0,
        created_at=note.issued_at,
        issued_on=timezone.localtime(note.issued_at).date(),
        locale=billing.locale,
        paper_size=billing.paper_size,
        branding=template.as_branding() if template else Branding(),
        invoice_number=invoice.number,
        reason=note.reason,
        settlement=settlement_rows(note),
        factur_x=factur_x(billing, lambda: credit_note_einvoice(note, billing=billing), note.number),
    )


def credit_note_pdf(note):
    return render_credit_note_pdf(credit_note_document(note))


def credit_note_filename(note):
    return f"credit-note-{note.number}.pdf"
