"""The billing report: the figures of ``services.stats`` by month and currency, for the websites
where the user may read reports (``report_invoice``, held through a group that grants the
website), with a period filter (the last 12 months by default) and CSV/XLSX export."""

import django_filters
from django import forms
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from ..core.money import format_money
from ..models import Invoice, PaymentMethod
from ..models.access import holds_anywhere, sites_granting
from ..services.stats import ORIGIN_CHOICES, invoice_stats, monthly_stats, trailing_months
from ..services.tax import tax_by_rate
from .access import REPORT_PERMISSION

REPORT_URL_NAME = "invoicing_billing_report"
REPORT_MONTHS = 12
MAX_PERIOD_DAYS = 3660  # ten years, as the API allows


def report_sites(user):
    """The websites whose figures ``user`` may read."""
    return sites_granting(user, REPORT_PERMISSION)


def user_may_read_reports(user):
    return holds_anywhere(user, REPORT_PERMISSION)


def _keep(queryset, name, value):
    """The filters choose the period and the website; the statistics service applies them."""
    return queryset


class BillingReportFilterForm(forms.Form):
    def clean(self):
        cleaned_data = super().clean()
        period = cleaned_data.get("period")
        if period and period.start and period.stop:
            if period.start > period.stop:
                self.add_error("period", _("The period must start on or before its end."))
            elif (period.stop - period.start).days > MAX_PERIOD_DAYS:
                self.add_error("period", _("The period can be at most ten years long."))
        return cleaned_data


class BillingReportFilterSet(WagtailFilterSet):
    period = django_filters.DateFromToRangeFilter(
        label=_("Period"), method=_keep, widget=DateRangePickerWidget, help_text=_("By default, the last 12 months.")
    )
    site = django_filters.ModelChoiceFilter(
        label=_("Website"),
        method=_keep,
        # Only the user's websites: any other choice is invalid, and an invalid form filters nothing.
        queryset=lambda request: report_sites(request.user),
        empty_label=_("All your websites"),
    )
    origin = django_filters.ChoiceFilter(
        label=_("Origin"), method=_keep, choices=ORIGIN_CHOICES, empty_label=_("Recurring and one-off")
    )

    class Meta:
        model = Invoice
        fields = []
        form = BillingReportFilterForm


def _money(name, label):
    return Column(name, label=label, accessor=lambda row: format_money(getattr(row, name), row.currency))


def _method_column(method):
    return Column(
        f"method_{method.value}",
        label=method.label,
        accessor=lambda row: format_money(row.by_method[method.value].amount, row.currency),
    )


def _method_export(method):
    return {
        f"by_method.{method.value}.count": format_lazy(_("{method}: payments"), method=method.label),
        f"by_method.{method.value}.amount": format_lazy(_("{method}: received"), method=method.label),
        f"by_method.{method.value}.refunded": format_lazy(_("{method}: refunded"), method=method.label),
    }


