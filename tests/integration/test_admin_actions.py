"""Actions on one invoice in the Wagtail admin, through Django's test client: each calls its service,
and a refused move shows Wagtail's error message and changes nothing."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from invoicing.admin.actions import available_actions
from invoicing.models import Invoice, InvoiceEvent, Payment, PaymentLink
from invoicing.services import invoices as invoice_services
from invoicing.services.payments import record_manual_payment
from invoicing.services.tokens import hash_token
from tests.factories import ACCESS_ADMIN, billing_staff, draft_invoice, open_invoice


def action_url(name, invoice):
    return reverse(f"wagtailsnippets_invoicing_invoice:{name}", args=[invoice.pk])


def message_texts(response):
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


def fresh(invoice):
    return Invoice.objects.get(pk=invoice.pk)


class TestIssue:
    def test_issues_a_draft(self, admin_client, site_a, admin_user):
        invoice = draft_invoice(site_a)
        page = admin_client.get(action_url("issue", invoice))
        assert page.status_code == 200 and "gets its number" in page.content.decode()
        response = admin_client.post(action_url("issue", invoice))
        invoice = fresh(invoice)
        assert invoice.status == "open" and invoice.number.startswith("ACME-")
        assert invoice.issued_by == admin_user
        assert response["Location"] == action_url("inspect", invoice)
        assert ("success", f"Invoice {invoice.number} issued.") in message_texts(response)

    def test_an_open_invoice_cannot_be_issued_again(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        response = admin_client.post(action_url("issue", invoice))
        assert response.status_code == 302
        [(level, text)] = message_texts(response)
        assert level == "error" and "is open and cannot become open" in text
        assert fresh(invoice).payment_links.count() == 1


class TestMarkPaid:
    def test_the_amount_defaults_to_the_balance(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        page = admin_client.get(action_url("mark_paid", invoice)).content.decode()
        assert 'value="100.00"' in page and 'name="reason"' in page

    def test_records_a_manual_payment_with_its_reason_and_reference(self, admin_client, site_a, admin_user):
        invoice, _ = open_invoice(site_a)
        response = admin_client.post(
            action_url("mark_paid", invoice), {"amount": "100.00", "reason": "Bank transfer", "reference": "TRX-1"}
        )
        assert response.status_code == 302
        invoice = fresh(invoice)
        assert invoice.status == "paid"
        payment = invoice.payments.get()
        assert (payment.method, payment.amount, payment.provider_reference) == ("manual", Decimal("100.00"), "TRX-1")
        assert (payment.note, payment.recorded_by) == ("Bank transfer", admin_user)
        assert ("success", f"100.00 EUR recorded for {invoice}.") in message_texts(response)

    def test_a_partial_amount_leaves_the_invoice_open(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a, allow_partial_payments=True)
        admin_client.post(action_url("mark_paid", invoice), {"amount": "40.00", "reason": "First instalment"})
        invoice = fresh(invoice)
        assert invoice.status == "open" and invoice.amount_due == Decimal("60.00")

    def test_without_a_reason_nothing_is_recorded(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        response = admin_client.post(action_url("mark_paid", invoice), {"amount": "100.00", "reason": "   "})
        assert response.status_code == 200
        assert "This field is required." in response.content.decode()
        assert ("error", "Nothing was changed: please correct the errors below.") in message_texts(response)
        assert not Payment.objects.exists() and fresh(invoice).status == "open"

    def test_refused_while_a_card_payment_is_processing(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        Payment.objects.create(
            invoice=invoice, method="stripe", status="processing", amount="100.00", currency="EUR",
            provider_reference="pi_processing",
        )  # fmt: skip
        response = admin_client.post(action_url("mark_paid", invoice), {"amount": "100.00", "reason": "Transfer"})
        assert response.status_code == 302
        [(level, text)] = message_texts(response)
        assert level == "error" and "still processing" in text
        assert fresh(invoice).status == "open" and not invoice.payments.filter(method="manual").exists()

    def test_an_amount_finer_than_the_currency_is_refused(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        response = admin_client.post(action_url("mark_paid", invoice), {"amount": "10.001", "reason": "Transfer"})
        assert ("error", "10.001 has more decimal places than EUR allows.") in message_texts(response)
        assert not Payment.objects.exists()


class TestVoid:
    def test_voids_with_the_reason(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        response = admin_client.post(action_url("void", invoice), {"reason": "Sent twice"})
        invoice = fresh(invoice)
        assert (invoice.status, invoice.close_reason) == ("void", "Sent twice")
        assert invoice.payment_link is None
        assert ("success", f"Invoice {invoice.number} voided.") in message_texts(response)

    def test_needs_a_reason(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        response = admin_client.post(action_url("void", invoice), {"reason": ""})
        assert response.status_code == 200 and fresh(invoice).status == "open"

    def test_a_paid_invoice_cannot_be_voided(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        record_manual_payment(invoice, reason="Transfer", by=None)
        response = admin_client.post(action_url("void", invoice), {"reason": "Oops"})
        assert response.status_code == 302
        [(level, text)] = message_texts(response)
        assert level == "error" and "is paid and cannot become void" in text
        assert fresh(invoice).status == "paid"


class TestMarkUncollectible:
    def test_writes_off_an_open_invoice(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        admin_client.post(action_url("mark_uncollectible", invoice), {"reason": "Client went bust"})
        invoice = fresh(invoice)
        assert (invoice.status, invoice.close_reason) == ("uncollectible", "Client went bust")
        assert invoice.events.filter(kind=InvoiceEvent.Kind.UNCOLLECTIBLE).exists()

    def test_a_draft_cannot_be_written_off(self, admin_client, site_a):
        invoice = draft_invoice(site_a)
        response = admin_client.post(action_url("mark_uncollectible", invoice), {"reason": ""})
        [(level, text)] = message_texts(response)
        assert level == "error" and "is draft and cannot become uncollectible" in text
        assert fresh(invoice).status == "draft"


class TestPaymentLink:
    def test_rotating_shows_the_new_link_once(self, admin_client, site_a):
        invoice, old = open_invoice(site_a)
        response = admin_client.post(action_url("rotate_link", invoice))
        assert response.status_code == 200 and "no-store" in response["Cache-Control"]
        body = response.content.decode()
        start = body.index('id="payment-link-url" value="') + len('id="payment-link-url" value="')
        url = body[start : body.index('"', start)]
        assert url.startswith("http://acme.test/pay/invoice/INV-") and "w-clipboard#copy" in body
        invoice = fresh(invoice)
        token = url.rstrip("/").rsplit("/", 1)[1]
        assert invoice.payment_link.token_hash == hash_token(token) and invoice.payment_link.version == 2
        assert PaymentLink.objects.get(token_hash=hash_token(old.token)).end_reason == "rotated"
        # Only the hash is kept: the inspect page cannot show the URL again.
        assert token not in admin_client.get(action_url("inspect", invoice)).content.decode()

    def test_revoking_ends_the_link(self, admin_client, site_a):
        invoice, link = open_invoice(site_a)
        admin_client.post(action_url("revoke_link", invoice))
        assert fresh(invoice).payment_link is None
        assert PaymentLink.objects.get(token_hash=hash_token(link.token)).end_reason == "revoked"

    def test_a_void_invoice_gets_no_new_link(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        invoice_services.void_invoice(invoice, reason="Duplicate")
        response = admin_client.post(action_url("rotate_link", invoice))
        [(level, text)] = message_texts(response)
        assert level == "error" and "cannot have a payment link" in text
        assert fresh(invoice).payment_link is None


class TestAvailableActions:
    def names(self, invoice, user):
        return [action.name for action in available_actions(fresh(invoice), user)]

    def test_follow_the_state(self, site_a, admin_user):
        draft = draft_invoice(site_a)
        assert self.names(draft, admin_user) == ["issue", "apply_discount", "send_email", "pdf"]
        invoice, _ = open_invoice(site_a)
        assert self.names(invoice, admin_user) == [
            "send_email", "mark_paid", "rotate_link", "revoke_link", "pause_reminders", "mark_uncollectible", "void",
            "set_plan", "credit_note", "pdf",
        ]  # fmt: skip
        record_manual_payment(invoice, reason="Transfer", by=None)
        assert self.names(invoice, admin_user) == ["send_email", "credit_note", "pdf"]

    def test_a_viewer_only_downloads(self, site_a):
        invoice, _ = open_invoice(site_a)
        assert self.names(invoice, billing_staff(site_a, permissions=(ACCESS_ADMIN, "view_invoice"))) == ["pdf"]

    def test_the_listing_shows_the_buttons_that_apply(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        body = admin_client.get(reverse("wagtailsnippets_invoicing_invoice:list")).content.decode()
        assert action_url("mark_paid", invoice) in body and action_url("void", invoice) in body
        assert action_url("issue", invoice) not in body


class TestAccess:
    ACTIONS = [
        "issue", "send_email", "mark_paid", "void", "mark_uncollectible", "rotate_link", "revoke_link", "pdf",
        "pause_reminders", "resume_reminders", "set_plan", "credit_note",
    ]  # fmt: skip

    @pytest.mark.parametrize("name", ACTIONS)
    def test_another_websites_invoice_is_a_404(self, client, site_a, site_b, name):
        invoice, _ = open_invoice(site_b)
        client.force_login(billing_staff(site_a))
        assert client.get(action_url(name, invoice)).status_code == 404
        assert client.post(action_url(name, invoice), {"reason": "x", "amount": "1"}).status_code == 404
        assert fresh(invoice).status == "open" and fresh(invoice).payment_links.count() == 1

    def test_staff_of_the_website_may_act(self, client, site_a):
        invoice, _ = open_invoice(site_a)
        client.force_login(billing_staff(site_a, permissions=(ACCESS_ADMIN, "view_invoice", "void_invoice")))
        client.post(action_url("void", invoice), {"reason": "Duplicate"})
        assert fresh(invoice).status == "void"

    def test_without_the_change_permission_nothing_changes(self, client, site_a):
        invoice, _ = open_invoice(site_a)
        client.force_login(billing_staff(site_a, permissions=(ACCESS_ADMIN, "view_invoice")))
        response = client.post(action_url("void", invoice), {"reason": "Duplicate"})
        assert response.status_code in (302, 403) and fresh(invoice).status == "open"
        assert client.get(action_url("pdf", invoice))["Content-Type"] == "application/pdf"
