"""Payment plans as arithmetic: splitting a total into instalments, and which of them the money
received so far has settled. Payments settle the earliest instalment first, so what is paid of
each one is derived from the total settled, never stored."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from .money import quantum, round_money, to_decimal
from .periods import add_months, month_day


@dataclass(frozen=True)
class InstalmentState:
    sequence: int
    due_date: date
    amount: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.paid

    @property
    def is_paid(self) -> bool:
        return self.paid >= self.amount

    def is_overdue(self, today: date) -> bool:
        return not self.is_paid and self.due_date < today


def equal_amounts(total, count: int, currency: str) -> list[Decimal]:
    """``count`` equal parts of ``total`` at the currency's exponent; the remainder goes on the last."""
    total = round_money(total, currency)
    if count < 1:
        raise ValueError("A plan has at least one instalment.")
    part = (total / count).quantize(quantum(currency), rounding=ROUND_FLOOR)
    return [part] * (count - 1) + [total - part * (count - 1)]


def monthly_dates(first: date, count: int) -> list[date]:
    """``first``, then the same day of each following month (the month's last day when shorter)."""
    dates = []
    for index in range(count):
        year, month = add_months(first.year, first.month, index)
        dates.append(month_day(year, month, first.day))
    return dates


def settle(instalments, settled, currency: str) -> list[InstalmentState]:
    """``instalments``: ``(sequence, due_date, amount)`` in order. ``settled``: what the invoice has
    received or been credited so far, which pays them earliest first."""
    left = round_money(to_decimal(settled), currency)
    states = []
    for sequence, due_date, amount in instalments:
        paid = min(max(left, Decimal(0)), amount)
        left -= paid
        states.append(InstalmentState(sequence, due_date, amount, round_money(paid, currency)))
    return states


def first_open(states):
    return next((state for state in states if not state.is_paid), None)


def due_now(states, today: date, currency: str) -> Decimal:
    """What paying "the next instalment" means today: every instalment already due, or if none is,
    the next one."""
    upcoming = first_open(states)
    if upcoming is None:
        return round_money(0, currency)
    cutoff = max(today, upcoming.due_date)
    return sum((state.remaining for state in states if state.due_date <= cutoff), round_money(0, currency))
