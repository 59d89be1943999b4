"""Totals under every tax rule (issue #16): several rates per invoice, both rounding rules, prices
with and without tax, any discount (a percentage or a fixed amount), in EUR, JPY and KWD. And the
admin's live preview (invoice_totals.js), held to the same computation."""

import json
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from invoicing.core.money import exponent, round_money, to_minor_units
from invoicing.core.totals import PER_LINE, PER_TOTAL, Discount, compute_totals, line_total, share_discount, tax_of

CURRENCIES = ["EUR", "JPY", "KWD"]
RATES = [Decimal(0), Decimal("2.1"), Decimal("5.5"), Decimal(7), Decimal(19), Decimal(20), Decimal("8.875")]
PREVIEW = Path(__file__).resolve().parents[2] / "invoicing/static/invoicing/admin/invoice_totals.js"

lines_strategy = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.001"), max_value=1000, places=3),
        st.decimals(min_value=0, max_value=100000, places=3),
        st.sampled_from(RATES),
    ),
    min_size=1,
    max_size=20,
)
discount_strategy = st.one_of(
    st.none(),
    st.builds(lambda p: Discount(percent=p), st.decimals(min_value=0, max_value=100, places=2)),
    st.builds(lambda a: Discount(amount=a), st.decimals(min_value=0, max_value=10_000_000, places=3)),
)


def is_exact(amount, currency):
    return round_money(amount, currency) == amount and amount.as_tuple().exponent >= -exponent(currency)


@hypothesis_settings(max_examples=400, deadline=None, derandomize=True)
@given(
    lines=lines_strategy,
    currency=st.sampled_from(CURRENCIES),
    rounding=st.sampled_from([PER_TOTAL, PER_LINE]),
    inclusive=st.booleans(),
    discount=discount_strategy,
)
def test_totals_are_exact_and_add_up_under_every_rule(lines, currency, rounding, inclusive, discount):
    totals = compute_totals(lines, currency, prices_include_tax=inclusive, rounding=rounding, discount=discount)
    zero = round_money(0, currency)
    amounts = [totals.lines_total, totals.discount, totals.subtotal, totals.tax, totals.total]
    amounts += [figure for row in totals.by_rate for figure in (row.base, row.tax)]
    for amount in amounts:
        assert is_exact(amount, currency), amount
        to_minor_units(amount, currency)
    assert totals.total == totals.subtotal + totals.tax
    assert sum((row.base for row in totals.by_rate), zero) == totals.subtotal
    assert sum((row.tax for row in totals.by_rate), zero) == totals.tax
    assert totals.lines_total == sum((line_total(q, p, currency) for q, p, _ in lines), zero)
    # Prices with tax: the total is what the lines ask for, less the discount; without: the subtotal is.
    net = totals.lines_total - totals.discount
    assert (totals.total if inclusive else totals.subtotal) == net
    assert zero <= totals.discount <= totals.lines_total
    if discount is None:
        assert totals.discount == zero
    # One row per rate used, each rate once, in order.
    assert [row.rate for row in totals.by_rate] == sorted({rate for _, _, rate in lines})


@hypothesis_settings(max_examples=300, deadline=None, derandomize=True)
@given(
    lines=lines_strategy,
    currency=st.sampled_from(CURRENCIES),
    inclusive=st.booleans(),
    discount=discount_strategy,
)
def test_per_line_rounding_is_the_sum_of_each_lines_own_rounded_tax(lines, currency, inclusive, discount):
    totals = compute_totals(lines, currency, prices_include_tax=inclusive, rounding=PER_LINE, discount=discount)
    amounts = [line_total(q, p, currency) for q, p, _ in lines]
    shares = share_discount(amounts, discount, currency)
    expected = {}
    for (_, _, rate), amount, share in zip(lines, amounts, shares, strict=True):
        expected[rate] = expected.get(rate, Decimal(0)) + tax_of(amount - share, rate, currency, inclusive=inclusive)
    assert totals.tax_by_rate == expected


@hypothesis_settings(max_examples=300, deadline=None, derandomize=True)
@given(
    lines=lines_strategy,
    currency=st.sampled_from(CURRENCIES),
    inclusive=st.booleans(),
    discount=discount_strategy,
)
def test_per_total_rounding_rounds_once_per_rate(lines, currency, inclusive, discount):
    totals = compute_totals(lines, currency, prices_include_tax=inclusive, rounding=PER_TOTAL, discount=discount)
    by_rate = {}
    for q, p, rate in lines:
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + line_total(q, p, currency)
    rates = sorted(by_rate)
    shares = dict(zip(rates, share_discount([by_rate[rate] for rate in rates], discount, currency), strict=True))
    for row in totals.by_rate:
        taxed = by_rate[row.rate] - shares[row.rate]
        assert row.tax == tax_of(taxed, row.rate, currency, inclusive=inclusive)
        assert row.base == (taxed - row.tax if inclusive else taxed)


