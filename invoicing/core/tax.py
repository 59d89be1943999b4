"""Tax treatments of a client, and VAT ids checked offline (format and check digits)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import vatin
from stdnum.exceptions import ValidationError as StdnumError


class TaxTreatment(models.TextChoices):
    STANDARD = "standard", _("Standard: tax at each line's rate")
    EXEMPT = "exempt", _("Exempt from tax (give the reason)")
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge: the client accounts for the tax")


def charges_tax(treatment) -> bool:
    """Whether lines are taxed at their rates; exempt and reverse-charge invoices carry no tax."""
    return treatment in ("", TaxTreatment.STANDARD)


def normalise_vat_id(value: str) -> str:
    """The VAT id, compact and with its country prefix (``DE136695976``), or ``ValueError`` naming
    what is wrong. No network call: the format and check digits only."""
    compact = vatin.compact(value or "")
    try:
        return vatin.validate(compact)
    except StdnumError as exc:
        raise ValueError(str(exc.message)) from exc


def is_vat_id(value: str) -> bool:
    try:
        normalise_vat_id(value)
    except ValueError:
        return False
    return True
