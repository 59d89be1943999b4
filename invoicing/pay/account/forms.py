"""What a client types on the account pages: an email address, a statement's dates."""

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..forms import PayForm

LONGEST_STATEMENT = timedelta(days=366 * 10)


class SignInForm(PayForm):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "required": True}),
    )


class StatementForm(PayForm):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def initial_range(cls):
        """This year so far, as Odoo's and Invoice Ninja's statements start."""
        today = timezone.localdate()
        return {"start": date(today.year, 1, 1), "end": today}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date comes before the start date."))
        elif start and end and end - start > LONGEST_STATEMENT:
            self.add_error("start", _("A statement covers at most ten years."))
        return cleaned
