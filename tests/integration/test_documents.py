"""Invoices and receipts as documents, and where their PDFs can be downloaded."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from invoicing.models import BillingSettings, InvoiceEmailTemplatePage
from invoicing.pdf.document import TaxRow
from invoicing.services import invoices as invoice_services
from invoicing.services.documents import invoice_document, receipt_document
from invoicing.services.payments import record_manual_payment
from invoicing.services.tokens import revoke_payment_link
from tests.factories import ClientFactory, draft_invoice, line, open_invoice
from tests.pdf_helpers import pdf_text


@pytest.fixture
def billing(site_a):
    billing = BillingSettings.for_site(site_a)
    billing.legal_name, billing.locale, billing.paper_size = "Acme GmbH", "de_DE", "LETTER"
    billing.payment_instructions = "IBAN DE89 3704 0044 0532 0130 00"
    billing.save()
    return billing


class TestInvoiceDocument:
    def test_shows_the_invoice_as_issued(self, site_a, billing):
        client = ClientFactory(site=site_a, name="Original Name")
        invoice, link = open_invoice(
            site_a, client=client, lines=[line("A", "2", "10.00", "19"), line("B", "1", "5.00", "7")]
        )
        client.name = "Renamed later"
        client.save()
        document = invoice_document(invoice, pay_url=link.url)
        assert document.number == invoice.number and document.client.name == "Original Name"
        assert document.seller.name == "Acme GmbH"
        assert (document.locale, document.paper_size) == ("de_DE", "LETTER")
        assert document.payment_instructions.startswith("IBAN")
        assert document.taxes == (
            TaxRow(rate=Decimal(7), base=Decimal("5.00"), tax=Decimal("0.35")),
            TaxRow(rate=Decimal(19), base=Decimal("20.00"), tax=Decimal("3.80")),
        )
        assert document.total == Decimal("29.15") and document.amount_due == Decimal("29.15")
        assert document.pay_url == link.url and document.stamp is None
        assert document.created_at == invoice.issued_at
        assert document.branding.brand_color == "#123456"

    def test_a_draft_is_stamped_and_uses_the_live_client(self, site_a, billing):
        document = invoice_document(draft_invoice(site_a, client=ClientFactory(site=site_a, name="Live")))
        assert (document.stamp, document.number, document.client.name) == ("draft", "", "Live")

    def test_a_paid_invoice_is_stamped_with_its_date_and_has_no_pay_link(self, site_a, billing):
        invoice, link = open_invoice(site_a)
        record_manual_payment(invoice, reason="Transfer", by=None)
        document = invoice_document(invoice, pay_url=link.url)
        assert (document.stamp, document.stamp_date) == ("paid", invoice.paid_at.date())
        assert document.pay_url is None

    def test_a_void_invoice_is_stamped(self, site_a, billing):
        invoice, _ = open_invoice(site_a)
        invoice_services.void_invoice(invoice, reason="Duplicate")
        assert invoice_document(invoice).stamp == "void"

    def test_the_footer_is_the_branding_pages_text(self, site_a, billing):
        page = InvoiceEmailTemplatePage.for_site(site_a)
        page.footer = "<p>Acme GmbH &amp; Co</p><p>Berlin</p>"
        page.save_revision().publish()
        assert invoice_document(open_invoice(site_a)[0]).branding.footer == "Acme GmbH & Co\nBerlin"

    def test_a_receipt_shows_the_payment_and_the_balance(self, site_a, billing):
        invoice, _ = open_invoice(site_a)
        payment = record_manual_payment(invoice, amount="40.00", reason="Part", by=None, reference="BANK-1").payment
        document = receipt_document(payment)
        assert document.receipt.amount == Decimal("40.00") and document.receipt.reference == "BANK-1"
        assert document.receipt.method == "Manual"
        assert (document.amount_paid, document.amount_due) == (Decimal("40.00"), Decimal("60.00"))
        assert document.created_at == payment.created_at and document.stamp is None


class TestAdminDownloads:
    def test_one_invoice(self, admin_client, site_a, billing):
        invoice, _ = open_invoice(site_a, title="Hosting")
        response = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:pdf", args=[invoice.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="invoice-{invoice.number}.pdf"'
        text = pdf_text(response.content)
        assert invoice.number in text and "Hosting" in text

    def test_the_listing_offers_the_download(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        response = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:list"))
        assert reverse("wagtailsnippets_invoicing_invoice:pdf", args=[invoice.pk]) in response.content.decode()

    def test_needs_an_admin(self, client, site_a):
        invoice, _ = open_invoice(site_a)
        response = client.get(reverse("wagtailsnippets_invoicing_invoice:pdf", args=[invoice.pk]))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_an_unknown_invoice_is_a_404(self, admin_client, db):
        assert admin_client.get(reverse("wagtailsnippets_invoicing_invoice:pdf", args=[999999])).status_code == 404


def get(client, url):
    parts = urlsplit(url)
    return client.get(parts.path, HTTP_HOST=parts.netloc)


class TestPayPageDownloads:
    def test_the_invoice_pdf_through_the_token_carries_the_link(self, client, site_a, billing):
        invoice, link = open_invoice(site_a)
        page = get(client, link.url)
        assert f"/pay/invoice/{link.token}/pdf/" in page.content.decode()
        response = get(client, link.url + "pdf/")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "strict-origin"
        text = pdf_text(response.content)
        assert invoice.number in text and link.token[-12:] in text.replace("\n", "")

    def test_the_receipt_pdf(self, client, site_a, billing):
        invoice, link = open_invoice(site_a)
        assert get(client, link.url + "receipt/pdf/").status_code == 404  # nothing paid yet
        record_manual_payment(invoice, reason="Transfer", by=None, reference="BANK-9")
        response = get(client, link.url + "receipt/pdf/")
        assert response.status_code == 200
        assert "BANK-9" in pdf_text(response.content)

    def test_a_wrong_or_revoked_token_gets_no_pdf(self, client, site_a, site_b, billing):
        invoice, link = open_invoice(site_a)
        assert get(client, link.url[:-2] + "x/pdf/").status_code == 404
        parts = urlsplit(link.url + "pdf/")
        assert client.get(parts.path, HTTP_HOST=site_b.hostname).status_code == 404
        revoke_payment_link(invoice)
        response = get(client, link.url + "pdf/")
        assert response.status_code == 410 and response["Content-Type"].startswith("text/html")
