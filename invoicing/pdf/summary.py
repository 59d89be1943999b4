"""What an invoice PDF shows under its lines: the totals (with a discount line, and "of which tax"
when prices include tax), the tax summary per rate, the legal note of a reverse-charge or exempt
invoice, the early-payment terms and the payment plan's instalments.

Drawn for ``render._DocumentLayout`` (``layout``: its pen, fonts, columns and formatters), from
the document alone: no model, no query.
"""

from django.utils.translation import pgettext

from .canvas import BLACK, tint
from .layout import Block, wrap

GREY, RULE = "0.42 0.44 0.47", "0.84 0.85 0.87"
ROW = 15  # a totals row
SMALL_ROW = 12.5  # a row of the tax summary or the payment plan
REVERSE_CHARGE = "reverse_charge"
EXEMPT = "exempt"


def summary_blocks(layout) -> list[Block]:
    """The totals, then the tax summary, the tax note, the early-payment terms and the plan."""
    blocks = [totals_block(layout)]
    blocks += tax_summary_blocks(layout)
    blocks += note_blocks(layout, tax_note(layout))
    blocks += note_blocks(layout, early_payment_note(layout))
    blocks += instalment_blocks(layout)
    return blocks


def totals_rows(layout):
    """(label, amount or None, style): "total" is ruled above, "due" is highlighted; both are bold.
    A row without an amount is a line of text (the tax included in an inclusive total)."""
    document, money, rate = layout.document, layout.money, layout.rate
    rows = []
    if document.discount is not None:
        lines_label = (
            pgettext("pdf", "Lines total (incl. tax)")
            if document.prices_include_tax
            else pgettext("pdf", "Lines total")
        )
        if document.lines_total is not None:
            rows.append((lines_label, document.lines_total, ""))
        rows.append((document.discount.label or pgettext("pdf", "Discount"), -document.discount.amount, ""))
    if document.prices_include_tax:
        rows.append((pgettext("pdf", "Total (incl. tax)"), document.total, "total"))
        rows += [
            (
                pgettext("pdf", "of which tax %(amount)s at %(rate)s")
                % {"amount": money(tax.tax), "rate": rate(tax.rate)},
                None,
                "",
            )
            for tax in document.taxes
            if tax.tax
        ]
    else:
        rows.append((pgettext("pdf", "Subtotal"), document.subtotal, ""))
        rows += [(pgettext("pdf", "Tax %(rate)s") % {"rate": rate(tax.rate)}, tax.tax, "") for tax in document.taxes]
        rows.append((pgettext("pdf", "Total"), document.total, "total"))
    rows.append((pgettext("pdf", "Paid"), document.amount_paid, ""))
    if document.amount_credited:
        rows.append((pgettext("pdf", "Credited"), -document.amount_credited, ""))
    if document.early_discount_taken:
        rows.append((pgettext("pdf", "Early-payment discount"), -document.early_discount_taken, ""))
    rows.append((pgettext("pdf", "Amount due"), document.amount_due, "due"))
    return rows


def totals_block(layout) -> Block:
    document, pen = layout.document, layout.pen
    rows = totals_rows(layout)
    highlight = tint(document.branding.brand_color, 0.88)

    def draw(top: float) -> None:
        label_x = layout.right - 250
        for index, (label, amount, style) in enumerate(rows):
            baseline = top - 22 - index * ROW
            if style == "total":
                pen.hline(label_x, layout.right, baseline + 10.5, BLACK, 0.75)
            if style == "due":
                pen.fill_rect(label_x, baseline - 4.5, layout.right - label_x, ROW, highlight)
            font = layout.bold if style else layout.regular
            if amount is None:
                pen.text(label_x + 15, baseline, label, layout.regular, 8.5, GREY)
                continue
            pen.text(label_x + 5, baseline, label, font, 9)
            pen.text_right(layout.amount_right, baseline, layout.money(amount), font, 9)

    return Block(12 + len(rows) * ROW + 8, draw, keep_with_previous=True)


