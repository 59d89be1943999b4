"""The invoice and receipt PDFs, read back: text, QR code, pages, stamps, structure and determinism.

Pure renderer tests: InvoiceDocuments are built by hand (tests/pdf_helpers.py), no database. They need
Debian's qpdf, pdftoppm (poppler-utils) and zbarimg (zbar-tools): `make system-packages`.
"""

import hashlib
import io
import subprocess
import unicodedata
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader

from invoicing.core.money import format_money
from invoicing.pdf.document import Branding, Party
from invoicing.pdf.fonts import printable, typeface
from invoicing.pdf.render import render_pdf
from invoicing.pdf.words import CREATOR
from tests.pdf_helpers import (
    PAY_URL,
    SELLER,
    flat,
    make_document,
    make_line,
    make_receipt,
    page_texts,
    render_png,
    sha256_in_another_process,
    tool,
)


def text_lines(pdf: bytes, page: int = 0) -> list[str]:
    return [flat(line) for line in page_texts(pdf)[page].splitlines()]


def text_of(pdf: bytes) -> str:
    return flat("\n".join(page_texts(pdf)))


@pytest.mark.parametrize(
    ("currency", "locale", "expected_total"),
    [
        ("EUR", "de_DE", "14.470,37 €"),
        ("JPY", "ja_JP", "¥1,447,037"),
        ("JPY", "en_US", "¥1,447,037"),
        ("KWD", "en_US", "KWD14,470.483"),
    ],
)
def test_every_figure_is_printed_in_the_currency_and_locale_format(currency, locale, expected_total):
    prices = {"EUR": ("1234.5", "99.99"), "JPY": ("123450", "9999"), "KWD": ("1234.5", "99.999")}[currency]
    lines = [
        make_line(f"Consulting, week {n}", n % 3 + 1, prices[n % 2 == 0], "7" if n % 4 == 0 else "19", currency)
        for n in range(1, 11)
    ]
    document = make_document(lines, currency=currency, locale=locale, amount_paid=lines[0].total)
    pdf = render_pdf(document)
    text = text_lines(pdf)

    def money(amount):  # as printed: full-width ￥ (ja_JP) becomes ¥, which DejaVu has
        return flat(printable(format_money(amount, currency, locale)))

    assert money(document.total) == flat(expected_total)
    for line in lines:
        rate = f"{line.tax_rate:.0f}%"
        row = f"{line.description} {line.quantity} {money(line.unit_price)} {rate} {money(line.total)}"
        assert row in text
    assert f"Subtotal {money(document.subtotal)}" in text
    assert len(document.taxes) == 2
    for tax in document.taxes:
        assert f"Tax {tax.rate:.0f}% {money(tax.tax)}" in text
    assert f"Total {money(document.total)}" in text
    assert f"Paid {money(document.amount_paid)}" in text
    assert f"Amount due {money(document.amount_due)}" in text
    assert document.amount_paid and document.amount_due


def test_header_shows_the_seller_the_client_the_number_and_the_dates():
    text = text_of(render_pdf(make_document(locale="en_US")))
    for expected in (
        "ACME Consulting GmbH",
        "Hauptstraße 5",
        "Tax ID: DE123456789",
        "Globex Corporation",
        "1 Globex Way",
        "ACME-2026-00042",
        "Issue date Mar 3, 2026",
        "Due date Mar 17, 2026",
        "Website relaunch",
        "Design and development of the new website",
        "Bank transfer to IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX",
        PAY_URL,
        "ACME Consulting GmbH · Berlin Page 1 of 1",
    ):
        assert expected in text


@pytest.mark.parametrize(
    "pay_url",
    [PAY_URL, "https://b.example/p/1/", "https://acme.example:8443/pay/invoice/INV-" + "x7Kq_9-Z" * 20 + "/"],
)
def test_the_qr_code_decodes_to_the_pay_link(pay_url):
    png = render_png(render_pdf(make_document(pay_url=pay_url)), page=1, dpi=150)
    decoded = subprocess.run([tool("zbarimg"), "--raw", "-q", "-"], input=png, capture_output=True, check=True)
    assert decoded.stdout.decode().strip() == pay_url


def test_sixty_lines_flow_onto_three_pages_with_the_header_on_each():
    pdf = render_pdf(make_document(line_count=60))
    pages = page_texts(pdf)
    assert len(pages) == 3
    assert "Page 2 of 3" in pages[1]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of 3" in text
        assert "ACME Consulting GmbH" in text and "ACME-2026-00042" in text
        assert "Description Qty Unit price Tax Amount" in text
    printed = [n for n in range(1, 61) for text in pages if f"Consulting, week {n} " in text]
    assert printed == list(range(1, 61))  # every line once, in order
    assert "Amount due" in pages[2] and "Amount due" not in pages[1]


