"""Gapless numbers per website and document kind (invoices, credit notes), assigned at issue
time under a row lock."""

from django.utils import timezone

from ..core.number_format import render_number, uses_year
from ..models import BillingSettings, InvoiceSequence


def assign_number(invoice) -> str:
    """Hand out the next number for the invoice's site. Call inside the issuing transaction, so
    that a rollback gives the number back and no gap appears."""
    billing = BillingSettings.for_site(invoice.site)
    return _next_number(invoice.site, InvoiceSequence.INVOICE, billing.number_format, billing.number_prefix)


def assign_credit_note_number(credit_note) -> str:
    """The next number of the credit note's site in its own sequence; inside the issuing transaction."""
    billing = BillingSettings.for_site(credit_note.site)
    return _next_number(
        credit_note.site, InvoiceSequence.CREDIT_NOTE, billing.credit_note_number_format, billing.number_prefix
    )


def _next_number(site, document, number_format, prefix) -> str:
    year = timezone.localdate().year
    period = str(year) if uses_year(number_format) else ""
    InvoiceSequence.objects.get_or_create(site=site, document=document, period=period)
    sequence = InvoiceSequence.objects.select_for_update().get(site=site, document=document, period=period)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return render_number(number_format, prefix=prefix, year=year, number=sequence.last_number)
