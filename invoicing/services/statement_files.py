"""A statement of account as files the client downloads: CSV for a spreadsheet, and PDF."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _

from ..core.money import exponent, round_money
from ..models import BillingSettings, InvoiceEmailTemplatePage
from ..pdf import statement as pdf
from ..pdf.document import Branding
from .documents import client_party, seller_party
from .statements import Statement

# A cell a spreadsheet would run as a formula; a leading quote keeps it text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _figure(amount, currency):
    # "+ 0" turns a negative zero into a plain one.
    return "" if amount is None else f"{round_money(amount, currency) + 0:.{exponent(currency)}f}"


def _text(value):
    value = str(value)
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def statement_csv(statement: Statement) -> bytes:
    """One row per line, with an opening and a closing row per currency; UTF-8 with a BOM, so that
    Excel reads it as UTF-8. Text cells that a spreadsheet would run as formulas are quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [_("Currency"), _("Date"), _("Kind"), _("Invoice"), _("Description"), _("Amount"), _("Memo"), _("Balance")]
    )
    for section in statement.currencies:
        # (day, kind, invoice number, description, amount, memo, balance)
        rows = [(statement.start, "opening", "", _("Opening balance"), None, None, section.opening_balance)]
        rows += [
            (
                timezone.localtime(line.when).date(),
                line.kind,
                line.invoice_number,
                line.description,
                line.amount,
                line.memo,
                line.balance,
            )
            for line in section.lines
        ]
        rows.append((statement.end, "closing", "", _("Closing balance"), None, None, section.closing_balance))
        for day, kind, number, description, *amounts in rows:
            figures = [_figure(amount, section.currency) for amount in amounts]
            writer.writerow([section.currency, day.isoformat(), kind, _text(number), _text(description), *figures])
    return buffer.getvalue().encode("utf-8-sig")


def statement_document(statement: Statement) -> pdf.StatementDocument:
    """What the statement's PDF shows, as plain data for ``pdf.statement``."""
    site, client = statement.site, statement.client
    billing = BillingSettings.for_site(site)
    template = InvoiceEmailTemplatePage.for_site(site)
    return pdf.StatementDocument(
        seller=seller_party(site, billing),
        client=client_party(client, billing.locale),
        start=statement.start,
        end=statement.end,
        sections=tuple(
            pdf.StatementSection(
                currency=section.currency,
                opening_balance=section.opening_balance,
                rows=tuple(
                    pdf.StatementRow(
                        day=timezone.localtime(line.when).date(),
                        kind=line.kind,
                        document=line.invoice_number,
                        description=line.description,
                        amount=line.amount,
                        memo=line.memo,
                        balance=line.balance,
                    )
                    for line in section.lines
                ),
                invoiced=section.invoiced,
                paid=section.paid,
                refunded=section.refunded,
                closed=section.closed,
                closing_balance=section.closing_balance,
                outstanding=section.outstanding,
                credit=section.credit,
            )
            for section in statement.currencies
        ),
        issued_on=timezone.localdate(),
        created_at=timezone.now(),
        locale=billing.locale,
        paper_size=billing.paper_size,
        branding=template.as_branding() if template else Branding(),
    )


def statement_pdf(statement: Statement) -> bytes:
    return pdf.render_statement(statement_document(statement))


def statement_filename(statement: Statement, ext: str) -> str:
    return f"statement-{statement.start.isoformat()}-{statement.end.isoformat()}.{ext.lstrip('.')}"
