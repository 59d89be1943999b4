"""The invoice listing's filters, in Wagtail's filter drawer. Choices come from the user's websites only."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.widgets import BooleanRadioSelect
from wagtail.snippets.widgets import AdminSnippetChooser

from ..core.lifecycle import InvoiceStatus
from ..core.money import CURRENCY_CHOICES
from ..models import Client, Invoice
from ..models.access import billing_sites, scope_to_user
from ..services.stats import ORIGIN_CHOICES, origin_q


def user_sites(request):
    return billing_sites(request.user if request else None)


def user_clients(request):
    return scope_to_user(Client.objects.all(), request.user if request else None)


class InvoiceFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=InvoiceStatus.choices, empty_label=_("All"), widget=forms.RadioSelect
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue", widget=BooleanRadioSelect)
    site = django_filters.ModelChoiceFilter(label=_("Website"), queryset=user_sites)
    # A chooser, not a <select>: a website may have thousands of clients, and the listing renders
    # only the chosen one.
    client = django_filters.ModelChoiceFilter(
        label=_("Client"), queryset=user_clients, widget=AdminSnippetChooser(Client)
    )
    issued = django_filters.DateFromToRangeFilter(
        label=_("Issue date"), field_name="issued_at", widget=DateRangePickerWidget
    )
    due = django_filters.DateFromToRangeFilter(label=_("Due date"), field_name="due_date", widget=DateRangePickerWidget)
    currency = django_filters.ChoiceFilter(
        label=_("Currency"), choices=CURRENCY_CHOICES, empty_label=_("All"), widget=forms.RadioSelect
    )
    origin = django_filters.ChoiceFilter(
        label=_("Origin"),
        choices=ORIGIN_CHOICES,
        empty_label=_("All"),
        widget=forms.RadioSelect,
        method="filter_origin",
        help_text=_("Recurring: made by a recurring schedule. One-off: made by hand, from a template or not."),
    )

    class Meta:
        model = Invoice
        fields = []

    def filter_origin(self, queryset, name, value):
        return queryset.filter(origin_q(value or None))

    def filter_overdue(self, queryset, name, value):
        # Overdue is derived (open, with money due before today: an instalment's date or the due
        # date, ``collect_by``), as ``Invoice.is_overdue`` says.
        if value is None:
            return queryset
        overdue = Q(status=InvoiceStatus.OPEN, collect_by__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
