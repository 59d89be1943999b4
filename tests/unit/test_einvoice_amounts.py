"""The e-invoice's figures from any invoice's lines (issue #17): whatever the prices (with tax or
without), the rounding rule and the discount, they satisfy EN 16931's arithmetic exactly — the
lines' net amounts and the allowances give each rate's taxable amount (BR-S-08, BR-CO-10, BR-CO-13)
— and they are our totals, to the cent."""

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.core.totals import PER_LINE, PER_TOTAL, Discount, compute_totals, line_total
from invoicing.services.einvoice_amounts import Category, NotRepresentable, apportion, figures, two_places

RATES = [Decimal(rate) for rate in ("0", "5.5", "7", "19", "20", "21")]

lines_strategy = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.5"), max_value=Decimal(40), places=1),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5000), places=2),
        st.sampled_from(RATES),
    ),
    min_size=1,
    max_size=8,
)
discounts = st.one_of(
    st.none(),
    st.builds(lambda p: Discount(percent=p), st.decimals(min_value=Decimal(1), max_value=Decimal(60), places=1)),
    st.builds(lambda a: Discount(amount=a), st.decimals(min_value=Decimal("0.01"), max_value=Decimal(300), places=2)),
)


@settings(max_examples=300, deadline=None)
@given(lines_strategy, st.booleans(), st.sampled_from([PER_TOTAL, PER_LINE]), discounts)
def test_the_figures_follow_the_standards_arithmetic_and_our_totals(lines, inclusive, rounding, discount):
    rows = [(f"Line {i}", quantity, price, rate) for i, (quantity, price, rate) in enumerate(lines)]
    totals = compute_totals(
        [(q, p, r) for _, q, p, r in rows], "EUR", prices_include_tax=inclusive, rounding=rounding, discount=discount
    )
    result = figures(
        rows,
        totals,
        "EUR",
        prices_include_tax=inclusive,
        rounding=rounding,
        category=Category(""),
        discount_reason="Code",
    )
    nets, allowed = defaultdict(Decimal), defaultdict(Decimal)
    for line in result.lines:
        nets[line.vat_rate] += line.net_amount
    for allowance in result.allowances:
        assert allowance.amount > 0
        allowed[allowance.vat_rate] += allowance.amount
    for row in result.breakdown:
        assert row.taxable_amount == nets[row.rate] - allowed[row.rate]  # BR-S-08, exactly
        assert row.category == ("S" if row.rate else "Z")
    assert result.line_total == sum(line.net_amount for line in result.lines)  # BR-CO-10
    assert result.line_total - result.allowance_total == totals.subtotal  # BR-CO-13: our subtotal
    assert sum(row.tax_amount for row in result.breakdown) == totals.tax
    if not totals.discount:
        assert not result.allowances
    if not inclusive:  # prices without tax: each line's net amount is its amount as entered
        assert [line.net_amount for line in result.lines] == [line_total(q, p, "EUR") for _, q, p, _ in rows]


def test_prices_with_tax_are_shared_to_the_cent_over_a_rates_lines():
    rows = [("A", Decimal(1), Decimal("10.00"), Decimal(19)), ("B", Decimal(1), Decimal("10.00"), Decimal(19))]
    totals = compute_totals([(q, p, r) for _, q, p, r in rows], "EUR", prices_include_tax=True)
    result = figures(
        rows, totals, "EUR", prices_include_tax=True, rounding=PER_TOTAL, category=Category(""), discount_reason=""
    )
    # 20.00 with 19 % in it is 16.81 without: 8.41 and 8.40, never 8.40 twice.
    assert totals.subtotal == Decimal("16.81")
    assert sorted(line.net_amount for line in result.lines) == [Decimal("8.40"), Decimal("8.41")]
    assert {line.net_price for line in result.lines} == {Decimal("8.4000"), Decimal("8.4100")}


def test_apportion_adds_up_and_favours_the_largest_remainders():
    assert apportion(Decimal("10.00"), [Decimal(1), Decimal(1), Decimal(1)], "EUR") == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]
    assert apportion(Decimal(100), [Decimal(2), Decimal(1)], "JPY") == [Decimal(67), Decimal(33)]
    assert apportion(Decimal("5.00"), [Decimal(0), Decimal(0)], "EUR") == [Decimal("5.00"), Decimal(0)]


def test_an_amount_with_three_decimals_is_refused_not_rounded():
    assert two_places(Decimal("12.340")) == Decimal("12.34")
    with pytest.raises(NotRepresentable) as caught:
        two_places(Decimal("12.345"))
    assert caught.value.amount == Decimal("12.345")


def test_exempt_and_reverse_charge_lines_carry_their_category_and_reason():
    rows = [("Course", Decimal(1), Decimal("500.00"), Decimal(0))]
    totals = compute_totals([(q, p, r) for _, q, p, r in rows], "EUR")
    for category, code in ((Category("E", reason="Art. 132"), "E"), (Category("AE", "Reverse", "VATEX-EU-AE"), "AE")):
        result = figures(
            rows, totals, "EUR", prices_include_tax=False, rounding=PER_TOTAL, category=category, discount_reason=""
        )
        assert [line.vat_category for line in result.lines] == [code]
        assert (result.breakdown[0].category, result.breakdown[0].exemption_reason) == (code, category.reason)
