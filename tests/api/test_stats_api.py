"""GET /invoices/stats/: the statistics service's figures as JSON, for the caller's websites only,
per currency and as decimal strings. The data set and its hand-computed figures are the ones of
``tests/integration/test_stats.py`` (15 June 2026, period May 2026)."""

from datetime import date

import pytest
import time_machine

from tests.factories import billing_staff, open_invoice
from tests.integration.test_stats import build_billing_data

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

STATS = f"{API}stats/"
MAY = {"start": "2026-05-01", "end": "2026-05-31", "as_of": "2026-06-15"}


@pytest.fixture
def billing_data(site_a, site_b):
    return build_billing_data(site_a, site_b)


def by_currency(response):
    assert response.status_code == 200, response.json()
    return {row["currency"]: row for row in response.json()["currencies"]}


def test_every_eur_figure(api, billing_data):
    response = api.get(STATS, MAY)
    assert {key: response.json()[key] for key in ("start", "end", "as_of")} == MAY
    eur = by_currency(response)["EUR"]
    assert eur == {
        "currency": "EUR",
        "invoice_count": 6,
        "paid_count": 2,
        "unpaid_count": 3,
        "uncollectible_count": 1,
        "invoiced": "850.00",
        "collected": "240.00",
        "outstanding": "625.00",
        "overdue_count": 4,
        "overdue_amount": "315.00",
        "average_days_to_pay": "5.8",
        "by_method": [
            {"method": "stripe", "label": "Card (Stripe)", "count": 2, "amount": "170.00", "refunded": "30.00"},
            {"method": "manual", "label": "Manual", "count": 1, "amount": "100.00", "refunded": "0.00"},
            {"method": "credit", "label": "Account credit", "count": 1, "amount": "20.00", "refunded": "5.00"},
        ],
        "aging": [
            {"key": "current", "label": "Not yet due", "count": 2, "amount": "310.00"},
            {"key": "1_30", "label": "1–30 days", "count": 1, "amount": "150.00"},
            {"key": "31_60", "label": "31–60 days", "count": 1, "amount": "45.00"},
            {"key": "61_90", "label": "61–90 days", "count": 1, "amount": "40.00"},
            {"key": "over_90", "label": "Over 90 days", "count": 1, "amount": "80.00"},
        ],
    }


def test_each_currency_keeps_its_exponent_and_is_never_summed(api, billing_data):
    stats = by_currency(api.get(STATS, MAY))
    assert list(stats) == ["EUR", "JPY", "KWD", "USD"]
    assert (stats["JPY"]["invoiced"], stats["JPY"]["collected"], stats["JPY"]["outstanding"]) == (
        "5000",
        "2000",
        "3000",
    )
    assert stats["JPY"]["average_days_to_pay"] is None
    assert (stats["KWD"]["invoiced"], stats["KWD"]["collected"], stats["KWD"]["outstanding"]) == (
        "12.345",
        "12.345",
        "0.000",
    )
    assert (stats["USD"]["invoice_count"], stats["USD"]["collected"], stats["USD"]["average_days_to_pay"]) == (
        1,
        "1000.00",
        "30.9",
    )
    assert (stats["USD"]["outstanding"], stats["USD"]["overdue_count"]) == ("400.00", 1)


def test_only_the_callers_websites(client, billing_data, site_a, site_b):
    acme = TokenClient(client, billing_staff(site_a, username="acme-reporter", permissions=("report_invoice",)))
    assert list(by_currency(acme.get(STATS, MAY))) == ["EUR", "JPY"]
    assert by_currency(acme.get(STATS, {**MAY, "website": site_b.pk})) == {}


def test_stats_need_the_report_permission(client, billing_data, site_a):
    viewer = TokenClient(client, billing_staff(site_a, username="acme-viewer", permissions=("view_invoice",)))
    response = viewer.get(STATS, MAY)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_one_website(api, billing_data, site_b):
    assert list(by_currency(api.get(STATS, {**MAY, "website": site_b.pk}))) == ["KWD", "USD"]


def test_default_period_is_the_last_twelve_months(api, site_a):
    with time_machine.travel(date(2026, 6, 15), tick=False):
        body = api.get(STATS).json()
    assert (body["start"], body["end"], body["as_of"]) == ("2025-07-01", "2026-06-15", "2026-06-15")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-06-01", "end": "2026-05-01"}, "start"),
        ({"start": "1990-01-01", "end": "2026-05-01"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"website": "acme"}, "website"),
    ],
)
def test_bad_periods_name_the_field(api, params, field):
    response = api.get(STATS, params)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_queries_do_not_grow_with_invoices(api, billing_data, site_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(20) as before:
        api.get(STATS, MAY)
    for _ in range(5):
        open_invoice(site_a)
    with django_assert_max_num_queries(len(before.captured_queries)):
        api.get(STATS, MAY)
