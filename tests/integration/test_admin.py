"""The Wagtail admin through Django's test client: invoices are snippets saved by the services."""

from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from invoicing.core.exceptions import InvalidTransition
from invoicing.models import Invoice
from invoicing.services.invoices import delete_draft
from tests.factories import ClientFactory, draft_invoice, open_invoice

LIST_URL = "wagtailsnippets_invoicing_invoice:list"
ADD_URL = "wagtailsnippets_invoicing_invoice:add"
EDIT_URL = "wagtailsnippets_invoicing_invoice:edit"


def invoice_form(site, client, lines, **extra):
    return nested_form_data(
        {
            "site": site.pk,
            "client": client.pk,
            "title": "Design work",
            "description": "",
            "currency": "EUR",
            "due_date": "2030-01-31",
            "lines": inline_formset(lines),
            **extra,
        }
    )


def test_the_listing_shows_invoices_with_their_numbers(admin_client, site_a):
    invoice, _ = open_invoice(site_a, title="Listed invoice")
    response = admin_client.get(reverse(LIST_URL))
    assert response.status_code == 200
    assert invoice.number in response.content.decode()


def test_search_finds_an_invoice_by_client_name(admin_client, site_a):
    open_invoice(site_a, client=ClientFactory(site=site_a, name="Zebra Holdings"), title="Z")
    open_invoice(site_a, title="Other")
    response = admin_client.get(reverse(LIST_URL), {"q": "Zebra"})
    body = response.content.decode()
    assert "Zebra Holdings" in body and "Other" not in body


def test_creating_an_invoice_computes_totals_on_the_server(admin_client, site_a):
    client = ClientFactory(site=site_a)
    data = invoice_form(
        site_a,
        client,
        [
            {"description": "Design", "quantity": "2", "unit_price": "100.00", "tax_rate": "19"},
            {"description": "Hosting", "quantity": "1", "unit_price": "10.00", "tax_rate": "7"},
        ],
        # Fields that are not on the form are ignored, however hard one tries.
        total="1.00",
        status="paid",
        number="FAKE-1",
    )
    response = admin_client.post(reverse(ADD_URL), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    invoice = Invoice.objects.get()
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("210.00"), Decimal("38.70"), Decimal("248.70"))
    assert (invoice.status, invoice.number) == ("draft", "")
    assert invoice.lines.count() == 2
    assert invoice.events.get().kind == "created"


def test_a_client_of_another_website_is_refused_with_a_form_error(admin_client, site_a, site_b):
    data = invoice_form(
        site_a, ClientFactory(site=site_b), [{"description": "X", "quantity": "1", "unit_price": "5", "tax_rate": "0"}]
    )
    response = admin_client.post(reverse(ADD_URL), data)
    assert response.status_code == 200
    assert "belongs to another website" in response.content.decode()
    assert not Invoice.objects.exists()


def test_editing_a_draft_recomputes_totals(admin_client, site_a):
    invoice = draft_invoice(site_a)
    line = invoice.lines.get()
    data = invoice_form(
        site_a,
        invoice.client,
        [{"id": line.pk, "description": "Work", "quantity": "3", "unit_price": "100.00", "tax_rate": "0"}],
    )
    data["lines-INITIAL_FORMS"] = "1"
    response = admin_client.post(reverse(EDIT_URL, args=[invoice.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    invoice.refresh_from_db()
    assert invoice.total == Decimal("300.00")
    assert invoice.events.filter(kind="updated").count() == 1


def test_an_issued_invoice_cannot_be_edited(admin_client, site_a):
    invoice, _ = open_invoice(site_a)
    url = reverse(EDIT_URL, args=[invoice.pk])
    response = admin_client.get(url, follow=True)
    assert "only drafts can be edited" in response.content.decode()
    data = invoice_form(
        site_a, invoice.client, [{"description": "Cheaper", "quantity": "1", "unit_price": "1.00", "tax_rate": "0"}]
    )
    admin_client.post(url, data)
    invoice.refresh_from_db()
    assert invoice.total == Decimal("100.00")


def test_billing_settings_refuse_an_unknown_number_placeholder(admin_client, site_a):
    url = reverse("wagtailsettings:edit", args=["invoicing", "billingsettings", site_a.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    data = {
        "legal_name": "Acme",
        "default_currency": "EUR",
        "number_prefix": "ACME",
        "number_format": "{prefix}-{yeer}-{number}",
        "payment_terms_days": "30",
        "link_lifetime_days": "30",
    }
    response = admin_client.post(url, data)
    assert "Unknown placeholder {yeer}" in response.content.decode()


class TestDeleting:
    """Only drafts can be deleted; an issued invoice keeps its number (numbering is gapless) and is voided."""

    def test_a_draft_is_deleted(self, admin_client, site_a):
        invoice = draft_invoice(site_a)
        url = reverse("wagtailsnippets_invoicing_invoice:delete", args=[invoice.pk])
        assert admin_client.get(url).status_code == 200
        assert admin_client.post(url).status_code == 302
        assert not Invoice.objects.filter(pk=invoice.pk).exists()

    def test_an_issued_invoice_cannot_be_deleted(self, admin_client, site_a):
        invoice, _ = open_invoice(site_a)
        url = reverse("wagtailsnippets_invoicing_invoice:delete", args=[invoice.pk])
        for response in (admin_client.get(url, follow=True), admin_client.post(url, follow=True)):
            assert response.redirect_chain[-1][0] == reverse(
                "wagtailsnippets_invoicing_invoice:inspect", args=[invoice.pk]
            )
            assert "only drafts can be deleted. Void it instead." in response.content.decode()
        assert Invoice.objects.filter(pk=invoice.pk, number=invoice.number).exists()
        for page in (reverse(LIST_URL), reverse("wagtailsnippets_invoicing_invoice:inspect", args=[invoice.pk])):
            assert url not in admin_client.get(page).content.decode(), page

    def test_the_bulk_delete_leaves_issued_invoices_alone(self, admin_client, site_a):
        draft = draft_invoice(site_a)
        issued, _ = open_invoice(site_a)
        url = reverse("wagtail_bulk_action", args=["invoicing", "invoice", "delete"])
        query = f"?id={draft.pk}&id={issued.pk}"
        confirmation = admin_client.get(url + query).content.decode()
        assert "You don't have permission to delete" in confirmation and issued.number in confirmation
        admin_client.post(url + query)
        assert list(Invoice.objects.values_list("pk", flat=True)) == [issued.pk]

    def test_the_service_refuses_even_without_the_admin(self, site_a):
        invoice, _ = open_invoice(site_a)
        with pytest.raises(InvalidTransition, match="only drafts can"):
            delete_draft(invoice)
        assert Invoice.objects.filter(pk=invoice.pk).exists()