class BillingReportView(ReportView):
    page_title = _("Billing report")
    header_icon = "table"
    results_template_name = "invoicing/admin/report_billing_results.html"
    index_url_name = REPORT_URL_NAME
    index_results_url_name = f"{REPORT_URL_NAME}_results"
    filterset_class = BillingReportFilterSet
    any_permission_required = ["report"]
    export_filename = "billing-report"
    no_results_message = _("No invoices were issued and no payments received in this period.")
    columns = [
        Column("month", label=_("Month"), accessor=lambda row: date_format(row.month, "YEAR_MONTH_FORMAT")),
        Column("currency", label=_("Currency")),
        Column("invoice_count", label=_("Invoices")),
        Column("paid_count", label=_("Paid")),
        Column("unpaid_count", label=_("Unpaid")),
        _money("invoiced", _("Invoiced")),
        _money("collected", _("Collected")),
        _money("outstanding", _("Still owed")),
        Column("average_days_to_pay", label=_("Average days to pay")),
        *(_method_column(method) for method in PaymentMethod),
    ]
    export_headings = {
        "month": _("Month"),
        "currency": _("Currency"),
        "invoice_count": _("Invoices"),
        "paid_count": _("Paid"),
        "unpaid_count": _("Unpaid"),
        "uncollectible_count": _("Uncollectible"),
        "invoiced": _("Invoiced"),
        "collected": _("Collected"),
        "outstanding": _("Still owed"),
        "average_days_to_pay": _("Average days to pay"),
        **{field: heading for method in PaymentMethod for field, heading in _method_export(method).items()},
    }
    list_export = list(export_headings)
    custom_field_preprocess = {
        # A month, not a day, in both formats.
        "month": {fmt: (lambda month: month.strftime("%Y-%m")) for fmt in ReportView.FORMATS},
    }

    def user_has_any_permission(self, permissions):
        return user_may_read_reports(self.request.user)

    @cached_property
    def chosen(self):
        if self.filters and self.filters.is_valid():
            return self.filters.form.cleaned_data
        return {}

    @cached_property
    def period(self):
        start, end = trailing_months(REPORT_MONTHS)
        chosen = self.chosen.get("period")
        if chosen:
            # The range field gives local midnights; their days are the period's.
            start = chosen.start.date() if chosen.start else start
            end = chosen.stop.date() if chosen.stop else end
        return start, end

    @cached_property
    def sites(self):
        sites = report_sites(self.request.user)
        site = self.chosen.get("site")
        return sites.filter(pk=site.pk) if site else sites

    @cached_property
    def summary(self):
        """The period's figures per currency, with today's open balances."""
        start, end = self.period
        return invoice_stats(self.sites, start=start, end=end, origin=self.chosen.get("origin") or None)

    @cached_property
    def tax_rates(self):
        """Tax per currency and rate over the period's invoices (``services.tax.tax_by_rate``)."""
        start, end = self.period
        return tax_by_rate(self.sites, start=start, end=end, origin=self.chosen.get("origin") or None)

    def as_spreadsheet(self, queryset, spreadsheet_format):
        # The export's rows are months: each gets the taxable amount and the tax of every rate in the
        # period, as columns (a rate that a month lacks is empty there).
        rows = list(queryset)
        start, end = self.period
        monthly = tax_by_rate(self.sites, start=start, end=end, origin=self.chosen.get("origin") or None, by_month=True)
        by_row = {}
        rates = sorted({figure.rate for figure in monthly})
        for figure in monthly:
            by_row.setdefault((figure.month, figure.currency), {})[_rate_key(figure.rate)] = {
                "base": figure.base,
                "tax": figure.tax,
            }
        self.list_export = list(type(self).list_export)
        self.export_headings = dict(type(self).export_headings)
        for rate in rates:
            key = _rate_key(rate)
            self.list_export += [f"tax.{key}.base", f"tax.{key}.tax"]
            self.export_headings[f"tax.{key}.base"] = format_lazy(_("Taxable at {rate} %"), rate=_percent(rate))
            self.export_headings[f"tax.{key}.tax"] = format_lazy(_("Tax at {rate} %"), rate=_percent(rate))
        empty = {"base": None, "tax": None}
        keys = [_rate_key(rate) for rate in rates]
        rows = [
            _MonthRow(row, {key: by_row.get((row.month, row.currency), {}).get(key, empty) for key in keys})
            for row in rows
        ]
        return super().as_spreadsheet(rows, spreadsheet_format)

    def get_page_subtitle(self):
        start, end = self.period
        return f"{date_format(start)} – {date_format(end)}"

    def get_queryset(self):
        start, end = self.period
        return monthly_stats(self.sites, start=start, end=end, origin=self.chosen.get("origin") or None)

    def filter_queryset(self, queryset):
        return queryset


def _rate_key(rate):
    return f"{rate:f}".replace(".", "_")


def _percent(rate):
    return f"{rate.normalize():f}" if rate != rate.to_integral() else f"{rate.to_integral():f}"


class _MonthRow:
    """A month's row of the export, with its tax per rate (``tax.<rate>.base`` and ``.tax``)."""

    def __init__(self, stats, tax):
        self._stats = stats
        self.tax = tax

    def __getattr__(self, name):
        return getattr(self._stats, name)


class BillingReportMenuItem(MenuItem):
    def is_shown(self, request):
        return user_may_read_reports(request.user)


def billing_report_menu_item():
    return BillingReportMenuItem(
        _("Billing"), reverse(REPORT_URL_NAME), name="billing-report", icon_name="table", order=1300
    )


def billing_report_urls():
    return [
        path("reports/billing/", BillingReportView.as_view(), name=REPORT_URL_NAME),
        path(
            "reports/billing/results/",
            BillingReportView.as_view(results_only=True),
            name=BillingReportView.index_results_url_name,
        ),
    ]
