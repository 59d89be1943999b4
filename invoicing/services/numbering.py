"""Gapless invoice numbers per website, assigned at issue time under a row lock."""

from django.utils import timezone

from ..core.number_format import render_number, uses_year
from ..models import BillingSettings, InvoiceSequence


def assign_number(invoice) -> str:
    """Hand out the next number for the invoice's site. Call inside the issuing transaction, so
    that a rollback gives the number back and no gap appears."""
    billing = BillingSettings.for_site(invoice.site)
    year = timezone.localdate().year
    period = str(year) if uses_year(billing.number_format) else ""
    InvoiceSequence.objects.get_or_create(site=invoice.site, period=period)
    sequence = InvoiceSequence.objects.select_for_update().get(site=invoice.site, period=period)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return render_number(billing.number_format, prefix=billing.number_prefix, year=year, number=sequence.last_number)
