"""What a client may choose on the pay page. Only choices: amounts due are computed by the
services, which validate every amount again (minimum, balance, available credit)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..core.money import exponent


def money_input(currency, **kwargs):
    return forms.DecimalField(
        min_value=0, decimal_places=exponent(currency), max_digits=18, required=False, localize=False, **kwargs
    )


class PayForm(forms.Form):
    def first_error(self):
        """One message for the page or pay.js: these forms have one or two fields."""
        return next(iter(error for errors in self.errors.values() for error in errors), "")


class CardPaymentForm(PayForm):
    """The card form: pay in full, or (when the invoice allows it) an amount of the client's choice,
    optionally spending the client's credit first."""

    FULL, PART = "full", "part"

    amount_choice = forms.ChoiceField(choices=[(FULL, _("Pay in full")), (PART, _("Pay an amount"))], required=False)
    use_credit = forms.BooleanField(required=False)
    # The client's explicit consent to charging this card for the website's future invoices.
    save_card = forms.BooleanField(required=False)

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.fields["amount"] = money_input(invoice.currency, label=_("Amount"))

    def clean(self):
        cleaned = super().clean()
        partial = self.invoice.allow_partial_payments and cleaned.get("amount_choice") == self.PART
        if partial and cleaned.get("amount") is None:
            self.add_error("amount", _("Enter the amount you want to pay."))
        if partial and cleaned.get("use_credit"):
            self.add_error("use_credit", _("Credit and card together pay the whole balance; choose “Pay in full”."))
        # A full payment is whatever the server says is due: an amount sent along with it is ignored.
        cleaned["amount"] = cleaned.get("amount") if partial else None
        return cleaned


class CreditPaymentForm(PayForm):
    """Spend account credit: as much as the invoice needs, or a chosen part of it."""

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credit_amount"] = money_input(invoice.currency, label=_("Credit to use"))
