"""What a credit note credits and its totals: lines of the invoice (at most what each has left
uncredited) or free amounts, under the invoice's tax treatment, prices-include-tax and rounding
rule, with its discount code shared as on the invoice; and how its money was settled.
``services.credit_notes`` issues them."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ..core.exceptions import ValidationFailed
from ..core.money import MoneyError, round_money, to_decimal
from ..core.tax import charges_tax
from ..core.totals import PER_TOTAL, Discount, RateSummary, Totals, compute_totals, line_total
from ..models import CreditNoteLine
from .invoice_totals import discount_of, invoice_totals
from .invoices import describe


@dataclass(frozen=True)
class FreeLine:
    """A line of a credit note that credits no particular invoice line (a goodwill amount)."""

    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal(1)
    tax_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class _Line:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    tax_id: int | None = None
    invoice_line_id: int | None = None


def credited_quantities(invoice, *, before=None):
    """Per invoice line id, the quantity credited by the invoice's credit notes (those issued before
    the credit note ``before``, when given)."""
    rows = CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
    if before is not None:
        rows = rows.filter(credit_note_id__lt=before.pk)
    return {
        row["invoice_line"]: row["quantity"]
        for row in rows.values("invoice_line").annotate(quantity=Sum("quantity")).order_by()
    }


def _line_tuple(line):
    return (line.quantity, line.unit_price, line.tax_rate)


def _of_invoice_lines(lines):
    return bool(lines) and all(line.invoice_line_id is not None for line in lines)


def _completes(invoice, lines, credited_before):
    """Whether ``lines`` credit everything of the invoice's lines that is left."""
    this = {}
    for line in lines:
        this[line.invoice_line_id] = this.get(line.invoice_line_id, 0) + line.quantity
    return all(credited_before.get(line.pk, 0) + this.get(line.pk, 0) >= line.quantity for line in invoice.lines.all())


def _partial_discount(invoice, lines):
    """The part of the invoice's discount code that falls on some of its lines: the same
    percentage, or a fixed amount's share in proportion to what the lines add up to."""
    invoice_discount = discount_of(invoice)
    if invoice_discount is None or invoice_discount.percent is not None:
        return invoice_discount
    whole = invoice_totals(invoice).lines_total
    part = sum((line_total(line.quantity, line.unit_price, invoice.currency) for line in lines), Decimal(0))
    return Discount(amount=round_money(invoice.discount_total * part / whole, invoice.currency) if whole else 0)


def _rest_of_invoice(invoice, lines, earlier_notes):
    """The credit note that completes earlier ones: per tax rate, what the invoice has that they
    did not credit, so that all of them add up to the invoice's totals exactly (rounding each
    part's tax on its own would leave a cent over or under)."""
    currency = invoice.currency
    whole = invoice_totals(invoice)
    base, tax = dict(whole.base_by_rate), dict(whole.tax_by_rate)
    for note in earlier_notes:
        for row in credit_note_totals(note).by_rate:
            base[row.rate] = base.get(row.rate, 0) - row.base
            tax[row.rate] = tax.get(row.rate, 0) - row.tax
    by_rate = tuple(
        RateSummary(rate, round_money(base[rate], currency), round_money(tax[rate], currency))
        for rate in sorted(base)
        if base[rate] or tax[rate]
    )
    lines_total = sum((line_total(line.quantity, line.unit_price, currency) for line in lines), Decimal(0))
    subtotal = sum((row.base for row in by_rate), round_money(0, currency))
    tax_total = sum((row.tax for row in by_rate), round_money(0, currency))
    after_discount = subtotal + tax_total if invoice.prices_include_tax else subtotal
    return Totals(
        lines_total=lines_total,
        discount=lines_total - after_discount,
        subtotal=subtotal,
        tax=tax_total,
        total=subtotal + tax_total,
        by_rate=by_rate,
    )


