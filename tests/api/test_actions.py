"""The actions on one invoice: send it, record a manual payment, void it, download its PDF."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from invoicing.models import InvoiceEvent, Payment
from invoicing.services.tokens import resolve_payment_link
from tests.factories import draft_invoice, line, open_invoice

from .conftest import invoice_url

pytestmark = pytest.mark.django_db


def token_of(url):
    return url.rstrip("/").rsplit("/", 1)[1]


def test_send_email_rotates_the_link_and_returns_it_once(
    api, site_a, anymail_outbox, django_capture_on_commit_callbacks
):
    invoice, first = open_invoice(site_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(invoice_url(invoice, "send_email"), {"kind": "reminder"})
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["email"]["kind"] == "reminder" and body["email"]["to_email"] == invoice.client.email
    new_url = body["invoice"]["payment_link"]["url"]
    assert new_url in anymail_outbox[0].body and first.url not in anymail_outbox[0].body
    # The new link opens the invoice; the old one was replaced.
    assert resolve_payment_link(token_of(new_url), site=site_a) == invoice
    assert api.get(invoice_url(invoice)).json()["email_sent_count"] == 1
    assert token_of(new_url) not in api.get(invoice_url(invoice)).content.decode()


def test_a_draft_is_not_sent(api, site_a, anymail_outbox):
    draft = draft_invoice(site_a)
    response = api.post(invoice_url(draft, "send_email"))
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "only open invoices are sent" in response.json()["detail"]
    assert api.post(invoice_url(draft, "send_email"), {"kind": "fax"}).json()["fields"].keys() == {"kind"}
    # Only the charge that failed sends its email, with the reason.
    assert api.post(invoice_url(draft, "send_email"), {"kind": "charge_failed"}).json()["fields"].keys() == {"kind"}


def test_a_receipt_needs_a_payment(api, site_a):
    invoice, _link = open_invoice(site_a)
    response = api.post(invoice_url(invoice, "send_email"), {"kind": "receipt"})
    assert response.status_code == 409
    assert "no payment yet" in response.json()["detail"]


def test_mark_paid_in_full_by_default(api, site_a, admin_user):
    invoice, _link = open_invoice(site_a, lines=[line(unit_price="80.00")])
    response = api.post(invoice_url(invoice, "mark_paid"), {"reason": "Bank transfer", "reference": "TRX-9"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["payment"]["amount"] == "80.00" and body["payment"]["method"] == "manual"
    assert body["invoice"]["status"] == "paid" and body["invoice"]["is_paid"] is True
    assert body["invoice"]["amount_due"] == "0.00" and body["invoice"]["paid_at"]
    assert body["invoice"]["payment_link"] is None
    payment = Payment.objects.get()
    assert (payment.recorded_by, payment.note, payment.provider_reference) == (admin_user, "Bank transfer", "TRX-9")
    # The same reference again is the same payment, not a second one.
    again = api.post(invoice_url(invoice, "mark_paid"), {"reason": "Bank transfer", "reference": "TRX-9"})
    assert again.status_code == 409 and "nothing is due" in again.json()["detail"]
    assert Payment.objects.count() == 1


def test_a_partial_manual_payment_rotates_the_link(api, site_a):
    invoice, first = open_invoice(site_a, lines=[line(unit_price="80.00")], allow_partial_payments=True)
    response = api.post(invoice_url(invoice, "mark_paid"), {"reason": "Part", "amount": "30.00"})
    assert response.status_code == 201, response.json()
    body = response.json()["invoice"]
    assert (body["status"], body["amount_paid"], body["amount_due"]) == ("open", "30.00", "50.00")
    # The link is bound to the balance: the new one is in this response, and only here.
    assert resolve_payment_link(token_of(body["payment_link"]["url"]), site=site_a) == invoice


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "reason"),
        ({"reason": "  "}, "reason"),
        ({"reason": "x", "amount": 10}, "amount"),
        ({"reason": "x", "amount": "-1"}, "amount"),
        ({"reason": "x", "amount": "1.234"}, None),
    ],
)
def test_mark_paid_validation(api, site_a, data, field):
    invoice, _link = open_invoice(site_a)
    response = api.post(invoice_url(invoice, "mark_paid"), data)
    assert response.status_code == 400, response.json()
    if field:
        assert list(response.json()["fields"]) == [field]
    else:  # the service's own rule: EUR has two decimal places
        assert response.json()["code"] == "validation_failed" and "decimal places" in response.json()["detail"]
    assert not Payment.objects.exists()


def test_mark_paid_is_refused_while_a_card_payment_is_processing(api, site_a):
    invoice, _link = open_invoice(site_a)
    Payment.objects.create(
        invoice=invoice,
        method="stripe",
        amount=invoice.total,
        currency="EUR",
        status="processing",
        provider_reference="pi_1",
    )
    response = api.post(invoice_url(invoice, "mark_paid"), {"reason": "Cash"})
    assert (response.status_code, response.json()["code"]) == (409, "payment_rejected")
    assert "still processing" in response.json()["detail"]


def test_void(api, site_a, admin_user):
    invoice, link = open_invoice(site_a)
    assert api.post(invoice_url(invoice, "void"), {}).json()["fields"] == {"reason": ["This field is required."]}
    response = api.post(invoice_url(invoice, "void"), {"reason": "Sent twice"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "void" and response.json()["close_reason"] == "Sent twice"
    assert InvoiceEvent.objects.filter(invoice=invoice, kind=InvoiceEvent.Kind.VOIDED, actor=admin_user).exists()
    again = api.post(invoice_url(invoice, "void"), {"reason": "Again"})
    assert again.status_code == 409
    assert again.json() == {
        "code": "invalid_transition",
        "detail": f"Invoice {invoice.number} is void and cannot become void.",
    }


def test_an_invoice_with_money_received_is_not_voided(api, site_a, admin_user):
    invoice, _link = open_invoice(site_a, allow_partial_payments=True)
    api.post(invoice_url(invoice, "mark_paid"), {"reason": "Part", "amount": "10.00"})
    response = api.post(invoice_url(invoice, "void"), {"reason": "Oops"})
    assert response.status_code == 409 and "refund the payments" in response.json()["detail"]


def test_pdf(api, site_a):
    invoice, _link = open_invoice(site_a, lines=[line(description="Consulting", unit_price="1234.50")])
    response = api.get(invoice_url(invoice, "pdf"), headers={"Accept": "application/pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="invoice-{invoice.number}.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice.number in text and "Consulting" in text
    assert api.get(invoice_url(invoice, "pdf")).status_code == 200  # any Accept


def test_money_in_three_decimal_currencies(api, site_b):
    invoice, _link = open_invoice(site_b, currency="KWD", lines=[line(unit_price="12.345")])
    body = api.get(invoice_url(invoice)).json()
    assert (body["amount"], body["amount_due"], body["lines"][0]["unit_price"]) == ("12.345", "12.345", "12.345")
    assert Decimal(body["amount"]) == invoice.total
