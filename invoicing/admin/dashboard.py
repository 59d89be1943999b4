"""The billing panel on the Wagtail dashboard: this month's figures and the aging of open balances,
per currency, for the websites where the user may read reports."""

from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component

from ..core.money import format_money
from ..services.stats import AgingBucket, invoice_stats, month_start
from .reports import REPORT_URL_NAME, report_sites

# The chart's geometry, in SVG user units; the SVG scales to its container.
CHART_WIDTH, BAR_WIDTH, SLOT_WIDTH = 500, 64, 100
PLOT_TOP, PLOT_BOTTOM, CHART_HEIGHT = 28, 168, 200
# Not yet due is fine; the longer past due, the more urgent the colour (Wagtail's tokens, with fallbacks).
BAR_COLOURS = {
    "current": "var(--w-color-positive-100, #1b8666)",
    "1_30": "var(--w-color-warning-100, #faa500)",
    "31_60": "var(--w-color-critical-100, #fd5765)",
    "61_90": "var(--w-color-critical-200, #cd4444)",
    "over_90": "var(--w-color-critical-200, #cd4444)",
}


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    count: int
    amount: str
    x: Decimal
    y: Decimal
    height: Decimal
    label_x: Decimal
    value_y: Decimal
    colour: str


def aging_bars(buckets: tuple[AgingBucket, ...], currency: str) -> list[Bar]:
    """One bar per bucket, the tallest filling the plot; heights are proportional to the amounts."""
    largest = max((bucket.amount for bucket in buckets), default=Decimal(0))
    plot_height = Decimal(PLOT_BOTTOM - PLOT_TOP)
    bars = []
    for index, bucket in enumerate(buckets):
        height = (bucket.amount / largest * plot_height).quantize(Decimal("0.1")) if largest > 0 else Decimal(0)
        slot_left = Decimal(index * SLOT_WIDTH)
        bars.append(
            Bar(
                key=bucket.key,
                label=bucket.label,
                count=bucket.count,
                amount=format_money(bucket.amount, currency),
                x=slot_left + Decimal(SLOT_WIDTH - BAR_WIDTH) / 2,
                y=PLOT_BOTTOM - height,
                height=height,
                label_x=slot_left + Decimal(SLOT_WIDTH) / 2,
                value_y=PLOT_BOTTOM - height - 6,
                colour=BAR_COLOURS[bucket.key],
            )
        )
    return bars


class BillingDashboardPanel(Component):
    name = "billing_summary"
    template_name = "invoicing/admin/dashboard_panel.html"
    # Above Wagtail's own panels: workflows (210+), recent edits (250), locked pages (300).
    order = 150

    def __init__(self, sites):
        self.sites = sites

    def get_context_data(self, parent_context):
        today = timezone.localdate()
        since = month_start(today)
        currencies = [
            {
                "stats": stats,
                "invoiced": format_money(stats.invoiced, stats.currency),
                "collected": format_money(stats.collected, stats.currency),
                "outstanding": format_money(stats.outstanding, stats.currency),
                "overdue_amount": format_money(stats.overdue_amount, stats.currency),
                "bars": aging_bars(stats.aging, stats.currency),
            }
            for stats in invoice_stats(self.sites, start=since, end=today, as_of=today)
        ]
        return {
            "currencies": currencies,
            "since": since,
            "today": today,
            "chart": {
                "width": CHART_WIDTH,
                "height": CHART_HEIGHT,
                "baseline": PLOT_BOTTOM,
                "bar_width": BAR_WIDTH,
                "label_y": CHART_HEIGHT - 12,
            },
            "report_url": reverse(REPORT_URL_NAME),
        }


def add_billing_panel(request, panels):
    """For the ``construct_homepage_panels`` hook: only users who may read a website's figures see the panel."""
    sites = report_sites(request.user)
    if sites.exists():
        panels.append(BillingDashboardPanel(sites))
