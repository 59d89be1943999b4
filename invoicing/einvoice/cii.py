"""An EN 16931 document written as a UN/CEFACT Cross Industry Invoice (CII D16B): the XML that
Factur-X and ZUGFeRD embed in the PDF, at their EN 16931 ("COMFORT") profile.

The CII schema fixes the order of every element, so each function below writes its group in the
schema's order, not the standard's. Optional elements with nothing to say are left out: an empty
element is an error for most readers.
"""

from datetime import date
from decimal import Decimal
from functools import cache

from lxml import etree

from .document import UNIT, Address, EInvoice, Line, TradeParty

GUIDELINE = "urn:cen.eu:en16931:2017"  # the Factur-X EN 16931 / ZUGFeRD COMFORT profile id
VAT = "VAT"
DATE_FORMAT = "102"  # UNTDID 2379: CCYYMMDD

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}


def to_cii(einvoice: EInvoice) -> bytes:
    """The invoice or credit note as CII XML, UTF-8, with its declaration."""
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = etree.SubElement(root, f"{{{RSM}}}ExchangedDocumentContext")
    _nested(context, "GuidelineSpecifiedDocumentContextParameter/ID", GUIDELINE)
    _header(etree.SubElement(root, f"{{{RSM}}}ExchangedDocument"), einvoice)
    transaction = etree.SubElement(root, f"{{{RSM}}}SupplyChainTradeTransaction")
    for line in einvoice.lines:
        _line(transaction, line)
    _agreement(_nested(transaction, "ApplicableHeaderTradeAgreement"), einvoice)
    # Nothing about delivery is known (no delivery date or address), but the schema wants the group.
    _nested(transaction, "ApplicableHeaderTradeDelivery")
    _settlement(_nested(transaction, "ApplicableHeaderTradeSettlement"), einvoice)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _header(document, einvoice: EInvoice) -> None:
    _nested(document, "ID", einvoice.number)
    _nested(document, "TypeCode", einvoice.type_code)
    _date(document, "IssueDateTime", einvoice.issue_date)
    for note in einvoice.notes:
        _nested(document, "IncludedNote/Content", note)


def _line(transaction, line: Line) -> None:
    item = _nested(transaction, "IncludedSupplyChainTradeLineItem")
    _nested(item, "AssociatedDocumentLineDocument/LineID", line.id)
    _nested(item, "SpecifiedTradeProduct/Name", line.name)
    _nested(item, "SpecifiedLineTradeAgreement/NetPriceProductTradePrice/ChargeAmount", _decimal(line.net_price))
    _nested(item, "SpecifiedLineTradeDelivery/BilledQuantity", _decimal(line.quantity), unitCode=UNIT)
    settlement = _nested(item, "SpecifiedLineTradeSettlement")
    _category(_nested(settlement, "ApplicableTradeTax"), line.vat_category, line.vat_rate)
    _nested(settlement, "SpecifiedTradeSettlementLineMonetarySummation/LineTotalAmount", _decimal(line.net_amount))


def _agreement(agreement, einvoice: EInvoice) -> None:
    _optional(agreement, "BuyerReference", einvoice.buyer_reference)
    _party(_nested(agreement, "SellerTradeParty"), einvoice.seller)
    _party(_nested(agreement, "BuyerTradeParty"), einvoice.buyer)


def _party(element, party: TradeParty) -> None:
    _nested(element, "Name", party.name)
    _optional(element, "SpecifiedLegalOrganization/ID", party.legal_registration_id)
    _optional(element, "DefinedTradeContact/EmailURIUniversalCommunication/URIID", party.email)
    _address(_nested(element, "PostalTradeAddress"), party.address)
    if party.endpoint_id:
        _nested(element, "URIUniversalCommunication/URIID", party.endpoint_id, schemeID=party.endpoint_scheme)
    # UNTDID 1153 in CII: VA is the VAT id, FC the seller's tax number when it is not one.
    if party.vat_id:
        _nested(element, "SpecifiedTaxRegistration/ID", party.vat_id, schemeID="VA")
    if party.tax_id:
        _nested(element, "SpecifiedTaxRegistration/ID", party.tax_id, schemeID="FC")


def _address(element, address: Address) -> None:
    _optional(element, "PostcodeCode", address.postal_code)
    for name, text in zip(("LineOne", "LineTwo", "LineThree"), address.lines, strict=False):
        _optional(element, name, text)
    _optional(element, "CityName", address.city)
    _nested(element, "CountryID", address.country)


