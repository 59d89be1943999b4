"""Clients in the admin: the listing's invoice counts, open balances and credit per currency, and
the client's own page with its invoices."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing.models import CreditEntry
from invoicing.services.invoices import void_invoice
from invoicing.services.payments import record_manual_payment
from tests.factories import ClientFactory, draft_invoice, line, open_invoice

LIST_URL = "wagtailsnippets_invoicing_client:list"
INSPECT_URL = "wagtailsnippets_invoicing_client:inspect"


def row_of(body, name):
    table = body.split('<table class="listing', 1)[1]
    return next(row for row in table.split("<tr")[1:] if name in row)


@pytest.fixture
def busy_client(site_a):
    """Two open invoices in EUR (one half paid), one in USD, a void one and a draft; credit in EUR."""
    client = ClientFactory(site=site_a, name="Busy Buyer")
    open_invoice(site_a, client=client, lines=[line(unit_price="100")])
    half, _ = open_invoice(site_a, client=client, allow_partial_payments=True, lines=[line(unit_price="50")])
    record_manual_payment(half, reason="Transfer", by=None, amount=Decimal("20.00"))
    open_invoice(site_a, client=client, currency="USD", lines=[line(unit_price="7.5")])
    void, _ = open_invoice(site_a, client=client, lines=[line(unit_price="999")])
    void_invoice(void, reason="Duplicate")
    draft_invoice(site_a, client=client, lines=[line(unit_price="555")])
    CreditEntry.objects.create(client=client, currency="EUR", amount=Decimal("12.50"), kind="overpayment")
    CreditEntry.objects.create(client=client, currency="EUR", amount=Decimal("-2.50"), kind="spent")
    return client


def test_the_listing_shows_counts_balances_and_credit(admin_client, site_a, busy_client):
    ClientFactory(site=site_a, name="Quiet Buyer")
    body = admin_client.get(reverse(LIST_URL)).content.decode()
    busy = row_of(body, "Busy Buyer")
    assert ">5<" in busy.replace(" ", "").replace("\n", "")  # five invoices
    assert "130.00 EUR · 7.50 USD" in busy  # open invoices only: 100 + (50 - 20), and 7.50 USD
    assert "10.00 EUR" in busy  # credit: 12.50 - 2.50
    quiet = row_of(body, "Quiet Buyer")
    assert "EUR" not in quiet and ">0<" in quiet.replace(" ", "").replace("\n", "")


@pytest.mark.parametrize("query", ["Busy", "busy buyer", "client"])
def test_search_by_name_or_email_keeps_the_figures(admin_client, site_a, busy_client, query):
    ClientFactory(site=site_a, name="Quiet Buyer", email="quiet@elsewhere.example")
    response = admin_client.get(reverse(LIST_URL), {"q": query})
    assert response.status_code == 200
    body = response.content.decode()
    assert "130.00 EUR · 7.50 USD" in row_of(body, "Busy Buyer") and "Quiet Buyer" not in body


def test_the_listing_costs_the_same_queries_for_more_clients(admin_client, site_a, busy_client):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(reverse(LIST_URL)).status_code == 200
        return len(captured.captured_queries)

    before = queries()
    for n in range(8):
        client = ClientFactory(site=site_a)
        open_invoice(site_a, client=client)
        CreditEntry.objects.create(client=client, currency="EUR", amount=Decimal(n + 1), kind="overpayment")
    assert queries() == before


def test_the_client_page_lists_invoices_balance_and_credit(admin_client, busy_client):
    response = admin_client.get(reverse(INSPECT_URL, args=[busy_client.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    invoices = body.split("data-client-invoices", 1)[1].split("</table>", 1)[0]
    assert invoices.count("<tr>") == 1 + 5  # the header, then each invoice
    for invoice in busy_client.invoices.all():
        assert reverse("wagtailsnippets_invoicing_invoice:inspect", args=[invoice.pk]) in invoices
    assert "130.00 EUR · 7.50 USD" in body.split("data-open-balance", 1)[1][:200]
    assert "10.00 EUR" in body.split("data-credit-balance", 1)[1][:200]


def test_the_invoice_inspect_view_links_to_its_client(admin_client, site_a, busy_client):
    invoice = busy_client.invoices.first()
    body = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:inspect", args=[invoice.pk])).content.decode()
    assert reverse(INSPECT_URL, args=[busy_client.pk]) in body