def test_the_rules_differ_by_a_cent_where_they_should():
    # Three lines of 0.13 at 19 %: per line 3 × 0.02 = 0.06; per total 19 % of 0.39 = 0.0741 → 0.07.
    lines = [(Decimal(1), Decimal("0.13"), Decimal(19))] * 3
    assert compute_totals(lines, "EUR", rounding=PER_LINE).tax == Decimal("0.06")
    assert compute_totals(lines, "EUR", rounding=PER_TOTAL).tax == Decimal("0.07")


def test_a_fixed_discount_is_shared_over_the_rates_to_the_cent():
    lines = [(Decimal(1), Decimal("100.00"), Decimal(19)), (Decimal(1), Decimal("50.00"), Decimal(7))]
    totals = compute_totals(lines, "EUR", discount=Discount(amount=Decimal("10.00")))
    # 10.00 in proportion to 100 and 50: 6.67 and 3.33 (the larger remainder takes the odd cent).
    assert totals.base_by_rate == {Decimal(7): Decimal("46.67"), Decimal(19): Decimal("93.33")}
    assert totals.tax_by_rate == {Decimal(7): Decimal("3.27"), Decimal(19): Decimal("17.73")}
    assert (totals.discount, totals.subtotal, totals.total) == (Decimal("10.00"), Decimal("140.00"), Decimal("161.00"))


def test_prices_with_tax_keep_the_total_as_entered():
    lines = [(Decimal(1), Decimal("119.00"), Decimal(19)), (Decimal(2), Decimal("10.70"), Decimal(7))]
    totals = compute_totals(lines, "EUR", prices_include_tax=True)
    assert totals.total == Decimal("140.40")
    assert totals.tax_by_rate == {Decimal(7): Decimal("1.40"), Decimal(19): Decimal("19.00")}
    assert totals.subtotal == Decimal("120.00")


# -- the live preview ---------------------------------------------------------------------------------


def preview_cases(count=400, seed=16):
    """Random invoices (in minor units, as the preview keeps amounts) with the server's totals."""
    chooser = random.Random(seed)
    cases = []
    for _ in range(count):
        currency = chooser.choice(CURRENCIES)
        lines = [
            (
                Decimal(chooser.randint(1, 50)),
                Decimal(chooser.randint(0, 2_000_000)) / 100,
                chooser.choice(RATES),
            )
            for _ in range(chooser.randint(1, 8))
        ]
        discount = chooser.choice(
            [
                None,
                Discount(percent=Decimal(chooser.randint(0, 10000)) / 100),
                Discount(amount=Decimal(chooser.randint(0, 5_000_000)) / 100),
            ]
        )
        rounding, inclusive = chooser.choice([PER_TOTAL, PER_LINE]), chooser.choice([True, False])
        totals = compute_totals(lines, currency, prices_include_tax=inclusive, rounding=rounding, discount=discount)
        scale = 10 ** exponent(currency)
        cases.append(
            {
                "units": [
                    {"rate": float(rate), "amount": to_minor_units(line_total(q, p, currency), currency)}
                    for q, p, rate in lines
                ],
                "terms": {
                    "rounding": rounding,
                    "inclusive": inclusive,
                    "discount": {}
                    if discount is None
                    else (
                        {"percent": str(discount.percent)}
                        if discount.percent is not None
                        else {"amount": str(discount.amount)}
                    ),
                },
                "scale": scale,
                "expected": {
                    "linesTotal": to_minor_units(totals.lines_total, currency),
                    "discount": to_minor_units(totals.discount, currency),
                    "subtotal": to_minor_units(totals.subtotal, currency),
                    "tax": to_minor_units(totals.tax, currency),
                    "total": to_minor_units(totals.total, currency),
                },
            }
        )
    return cases


@pytest.mark.skipif(shutil.which("node") is None, reason="the preview's test runs its script with Node.js")
def test_the_live_preview_computes_what_the_server_computes():
    cases = preview_cases()
    script = (
        f"const preview = require({json.dumps(str(PREVIEW))});"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map((c) => preview.compute(c.units, c.terms, c.scale))));"
    )
    result = subprocess.run(
        [shutil.which("node"), "-e", script], input=json.dumps(cases), capture_output=True, text=True, check=True
    )
    computed = json.loads(result.stdout)
    mismatches = [(case, got) for case, got in zip(cases, computed, strict=True) if got != case["expected"]]
    assert not mismatches, mismatches[:3]
