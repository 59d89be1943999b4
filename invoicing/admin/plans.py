"""The "Set payment plan" action on one open invoice: N equal monthly instalments from a first due
date, or custom rows of due date and amount, which must add up to the invoice's total; or remove
the plan. The services check everything again (``services.plans``) and their message is shown."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.widgets import AdminDateInput

from ..core.exceptions import InvoicingError
from ..core.money import exponent, format_money
from ..services.actions import ACTIONS
from ..services.amounts_due import instalment_states
from ..services.plans import remove_plan
from ..settings import MAX_INSTALMENTS
from .actions import InvoiceActionView

EQUAL, CUSTOM = "equal", "custom"


class PlanForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Instalments"),
        choices=[(EQUAL, _("Equal monthly instalments")), (CUSTOM, _("Custom dates and amounts"))],
        widget=forms.RadioSelect,
        initial=EQUAL,
    )
    count = forms.IntegerField(
        label=_("Number of instalments"), min_value=2, max_value=MAX_INSTALMENTS, required=False, initial=3
    )
    first_due = forms.DateField(
        label=_("First instalment due on"),
        required=False,
        widget=AdminDateInput,
        help_text=_("The others fall on the same day of the following months; the remainder goes on the last."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == EQUAL:
            if not cleaned.get("count"):
                self.add_error("count", _("How many instalments?"))
            if not cleaned.get("first_due"):
                self.add_error("first_due", _("When is the first instalment due?"))
        return cleaned


class InstalmentRowForm(forms.Form):
    due_date = forms.DateField(label=_("Due date"), required=False, widget=AdminDateInput)
    amount = forms.DecimalField(label=_("Amount"), required=False, max_digits=18, decimal_places=3)

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("due_date") is None) != (cleaned.get("amount") is None) and not self.errors:
            raise forms.ValidationError(_("Give both the due date and the amount, or neither."))
        return cleaned


# Rows shown for custom instalments: the current plan's and a few empty ones.
EMPTY_ROWS = 6


def instalment_formset(extra):
    return forms.formset_factory(
        InstalmentRowForm, extra=extra, max_num=MAX_INSTALMENTS, absolute_max=MAX_INSTALMENTS, validate_max=True
    )


class SetPlanView(InvoiceActionView):
    action, icon = ACTIONS["set_plan"], "date"
    template_name = "invoicing/admin/plan_form.html"
    form_class = PlanForm
    intro = _(
        "Split the invoice's total into instalments, each with its due date. Payments received settle "
        "the earliest first; an instalment past its date makes the invoice overdue."
    )
    submit_label = _("Save the payment plan")

    def get_initial(self):
        return {"first_due": self.invoice.collect_by or timezone.localdate(), "count": 3}

    def rows(self):
        data = self.request.POST if self.request.method == "POST" else None
        current = [{"due_date": i.due_date, "amount": i.amount} for i in self.invoice.instalments.all()]
        extra = min(EMPTY_ROWS, MAX_INSTALMENTS - len(current))
        return instalment_formset(extra)(data, prefix="instalments", initial=current or None)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("rows", self.rows())
        states = instalment_states(self.invoice)
        today = timezone.localdate()
        return super().get_context_data(
            schedule=[(state, state.is_overdue(today)) for state in states],
            exponent=exponent(self.invoice.currency),
            total_text=format_money(self.invoice.total, self.invoice.currency),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if "remove" in request.POST:
            try:
                remove_plan(self.invoice, by=request.user)
            except InvoicingError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The payment plan of %(invoice)s was removed.") % {"invoice": self.invoice})
            return redirect(self.get_success_url())
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        rows = self.rows()
        if form.cleaned_data["kind"] == EQUAL:
            params = {"count": form.cleaned_data["count"], "first_due": form.cleaned_data["first_due"]}
        elif not rows.is_valid():
            return self.form_invalid(form, rows=rows)
        else:
            params = {
                "instalments": [
                    (row["due_date"], row["amount"])
                    for row in rows.cleaned_data
                    if row.get("due_date") is not None and row.get("amount") is not None
                ]
            }
        try:
            self.action.run(self.invoice, by=self.request.user, **params)
        except InvoicingError as exc:
            # The rows stay as typed, with the reason (a sum that misses the total, dates out of order).
            messages.error(self.request, exc.message)
            return self.render_to_response(self.get_context_data(form=form, rows=rows, plan_error=exc.message))
        messages.success(self.request, _("The payment plan of %(invoice)s was saved.") % {"invoice": self.invoice})
        return redirect(self.get_success_url())

    def form_invalid(self, form, rows=None):
        messages.error(self.request, _("Nothing was changed: please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form, rows=rows or self.rows()))
