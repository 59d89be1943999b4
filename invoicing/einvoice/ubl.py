"""An EN 16931 document written as OASIS UBL 2.1, the syntax of Peppol BIS Billing 3.0: an ``Invoice``
or, for type code 381, a ``CreditNote``.

The UBL schema fixes the order of every element (a sequence per type), so each function below lists
its children in the schema's order, not the standard's. Optional elements with nothing to say are
left out: Peppol rejects empty elements (PEPPOL-EN16931-R008).
"""

from datetime import date
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from .document import CREDIT_NOTE, UNIT, Address, Allowance, EInvoice, Line, TradeParty, VatBreakdown

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"  # BT-24
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"  # BT-23
VAT = "VAT"
# BT-32, the seller's tax number, is the PartyTaxScheme whose scheme is not VAT; Peppol's examples say TAX.
TAX_NUMBER_SCHEME = "TAX"

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOT_NAMESPACES = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}

cac = ElementMaker(namespace=CAC)
cbc = ElementMaker(namespace=CBC)


def to_ubl(einvoice: EInvoice) -> bytes:
    """The invoice or credit note as UBL 2.1 XML, UTF-8, with its declaration."""
    credit_note = einvoice.type_code == CREDIT_NOTE
    kind = "CreditNote" if credit_note else "Invoice"
    namespace = ROOT_NAMESPACES[kind]
    currency = einvoice.currency
    # The root declares the prefixes once; lxml moves every element built below under them.
    root = ElementMaker(namespace=namespace, nsmap={None: namespace, "cac": CAC, "cbc": CBC})(
        kind,
        cbc.CustomizationID(CUSTOMIZATION_ID),
        cbc.ProfileID(PROFILE_ID),
        cbc.ID(einvoice.number),
        cbc.IssueDate(einvoice.issue_date.isoformat()),
        # A CreditNote has no DueDate: its BT-9 is the payment means' PaymentDueDate.
        *_optional("DueDate", None if credit_note else _date(einvoice.due_date)),
        cbc(f"{kind}TypeCode", einvoice.type_code),
        # Peppol allows one document note (PEPPOL-EN16931-R002): the notes share it, a paragraph each.
        *_optional("Note", "\n\n".join(einvoice.notes)),
        cbc.DocumentCurrencyCode(currency),
        *_optional("BuyerReference", einvoice.buyer_reference),
        *_billing_reference(einvoice),
        cac.AccountingSupplierParty(_party(einvoice.seller)),
        cac.AccountingCustomerParty(_party(einvoice.buyer)),
        *_payment_means(einvoice, due_date=einvoice.due_date if credit_note else None),
        *([cac.PaymentTerms(cbc.Note(einvoice.payment_terms))] if einvoice.payment_terms else []),
        *(_allowance(allowance, currency) for allowance in einvoice.allowances),
        cac.TaxTotal(
            _amount("TaxAmount", einvoice.totals.tax_total, currency),
            *(_tax_subtotal(breakdown, currency) for breakdown in einvoice.vat_breakdown),
        ),
        _monetary_total(einvoice),
        *(_line(line, kind, currency) for line in einvoice.lines),
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _billing_reference(einvoice: EInvoice) -> list:
    """BG-3: the invoice a credit note credits (BT-25, BT-26)."""
    if not einvoice.preceding_invoice:
        return []
    reference = cac.InvoiceDocumentReference(
        cbc.ID(einvoice.preceding_invoice), *_optional("IssueDate", _date(einvoice.preceding_invoice_date))
    )
    return [cac.BillingReference(reference)]


def _party(party: TradeParty):
    """BG-4 / BG-7. The name is the legal one (RegistrationName): the model has no trading name (BT-28)."""
    return cac.Party(
        *_optional("EndpointID", party.endpoint_id, schemeID=party.endpoint_scheme),
        _address(party.address),
        *_party_tax_scheme(party.vat_id, VAT),
        *_party_tax_scheme(party.tax_id, TAX_NUMBER_SCHEME),
        cac.PartyLegalEntity(cbc.RegistrationName(party.name), *_optional("CompanyID", party.legal_registration_id)),
        *([cac.Contact(cbc.ElectronicMail(party.email))] if party.email else []),
    )


def _address(address: Address):
    """BG-5 / BG-8: the street lines are StreetName, AdditionalStreetName and one AddressLine."""
    street, additional, third = (*address.lines, "", "", "")[:3]
    return cac.PostalAddress(
        *_optional("StreetName", street),
        *_optional("AdditionalStreetName", additional),
        *_optional("CityName", address.city),
        *_optional("PostalZone", address.postal_code),
        *([cac.AddressLine(cbc.Line(third))] if third else []),
        cac.Country(cbc.IdentificationCode(address.country)),
    )


def _party_tax_scheme(company_id: str, scheme: str) -> list:
    if not company_id:
        return []
    return [cac.PartyTaxScheme(cbc.CompanyID(company_id), cac.TaxScheme(cbc.ID(scheme)))]


def _payment_means(einvoice: EInvoice, due_date: date | None) -> list:
    """BG-16, one PaymentMeans per account. UBL allows the means text (BT-82) and the due date
    (a credit note's BT-9) once in the document (UBL-SR-45, UBL-SR-46): the first means carries them."""
    elements = []
    for position, means in enumerate(einvoice.payment_means):
        first = position == 0
        account = []
        if means.iban:  # BG-17
            account = [
                cac.PayeeFinancialAccount(
                    cbc.ID(means.iban),
                    *_optional("Name", means.account_name),
                    *([cac.FinancialInstitutionBranch(cbc.ID(means.bic))] if means.bic else []),
                )
            ]
        elements.append(
            cac.PaymentMeans(
                _text("PaymentMeansCode", means.code, name=means.text if first else ""),
                *_optional("PaymentDueDate", _date(due_date) if first else ""),
                *_optional("PaymentID", einvoice.remittance_information),
                *account,
            )
        )
    return elements


def _allowance(allowance: Allowance, currency: str):
    """BG-20: a document level allowance, never a charge (the module adds none)."""
    return cac.AllowanceCharge(
        cbc.ChargeIndicator("false"),
        *_optional("AllowanceChargeReason", allowance.reason),
        _amount("Amount", allowance.amount, currency),
        _tax_category("TaxCategory", allowance.vat_category, allowance.vat_rate),
    )


def _tax_subtotal(breakdown: VatBreakdown, currency: str):
    """BG-23, one per VAT category and rate."""
    return cac.TaxSubtotal(
        _amount("TaxableAmount", breakdown.taxable_amount, currency),
        _amount("TaxAmount", breakdown.tax_amount, currency),
        _tax_category(
            "TaxCategory",
            breakdown.category,
            breakdown.rate,
            *_optional("TaxExemptionReasonCode", breakdown.exemption_reason_code),
            *_optional("TaxExemptionReason", breakdown.exemption_reason),
        ),
    )


def _monetary_total(einvoice: EInvoice):
    """BG-22. The allowance total and the prepaid amount are written when there is something to say."""
    totals, currency = einvoice.totals, einvoice.currency
    return cac.LegalMonetaryTotal(
        _amount("LineExtensionAmount", totals.line_total, currency),
        _amount("TaxExclusiveAmount", totals.tax_exclusive, currency),
        _amount("TaxInclusiveAmount", totals.tax_inclusive, currency),
        *([_amount("AllowanceTotalAmount", totals.allowance_total, currency)] if einvoice.allowances else []),
        *([_amount("PrepaidAmount", totals.prepaid, currency)] if totals.prepaid else []),
        _amount("PayableAmount", totals.payable, currency),
    )


def _line(line: Line, kind: str, currency: str):
    """BG-25: an InvoiceLine with its InvoicedQuantity, or a CreditNoteLine with its CreditedQuantity."""
    quantity = "CreditedQuantity" if kind == "CreditNote" else "InvoicedQuantity"
    return cac(
        f"{kind}Line",
        cbc.ID(line.id),
        cbc(quantity, _decimal(line.quantity), unitCode=UNIT),
        _amount("LineExtensionAmount", line.net_amount, currency),
        cac.Item(cbc.Name(line.name), _tax_category("ClassifiedTaxCategory", line.vat_category, line.vat_rate)),
        cac.Price(_amount("PriceAmount", line.net_price, currency)),
    )


def _tax_category(name: str, category: str, rate: Decimal, *exemption):
    """A VAT category and rate (BG-30 on a line, BT-95/BT-96 on an allowance, BT-118/BT-119 in the
    breakdown), followed by the breakdown's exemption reason, in the schema's place for it."""
    return cac(name, cbc.ID(category), cbc.Percent(_decimal(rate)), *exemption, cac.TaxScheme(cbc.ID(VAT)))


def _amount(name: str, value: Decimal, currency: str):
    return cbc(name, _decimal(value), currencyID=currency)


def _decimal(value: Decimal) -> str:
    # xs:decimal has no exponent: Decimal("1E+2") must read "100", never "1E+2".
    return format(value, "f")


def _date(value: date | None) -> str:
    return value.isoformat() if value else ""


def _text(tag: str, text: str, /, **attributes: str):
    """The cbc element ``tag``; attributes without a value (e.g. an unknown ``schemeID``) are left out."""
    return cbc(tag, text, **{key: value for key, value in attributes.items() if value})


def _optional(tag: str, text: str | None, /, **attributes: str) -> list:
    """The cbc element ``tag`` when there is ``text``, else nothing."""
    return [_text(tag, text, **attributes)] if text else []
