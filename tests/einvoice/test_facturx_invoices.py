"""The invoice PDFs the module sends are Factur-X files (issue #17): the XML read back from the PDF
(pypdf, and the reference ``factur-x`` library) is the invoice's e-invoice, passes the EN 16931
rules, and its totals are the PDF's text and the database's, to the cent. Where the website is
paid by transfer, the EPC QR code asks for the open balance."""

import io
from decimal import Decimal

import facturx
import pytest
from pypdf import PdfReader

from invoicing.models import BillingSettings
from invoicing.pdf import words
from invoicing.services.credit_note_documents import credit_note_pdf
from invoicing.services.credit_notes import issue_credit_note
from invoicing.services.documents import invoice_pdf
from invoicing.services.einvoices import einvoice_xml
from tests.pdf_helpers import decode, flat, page_image, pdf_text

from .readback import cii_figures
from .test_matrix import CASES, seller  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def attached_xml(pdf: bytes) -> bytes:
    (xml,) = PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"]
    assert facturx.get_xml_from_pdf(pdf, check_xsd=True) == ("factur-x.xml", xml)  # the reference library
    return xml


def printed(pdf: bytes) -> str:
    return " ".join(flat(pdf_text(pdf)).split())


@pytest.mark.parametrize(
    "case", ["two rates and a zero-rated line, rounded per rate", "partly paid", "prices with tax included", "in JPY"]
)
def test_the_pdf_carries_the_einvoice_whose_totals_it_prints(case, site_a, seller, en16931):  # noqa: F811
    invoice = CASES[case](site_a)
    pdf = invoice_pdf(invoice)
    xml = attached_xml(pdf)
    assert xml == einvoice_xml(invoice, "cii")
    en16931.assert_valid(xml, "cii")
    figures, text = cii_figures(xml), printed(pdf)
    assert (figures["tax_inclusive"], figures["tax_total"]) == (invoice.total, invoice.tax)
    assert (figures["prepaid"], figures["payable"]) == (invoice.amount_paid, invoice.amount_due)
    money = lambda amount: words.money(amount, invoice.currency, seller.locale)  # noqa: E731
    assert f"Total {money(figures['tax_inclusive'])}" in text or f"(incl. tax) {money(invoice.total)}" in text
    assert f"Amount due {money(figures['payable'])}" in text
    for rate, base, tax in figures["by_rate"]:
        assert f"{words.number(rate, seller.locale)}% {money(base)} {money(tax)}" in text  # the tax summary


def test_a_credit_notes_pdf_carries_its_381(site_a, seller, en16931):  # noqa: F811
    invoice = CASES["two rates and a zero-rated line, rounded per rate"](site_a)
    note = issue_credit_note(invoice, reason="Cancelled")
    xml = attached_xml(credit_note_pdf(note))
    en16931.assert_valid(xml, "cii")
    figures = cii_figures(xml)
    assert (figures["type_code"], figures["number"], figures["tax_inclusive"]) == ("381", note.number, note.total)


def test_without_einvoices_the_pdf_stays_plain(site_a, seller):  # noqa: F811
    BillingSettings.objects.filter(site=site_a).update(einvoices_enabled=False)
    invoice = CASES["two rates and a zero-rated line, rounded per rate"](site_a)
    assert PdfReader(io.BytesIO(invoice_pdf(invoice))).attachments == {}


def test_a_pdf_whose_einvoice_cannot_be_made_is_sent_plain_and_logged(site_a, seller, caplog):  # noqa: F811
    invoice = CASES["in KWD, in whole tens of fils"](site_a)
    invoice.lines.update(unit_price=Decimal("12.345"))  # as an invoice issued before e-invoices were on could be
    assert PdfReader(io.BytesIO(invoice_pdf(invoice))).attachments == {}
    assert f"The PDF of {invoice.number} goes without its e-invoice" in caplog.text


def test_the_epc_code_asks_for_the_open_balance_of_a_real_invoice(site_a, seller):  # noqa: F811
    invoice = CASES["partly paid"](site_a)
    # Without the pay link (its token is known only when the link is made), the EPC code is the page's only one.
    (payload,) = decode(page_image(invoice_pdf(invoice), 1))
    fields = payload.decode().split("\n")
    assert fields[4:8] == ["COBADEFFXXX", "Acme Corporation GmbH", "DE89370400440532013000", f"EUR{invoice.amount_due}"]
    assert fields[10] == invoice.number


def test_no_epc_code_once_paid_or_without_an_iban(site_a, seller):  # noqa: F811
    paid = CASES["paid"](site_a)
    assert "Scan to pay by bank transfer" not in printed(invoice_pdf(paid))
    BillingSettings.objects.filter(site=site_a).update(iban="")
    open_invoice = CASES["two rates and a zero-rated line, rounded per rate"](site_a)
    assert "Scan to pay by bank transfer" not in printed(invoice_pdf(open_invoice))


def test_the_pdf_prints_both_addresses_with_town_and_country(site_a, seller):  # noqa: F811
    invoice = CASES["two rates and a zero-rated line, rounded per rate"](site_a)
    text = printed(invoice_pdf(invoice))
    assert "Hauptstraße 1 10115 Berlin Germany" in text  # the website's, from Settings → Billing
    assert "12 rue de la Paix 75002 Paris France" in text  # the client's, as issued
