"""The EN 16931 validator is only worth trusting if it passes the official examples and catches a
broken one: otherwise a writer's "zero failures" could mean a validator that checks nothing."""

import pytest
from lxml import etree

from .validation import rules_directory

EXAMPLES = rules_directory() / "examples"
CII_DUE = (
    "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    "/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount"
)
UBL_DUE = "/ubl:Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount"
NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "ubl": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CASES = [
    pytest.param("CII_example1.xml", "cii", CII_DUE, id="cii-example1"),
    pytest.param("CII_business_example_01.xml", "cii", CII_DUE, id="cii-business-example-01"),
    pytest.param("UBL_BIS3_Invoice_positive.xml", "ubl", UBL_DUE, id="ubl-bis3"),
]


@pytest.mark.parametrize(("example", "syntax", "due"), CASES)
def test_the_official_examples_pass(en16931, example, syntax, due):
    assert en16931.fatal((EXAMPLES / example).read_bytes(), syntax) == []


@pytest.mark.parametrize(("example", "syntax", "due"), CASES)
def test_an_amount_due_that_does_not_add_up_fails_br_co_16(en16931, example, syntax, due):
    tree = etree.fromstring((EXAMPLES / example).read_bytes())
    (amount,) = tree.xpath(due, namespaces=NAMESPACES)
    amount.text = "12345.67"

    failures = en16931.fatal(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"), syntax)

    assert [failure.rule for failure in failures] == ["BR-CO-16"]
