"""The plan's arithmetic (``core.instalments``): equal parts at the currency's exponent with the
remainder on the last, monthly dates that keep the day (or the month's last), and settling the
earliest instalment first."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from invoicing.core.instalments import due_now, equal_amounts, monthly_dates, settle
from invoicing.core.money import from_minor_units, quantum


@given(
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    minor=st.integers(min_value=2, max_value=10**12),
    count=st.integers(min_value=2, max_value=24),
)
@hypothesis_settings(derandomize=True, database=None, max_examples=300)
def test_equal_amounts_add_up_exactly_and_differ_only_on_the_last(currency, minor, count):
    total = from_minor_units(minor, currency)
    parts = equal_amounts(total, count, currency)
    assert sum(parts) == total and len(parts) == count
    assert all(part == part.quantize(quantum(currency)) for part in parts)
    assert len(set(parts[:-1])) <= 1 and parts[-1] >= parts[0] >= 0


def test_monthly_dates_keep_the_day_or_take_the_months_last():
    assert monthly_dates(date(2026, 1, 31), 4) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]


def test_money_settles_the_earliest_instalment_first_and_due_now_takes_what_is_past():
    rows = [
        (1, date(2026, 1, 10), Decimal("100.00")),
        (2, date(2026, 2, 10), Decimal("100.00")),
        (3, date(2026, 3, 10), Decimal("100.00")),
    ]
    states = settle(rows, Decimal("130.00"), "EUR")
    assert [state.paid for state in states] == [Decimal("100.00"), Decimal("30.00"), Decimal("0.00")]
    # On 15 February instalment 2's rest is due; on 15 March, instalments 2 and 3.
    assert due_now(states, date(2026, 2, 15), "EUR") == Decimal("70.00")
    assert due_now(states, date(2026, 3, 15), "EUR") == Decimal("170.00")
    # Before instalment 2's date, paying "the next instalment" still means it.
    assert due_now(states, date(2026, 1, 20), "EUR") == Decimal("70.00")
