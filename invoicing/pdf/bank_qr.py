"""How to pay, on the PDF: the payment instructions, the pay link's QR code, and bank-transfer QR codes
that a banking app scans to fill in the transfer.

- The EPC QR code (EPC069-12, "GiroCode") for a SEPA credit transfer in euros: ``epc_payload``, a
  pure function, printed in the "How to pay" section beside the pay link's code.
- The Swiss QR-bill: its payload is built and checked by the ``qrbill`` package (``swiss_bill``), and
  printed with its receipt and payment part, after the Swiss style guide, on a last page of its own.

Both standards ask for UTF-8 and error correction level M, which is how ``Pen.qr`` encodes. A code
whose data its standard refuses is left out and logged: the invoice itself must still print.
"""

import logging
from decimal import Decimal

from django.utils.translation import pgettext

from .canvas import BLACK, WHITE
from .document import BankTransfer, PostalAddress
from .layout import Block, wrap

logger = logging.getLogger(__name__)

GREY = "0.42 0.44 0.47"
QR_SIZE = 84  # points, both codes in the "How to pay" section
QR_GAP = 24
CAPTION_SIZE, CAPTION_LEADING = 7, 8.5

NAME_LENGTH = 70  # the creditor's name, in both standards
EPC_REMITTANCE_LENGTH = 140
EPC_MAX_BYTES = 331
EPC_MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")


def epc_payload(transfer: BankTransfer) -> str:
    """The EPC QR code's text (version 002, UTF-8, SEPA credit transfer). Raises ``ValueError`` for
    data the standard refuses: another currency than the euro, an amount out of its range."""
    if transfer.currency != "EUR":
        raise ValueError(f"The EPC QR code is for transfers in euros, not in {transfer.currency}.")
    if transfer.amount != transfer.amount.quantize(CENT) or not CENT <= transfer.amount <= EPC_MAX_AMOUNT:
        raise ValueError(f"The EPC QR code takes amounts from 0.01 to {EPC_MAX_AMOUNT} euros, not {transfer.amount}.")
    head = "\n".join(
        (
            "BCD",
            "002",
            "1",  # UTF-8
            "SCT",
            _one_line(transfer.bic).replace(" ", "").upper(),
            _one_line(transfer.creditor_name)[:NAME_LENGTH],
            compact_iban(transfer.iban),
            f"EUR{transfer.amount:.2f}",
            "",  # purpose
            "",  # structured remittance: an invoice number is not an ISO 11649 creditor reference
        )
    )
    # The limits count characters, the code's capacity bytes: a reference in a script of several bytes
    # a character is shortened to fit, the rest of the transfer never.
    remittance = _one_line(transfer.reference)[:EPC_REMITTANCE_LENGTH]
    while remittance and len(f"{head}\n{remittance}".encode()) > EPC_MAX_BYTES:
        remittance = remittance[:-1]
    payload = f"{head}\n{remittance}"
    if len(payload.encode()) > EPC_MAX_BYTES:
        raise ValueError(f"The EPC QR code holds at most {EPC_MAX_BYTES} bytes.")
    return payload


def _one_line(text: str) -> str:
    # Every field is one line of the payload: a line break inside one would shift all the others.
    return " ".join(text.split())


def compact_iban(iban: str) -> str:
    return iban.replace(" ", "").upper()


def grouped_iban(iban: str) -> str:
    """As people read it: "DE89 3704 0044 0532 0130 00"."""
    compact = compact_iban(iban)
    return " ".join(compact[start : start + 4] for start in range(0, len(compact), 4))


def swiss_bill(transfer: BankTransfer):
    """The ``qrbill.QRBill`` of the transfer, which checks everything the QR-bill standard asks
    (a Swiss or Liechtenstein IBAN, the creditor's postal code and city…) and raises ``ValueError``."""
    from qrbill import QRBill  # imported when needed: it takes longer to import than a PDF takes to draw

    reference = transfer.reference.strip()
    structured = _is_structured_reference(reference)
    debtor = transfer.debtor_address
    return QRBill(
        account=compact_iban(transfer.iban),
        creditor=_address(transfer.creditor_name, transfer.creditor_address),
        amount=f"{transfer.amount:.2f}",
        currency=transfer.currency,
        # The payer is printed only with the complete address the standard wants; else the payment
        # part leaves a box to fill in by hand.
        debtor=_address(transfer.debtor_name, debtor) if transfer.debtor_name and debtor.city else None,
        reference_number=reference if structured else None,
        additional_information="" if structured else reference,
    )


