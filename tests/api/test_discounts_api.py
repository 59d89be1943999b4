"""A draft's discount code over the API: ``POST``/``DELETE …/invoices/{id}/discount/``, the
invoice's ``discount``, and a manual payment's ``paid_on`` within an early-payment window."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from invoicing.models import DiscountCode
from tests.factories import billing_staff, draft_invoice, line, open_invoice

from .conftest import TokenClient, invoice_url

pytestmark = pytest.mark.django_db


def make_code(site, code="WELCOME10", **fields):
    fields.setdefault("percent", Decimal("10"))
    return DiscountCode.objects.create(site=site, code=code, **fields)


def test_apply_then_remove(api, site_a):
    code = make_code(site_a)
    invoice = draft_invoice(site_a, lines=[line(unit_price="100.00", tax_rate="20")])
    response = api.post(invoice_url(invoice, "discount"), {"code": "welcome10"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["discount"] == {"code": "WELCOME10", "label": "Discount WELCOME10 (10 %)", "amount": "10.00"}
    assert (body["subtotal"], body["tax"], body["amount"]) == ("90.00", "18.00", "108.00")
    assert api.get(invoice_url(invoice)).json()["discount"]["code"] == "WELCOME10"
    response = api.delete(invoice_url(invoice, "discount"))
    assert response.status_code == 200 and response.json()["discount"] is None
    assert response.json()["amount"] == "120.00"
    code.refresh_from_db()
    assert code.times_redeemed == 0


def test_a_refused_code_is_a_400_for_people(api, site_a, site_b):
    make_code(site_b, "GLOBEX")
    make_code(site_a, "FULL", max_redemptions=0)
    invoice = draft_invoice(site_a)
    response = api.post(invoice_url(invoice, "discount"), {"code": "GLOBEX"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_failed",
        "detail": "“GLOBEX” is not a discount code of this website.",
    }
    response = api.post(invoice_url(invoice, "discount"), {"code": "FULL"})
    assert response.status_code == 400 and "used as many times as it may be (0)" in response.json()["detail"]
    response = api.post(invoice_url(invoice, "discount"), {})
    assert response.status_code == 400 and response.json()["fields"] == {"code": ["This field is required."]}
    response = api.delete(invoice_url(invoice, "discount"))
    assert response.status_code == 400 and "no discount code to remove" in response.json()["detail"]


def test_an_issued_invoice_is_a_409(api, site_a):
    make_code(site_a)
    invoice, _ = open_invoice(site_a)
    response = api.post(invoice_url(invoice, "discount"), {"code": "WELCOME10"})
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
    assert "credit note" in response.json()["detail"]
    assert api.delete(invoice_url(invoice, "discount")).status_code == 409


def test_another_websites_invoice_is_a_404_and_permissions_count(client, site_a, site_b, acme_staff):
    make_code(site_b)
    theirs = draft_invoice(site_b)
    staff = TokenClient(client, acme_staff)
    assert staff.post(invoice_url(theirs, "discount"), {"code": "WELCOME10"}).status_code == 404
    assert staff.delete(invoice_url(theirs, "discount")).status_code == 404
    assert staff.post(invoice_url("nope", "discount"), {"code": "WELCOME10"}).json()["code"] == "not_found"
    make_code(site_a)
    ours = draft_invoice(site_a)
    viewer = TokenClient(client, billing_staff(site_a, username="viewer", permissions=("view_invoice",)))
    assert viewer.post(invoice_url(ours, "discount"), {"code": "WELCOME10"}).status_code == 403
    assert staff.post(invoice_url(ours, "discount"), {"code": "WELCOME10"}).status_code == 200


def test_a_manual_payment_received_within_the_window_earns_the_discount(api, site_a):
    invoice, _ = open_invoice(site_a, early_discount_percent=Decimal("2"), early_discount_days=10)
    last_day = invoice.early_discount_until
    # Recorded after the window, for a transfer that arrived on its last day.
    with time_machine.travel(timezone.now() + timedelta(days=12)):
        late = api.post(invoice_url(invoice, "mark_paid"), {"reason": "Transfer", "paid_on": str(last_day)})
    assert late.status_code == 201, late.json()
    body = late.json()
    assert body["payment"]["amount"] == "98.00" and body["invoice"]["status"] == "paid"
    future = timezone.localdate() + timedelta(days=1)
    other, _ = open_invoice(site_a)
    refused = api.post(invoice_url(other, "mark_paid"), {"reason": "Transfer", "paid_on": str(future)})
    assert refused.status_code == 400 and "cannot be in the future" in refused.json()["detail"]
