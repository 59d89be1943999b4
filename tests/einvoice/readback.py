"""Figures read back from e-invoice XML, in either syntax, to compare with the database, the PDF
and each other."""

from decimal import Decimal

from lxml import etree

CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
UBL_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
UBL_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
UBL = {"cbc": UBL_CBC, "cac": UBL_CAC}

CII_TOTALS = {
    "line_total": "LineTotalAmount",
    "allowance_total": "AllowanceTotalAmount",
    "tax_exclusive": "TaxBasisTotalAmount",
    "tax_total": "TaxTotalAmount",
    "tax_inclusive": "GrandTotalAmount",
    "prepaid": "TotalPrepaidAmount",
    "payable": "DuePayableAmount",
}
UBL_TOTALS = {
    "line_total": "LineExtensionAmount",
    "allowance_total": "AllowanceTotalAmount",
    "tax_exclusive": "TaxExclusiveAmount",
    "tax_inclusive": "TaxInclusiveAmount",
    "prepaid": "PrepaidAmount",
    "payable": "PayableAmount",
}


def _amount(text) -> Decimal:
    return Decimal(text) if text is not None else Decimal(0)


def cii_figures(xml: bytes) -> dict:
    root = etree.fromstring(xml)
    summary = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", CII)
    figures = {name: _amount(summary.findtext(f"ram:{tag}", namespaces=CII)) for name, tag in CII_TOTALS.items()}
    figures["by_rate"] = sorted(
        (
            Decimal(tax.findtext("ram:RateApplicablePercent", namespaces=CII)),
            Decimal(tax.findtext("ram:BasisAmount", namespaces=CII)),
            Decimal(tax.findtext("ram:CalculatedAmount", namespaces=CII)),
        )
        for tax in root.findall(
            "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", CII
        )
    )
    figures["type_code"] = root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=CII)
    figures["number"] = root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=CII)
    return figures


def ubl_figures(xml: bytes) -> dict:
    root = etree.fromstring(xml)
    total = root.find("cac:LegalMonetaryTotal", UBL)
    figures = {name: _amount(total.findtext(f"cbc:{tag}", namespaces=UBL)) for name, tag in UBL_TOTALS.items()}
    tax_total = root.find("cac:TaxTotal", UBL)
    figures["tax_total"] = _amount(tax_total.findtext("cbc:TaxAmount", namespaces=UBL))
    figures["by_rate"] = sorted(
        (
            Decimal(sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=UBL) or 0),
            Decimal(sub.findtext("cbc:TaxableAmount", namespaces=UBL)),
            Decimal(sub.findtext("cbc:TaxAmount", namespaces=UBL)),
        )
        for sub in tax_total.findall("cac:TaxSubtotal", UBL)
    )
    figures["type_code"] = root.findtext("cbc:InvoiceTypeCode", namespaces=UBL) or root.findtext(
        "cbc:CreditNoteTypeCode", namespaces=UBL
    )
    figures["number"] = root.findtext("cbc:ID", namespaces=UBL)
    return figures
