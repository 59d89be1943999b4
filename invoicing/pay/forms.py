"""What a client may choose on the pay page. Only choices: amounts due are computed by the
services, which validate every amount again (minimum, balance, available credit)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..core.money import exponent
from ..services.amounts_due import amounts_due


def money_input(currency, **kwargs):
    return forms.DecimalField(
        min_value=0, decimal_places=exponent(currency), max_digits=18, required=False, localize=False, **kwargs
    )


class PayForm(forms.Form):
    def first_error(self):
        """One message for the page or pay.js: these forms have one or two fields."""
        return next(iter(error for errors in self.errors.values() for error in errors), "")


class CardPaymentForm(PayForm):
    """The card form: pay what is due now, everything, or (when the invoice allows it, or has a
    payment plan) an amount of the client's choice, optionally spending the client's credit first.

    Without a plan, what is due now is everything. Under a plan, "everything" is the balance (or
    its early-payment price), which the services accept as they accept what is due now."""

    FULL, PART, NOW = "full", "part", "now"

    amount_choice = forms.ChoiceField(
        choices=[(NOW, _("Pay what is due now")), (FULL, _("Pay in full")), (PART, _("Pay an amount"))],
        required=False,
    )
    use_credit = forms.BooleanField(required=False)
    # The client's explicit consent to charging this card for the website's future invoices.
    save_card = forms.BooleanField(required=False)

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.fields["amount"] = money_input(invoice.currency, label=_("Amount"))

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("amount_choice")
        has_plan = self.invoice.instalments.exists()
        partial = (self.invoice.allow_partial_payments or has_plan) and choice == self.PART
        if partial and cleaned.get("amount") is None:
            self.add_error("amount", _("Enter the amount you want to pay."))
        if (partial or (has_plan and choice == self.FULL)) and cleaned.get("use_credit"):
            self.add_error("use_credit", _("Credit and card together pay what is due now; choose another option."))
        if partial:
            cleaned["amount"] = cleaned.get("amount")
        elif has_plan and choice == self.FULL:
            # Everything, under a plan: what the server computes, never an amount sent along.
            due = amounts_due(self.invoice)
            cleaned["amount"] = due.early_price if due.early_price is not None else due.balance
        else:
            # What is due now is whatever the server says: an amount sent along with it is ignored.
            cleaned["amount"] = None
        return cleaned


class CreditPaymentForm(PayForm):
    """Spend account credit: as much as the invoice needs, or a chosen part of it."""

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credit_amount"] = money_input(invoice.currency, label=_("Credit to use"))


class PlanChoiceForm(PayForm):
    """The number of monthly instalments the client chose; the services check it is on offer."""

    count = forms.TypedChoiceField(
        choices=[(n, n) for n in range(2, 25)],
        coerce=int,
        error_messages={"required": _("Choose a payment plan."), "invalid_choice": _("Choose a payment plan.")},
    )
