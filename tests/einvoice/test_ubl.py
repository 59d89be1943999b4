"""The UBL 2.1 writer (Peppol BIS Billing 3.0): hand-built EN 16931 documents, no database, each
checked against the OASIS UBL 2.1 XSD and the official EN 16931 rules for UBL, then read back."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from invoicing.einvoice.cii import to_cii
from invoicing.einvoice.document import CREDIT_NOTE, EMAIL_SCHEME, EXEMPT, REVERSE_CHARGE, STANDARD, ZERO_RATED
from invoicing.einvoice.ubl import CAC, CBC, to_ubl

from . import ubl_schema
from .documents import SEPA, einvoice
from .readback import cii_figures, ubl_figures
from .validation import rules_directory

NS = {"cac": CAC, "cbc": CBC}

DOCUMENTS = {
    "standard two rates and zero-rated": einvoice(
        [
            ("Web design", "2", "100.00", STANDARD, "19"),
            ("Printed brochure", "1", "50.00", STANDARD, "7"),
            ("Export shipping", "3", "10.00", ZERO_RATED, "0"),
        ],
        buyer_reference="PO-4711",
        notes=("Thank you for your business.", "Questions? billing@acme.example"),
    ),
    "exempt": einvoice([("Training course", "1", "500.00", EXEMPT, "0")]),
    "reverse charge": einvoice([("Consulting", "4", "250.00", REVERSE_CHARGE, "0")]),
    "allowances": einvoice(
        [("Web design", "2", "100.00", STANDARD, "19"), ("Printed brochure", "1", "100.00", STANDARD, "7")],
        discounts=[("20.00", STANDARD, "19"), ("10.00", STANDARD, "7")],
    ),
    "partial prepayment": einvoice([("Web design", "1", "100.00", STANDARD, "19")], prepaid="50.00"),
    "JPY": einvoice(
        [("Translation", "3", "1000", STANDARD, "10"), ("Proofreading", "2", "1250", STANDARD, "8")], currency="JPY"
    ),
    "credit note": einvoice(
        [("Web design, refunded", "1", "100.00", STANDARD, "19")],
        number="ACME-2026-C0003",
        type_code=CREDIT_NOTE,
        preceding_invoice="ACME-2026-00042",
        preceding_invoice_date=date(2026, 3, 2),
        remittance_information="ACME-2026-C0003",
    ),
    "SEPA, two accounts": einvoice(
        [("Web design", "1", "100.00", STANDARD, "19")],
        payment_means=(SEPA, replace(SEPA, iban="FR7630006000011234567890189", bic="AGRIFRPPXXX")),
    ),
}


def _tree(xml: bytes):
    return etree.fromstring(xml)


def _xsd_errors(schema, xml: bytes) -> list[str]:
    return [error.reason or str(error) for error in schema.iter_errors(_tree(xml))]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_document_passes_the_ubl_xsd_and_the_en16931_rules(name, ubl_xsd, en16931):
    xml = to_ubl(DOCUMENTS[name])

    assert _xsd_errors(ubl_xsd, xml) == []
    en16931.assert_valid(xml, "ubl")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_type_payable_amount_endpoints_and_currencies_read_back(name):
    document = DOCUMENTS[name]
    xml = to_ubl(document)
    tree = _tree(xml)
    kind = "CreditNote" if document.type_code == CREDIT_NOTE else "Invoice"

    assert xml.count(b"xmlns") == 3, "the namespaces are declared once, on the root"

    assert etree.QName(tree).localname == kind
    assert tree.findtext(f"cbc:{kind}TypeCode", namespaces=NS) == document.type_code
    assert tree.findtext("cbc:CustomizationID", namespaces=NS).endswith("urn:fdc:peppol.eu:2017:poacc:billing:3.0")
    payable = tree.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS)
    assert Decimal(payable.text) == document.totals.payable
    seller, buyer = (
        tree.find(f"cac:Accounting{role}Party/cac:Party/cbc:EndpointID", NS) for role in ("Supplier", "Customer")
    )
    assert (seller.get("schemeID"), seller.text) == ("9930", "DE123456788")
    assert (buyer.get("schemeID"), buyer.text) == (EMAIL_SCHEME, "ap@globex.example")
    amounts = [element for element in tree.iter() if etree.QName(element).localname.endswith("Amount")]
    assert {element.get("currencyID") for element in amounts} == {document.currency}
    assert not [element.text for element in amounts if "E" in element.text]


def test_the_parties_carry_address_lines_tax_ids_legal_data_and_email():
    party = _tree(to_ubl(DOCUMENTS["exempt"])).find("cac:AccountingSupplierParty/cac:Party", NS)

    address = party.find("cac:PostalAddress", NS)
    assert [address.findtext(path, namespaces=NS) for path in ("cbc:StreetName", "cbc:AdditionalStreetName")] == [
        "Hauptstraße 1",
        "Hinterhaus",
    ]
    assert address.findtext("cac:AddressLine/cbc:Line", namespaces=NS) == "3. OG"
    assert address.findtext("cac:Country/cbc:IdentificationCode", namespaces=NS) == "DE"
    schemes = {
        scheme.findtext("cac:TaxScheme/cbc:ID", namespaces=NS): scheme.findtext("cbc:CompanyID", namespaces=NS)
        for scheme in party.findall("cac:PartyTaxScheme", NS)
    }
    assert schemes == {"VAT": "DE123456788", "TAX": "30/123/45678"}
    assert party.findtext("cac:PartyLegalEntity/cbc:RegistrationName", namespaces=NS) == "Acme Studio GmbH"
    assert party.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == "HRB 12345"
    assert party.findtext("cac:Contact/cbc:ElectronicMail", namespaces=NS) == "billing@acme.example"


def test_an_invoice_has_its_due_date_terms_reference_and_one_note():
    tree = _tree(to_ubl(DOCUMENTS["standard two rates and zero-rated"]))

    assert tree.findtext("cbc:DueDate", namespaces=NS) == "2026-04-01"
    assert tree.findtext("cac:PaymentTerms/cbc:Note", namespaces=NS) == "30 days net"
    assert tree.findtext("cbc:BuyerReference", namespaces=NS) == "PO-4711"
    assert [note.text for note in tree.findall("cbc:Note", NS)] == [
        "Thank you for your business.\n\nQuestions? billing@acme.example"
    ]
    assert [line.get("unitCode") for line in tree.findall("cac:InvoiceLine/cbc:InvoicedQuantity", NS)] == ["C62"] * 3


def test_a_credit_note_has_credit_note_lines_the_credited_invoice_and_its_due_date_in_the_payment_means():
    tree = _tree(to_ubl(DOCUMENTS["credit note"]))

    assert tree.find("cbc:DueDate", NS) is None
    assert tree.findtext("cac:PaymentMeans/cbc:PaymentDueDate", namespaces=NS) == "2026-04-01"
    reference = tree.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert (reference.findtext("cbc:ID", namespaces=NS), reference.findtext("cbc:IssueDate", namespaces=NS)) == (
        "ACME-2026-00042",
        "2026-03-02",
    )
    assert tree.find("cac:InvoiceLine", NS) is None
    assert tree.findtext("cac:CreditNoteLine/cbc:CreditedQuantity", namespaces=NS) == "1"


@pytest.mark.parametrize(("name", "code"), [("exempt", "VATEX-EU-132-1I"), ("reverse charge", "VATEX-EU-AE")])
def test_exempt_and_reverse_charge_subtotals_give_their_reason(name, code):
    category = _tree(to_ubl(DOCUMENTS[name])).find("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", NS)

    assert category.findtext("cbc:TaxExemptionReasonCode", namespaces=NS) == code
    assert (
        category.findtext("cbc:TaxExemptionReason", namespaces=NS) == DOCUMENTS[name].vat_breakdown[0].exemption_reason
    )
    assert category.findtext("cbc:Percent", namespaces=NS) == "0"


def test_allowances_are_document_level_allowances_at_their_rate():
    tree = _tree(to_ubl(DOCUMENTS["allowances"]))

    allowances = [
        (
            element.findtext("cbc:ChargeIndicator", namespaces=NS),
            element.findtext("cbc:Amount", namespaces=NS),
            element.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS),
        )
        for element in tree.findall("cac:AllowanceCharge", NS)
    ]
    assert allowances == [("false", "20.00", "19"), ("false", "10.00", "7")]
    assert tree.findtext("cac:LegalMonetaryTotal/cbc:AllowanceTotalAmount", namespaces=NS) == "30.00"


def test_a_prepayment_is_deducted_from_the_payable_amount():
    total = _tree(to_ubl(DOCUMENTS["partial prepayment"])).find("cac:LegalMonetaryTotal", NS)

    assert total.findtext("cbc:PrepaidAmount", namespaces=NS) == "50.00"
    assert total.findtext("cbc:PayableAmount", namespaces=NS) == "69.00"


def test_sepa_means_give_each_account_and_the_text_and_reference_once_per_rules():
    means = _tree(to_ubl(DOCUMENTS["SEPA, two accounts"])).findall("cac:PaymentMeans", NS)

    assert [element.findtext("cbc:PaymentMeansCode", namespaces=NS) for element in means] == ["58", "58"]
    assert [element.find("cbc:PaymentMeansCode", NS).get("name") for element in means] == ["SEPA credit transfer", None]
    assert {element.findtext("cbc:PaymentID", namespaces=NS) for element in means} == {"ACME-2026-00042"}
    accounts = [
        (
            element.findtext("cac:PayeeFinancialAccount/cbc:ID", namespaces=NS),
            element.findtext("cac:PayeeFinancialAccount/cbc:Name", namespaces=NS),
            element.findtext("cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID", namespaces=NS),
        )
        for element in means
    ]
    assert accounts == [
        ("DE89370400440532013000", "Acme Studio GmbH", "COBADEFFXXX"),
        ("FR7630006000011234567890189", "Acme Studio GmbH", "AGRIFRPPXXX"),
    ]


def test_an_amount_given_with_an_exponent_is_written_as_a_plain_decimal(ubl_xsd):
    document = DOCUMENTS["JPY"]
    line = replace(document.lines[0], net_amount=Decimal("3E+3"))
    xml = to_ubl(replace(document, lines=(line, *document.lines[1:])))

    assert _tree(xml).findtext("cac:InvoiceLine/cbc:LineExtensionAmount", namespaces=NS) == "3000"
    assert _xsd_errors(ubl_xsd, xml) == []


def test_an_element_out_of_order_fails_the_xsd(ubl_xsd):
    tree = _tree(to_ubl(DOCUMENTS["standard two rates and zero-rated"]))
    due_date = tree.find("cbc:DueDate", NS)
    tree.find("cbc:InvoiceTypeCode", NS).addnext(due_date)  # the schema wants it before the type code

    errors = _xsd_errors(ubl_xsd, etree.tostring(tree))
    assert errors, "a DueDate after the InvoiceTypeCode passed the XSD"


def test_a_payable_amount_that_does_not_add_up_fails_the_rules_but_not_the_xsd(ubl_xsd, en16931):
    tree = _tree(to_ubl(DOCUMENTS["partial prepayment"]))
    tree.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS).text = "119.00"  # the prepayment forgotten
    xml = etree.tostring(tree)

    assert _xsd_errors(ubl_xsd, xml) == []
    assert "BR-CO-16" in {failure.rule for failure in en16931.fatal(xml, "ubl")}


def test_the_official_ubl_example_passes_the_xsd(ubl_xsd):
    """The schema is the one the rules' authors wrote their example against."""
    example = rules_directory() / "examples" / "UBL_BIS3_Invoice_positive.xml"

    assert _xsd_errors(ubl_xsd, example.read_bytes()) == []


def test_a_missing_xsd_fails_and_says_how_to_get_it(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="make install"):
        ubl_schema.load(tmp_path)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_ubl_and_cii_give_the_same_totals_and_vat_breakdown(name):
    document = DOCUMENTS[name]
    ubl = ubl_figures(to_ubl(document))

    assert ubl == cii_figures(to_cii(document))
    assert (ubl["payable"], ubl["type_code"], len(ubl["by_rate"])) == (
        document.totals.payable,
        document.type_code,
        len(document.vat_breakdown),
    )
