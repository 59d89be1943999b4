"""What an invoice or receipt PDF shows, as plain data.

``services/documents.py`` builds these from the models; ``render.py`` turns them into bytes. Neither
side knows about the other's world: the renderer never sees a model or a request.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class Party:
    name: str
    address: str = ""  # several lines, separated by "\n"
    tax_id: str = ""
    email: str = ""


@dataclass(frozen=True)
class Branding:
    brand_color: str = "#1d4ed8"  # "#rrggbb", validated when the editor saves it
    accent_color: str = "#f59e0b"
    logo_path: str | None = None  # a PNG or JPEG on local storage
    footer: str = ""  # plain text, several lines


@dataclass(frozen=True)
class DocumentLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal  # percent
    total: Decimal


@dataclass(frozen=True)
class TaxRow:
    rate: Decimal  # percent
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class DiscountRow:
    label: str  # e.g. "Code SPRING10 (10 %)"
    amount: Decimal  # taken off the lines, positive; on the prices' footing (with tax where prices include it)


@dataclass(frozen=True)
class EarlyPayment:
    """Early-payment terms: paying everything by ``until`` costs ``price``."""

    percent: Decimal
    until: date
    price: Decimal


@dataclass(frozen=True)
class InstalmentRow:
    number: int
    due_on: date
    amount: Decimal
    paid: bool


@dataclass(frozen=True)
class ReceiptPayment:
    amount: Decimal
    method: str  # a label for people, e.g. "Card (Stripe)"
    reference: str
    paid_at: datetime
    refunded: Decimal = Decimal(0)


@dataclass(frozen=True)
class PostalAddress:
    lines: tuple[str, ...] = ()  # street and house number first
    postal_code: str = ""
    city: str = ""
    country: str = ""  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class BankTransfer:
    """What a bank-transfer QR code asks the payer's bank to do: pay ``amount`` to ``iban``, quoting
    ``reference``. ``kind`` is "epc" (the EPC QR code, euros only) or "swiss" (the Swiss QR-bill,
    CHF or EUR, which needs the creditor's address)."""

    kind: str
    creditor_name: str
    iban: str
    amount: Decimal
    currency: str
    reference: str  # the invoice number
    bic: str = ""
    creditor_address: PostalAddress = field(default_factory=PostalAddress)
    debtor_name: str = ""  # the Swiss payment part prints the payer when its address is complete
    debtor_address: PostalAddress = field(default_factory=PostalAddress)


@dataclass(frozen=True)
class InvoiceDocument:
    number: str  # empty for a draft
    title: str
    currency: str
    seller: Party
    client: Party
    lines: tuple[DocumentLine, ...]
    subtotal: Decimal
    taxes: tuple[TaxRow, ...]
    total: Decimal
    amount_paid: Decimal
    amount_due: Decimal
    # The PDF's creation date: the issue time for issued invoices, so the bytes are reproducible.
    created_at: datetime
    description: str = ""
    issued_on: date | None = None
    due_on: date | None = None
    locale: str = "en_US"
    paper_size: str = "A4"  # "A4" or "LETTER"
    # None, "draft" (watermark), "paid", "void" or "uncollectible"
    stamp: str | None = None
    stamp_date: date | None = None
    pay_url: str | None = None  # printed and encoded as a QR code when known
    payment_instructions: str = ""
    branding: Branding = field(default_factory=Branding)
    # Set for a receipt: the payment it acknowledges; the totals above are then the balance.
    receipt: ReceiptPayment | None = None
    # Unit prices and line amounts as entered: with tax included, or without (tax added).
    prices_include_tax: bool = False
    lines_total: Decimal | None = None  # what the lines add up to, as entered; shown with a discount
    discount: DiscountRow | None = None
    # "" or "standard", "exempt" (with its reason) or "reverse_charge": the legal note under the totals.
    tax_treatment: str = ""
    tax_exemption_reason: str = ""
    amount_credited: Decimal = Decimal(0)  # credit notes
    early_discount_taken: Decimal = Decimal(0)
    early_payment: EarlyPayment | None = None
    instalments: tuple[InstalmentRow, ...] = ()
    # The invoice as Factur-X CII XML: the PDF becomes a PDF/A-3 file that carries it as factur-x.xml.
    factur_x: bytes | None = None
    # Printed as a QR code for the payer's banking app while an amount is due.
    bank_transfer: BankTransfer | None = None
