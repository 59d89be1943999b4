"""An invoice's inspect view: lines and totals, payments and refunds, the payment link, the emails
and the timeline, in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing.mail.kinds import EmailKind
from invoicing.models import Invoice
from invoicing.services.outbox import send_invoice_email
from invoicing.services.payments import record_manual_payment, record_refund
from invoicing.services.tokens import revoke_payment_link, rotate_payment_link
from tests.factories import UserFactory, draft_invoice, line, open_invoice

INSPECT_URL = "wagtailsnippets_invoicing_invoice:inspect"


def inspect(admin_client, invoice):
    response = admin_client.get(reverse(INSPECT_URL, args=[invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def section(body, marker):
    """The HTML of the table or list marked ``data-<marker>``."""
    start = body.index(f"data-{marker}")
    return body[start : body.index("</table>", start) if "<table" in body[start - 40 : start] else start + 2000]


@pytest.fixture
def billed(site_a, anymail_outbox, django_capture_on_commit_callbacks):
    """An invoice with a history: issued, emailed, half paid, partly refunded, its link rotated."""
    clerk = UserFactory(username="clerk", first_name="Clara", last_name="Clerk")
    invoice, _ = open_invoice(
        site_a,
        title="Website care",
        allow_partial_payments=True,
        lines=[line("Hosting", "2", "50", "19"), line("Support", "1", "80")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        send_invoice_email(invoice, EmailKind.INVOICE, by=clerk)
    result = record_manual_payment(invoice, reason="Bank transfer", by=clerk, amount=Decimal("60.00"), reference="TR-1")
    record_refund(result.payment, amount=Decimal("15.00"), provider_reference="RF-1", reason="Goodwill", by=clerk)
    invoice = Invoice.objects.get(pk=invoice.pk)
    rotate_payment_link(invoice, by=clerk)
    return Invoice.objects.get(pk=invoice.pk)


def test_lines_and_totals(admin_client, billed):
    body = inspect(admin_client, billed)
    lines = section(body, "invoice-lines")
    assert "Hosting" in lines and "Support" in lines and "119.00 EUR" not in lines
    totals = section(body, "invoice-totals")
    assert "180.00 EUR" in totals and "19.00 EUR" in totals and "199.00 EUR" in totals  # subtotal, tax, total
    assert "Partially paid" in body


def test_payments_and_refunds(admin_client, billed):
    body = inspect(admin_client, billed)
    payments = section(body, "invoice-payments")
    assert "60.00 EUR" in payments and "TR-1" in payments and "Bank transfer" in payments and "Clara Clerk" in payments
    refunds = section(body, "invoice-refunds")
    assert "15.00 EUR" in refunds and "RF-1" in refunds and "Goodwill" in refunds


def test_the_payment_link_its_versions_and_the_buttons(admin_client, billed):
    body = inspect(admin_client, billed)
    current = section(body, "current-link")
    assert "Active" in current and f"<dd>{billed.payment_link.version}</dd>" in current
    versions = section(body, "invoice-links")
    assert "Replaced by a new link" in versions
    rotate_url = reverse("wagtailsnippets_invoicing_invoice:rotate_link", args=[billed.pk])
    assert f'action="{rotate_url}' in body and "data-revoke-link" in body


def test_rotating_from_the_inspect_view_shows_the_new_link_once(admin_client, billed):
    rotate_url = reverse("wagtailsnippets_invoicing_invoice:rotate_link", args=[billed.pk])
    response = admin_client.post(rotate_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "http://acme.test/pay/invoice/INV-" in page and "w-clipboard" in page
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert "/pay/invoice/INV-" not in inspect(admin_client, billed)  # only its hash is kept


def test_a_revoked_link_reads_as_such(admin_client, billed):
    revoke_payment_link(billed)
    body = inspect(admin_client, billed)
    assert "This invoice has no working payment link." in body
    assert "Revoked" in section(body, "invoice-links")


def test_emails_and_their_status(admin_client, billed):
    emails = section(inspect(admin_client, billed), "invoice-emails")
    assert billed.client.email in emails and 'data-email-status="sent"' in emails


def test_the_timeline_has_who_what_and_the_data(admin_client, billed):
    timeline = section(inspect(admin_client, billed), "invoice-timeline")
    for kind in ("created", "issued", "emailed", "payment_received", "refunded", "link_rotated"):
        assert f'data-event-kind="{kind}"' in timeline, kind
    refunded = timeline.split('data-event-kind="refunded"', 1)[1].split("</tr>", 1)[0]
    assert "Clara Clerk" in refunded and "15.00" in refunded and "Amount" in refunded
    created = timeline.split('data-event-kind="created"', 1)[1].split("</tr>", 1)[0]
    assert "System" in created  # made by the factory, with nobody signed in


def test_the_header_offers_the_actions_of_the_invoices_state(admin_client, site_a, billed):
    body = inspect(admin_client, billed)
    assert reverse("wagtailsnippets_invoicing_invoice:mark_paid", args=[billed.pk]) in body
    assert reverse("wagtailsnippets_invoicing_invoice:pdf", args=[billed.pk]) in body
    assert reverse("wagtailsnippets_invoicing_invoice:edit", args=[billed.pk]) not in body  # issued: read-only
    draft = draft_invoice(site_a)
    draft_page = inspect(admin_client, draft)
    assert reverse("wagtailsnippets_invoicing_invoice:issue", args=[draft.pk]) in draft_page
    assert reverse("wagtailsnippets_invoicing_invoice:mark_paid", args=[draft.pk]) not in draft_page
    assert reverse("wagtailsnippets_invoicing_invoice:edit", args=[draft.pk]) in draft_page


def test_the_inspect_view_runs_the_same_queries_however_long_the_history(admin_client, site_a, billed):
    def queries(invoice):
        with CaptureQueriesContext(connection) as captured:
            inspect(admin_client, invoice)
        return len(captured.captured_queries)

    before = queries(billed)
    for n in range(5):
        result = record_manual_payment(billed, reason=f"Instalment {n}", by=None, amount=Decimal("1.00"))
        record_refund(result.payment, amount=Decimal("0.50"), provider_reference=f"RF-{n}")
        billed = Invoice.objects.get(pk=billed.pk)
        rotate_payment_link(billed)
    assert billed.events.count() > 20
    assert queries(billed) == before