def _is_structured_reference(reference: str) -> bool:
    """A QR reference or an ISO 11649 creditor reference (RF…), which banks report back to the
    creditor; an invoice number is neither, and goes with the transfer as its message."""
    from stdnum import iso11649
    from stdnum.ch import esr

    return iso11649.is_valid(reference) or esr.is_valid(reference)


def _address(name: str, address: PostalAddress) -> dict:
    return {
        "name": _one_line(name)[:NAME_LENGTH],
        "street": ", ".join(_one_line(line) for line in address.lines if line.strip()),
        "pcode": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


def epc_code(document) -> str | None:
    """The EPC QR code's payload for the document, if it has one to print."""
    return _for_document(document, "epc", epc_payload, "No EPC QR code on invoice %s: %s")


def swiss_payment_part(document):
    """The document's QR-bill (``qrbill.QRBill``), if it has one to print."""
    return _for_document(document, "swiss", swiss_bill, "No Swiss QR-bill on invoice %s: %s")


def _for_document(document, kind: str, build, refused: str):
    transfer = document.bank_transfer
    if transfer is None or transfer.kind != kind or document.amount_due <= 0:
        return None
    try:
        return build(transfer)
    except ValueError as error:
        logger.warning(refused, document.number, error)
        return None


# -- the "How to pay" section ------------------------------------------------------------------------


def payment_blocks(layout) -> list[Block]:
    """Instructions and links on the left; the QR codes on the right, the pay link's rightmost."""
    document, regular = layout.document, layout.regular
    pay_url = document.pay_url if document.amount_due > 0 or document.receipt is None else None
    epc = epc_code(document)
    codes = [(pay_url, pgettext("pdf", "Scan to pay"))] if pay_url else []
    if epc:
        codes.append((epc, pgettext("pdf", "Scan to pay by bank transfer")))
    captions = [wrap(caption, regular, CAPTION_SIZE, QR_SIZE + QR_GAP - 6) for _payload, caption in codes]
    text_width = layout.width - len(codes) * (QR_SIZE + QR_GAP)
    instructions = document.payment_instructions
    lines = wrap(instructions, regular, 8.5, text_width) if instructions else []
    if epc:
        lines += [""] if lines else []
        for row in transfer_lines(document.bank_transfer):
            lines += wrap(row, regular, 8.5, text_width)
    if pay_url:
        lines += ["", pgettext("pdf", "Pay online:"), *wrap(pay_url, regular, 8.5, text_width)]
    if not lines:
        return []
    leading = 11.5
    # A caption of two lines makes the codes' column taller.
    caption_height = (max(map(len, captions)) - 1) * CAPTION_LEADING if codes else 0
    # The first block holds the heading and as many lines as fit beside the QR codes; the others flow.
    first = lines[: int((QR_SIZE + caption_height - 6) // leading)]

    def draw_first(top: float) -> None:
        pen = layout.pen
        pen.text(layout.left, top - 22, pgettext("pdf", "How to pay"), layout.bold, 9.5, layout.brand)
        for index, line in enumerate(first):
            pen.text(layout.left, top - 36 - index * leading, line, regular, 8.5)
        for index, ((payload, _caption), caption_lines) in enumerate(zip(codes, captions, strict=True)):
            x = layout.right - QR_SIZE - index * (QR_SIZE + QR_GAP)
            pen.qr(payload, x, top - 14 - QR_SIZE, QR_SIZE)
            for number, line in enumerate(caption_lines):
                y = top - 29 - QR_SIZE - number * CAPTION_LEADING
                pen.text_centred(x + QR_SIZE / 2, y, line, regular, CAPTION_SIZE, GREY)

    height = max(36 + len(first) * leading, 36 + QR_SIZE + caption_height if codes else 0)
    blocks = [Block(height, draw_first)]
    for line in lines[len(first) :]:
        blocks.append(
            Block(leading, lambda top, line=line: layout.pen.text(layout.left, top - 8.5, line, regular, 8.5))
        )
    return blocks


def transfer_lines(transfer: BankTransfer) -> list[str]:
    rows = [
        pgettext("pdf", "Bank transfer to %(name)s") % {"name": transfer.creditor_name},
        pgettext("pdf", "IBAN %(iban)s") % {"iban": grouped_iban(transfer.iban)},
        pgettext("pdf", "BIC %(bic)s") % {"bic": transfer.bic} if transfer.bic else "",
        pgettext("pdf", "Reference %(reference)s") % {"reference": transfer.reference},
    ]
    return [row for row in rows if row]


# -- the Swiss QR-bill's receipt and payment part ----------------------------------------------------

MM = 72 / 25.4
BILL_WIDTH, BILL_HEIGHT, RECEIPT_WIDTH = 210 * MM, 105 * MM, 62 * MM
SWISS_CODE, SWISS_CROSS = 46 * MM, 7 * MM
# (heading size, value size, leading), in points: the style guide's sizes for each part
RECEIPT_TYPE, PAYMENT_TYPE = (6, 8, 9), (8, 10, 11)


def draw_payment_part(layout, bill) -> None:
    """The QR-bill across the foot of the page: the receipt (62 mm) and the payment part (148 mm),
    105 mm high, separated from the rest and from each other by dashed lines to cut along."""
    pen, canvas, regular, bold = layout.pen, layout.pen.canvas, layout.regular, layout.bold
    left = (layout.page_width - BILL_WIDTH) / 2  # A4's width; a Letter page is 6 mm wider
    canvas.saveState()
    canvas.setDash(2, 2)
    canvas.setLineWidth(0.5)
    canvas.line(0, BILL_HEIGHT, layout.page_width, BILL_HEIGHT)
    canvas.line(left + RECEIPT_WIDTH, 0, left + RECEIPT_WIDTH, BILL_HEIGHT)
    canvas.restoreState()
    separate = pgettext("pdf", "Separate before paying in")
    pen.text_centred(layout.page_width / 2, BILL_HEIGHT + 4, separate, regular, 7, GREY)

    receipt_x, payment_x, details_x = left + 5 * MM, left + RECEIPT_WIDTH + 5 * MM, left + 118 * MM
    title_y = BILL_HEIGHT - 9 * MM
    pen.text(receipt_x, title_y, pgettext("pdf", "Receipt"), bold, 11)
    pen.text(payment_x, title_y, pgettext("pdf", "Payment part"), bold, 11)
    from qrbill.bill import format_ref_number

    account = [grouped_iban(bill.account), *bill.creditor.as_paragraph(max_chars=1000)]
    reference = [format_ref_number(bill)]
    debtor = list(bill.debtor.as_paragraph(max_chars=1000)) if bill.debtor else []
    receipt = [(pgettext("pdf", "Account / Payable to"), account), (pgettext("pdf", "Reference"), reference)]
    payment = [*receipt, (pgettext("pdf", "Additional information"), [bill.additional_information])]
    for x, top, width, sections, box, sizes in (
        (receipt_x, BILL_HEIGHT - 12 * MM, 52 * MM, receipt, (52 * MM, 20 * MM), RECEIPT_TYPE),
        (details_x, BILL_HEIGHT - 5 * MM, 87 * MM, payment, (65 * MM, 25 * MM), PAYMENT_TYPE),
    ):
        y = _sections(layout, x, top, width, sections, sizes)
        _payable_by(layout, x, y, width, debtor, box, sizes)

    amount = _grouped_amount(bill.amount)
    _amount(layout, receipt_x, 12 * MM, bill.currency, amount, RECEIPT_TYPE)
    _amount(layout, payment_x, 14 * MM, bill.currency, amount, PAYMENT_TYPE)
    acceptance = pgettext("pdf", "Acceptance point")
    pen.text_right(left + RECEIPT_WIDTH - 5 * MM, 19 * MM, acceptance, bold, RECEIPT_TYPE[0])

    code_y = BILL_HEIGHT - 17 * MM - SWISS_CODE
    pen.qr(bill.qr_data(), payment_x, code_y, SWISS_CODE)
    _swiss_cross(pen, payment_x + SWISS_CODE / 2, code_y + SWISS_CODE / 2)


def _sections(layout, x, top, width, sections, sizes) -> float:
    """Headings and their lines from ``top`` down; returns where the next heading goes."""
    heading_size, value_size, leading = sizes
    y = top - heading_size
    for heading, lines in sections:
        lines = [part for line in lines if line for part in wrap(line, layout.regular, value_size, width)]
        if not lines:
            continue
        layout.pen.text(x, y, heading, layout.bold, heading_size)
        for line in lines:
            y -= leading
            layout.pen.text(x, y, line, layout.regular, value_size)
        y -= leading * 1.6
    return y


def _payable_by(layout, x, y, width, debtor, box, sizes) -> None:
    """The payer's address, or a box with corner marks to write it in."""
    if debtor:
        _sections(layout, x, y + sizes[0], width, [(pgettext("pdf", "Payable by"), debtor)], sizes)
        return
    layout.pen.text(x, y, pgettext("pdf", "Payable by (name/address)"), layout.bold, sizes[0])
    box_width, box_height = box
    _corner_marks(layout.pen.canvas, x, y - 4 - box_height, box_width, box_height)


def _amount(layout, x, amount_offset, currency, amount, sizes) -> None:
    heading_size, value_size, leading = sizes
    y = 37 * MM - heading_size  # the amount section's top, 68 mm under the bill's
    heading = pgettext("pdf", "Currency")
    # The style guide's column, moved right where a translation of "Currency" is wider.
    amount_x = x + max(amount_offset, layout.pen.width(heading, layout.bold, heading_size) + 3 * MM)
    layout.pen.text(x, y, heading, layout.bold, heading_size)
    layout.pen.text(amount_x, y, pgettext("pdf", "Amount"), layout.bold, heading_size)
    layout.pen.text(x, y - leading, currency, layout.regular, value_size)
    layout.pen.text(amount_x, y - leading, amount, layout.regular, value_size)


def _corner_marks(canvas, x, y, width, height) -> None:
    across, down = 3 * MM, 2 * MM
    path = canvas.beginPath()
    for corner_x, corner_y, dx, dy in (
        (x, y, across, down),
        (x + width, y, -across, down),
        (x, y + height, across, -down),
        (x + width, y + height, -across, -down),
    ):
        path.moveTo(corner_x + dx, corner_y)
        path.lineTo(corner_x, corner_y)
        path.lineTo(corner_x, corner_y + dy)
    canvas.saveState()
    canvas.setLineWidth(0.75)
    canvas.drawPath(path, stroke=1, fill=0)
    canvas.restoreState()


def _swiss_cross(pen, centre_x: float, centre_y: float) -> None:
    """The 7 mm Swiss cross over the code's centre: a white margin, a black square, a white cross
    whose arms are a sixth longer than they are wide, as on the flag."""
    size, square = SWISS_CROSS, SWISS_CROSS - 1 * MM
    pen.fill_rect(centre_x - size / 2, centre_y - size / 2, size, size, WHITE)
    pen.fill_rect(centre_x - square / 2, centre_y - square / 2, square, square, BLACK)
    long, wide = square * 20 / 32, square * 6 / 32
    pen.fill_rect(centre_x - wide / 2, centre_y - long / 2, wide, long, WHITE)
    pen.fill_rect(centre_x - long / 2, centre_y - wide / 2, long, wide, WHITE)


def _grouped_amount(amount: str) -> str:
    """1 234.50, with a space between thousands, as the style guide writes amounts."""
    whole, cents = amount.split(".")
    return f"{int(whole):,}".replace(",", " ") + "." + cents
