"""Credit notes in the admin: a read-only, site-scoped listing with an inspect view (lines, how the
money was settled) and a PDF download; and the invoice action "Issue credit note", a form (the
whole invoice or chosen lines with quantities, a reason, what happens to money already paid)
followed by a confirmation page that shows what the credit note will be before it is issued."""

from decimal import Decimal

from django import forms
from django.contrib.admin.utils import quote, unquote
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import View
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import HeaderButton, ListingButton
from wagtail.snippets.views.snippets import IndexView, InspectView, SnippetViewSet

from ..core.exceptions import InvoicingError
from ..core.money import format_money
from ..core.totals import line_total
from ..models import CreditNote, Invoice
from ..models.access import scope_to_user
from ..pay.headers import download_response
from ..services.actions import ACTIONS
from ..services.credit_note_documents import credit_note_filename, credit_note_pdf
from ..services.credit_note_lines import settlement_rows
from ..services.credit_notes import credited_quantities, preview_credit_note
from .access import SiteScopedViewSetMixin
from .actions import InvoiceActionView
from .einvoices import einvoice_buttons, einvoice_urlpatterns

WHOLE, LINES = "whole", "lines"


def credit_note_inspect_url(note):
    return reverse(CreditNote.snippet_viewset.get_url_name("inspect"), args=[quote(note.pk)])


def credit_note_pdf_url(note):
    return reverse(CreditNote.snippet_viewset.get_url_name("pdf"), args=[quote(note.pk)])


class CreditNoteForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Credit"),
        choices=[(WHOLE, _("Everything not yet credited")), (LINES, _("Chosen lines and quantities"))],
        widget=forms.RadioSelect,
        initial=WHOLE,
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Printed on the credit note.")
    )
    settlement = forms.ChoiceField(
        label=_("Money the client already paid"),
        choices=CreditNote.Settlement.choices,
        widget=forms.RadioSelect,
        initial=CreditNote.Settlement.CREDIT,
        help_text=_(
            "The credit note first reduces what the invoice still asks for; only money already paid is "
            "added to credit or refunded."
        ),
    )

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        credited = credited_quantities(invoice)
        self.open_lines = []
        for line in invoice.lines.all():
            left = line.quantity - credited.get(line.pk, 0)
            if left <= 0:
                continue
            name = f"line_{line.pk}"
            self.fields[name] = forms.DecimalField(
                label=line.description,
                required=False,
                min_value=Decimal(0),
                max_value=left,
                max_digits=12,
                decimal_places=3,
                help_text=_("Up to %(left)s at %(price)s")
                % {"left": left.normalize(), "price": format_money(line.unit_price, invoice.currency)},
            )
            self.open_lines.append((line, name))

    def line_fields(self):
        return [self[name] for _line, name in self.open_lines]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == LINES and not self.chosen_lines(cleaned):
            raise forms.ValidationError(_("Give a quantity for at least one line."))
        return cleaned

    def chosen_lines(self, cleaned=None):
        cleaned = cleaned if cleaned is not None else self.cleaned_data
        if cleaned.get("scope") != LINES:
            return None
        return [(line, cleaned[name]) for line, name in self.open_lines if cleaned.get(name)]


