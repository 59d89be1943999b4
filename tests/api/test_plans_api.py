"""The payment plan over the API: ``PUT``/``DELETE …/invoices/{id}/plan/``, the invoice's
``instalments`` and ``next_due_date``, the ``overdue`` filter under a plan, and the public pay-link
API's schedule and ``amount_due_now``."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.models import InvoiceEvent
from invoicing.services.payments import record_manual_payment
from invoicing.services.plans import set_plan
from tests.api.conftest import API, TokenClient, invoice_url
from tests.factories import line, open_invoice

pytestmark = pytest.mark.django_db


def d(days):
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def invoice(site_a):
    return open_invoice(site_a, lines=[line(unit_price="300.00")], due_date=d(90))[0]


def test_put_equal_instalments_and_read_them_back(api, invoice):
    response = api.put(invoice_url(invoice, "plan"), {"count": 3, "first_due": d(-2).isoformat()})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(row["sequence"], row["amount"], row["paid"], row["overdue"]) for row in body["instalments"]] == [
        (1, "100.00", "0.00", True),
        (2, "100.00", "0.00", False),
        (3, "100.00", "0.00", False),
    ]
    assert body["next_due_date"] == d(-2).isoformat() and body["is_overdue"] is True
    assert body["due_date"] == d(90).isoformat()  # the final due date stays on the documents
    record_manual_payment(invoice, reason="Transfer", by=None, amount=Decimal("150.00"))
    detail = api.get(invoice_url(invoice)).json()
    assert [(row["paid"], row["remaining"]) for row in detail["instalments"]] == [
        ("100.00", "0.00"),
        ("50.00", "50.00"),
        ("0.00", "100.00"),
    ]
    assert detail["next_due_date"] == detail["instalments"][1]["due_date"]


def test_put_custom_instalments_then_delete(api, invoice):
    rows = [{"due_date": d(10).isoformat(), "amount": "200.00"}, {"due_date": d(40).isoformat(), "amount": "100.00"}]
    assert api.put(invoice_url(invoice, "plan"), {"instalments": rows}).status_code == 200
    assert InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEvent.Kind.PLAN_SET).exists()
    response = api.delete(invoice_url(invoice, "plan"))
    assert response.status_code == 200 and response.json()["instalments"] == []
    assert response.json()["next_due_date"] == d(90).isoformat()
    again = api.delete(invoice_url(invoice, "plan"))
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"


@pytest.mark.parametrize(
    ("payload", "status", "detail"),
    [
        (
            {
                "instalments": [
                    {"due_date": "2030-01-10", "amount": "100.00"},
                    {"due_date": "2030-02-10", "amount": "1"},
                ]
            },
            400,
            "add up to €101.00, but the invoice's total is €300.00",
        ),
        (
            {
                "instalments": [
                    {"due_date": "2030-02-10", "amount": "150.00"},
                    {"due_date": "2030-01-10", "amount": "150.00"},
                ]
            },
            400,
            "Instalment 2 must be due after instalment 1",
        ),
        ({"count": 3}, 400, "first_due"),
        ({"count": 30, "first_due": "2030-01-10"}, 400, "count"),
        ({}, 400, "Give either count"),
        (
            {
                "count": 2,
                "instalments": [
                    {"due_date": "2030-01-10", "amount": "150.00"},
                    {"due_date": "2030-02-10", "amount": "150.00"},
                ],
            },
            400,
            "Give either count",
        ),
        (
            {"instalments": [{"due_date": "2030-01-10", "amount": 150}, {"due_date": "2030-02-10", "amount": "150"}]},
            400,
            "not as a JSON number",
        ),
    ],
)
def test_a_bad_plan_is_a_clear_400(api, invoice, payload, status, detail):
    response = api.put(invoice_url(invoice, "plan"), payload)
    assert response.status_code == status
    assert detail in str(response.json())
    assert not invoice.instalments.exists()


def test_a_paid_invoice_gets_no_plan(api, invoice):
    record_manual_payment(invoice, reason="Transfer", by=None)
    response = api.put(invoice_url(invoice, "plan"), {"count": 2, "first_due": d(1).isoformat()})
    assert response.status_code == 409 and "only an open invoice" in response.json()["detail"]


def test_another_websites_invoice_is_a_404(client, site_b, acme_staff):
    other = open_invoice(site_b, lines=[line(unit_price="300.00")])[0]
    api = TokenClient(client, acme_staff)
    assert api.put(invoice_url(other, "plan"), {"count": 2, "first_due": d(1).isoformat()}).status_code == 404
    assert api.delete(invoice_url(other, "plan")).status_code == 404
    assert not other.instalments.exists()


def test_a_viewer_cannot_set_a_plan(client, site_a, invoice):
    from tests.factories import billing_staff

    viewer = billing_staff(site_a, username="viewer", permissions=("view_invoice",))
    response = TokenClient(client, viewer).put(invoice_url(invoice, "plan"), {"count": 2, "first_due": "2030-01-01"})
    assert response.status_code == 403


def test_the_overdue_filter_counts_an_instalment_past_its_date(api, site_a, invoice):
    later = open_invoice(site_a, lines=[line(unit_price="300.00")], due_date=d(90))[0]
    set_plan(invoice, instalments=[(d(-1), Decimal("100.00")), (d(30), Decimal("200.00"))])
    set_plan(later, instalments=[(d(1), Decimal("100.00")), (d(30), Decimal("200.00"))])
    overdue = [row["id"] for row in api.get(API, {"overdue": "true"}).json()["results"]]
    assert overdue == [invoice.pk]
    not_overdue = [row["id"] for row in api.get(API, {"overdue": "false"}).json()["results"]]
    assert later.pk in not_overdue and invoice.pk not in not_overdue


def test_the_public_pay_api_shows_the_schedule_and_what_is_due_now(client, site_a):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="300.00")], due_date=d(90))
    set_plan(invoice, count=3, first_due=d(0))
    token = link.url.rstrip("/").rsplit("/", 1)[1]
    body = client.get(f"/api/v1/order-payments/invoices/pay/{token}/", HTTP_HOST="acme.test").json()
    assert body["amount_due"] == "300.00" and body["amount_due_now"] == "100.00"
    assert [row["amount"] for row in body["instalments"]] == ["100.00", "100.00", "100.00"]
    assert body["next_due_date"] == d(0).isoformat()
