"""Credit note PDFs: ``render_credit_note_pdf(document)`` draws a ``CreditNoteDocument`` with the
invoice PDF's layout (header, parties, lines table, footer), in place of whose totals and
payment section it prints the credit's totals, its reason and how its money was settled.

Like ``render.py``, it sees only the document, never a model; the same document gives the same bytes.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import pgettext

from . import words
from .canvas import BLACK, Pen
from .document import InvoiceDocument
from .facturx import embed_factur_x
from .layout import Block
from .render import _DocumentLayout, draw_document


@dataclass(frozen=True)
class CreditNoteDocument(InvoiceDocument):
    """An ``InvoiceDocument`` whose ``number`` is the credit note's and whose totals are the credit's."""

    invoice_number: str = ""
    reason: str = ""
    # (label, amount) rows: what was taken off the invoice's balance, added to credit, refunded.
    settlement: tuple[tuple[str, Decimal], ...] = field(default_factory=tuple)


def credit_note_title(document: CreditNoteDocument) -> str:
    return pgettext("pdf", "Credit note %(number)s") % {"number": document.number}


def render_credit_note_pdf(document: CreditNoteDocument) -> bytes:
    def draw(canvas, pen, page_size):
        words.set_metadata(canvas, document)
        canvas.setTitle(credit_note_title(document))
        _CreditNoteLayout(document, pen, *page_size).draw()
        if document.factur_x:  # its XML is a credit note (type code 381); the XMP still says INVOICE
            embed_factur_x(canvas, document.factur_x, document.created_at)

    return draw_document(document, draw)


class _CreditNoteLayout(_DocumentLayout):
    def __init__(self, document: CreditNoteDocument, pen: Pen, page_width: float, page_height: float):
        super().__init__(document, pen, page_width, page_height)
        self.label = pgettext("pdf", "Credit note")

    def meta_rows(self) -> list[tuple[str, str]]:
        document = self.document
        rows = [
            (pgettext("pdf", "Issue date"), self.day(document.issued_on)),
            (pgettext("pdf", "Credits invoice"), document.invoice_number),
        ]
        return [(label, value) for label, value in rows if value]

    def invoice_blocks(self) -> list[Block]:
        document = self.document
        blocks = self.text_blocks(
            pgettext("pdf", "Credits invoice %(number)s") % {"number": document.invoice_number}, self.bold, 12, 16
        )
        blocks += self.text_blocks(
            pgettext("pdf", "Reason: %(reason)s") % {"reason": document.reason}, self.regular, 9, 12
        )
        blocks.append(self.spacer(10))
        for line in document.lines:
            blocks += self.line_blocks(line)
        blocks.append(self.credit_totals_block())
        if document.settlement:
            blocks += [self.spacer(8), *self.text_blocks(pgettext("pdf", "Settlement"), self.bold, 9.5, 16, self.brand)]
            blocks += [self.label_row(label, self.money(amount)) for label, amount in document.settlement]
        return blocks

    def credit_totals_block(self) -> Block:
        document = self.document
        rows = [(pgettext("pdf", "Subtotal"), document.subtotal, "")]
        rows += [
            (
                pgettext("pdf", "Tax %(rate)s on %(base)s")
                % {"rate": self.rate(row.rate), "base": self.money(row.base)},
                row.tax,
                "",
            )
            for row in document.taxes
        ]
        rows.append((pgettext("pdf", "Total credited"), document.total, "total"))

        def draw(top: float) -> None:
            pen, label_x = self.pen, self.right - 250
            for index, (label, amount, style) in enumerate(rows):
                baseline = top - 22 - index * 15
                if style == "total":
                    pen.hline(label_x, self.right, baseline + 10.5, BLACK, 0.75)
                font = self.bold if style else self.regular
                pen.text(label_x + 5, baseline, label, font, 9)
                pen.text_right(self.amount_right, baseline, self.money(amount), font, 9)

        return Block(12 + len(rows) * 15 + 8, draw, keep_with_previous=True)