def tax_summary_blocks(layout) -> list[Block]:
    """Per rate: the rate, the taxable amount and the tax, as EN 16931's VAT breakdown has them."""
    document, pen = layout.document, layout.pen
    if not document.taxes:
        return []
    label_x = layout.right - 250
    base_right = layout.amount_right - 90
    heading = pgettext("pdf", "Tax summary")
    columns = (pgettext("pdf", "Rate"), pgettext("pdf", "Taxable amount"), pgettext("pdf", "Tax"))
    rows = [(layout.rate(tax.rate), layout.money(tax.base), layout.money(tax.tax)) for tax in document.taxes]

    def draw(top: float) -> None:
        baseline = top - 14
        pen.text(label_x + 5, baseline, heading, layout.bold, 8.5, layout.brand)
        baseline -= SMALL_ROW
        for texts, font, colour in [(columns, layout.regular, GREY)] + [(row, layout.regular, BLACK) for row in rows]:
            rate_text, base_text, tax_text = texts
            pen.text(label_x + 5, baseline, rate_text, font, 8.5, colour)
            pen.text_right(base_right, baseline, base_text, font, 8.5, colour)
            pen.text_right(layout.amount_right, baseline, tax_text, font, 8.5, colour)
            baseline -= SMALL_ROW
        pen.hline(label_x, layout.right, baseline + SMALL_ROW - 3.5, RULE)

    return [Block(14 + (len(rows) + 1) * SMALL_ROW + 8, draw)]


def tax_note(layout) -> str:
    """The note the law asks for on an invoice that charges no tax."""
    document = layout.document
    if document.tax_treatment == REVERSE_CHARGE:
        note = pgettext(
            "pdf",
            "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).",
        )
        ids = [
            pgettext("pdf", "Supplier's VAT ID: %(tax_id)s") % {"tax_id": document.seller.tax_id}
            if document.seller.tax_id
            else "",
            pgettext("pdf", "Customer's VAT ID: %(tax_id)s") % {"tax_id": document.client.tax_id}
            if document.client.tax_id
            else "",
        ]
        return "\n".join([note, " · ".join(text for text in ids if text)]).strip()
    if document.tax_treatment == EXEMPT:
        return pgettext("pdf", "Exempt from VAT: %(reason)s") % {"reason": document.tax_exemption_reason}
    return ""


def early_payment_note(layout) -> str:
    terms = layout.document.early_payment
    if terms is None:
        return ""
    return pgettext("pdf", "%(percent)s discount if paid by %(date)s: %(price)s") % {
        "percent": layout.rate(terms.percent).replace("%", " %"),
        "date": layout.long_day(terms.until),
        "price": layout.money(terms.price),
    }


def note_blocks(layout, text: str) -> list[Block]:
    if not text:
        return []
    lines = wrap(text, layout.regular, 8.5, layout.width)
    blocks = [Block(8, lambda top: None)]
    for line in lines:
        blocks.append(
            Block(11.5, lambda top, line=line: layout.pen.text(layout.left, top - 9, line, layout.regular, 8.5))
        )
    return blocks


def instalment_blocks(layout) -> list[Block]:
    document, pen = layout.document, layout.pen
    if not document.instalments:
        return []
    x_due, x_amount_right, x_state = layout.left + 40, layout.left + 260, layout.left + 280

    def heading(top: float) -> None:
        pen.text(layout.left, top - 16, pgettext("pdf", "Payment plan"), layout.bold, 9.5, layout.brand)
        y = top - 16 - SMALL_ROW
        pen.text(layout.left, y, pgettext("pdf", "No."), layout.regular, 8, GREY)
        pen.text(x_due, y, pgettext("pdf", "Due date"), layout.regular, 8, GREY)
        pen.text_right(x_amount_right, y, pgettext("pdf", "Amount"), layout.regular, 8, GREY)
        pen.text(x_state, y, pgettext("pdf", "State"), layout.regular, 8, GREY)

    blocks = [Block(16 + SMALL_ROW + 4, heading)]
    for row in document.instalments:
        texts = (
            str(row.number),
            layout.day(row.due_on),
            layout.money(row.amount),
            pgettext("pdf", "Paid") if row.paid else pgettext("pdf", "Open"),
        )

        def draw(top: float, texts=texts) -> None:
            y = top - 9
            pen.text(layout.left, y, texts[0], layout.regular, 8.5)
            pen.text(x_due, y, texts[1], layout.regular, 8.5)
            pen.text_right(x_amount_right, y, texts[2], layout.regular, 8.5)
            pen.text(x_state, y, texts[3], layout.regular, 8.5)

        blocks.append(Block(SMALL_ROW, draw))
    return blocks
