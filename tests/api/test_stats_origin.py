"""Recurring and one-off invoices, apart in the statistics: ``origin=recurring|one_off`` on
GET /invoices/stats/ (and the billing report's filter of the same name). Today is 5 March 2026: a
monthly schedule from 15 January has issued two invoices (15 January, 15 February) of 170.00 EUR
each, one of them paid; one one-off invoice of 100.00 EUR is paid too."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from invoicing.models import Invoice, RecurringSchedule
from invoicing.services.payments import record_manual_payment
from invoicing.services.recurring import generate_recurring_invoices
from tests.factories import billing_staff, open_invoice
from tests.integration.recurring_admin_data import recurring_schedule

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

STATS = f"{API}stats/"
PERIOD = {"start": "2026-01-01", "end": "2026-03-31", "as_of": "2026-03-05"}


@pytest.fixture(autouse=True)
def fifth_of_march():
    with time_machine.travel(datetime(2026, 3, 5, 10, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def books(site_a):
    schedule = recurring_schedule(
        site_a, start_date=date(2026, 1, 15), action=RecurringSchedule.Action.ISSUE, name="Hosting"
    )
    generate_recurring_invoices(today=date(2026, 3, 5))
    first = Invoice.objects.get(schedule=schedule, period_start=date(2026, 1, 15))
    record_manual_payment(first, reason="Transfer", by=None)
    one_off, _link = open_invoice(site_a)
    record_manual_payment(one_off, reason="Transfer", by=None)
    return schedule


def eur(response):
    assert response.status_code == 200, response.json()
    (figures,) = response.json()["currencies"]
    assert figures["currency"] == "EUR"
    return figures


def test_the_origin_splits_every_figure(api, books):
    both, recurring, one_off = (
        eur(api.get(STATS, {**PERIOD, **origin})) for origin in ({}, {"origin": "recurring"}, {"origin": "one_off"})
    )
    figures = ("invoice_count", "paid_count", "unpaid_count", "invoiced", "collected", "outstanding")
    assert [recurring[key] for key in figures] == [2, 1, 1, "340.00", "170.00", "170.00"]
    assert [one_off[key] for key in figures] == [1, 1, 0, "100.00", "100.00", "0.00"]
    assert [both[key] for key in figures] == [3, 2, 1, "440.00", "270.00", "170.00"]
    assert [row["amount"] for row in recurring["by_method"]] == ["0.00", "170.00", "0.00"]


def test_an_unknown_origin_names_the_field(api):
    response = api.get(STATS, {"origin": "monthly"})
    assert response.status_code == 400 and list(response.json()["fields"]) == ["origin"]


def test_the_origin_keeps_to_the_callers_websites(client, books, site_b):
    outsider = TokenClient(client, billing_staff(site_b, username="globex-reporter", permissions=("report_invoice",)))
    assert outsider.get(STATS, {**PERIOD, "origin": "recurring"}).json()["currencies"] == []


def test_the_billing_report_filters_by_origin(admin_client, books):
    url = reverse("invoicing_billing_report")
    period = {"period_after": PERIOD["start"], "period_before": PERIOD["end"]}

    def figures(params):
        """The summary and the months, without the tax table (whose taxable amounts may equal a total)."""
        html = admin_client.get(url, params).content.decode()
        return html.partition("Tax per rate")[0] + html.partition("By month")[2]

    recurring = figures({**period, "origin": "recurring"})
    one_off = figures({**period, "origin": "one_off"})
    both = figures(period)
    assert "340.00 EUR" in recurring and "100.00 EUR" not in recurring
    assert "100.00 EUR" in one_off and "340.00 EUR" not in one_off
    # March's row: 170.00 collected on the recurring invoice, 100.00 on the one-off, 270.00 for both.
    assert "270.00 EUR" in both and "270.00 EUR" not in recurring and "270.00 EUR" not in one_off
