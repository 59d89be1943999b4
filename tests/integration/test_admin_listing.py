"""The invoice listing through Django's test client: columns, badges, filters, search, sorting,
exports, and a query count that does not grow with the number of invoices."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from invoicing.services.payments import record_manual_payment
from tests.factories import ClientFactory, draft_invoice, line, open_invoice

LIST_URL = "wagtailsnippets_invoicing_invoice:list"


def listing(admin_client, **params):
    response = admin_client.get(reverse(LIST_URL), params)
    assert response.status_code == 200
    return response.content.decode()


def rows(body):
    """The listing's rows, as the text of each ``<tr>`` in the table body."""
    table = body.split('<table class="listing', 1)[1].split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return table.split("<tr")[1:]


def numbers_in_order(body, numbers):
    positions = {number: body.index(number) for number in numbers}
    return sorted(numbers, key=positions.get)


def test_the_listing_shows_each_column_and_the_derived_badges(admin_client, site_a):
    client = ClientFactory(site=site_a, name="Zoë Ångström")
    overdue, _ = open_invoice(
        site_a, client=client, title="Late work", due_date=timezone.localdate() - timedelta(days=3)
    )
    partial, _ = open_invoice(site_a, title="Half paid", allow_partial_payments=True, lines=[line(unit_price="100")])
    record_manual_payment(partial, reason="Transfer", by=None, amount=Decimal("40.00"))
    draft = draft_invoice(site_a, title="Not yet", lines=[line(unit_price="1234.5")])

    body = listing(admin_client)
    overdue_row = next(row for row in rows(body) if overdue.number in row)
    assert "Zoë Ångström" in overdue_row and "Late work" in overdue_row and "Acme" in overdue_row
    assert "100.00 EUR" in overdue_row
    assert 'data-badge="overdue"' in overdue_row and 'data-badge="partially-paid"' not in overdue_row
    partial_row = next(row for row in rows(body) if partial.number in row)
    assert "60.00 EUR" in partial_row  # amount due
    assert 'data-badge="partially-paid"' in partial_row and 'data-badge="overdue"' not in partial_row
    draft_row = next(row for row in rows(body) if "Not yet" in row)
    assert "Draft" in draft_row and "1,234.50 EUR" in draft_row
    # A draft opens for editing; an issued invoice, read-only, opens its inspect view.
    assert f'href="{reverse("wagtailsnippets_invoicing_invoice:edit", args=[draft.pk])}"' in draft_row
    assert f'href="{reverse("wagtailsnippets_invoicing_invoice:inspect", args=[overdue.pk])}"' in overdue_row
    assert reverse("wagtailsnippets_invoicing_invoice:edit", args=[overdue.pk]) not in overdue_row
    assert draft.number == ""


def test_the_last_email_status_is_shown(admin_client, site_a, anymail_outbox, django_capture_on_commit_callbacks):
    from invoicing.mail.kinds import EmailKind
    from invoicing.services.outbox import send_invoice_email

    invoice, _ = open_invoice(site_a, title="Emailed one")
    with django_capture_on_commit_callbacks(execute=True):
        send_invoice_email(invoice, EmailKind.INVOICE)
    row = next(row for row in rows(listing(admin_client)) if invoice.number in row)
    assert 'data-email-status="sent"' in row


@pytest.fixture
def mixed_invoices(site_a, site_b):
    """Invoices that differ in what each filter looks at."""
    today = timezone.localdate()
    acme_client = ClientFactory(site=site_a, name="Acme Buyer", email="buyer@acme.example")
    return {
        "draft": draft_invoice(site_a, client=acme_client, title="Draft one"),
        "overdue": open_invoice(site_a, client=acme_client, title="Overdue one", due_date=today - timedelta(days=1))[0],
        "current": open_invoice(site_a, title="Current one", due_date=today + timedelta(days=10))[0],
        "usd": open_invoice(site_b, title="Dollar one", due_date=today + timedelta(days=40))[0],
    }


def titles(body):
    return {title for title in ("Draft one", "Overdue one", "Current one", "Dollar one") if title in body}


def test_filter_by_status(admin_client, mixed_invoices):
    assert titles(listing(admin_client, status="draft")) == {"Draft one"}
    assert titles(listing(admin_client, status="open")) == {"Overdue one", "Current one", "Dollar one"}


def test_filter_by_website(admin_client, mixed_invoices, site_b):
    assert titles(listing(admin_client, site=site_b.pk)) == {"Dollar one"}


def test_filter_by_client(admin_client, mixed_invoices):
    client = mixed_invoices["draft"].client
    assert titles(listing(admin_client, client=client.pk)) == {"Draft one", "Overdue one"}


def test_filter_by_currency(admin_client, mixed_invoices):
    assert titles(listing(admin_client, currency="USD")) == {"Dollar one"}


def test_filter_overdue_yes_and_no(admin_client, mixed_invoices):
    assert titles(listing(admin_client, overdue="true")) == {"Overdue one"}
    assert titles(listing(admin_client, overdue="false")) == {"Draft one", "Current one", "Dollar one"}


def test_filter_by_due_date_range(admin_client, mixed_invoices):
    today = timezone.localdate()
    body = listing(admin_client, due_from=today.isoformat(), due_to=(today + timedelta(days=20)).isoformat())
    assert titles(body) == {"Current one"}


