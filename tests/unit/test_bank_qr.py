"""Bank-transfer QR codes: the EPC QR code's payload (EPC069-12) built by hand and checked field by
field, and both codes decoded by zbarimg from the rendered page: the EPC code in "How to pay" beside
the pay link's, the Swiss QR-bill's on its payment part, a last page of its own.

Pure renderer tests, documents built by hand. They need pdftoppm and zbarimg: `make system-packages`.
"""

import io
import logging
from dataclasses import replace
from decimal import Decimal

import pytest
from PIL import ImageDraw
from pypdf import PdfReader

from invoicing.pdf import bank_qr
from invoicing.pdf.canvas import _qr_rows
from invoicing.pdf.document import BankTransfer, PostalAddress
from invoicing.pdf.render import render_pdf
from tests.pdf_helpers import (
    PAY_URL,
    PIXELS_PER_POINT,
    columns,
    decode,
    epc_fields,
    flat,
    make_document,
    page_image,
    page_texts,
)

IBAN = "DE89370400440532013000"
SWISS_IBAN = "CH5604835012345678009"


def epc_transfer(**changes) -> BankTransfer:
    transfer = BankTransfer(
        kind="epc",
        creditor_name="ACME Consulting GmbH",
        iban="DE89 3704 0044 0532 0130 00",
        bic="COBADEFFXXX",
        amount=Decimal("4764.13"),
        currency="EUR",
        reference="ACME-2026-00042",
    )
    return replace(transfer, **changes)


def swiss_transfer(**changes) -> BankTransfer:
    transfer = BankTransfer(
        kind="swiss",
        creditor_name="ACME Beratung AG",
        iban=SWISS_IBAN,
        amount=Decimal("4764.13"),
        currency="CHF",
        reference="ACME-2026-00042",
        creditor_address=PostalAddress(("Bahnhofstrasse 1",), "8001", "Zürich", "CH"),
        debtor_name="Globex AG",
        debtor_address=PostalAddress(("Marktgasse 5",), "3011", "Bern", "CH"),
    )
    return replace(transfer, **changes)


# -- the EPC payload --------------------------------------------------------------------------------


def test_the_epc_payload_is_version_002_in_utf_8_field_by_field():
    assert bank_qr.epc_payload(epc_transfer()).split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "COBADEFFXXX",
        "ACME Consulting GmbH",
        IBAN,  # without its spaces
        "EUR4764.13",
        "",
        "",
        "ACME-2026-00042",
    ]


@pytest.mark.parametrize(
    ("amount", "written"), [("12.3", "EUR12.30"), ("1000", "EUR1000.00"), ("0.01", "EUR0.01"), ("999999999.99", None)]
)
def test_the_amount_is_written_with_two_decimals_and_a_point(amount, written):
    payload = bank_qr.epc_payload(epc_transfer(amount=Decimal(amount)))
    assert payload.split("\n")[7] == (written or f"EUR{amount}")


@pytest.mark.parametrize("amount", ["0", "-5.00", "1000000000.00", "12.345"])
def test_amounts_the_standard_refuses_are_refused(amount):
    with pytest.raises(ValueError, match="amounts from 0.01"):
        bank_qr.epc_payload(epc_transfer(amount=Decimal(amount)))


@pytest.mark.parametrize("currency", ["CHF", "USD"])
def test_only_euros(currency):
    with pytest.raises(ValueError, match="euros"):
        bank_qr.epc_payload(epc_transfer(currency=currency))


def test_a_long_name_is_cut_at_70_characters_and_a_line_break_cannot_shift_the_fields():
    name = "Société Générale de Logiciels et de Conseil\npour les Petites et Moyennes Entreprises SAS"
    fields = bank_qr.epc_payload(epc_transfer(creditor_name=name, bic="")).split("\n")
    assert len(fields) == 11
    assert fields[4] == ""  # a BIC is optional in version 002
    assert fields[5] == " ".join(name.split())[:70] and len(fields[5]) == 70
    assert fields[6] == IBAN


def test_the_reference_is_cut_at_140_characters_and_shortened_to_keep_within_331_bytes():
    assert bank_qr.epc_payload(epc_transfer(reference="R" * 200)).split("\n")[10] == "R" * 140
    payload = bank_qr.epc_payload(epc_transfer(creditor_name="Ä" * 90, reference="Ü" * 200))
    name, reference = payload.split("\n")[5::5]
    assert name == "Ä" * 70  # two bytes each
    assert len(payload.encode()) in (330, 331) and reference == "Ü" * len(reference)


def test_both_standards_get_error_correction_level_m():
    swiss = bank_qr.swiss_bill(swiss_transfer()).qr_data()
    for payload in (bank_qr.epc_payload(epc_transfer()), swiss):
        _width, rows = _qr_rows(payload)
        # The format information beside the top left finder pattern; its first two bits, 00, say M.
        bits = [rows[8][column] for column in (0, 1, 2, 3, 4, 5, 7, 8)]
        bits += [rows[row][8] for row in (7, 5, 4, 3, 2, 1, 0)]
        assert (int("".join(bits), 2) ^ 0b101010000010010) >> 13 == 0b00


# -- the EPC code on the invoice --------------------------------------------------------------------