def totals_of(invoice, lines, earlier_notes, credited_before):
    """A credit note's totals: its lines with the invoice's prices-include-tax and rounding rule;
    with the invoice's discount code when it credits invoice lines (all of them at once: exactly
    the invoice's totals; the rest after earlier credit notes: exactly what they left)."""
    discount = None
    if _of_invoice_lines(lines):
        earlier = [note for note in earlier_notes if _of_invoice_lines(list(note.lines.all()))]
        if _completes(invoice, lines, credited_before):
            if earlier:
                return _rest_of_invoice(invoice, lines, earlier)
            discount = discount_of(invoice)
        else:
            discount = _partial_discount(invoice, lines)
    return compute_totals(
        (_line_tuple(line) for line in lines),
        invoice.currency,
        prices_include_tax=invoice.prices_include_tax,
        rounding=invoice.tax_rounding or PER_TOTAL,
        discount=discount,
    )


def credit_note_totals(note):
    """The stored credit note's totals with its tax summary per rate, as computed when it was issued."""
    invoice = note.invoice
    earlier = list(invoice.credit_notes.filter(pk__lt=note.pk).prefetch_related("lines"))
    lines = [
        _Line(line.description, line.quantity, line.unit_price, line.tax_rate, line.tax_id, line.invoice_line_id)
        for line in note.lines.all()
    ]
    return totals_of(invoice, lines, earlier, credited_quantities(invoice, before=note))


def _quantity(value):
    try:
        quantity = to_decimal(value)
    except MoneyError as exc:
        raise ValidationFailed(str(exc)) from exc
    if quantity <= 0 or quantity != quantity.quantize(Decimal("0.001")):
        raise ValidationFailed(_("Each quantity must be more than zero, with at most three decimal places."))
    return quantity


def wanted_lines(invoice, lines, credited_before):
    """The lines to credit, checked against what each invoice line has left uncredited."""
    taxed = charges_tax(invoice.tax_treatment)
    invoice_lines = {line.pk: line for line in invoice.lines.all()}
    if lines is None:
        wanted = [
            (line, line.quantity - credited_before.get(line.pk, 0))
            for line in invoice_lines.values()
            if line.quantity > credited_before.get(line.pk, 0)
        ]
        if not wanted:
            raise ValidationFailed(
                _("Invoice %(invoice)s has been credited in full already.") % {"invoice": describe(invoice)}
            )
    else:
        wanted = list(lines)
    if not wanted:
        raise ValidationFailed(_("Choose at least one line to credit."))
    result, asked = [], {}
    for item in wanted:
        if isinstance(item, FreeLine):
            if not (item.description or "").strip():
                raise ValidationFailed(_("Each line of a credit note needs a description."))
            price = to_decimal(item.unit_price)
            if price <= 0 or round_money(price, invoice.currency) != price:
                raise ValidationFailed(_("A line's price must be more than zero, at the currency's exponent."))
            rate = to_decimal(item.tax_rate) if taxed else Decimal(0)
            if not 0 <= rate <= 100:
                raise ValidationFailed(_("A tax rate is between 0 and 100 %."))
            result.append(_Line(item.description.strip(), _quantity(item.quantity), price, rate))
            continue
        line, quantity = item
        if line.pk not in invoice_lines:
            raise ValidationFailed(_("That line is not on invoice %(invoice)s.") % {"invoice": describe(invoice)})
        quantity = _quantity(quantity)
        asked[line.pk] = asked.get(line.pk, 0) + quantity
        left = line.quantity - credited_before.get(line.pk, 0)
        if asked[line.pk] > left:
            raise ValidationFailed(
                _("“%(line)s” has %(left)s left to credit, not %(quantity)s.")
                % {"line": line.description, "left": left.normalize(), "quantity": asked[line.pk].normalize()}
            )
        line = invoice_lines[line.pk]
        result.append(
            _Line(
                line.description,
                quantity,
                line.unit_price,
                line.tax_rate if taxed else Decimal(0),
                line.tax_id,
                line.pk,
            )
        )
    linked = {line.invoice_line_id is not None for line in result}
    if invoice.discount_code_id and len(linked) > 1:
        # The invoice's discount is shared over its lines, never over a free amount.
        raise ValidationFailed(_("Credit the invoice's lines and free amounts in separate credit notes."))
    return result


def settlement_rows(note):
    """How the credit note's total was settled, as (label, amount) rows, leaving out empty ones."""
    rows = (
        (pgettext("pdf", "Taken off the invoice's balance"), note.applied_to_invoice),
        (pgettext("pdf", "Added to your account credit"), note.credited),
        (pgettext("pdf", "Refunded to your card"), note.refunded),
    )
    return tuple((label, amount) for label, amount in rows if amount)
