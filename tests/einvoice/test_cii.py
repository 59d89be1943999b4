"""The CII writer, on hand-built EN 16931 documents: each case must pass the official EN 16931 rules
and the Factur-X EN 16931 XML schema, and say what the document says when read back."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from facturx import xml_check_xsd
from lxml import etree

from invoicing.einvoice import document as doc
from invoicing.einvoice.cii import to_cii

from .documents import BUYER, SELLER, SEPA, einvoice

D = Decimal
NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
SUMMATION = SETTLEMENT + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"


def written(einvoice: doc.EInvoice, en16931) -> etree._Element:
    """The document's CII, once it has passed the Factur-X schema and the EN 16931 rules."""
    xml = to_cii(einvoice)
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    en16931.assert_valid(xml, "cii")
    return etree.fromstring(xml)


def text(tree, path: str) -> str:
    (found,) = tree.xpath(path, namespaces=NAMESPACES)
    return found if isinstance(found, str) else found.text


def read_back(tree, expected: dict[str, str]) -> dict[str, str]:
    """What ``tree`` holds at each of ``expected``'s paths, to compare in one go (one diff for all)."""
    return {path: text(tree, path) for path in expected}


def texts(tree, path: str) -> list[str]:
    return [found if isinstance(found, str) else found.text for found in tree.xpath(path, namespaces=NAMESPACES)]