class IssueCreditNoteView(InvoiceActionView):
    action, icon = ACTIONS["credit_note"], "doc-empty-inverse"
    template_name = "invoicing/admin/credit_note_form.html"
    form_class = CreditNoteForm
    intro = _(
        "An issued invoice is never changed: a credit note corrects it. It gets its own number and PDF, and "
        "what it credits is first taken off what the invoice still asks for."
    )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "invoice": self.invoice}

    def form_valid(self, form):
        lines = form.chosen_lines()
        if "confirm" not in self.request.POST:
            try:
                preview = preview_credit_note(self.invoice, lines=lines)
            except InvoicingError as exc:
                form.add_error(None, exc.message)
                return self.form_invalid(form)
            return self.render_to_response(self.get_context_data(form=form, preview=self.describe(preview, form)))
        return super().form_valid(form)

    def describe(self, preview, form):
        currency = self.invoice.currency
        settlement = form.cleaned_data["settlement"]
        paid_back_label = (
            _("Refunded to the client's card")
            if settlement == CreditNote.Settlement.REFUND
            else _("Added to the client's account credit")
        )
        return {
            "lines": [
                (
                    line.description,
                    line.quantity.normalize(),
                    format_money(line.unit_price, currency),
                    format_money(line_total(line.quantity, line.unit_price, currency), currency),
                )
                for line in preview.lines
            ],
            "subtotal": format_money(preview.subtotal, currency),
            "tax": format_money(preview.tax, currency),
            "total": format_money(preview.total, currency),
            "off_balance": format_money(preview.off_balance, currency) if preview.off_balance else "",
            "paid_back": format_money(preview.paid_back, currency) if preview.paid_back else "",
            "paid_back_label": paid_back_label,
        }

    def perform(self, form):
        data = form.cleaned_data
        note = self.action.run(
            self.invoice,
            lines=form.chosen_lines(),
            reason=data["reason"],
            settlement=data["settlement"],
            by=self.request.user,
        )
        return _("Credit note %(number)s issued for %(total)s.") % {
            "number": note.number,
            "total": format_money(note.total, note.currency),
        }


class CreditNotePdfView(PermissionCheckedMixin, View):
    model = CreditNote
    permission_required = "view"

    def get(self, request, pk):
        notes = scope_to_user(CreditNote.objects.select_related("invoice", "site"), request.user)
        note = get_object_or_404(notes, pk=unquote(str(pk)))
        return download_response(credit_note_pdf(note), credit_note_filename(note))


class CreditNoteIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        return [ListingButton(_("Download PDF"), credit_note_pdf_url(instance), icon_name="download", priority=30)]


class CreditNoteInspectView(InspectView):
    template_name = "invoicing/admin/credit_note_inspect.html"

    @cached_property
    def header_buttons(self):
        pdf = HeaderButton(_("Download PDF"), credit_note_pdf_url(self.object), icon_name="download")
        return [pdf, *einvoice_buttons(self.object, button_class=HeaderButton)]

    def get_context_data(self, **kwargs):
        note = self.object
        currency = note.currency
        return super().get_context_data(
            note=note,
            invoice_url=reverse(Invoice.snippet_viewset.get_url_name("inspect"), args=[quote(note.invoice_id)]),
            lines=[
                (
                    line.description,
                    line.quantity.normalize(),
                    line.unit_price,
                    line.tax_rate,
                    line_total(line.quantity, line.unit_price, currency),
                )
                for line in note.lines.all()
            ],
            settlement=settlement_rows(note),
            **kwargs,
        )


class CreditNoteViewSet(SiteScopedViewSetMixin, SnippetViewSet):
    model = CreditNote
    icon = "doc-empty-inverse"
    menu_label = _("Credit notes")
    menu_order = 202
    add_to_admin_menu = True
    index_view_class = CreditNoteIndexView
    inspect_view_class = CreditNoteInspectView
    inspect_view_enabled = True
    list_display = ["number", "invoice", "client", "total", "currency", "settlement", "issued_at"]
    list_filter = ["settlement", "currency", "issued_at"]
    search_backend_name = None
    search_fields = ["number", "invoice__number", "client__name", "reason"]

    def get_queryset(self, request):
        return CreditNote.objects.select_related("invoice", "client", "site")

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("pdf/<str:pk>/", self.construct_view(CreditNotePdfView), name="pdf"),
            *einvoice_urlpatterns(self),
        ]


def credit_notes_of(invoice):
    """The invoice's credit notes for its inspect view, each with its admin and PDF URLs."""
    notes = list(invoice.credit_notes.order_by("issued_at", "id"))
    for note in notes:
        note.inspect_url, note.pdf_url = credit_note_inspect_url(note), credit_note_pdf_url(note)
    return notes
