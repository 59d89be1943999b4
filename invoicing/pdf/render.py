"""Invoice and receipt PDFs: ``render_pdf(document)`` turns an ``InvoiceDocument`` into bytes.

The renderer sees only the document (``document.py``), never a model or a request. Its labels go
through Django's translation functions, in the document's locale. It lays out every
page before drawing any (``layout``), then draws with ``canvas.Pen`` onto a reportlab canvas.
The same document always gives the same bytes: the PDF's dates come from ``document.created_at``.
A document that carries its CII XML (``factur_x``) becomes a Factur-X PDF/A-3 file (``facturx.py``);
the "How to pay" section, its bank-transfer QR code and the Swiss QR-bill are ``bank_qr.py``'s.
"""

import io
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import pgettext, pgettext_lazy
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas

from . import words
from .bank_qr import draw_payment_part, payment_blocks, swiss_payment_part
from .canvas import BLACK, WHITE, Pen, load_logo, rgb
from .document import InvoiceDocument, Party
from .facturx import embed_factur_x
from .fonts import typeface
from .layout import Block, paginate, wrap
from .summary import summary_blocks

PAGE_SIZES = {"A4": A4, "LETTER": LETTER}

# Points. Body text is 9 pt; a one-line table row is 19.5 pt, so an A4 page holds about 34 rows.
MARGIN, TOP, BOTTOM = 42, 40, 34
LOGO_WIDTH, LOGO_HEIGHT = 170, 56
RIGHT_COLUMN = 160  # the document's label, number and dates, top right
ROW_LEADING, ROW_PADDING, MAX_ROW_LINES = 11.5, 8, 30
HEADING_HEIGHT = 18
# The first page's header holds both parties; an address longer than this is cut so the body keeps room.
MAX_PARTY_LINES = 14
CONTINUED_HEADER_HEIGHT = 34
GREY, RULE = "0.42 0.44 0.47", "0.84 0.85 0.87"
STAMP_COLOURS = {"paid": "#15803d", "void": "#b91c1c", "uncollectible": "#b45309"}
STAMP_WORDS = {
    "paid": pgettext_lazy("pdf", "PAID"),
    "void": pgettext_lazy("pdf", "VOID"),
    "uncollectible": pgettext_lazy("pdf", "UNCOLLECTIBLE"),
}
DRAFT_WATERMARK = "0.90 0.90 0.91"


def draw_document(document, draw) -> bytes:
    """A PDF of ``document`` (an invoice, a credit note, a statement) in its paper size and its
    website's language: ``draw(canvas, pen, page_size)`` puts everything on the canvas."""
    buffer = io.BytesIO()
    page_size = PAGE_SIZES.get(document.paper_size.upper(), A4)
    regular, _bold = fonts = typeface()
    canvas = Canvas(
        buffer,
        pagesize=page_size,
        invariant=True,  # no wall-clock time in the file; the metadata dates it from the document
        pageCompression=1,
        initialFontName=regular.fontName,
        lang=document.locale.replace("_", "-"),
    )
    # Labels in the website's language, as its amounts and dates are. The "pdf" context keeps other
    # apps' catalogs out: until this module is translated, every label stays English.
    with translation.override(translation.to_language(document.locale)):
        draw(canvas, Pen(canvas, fonts=fonts), page_size)
    canvas.save()
    return buffer.getvalue()


def render_pdf(document: InvoiceDocument) -> bytes:
    def draw(canvas, pen, page_size):
        words.set_metadata(canvas, document)
        _DocumentLayout(document, pen, *page_size).draw()
        if document.factur_x:
            embed_factur_x(canvas, document.factur_x, document.created_at)

    return draw_document(document, draw)