def read_party(tree, role: str) -> doc.TradeParty:
    """The ``role`` ("Seller", "Buyer") trade party as the CII states it; what it leaves out reads as ""."""
    party = AGREEMENT + f"ram:{role}TradeParty/"
    address = party + "ram:PostalTradeAddress/"

    def optional(path: str) -> str:
        return "".join(texts(tree, party + path))

    return doc.TradeParty(
        name=text(tree, party + "ram:Name"),
        address=doc.Address(
            text(tree, address + "ram:CountryID"),
            tuple(texts(tree, address + "*[starts-with(local-name(), 'Line')]")),
            text(tree, address + "ram:CityName"),
            text(tree, address + "ram:PostcodeCode"),
        ),
        vat_id=optional("ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
        tax_id=optional("ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']"),
        legal_registration_id=optional("ram:SpecifiedLegalOrganization/ram:ID"),
        email=optional("ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"),
        endpoint_scheme=optional("ram:URIUniversalCommunication/ram:URIID/@schemeID"),
        endpoint_id=optional("ram:URIUniversalCommunication/ram:URIID"),
    )


STANDARD = [
    ("Design work", "12.5", "80", doc.STANDARD, "19"),
    ("Printed catalogue", "3", "1E+2", doc.STANDARD, "7"),
    ("Export shipping", "1", "45.50", doc.ZERO_RATED, "0"),
]


def test_two_rates_and_a_zero_rated_line(en16931):
    tree = written(einvoice(STANDARD, notes=("Thank you for your order.",), buyer_reference="PO-7781"), en16931)

    assert text(tree, "rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert text(tree, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20260302"
    assert text(tree, "rsm:ExchangedDocument/ram:IncludedNote/ram:Content") == "Thank you for your order."
    assert text(tree, "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017"
    )
    assert text(tree, AGREEMENT + "ram:BuyerReference") == "PO-7781"
    # No exponent: a price of 1E+2 is written 100.
    assert texts(tree, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["80", "100", "45.50"]
    assert texts(tree, "//ram:IncludedSupplyChainTradeLineItem//ram:CategoryCode") == ["S", "S", "Z"]
    assert texts(tree, SETTLEMENT + "ram:ApplicableTradeTax/ram:BasisAmount") == ["1000.00", "300.00", "45.50"]
    assert texts(tree, SETTLEMENT + "ram:ApplicableTradeTax/ram:CalculatedAmount") == ["190.00", "21.00", "0.00"]
    assert text(tree, SUMMATION + "ram:TaxTotalAmount") == "211.00"
    assert text(tree, SUMMATION + "ram:TaxTotalAmount/@currencyID") == "EUR"
    assert text(tree, SUMMATION + "ram:DuePayableAmount") == "1556.50"


def test_the_parties_read_back(en16931):
    buyer = replace(BUYER, vat_id="")
    tree = written(einvoice(STANDARD, buyer=buyer), en16931)

    assert read_party(tree, "Seller") == SELLER
    assert read_party(tree, "Buyer") == buyer
    assert texts(tree, AGREEMENT + "ram:SellerTradeParty/ram:PostalTradeAddress/*") == [
        "10115", "Hauptstraße 1", "Hinterhaus", "3. OG", "Berlin", "DE",
    ]  # fmt: skip
    # The buyer has no VAT id here: nothing is written rather than an empty element.
    assert tree.xpath(AGREEMENT + "ram:BuyerTradeParty/ram:SpecifiedTaxRegistration", namespaces=NAMESPACES) == []


def test_exempt(en16931):
    tree = written(einvoice([("Training course", "2", "350", doc.EXEMPT, "0")]), en16931)

    assert text(tree, SETTLEMENT + "ram:ApplicableTradeTax/ram:CategoryCode") == "E"
    assert text(tree, SETTLEMENT + "ram:ApplicableTradeTax/ram:ExemptionReason").startswith("Exempt from VAT")
    assert text(tree, SUMMATION + "ram:DuePayableAmount") == "700.00"


def test_reverse_charge(en16931):
    tree = written(einvoice([("Consulting", "8", "120", doc.REVERSE_CHARGE, "0")]), en16931)

    tax = SETTLEMENT + "ram:ApplicableTradeTax/"
    assert [text(tree, tax + "ram:CategoryCode"), text(tree, tax + "ram:ExemptionReasonCode")] == ["AE", "VATEX-EU-AE"]
    assert text(tree, AGREEMENT + "ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == (
        "FR40303265045"
    )
    assert text(tree, SUMMATION + "ram:TaxTotalAmount") == "0.00"


def test_a_reverse_charge_without_the_buyers_vat_id_is_caught(en16931):
    buyer = replace(BUYER, vat_id="")
    xml = to_cii(einvoice([("Consulting", "8", "120", doc.REVERSE_CHARGE, "0")], buyer=buyer))

    assert "BR-AE-02" in {failure.rule for failure in en16931.fatal(xml, "cii")}


def test_a_discount_split_per_rate(en16931):
    discounts = [("50", doc.STANDARD, "19"), ("15", doc.STANDARD, "7")]
    tree = written(einvoice(STANDARD, discounts=discounts), en16931)

    allowance = SETTLEMENT + "ram:SpecifiedTradeAllowanceCharge/"
    assert texts(tree, allowance + "ram:ChargeIndicator/udt:Indicator") == ["false", "false"]
    assert texts(tree, allowance + "ram:ActualAmount") == ["50", "15"]
    assert texts(tree, allowance + "ram:CategoryTradeTax/ram:RateApplicablePercent") == ["19", "7"]
    assert texts(tree, SETTLEMENT + "ram:ApplicableTradeTax/ram:BasisAmount") == ["950.00", "285.00", "45.50"]
    assert text(tree, SUMMATION + "ram:AllowanceTotalAmount") == "65"
    assert text(tree, SUMMATION + "ram:TaxBasisTotalAmount") == "1280.50"


def test_a_partial_prepayment(en16931):
    tree = written(einvoice(STANDARD, prepaid="500.00"), en16931)

    assert text(tree, SUMMATION + "ram:GrandTotalAmount") == "1556.50"
    assert text(tree, SUMMATION + "ram:TotalPrepaidAmount") == "500.00"
    assert text(tree, SUMMATION + "ram:DuePayableAmount") == "1056.50"


def test_yen_have_no_decimals(en16931):
    items = [("Translation", "3", "12500", doc.STANDARD, "10"), ("Proofreading", "1", "4999", doc.STANDARD, "10")]
    tree = written(einvoice(items, currency="JPY"), en16931)

    assert text(tree, SETTLEMENT + "ram:InvoiceCurrencyCode") == "JPY"
    assert text(tree, SUMMATION + "ram:TaxTotalAmount") == "4250"
    assert text(tree, SUMMATION + "ram:DuePayableAmount") == "46749"


def test_a_credit_note_names_the_invoice_it_credits(en16931):
    credit_note = einvoice(
        [("Design work, refunded", "2", "80", doc.STANDARD, "19")],
        number="ACME-2026-C0003",
        type_code=doc.CREDIT_NOTE,
        preceding_invoice="ACME-2026-00042",
        preceding_invoice_date=date(2026, 3, 2),
        due_date=None,
        payment_means=(),
    )
    tree = written(credit_note, en16931)

    assert text(tree, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    reference = SETTLEMENT + "ram:InvoiceReferencedDocument/"
    assert text(tree, reference + "ram:IssuerAssignedID") == "ACME-2026-00042"
    assert text(tree, reference + "ram:FormattedIssueDateTime/qdt:DateTimeString") == "20260302"
    assert text(tree, reference + "ram:FormattedIssueDateTime/qdt:DateTimeString/@format") == "102"
    assert text(tree, SUMMATION + "ram:DuePayableAmount") == "190.40"


def test_a_sepa_transfer(en16931):
    transfer = replace(SEPA, text="Quote ACME-2026-00042")
    tree = written(einvoice(STANDARD, payment_means=(transfer,)), en16931)
    payment = SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
    expected = {
        payment + "ram:TypeCode": "58",
        payment + "ram:Information": "Quote ACME-2026-00042",
        payment + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID": "DE89370400440532013000",
        payment + "ram:PayeePartyCreditorFinancialAccount/ram:AccountName": "Acme Studio GmbH",
        payment + "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID": "COBADEFFXXX",
        SETTLEMENT + "ram:PaymentReference": "ACME-2026-00042",
        SETTLEMENT + "ram:SpecifiedTradePaymentTerms/ram:Description": "30 days net",
        SETTLEMENT + "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString": "20260401",
    }

    assert read_back(tree, expected) == expected


def test_an_online_payment(en16931):
    online = doc.PaymentMeans(doc.ONLINE_PAYMENT, text="Pay online: https://acme.example/pay/")
    tree = written(einvoice(STANDARD, payment_means=(online,)), en16931)

    payment = SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
    assert texts(tree, payment + "ram:TypeCode") == ["68"]
    assert text(tree, payment + "ram:Information") == "Pay online: https://acme.example/pay/"
    assert tree.xpath(payment + "ram:PayeePartyCreditorFinancialAccount", namespaces=NAMESPACES) == []


def test_an_invoice_has_one_payment_means_code(en16931):
    """EN 16931 has one BG-16 per invoice: several accounts, but one code and one text. A transfer and
    the pay link together are a broken document, so the service must choose one of them."""
    online = doc.PaymentMeans(doc.ONLINE_PAYMENT, text="Pay online: https://acme.example/pay/")
    xml = to_cii(einvoice(STANDARD, payment_means=(SEPA, online)))

    assert "CII-SR-467" in {failure.rule for failure in en16931.fatal(xml, "cii")}


def test_a_breakdown_whose_tax_is_off_is_caught(en16931):
    good = einvoice(STANDARD)
    first, *others = good.vat_breakdown
    broken = replace(good, vat_breakdown=(replace(first, tax_amount=first.tax_amount + 5), *others))

    rules = {failure.rule for failure in en16931.fatal(to_cii(broken), "cii")}

    assert {"BR-CO-14", "BR-S-09"} <= rules


@pytest.mark.parametrize("amount", [D("0.1E+3"), D("1E+2")])
def test_amounts_never_use_an_exponent(amount):
    lines = [("Design work", "1", "80", doc.STANDARD, "19")]
    tree = etree.fromstring(to_cii(einvoice(lines, prepaid=amount)))

    assert text(tree, SUMMATION + "ram:TotalPrepaidAmount") == "100"
