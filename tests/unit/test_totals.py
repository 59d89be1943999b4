from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from invoicing.core.money import exponent, round_money, to_minor_units
from invoicing.core.totals import compute_totals, line_total

CURRENCIES = ["EUR", "JPY", "KWD"]

line_strategy = st.tuples(
    st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3),
    st.decimals(min_value=0, max_value=100000, places=3),
    st.sampled_from([Decimal(0), Decimal("5.5"), Decimal(7), Decimal(19), Decimal(20), Decimal("8.875")]),
)


def test_tax_is_computed_per_rate_on_the_sum_of_that_rates_lines():
    # Rounded per line, 19% of 0.13 is 0.02, three times 0.06; on the rate's sum, 19% of 0.39 is 0.0741 → 0.07.
    lines = [(Decimal(1), Decimal("0.13"), Decimal(19))] * 3
    totals = compute_totals(lines, "EUR")
    assert totals.subtotal == Decimal("0.39")
    assert totals.tax == Decimal("0.07")
    assert totals.total == Decimal("0.46")
    assert totals.tax_by_rate == {Decimal(19): Decimal("0.07")}


def test_mixed_rates_are_reported_separately():
    lines = [(Decimal(2), Decimal("10.00"), Decimal(19)), (Decimal(1), Decimal("10.00"), Decimal(7))]
    totals = compute_totals(lines, "EUR")
    assert totals.tax_by_rate == {Decimal(7): Decimal("0.70"), Decimal(19): Decimal("3.80")}
    assert totals.total == Decimal("34.50")


def test_totals_in_jpy_and_kwd_use_their_exponents():
    assert compute_totals([(Decimal(3), Decimal("333.33"), Decimal(10))], "JPY").total == Decimal(1100)
    assert compute_totals([(Decimal(1), Decimal("1.2345"), Decimal(0))], "KWD").total == Decimal("1.235")


def test_no_lines_is_zero():
    totals = compute_totals([], "EUR")
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("0.00"),) * 3


@given(lines=st.lists(line_strategy, max_size=30), currency=st.sampled_from(CURRENCIES))
def test_totals_never_drift_by_a_cent(lines, currency):
    totals = compute_totals(lines, currency)
    # Everything is already at the currency's precision, so minor units are exact...
    for amount in (totals.subtotal, totals.tax, totals.total, *totals.tax_by_rate.values()):
        assert round_money(amount, currency) == amount
        to_minor_units(amount, currency)
    # ...and the parts add up exactly, in minor units as in decimals.
    line_totals = [line_total(q, p, currency) for q, p, _ in lines]
    assert totals.subtotal == sum(line_totals, Decimal(0))
    assert totals.total == totals.subtotal + totals.tax
    assert totals.tax == sum(totals.tax_by_rate.values(), Decimal(0))
    assert to_minor_units(totals.total, currency) == sum(
        to_minor_units(x, currency) for x in line_totals
    ) + to_minor_units(totals.tax, currency)
    # The rounded tax is within half a minor unit per rate of the exact tax.
    exact_tax = sum((line_total(q, p, currency) * r / 100 for q, p, r in lines), Decimal(0))
    assert abs(totals.tax - exact_tax) <= len(totals.tax_by_rate) * Decimal(1).scaleb(-exponent(currency)) / 2
