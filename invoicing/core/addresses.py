"""Postal and electronic addresses as e-invoices need them: ISO 3166 country codes, Peppol
endpoint ids (``scheme:id``), and bank accounts (IBAN and BIC, checked offline)."""

import re
from functools import lru_cache

from babel import Locale
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

# "0088:5790000435968" (a GLN), "9930:DE136695976" (a German VAT id): an EAS scheme and its id.
ENDPOINT = re.compile(r"^(?P<scheme>[0-9]{4}|[A-Z]{2}):(?P<identifier>\S{1,100})$")


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


def country_name(code: str, locale: str = "en") -> str:
    return Locale.parse(locale).territories.get(code, code) if code else ""


def postal_address(street: str, postal_code: str, city: str, country: str, locale: str = "en") -> str:
    """The lines of an address as printed: the street lines, the postal code with the town, and the
    country's name in ``locale``."""
    town = " ".join(part for part in (postal_code, city) if part)
    return "\n".join(line for line in (street.strip(), town, country_name(country, locale)) if line)


def validate_country_code(value: str) -> None:
    if value and value not in country_codes():
        raise ValidationError(
            _("“%(value)s” is not an ISO 3166 country code; give two capital letters, e.g. DE, FR or CH."),
            params={"value": value},
        )


def validate_endpoint(value: str) -> None:
    if value and not ENDPOINT.match(value):
        raise ValidationError(
            _("Give the scheme and the id separated by a colon, e.g. 0088:5790000435968 or 9930:DE136695976."),
        )


def split_endpoint(value: str) -> tuple[str, str]:
    match = ENDPOINT.match(value or "")
    return (match["scheme"], match["identifier"]) if match else ("", "")


def _stdnum_validator(module, message):
    """A field validator that python-stdnum's ``module`` checks offline; blank passes."""

    def validate(value: str) -> None:
        if not value:
            return
        try:
            module.validate(value)
        except StdnumError as exc:
            raise ValidationError(message, params={"reason": exc.message}) from exc

    return validate


validate_iban = _stdnum_validator(stdnum_iban, _("This IBAN is not valid: %(reason)s"))
validate_bic = _stdnum_validator(stdnum_bic, _("This BIC is not valid: %(reason)s"))


def compact_iban(value: str) -> str:
    return stdnum_iban.compact(value or "")


# The address fields that Settings → Billing (the seller) and clients share.


def postal_code_field():
    return models.CharField(_("postal code"), max_length=16, blank=True)


def city_field():
    return models.CharField(_("town or city"), max_length=100, blank=True)


def country_field(help_text):
    return models.CharField(
        _("country"), max_length=2, blank=True, validators=[validate_country_code], help_text=help_text
    )


def electronic_address_field(help_text):
    """A Peppol endpoint id, ``scheme:id``."""
    return models.CharField(
        _("e-invoice address"), max_length=110, blank=True, validators=[validate_endpoint], help_text=help_text
    )