def test_the_epc_code_sits_beside_the_pay_link_and_decodes_to_the_transfer():
    transfer = epc_transfer(creditor_name="Müller & Söhne GmbH")
    pdf = render_pdf(make_document(bank_transfer=transfer, locale="en_US"))
    fields = epc_fields(pdf)
    assert fields[0:4] == ["BCD", "002", "1", "SCT"]
    assert fields[4] == "COBADEFFXXX"
    assert fields[5] == "Müller & Söhne GmbH"
    assert fields[6] == IBAN
    assert fields[7] == "EUR4764.13"
    assert fields[10] == "ACME-2026-00042"
    pay_strip = columns(page_image(pdf, 1), 595.28 - 42 - bank_qr.QR_SIZE - 12, 595.28)
    assert decode(pay_strip) == [PAY_URL.encode()]  # the pay link's code stays
    text = flat(page_texts(pdf)[0])
    for printed in ("Scan to pay by bank transfer", "IBAN DE89 3704 0044 0532 0130 00", "BIC COBADEFFXXX"):
        assert printed in text
    assert "Reference ACME-2026-00042" in text


def test_no_epc_code_once_nothing_is_due_or_in_another_currency(caplog):
    paid = make_document(bank_transfer=epc_transfer(), amount_paid="4764.13", pay_url=None)
    assert decode(page_image(render_pdf(paid), 1)) == []
    assert "Scan to pay by bank transfer" not in page_texts(render_pdf(paid))[0]
    with caplog.at_level(logging.WARNING, logger="invoicing.pdf.bank_qr"):
        dollars = render_pdf(make_document(currency="USD", bank_transfer=epc_transfer(currency="USD"), pay_url=None))
    assert decode(page_image(dollars, 1)) == []
    assert "No EPC QR code on invoice ACME-2026-00042: The EPC QR code is for transfers in euros" in caplog.text


# -- the Swiss QR-bill ------------------------------------------------------------------------------


def swiss_payload(pdf: bytes, page: int) -> list[str]:
    """The payment part's code, decoded from the page. zbar cannot read a QR code whose centre
    alignment pattern the Swiss cross covers (mchehab/zbar#121, #167), which readers in banking apps
    do; so the cross is painted over before zbar reads the rest."""
    image = page_image(pdf, page).convert("L")
    millimetre = 72 / 25.4 * PIXELS_PER_POINT
    left = (image.width - 210 * millimetre) / 2
    centre_x, centre_y = left + (62 + 5 + 23) * millimetre, image.height - (105 - 17 - 23) * millimetre
    assert image.getpixel((int(centre_x), int(centre_y))) > 200  # the cross's white centre
    assert image.getpixel((int(centre_x - 2.8 * millimetre), int(centre_y - 2.8 * millimetre))) < 60  # its square
    half = 3.5 * millimetre
    ImageDraw.Draw(image).rectangle((centre_x - half, centre_y - half, centre_x + half, centre_y + half), fill=255)
    bill_top = image.height - 105 * millimetre
    code = image.crop((int(left + 62 * millimetre), int(bill_top), int(left + 118 * millimetre), image.height))
    (payload,) = decode(code)
    return payload.decode().split("\r\n")


def test_the_swiss_qr_bill_is_a_last_page_whose_code_holds_the_transfer():
    document = make_document(currency="CHF", locale="de_CH", bank_transfer=swiss_transfer())
    pdf = render_pdf(document)
    pages = page_texts(pdf)
    assert len(pages) == 2
    assert "Page 1 of 2" in flat(pages[0])
    fields = swiss_payload(pdf, page=2)
    assert fields[0:3] == ["SPC", "0200", "1"]
    assert fields[3] == SWISS_IBAN
    assert fields[4:11] == ["S", "ACME Beratung AG", "Bahnhofstrasse 1", "", "8001", "Zürich", "CH"]
    assert fields[18:20] == ["4764.13", "CHF"]
    assert fields[20:27] == ["S", "Globex AG", "Marktgasse 5", "", "3011", "Bern", "CH"]
    assert fields[27:30] == ["NON", "", "ACME-2026-00042"]  # an invoice number goes as the message
    assert fields[30] == "EPD"
    text = flat(pages[1])
    for printed in (
        "Receipt",
        "Payment part",
        "Account / Payable to",
        "CH56 0483 5012 3456 7800 9",
        "Additional information",
        "Payable by",
        "Acceptance point",
        "4 764.13",
        "Separate before paying in",
    ):
        assert printed in text


def test_a_creditor_reference_goes_in_the_reference_field_and_an_unknown_payer_gets_a_box():
    transfer = swiss_transfer(reference="RF18539007547034", debtor_name="", currency="EUR")
    pdf = render_pdf(make_document(bank_transfer=transfer))
    fields = swiss_payload(pdf, page=2)
    assert fields[19] == "EUR"
    assert fields[20:27] == [""] * 7
    assert fields[27:30] == ["SCOR", "RF18539007547034", ""]
    text = flat(page_texts(pdf)[1])
    assert "Payable by (name/address)" in text and "RF18 5390 0754 7034" in text


def test_no_qr_bill_once_nothing_is_due_or_when_its_data_is_refused(caplog):
    paid = make_document(currency="CHF", bank_transfer=swiss_transfer(), amount_paid="4764.13")
    assert len(PdfReader(io.BytesIO(render_pdf(paid))).pages) == 1
    german = make_document(currency="CHF", bank_transfer=swiss_transfer(iban=IBAN))
    with caplog.at_level(logging.WARNING, logger="invoicing.pdf.bank_qr"):
        assert len(PdfReader(io.BytesIO(render_pdf(german))).pages) == 1
    assert "No Swiss QR-bill on invoice ACME-2026-00042: IBAN must start with: CH, LI" in caplog.text
