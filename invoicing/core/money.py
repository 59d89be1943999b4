"""Money arithmetic: currencies, exponents, one rounding policy, and minor units.

A leaf module: it imports no model, so models, providers, the PDF and services can all use it.
Amounts are always ``Decimal``; integer minor units exist only at the Stripe boundary and in
payment-link binding.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import get_currency_symbol

ROUNDING = ROUND_HALF_UP

# Stripe's own table (https://docs.stripe.com/currencies): zero-decimal and three-decimal currencies.
ZERO_DECIMAL_CURRENCIES = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
)
THREE_DECIMAL_CURRENCIES = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])

CURRENCY_CHOICES = [
    (code, code)
    for code in sorted(
        {"AUD", "BHD", "CAD", "CHF", "CZK", "DKK", "EUR", "GBP", "JPY", "KWD", "NOK", "PLN", "SEK", "USD"}
    )
]
SUPPORTED_CURRENCIES = frozenset(code for code, _ in CURRENCY_CHOICES)

# Wide enough for KWD's three places and any realistic invoice.
MAX_DIGITS = 18
DECIMAL_PLACES = 3


class MoneyError(ValueError):
    pass


def exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def to_decimal(value) -> Decimal:
    if isinstance(value, float):
        raise MoneyError("Money is never a float; pass a Decimal, an int or a string.")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MoneyError(f"{value!r} is not an amount of money.") from exc
    if not amount.is_finite():
        raise MoneyError(f"{value!r} is not an amount of money.")
    return amount


def round_money(value, currency: str) -> Decimal:
    """Round to the currency's exponent with the project's single rounding policy."""
    return to_decimal(value).quantize(quantum(currency), rounding=ROUNDING)


def to_minor_units(value, currency: str) -> int:
    """Exact conversion to integer minor units; refuses amounts finer than the currency allows."""
    amount = to_decimal(value)
    if round_money(amount, currency) != amount:
        raise MoneyError(f"{amount} has more decimal places than {currency.upper()} allows.")
    return int(amount.scaleb(exponent(currency)))


def from_minor_units(units: int, currency: str) -> Decimal:
    if not isinstance(units, int) or isinstance(units, bool):
        raise MoneyError(f"Minor units must be an integer, not {units!r}.")
    return Decimal(units).scaleb(-exponent(currency)).quantize(quantum(currency))


def format_money(value, currency: str, locale: str | None = None) -> str:
    """``1,234.50 EUR`` by default; with a locale, that locale's format (``1.234,50 €`` in de_DE).

    CLDR's decimals agree with our exponents for every supported currency (a test checks it).
    """
    amount = round_money(value, currency)
    if locale is None:
        return f"{amount:,.{exponent(currency)}f} {currency.upper()}"
    style = _currency_style(currency.upper(), locale)
    digits = f"{abs(amount):,.{exponent(currency)}f}".translate(style.separators)
    negative = int(amount < 0)
    return f"{style.prefixes[negative]}{digits}{style.suffixes[negative]}"


@dataclass(frozen=True)
class _CurrencyStyle:
    prefixes: tuple[str, str]  # positive, negative
    suffixes: tuple[str, str]
    separators: dict


@lru_cache(maxsize=256)
def _currency_style(currency: str, locale: str) -> _CurrencyStyle:
    """The locale's currency pattern, read once: Babel's own formatting costs ~50 µs a call, and a
    PDF or a listing formats dozens of amounts. A test checks the result against Babel's."""
    cldr = Locale.parse(locale)
    pattern = cldr.currency_formats["standard"]
    if pattern.grouping != (3, 3):
        raise MoneyError(f"{locale} groups digits in a way format_money does not handle.")
    symbol = get_currency_symbol(currency, locale)
    symbols = cldr.number_symbols["latn"]
    return _CurrencyStyle(
        prefixes=tuple(part.replace("¤", symbol) for part in pattern.prefix),
        suffixes=tuple(part.replace("¤", symbol) for part in pattern.suffix),
        separators=str.maketrans({",": symbols["group"], ".": symbols["decimal"]}),
    )
