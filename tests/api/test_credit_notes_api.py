"""Credit notes through the API: issue, list, read, PDF; scoped to the caller's websites."""

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from invoicing.models import CreditNote
from tests.factories import line, open_invoice
from tests.pdf_helpers import flat, pdf_text

from .conftest import TokenClient, invoice_url

pytestmark = pytest.mark.django_db

NOTE_API = "/api/v1/order-payments/credit-notes/"


def two_rates(site):
    invoice, _ = open_invoice(
        site,
        lines=[
            line("Design work", quantity="3", unit_price="100.00", tax_rate="19"),
            line("Printed books", quantity="2", unit_price="10.00", tax_rate="7"),
        ],
    )
    return invoice


def test_issue_some_lines_and_read_it_back(api, site_a):
    invoice = two_rates(site_a)
    design = invoice.lines.get(description="Design work")
    response = api.post(
        invoice_url(invoice, "credit-notes"),
        {"reason": "One day less", "lines": [{"line": design.pk, "quantity": "1"}]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    note = body["credit_note"]
    assert (note["total"], note["tax"], note["applied_to_invoice"], note["settlement"]) == (
        "119.00",
        "19.00",
        "119.00",
        "credit",
    )
    assert note["invoice_number"] == invoice.number
    assert note["lines"][0]["invoice_line"] == design.pk
    assert note["tax_summary"] == [{"rate": "19.00", "base": "100.00", "tax": "19.00"}]
    assert body["invoice"]["amount_credited"] == "119.00"
    assert body["invoice"]["amount_due"] == str(invoice.total - Decimal("119.00"))
    assert body["invoice"]["credit_notes"] == [{"id": note["id"], "number": note["number"], "total": "119.00"}]

    listed = api.get(invoice_url(invoice, "credit-notes")).json()
    assert [row["number"] for row in listed] == [note["number"]]
    assert api.get(f"{NOTE_API}{note['id']}/").json()["total"] == "119.00"


def test_the_pdf_names_the_invoice_and_carries_the_totals_and_tax_rows(api, site_a):
    invoice = two_rates(site_a)
    response = api.post(invoice_url(invoice, "credit-notes"), {"reason": "Project cancelled"})
    note = response.json()["credit_note"]
    assert note["total"] == str(invoice.total) == "378.40"

    pdf = api.get(f"{NOTE_API}{note['id']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f'filename="credit-note-{note["number"]}.pdf"' in pdf["Content-Disposition"]
    text = flat(pdf_text(pdf.content))
    assert "CREDIT NOTE" in text and note["number"] in text
    assert f"Credits invoice {invoice.number}" in text
    assert "Reason: Project cancelled" in text
    assert "Tax 19% on €300.00 €57.00" in text and "Tax 7% on €20.00 €1.40" in text
    assert "Total credited €378.40" in text
    assert re.search(r"Taken off the invoice's balance\s*€378\.40", text)
    assert PdfReader(io.BytesIO(pdf.content)).metadata.title == f"Credit note {note['number']}"


def test_refused_credit_notes_are_clear_errors(api, site_a):
    invoice = two_rates(site_a)
    design = invoice.lines.get(description="Design work")
    too_much = api.post(
        invoice_url(invoice, "credit-notes"), {"reason": "x", "lines": [{"line": design.pk, "quantity": "4"}]}
    )
    assert too_much.status_code == 400 and "left to credit" in too_much.json()["detail"]
    other = open_invoice(site_a)[0]
    foreign_line = api.post(
        invoice_url(invoice, "credit-notes"),
        {"reason": "x", "lines": [{"line": other.lines.get().pk, "quantity": "1"}]},
    )
    assert foreign_line.status_code == 400
    no_reason = api.post(invoice_url(invoice, "credit-notes"), {"reason": ""})
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["fields"]
    assert not CreditNote.objects.exists()


def test_another_websites_invoice_and_credit_note_are_404(client, acme_staff, site_a, site_b, admin_user):
    theirs = open_invoice(site_b)[0]
    superuser = TokenClient(client, admin_user)
    note_id = superuser.post(invoice_url(theirs, "credit-notes"), {"reason": "x"}).json()["credit_note"]["id"]
    acme = TokenClient(client, acme_staff)
    assert acme.post(invoice_url(theirs, "credit-notes"), {"reason": "x"}).status_code == 404
    assert acme.get(invoice_url(theirs, "credit-notes")).status_code == 404
    assert acme.get(f"{NOTE_API}{note_id}/").status_code == 404
    assert acme.get(f"{NOTE_API}{note_id}/pdf/").status_code == 404
    assert acme.get(f"{NOTE_API}nonsense/").status_code == 404
    assert CreditNote.objects.count() == 1


def test_issuing_needs_the_credit_permission(client, site_a):
    from tests.factories import billing_staff

    # Viewing and changing invoices is not enough: crediting is a permission of its own.
    clerk = billing_staff(site_a, username="cn-clerk", permissions=("view_invoice", "change_invoice"))
    invoice = two_rates(site_a)
    api = TokenClient(client, clerk)
    assert api.post(invoice_url(invoice, "credit-notes"), {"reason": "x"}).status_code == 403
    assert api.get(invoice_url(invoice, "credit-notes")).status_code == 200
    assert not CreditNote.objects.exists()