class _DocumentLayout:
    """Where everything of one document goes, page by page."""

    def __init__(self, document: InvoiceDocument, pen: Pen, page_width: float, page_height: float):
        self.document = document
        self.pen = pen
        self.regular, self.bold = pen.fonts
        self.page_width, self.page_height = page_width, page_height
        self.left, self.right = MARGIN, page_width - MARGIN
        self.width = self.right - self.left
        self.brand = rgb(document.branding.brand_color)
        self.accent = rgb(document.branding.accent_color, fallback="#f59e0b")
        self.logo = load_logo(document.branding.logo_path)
        self.label = pgettext("pdf", "Receipt") if document.receipt is not None else pgettext("pdf", "Invoice")
        self.number_text = document.number or pgettext("pdf", "DRAFT")
        # The lines table's columns, as right edges: description, quantity, unit price, tax, amount.
        widths = (48, 86, 46, 90)
        self.description_width = self.width - sum(widths)
        edges, x = [], self.left + self.description_width
        for column in widths:
            x += column
            edges.append(x)
        self.qty_right, self.price_right, self.tax_right, self.amount_right = (edge - 5 for edge in edges)
        self.footer_lines = wrap(document.branding.footer, self.regular, 7.5, self.width - 90)[:6]
        self.footer_height = max(len(self.footer_lines), 1) * 9.5 + 10
        self.parties = (
            (self.left, self.party_lines(pgettext("pdf", "From"), document.seller)),
            (self.left + (self.width + 24) / 2, self.party_lines(pgettext("pdf", "Bill to"), document.client)),
        )

    # -- money and words ------------------------------------------------------------------------------

    def money(self, amount: Decimal) -> str:
        return words.money(amount, self.document.currency, self.document.locale)

    def day(self, value: date | None) -> str:
        return words.day(value, self.document.locale) if value else ""

    def long_day(self, value: date) -> str:
        return words.long_day(value, self.document.locale)

    def rate(self, percent: Decimal) -> str:
        return f"{words.number(percent, self.document.locale)}%"

    # -- the whole document ---------------------------------------------------------------------------

    def draw(self) -> None:
        header_height = self.first_header_height()
        body = self.receipt_blocks() if self.document.receipt is not None else self.invoice_blocks()
        bottom = BOTTOM + self.footer_height + 10
        first_top = self.page_height - TOP - header_height
        later_top = self.page_height - TOP - CONTINUED_HEADER_HEIGHT
        pages = paginate(body, first_top - bottom, later_top - bottom, HEADING_HEIGHT)
        qr_bill = swiss_payment_part(self.document)
        page_count = len(pages) + (qr_bill is not None)
        canvas = self.pen.canvas
        for number, blocks in enumerate(pages, start=1):
            if self.document.stamp == "draft":
                self.draw_watermark()
            self.pen.fill_rect(0, self.page_height - 6, self.page_width, 6, self.brand)
            if number == 1:
                self.draw_first_header()
                self.draw_stamp()
            else:
                self.draw_continued_header()
            y = first_top if number == 1 else later_top
            headed = False
            for block in blocks:
                if block.in_table and not headed:
                    self.draw_table_heading(y)
                    y -= HEADING_HEIGHT
                    headed = True
                block.draw(y)
                y -= block.height
            self.draw_footer(number, page_count)
            canvas.showPage()
        if qr_bill is not None:
            # A page of its own, whose foot is the QR-bill: the place the Swiss style guide gives it.
            self.pen.fill_rect(0, self.page_height - 6, self.page_width, 6, self.brand)
            self.draw_continued_header()
            draw_payment_part(self, qr_bill)
            canvas.showPage()

    # -- headers --------------------------------------------------------------------------------------

    def meta_rows(self) -> list[tuple[str, str]]:
        document = self.document
        if document.receipt is not None:
            return [(pgettext("pdf", "Payment date"), self.day(document.receipt.paid_at.date()))]
        rows = [
            (pgettext("pdf", "Issue date"), self.day(document.issued_on)),
            (pgettext("pdf", "Due date"), self.day(document.due_on)),
        ]
        return [(label, value) for label, value in rows if value]

    def party_lines(self, heading: str, party: Party) -> list[tuple[str, object, float, str]]:
        column = (self.width - 24) / 2
        lines = [(heading.upper(), self.bold, 7, GREY)]
        lines += [(line, self.bold, 10, BLACK) for line in wrap(party.name, self.bold, 10, column)]
        for text in (
            party.address,
            pgettext("pdf", "Tax ID: %(tax_id)s") % {"tax_id": party.tax_id} if party.tax_id else "",
            party.email,
        ):
            if text:
                lines += [(line, self.regular, 8.5, BLACK) for line in wrap(text, self.regular, 8.5, column)]
        return lines[:MAX_PARTY_LINES]

    def top_row_height(self) -> float:
        return max(LOGO_HEIGHT, 46 + len(self.meta_rows()) * 11.5)

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
        pen.text_right(self.right, top - 16, self.label.upper(), self.bold, 20, self.brand)
        number = f"for invoice {self.number_text}" if document.receipt is not None else self.number_text
        pen.text_right(self.right, top - 32, number, self.bold, 10.5)
        for index, (label, value) in enumerate(self.meta_rows()):
            y = top - 48 - index * 11.5
            pen.text(self.right - RIGHT_COLUMN, y, label, self.regular, 8, GREY)
            pen.text_right(self.right, y, value, self.regular, 8.5)
        y = top - self.top_row_height() - 12
        pen.fill_rect(self.left, y, self.width, 1.5, self.accent)
        y -= 16
        for x, lines in self.parties:
            for index, (text, font, size, colour) in enumerate(lines):
                pen.text(x, y - index * 11.5, text, font, size, colour)

    def draw_continued_header(self) -> None:
        pen, top = self.pen, self.page_height - TOP
        seller = wrap(self.document.seller.name, self.bold, 10, self.width - 220)[0]
        pen.text(self.left, top - 12, seller, self.bold, 10)
        pen.text_right(self.right, top - 12, f"{self.label} {self.number_text}", self.bold, 10, self.brand)
        pen.fill_rect(self.left, top - 20, self.width, 1, self.accent)

    def draw_table_heading(self, top: float) -> None:
        pen, y = self.pen, top - 12
        pen.fill_rect(self.left, top - HEADING_HEIGHT, self.width, HEADING_HEIGHT, self.brand)
        pen.text(self.left + 5, y, pgettext("pdf", "Description"), self.bold, 8, WHITE)
        for right, text in (
            (self.qty_right, pgettext("pdf", "Qty")),
            (self.price_right, pgettext("pdf", "Unit price")),
            (self.tax_right, pgettext("pdf", "Tax")),
        ):
            pen.text_right(right, y, text, self.bold, 8, WHITE)
        pen.text_right(self.amount_right, y, pgettext("pdf", "Amount"), self.bold, 8, WHITE)

    def draw_footer(self, number: int, pages: int) -> None:
        pen, y = self.pen, BOTTOM + self.footer_height
        pen.hline(self.left, self.right, y, RULE)
        for index, line in enumerate(self.footer_lines):
            pen.text(self.left, y - 10 - index * 9.5, line, self.regular, 7.5, GREY)
        pen.text_right(
            self.right,
            y - 10,
            pgettext("pdf", "Page %(number)s of %(pages)s") % {"number": number, "pages": pages},
            self.regular,
            7.5,
            GREY,
        )

    # -- stamps ---------------------------------------------------------------------------------------

    def draw_stamp(self) -> None:
        """A box between the logo and the document's number: PAID, VOID or UNCOLLECTIBLE, and the date."""
        stamp = self.document.stamp
        if stamp not in STAMP_COLOURS:
            return
        pen, colour = self.pen, rgb(STAMP_COLOURS[stamp])
        stamp_text = str(STAMP_WORDS[stamp])
        when = self.day(self.document.stamp_date)
        box_width = max(pen.width(stamp_text, self.bold, 13), pen.width(when, self.regular, 8)) + 18
        box_height = 36 if when else 26
        centre = (self.left + LOGO_WIDTH + self.right - RIGHT_COLUMN) / 2
        top = self.page_height - TOP - 4
        pen.stroke_rect(centre - box_width / 2, top - box_height, box_width, box_height, colour, 2)
        pen.text_centred(centre, top - 17.5, stamp_text, self.bold, 13, colour)
        pen.text_centred(centre, top - 29, when, self.regular, 8, colour)

    def draw_watermark(self) -> None:
        size = 120
        word = pgettext("pdf", "DRAFT")
        width = self.pen.width(word, self.bold, size)
        centre_x, centre_y, half = self.page_width / 2, self.page_height / 2, 0.7071
        x = centre_x - width / 2 * half + size * 0.35 * half
        y = centre_y - width / 2 * half - size * 0.35 * half
        self.pen.text_rotated(x, y, 45, word, self.bold, size, DRAFT_WATERMARK)

    # -- the body -------------------------------------------------------------------------------------

    def text_blocks(self, text: str, font, size: float, leading: float, colour: str = BLACK) -> list[Block]:
        if not text:
            return []
        return [
            Block(leading, lambda top, line=line: self.pen.text(self.left, top - size, line, font, size, colour))
            for line in wrap(text, font, size, self.width)
        ]

    def spacer(self, height: float) -> Block:
        return Block(height, lambda top: None)

    def invoice_blocks(self) -> list[Block]:
        document = self.document
        blocks = self.text_blocks(document.title, self.bold, 12, 16)
        blocks += self.text_blocks(document.description, self.regular, 9, 12)
        if blocks:
            blocks.append(self.spacer(10))
        for line in document.lines:
            blocks += self.line_blocks(line)
        blocks += summary_blocks(self)
        blocks += payment_blocks(self)
        return blocks

    def line_blocks(self, line) -> list[Block]:
        texts = wrap(line.description, self.regular, 9, self.description_width - 10)
        figures = (
            (self.qty_right, words.number(line.quantity, self.document.locale)),
            (self.price_right, self.money(line.unit_price)),
            (self.tax_right, self.rate(line.tax_rate)),
            (self.amount_right, self.money(line.total)),
        )
        blocks = []
        for start in range(0, len(texts), MAX_ROW_LINES):
            chunk = texts[start : start + MAX_ROW_LINES]
            blocks.append(Block(len(chunk) * ROW_LEADING + ROW_PADDING, self._row_drawer(chunk, figures), True))
            figures = ()  # a description too long for one page goes on without repeating the figures
        return blocks

    def _row_drawer(self, texts: list[str], figures):
        def draw(top: float) -> None:
            pen, baseline = self.pen, top - 13
            for index, text in enumerate(texts):
                pen.text(self.left + 5, baseline - index * ROW_LEADING, text, self.regular, 9)
            for right, text in figures:
                pen.text_right(right, baseline, text, self.regular, 9)
            pen.hline(self.left, self.right, top - len(texts) * ROW_LEADING - ROW_PADDING, RULE)

        return draw

    def receipt_blocks(self) -> list[Block]:
        document, receipt = self.document, self.document.receipt
        payment = [
            (pgettext("pdf", "Amount received"), self.money(receipt.amount)),
            (pgettext("pdf", "Method"), receipt.method),
            (pgettext("pdf", "Reference"), receipt.reference),
            (pgettext("pdf", "Date"), self.day(receipt.paid_at.date())),
        ]
        if receipt.refunded:
            payment.append((pgettext("pdf", "Refunded"), self.money(receipt.refunded)))
        balance = [
            (pgettext("pdf", "Invoice"), document.number),
            (pgettext("pdf", "Invoice total"), self.money(document.total)),
            (pgettext("pdf", "Paid to date"), self.money(document.amount_paid)),
            (pgettext("pdf", "Balance due"), self.money(document.amount_due)),
        ]
        blocks = self.text_blocks(document.title, self.bold, 12, 16)
        for heading, rows in ((pgettext("pdf", "Payment received"), payment), (pgettext("pdf", "Balance"), balance)):
            blocks += [self.spacer(8), *self.text_blocks(heading, self.bold, 9.5, 16, self.brand)]
            blocks += [self.label_row(label, value) for label, value in rows if value]
        return blocks + payment_blocks(self)

    def label_row(self, label: str, value: str) -> Block:
        def draw(top: float) -> None:
            self.pen.text(self.left, top - 12, label, self.regular, 9, GREY)
            for index, line in enumerate(lines):
                self.pen.text(self.left + 140, top - 12 - index * ROW_LEADING, line, self.regular, 9)
            self.pen.hline(self.left, self.right, top - height, RULE)

        lines = wrap(value, self.regular, 9, self.width - 140)
        height = len(lines) * ROW_LEADING + 8
        return Block(height, draw)
