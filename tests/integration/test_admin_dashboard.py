"""The billing panel on the Wagtail dashboard, through Django's test client, on 15 June 2026.

The data set is test_stats's, plus a June invoice on site A: 200.00 EUR issued on 3 June and due
on 3 July, of which 50.00 was paid on 10 June.
"""

from decimal import Decimal

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing.models import PaymentMethod
from tests.factories import ACCESS_ADMIN, UserFactory, billing_staff
from tests.integration.test_stats import at, build_billing_data, issue, pay

TODAY = "2026-06-15 12:00"


@pytest.fixture
def june_data(site_a, site_b):
    build_billing_data(site_a, site_b)
    june = issue(site_a, "200.00", "2026-06-03 09:00", "2026-07-03")
    pay(june, "50.00", "2026-06-10 09:00", PaymentMethod.MANUAL)


def dashboard(client, user):
    client.force_login(user)
    with time_machine.travel(at(TODAY), tick=False):
        response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def figures(page):
    """``{currency: {figure: text}}`` from the panel's table."""
    table = page.select_one("table[data-billing-figures]")
    return {
        row["data-currency"]: {cell["data-figure"]: cell.get_text(strip=True) for cell in row.select("[data-figure]")}
        for row in table.select("tbody tr")
    }


def test_the_panel_shows_this_months_figures_per_currency(client, admin_user, june_data):
    page = dashboard(client, admin_user)
    assert figures(page) == {
        # 200.00 issued in June; 50.00 received less the 10.00 refunded on 2 June; May's open
        # balances (625.00) and the June invoice's 150.00; the four overdue invoices of test_stats.
        "EUR": {
            "invoiced": "200.00 EUR",
            "collected": "40.00 EUR",
            "outstanding": "775.00 EUR",
            "overdue-amount": "315.00 EUR",
            "overdue-count": "(4 invoices)",
        },
        "JPY": {
            "invoiced": "0 JPY",
            "collected": "0 JPY",
            "outstanding": "3,000 JPY",
            "overdue-amount": "3,000 JPY",
            "overdue-count": "(1 invoice)",
        },
        "USD": {
            "invoiced": "0.00 USD",
            "collected": "0.00 USD",
            "outstanding": "400.00 USD",
            "overdue-amount": "400.00 USD",
            "overdue-count": "(1 invoice)",
        },
    }
    assert page.find(string=lambda text: text and "Billing report" in text)


def test_the_aging_chart_draws_a_bar_per_bucket(client, admin_user, june_data):
    page = dashboard(client, admin_user)
    chart = page.select_one('[data-aging-chart="EUR"]')
    svg = chart.find("svg")
    assert svg["role"] == "img" and "EUR" in svg["aria-label"] and "EUR" in svg.find("title").get_text()
    bars = {group["data-bucket"]: group.find("rect") for group in svg.select("g[data-bucket]")}
    assert list(bars) == ["current", "1_30", "31_60", "61_90", "over_90"]
    # Not yet due: 310.00 + 150.00 (June) = 460.00, the tallest bar (140 units); the others in proportion.
    heights = {key: Decimal(rect["height"]) for key, rect in bars.items()}
    assert heights == {
        "current": Decimal("140.0"),
        "1_30": Decimal("45.7"),  # 150 / 460 * 140
        "31_60": Decimal("13.7"),  # 45
        "61_90": Decimal("12.2"),  # 40
        "over_90": Decimal("24.3"),  # 80
    }
    assert bars["current"].find("title").get_text() == "Not yet due: 460.00 EUR"
    # The same figures for screen readers, in a visually hidden table.
    hidden = chart.select_one("table.w-sr-only")
    rows = [[cell.get_text(strip=True) for cell in row.select("th, td")] for row in hidden.select("tbody tr")]
    assert rows == [
        ["Not yet due", "3", "460.00 EUR"],
        ["1–30 days", "1", "150.00 EUR"],
        ["31–60 days", "1", "45.00 EUR"],
        ["61–90 days", "1", "40.00 EUR"],
        ["Over 90 days", "1", "80.00 EUR"],
    ]


def test_staff_of_site_a_see_only_site_a(client, june_data, site_a):
    reader = billing_staff(site_a, username="acme-reader", permissions=(ACCESS_ADMIN, "view_invoice", "report_invoice"))
    page = dashboard(client, reader)
    assert list(figures(page)) == ["EUR", "JPY"]
    assert figures(page)["EUR"]["outstanding"] == "775.00 EUR"
    assert page.select_one('[data-aging-chart="USD"]') is None


def test_the_figures_are_for_those_who_may_read_reports(client, june_data, acme_viewer):
    """Seeing a website's invoices is not reading its figures (``report_invoice``)."""
    page = dashboard(client, acme_viewer)
    assert page.select_one("#billing-summary-section") is None


def test_the_panel_is_hidden_from_users_without_a_website(client, june_data):
    user = UserFactory(username="editor", is_staff=True, is_superuser=False)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    page = dashboard(client, user)
    assert page.select_one("#billing-summary-section") is None


def test_a_website_without_invoices_says_so(client, admin_user, site_a):
    page = dashboard(client, admin_user)
    panel = page.select_one("#billing-summary-section")
    assert "no issued invoices yet" in panel.get_text()
    assert panel.select_one("svg[role=img]") is None


def test_the_number_of_queries_does_not_grow_with_invoices(admin_client, site_a):
    def dashboard_queries(invoices):
        for serial in range(invoices):
            invoice = issue(site_a, "10.00", "2026-06-02 09:00", f"2026-06-{serial % 28 + 1:02}")
            if serial % 2:
                pay(invoice, "4.00", "2026-06-03 09:00", PaymentMethod.MANUAL)
        with time_machine.travel(at(TODAY), tick=False), CaptureQueriesContext(connection) as queries:
            assert admin_client.get(reverse("wagtailadmin_home")).status_code == 200
        return len(queries)

    dashboard_queries(0)  # the first request of a session does a little more, whatever the invoices
    assert dashboard_queries(5) == dashboard_queries(45)  # 5 invoices, then 50
