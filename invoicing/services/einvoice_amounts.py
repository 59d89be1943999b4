"""The figures of an e-invoice from an invoice's (or credit note's) lines and totals, so that they
agree with each other as EN 16931's rules require and with what the PDF and the database show.

EN 16931 knows only net amounts: a line's net amount (BT-131) is without VAT, a discount is a
document level allowance (BG-20) per VAT rate, and each rate's taxable amount (BT-116) is its lines'
net amounts less its allowances (BR-S-08). Our totals (``core.totals``) give each rate's taxable
amount and tax; here:

- prices without tax: a line's net amount is its amount; the allowance at a rate is what the
  discount took off that rate's lines;
- prices with tax included: each rate's net amount (its amounts less the tax in them, under the
  invoice's rounding rule) is shared over its lines in proportion to their amounts, to the cent;
  the allowance at a rate is that net amount less the taxable amount.

Without a discount there is no allowance, and the lines' net amounts add up to the taxable amount
exactly. The standard allows two decimals at most (BR-DEC-*): an amount with more (fils of a KWD
invoice, say) cannot be expressed, and ``NotRepresentable`` says which.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from ..core.money import quantum
from ..core.totals import PER_LINE, line_total, tax_of
from ..einvoice.document import EXEMPT, REVERSE_CHARGE, STANDARD, ZERO_RATED, Allowance, Line, VatBreakdown

TWO_PLACES = Decimal("0.01")
PRICE_PLACES = Decimal("0.0001")
REVERSE_CHARGE_CODE = "VATEX-EU-AE"


class NotRepresentable(ValueError):
    """An amount has more than two decimals."""

    def __init__(self, amount):
        super().__init__(amount)
        self.amount = amount


@dataclass(frozen=True)
class Category:
    """The VAT category of every line of a document that is not standard rated."""

    code: str  # EXEMPT or REVERSE_CHARGE; "" for standard (S, or Z at 0 %)
    reason: str = ""
    reason_code: str = ""

    def of(self, rate: Decimal) -> str:
        return self.code or (STANDARD if rate else ZERO_RATED)


@dataclass(frozen=True)
class Figures:
    lines: tuple[Line, ...]
    allowances: tuple[Allowance, ...]
    breakdown: tuple[VatBreakdown, ...]
    line_total: Decimal
    allowance_total: Decimal


def two_places(amount: Decimal) -> Decimal:
    """``amount`` at two decimals, refusing to round it."""
    value = Decimal(amount)
    if value != value.quantize(TWO_PLACES):
        raise NotRepresentable(value)
    return value.quantize(TWO_PLACES)


def apportion(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """``total`` shared over ``weights`` in proportion, at the currency's step, adding up exactly:
    the steps left after flooring go to the largest remainders (ties: the earlier part)."""
    step = quantum(currency)
    whole = sum(weights, Decimal(0))
    if not weights:
        return []
    if not whole:
        return [total] + [Decimal(0) for _ in weights[1:]]
    exact = [weight * total / whole for weight in weights]
    parts = [share.quantize(step, rounding=ROUND_FLOOR) for share in exact]
    left = int((total - sum(parts, Decimal(0))) / step)
    for index in sorted(range(len(parts)), key=lambda i: (-(exact[i] - parts[i]), i))[:left]:
        parts[index] += step
    return parts


def _net_of_rate(amounts, rate, currency, *, prices_include_tax, rounding):
    """What ``amounts`` at ``rate`` come to without tax, under the rounding rule."""
    if not prices_include_tax:
        return sum(amounts, Decimal(0))
    units = amounts if rounding == PER_LINE else [sum(amounts, Decimal(0))]
    return sum((unit - tax_of(unit, rate, currency, inclusive=True) for unit in units), Decimal(0))


def figures(lines, totals, currency, *, prices_include_tax, rounding, category, discount_reason) -> Figures:
    """``lines``: ``(name, quantity, unit_price, rate)`` with each line's effective rate (0 where
    the treatment charges no tax); ``totals``: their ``core.totals.Totals``."""
    amounts = [line_total(quantity, price, currency) for _, quantity, price, _ in lines]
    by_rate = defaultdict(list)
    for index, (_, _, _, rate) in enumerate(lines):
        by_rate[Decimal(rate)].append(index)
    nets = list(amounts)
    allowances = []
    for row in totals.by_rate:
        indexes = by_rate.get(row.rate, [])
        net = _net_of_rate(
            [amounts[i] for i in indexes],
            row.rate,
            currency,
            prices_include_tax=prices_include_tax,
            rounding=rounding,
        )
        # Without a discount the lines are the taxable amount; so they are when a credit note that
        # completes earlier ones leaves its lines a cent over it.
        allowance = net - row.base if totals.discount and net > row.base else Decimal(0)
        for index, part in zip(
            indexes, apportion(row.base + allowance, [amounts[i] for i in indexes], currency), strict=True
        ):
            nets[index] = part
        if allowance:
            allowances.append(
                Allowance(
                    amount=two_places(allowance),
                    reason=discount_reason,
                    vat_category=category.of(row.rate),
                    vat_rate=row.rate,
                )
            )
    return Figures(
        lines=tuple(
            Line(
                id=str(number),
                name=name,
                quantity=Decimal(quantity),
                net_price=_net_price(Decimal(quantity), Decimal(price), nets[number - 1], prices_include_tax, rate),
                net_amount=two_places(nets[number - 1]),
                vat_category=category.of(Decimal(rate)),
                vat_rate=Decimal(rate),
            )
            for number, (name, quantity, price, rate) in enumerate(lines, start=1)
        ),
        allowances=tuple(allowances),
        breakdown=tuple(
            VatBreakdown(
                category=category.of(row.rate),
                rate=row.rate,
                taxable_amount=two_places(row.base),
                tax_amount=two_places(row.tax),
                exemption_reason=category.reason,
                exemption_reason_code=category.reason_code,
            )
            for row in totals.by_rate
        ),
        line_total=two_places(sum(nets, Decimal(0))),
        allowance_total=two_places(sum((allowance.amount for allowance in allowances), Decimal(0))),
    )


def _net_price(quantity, price, net_amount, prices_include_tax, rate) -> Decimal:
    """The unit price without tax (BT-146): as entered, or the line's net amount per unit."""
    if not prices_include_tax:
        return price
    if quantity:
        return (net_amount / quantity).quantize(PRICE_PLACES)
    return (price * 100 / (100 + Decimal(rate))).quantize(PRICE_PLACES)


def category_of(treatment: str, exemption_reason: str, reverse_charge_reason: str) -> Category:
    if treatment == "exempt":
        return Category(EXEMPT, reason=exemption_reason)
    if treatment == "reverse_charge":
        return Category(REVERSE_CHARGE, reason=reverse_charge_reason, reason_code=REVERSE_CHARGE_CODE)
    return Category("")