NAMES = {
    "Greek": "Αθηναϊκή Εταιρεία Λογισμικού Α.Ε.",
    "Cyrillic": "ООО «Ромашка», Санкт-Петербург",
    "Polish": "Zażółć gęślą jaźń Sp. z o.o., Łódź",
    "Turkish": "İstanbul Yazılım Ltd. Şti., Çağrı Öğüt",
    "Vietnamese": "Công ty TNHH Phần mềm Việt Nam, Hà Nội",
}


@pytest.mark.parametrize("script", NAMES)
def test_non_latin_names_and_lines_survive_text_extraction(script):
    name = NAMES[script]
    # Typed decomposed (e + combining marks): printed composed.
    client = Party(name=unicodedata.normalize("NFD", name), address=name)
    pdf = render_pdf(make_document([make_line(name, 1, "10", "19", "EUR")], client=client))
    assert f"{name}\n{name}" in text_of(pdf)  # the client's name and address
    assert f"{name} 1 10,00 € 19% 10,00 €" in text_lines(pdf)  # the line


def test_a_word_wider_than_its_column_is_cut_inside_the_column():
    word = "Donaudampfschifffahrtsgesellschaftskapitänskajütenschlüssel" * 3
    pdf = render_pdf(make_document([make_line(word, 2, "10", "19", "EUR")]))
    fragments = []
    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: fragments.append((text, tm[4]))
    )
    pieces = [(text, x) for text, x in fragments if len(text) > 3 and text in word]
    assert "".join(text for text, _ in pieces) == word
    assert len(pieces) >= 3
    quantity_column = next(x for text, x in fragments if text == "Qty")
    for text, x in pieces:
        assert x + typeface().regular.stringWidth(text, 9) < quantity_column


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(make_document(), id="invoice"),
        pytest.param(make_document(number="", stamp="draft"), id="draft"),
        pytest.param(make_document(line_count=60, stamp="paid", stamp_date=date(2026, 3, 10)), id="multi-page"),
        pytest.param(make_receipt(), id="receipt"),
        pytest.param(make_document(client=Party(NAMES["Greek"] + " " + NAMES["Cyrillic"])), id="non-latin"),
    ],
)
def test_qpdf_finds_nothing_wrong(document, tmp_path):
    path = tmp_path / "document.pdf"
    path.write_bytes(render_pdf(document))
    result = subprocess.run([tool("qpdf"), "--check", path], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_the_same_document_gives_the_same_bytes_in_this_process_and_another():
    """Another process, with another hash seed and cold caches, writes the same file."""
    document = make_document(line_count=12, client=Party(NAMES["Vietnamese"]))
    pdf = render_pdf(document)
    assert render_pdf(document) == pdf
    code = (
        "from tests.pdf_helpers import make_document\n"
        "from invoicing.pdf.document import Party\n"
        "from invoicing.pdf.render import render_pdf\n"
        f"pdf = render_pdf(make_document(line_count=12, client=Party({NAMES['Vietnamese']!r})))"
    )
    assert sha256_in_another_process(code, 4242) == hashlib.sha256(pdf).hexdigest()
    assert render_pdf(replace(document, amount_paid=Decimal("1.00"))) != pdf


def test_metadata_names_the_invoice_and_the_seller_and_dates_from_the_document():
    document = make_document()
    metadata = PdfReader(io.BytesIO(render_pdf(document))).metadata
    assert metadata.title == "Invoice ACME-2026-00042"
    assert metadata.author == "ACME Consulting GmbH"
    assert metadata.subject == "ACME-2026-00042"
    assert metadata.creator == CREATOR
    assert metadata.creation_date == document.created_at

    draft = PdfReader(io.BytesIO(render_pdf(make_document(number="", stamp="draft")))).metadata
    assert draft.title == "Draft invoice" and draft.subject == "Draft"


def test_a_paid_invoice_is_stamped_paid_with_the_date():
    pdf = render_pdf(make_document(stamp="paid", stamp_date=date(2026, 3, 10), locale="en_US"))
    assert "PAIDMar 10, 2026" in page_texts(pdf)[0].replace("\n", "")


@pytest.mark.parametrize("stamp", ["void", "uncollectible"])
def test_void_and_uncollectible_invoices_are_stamped(stamp):
    assert stamp.upper() in page_texts(render_pdf(make_document(stamp=stamp)))[0]
    dated = render_pdf(make_document(stamp=stamp, stamp_date=date(2026, 4, 1), locale="en_US"))
    assert f"{stamp.upper()}Apr 1, 2026" in page_texts(dated)[0].replace("\n", "")


def test_a_draft_carries_a_diagonal_draft_watermark_on_every_page():
    pdf = render_pdf(make_document(number="", stamp="draft", line_count=60))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    for page in reader.pages:
        diagonal = []

        def visit(text, cm, tm, font, size, diagonal=diagonal):
            if text == "DRAFT" and abs(tm[1] - 0.7071) < 0.01:  # turned by 45°
                diagonal.append(text)

        page.extract_text(visitor_text=visit)
        assert diagonal == ["DRAFT"]
    assert "DRAFT" not in page_texts(render_pdf(make_document()))[0]


@pytest.mark.parametrize(("paper_size", "size"), [("A4", (595.28, 841.89)), ("LETTER", (612, 792))])
def test_paper_size(paper_size, size):
    pages = PdfReader(io.BytesIO(render_pdf(make_document(paper_size=paper_size, line_count=60)))).pages
    assert len(pages) > 1
    for page in pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == size


def test_a_receipt_shows_the_payment_and_the_balance():
    receipt = make_receipt()
    text = text_of(render_pdf(receipt))

    def money(amount):
        return flat(format_money(amount, "EUR", "de_DE"))

    assert "RECEIPTfor invoice ACME-2026-00042" in text
    assert f"Amount received {money(Decimal('500'))}" in text
    assert "Method Card (Stripe)" in text and "Reference pi_3QxYz123" in text
    assert "Date 10.03.2026" in text and "Payment date 10.03.2026" in text
    assert f"Refunded {money(Decimal('20'))}" in text
    assert "Invoice ACME-2026-00042" in text
    assert f"Paid to date {money(receipt.amount_paid)}" in text
    assert f"Balance due {money(receipt.amount_due)}" in text
    assert PdfReader(io.BytesIO(render_pdf(receipt))).metadata.title == "Receipt for invoice ACME-2026-00042"
    no_refund = text_lines(render_pdf(replace(receipt, receipt=replace(receipt.receipt, refunded=Decimal(0)))))
    assert not any(line.startswith("Refunded") for line in no_refund)


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_the_logo_is_embedded_once_by_content_and_a_missing_one_is_left_out(kind, tmp_path):
    path = tmp_path / f"logo.{kind}"
    logo = Image.new("RGBA" if kind == "png" else "RGB", (300, 90), (15, 118, 110, 200) if kind == "png" else "teal")
    logo.save(path)
    pdf = render_pdf(make_document(line_count=60, branding=Branding(logo_path=str(path))))
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages[0].images) == 1 and not pages[1].images
    if kind == "jpeg":
        assert path.read_bytes() in pdf  # passed through as it is, not decoded and recompressed
    copy = tmp_path / f"copy.{kind}"
    copy.write_bytes(path.read_bytes())  # another path and modification time, the same picture
    assert render_pdf(make_document(line_count=60, branding=Branding(logo_path=str(copy)))) == pdf
    missing = make_document(branding=Branding(logo_path=str(tmp_path / "gone.png")))
    assert not PdfReader(io.BytesIO(render_pdf(missing))).pages[0].images


@pytest.mark.parametrize("pay_url", [PAY_URL, None])
def test_a_long_description_footer_and_instructions_still_fit_the_pages(pay_url):
    document = make_document(
        pay_url=pay_url,
        description="A very long description. " * 60,
        payment_instructions="\n".join(f"Instruction line {n}" for n in range(1, 80)),
        branding=Branding(footer="Footer " * 200),
        seller=replace(SELLER, address="\n".join(f"Address line {n}" for n in range(1, 30))),
    )
    pdf = render_pdf(document)
    pages = page_texts(pdf)
    assert len(pages) >= 2
    assert "Instruction line 79" in "".join(pages)
    assert all(f"of {len(pages)}" in text for text in pages)
    bottom = 34  # nothing is drawn into the bottom margin
    for page in PdfReader(io.BytesIO(pdf)).pages:
        heights = []
        page.extract_text(
            visitor_text=lambda text, cm, tm, font, size, heights=heights: (
                heights.append(tm[5]) if text.strip() else None
            )
        )
        assert min(heights) >= bottom
