"""InvoiceDocuments built by hand, and ways to look inside the PDFs made of them (no database)."""

import io
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from invoicing.core.money import round_money
from invoicing.pdf import bank_qr
from invoicing.pdf.document import Branding, DocumentLine, InvoiceDocument, Party, ReceiptPayment, TaxRow

REPO = Path(__file__).resolve().parents[1]

SELLER = Party(
    name="ACME Consulting GmbH",
    address="Hauptstraße 5\n10115 Berlin\nGermany",
    tax_id="DE123456789",
    email="billing@acme.example",
)
CLIENT = Party(name="Globex Corporation", address="1 Globex Way\nSpringfield", tax_id="US-99-1234567")
PAY_URL = "https://acme.example/pay/ACME-2026-00042/k3J9xQ2vLmN8pR4tZ7wY1bC5dF6gH0jS/"


def make_line(description: str, quantity, unit_price, tax_rate, currency: str) -> DocumentLine:
    quantity, unit_price, tax_rate = Decimal(quantity), Decimal(unit_price), Decimal(tax_rate)
    return DocumentLine(description, quantity, unit_price, tax_rate, round_money(quantity * unit_price, currency))


def make_document(
    lines=None,
    *,
    currency: str = "EUR",
    locale: str = "de_DE",
    amount_paid="0",
    line_count: int = 3,
    **changes,
) -> InvoiceDocument:
    """An issued invoice whose totals add up: each line's tax is rounded per rate, as totals.py does."""
    if lines is None:
        lines = [
            make_line(
                f"Consulting, week {n}", n % 3 + 1, "1234.5" if n % 2 else "99.99", "19" if n % 4 else "7", currency
            )
            for n in range(1, line_count + 1)
        ]
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.tax_rate] = bases.get(line.tax_rate, Decimal(0)) + line.total
    taxes = tuple(TaxRow(rate, base, round_money(base * rate / 100, currency)) for rate, base in sorted(bases.items()))
    subtotal = sum((line.total for line in lines), Decimal(0))
    total = subtotal + sum((tax.tax for tax in taxes), Decimal(0))
    paid = round_money(amount_paid, currency)
    document = InvoiceDocument(
        number="ACME-2026-00042",
        title="Website relaunch",
        description="Design and development of the new website, as agreed on 2 February.",
        currency=currency,
        seller=SELLER,
        client=CLIENT,
        lines=tuple(lines),
        subtotal=subtotal,
        taxes=taxes,
        total=total,
        amount_paid=paid,
        amount_due=total - paid,
        created_at=datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
        issued_on=date(2026, 3, 3),
        due_on=date(2026, 3, 17),
        locale=locale,
        pay_url=PAY_URL,
        payment_instructions="Bank transfer to IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX",
        branding=Branding(brand_color="#0f766e", accent_color="#f59e0b", footer="ACME Consulting GmbH · Berlin"),
    )
    return replace(document, **changes)


def make_receipt(**changes) -> InvoiceDocument:
    document = make_document(amount_paid="500")
    payment = ReceiptPayment(
        amount=Decimal("500.00"),
        method="Card (Stripe)",
        reference="pi_3QxYz123",
        paid_at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
        refunded=Decimal("20.00"),
    )
    return replace(document, receipt=payment, **changes)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    return "\n".join(page_texts(pdf))


def flat(text: str) -> str:
    """Extracted text with every kind of space as a plain one: reportlab prints no-break spaces as spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def render_png(pdf: bytes, page: int = 1, dpi: int = 150) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder, "document.pdf")
        source.write_bytes(pdf)
        subprocess.run(
            [
                tool("pdftoppm"),
                "-r",
                str(dpi),
                "-png",
                "-f",
                str(page),
                "-l",
                str(page),
                "-singlefile",
                source,
                Path(folder, "page"),
            ],
            check=True,
            capture_output=True,
        )
        return Path(folder, "page.png").read_bytes()


def sha256_in_another_process(code: str, hash_seed: int) -> str:
    """The SHA-256 of the PDF that ``code`` (Python lines binding ``pdf``) makes in a new process
    with its own hash seed, Django set up as in the tests: reproducibility beyond one process."""
    script = f"import hashlib, django\ndjango.setup()\n{code}\nprint(hashlib.sha256(pdf).hexdigest())"
    environment = {
        **os.environ,
        "PYTHONHASHSEED": str(hash_seed),
        "DJANGO_SETTINGS_MODULE": "site_config.settings.test",
    }
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO, env=environment
    )
    return other.stdout.strip()


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed: run `make system-packages` (as root, with apt).")
    return path


# -- QR codes read back from a rendered page (zbarimg) ------------------------------------------------

QR_DPI = 300
PIXELS_PER_POINT = QR_DPI / 72


def decode(png: Image.Image) -> list[bytes]:
    """zbarimg's symbols as raw bytes: without -Sbinary it guesses a legacy charset for UTF-8 text."""
    buffer = io.BytesIO()
    png.save(buffer, format="PNG")
    result = subprocess.run(
        [tool("zbarimg"), "--raw", "-q", "-Sbinary", "-"], input=buffer.getvalue(), capture_output=True
    )
    return [result.stdout.rstrip(b"\n")] if result.stdout else []


def page_image(pdf: bytes, page: int) -> Image.Image:
    return Image.open(io.BytesIO(render_png(pdf, page=page, dpi=QR_DPI)))


def columns(image: Image.Image, left: float, right: float) -> Image.Image:
    """The strip of the page between two x positions in points: one QR code, where two sit side by side."""
    return image.crop((int(left * PIXELS_PER_POINT), 0, int(right * PIXELS_PER_POINT), image.height))


def epc_fields(pdf: bytes) -> list[str]:
    """The EPC code's lines, decoded from its strip left of the pay link's code (A4: right edge 553 pt)."""
    right = 595.28 - 42 - bank_qr.QR_SIZE - bank_qr.QR_GAP
    (payload,) = decode(columns(page_image(pdf, 1), right - bank_qr.QR_SIZE - 12, right + 12))
    return payload.decode().split("\n")
