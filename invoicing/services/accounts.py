"""A client's billing account on one website, read-only: what the account pages show. Every
query starts from the (client, website) pair, so that no page can reach another client's rows;
an id that is not theirs is simply not found."""

import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..core.exceptions import ValidationFailed
from ..core.lifecycle import InvoiceStatus
from ..core.money import round_money
from ..models import CreditEntry, CreditNote, Invoice, Payment
from . import documents, statements
from .amounts_due import instalment_states

# A ZIP is made in the request: past this many invoices, narrow the list first.
ARCHIVE_LIMIT = 500


class InvoiceFilter:
    """The invoice list's filters, as the account page offers them."""

    ALL, OPEN, OVERDUE, PAID = "all", "open", "overdue", "paid"
    CHOICES = ((ALL, _("All")), (OPEN, _("Open")), (OVERDUE, _("Overdue")), (PAID, _("Paid")))


@dataclass(frozen=True)
class CurrencySummary:
    currency: str
    due: Decimal  # on open invoices, now
    overdue: Decimal  # of which past the due date
    credit: Decimal  # the client's account credit


def overdue_amount(invoice, today):
    """What of an open invoice's balance is past its date: under a payment plan, the instalments
    past theirs; otherwise all of it once the due date is past."""
    states = instalment_states(invoice)
    if states:
        return sum((state.remaining for state in states if state.is_overdue(today)), Decimal(0))
    return invoice.amount_due if invoice.due_date and invoice.due_date < today else Decimal(0)


class ClientAccount:
    """What ``client`` sees of their billing on their website."""

    def __init__(self, client):
        self.client = client
        self.site = client.site

    def _invoices(self):
        return (
            Invoice.objects.filter(client=self.client, site=self.site)
            .exclude(status=InvoiceStatus.DRAFT)
            .select_related("site", "client", "payment_link")
        )

    def invoices(self, *, show=InvoiceFilter.ALL, search=""):
        """Newest first; ``show`` is one of ``InvoiceFilter``, ``search`` part of a number."""
        invoices = self._invoices()
        if show == InvoiceFilter.OPEN:
            invoices = invoices.filter(status=InvoiceStatus.OPEN)
        elif show == InvoiceFilter.OVERDUE:
            invoices = invoices.overdue()
        elif show == InvoiceFilter.PAID:
            invoices = invoices.filter(status=InvoiceStatus.PAID)
        search = (search or "").strip()
        if search:
            invoices = invoices.filter(number__icontains=search)
        return invoices.order_by("-issued_at", "-pk")

    def invoice(self, pk):
        """One of theirs; ``Invoice.DoesNotExist`` for any other id."""
        return self._invoices().get(pk=pk)

    def payments(self, invoice):
        return (
            invoice.payments.filter(status=Payment.Status.SUCCEEDED)
            .prefetch_related("refunds")
            .order_by("created_at", "pk")
        )

    def payment(self, pk):
        """One of their payments (what a receipt is for); ``Payment.DoesNotExist`` for any other."""
        return (
            Payment.objects.filter(
                invoice__client=self.client, invoice__site=self.site, status=Payment.Status.SUCCEEDED
            )
            .exclude(invoice__status=InvoiceStatus.DRAFT)
            .select_related("invoice__site", "invoice__client")
            .get(pk=pk)
        )

    def credit_notes(self):
        """Their credit notes, newest first (of their invoices on this website)."""
        return CreditNote.objects.filter(client=self.client, site=self.site).select_related("invoice", "site")

    def credit_note(self, pk):
        """One of their credit notes; ``CreditNote.DoesNotExist`` for any other id."""
        return self.credit_notes().get(pk=pk)

    def summary(self):
        """Per currency: what is due now, what of it is overdue, and the account credit."""
        today = timezone.localdate()
        due = defaultdict(Decimal)
        overdue = defaultdict(Decimal)
        for invoice in self._invoices().filter(status=InvoiceStatus.OPEN).prefetch_related("instalments"):
            due[invoice.currency] += invoice.amount_due
            overdue[invoice.currency] += overdue_amount(invoice, today)
        credit = {
            row["currency"]: row["total"]
            for row in CreditEntry.objects.filter(client=self.client).values("currency").annotate(total=Sum("amount"))
        }
        currencies = sorted(set(due) | {currency for currency, total in credit.items() if total})
        return [
            CurrencySummary(
                currency=currency,
                due=round_money(due[currency], currency),
                overdue=round_money(overdue[currency], currency),
                credit=round_money(credit.get(currency) or 0, currency),
            )
            for currency in currencies
        ]

    def statement(self, *, start, end):
        return statements.build_statement(self.client, start=start, end=end)

    def pdf_archive(self, invoices):
        """A ZIP of the PDFs of ``invoices`` (a list from ``invoices()``), as a temporary file."""
        invoices = list(invoices.filter(Q(client=self.client, site=self.site))[: ARCHIVE_LIMIT + 1])
        if not invoices:
            raise ValidationFailed(_("No invoice matches this list, so there is nothing to download."))
        if len(invoices) > ARCHIVE_LIMIT:
            raise ValidationFailed(
                _("This list has more than %(limit)s invoices; narrow it down first (filter or search).")
                % {"limit": ARCHIVE_LIMIT}
            )
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - the response streams it, then closes it
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for invoice in invoices:
                archive.writestr(documents.pdf_filename(invoice), documents.invoice_pdf(invoice))
        spool.seek(0)
        return spool
