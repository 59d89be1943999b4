"""The words and figures of a PDF in its document's locale (amounts, numbers, dates, cached: a
document repeats them), and the file's metadata (title, author, dates from the document)."""

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import format_decimal
from django.utils.translation import pgettext
from reportlab.pdfgen.canvas import Canvas

from ..core.money import format_money
from .document import InvoiceDocument

CREATOR = "wagtail-invoicing (reportlab)"


def document_title(document: InvoiceDocument) -> str:
    if document.receipt is not None:
        return pgettext("pdf", "Receipt for invoice %(number)s") % {"number": document.number}
    return (
        pgettext("pdf", "Invoice %(number)s") % {"number": document.number}
        if document.number
        else pgettext("pdf", "Draft invoice")
    )


def set_metadata(canvas: Canvas, document: InvoiceDocument) -> None:
    canvas.setTitle(document_title(document))
    canvas.setAuthor(document.seller.name)
    canvas.setSubject(document.number or pgettext("pdf", "Draft"))
    canvas.setCreator(CREATOR)
    # Invariant mode would write 2000-01-01; the formatter replaces it with the document's own time.
    created = pdf_date(document.created_at)
    canvas.setDateFormatter(lambda *_ignored: created)


def pdf_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        return moment.strftime("D:%Y%m%d%H%M%S")
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


@lru_cache(maxsize=4096)
def money(amount: Decimal, currency: str, locale: str) -> str:
    return format_money(amount, currency, locale)


@lru_cache(maxsize=1024)
def number(value: Decimal, locale: str) -> str:
    return format_decimal(value, locale=locale)


@lru_cache(maxsize=1024)
def day(value: date, locale: str) -> str:
    return format_date(value, format="medium", locale=locale)


@lru_cache(maxsize=256)
def long_day(value: date, locale: str) -> str:
    """A date in words, e.g. "17 December 2026", for terms written as a sentence."""
    return format_date(value, format="long", locale=locale)
