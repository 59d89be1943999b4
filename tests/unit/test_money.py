from decimal import Decimal

import pytest
from babel.numbers import format_currency, get_currency_precision
from hypothesis import given
from hypothesis import strategies as st

from invoicing.core.money import (
    SUPPORTED_CURRENCIES,
    MoneyError,
    exponent,
    format_money,
    from_minor_units,
    round_money,
    to_minor_units,
)
from invoicing.settings import LOCALE_CHOICES

CURRENCIES = ["EUR", "USD", "JPY", "KWD", "BHD", "GBP", "KRW"]


@pytest.mark.parametrize(
    ("currency", "places"), [("JPY", 0), ("KRW", 0), ("EUR", 2), ("usd", 2), ("KWD", 3), ("BHD", 3)]
)
def test_exponent_follows_stripes_currency_table(currency, places):
    assert exponent(currency) == places


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [("12.34", "EUR", 1234), ("1000", "JPY", 1000), ("1.234", "KWD", 1234), ("0.01", "USD", 1), ("19.99", "USD", 1999)],
)
def test_to_minor_units(amount, currency, minor):
    assert to_minor_units(Decimal(amount), currency) == minor
    assert from_minor_units(minor, currency) == Decimal(amount)


@given(units=st.integers(min_value=0, max_value=10**15), currency=st.sampled_from(CURRENCIES))
def test_minor_units_round_trip_is_exact(units, currency):
    amount = from_minor_units(units, currency)
    assert to_minor_units(amount, currency) == units
    assert amount.as_tuple().exponent == -exponent(currency)


@given(
    amount=st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
    currency=st.sampled_from(CURRENCIES),
)
def test_rounded_amounts_convert_without_loss(amount, currency):
    rounded = round_money(amount, currency)
    assert abs(rounded - amount) <= Decimal(1).scaleb(-exponent(currency)) / 2
    assert from_minor_units(to_minor_units(rounded, currency), currency) == rounded


def test_rounding_is_half_up_at_the_currency_exponent():
    assert round_money(Decimal("0.005"), "EUR") == Decimal("0.01")
    assert round_money(Decimal("0.0049"), "EUR") == Decimal("0.00")
    assert round_money(Decimal("2.5"), "JPY") == Decimal("3")
    assert round_money(Decimal("1.0005"), "KWD") == Decimal("1.001")


def test_an_amount_finer_than_the_currency_is_refused_not_truncated():
    with pytest.raises(MoneyError, match="more decimal places"):
        to_minor_units(Decimal("12.345"), "EUR")
    with pytest.raises(MoneyError, match="more decimal places"):
        to_minor_units(Decimal("1.5"), "JPY")


@pytest.mark.parametrize("bad", [0.1, "abc", None, "NaN", "Infinity"])
def test_floats_and_garbage_are_not_money(bad):
    with pytest.raises(MoneyError):
        round_money(bad, "EUR")


def test_minor_units_must_be_integers():
    with pytest.raises(MoneyError):
        from_minor_units(12.0, "EUR")
    with pytest.raises(MoneyError):
        from_minor_units(True, "EUR")


def test_format_money_uses_the_currency_exponent():
    assert format_money(Decimal("1234.5"), "EUR") == "1,234.50 EUR"
    assert format_money(Decimal("1234"), "JPY") == "1,234 JPY"
    assert format_money(Decimal("1.2"), "KWD") == "1.200 KWD"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("de_DE", "1.234,50\xa0€"), ("en_US", "€1,234.50"), ("pl_PL", "1\xa0234,50\xa0€")],
)
def test_format_money_in_a_locale(locale, expected):
    assert format_money(Decimal("1234.5"), "EUR", locale) == expected


def test_cldr_decimals_agree_with_our_exponents_for_every_supported_currency():
    for currency in SUPPORTED_CURRENCIES:
        assert get_currency_precision(currency) == exponent(currency), currency
    assert format_money(Decimal("1234"), "JPY", "en_US") == "¥1,234"
    assert format_money(Decimal("1.2"), "KWD", "en_US") == "KWD1.200"


@given(
    amount=st.decimals(min_value=-(10**12), max_value=10**12, places=3, allow_nan=False, allow_infinity=False),
    currency=st.sampled_from(sorted(SUPPORTED_CURRENCIES)),
    locale=st.sampled_from([code for code, _ in LOCALE_CHOICES]),
)
def test_format_money_writes_exactly_what_babel_writes(amount, currency, locale):
    # "+ 0" turns a negative zero into zero: Babel would write "-0.00", and we never want that.
    rounded = round_money(amount, currency) + 0
    assert format_money(rounded, currency, locale) == format_currency(rounded, currency, locale=locale)
