"""The billing report (a Wagtail ReportView) through Django's test client, on 15 June 2026, with
test_stats's data set: rows by month and currency, the period filter, the summary, CSV and XLSX
exports, and scoping to the user's websites."""

import csv
import io

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import ACCESS_ADMIN, UserFactory, billing_staff
from tests.integration.test_stats import at, build_billing_data, issue, pay

REPORT = "invoicing_billing_report"
TODAY = "2026-06-15 12:00"
APRIL_TO_JUNE = {"period_from": "2026-04-01", "period_to": "2026-06-30"}
# Worked out by hand in test_stats: month, currency, invoices, paid, unpaid, invoiced, collected,
# still owed, average days to pay, then received by card, manually and with credit.
APRIL_TO_JUNE_ROWS = [
    ["April 2026", "EUR", "1", "0", "1", "60.00 EUR", "15.00 EUR", "45.00 EUR", "", "0.00 EUR", "15.00 EUR",
     "0.00 EUR"],
    ["April 2026", "USD", "1", "0", "1", "400.00 USD", "0.00 USD", "400.00 USD", "", "0.00 USD", "0.00 USD",
     "0.00 USD"],
    ["May 2026", "EUR", "6", "2", "3", "850.00 EUR", "240.00 EUR", "460.00 EUR", "5.8", "170.00 EUR", "100.00 EUR",
     "20.00 EUR"],
    ["May 2026", "JPY", "1", "0", "1", "5,000 JPY", "2,000 JPY", "3,000 JPY", "", "0 JPY", "2,000 JPY", "0 JPY"],
    ["May 2026", "KWD", "1", "1", "0", "12.345 KWD", "12.345 KWD", "0.000 KWD", "2.0", "12.345 KWD", "0.000 KWD",
     "0.000 KWD"],
    ["May 2026", "USD", "1", "1", "0", "1,000.00 USD", "1,000.00 USD", "0.00 USD", "30.9", "0.00 USD", "1,000.00 USD",
     "0.00 USD"],
    ["June 2026", "EUR", "0", "0", "0", "0.00 EUR", "-10.00 EUR", "0.00 EUR", "", "0.00 EUR", "0.00 EUR", "0.00 EUR"],
]  # fmt: skip


@pytest.fixture
def billing_data(site_a, site_b):
    return build_billing_data(site_a, site_b)


def get(client, user, params=None, name=REPORT):
    client.force_login(user)
    with time_machine.travel(at(TODAY), tick=False):
        return client.get(reverse(name), params or {})


def cells(row):
    return [cell.get_text(" ", strip=True) for cell in row.select("th, td")]


def month_rows(response):
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    table = page.select("table.listing")[-1]  # the months come last, on the page and in the fragment
    return [cells(row) for row in table.select("tbody tr")]


def test_the_report_lists_months_by_currency(client, admin_user, billing_data):
    assert month_rows(get(client, admin_user, APRIL_TO_JUNE)) == APRIL_TO_JUNE_ROWS


def test_the_summary_covers_the_period_with_todays_balances(client, admin_user, billing_data):
    page = BeautifulSoup(get(client, admin_user, APRIL_TO_JUNE).content, "html.parser")
    rows = {row["data-currency"]: cells(row)[1:] for row in page.select("[data-billing-totals] tbody tr")}
    # EUR: May's 6 invoices and A4 (April); May's 240.00 collected, April's 15.00, June's 10.00 refund.
    assert rows == {
        "EUR": ["7", "910.00 EUR", "245.00 EUR", "5.8", "625.00 EUR", "315.00 EUR (4)"],
        "JPY": ["1", "5,000 JPY", "2,000 JPY", "–", "3,000 JPY", "3,000 JPY (1)"],
        "KWD": ["1", "12.345 KWD", "12.345 KWD", "2.0", "0.000 KWD", "0.000 KWD (0)"],
        "USD": ["2", "1,400.00 USD", "1,000.00 USD", "30.9", "400.00 USD", "400.00 USD (1)"],
    }
    methods = [cells(row) for row in page.select("[data-billing-methods] tbody tr")]
    assert methods == [
        ["EUR", "Card (Stripe)", "2", "170.00 EUR", "40.00 EUR"],
        ["EUR", "Manual", "2", "115.00 EUR", "0.00 EUR"],
        ["EUR", "Account credit", "1", "20.00 EUR", "5.00 EUR"],
        ["JPY", "Manual", "1", "2,000 JPY", "0 JPY"],
        ["KWD", "Card (Stripe)", "1", "12.345 KWD", "0.000 KWD"],
        ["USD", "Manual", "1", "1,000.00 USD", "0.00 USD"],
    ]


def test_the_period_filter_and_its_default(client, admin_user, billing_data):
    may = month_rows(get(client, admin_user, {"period_from": "2026-05-01", "period_to": "2026-05-31"}))
    assert may == APRIL_TO_JUNE_ROWS[2:6]
    # By default the last 12 months up to today, July 2025 to 15 June 2026: March (A3 and A5) too.
    response = get(client, admin_user)
    rows = month_rows(response)
    assert rows[0] == [
        "March 2026", "EUR", "2", "0", "2", "120.00 EUR", "0.00 EUR", "120.00 EUR", "", "0.00 EUR", "0.00 EUR",
        "0.00 EUR",
    ]  # fmt: skip
    assert rows[1:] == APRIL_TO_JUNE_ROWS
    assert "July 1, 2025 – June 15, 2026" in response.content.decode()
    # The results fragment that Wagtail's filters reload is the same report.
    fragment = get(client, admin_user, APRIL_TO_JUNE, name=f"{REPORT}_results")
    assert month_rows(fragment) == APRIL_TO_JUNE_ROWS


