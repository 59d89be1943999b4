"""Sending an invoice by email from the admin, through the services."""

from django.urls import reverse

from invoicing.models import Invoice, OutboundEmail
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import record_manual_payment
from tests.factories import draft_invoice, open_invoice


def send_url(invoice):
    return reverse("wagtailsnippets_invoicing_invoice:send_email", args=[invoice.pk])


def test_a_draft_is_issued_and_sent(admin_client, site_a, anymail_outbox, django_capture_on_commit_callbacks):
    invoice = draft_invoice(site_a)
    page = admin_client.get(send_url(invoice)).content.decode()
    assert "Issue the invoice and send it" in page and invoice.client.email in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(send_url(invoice), {"kind": "invoice"}, follow=True)
    invoice.refresh_from_db()
    assert invoice.status == "open" and invoice.number
    assert "is on its way to" in response.content.decode()
    assert [message.to for message in anymail_outbox] == [[invoice.client.email]]
    assert invoice.number in anymail_outbox[0].subject
    assert invoice.email_sent and invoice.email_sent_count == 1


def test_an_open_invoice_gets_a_reminder_with_a_fresh_link(admin_client, site_a, anymail_outbox):
    invoice, old_link = open_invoice(site_a)
    admin_client.post(send_url(invoice), {"kind": "reminder"})
    email = OutboundEmail.objects.get(invoice=invoice)
    assert email.kind == "reminder"
    invoice.refresh_from_db()
    assert invoice.payment_links.count() == 2  # the reminder carries a rotated link


def test_a_paid_invoice_can_only_get_its_receipt(admin_client, site_a):
    invoice, _ = open_invoice(site_a)
    record_manual_payment(invoice, reason="Transfer", by=None)
    OutboundEmail.objects.all().delete()
    assert "Send the receipt again" in admin_client.get(send_url(invoice)).content.decode()
    admin_client.post(send_url(invoice), {"kind": "reminder"})
    assert not OutboundEmail.objects.exists()
    admin_client.post(send_url(invoice), {"kind": "receipt"})
    assert OutboundEmail.objects.get().kind == "receipt"


def test_a_void_invoice_has_nothing_to_send(admin_client, site_a):
    invoice, _ = open_invoice(site_a)
    invoice_services.void_invoice(invoice, reason="Duplicate")
    assert "there is nothing to send" in admin_client.get(send_url(invoice)).content.decode()
    admin_client.post(send_url(invoice), {"kind": "invoice"})
    assert not OutboundEmail.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status == "void"


def test_the_listing_offers_sending(admin_client, site_a):
    invoice = draft_invoice(site_a)
    assert send_url(invoice) in admin_client.get(reverse("wagtailsnippets_invoicing_invoice:list")).content.decode()


def test_needs_an_admin(client, site_a):
    invoice = draft_invoice(site_a)
    response = client.post(send_url(invoice), {"kind": "invoice"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"
