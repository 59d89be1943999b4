"""Creating and editing invoices in the admin: defaults from the website's billing settings, lines
with server-side totals, "issue and send now", and issued invoices that can no longer be edited."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from invoicing.models import BillingSettings, Invoice, PayPage
from tests.factories import ClientFactory, draft_invoice, open_invoice

ADD_URL = "wagtailsnippets_invoicing_invoice:add"
EDIT_URL = "wagtailsnippets_invoicing_invoice:edit"
INSPECT_URL = "wagtailsnippets_invoicing_invoice:inspect"
TWO_LINES = [
    {"description": "Design", "quantity": "2", "unit_price": "100.00", "tax_rate": "19"},
    {"description": "Hosting", "quantity": "1", "unit_price": "10.00", "tax_rate": "7"},
]


def form_data(site, client, lines=TWO_LINES, **fields):
    return nested_form_data(
        {
            "site": site.pk,
            "client": client.pk,
            "title": "Design work",
            "description": "",
            "currency": "",
            "due_date": "",
            "lines": inline_formset(lines),
            **fields,
        }
    )


def test_the_form_offers_a_client_chooser_live_totals_and_the_payment_terms(admin_client, site_a, site_b):
    BillingSettings.objects.filter(site=site_b).update(payment_terms_days=14)
    page = admin_client.get(reverse(ADD_URL)).content.decode()
    assert 'data-chooser-url="/admin/snippets/choose/invoicing/client/' in page  # Wagtail's snippet chooser
    assert "invoicing/admin/invoice_totals.js" in page and "data-invoice-totals" in page
    assert "Acme: 30 days" in page and "Globex: 14 days" in page
    assert 'data-exponents="{' in page and "&quot;JPY&quot;: 0" in page
    assert 'name="send_now"' in page


def test_creating_with_two_lines_computes_totals_and_defaults_on_the_server(admin_client, site_b):
    BillingSettings.objects.filter(site=site_b).update(payment_terms_days=14)
    response = admin_client.post(reverse(ADD_URL), form_data(site_b, ClientFactory(site=site_b)))
    assert response.status_code == 302, response.content.decode()[:3000]
    invoice = Invoice.objects.get()
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("210.00"), Decimal("38.70"), Decimal("248.70"))
    assert invoice.currency == "USD"  # the website's default currency, as the field was left empty
    assert invoice.due_date == timezone.localdate() + timedelta(days=14)
    assert invoice.status == "draft" and [line.description for line in invoice.lines.all()] == ["Design", "Hosting"]
    assert response.url == reverse("wagtailsnippets_invoicing_invoice:list")


def test_a_given_currency_and_due_date_are_kept(admin_client, site_a):
    data = form_data(site_a, ClientFactory(site=site_a), currency="JPY", due_date="2030-01-31")
    assert admin_client.post(reverse(ADD_URL), data).status_code == 302
    invoice = Invoice.objects.get()
    assert (invoice.currency, invoice.due_date.isoformat(), invoice.total) == ("JPY", "2030-01-31", Decimal("249"))


def test_send_now_issues_the_draft_and_emails_it(
    admin_client, site_a, anymail_outbox, django_capture_on_commit_callbacks
):
    client = ClientFactory(site=site_a, email="buyer@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse(ADD_URL), form_data(site_a, client, send_now="on"), follow=True)
    invoice = Invoice.objects.get()
    assert invoice.status == "open" and invoice.number.startswith("ACME-")
    assert [message.to for message in anymail_outbox] == [["buyer@example.com"]]
    assert invoice.number in anymail_outbox[0].subject
    assert response.redirect_chain[-1][0] == reverse(INSPECT_URL, args=[invoice.pk])
    assert f"Invoice {invoice.number} is issued and on its way to buyer@example.com" in response.content.decode()
    assert invoice.email_sent and invoice.email_sent_count == 1
    assert invoice.events.filter(kind="emailed", actor__isnull=False).exists()


def test_a_failed_send_keeps_no_draft_and_shows_the_reason(admin_client, site_a, anymail_outbox):
    for page in PayPage.objects.all():
        page.delete()  # no pay page: issuing cannot build the payment link
    response = admin_client.post(reverse(ADD_URL), form_data(site_a, ClientFactory(site=site_a), send_now="on"))
    assert response.status_code == 200
    assert "has no published pay page" in response.content.decode()
    assert "manage.py invoicing_setup_site acme.test" in response.content.decode()  # what to do about it
    assert not Invoice.objects.exists() and anymail_outbox == []


def test_send_now_on_edit_issues_the_draft(admin_client, site_a, anymail_outbox, django_capture_on_commit_callbacks):
    invoice = draft_invoice(site_a)
    line = invoice.lines.get()
    data = form_data(
        site_a,
        invoice.client,
        [{"id": line.pk, "description": "Work", "quantity": "3", "unit_price": "100.00", "tax_rate": "0"}],
        currency="EUR",
        send_now="on",
    )
    data["lines-INITIAL_FORMS"] = "1"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse(EDIT_URL, args=[invoice.pk]), data)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.total) == ("open", Decimal("300.00"))
    assert response.url == reverse(INSPECT_URL, args=[invoice.pk])
    assert len(anymail_outbox) == 1


def test_editing_an_issued_invoice_opens_its_inspect_view(admin_client, site_a):
    invoice, _ = open_invoice(site_a)
    response = admin_client.get(reverse(EDIT_URL, args=[invoice.pk]), follow=True)
    assert response.redirect_chain == [(reverse(INSPECT_URL, args=[invoice.pk]), 302)]
    assert "only drafts can be edited" in response.content.decode()
