"""The payments ledger (wagtail-modeladmin on Wagtail 8): read-only listings of payments and
refunds across invoices, filtered, searched, scoped by website, each row linked to its invoice."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Payment, Refund
from invoicing.services.payments import record_manual_payment, record_refund
from tests.factories import ACCESS_ADMIN, ClientFactory, billing_staff, open_invoice

PERMS = (ACCESS_ADMIN, "view_invoice", "view_payment", "view_refund")


def url(model, action, *args):
    return reverse(f"invoicing_{model}_modeladmin_{action}", args=args)


@pytest.fixture
def paid(site_a):
    """A manual payment on an Acme invoice, partly refunded."""
    invoice, _ = open_invoice(site_a, client=ClientFactory(site=site_a, name="Wile E. Coyote"))
    payment = record_manual_payment(invoice, reason="Transfer", by=None, reference="BANK-777").payment
    record_refund(payment, amount="30.00", provider_reference="re_1", reason="Goodwill")
    return payment


def listing(client, model, **params):
    response = client.get(url(model, "index"), params)
    assert response.status_code == 200
    return response.content.decode()


class TestPayments:
    def test_only_the_listings_own_filters_apply(self, admin_client, paid, site_a):
        """modeladmin would apply any ``field__lookup`` from the URL: following relations out of
        the row (to users' password hashes, other websites' clients) would make it an oracle."""
        probes = {
            "recorded_by__password__startswith": "md5",
            "invoice__client__email__startswith": "nobody-has-this",
            "client": "1",
        }
        for key, value in probes.items():
            response = admin_client.get(url("payment", "index"), {key: value})
            assert response.status_code == 200 and paid.invoice.number in response.content.decode(), key

    def test_a_malformed_filter_value_is_a_message_not_a_server_error(self, admin_client, paid):
        response = admin_client.get(url("payment", "index"), {"created_at__gte": "not-a-date"}, follow=True)
        assert response.status_code == 200
        assert "could not be applied" in response.content.decode()
        assert paid.invoice.number in response.content.decode()

    def test_lists_payments_with_their_invoice_client_website_and_amount(self, admin_client, paid, admin_user):
        body = listing(admin_client, "payment")
        invoice = paid.invoice
        for text in (invoice.number, "Wile E. Coyote", "Acme", "Manual", "100.00 EUR", "Succeeded"):
            assert text in body
        assert reverse("wagtailsnippets_invoicing_invoice:inspect", args=[invoice.pk]) in body
        assert "Open invoice" in body

    def test_filters_by_method_status_and_date(self, admin_client, paid, site_a):
        other, _ = open_invoice(site_a)
        Payment.objects.create(
            invoice=other, method="stripe", status="processing", amount="100.00", currency="EUR",
            provider_reference="pi_pending",
        )  # fmt: skip
        assert other.number not in listing(admin_client, "payment", method="manual")
        assert paid.invoice.number not in listing(admin_client, "payment", method="stripe")
        assert paid.invoice.number not in listing(admin_client, "payment", status="processing")
        Payment.objects.filter(pk=paid.pk).update(created_at=timezone.now() - timedelta(days=40))
        # As Django's "Past 7 days" link gives it.
        week_ago = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
        last_week = {"created_at__gte": str(week_ago)}
        body = listing(admin_client, "payment", **last_week)
        assert other.number in body and paid.invoice.number not in body

    def test_searches_invoice_numbers_and_provider_references(self, admin_client, paid, site_a):
        other, _ = open_invoice(site_a)
        record_manual_payment(other, reason="Cash", by=None, reference="CASH-1")
        assert other.number not in listing(admin_client, "payment", q="BANK-777")
        body = listing(admin_client, "payment", q=other.number)
        assert other.number in body and paid.invoice.number not in body

    def test_nothing_can_be_added_edited_or_deleted(self, admin_client, paid):
        body = listing(admin_client, "payment")
        assert url("payment", "edit", paid.pk) not in body and url("payment", "delete", paid.pk) not in body
        assert admin_client.get(url("payment", "create")).status_code in (302, 403)
        assert admin_client.post(url("payment", "edit", paid.pk), {"amount": "1"}).status_code in (302, 403)
        assert admin_client.post(url("payment", "delete", paid.pk)).status_code in (302, 403)
        assert Payment.objects.get(pk=paid.pk).amount == paid.amount

    def test_the_inspect_view_shows_the_note(self, admin_client, paid):
        response = admin_client.get(url("payment", "inspect", paid.pk))
        assert response.status_code == 200 and "BANK-777" in response.content.decode()


class TestRefunds:
    def test_lists_refunds_with_their_invoice(self, admin_client, paid):
        body = listing(admin_client, "refund")
        for text in (paid.invoice.number, "Wile E. Coyote", "Manual", "30.00 EUR", "Goodwill"):
            assert text in body
        assert reverse("wagtailsnippets_invoicing_invoice:inspect", args=[paid.invoice.pk]) in body

    def test_filters_by_payment_method(self, admin_client, paid):
        assert paid.invoice.number not in listing(admin_client, "refund", payment__method="stripe")
        assert paid.invoice.number in listing(admin_client, "refund", payment__method="manual")


class TestScoping:
    def test_staff_see_their_websites_rows_only(self, client, paid, site_b):
        theirs, _ = open_invoice(site_b)
        their_payment = record_manual_payment(theirs, reason="Transfer", by=None).payment
        client.force_login(billing_staff(site_b, permissions=PERMS))
        body = listing(client, "payment")
        assert theirs.number in body and paid.invoice.number not in body
        assert paid.invoice.number not in listing(client, "refund")
        assert client.get(url("payment", "inspect", paid.pk)).status_code == 404
        assert client.get(url("refund", "inspect", Refund.objects.get().pk)).status_code == 404
        assert client.get(url("payment", "inspect", their_payment.pk)).status_code == 200

    def test_another_websites_row_cannot_be_edited_either(self, client, paid, site_b):
        client.force_login(billing_staff(site_b, permissions=(*PERMS, "change_payment", "delete_payment")))
        assert client.post(url("payment", "edit", paid.pk), {"amount": "1"}).status_code == 404
        assert client.post(url("payment", "delete", paid.pk)).status_code == 404
        assert Payment.objects.filter(pk=paid.pk).exists()