def test_filter_by_issue_date_range(admin_client, mixed_invoices):
    from invoicing.models import Invoice

    Invoice.objects.filter(pk=mixed_invoices["usd"].pk).update(issued_at=timezone.now() - timedelta(days=60))
    today = timezone.localdate()
    recent = listing(admin_client, issued_from=(today - timedelta(days=7)).isoformat(), issued_to=today.isoformat())
    assert titles(recent) == {"Overdue one", "Current one"}  # drafts have no issue date
    old = listing(admin_client, issued_to=(today - timedelta(days=30)).isoformat())
    assert titles(old) == {"Dollar one"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("buyer@acme", {"Draft one", "Overdue one"}),
        ("Acme Buyer", {"Draft one", "Overdue one"}),
        ("Dollar", {"Dollar one"}),
    ],
)
def test_search_by_client_and_title(admin_client, mixed_invoices, query, expected):
    assert titles(listing(admin_client, q=query)) == expected


def test_search_by_number(admin_client, mixed_invoices):
    assert titles(listing(admin_client, q=mixed_invoices["current"].number)) == {"Current one"}


def test_sorting_by_total_and_amount_due(admin_client, site_a):
    small, _ = open_invoice(site_a, title="Small", lines=[line(unit_price="10")])
    big, _ = open_invoice(site_a, title="Big", allow_partial_payments=True, lines=[line(unit_price="500")])
    middle, _ = open_invoice(site_a, title="Middle", lines=[line(unit_price="100")])
    record_manual_payment(big, reason="Transfer", by=None, amount=Decimal("495.00"))  # 5.00 still due
    numbers = [small.number, big.number, middle.number]

    assert numbers_in_order(listing(admin_client, ordering="total"), numbers) == [
        small.number,
        middle.number,
        big.number,
    ]
    assert numbers_in_order(listing(admin_client, ordering="-total"), numbers) == [
        big.number,
        middle.number,
        small.number,
    ]
    due_order = numbers_in_order(listing(admin_client, ordering="balance_due"), numbers)
    assert due_order == [big.number, small.number, middle.number]


def test_sorting_by_client_name(admin_client, site_a):
    zed, _ = open_invoice(site_a, client=ClientFactory(site=site_a, name="Zed"))
    abe, _ = open_invoice(site_a, client=ClientFactory(site=site_a, name="Abe"))
    body = listing(admin_client, ordering="client__name")
    assert numbers_in_order(body, [zed.number, abe.number]) == [abe.number, zed.number]


def test_csv_export_writes_money_as_plain_decimals(admin_client, site_a, site_b):
    invoice, _ = open_invoice(site_a, title="Exported", lines=[line(quantity="3", unit_price="1234.5", tax_rate="19")])
    open_invoice(site_b, title="Dollars")
    response = admin_client.get(reverse(LIST_URL), {"export": "csv", "currency": "EUR"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode()
    records = list(csv.DictReader(io.StringIO(content)))
    assert [record["Number"] for record in records] == [invoice.number]
    record = records[0]
    assert (record["Subtotal"], record["Tax"], record["Total"]) == ("3703.50", "703.67", "4407.17")
    assert record["Amount due"] == "4407.17" and record["Currency"] == "EUR" and record["Status"] == "Open"
    assert record["Client"] == invoice.client.name and record["Website"] == "acme.test"


def test_csv_export_keeps_formulas_as_text(admin_client, site_a):
    open_invoice(site_a, client=ClientFactory(site=site_a, name='=HYPERLINK("http://evil.example")'), title="@SUM(A1)")
    response = admin_client.get(reverse(LIST_URL), {"export": "csv"})
    record = next(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert record["Client"] == '\'=HYPERLINK("http://evil.example")' and record["Title"] == "'@SUM(A1)"


def test_xlsx_export_writes_money_as_numbers(admin_client, site_a):
    invoice, _ = open_invoice(site_a, title="Exported", lines=[line(quantity="2", unit_price="10.25")])
    response = admin_client.get(reverse(LIST_URL), {"export": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    header, *data = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(data) == 1
    record = dict(zip(header, data[0], strict=True))
    assert record["Number"] == invoice.number
    assert record["Total"] == pytest.approx(20.5) and isinstance(record["Total"], int | float)
    assert record["Due date"] is not None


def seed(site, count):
    client = ClientFactory(site=site)
    for n in range(count):
        if n % 3:
            open_invoice(site, client=client, title=f"Invoice {n}")
        else:
            draft_invoice(site, client=client, title=f"Invoice {n}")


# The listing's queries: session, user, profile, count, locale, permissions (Django's, and which
# website each counts on: one query), the menu's pages, the website filter's choices and the page
# of invoices, with no query per row.
LISTING_QUERIES = 13


def test_the_listing_runs_the_same_queries_for_10_invoices_or_60(admin_client, site_a, django_assert_max_num_queries):
    seed(site_a, 10)
    listing(admin_client)  # once before counting: the process caches content types on first use
    with django_assert_max_num_queries(LISTING_QUERIES) as few:
        listing(admin_client)
    seed(site_a, 50)
    for page in (1, 2):
        with django_assert_max_num_queries(LISTING_QUERIES) as many:
            body = listing(admin_client, p=page)
        assert len(rows(body)) == 20
        assert len(many.captured_queries) == len(few.captured_queries)


def test_a_clerk_sees_only_their_website_in_the_same_queries_for_10_invoices_or_60(
    client, acme_clerk, site_a, site_b, django_assert_max_num_queries
):
    client.force_login(acme_clerk)
    seed(site_a, 10)
    open_invoice(site_b, title="Globex only")
    listing(client)  # once before counting: the process caches content types on first use
    with django_assert_max_num_queries(LISTING_QUERIES) as few:
        body = listing(client)
    assert len(rows(body)) == 10 and "Globex only" not in body
    seed(site_a, 50)
    seed(site_b, 5)
    with django_assert_max_num_queries(LISTING_QUERIES) as many:
        body = listing(client, p=3)
    assert len(rows(body)) == 20 and "Globex only" not in body
    assert len(many.captured_queries) == len(few.captured_queries)
