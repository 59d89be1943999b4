"""An invoice or credit note in EN 16931's semantic model, as plain data. The field comments name
the business terms (BT-…) and groups (BG-…) of EN 16931-1, which both syntaxes map one to one.

Every amount is already at two decimals at most (the standard allows no more: BR-DEC-*), and the
figures agree with each other as the standard's rules require (BR-CO-10 to BR-CO-16, BR-S-08…):
``services/einvoices.py`` guarantees it, the writers only write.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

INVOICE = "380"  # UNTDID 1001: commercial invoice
CREDIT_NOTE = "381"

# UNTDID 5305 VAT category codes (BT-118, BT-151).
STANDARD = "S"
ZERO_RATED = "Z"
EXEMPT = "E"
REVERSE_CHARGE = "AE"

# UNTDID 4461 payment means codes (BT-81).
CREDIT_TRANSFER = "30"
SEPA_CREDIT_TRANSFER = "58"
ONLINE_PAYMENT = "68"  # the pay link: card or account credit at the website

UNIT = "C62"  # UN/ECE Rec 20 "one": quantities are plain numbers
EMAIL_SCHEME = "EM"  # EAS code of an electronic address that is an email address


@dataclass(frozen=True)
class Address:
    """BG-5 / BG-8. ``lines``: up to three street lines (BT-35, BT-36, BT-162 / BT-50, BT-51, BT-163)."""

    country: str  # ISO 3166-1 alpha-2 (BT-40 / BT-55)
    lines: tuple[str, ...] = ()
    city: str = ""  # BT-37 / BT-52
    postal_code: str = ""  # BT-38 / BT-53


@dataclass(frozen=True)
class TradeParty:
    """The seller (BG-4) or the buyer (BG-7)."""

    name: str  # BT-27 / BT-44
    address: Address
    vat_id: str = ""  # BT-31 / BT-48, with its country prefix
    tax_id: str = ""  # BT-32: a tax number that is not a VAT id (seller only)
    legal_registration_id: str = ""  # BT-30 (seller only)
    email: str = ""  # BT-43 / BT-58, the contact's email
    endpoint_scheme: str = ""  # BT-34-1 / BT-49-1: an EAS code, e.g. "0088", "9930" or "EM"
    endpoint_id: str = ""  # BT-34 / BT-49


@dataclass(frozen=True)
class Line:
    """BG-25. ``net_amount`` (BT-131) is what the line adds to the total without VAT."""

    id: str  # BT-126, "1", "2"…
    name: str  # BT-153
    quantity: Decimal  # BT-129, unit code UNIT
    net_price: Decimal  # BT-146, without VAT, per unit; any number of decimals
    net_amount: Decimal  # BT-131
    vat_category: str  # BT-151
    vat_rate: Decimal  # BT-152, percent


@dataclass(frozen=True)
class Allowance:
    """A document level allowance (BG-20): the discount's share at one VAT category and rate."""

    amount: Decimal  # BT-92
    reason: str  # BT-97
    vat_category: str  # BT-95
    vat_rate: Decimal  # BT-96


@dataclass(frozen=True)
class VatBreakdown:
    """BG-23, one per category and rate."""

    category: str  # BT-118
    rate: Decimal  # BT-119
    taxable_amount: Decimal  # BT-116
    tax_amount: Decimal  # BT-117
    exemption_reason: str = ""  # BT-120, for E and AE
    exemption_reason_code: str = ""  # BT-121, e.g. "VATEX-EU-AE"


@dataclass(frozen=True)
class Totals:
    """BG-22."""

    line_total: Decimal  # BT-106: the sum of the lines' net amounts
    allowance_total: Decimal  # BT-107
    tax_exclusive: Decimal  # BT-109 = BT-106 - BT-107
    tax_total: Decimal  # BT-110
    tax_inclusive: Decimal  # BT-112 = BT-109 + BT-110
    prepaid: Decimal  # BT-113: payments received
    payable: Decimal  # BT-115 = BT-112 - BT-113


@dataclass(frozen=True)
class PaymentMeans:
    """BG-16."""

    code: str  # BT-81
    text: str = ""  # BT-82
    iban: str = ""  # BT-84, for transfers
    bic: str = ""  # BT-86
    account_name: str = ""  # BT-85


@dataclass(frozen=True)
class EInvoice:
    number: str  # BT-1
    type_code: str  # BT-3: INVOICE or CREDIT_NOTE
    issue_date: date  # BT-2
    currency: str  # BT-5
    seller: TradeParty
    buyer: TradeParty
    lines: tuple[Line, ...]
    vat_breakdown: tuple[VatBreakdown, ...]
    totals: Totals
    allowances: tuple[Allowance, ...] = ()
    due_date: date | None = None  # BT-9
    payment_terms: str = ""  # BT-20
    payment_means: tuple[PaymentMeans, ...] = ()
    remittance_information: str = ""  # BT-83, what a transfer should quote: the number
    buyer_reference: str = ""  # BT-10
    preceding_invoice: str = ""  # BT-25: the invoice a credit note credits
    preceding_invoice_date: date | None = None  # BT-26
    notes: tuple[str, ...] = ()  # BT-22
