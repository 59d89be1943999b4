"""The invoice list's query parameters. Websites and clients are filtered by id on a queryset that
is already narrowed to the caller's websites: another website's id simply matches nothing, so
that a filter never tells whether it exists."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..core.lifecycle import InvoiceStatus
from ..core.money import CURRENCY_CHOICES
from ..models import Invoice

MAX_ID = 2**31 - 1  # the largest id of a 32-bit integer column (PostgreSQL's ``serial``)


class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number within the id column, or a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class InvoiceFilter(django_filters.rest_framework.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=InvoiceStatus.choices, help_text=_("One or more statuses (repeat the parameter).")
    )
    website = IdFilter(field_name="site_id", help_text=_("The website's id."))
    client = IdFilter(field_name="client_id", help_text=_("The client's id."))
    currency = django_filters.ChoiceFilter(choices=CURRENCY_CHOICES)
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte", help_text=_("Due on or after."))
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte", help_text=_("Due on or before."))
    issued_after = django_filters.DateFilter(
        field_name="issued_at", lookup_expr="date__gte", help_text=_("Issued on or after.")
    )
    issued_before = django_filters.DateFilter(
        field_name="issued_at", lookup_expr="date__lte", help_text=_("Issued on or before.")
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        help_text=_("Open with money past its due date, an instalment's or the invoice's (true), or not (false)."),
    )

    class Meta:
        model = Invoice
        fields = []

    def filter_overdue(self, queryset, name, value):
        # Overdue is derived (open, with money due before today: an instalment's date or the due
        # date, ``collect_by``), as ``Invoice.is_overdue`` says.
        overdue = Q(status=InvoiceStatus.OPEN, collect_by__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
