"""Invoice totals, computed on the server only.

Each line's amount is ``quantity × unit price``, rounded to the currency's exponent. Prices are
entered either without tax (tax is added) or with tax (tax is the part of the price that is tax).
A website picks one rounding rule, and totals follow it exactly:

- ``per_total`` (the default, and what European invoicing rules ask for): tax is computed once per
  rate, on the sum of that rate's amounts;
- ``per_line``: tax is computed and rounded on each line, then added up per rate.

A discount (a percentage, or a fixed amount off the prices as entered) is spread over the same
units that tax is rounded on (rates or lines): a percentage is rounded on each unit, a fixed
amount is shared in proportion to the units' amounts (largest remainder first), so that the
parts add up to it exactly. Tax is then computed on what is left. The discount never exceeds
what the lines add up to.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from .money import quantum, round_money, to_decimal

HUNDRED = Decimal(100)
PER_TOTAL = "per_total"
PER_LINE = "per_line"
ROUNDING_RULES = (PER_TOTAL, PER_LINE)


@dataclass(frozen=True)
class Discount:
    """``percent`` (0–100) of the amounts as entered, or a fixed ``amount`` in the invoice's currency."""

    percent: Decimal | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class RateSummary:
    """One row of the tax summary: the taxable amount (after any discount) and the tax at ``rate``."""

    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    # What the lines add up to, as entered (without tax, or with it when prices include tax).
    lines_total: Decimal
    # The discount, on the same footing as ``lines_total``.
    discount: Decimal
    # Without tax, after the discount.
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    by_rate: tuple = field(default_factory=tuple)

    @property
    def tax_by_rate(self):
        return {row.rate: row.tax for row in self.by_rate}

    @property
    def base_by_rate(self):
        return {row.rate: row.base for row in self.by_rate}


def line_total(quantity, unit_price, currency: str) -> Decimal:
    return round_money(to_decimal(quantity) * to_decimal(unit_price), currency)


def tax_of(amount, rate, currency: str, *, inclusive: bool) -> Decimal:
    """The tax in ``amount`` (``inclusive``) or on it, at ``rate`` percent."""
    rate = to_decimal(rate)
    if inclusive:
        return round_money(amount * rate / (HUNDRED + rate), currency)
    return round_money(amount * rate / HUNDRED, currency)


def share_discount(amounts, discount: Discount | None, currency: str) -> list[Decimal]:
    """The part of ``discount`` that falls on each of ``amounts``; they add up to the discount exactly."""
    zero = round_money(0, currency)
    amounts = list(amounts)
    if discount is None or not amounts:
        return [zero for _ in amounts]
    if discount.percent is not None:
        percent = min(max(to_decimal(discount.percent), Decimal(0)), HUNDRED)
        return [round_money(amount * percent / HUNDRED, currency) for amount in amounts]
    whole = sum(amounts, zero)
    wanted = min(max(round_money(discount.amount or 0, currency), zero), max(whole, zero))
    if not wanted:
        return [zero for _ in amounts]
    step = quantum(currency)
    # Each unit's exact share, floored to the currency's step; the steps left over go to the
    # units that lost the most to flooring (ties: the larger amount, then the earlier unit).
    exact = [amount * wanted / whole for amount in amounts]
    parts = [share.quantize(step, rounding=ROUND_FLOOR) for share in exact]
    left = int((wanted - sum(parts, zero)) / step)
    order = sorted(range(len(amounts)), key=lambda i: (-(exact[i] - parts[i]), -amounts[i], i))
    for i in order[:left]:
        parts[i] += step
    return parts


def compute_totals(lines, currency: str, *, prices_include_tax=False, rounding=PER_TOTAL, discount=None) -> Totals:
    """``lines`` is an iterable of ``(quantity, unit_price, tax_rate_percent)``."""
    if rounding not in ROUNDING_RULES:
        raise ValueError(f"Unknown rounding rule {rounding!r}.")
    zero = round_money(0, currency)
    units = [(to_decimal(rate), line_total(quantity, price, currency)) for quantity, price, rate in lines]
    if rounding == PER_TOTAL:
        by_rate = defaultdict(lambda: zero)
        for rate, amount in units:
            by_rate[rate] += amount
        units = sorted(by_rate.items())
    discounts = share_discount((amount for _, amount in units), discount, currency)
    base_by_rate, tax_by_rate = defaultdict(lambda: zero), defaultdict(lambda: zero)
    for (rate, amount), off in zip(units, discounts, strict=True):
        taxed = amount - off
        tax = tax_of(taxed, rate, currency, inclusive=prices_include_tax)
        tax_by_rate[rate] += tax
        base_by_rate[rate] += taxed - tax if prices_include_tax else taxed
    summary = tuple(RateSummary(rate, base_by_rate[rate], tax_by_rate[rate]) for rate in sorted(base_by_rate))
    subtotal = sum((row.base for row in summary), zero)
    tax = sum((row.tax for row in summary), zero)
    return Totals(
        lines_total=sum((amount for _, amount in units), zero),
        discount=sum(discounts, zero),
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        by_rate=summary,
    )