def _settlement(settlement, einvoice: EInvoice) -> None:
    _optional(settlement, "PaymentReference", einvoice.remittance_information)
    _nested(settlement, "InvoiceCurrencyCode", einvoice.currency)
    for means in einvoice.payment_means:
        element = _nested(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _nested(element, "TypeCode", means.code)
        _optional(element, "Information", means.text)
        if means.iban or means.account_name:
            account = _nested(element, "PayeePartyCreditorFinancialAccount")
            _optional(account, "IBANID", means.iban)
            _optional(account, "AccountName", means.account_name)
        _optional(element, "PayeeSpecifiedCreditorFinancialInstitution/BICID", means.bic)
    for breakdown in einvoice.vat_breakdown:
        tax = _nested(settlement, "ApplicableTradeTax")
        _nested(tax, "CalculatedAmount", _decimal(breakdown.tax_amount))
        _nested(tax, "TypeCode", VAT)
        _optional(tax, "ExemptionReason", breakdown.exemption_reason)
        _nested(tax, "BasisAmount", _decimal(breakdown.taxable_amount))
        _nested(tax, "CategoryCode", breakdown.category)
        _optional(tax, "ExemptionReasonCode", breakdown.exemption_reason_code)
        _nested(tax, "RateApplicablePercent", _decimal(breakdown.rate))
    for allowance in einvoice.allowances:
        element = _nested(settlement, "SpecifiedTradeAllowanceCharge")
        indicator = _nested(element, "ChargeIndicator")
        etree.SubElement(indicator, f"{{{UDT}}}Indicator").text = "false"
        _nested(element, "ActualAmount", _decimal(allowance.amount))
        _optional(element, "Reason", allowance.reason)
        _category(_nested(element, "CategoryTradeTax"), allowance.vat_category, allowance.vat_rate)
    if einvoice.payment_terms or einvoice.due_date:
        terms = _nested(settlement, "SpecifiedTradePaymentTerms")
        _optional(terms, "Description", einvoice.payment_terms)
        if einvoice.due_date:
            _date(terms, "DueDateDateTime", einvoice.due_date)
    _totals(_nested(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation"), einvoice)
    if einvoice.preceding_invoice:
        reference = _nested(settlement, "InvoiceReferencedDocument")
        _nested(reference, "IssuerAssignedID", einvoice.preceding_invoice)
        if einvoice.preceding_invoice_date:
            _date(reference, "FormattedIssueDateTime", einvoice.preceding_invoice_date, QDT)


def _totals(summation, einvoice: EInvoice) -> None:
    totals = einvoice.totals
    _nested(summation, "LineTotalAmount", _decimal(totals.line_total))
    _nested(summation, "ChargeTotalAmount", "0")  # the module never adds document level charges
    _nested(summation, "AllowanceTotalAmount", _decimal(totals.allowance_total))
    _nested(summation, "TaxBasisTotalAmount", _decimal(totals.tax_exclusive))
    # Only this amount carries its currency: CII allows a second one, in the VAT accounting currency.
    _nested(summation, "TaxTotalAmount", _decimal(totals.tax_total), currencyID=einvoice.currency)
    _nested(summation, "GrandTotalAmount", _decimal(totals.tax_inclusive))
    _nested(summation, "TotalPrepaidAmount", _decimal(totals.prepaid))
    _nested(summation, "DuePayableAmount", _decimal(totals.payable))


def _category(tax, category: str, rate: Decimal) -> None:
    """The VAT category and rate of a line or an allowance (BG-30, BG-21's BT-95 and BT-96)."""
    _nested(tax, "TypeCode", VAT)
    _nested(tax, "CategoryCode", category)
    _nested(tax, "RateApplicablePercent", _decimal(rate))


def _date(parent, name: str, value: date, namespace: str = UDT) -> None:
    """A date as CII writes it: a ``DateTimeString`` in format 102, in ``udt`` or, for references, ``qdt``."""
    holder = _nested(parent, name)
    etree.SubElement(holder, f"{{{namespace}}}DateTimeString", format=DATE_FORMAT).text = value.strftime("%Y%m%d")


def _decimal(value: Decimal) -> str:
    # xs:decimal has no exponent: Decimal("1E+2") must read "100", never "1E+2".
    return format(value, "f")


def _nested(parent, path: str, text: str | None = None, **attributes: str):
    """The chain of ``ram`` elements of ``path`` ("A/B/C") under ``parent``; the last one gets
    ``text`` and ``attributes`` and is returned."""
    for tag in _tags(path):
        parent = etree.SubElement(parent, tag)
    if attributes:
        parent.attrib.update(attributes)
    if text is not None:
        parent.text = text
    return parent


@cache
def _tags(path: str) -> tuple[str, ...]:
    # Spelled out once per path, not per element: about 0.1 ms of a 10-line invoice's half millisecond.
    return tuple(f"{{{RAM}}}{name}" for name in path.split("/"))


def _optional(parent, path: str, text: str) -> None:
    if text:
        _nested(parent, path, text)
