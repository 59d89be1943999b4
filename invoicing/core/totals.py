"""Invoice totals, computed on the server only.

Tax is computed once per tax rate on the sum of that rate's line totals, which is what
European invoicing rules ask for and what keeps the total from drifting by a cent.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .money import round_money, to_decimal

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    tax_by_rate: dict = field(default_factory=dict)
    base_by_rate: dict = field(default_factory=dict)


def line_total(quantity, unit_price, currency: str) -> Decimal:
    return round_money(to_decimal(quantity) * to_decimal(unit_price), currency)


def compute_totals(lines, currency: str) -> Totals:
    """``lines`` is an iterable of ``(quantity, unit_price, tax_rate_percent)``."""
    base_by_rate = defaultdict(lambda: round_money(0, currency))
    for quantity, unit_price, tax_rate in lines:
        base_by_rate[to_decimal(tax_rate)] += line_total(quantity, unit_price, currency)
    tax_by_rate = {rate: round_money(base * rate / HUNDRED, currency) for rate, base in sorted(base_by_rate.items())}
    zero = round_money(0, currency)
    subtotal = sum(base_by_rate.values(), zero)
    tax = sum(tax_by_rate.values(), zero)
    return Totals(
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        tax_by_rate=tax_by_rate,
        base_by_rate=dict(sorted(base_by_rate.items())),
    )
