from decimal import Decimal

from django.db import models

from ..core.money import DECIMAL_PLACES, MAX_DIGITS, round_money


def money_field(verbose_name, **kwargs):
    """An amount; its currency is a column beside it. Stored with room for three decimals (KWD)."""
    return models.DecimalField(
        verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=Decimal(0), **kwargs
    )


class ScaledToCurrency:
    """Loads amounts at their currency's exponent (``720.00 USD``, not the column's ``720.000``)."""

    money_fields = ()

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        # ``**kwargs``: Django 6.1 passes ``fetch_mode``; Django 5.2 passes nothing more.
        instance = super().from_db(db, field_names, values, **kwargs)
        currency = instance.__dict__.get("currency")
        if currency:
            for name in cls.money_fields:
                if instance.__dict__.get(name) is not None:
                    instance.__dict__[name] = round_money(instance.__dict__[name], currency)
        return instance