def test_csv_export_has_a_row_per_month_and_currency(client, admin_user, billing_data):
    response = get(client, admin_user, {**APRIL_TO_JUNE, "export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="billing-report.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "Month", "Currency", "Invoices", "Paid", "Unpaid", "Uncollectible", "Invoiced", "Collected", "Still owed",
        "Average days to pay", "Card (Stripe): payments", "Card (Stripe): received", "Card (Stripe): refunded",
        "Manual: payments", "Manual: received", "Manual: refunded", "Account credit: payments",
        "Account credit: received", "Account credit: refunded",
        "Taxable at 0 %", "Tax at 0 %",  # the data set's lines are all at 0 %
    ]  # fmt: skip
    assert [row[:2] for row in rows[1:]] == [
        ["2026-04", "EUR"], ["2026-04", "USD"], ["2026-05", "EUR"], ["2026-05", "JPY"], ["2026-05", "KWD"],
        ["2026-05", "USD"], ["2026-06", "EUR"],
    ]  # fmt: skip
    assert rows[3] == [
        "2026-05", "EUR", "6", "2", "3", "1", "850.00", "240.00", "460.00", "5.8",
        "2", "170.00", "30.00", "1", "100.00", "0.00", "1", "20.00", "5.00", "850.00", "0.00",
    ]  # fmt: skip
    assert rows[4][6:9] == ["5000", "2000", "3000"]  # JPY has no decimals
    assert rows[5][6:8] == ["12.345", "12.345"]  # KWD has three
    assert rows[7][7] == "-10.00"  # June: only a refund


def test_xlsx_export_matches_the_csv(client, admin_user, billing_data):
    response = get(client, admin_user, {**APRIL_TO_JUNE, "export": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert len(rows) == 8 and rows[0][:3] == ("Month", "Currency", "Invoices")
    may_eur = rows[3]
    assert may_eur[:10] == ("2026-05", "EUR", 6, 2, 3, 1, 850, 240, 460, 5.8)  # numbers, not text
    assert rows[4][6] == 5000 and rows[5][6] == 12.345
    assert rows[1][9] is None  # no invoice paid in April: no average


@pytest.fixture
def acme_reader(site_a):
    """Reads Acme's reports (``report_invoice``, through a group that grants Acme)."""
    return billing_staff(site_a, username="acme-reader", permissions=(ACCESS_ADMIN, "view_invoice", "report_invoice"))


def test_staff_of_site_a_see_only_site_a(client, site_b, billing_data, acme_reader):
    assert month_rows(get(client, acme_reader, APRIL_TO_JUNE)) == [
        row for row in APRIL_TO_JUNE_ROWS if row[1] in {"EUR", "JPY"}
    ]
    exported = b"".join(get(client, acme_reader, {**APRIL_TO_JUNE, "export": "csv"}).streaming_content).decode()
    assert {row[1] for row in list(csv.reader(io.StringIO(exported)))[1:]} == {"EUR", "JPY"}
    # Choosing another website is not a way in: the choice is invalid and the report stays on site A.
    response = get(client, acme_reader, {**APRIL_TO_JUNE, "site": site_b.pk})
    assert {row[1] for row in month_rows(response)} == {"EUR", "JPY"}
    assert b"Globex" not in BeautifulSoup(response.content, "html.parser").select_one("#id_site").encode()


def test_the_website_filter(client, admin_user, site_b, billing_data):
    rows = month_rows(get(client, admin_user, {**APRIL_TO_JUNE, "site": site_b.pk}))
    assert [row[:2] for row in rows] == [["April 2026", "USD"], ["May 2026", "KWD"], ["May 2026", "USD"]]


def test_only_users_with_the_report_permission_see_the_report(client, billing_data, acme_reader):
    user = acme_reader
    client.force_login(user)
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse(REPORT) in menu
    user.groups.get().permissions.remove(Permission.objects.get(codename="report_invoice"))
    user = type(user).objects.get(pk=user.pk)  # no cached permissions
    response = get(client, user)
    assert response.status_code in {302, 403}
    assert b"Summary of the period" not in response.content
    client.force_login(user)
    assert reverse(REPORT) not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_the_number_of_queries_does_not_grow_with_invoices(admin_client, site_a):
    def report_queries(invoices):
        for serial in range(invoices):
            invoice = issue(site_a, "10.00", f"2026-0{serial % 3 + 4}-02 09:00", "2026-07-20")
            if serial % 2:
                pay(invoice, "10.00", "2026-06-03 09:00")
        with time_machine.travel(at(TODAY), tick=False), CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse(REPORT), APRIL_TO_JUNE)
        assert response.status_code == 200
        return len(queries)

    report_queries(0)  # the first request of a session does a little more, whatever the invoices
    assert report_queries(5) == report_queries(45)  # 5 invoices, then 50


def test_a_user_without_websites_gets_no_report(client, billing_data):
    """The report permission counts on the websites that the group holding it grants: held by the
    user alone, it grants none."""
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="report_invoice"),
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
    )
    response = get(client, user, APRIL_TO_JUNE)
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert b"data-billing-summary" not in response.content


def test_a_period_that_ends_before_it_starts_is_refused(client, admin_user, billing_data):
    response = get(client, admin_user, {"period_from": "2026-06-30", "period_to": "2026-04-01"})
    body = response.content.decode()
    assert "The period must start on or before its end." in body
    assert "July 1, 2025 – June 15, 2026" in body  # the default period instead
