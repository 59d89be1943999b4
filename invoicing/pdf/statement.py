"""A client's statement of account as a PDF: ``render_statement(document)`` turns a
``StatementDocument`` into bytes.

Like ``render.py``, it sees only plain data (built by ``services/statements.py``), lays out every
page before drawing any, and draws with ``canvas.Pen`` in the document's locale. Each currency is a
table of its own (continued across pages under repeated column headings), closed by a summary.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import pgettext
from reportlab.pdfgen.canvas import Canvas

from . import words
from .canvas import BLACK, WHITE, Pen, load_logo, rgb, tint
from .document import Branding, Party
from .layout import Block, paginate, wrap
from .render import (
    BOTTOM,
    CONTINUED_HEADER_HEIGHT,
    GREY,
    HEADING_HEIGHT,
    LOGO_HEIGHT,
    LOGO_WIDTH,
    MARGIN,
    MAX_PARTY_LINES,
    ROW_LEADING,
    ROW_PADDING,
    RULE,
    TOP,
    draw_document,
)

# The table's columns, in points: date, document and the three figures; the description takes the rest.
DATE_WIDTH, DOCUMENT_WIDTH, FIGURE_WIDTH, BALANCE_WIDTH = 62, 84, 72, 80
ROW_SIZE = 8.5
MAX_DESCRIPTION_LINES = 12
SECTION_TITLE_HEIGHT = 26
# Above the repeated column headings of a table that goes on from the page before: its currency.
CONTINUED_TITLE_HEIGHT = 16
SUMMARY_LEADING = 15


@dataclass(frozen=True)
class StatementRow:
    day: date
    kind: str  # invoice, payment, credit_payment, early_discount, credit_note, refund, write_off, void, credit
    document: str  # the invoice's number
    description: str
    amount: Decimal  # the change of the balance: a charge when positive, a payment when negative
    balance: Decimal
    memo: Decimal | None = None  # money moved that the balance does not show in full


@dataclass(frozen=True)
class StatementSection:
    currency: str
    opening_balance: Decimal
    rows: tuple[StatementRow, ...]
    invoiced: Decimal
    paid: Decimal
    refunded: Decimal
    closed: Decimal
    closing_balance: Decimal
    outstanding: Decimal
    credit: Decimal


@dataclass(frozen=True)
class StatementDocument:
    seller: Party
    client: Party
    start: date
    end: date
    sections: tuple[StatementSection, ...]
    issued_on: date
    created_at: datetime  # the file's creation date
    locale: str = "en_US"
    paper_size: str = "A4"
    branding: Branding = field(default_factory=Branding)


@dataclass(frozen=True)
class _TableBlock(Block):
    table: str = ""  # the currency whose table the block is part of
    heads: bool = False  # draws its own column headings


def render_statement(document: StatementDocument) -> bytes:
    def draw(canvas, pen, page_size):
        _set_metadata(canvas, document)
        _StatementLayout(document, pen, *page_size).draw()

    return draw_document(document, draw)


def _set_metadata(canvas: Canvas, document: StatementDocument) -> None:
    canvas.setTitle(pgettext("pdf", "Statement of account, %(client)s") % {"client": document.client.name})
    canvas.setAuthor(document.seller.name)
    canvas.setSubject(f"{document.start.isoformat()} – {document.end.isoformat()}")
    canvas.setCreator(words.CREATOR)
    created = words.pdf_date(document.created_at)
    canvas.setDateFormatter(lambda *_ignored: created)


class _StatementLayout:
    def __init__(self, document: StatementDocument, pen: Pen, page_width: float, page_height: float):
        self.document, self.pen = document, pen
        self.regular, self.bold = pen.fonts
        self.page_width, self.page_height = page_width, page_height
        self.left, self.right = MARGIN, page_width - MARGIN
        self.width = self.right - self.left
        self.brand = rgb(document.branding.brand_color)
        self.accent = rgb(document.branding.accent_color, fallback="#f59e0b")
        self.logo = load_logo(document.branding.logo_path)
        self.date_x = self.left + 5
        self.document_x = self.left + DATE_WIDTH
        self.description_x = self.document_x + DOCUMENT_WIDTH
        self.balance_right = self.right - 5
        self.payments_right = self.balance_right - BALANCE_WIDTH
        self.charges_right = self.payments_right - FIGURE_WIDTH
        self.description_width = self.charges_right - FIGURE_WIDTH - self.description_x
        self.footer_lines = wrap(document.branding.footer, self.regular, 7.5, self.width - 90)[:6]
        self.footer_height = max(len(self.footer_lines), 1) * 9.5 + 10
        column = (self.width - 24) / 2
        self.parties = (
            (self.left, self.party_lines(pgettext("pdf", "From"), document.seller, column)),
            (self.left + column + 24, self.party_lines(pgettext("pdf", "Statement for"), document.client, column)),
        )

    def money(self, amount: Decimal, currency: str) -> str:
        return words.money(amount, currency, self.document.locale)

    def day(self, value: date) -> str:
        return words.day(value, self.document.locale)

    # -- pages ----------------------------------------------------------------------------------------

    def draw(self) -> None:
        bottom = BOTTOM + self.footer_height + 10
        first_top = self.page_height - TOP - self.first_header_height()
        later_top = self.page_height - TOP - CONTINUED_HEADER_HEIGHT
        heading = CONTINUED_TITLE_HEIGHT + HEADING_HEIGHT
        pages = paginate(self.body(), first_top - bottom, later_top - bottom, heading)
        for number, blocks in enumerate(pages, start=1):
            self.pen.fill_rect(0, self.page_height - 6, self.page_width, 6, self.brand)
            if number == 1:
                self.draw_first_header()
            else:
                self.draw_continued_header()
            y, table = first_top if number == 1 else later_top, None
            for block in blocks:
                if isinstance(block, _TableBlock):
                    # A table that goes on from the page before gets its column headings again.
                    if block.table != table and not block.heads:
                        self.draw_continued_table(y, block.table)
                        y -= heading
                    table = block.table
                block.draw(y)
                y -= block.height
            self.draw_footer(number, len(pages))
            self.pen.canvas.showPage()

    def party_lines(self, heading: str, party: Party, column: float) -> list[tuple[str, object, float, str]]:
        lines = [(heading.upper(), self.bold, 7, GREY)]
        lines += [(line, self.bold, 10, BLACK) for line in wrap(party.name, self.bold, 10, column)]
        tax_id = pgettext("pdf", "Tax ID: %(tax_id)s") % {"tax_id": party.tax_id} if party.tax_id else ""
        for text in (party.address, tax_id, party.email):
            if text:
                lines += [(line, self.regular, 8.5, BLACK) for line in wrap(text, self.regular, 8.5, column)]
        return lines[:MAX_PARTY_LINES]

    def meta_rows(self) -> list[tuple[str, str]]:
        document = self.document
        return [
            (pgettext("pdf", "Period start"), self.day(document.start)),
            (pgettext("pdf", "Period end"), self.day(document.end)),
            (pgettext("pdf", "Date"), self.day(document.issued_on)),
        ]

    def top_row_height(self) -> float:
        return max(LOGO_HEIGHT, 30 + len(self.meta_rows()) * 11.5)

    def first_header_height(self) -> float:
        return self.top_row_height() + 12 + 16 + max(len(lines) for _, lines in self.parties) * 11.5 + 12

    def draw_first_header(self) -> None:
        pen, document, top = self.pen, self.document, self.page_height - TOP
        if self.logo is not None:
            scale = min(LOGO_WIDTH / self.logo.width, LOGO_HEIGHT / self.logo.height)
            width, height = self.logo.width * scale, self.logo.height * scale
            pen.image(self.logo, self.left, top - height, width, height)
        else:
            for index, line in enumerate(wrap(document.seller.name, self.bold, 15, LOGO_WIDTH)[:2]):
                pen.text(self.left, top - 16 - index * 18, line, self.bold, 15, self.brand)
        pen.text_right(self.right, top - 16, pgettext("pdf", "Statement of account").upper(), self.bold, 17, self.brand)
        for index, (label, value) in enumerate(self.meta_rows()):
            y = top - 32 - index * 11.5
            pen.text(self.right - 160, y, label, self.regular, 8, GREY)
            pen.text_right(self.right, y, value, self.regular, 8.5)
        y = top - self.top_row_height() - 12
        pen.fill_rect(self.left, y, self.width, 1.5, self.accent)
        y -= 16
        for x, lines in self.parties:
            for index, (text, font, size, colour) in enumerate(lines):
                pen.text(x, y - index * 11.5, text, font, size, colour)

    def draw_continued_header(self) -> None:
        pen, top = self.pen, self.page_height - TOP
        seller = wrap(self.document.seller.name, self.bold, 10, self.width / 2 - 10)[0]
        client = wrap(self.document.client.name, self.bold, 10, self.width / 2 - 10)[0]
        pen.text(self.left, top - 12, seller, self.bold, 10)
        pen.text_right(self.right, top - 12, client, self.bold, 10, self.brand)
        pen.fill_rect(self.left, top - 20, self.width, 1, self.accent)

    def draw_continued_table(self, top: float, currency: str) -> None:
        title = pgettext("pdf", "Account in %(currency)s (continued)") % {"currency": currency}
        self.pen.text(self.left, top - 10, title, self.bold, 9, self.brand)
        self.draw_column_headings(top - CONTINUED_TITLE_HEIGHT)

    def draw_column_headings(self, top: float) -> None:
        pen, y = self.pen, top - 12
        pen.fill_rect(self.left, top - HEADING_HEIGHT, self.width, HEADING_HEIGHT, self.brand)
        for x, text in (
            (self.date_x, pgettext("pdf", "Date")),
            (self.document_x, pgettext("pdf", "Document")),
            (self.description_x, pgettext("pdf", "Description")),
        ):
            pen.text(x, y, text, self.bold, 8, WHITE)
        for right, text in (
            (self.charges_right, pgettext("pdf", "Charges")),
            (self.payments_right, pgettext("pdf", "Payments")),
            (self.balance_right, pgettext("pdf", "Balance")),
        ):
            pen.text_right(right, y, text, self.bold, 8, WHITE)

    def draw_footer(self, number: int, pages: int) -> None:
        pen, y = self.pen, BOTTOM + self.footer_height
        pen.hline(self.left, self.right, y, RULE)
        for index, line in enumerate(self.footer_lines):
            pen.text(self.left, y - 10 - index * 9.5, line, self.regular, 7.5, GREY)
        page = pgettext("pdf", "Page %(number)s of %(pages)s") % {"number": number, "pages": pages}
        pen.text_right(self.right, y - 10, page, self.regular, 7.5, GREY)

    # -- the body -------------------------------------------------------------------------------------

    def body(self) -> list[Block]:
        if not self.document.sections:
            message = pgettext("pdf", "No activity in this period.")
            return [Block(20, lambda top: self.pen.text(self.left, top - 12, message, self.regular, 9.5))]
        blocks: list[Block] = []
        for index, section in enumerate(self.document.sections):
            if index:
                blocks.append(Block(16, lambda top: None))
            blocks.append(self.section_start(section))
            blocks += [self.row_block(section.currency, row) for row in section.rows]
            blocks.append(self.closing_block(section))
            blocks.append(self.summary_block(section))
        return blocks

    def fit(self, text: str, font, size: float, width: float) -> float:
        """The size at which a figure fits its column, down to 6 pt."""
        while size > 6 and self.pen.width(text, font, size) > width:
            size -= 0.5
        return size

    def figure(self, right: float, baseline: float, text: str, font, width: float) -> None:
        self.pen.text_right(right, baseline, text, font, self.fit(text, font, ROW_SIZE, width - 6))

    def section_start(self, section: StatementSection) -> Block:
        """The currency's title, the column headings and the opening balance, kept together."""
        title = pgettext("pdf", "Account in %(currency)s") % {"currency": section.currency}
        opening = self.money(section.opening_balance, section.currency)
        row_height = ROW_LEADING + ROW_PADDING

        def draw(top: float) -> None:
            pen = self.pen
            pen.text(self.left, top - 16, title, self.bold, 11, self.brand)
            self.draw_column_headings(top - SECTION_TITLE_HEIGHT)
            row_top = top - SECTION_TITLE_HEIGHT - HEADING_HEIGHT
            baseline = row_top - 13
            pen.text(self.date_x, baseline, self.day(self.document.start), self.regular, ROW_SIZE)
            pen.text(self.description_x, baseline, pgettext("pdf", "Opening balance"), self.bold, ROW_SIZE)
            self.figure(self.balance_right, baseline, opening, self.bold, BALANCE_WIDTH)
            pen.hline(self.left, self.right, row_top - row_height, RULE)

        height = SECTION_TITLE_HEIGHT + HEADING_HEIGHT + row_height
        return _TableBlock(height, draw, in_table=True, table=section.currency, heads=True)

    def memo_text(self, row: StatementRow, currency: str) -> str:
        amount = self.money(row.memo, currency)
        if row.kind == "refund":
            return pgettext("pdf", "Refunded: %(amount)s") % {"amount": amount}
        if row.kind == "credit_payment":
            return pgettext("pdf", "Credit used: %(amount)s") % {"amount": amount}
        if row.kind == "credit_note":
            return pgettext("pdf", "Credited: %(amount)s") % {"amount": amount}
        return pgettext("pdf", "Amount: %(amount)s") % {"amount": amount}

    def row_block(self, currency: str, row: StatementRow) -> Block:
        texts = wrap(row.description, self.regular, ROW_SIZE, self.description_width - 8)
        if len(texts) > MAX_DESCRIPTION_LINES:
            texts = [*texts[: MAX_DESCRIPTION_LINES - 1], texts[MAX_DESCRIPTION_LINES - 1] + " …"]
        memo = self.memo_text(row, currency) if row.memo is not None else ""
        documents = wrap(row.document, self.regular, 8, DOCUMENT_WIDTH - 6)[:3] if row.document else []
        charge = self.money(row.amount, currency) if row.amount > 0 else ""
        payment = self.money(-row.amount, currency) if row.amount < 0 else ""
        balance = self.money(row.balance, currency)
        lines = max(len(texts) + bool(memo), len(documents), 1)
        height = lines * ROW_LEADING + ROW_PADDING

        def draw(top: float) -> None:
            pen, baseline = self.pen, top - 13
            pen.text(self.date_x, baseline, self.day(row.day), self.regular, ROW_SIZE)
            for index, text in enumerate(documents):
                pen.text(self.document_x, baseline - index * ROW_LEADING, text, self.regular, 8)
            for index, text in enumerate(texts):
                pen.text(self.description_x, baseline - index * ROW_LEADING, text, self.regular, ROW_SIZE)
            if memo:
                pen.text(self.description_x, baseline - len(texts) * ROW_LEADING, memo, self.regular, 7.5, GREY)
            self.figure(self.charges_right, baseline, charge, self.regular, FIGURE_WIDTH)
            self.figure(self.payments_right, baseline, payment, self.regular, FIGURE_WIDTH)
            self.figure(self.balance_right, baseline, balance, self.regular, BALANCE_WIDTH)
            pen.hline(self.left, self.right, top - height, RULE)

        return _TableBlock(height, draw, in_table=True, table=currency)

    def closing_block(self, section: StatementSection) -> Block:
        closing = self.money(section.closing_balance, section.currency)
        highlight = tint(self.document.branding.brand_color, 0.88)
        height = ROW_LEADING + ROW_PADDING

        def draw(top: float) -> None:
            pen, baseline = self.pen, top - 13
            pen.fill_rect(self.left, top - height, self.width, height, highlight)
            pen.text(self.date_x, baseline, self.day(self.document.end), self.regular, ROW_SIZE)
            pen.text(self.description_x, baseline, pgettext("pdf", "Closing balance"), self.bold, ROW_SIZE)
            self.figure(self.balance_right, baseline, closing, self.bold, BALANCE_WIDTH)

        return _TableBlock(height, draw, in_table=True, keep_with_previous=True, table=section.currency)

    def summary_block(self, section: StatementSection) -> Block:
        end = self.day(self.document.end)
        # (label, amount, bold): the movements, then what the closing balance is made of.
        rows = [
            (pgettext("pdf", "Opening balance"), section.opening_balance, False),
            (pgettext("pdf", "Invoiced"), section.invoiced, False),
            (pgettext("pdf", "Payments"), section.paid, False),
            (pgettext("pdf", "Refunds"), section.refunded, False),
            (pgettext("pdf", "Written off and voided"), section.closed, False),
            (pgettext("pdf", "Closing balance"), section.closing_balance, True),
            None,
            (pgettext("pdf", "Owed on open invoices on %(date)s") % {"date": end}, section.outstanding, False),
            (pgettext("pdf", "Account credit on %(date)s") % {"date": end}, section.credit, False),
        ]

        def draw(top: float) -> None:
            pen, label_x = self.pen, self.right - 300
            for index, row in enumerate(rows):
                if row is None:
                    continue
                label, amount, bold = row
                baseline = top - 22 - index * SUMMARY_LEADING
                if bold:
                    pen.hline(label_x, self.right, baseline + 10.5, BLACK, 0.75)
                font = self.bold if bold else self.regular
                pen.text(label_x + 5, baseline, label, font, 9)
                pen.text_right(self.balance_right, baseline, self.money(amount, section.currency), font, 9)

        return Block(12 + len(rows) * SUMMARY_LEADING + 8, draw, keep_with_previous=True)
