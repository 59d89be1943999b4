"""The invoice resource: list, create, read, update and delete, with site scoping and clear errors."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from invoicing.core.lifecycle import InvoiceStatus
from invoicing.models import Invoice
from invoicing.services.invoices import void_invoice
from invoicing.services.payments import record_manual_payment
from tests.factories import ClientFactory, draft_invoice, line, open_invoice

from .conftest import API, invoice_url

pytestmark = pytest.mark.django_db


def new_invoice(site, client, **overrides):
    return {
        "website": site.pk,
        "client": client.pk,
        "title": "Website redesign",
        "description": "Phase 1",
        "due_date": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "lines": [
            {"description": "Design", "quantity": "2", "unit_price": "150.00", "tax_rate": "20"},
            {"description": "Hosting", "unit_price": "10.50"},
        ],
        **overrides,
    }


def test_create_a_draft(api, site_a, admin_user):
    client = ClientFactory(site=site_a)
    response = api.post(API, new_invoice(site_a, client))
    assert response.status_code == 201, response.json()
    body = response.json()
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.status == InvoiceStatus.DRAFT and invoice.lines.count() == 2
    assert body["status"] == "draft" and body["reference_id"] is None and body["payment_link"] is None
    # Totals are the server's, as strings at the currency's exponent.
    assert (body["subtotal"], body["tax"], body["amount"], body["amount_due"]) == (
        "310.50",
        "60.00",
        "370.50",
        "370.50",
    )
    assert body["currency"] == "EUR" and body["website"] == site_a.pk and body["client"] == client.pk
    assert [line["total"] for line in body["lines"]] == ["300.00", "10.50"]
    assert body["lines"][1]["quantity"] == "1.000" and body["lines"][1]["tax_rate"] == "0.00"
    assert body["is_paid"] is False and body["payment"] is None and body["payments"] == []
    assert body["email_sent"] is False and body["email_sent_count"] == 0 and body["token_expires_at"] is None


def test_create_and_issue_returns_the_link_once(api, site_a):
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), issue=True))
    assert response.status_code == 201, response.json()
    body = response.json()
    invoice = Invoice.objects.get(pk=body["id"])
    assert body["status"] == "open" and invoice.number.startswith("ACME-")
    assert body["reference_id"] == invoice.number
    link = body["payment_link"]
    assert link["url"].startswith("http://acme.test/pay/invoice/INV-")
    assert body["token_expires_at"] == link["expires_at"]
    # The raw token is never shown again: not in the detail, not in the list.
    token = link["url"].rstrip("/").rsplit("/", 1)[1]
    assert token not in api.get(invoice_url(invoice)).content.decode()
    assert token not in api.get(API).content.decode()
    assert api.get(invoice_url(invoice)).json()["payment_link"] is None


def test_create_issue_and_send(api, site_a, anymail_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            API, new_invoice(site_a, ClientFactory(site=site_a, email="pay@client.example"), send_email=True)
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "open" and body["payment_link"]["url"]
    assert [message.to for message in anymail_outbox] == [["pay@client.example"]]
    # The email carries the very link the response shows.
    assert body["payment_link"]["url"] in anymail_outbox[0].body
    detail = api.get(invoice_url(body["id"])).json()
    assert detail["email_sent"] is True and detail["email_sent_count"] == 1
    assert detail["last_email"]["status"] == "sent" and detail["last_email"]["kind"] == "invoice"


def test_an_issue_that_fails_leaves_no_draft(api, site_a):
    response = api.post(
        API,
        new_invoice(site_a, ClientFactory(site=site_a), issue=True, lines=[{"description": "Free", "unit_price": "0"}]),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert "more than zero" in response.json()["detail"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "may not be blank"),
        ({"lines": []}, "lines", "may not be empty"),
        ({"lines": [{"description": "x", "unit_price": 12.5}]}, "lines[0].unit_price", "as a string"),
        ({"lines": [{"description": "x", "unit_price": "abc"}]}, "lines[0].unit_price", "valid number"),
        ({"lines": [{"description": "x", "unit_price": "1", "quantity": "0"}]}, "lines[0].quantity", "greater than"),
        ({"lines": [{"description": "x", "unit_price": "1", "tax_rate": "101"}]}, "lines[0].tax_rate", "less than"),
        ({"currency": "XYZ"}, "currency", "not a valid choice"),
        ({"due_date": "2999-01-01"}, "due_date", "ten years"),
        ({"website": 999999}, "website", "does not exist"),
    ],
)
def test_validation_errors_name_the_field(api, site_a, change, field, message):
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), **change))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"] and message in body["fields"][field][0]
    assert body["detail"].startswith(f"{field}: ")
    assert not Invoice.objects.exists()


def test_a_client_of_another_website_is_refused(api, site_a, site_b):
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_b)))
    assert response.status_code == 400
    assert response.json()["fields"] == {"client": ["This client belongs to another website."]}


def test_staff_cannot_create_for_a_website_they_do_not_bill(acme_api, site_a, site_b):
    response = acme_api.post(API, new_invoice(site_b, ClientFactory(site=site_b)))
    assert response.status_code == 400
    # The same answer as for a website that does not exist: nothing is revealed.
    assert "does not exist" in response.json()["fields"]["website"][0]
    assert "does not exist" in response.json()["fields"]["client"][0]
    assert not Invoice.objects.exists()


def test_retrieve_shows_lines_payments_and_link_expiry(api, site_a, admin_user):
    invoice, link = open_invoice(site_a, lines=[line(unit_price="200.00")], allow_partial_payments=True)
    record_manual_payment(invoice, reason="Bank transfer", by=admin_user, amount="50.00", reference="TRX-1")
    body = api.get(invoice_url(invoice)).json()
    assert (body["amount"], body["amount_paid"], body["amount_due"]) == ("200.00", "50.00", "150.00")
    assert body["is_partially_paid"] is True and body["is_paid"] is False
    assert body["payments"] == [
        {
            "id": invoice.payments.get().pk,
            "method": "manual",
            "status": "succeeded",
            "amount": "50.00",
            "refunded": "0.00",
            "currency": "EUR",
            "reference": "TRX-1",
            "note": "Bank transfer",
            "created_at": body["payments"][0]["created_at"],
        }
    ]
    assert body["payment"]["reference"] == "TRX-1"
    invoice.refresh_from_db()
    assert (
        body["token_expires_at"] is not None
        and body["token_expires_at"][:10] == invoice.token_expires_at.date().isoformat()
    )


def test_list_filters_search_and_pagination(api, site_a, site_b):
    today = timezone.localdate()
    overdue, _ = open_invoice(site_a, title="Old work", due_date=today - timedelta(days=3))
    current, _ = open_invoice(site_a, title="New work", due_date=today + timedelta(days=3))
    draft = draft_invoice(site_a, title="Draft work")
    other, _ = open_invoice(site_b, title="Globex work")

    def ids(**params):
        response = api.get(API, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {overdue.pk, current.pk, draft.pk, other.pk}
    assert ids(status="open") == {overdue.pk, current.pk, other.pk}
    assert ids(status=["draft", "open"], website=site_a.pk) == {overdue.pk, current.pk, draft.pk}
    assert ids(overdue="true") == {overdue.pk}
    assert ids(overdue="false", website=site_a.pk) == {current.pk, draft.pk}
    assert ids(client=overdue.client_id) == {overdue.pk}
    assert ids(due_before=today.isoformat(), status="open") == {overdue.pk}
    assert ids(due_after=today.isoformat(), status="open") == {current.pk, other.pk}
    assert ids(issued_after=today.isoformat()) == {overdue.pk, current.pk, other.pk}
    assert ids(issued_before=(today - timedelta(days=1)).isoformat()) == set()
    assert ids(search=overdue.number) == {overdue.pk}
    assert ids(currency="USD") == {other.pk}
    page = api.get(API, {"page_size": 2, "ordering": "due_date", "status": "open"}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert page["results"][0]["id"] == overdue.pk
    assert api.get(API, {"page": 99}).status_code == 404
    assert api.get(API, {"status": "nonsense"}).json()["code"] == "invalid"


def test_the_list_keeps_a_fixed_number_of_queries(api, site_a, admin_user, django_assert_max_num_queries):
    for _ in range(3):
        invoice, _link = open_invoice(site_a)
        record_manual_payment(invoice, reason="Cash", by=admin_user, amount="10.00")
    with django_assert_max_num_queries(8) as few:
        assert len(api.get(API).json()["results"]) == 3
    for _ in range(5):
        invoice, _link = open_invoice(site_a)
        record_manual_payment(invoice, reason="Cash", by=admin_user, amount="10.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(API).json()["results"]) == 8


def test_update_a_draft(api, site_a):
    invoice = draft_invoice(site_a, title="Before")
    response = api.patch(
        invoice_url(invoice), {"title": "After", "lines": [{"description": "A", "unit_price": "5.00"}]}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "After" and response.json()["amount"] == "5.00"
    invoice.refresh_from_db()
    assert invoice.title == "After" and invoice.total == 5
    put = api.put(invoice_url(invoice), new_invoice(site_a, invoice.client, title="Replaced"))
    assert put.status_code == 200, put.json()
    assert put.json()["title"] == "Replaced" and len(put.json()["lines"]) == 2
    # PUT replaces the whole draft: leaving a required field out is an error.
    assert api.put(invoice_url(invoice), {"title": "Only"}).json()["fields"].keys() >= {"website", "client", "lines"}


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_issued_invoice_cannot_be_edited(api, site_a, admin_user, method):
    invoice, _link = open_invoice(site_a)
    record_manual_payment(invoice, reason="Paid in cash", by=admin_user)
    response = getattr(api, method)(invoice_url(invoice), {"title": "Changed"})
    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_transition",
        "detail": f"Invoice {invoice.number} is paid and can no longer be edited.",
    }
    invoice.refresh_from_db()
    assert invoice.title == "Services"


def test_delete_a_draft_but_not_an_issued_invoice(api, site_a):
    draft = draft_invoice(site_a)
    assert api.delete(invoice_url(draft)).status_code == 204
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    invoice, _link = open_invoice(site_a)
    response = api.delete(invoice_url(invoice))
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["detail"] == (
        f"Invoice {invoice.number} is open and cannot be deleted: only drafts can. Void it instead."
    )
    assert Invoice.objects.filter(pk=invoice.pk, status="open").exists()
    void_invoice(invoice, reason="Mistake")
    assert api.delete(invoice_url(invoice)).status_code == 409


def test_unknown_invoice_and_methods(api):
    response = api.get(invoice_url(424242))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert api.get(f"{API}abc/").status_code == 404
    response = api.post(invoice_url(424242, "void"), {"reason": "x"})
    assert response.status_code == 404
    response = api.delete(API)
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


def test_json_only(api, site_a):
    response = api.client.post(API, "title=x", content_type="application/x-www-form-urlencoded", headers=api.headers)
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")
    response = api.client.post(API, "{not json", content_type="application/json", headers=api.headers)
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_dates_in_the_past_are_fine(api, site_a):
    response = api.post(API, new_invoice(site_a, ClientFactory(site=site_a), due_date=date(2020, 1, 31).isoformat()))
    assert response.status_code == 201 and response.json()["due_date"] == "2020-01-31"


def test_a_patch_never_leaves_half_a_line(api, site_a):
    invoice = draft_invoice(site_a)
    response = api.patch(invoice_url(invoice), {"lines": [{"description": "No price"}]})
    assert response.status_code == 400
    assert response.json()["fields"] == {"lines[0].unit_price": ["This field is required."]}
    assert api.patch(invoice_url(invoice), ["not", "an", "object"]).json()["code"] == "invalid"
    invoice.refresh_from_db()
    assert invoice.lines.count() == 1 and invoice.total == 100
