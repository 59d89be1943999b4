"""Hand-built EN 16931 documents for the writers' tests: one seller, one buyer, one SEPA account,
and a builder whose totals follow from the lines, allowances and VAT breakdown the way the
standard checks them (BR-CO-10 to BR-CO-16), so that each test states only what it varies."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from invoicing.einvoice import document as doc

# The identifiers carry valid check digits (German VAT id, French SIREN and VAT key, IBAN).
SELLER = doc.TradeParty(
    name="Acme Studio GmbH",
    address=doc.Address("DE", ("Hauptstraße 1", "Hinterhaus", "3. OG"), "Berlin", "10115"),
    vat_id="DE123456788",
    tax_id="30/123/45678",
    legal_registration_id="HRB 12345",
    email="billing@acme.example",
    endpoint_scheme="9930",
    endpoint_id="DE123456788",
)
BUYER = doc.TradeParty(
    name="Globex SARL",
    address=doc.Address("FR", ("12 rue de la Paix",), "Paris", "75002"),
    vat_id="FR40303265045",
    email="ap@globex.example",
    endpoint_scheme=doc.EMAIL_SCHEME,
    endpoint_id="ap@globex.example",
)
SEPA = doc.PaymentMeans(
    doc.SEPA_CREDIT_TRANSFER, "SEPA credit transfer", "DE89370400440532013000", "COBADEFFXXX", SELLER.name
)
# The reason (BT-120) and its code (BT-121) that the rules ask of each VAT category without tax.
EXEMPTIONS = {
    doc.EXEMPT: ("Exempt from VAT under Article 132(1)(i) of Directive 2006/112/EC", "VATEX-EU-132-1I"),
    doc.REVERSE_CHARGE: ("Reverse charge", "VATEX-EU-AE"),
}


def einvoice(items, *, currency="EUR", discounts=(), prepaid="0", **fields) -> doc.EInvoice:
    """A consistent document: ``items`` are (name, quantity, net price, category, rate), ``discounts``
    (amount, category, rate); ``fields`` replace the defaults, a SEPA-paid invoice from SELLER to BUYER."""
    places = Decimal(1) if currency == "JPY" else Decimal("0.01")
    lines = tuple(
        doc.Line(
            str(number),
            name,
            Decimal(quantity),
            Decimal(price),
            (Decimal(quantity) * Decimal(price)).quantize(places),
            category,
            Decimal(rate),
        )
        for number, (name, quantity, price, category, rate) in enumerate(items, start=1)
    )
    allowances = tuple(
        doc.Allowance(Decimal(amount), "Early customer discount", category, Decimal(rate))
        for amount, category, rate in discounts
    )
    breakdown = []
    for category, rate in dict.fromkeys((line.vat_category, line.vat_rate) for line in lines):
        taxable = sum(line.net_amount for line in lines if (line.vat_category, line.vat_rate) == (category, rate))
        taxable -= sum(a.amount for a in allowances if (a.vat_category, a.vat_rate) == (category, rate))
        tax = (taxable * rate / 100).quantize(places, ROUND_HALF_UP)
        reason, code = EXEMPTIONS.get(category, ("", ""))
        breakdown.append(doc.VatBreakdown(category, rate, taxable, tax, reason, code))
    line_total = sum(line.net_amount for line in lines)
    allowance_total = sum((a.amount for a in allowances), Decimal(0))
    tax_total = sum(b.tax_amount for b in breakdown)
    tax_inclusive = line_total - allowance_total + tax_total
    totals = doc.Totals(
        line_total=line_total,
        allowance_total=allowance_total,
        tax_exclusive=line_total - allowance_total,
        tax_total=tax_total,
        tax_inclusive=tax_inclusive,
        prepaid=Decimal(prepaid),
        payable=tax_inclusive - Decimal(prepaid),
    )
    defaults = {
        "number": "ACME-2026-00042",
        "type_code": doc.INVOICE,
        "issue_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "payment_terms": "30 days net",
        "payment_means": (SEPA,),
        "remittance_information": "ACME-2026-00042",
        "seller": SELLER,
        "buyer": BUYER,
    }
    return doc.EInvoice(
        currency=currency,
        lines=lines,
        vat_breakdown=tuple(breakdown),
        totals=totals,
        allowances=allowances,
        **(defaults | fields),
    )
