"""Every kind of invoice and credit note the module makes, as e-invoices in both syntaxes, through
the services as the admin and the API make them: zero fatal failures of the official EN 16931
rules, and figures equal to the database's, to the cent (issue #17)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from facturx import xml_check_xsd

from invoicing.core.tax import TaxTreatment
from invoicing.models import BillingSettings, CreditNote, DiscountCode, PaymentMethod
from invoicing.services.credit_note_lines import FreeLine
from invoicing.services.credit_notes import issue_credit_note
from invoicing.services.discounts import apply_discount_code
from invoicing.services.einvoices import EInvoiceUnavailable, einvoice_xml
from invoicing.services.invoices import create_invoice, issue_invoice
from invoicing.services.payments import apply_payment
from invoicing.services.plans import set_plan
from tests.factories import ClientFactory, line

from .readback import cii_figures, ubl_figures

SELLER_VAT_ID = "DE136695976"
BUYER_VAT_ID = "FR40303265045"
TWO_RATES = [
    line("Consulting, week 1", "1", "33.33", "19"),
    line("Consulting, week 2", "1", "33.33", "19"),
    line("Consulting, week 3", "1", "33.33", "19"),
    line("Books", "3", "12.45", "7"),
    line("Export shipping", "1", "20.00", "0"),
]


@pytest.fixture
def seller(site_a):
    billing = BillingSettings.for_site(site_a)
    billing.legal_name, billing.address = "Acme Corporation GmbH", "Hauptstraße 1"
    billing.postal_code, billing.city, billing.country = "10115", "Berlin", "DE"
    billing.tax_id, billing.legal_registration_id = SELLER_VAT_ID, "HRB 12345, Amtsgericht Berlin"
    billing.iban, billing.bic = "DE89370400440532013000", "COBADEFFXXX"
    billing.einvoices_enabled = True
    billing.save()
    return billing


def client_of(site, **fields):
    defaults = {"billing_address": "12 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR"}
    return ClientFactory(site=site, **{**defaults, **fields})


def issued(site, lines, *, client=None, code=None, **fields):
    invoice = create_invoice(site=site, client=client or client_of(site), title="Services", lines=lines, **fields)
    if code is not None:
        apply_discount_code(invoice, code)
    issue_invoice(invoice)
    invoice.refresh_from_db()
    return invoice


def paid_part(invoice, amount):
    apply_payment(
        invoice,
        method=PaymentMethod.MANUAL,
        amount=Decimal(amount),
        currency=invoice.currency,
        provider_reference=f"transfer-{invoice.pk}-{amount}",
    )
    invoice.refresh_from_db()
    return invoice


def code(site, name, **fields):
    DiscountCode.objects.create(site=site, code=name, **fields)
    return name


CASES = {
    "two rates and a zero-rated line, rounded per rate": lambda site: issued(site, TWO_RATES),
    "rounded per line": lambda site: issued(rounding_per_line(site), TWO_RATES),
    "prices with tax included": lambda site: issued(
        site, [line("Design", "3", "39.99", "19"), line("Books", "2", "10.70", "7")], prices_include_tax=True
    ),
    "prices with tax and a percent discount code": lambda site: issued(
        site,
        [line("Design", "3", "39.99", "19"), line("Books", "7", "10.70", "7")],
        prices_include_tax=True,
        code=code(site, "WELCOME", percent=Decimal("12.5")),
    ),
    "a fixed discount over two rates": lambda site: issued(
        site, TWO_RATES, code=code(site, "TENOFF", kind="fixed", amount=Decimal("10.00"), currency="EUR")
    ),
    "exempt": lambda site: issued(
        site,
        [line("Course", "1", "500.00", "19")],
        client=client_of(site, tax_treatment=TaxTreatment.EXEMPT, tax_exemption_reason="Article 132(1)(i)"),
    ),
    "reverse charge": lambda site: issued(
        site, TWO_RATES, client=client_of(site, tax_id=BUYER_VAT_ID, tax_treatment=TaxTreatment.REVERSE_CHARGE)
    ),
    "partly paid": lambda site: paid_part(issued(site, TWO_RATES, allow_partial_payments=True), "50.00"),
    "paid": lambda site: paid_part(issued(site, [line("Design", "1", "119.00", "19")]), "141.61"),
    "in JPY": lambda site: issued(
        site, [line("Consulting", "3", "33333", "10"), line("Books", "2", "1250", "8")], currency="JPY"
    ),
    "in KWD, in whole tens of fils": lambda site: issued(
        site, [line("Consulting", "3", "12.350", "0")], currency="KWD"
    ),
    "with a payment plan": lambda site: plan_of(issued(site, TWO_RATES, allow_partial_payments=True)),
    "with early-payment terms": lambda site: issued(
        site, TWO_RATES, early_discount_percent=Decimal(2), early_discount_days=10
    ),
    "with a buyer reference and a Peppol address": lambda site: issued(
        site,
        TWO_RATES,
        client=client_of(site, buyer_reference="04011000-12345-03", electronic_address="0208:0123456749"),
    ),
}


def rounding_per_line(site):
    BillingSettings.objects.filter(site=site).update(tax_rounding="per_line")
    return site


def plan_of(invoice):
    set_plan(invoice, count=3, first_due=timezone.localdate() + timedelta(days=30))
    invoice.refresh_from_db()
    return invoice


def assert_valid(cii, ubl, en16931, ubl_xsd):
    """Both syntaxes: their schemas (Factur-X's EN 16931 XSD, OASIS UBL 2.1) and the EN 16931 rules."""
    assert xml_check_xsd(cii, flavor="factur-x", level="en16931")
    ubl_xsd.validate(ubl)
    en16931.assert_valid(cii, "cii")
    en16931.assert_valid(ubl, "ubl")


def assert_agrees_with_the_database(figures, invoice):
    assert figures["number"] == invoice.number
    assert figures["type_code"] == "380"
    assert figures["tax_exclusive"] == invoice.subtotal
    assert figures["tax_total"] == invoice.tax
    assert figures["tax_inclusive"] == invoice.total
    assert figures["prepaid"] == invoice.amount_paid
    assert figures["payable"] == invoice.total - invoice.amount_paid
    assert figures["line_total"] - figures["allowance_total"] == invoice.subtotal
    assert sum(base for _, base, _ in figures["by_rate"]) == invoice.subtotal
    assert sum(tax for _, _, tax in figures["by_rate"]) == invoice.tax


@pytest.mark.parametrize("case", CASES)
def test_every_kind_of_invoice_passes_the_en16931_rules_in_both_syntaxes(case, site_a, seller, en16931, ubl_xsd):
    invoice = CASES[case](site_a)
    cii, ubl = einvoice_xml(invoice, "cii"), einvoice_xml(invoice, "ubl")
    assert_valid(cii, ubl, en16931, ubl_xsd)
    assert_agrees_with_the_database(cii_figures(cii), invoice)
    assert_agrees_with_the_database(ubl_figures(ubl), invoice)


def test_a_discount_is_an_allowance_per_rate_that_adds_up_to_the_code(site_a, seller):
    invoice = CASES["a fixed discount over two rates"](site_a)
    figures = cii_figures(einvoice_xml(invoice))
    assert invoice.discount_total == Decimal("10.00")
    assert figures["allowance_total"] == Decimal("10.00")
    assert figures["line_total"] == Decimal("157.34")  # 99.99 + 37.35 + 20.00, as entered


# -- credit notes --------------------------------------------------------------------------------------


def credit_notes_of(invoice):
    return list(CreditNote.objects.filter(invoice=invoice).order_by("pk"))


def assert_credit_note_agrees(figures, note):
    assert (figures["number"], figures["type_code"]) == (note.number, "381")
    assert (figures["tax_exclusive"], figures["tax_total"]) == (note.subtotal, note.tax)
    assert figures["tax_inclusive"] == figures["payable"] == note.total


def test_credit_notes_are_type_381_name_the_invoice_and_pass_the_rules(site_a, seller, en16931, ubl_xsd):
    invoice = issued(site_a, TWO_RATES, code=code(site_a, "SPRING", percent=Decimal(10)))
    first_line = invoice.lines.order_by("pk").first()
    issue_credit_note(invoice, lines=[(first_line, Decimal(1))], reason="Week 1 was not delivered")
    issue_credit_note(invoice, reason="Cancelled")  # the rest, to the cent
    goodwill = issued(site_a, TWO_RATES)
    issue_credit_note(goodwill, lines=[FreeLine("Goodwill", Decimal("5.00"), tax_rate=Decimal(19))], reason="Delay")
    notes = credit_notes_of(invoice) + credit_notes_of(goodwill)
    assert len(notes) == 3
    for note in notes:
        cii, ubl = einvoice_xml(note, "cii"), einvoice_xml(note, "ubl")
        assert_valid(cii, ubl, en16931, ubl_xsd)
        assert_credit_note_agrees(cii_figures(cii), note)
        assert_credit_note_agrees(ubl_figures(ubl), note)
        preceding = note.invoice.number.encode()
        assert preceding in cii and preceding in ubl


def test_a_credit_note_with_prices_with_tax_included_passes(site_a, seller, en16931):
    invoice = CASES["prices with tax and a percent discount code"](site_a)
    note = issue_credit_note(invoice, reason="Cancelled")
    cii = einvoice_xml(note, "cii")
    en16931.assert_valid(cii, "cii")
    assert cii_figures(cii)["tax_inclusive"] == note.total == invoice.total


# -- what cannot be made, said clearly -----------------------------------------------------------------


def test_amounts_in_fils_cannot_be_expressed_and_say_so(site_a, seller):
    invoice = issued(site_a, [line("Consulting", "1", "12.345", "0")], currency="KWD")
    with pytest.raises(EInvoiceUnavailable, match=r"12\.345.*two decimals at most"):
        einvoice_xml(invoice)


def test_a_draft_has_no_einvoice(site_a, seller):
    invoice = create_invoice(site=site_a, client=client_of(site_a), title="Draft", lines=TWO_RATES)
    with pytest.raises(EInvoiceUnavailable, match="draft"):
        einvoice_xml(invoice)


def test_a_website_without_its_legal_details_is_told_which_are_missing(site_a, seller):
    seller.country, seller.tax_id = "", ""
    seller.save()
    invoice = issued(site_a, TWO_RATES)
    with pytest.raises(EInvoiceUnavailable, match="Settings → Billing: country, tax id"):
        einvoice_xml(invoice)


def test_a_client_without_a_country_is_named(site_a, seller):
    invoice = issued(site_a, TWO_RATES, client=client_of(site_a, name="Initech", country=""))
    with pytest.raises(EInvoiceUnavailable, match="Initech"):
        einvoice_xml(invoice, "ubl")


def test_an_unknown_syntax_is_refused(site_a, seller):
    invoice = issued(site_a, TWO_RATES)
    with pytest.raises(EInvoiceUnavailable.__mro__[1], match="“cii” or “ubl”"):
        einvoice_xml(invoice, "pdf")


def test_a_seller_without_a_vat_id_needs_its_company_registration(site_a, seller, en16931):
    seller.tax_id, seller.legal_registration_id = "12-3456789", ""  # a US EIN: no VAT id
    seller.save()
    invoice = issued(site_a, TWO_RATES)
    with pytest.raises(EInvoiceUnavailable, match=r"company registration \(the tax id is no VAT id\)"):
        einvoice_xml(invoice)
    seller.legal_registration_id = "Delaware file no. 7654321"
    seller.save()
    en16931.assert_valid(einvoice_xml(invoice), "cii")  # BR-CO-26: identified by its registration
