"""Invoice templates in the admin, per website, and "New invoice from template": a superuser and a
clerk of Acme (site A) only, through Django's test client."""

from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from invoicing.models import Invoice, InvoiceTemplate
from tests.factories import ACCESS_ADMIN, ClientFactory, billing_staff

from .recurring_admin_data import invoice_template

LIST_URL = "wagtailsnippets_invoicing_invoicetemplate:list"
ADD_URL = "wagtailsnippets_invoicing_invoicetemplate:add"
EDIT_URL = "wagtailsnippets_invoicing_invoicetemplate:edit"
INSPECT_URL = "wagtailsnippets_invoicing_invoicetemplate:inspect"
NEW_INVOICE_URL = "wagtailsnippets_invoicing_invoicetemplate:new_invoice"
CHOOSER_URL = "wagtailsnippetchoosers_invoicing_invoicetemplate:choose"
INVOICE_EDIT_URL = "wagtailsnippets_invoicing_invoice:edit"


@pytest.fixture
def clerk_client(client, acme_clerk):
    client.force_login(acme_clerk)
    return client


@pytest.fixture
def templates(site_a, site_b):
    """Acme's template for a named client, and Globex's secret one without a client."""
    acme = invoice_template(site_a, name="Acme hosting", client=ClientFactory(site=site_a, name="Acme Buyer"))
    globex = invoice_template(site_b, name="Globex secret plan", currency="USD")
    return acme, globex


def template_form(site, client=None, **fields):
    return nested_form_data(
        {
            "site": site.pk,
            "client": client.pk if client else "",
            "name": "Retainer",
            "title": "Retainer for {period_label}",
            "description": "",
            "currency": "EUR",
            "payment_terms_days": "14",
            "notes": "",
            "lines": inline_formset(
                [{"description": "Retainer", "quantity": "1", "unit_price": "500.00", "tax_rate": "0"}]
            ),
            **fields,
        }
    )


def test_the_listing_shows_website_client_currency_and_total(admin_client, templates):
    body = admin_client.get(reverse(LIST_URL)).content.decode()
    acme_row = next(row for row in body.split("<tr")[1:] if "Acme hosting" in row)
    assert "Acme" in acme_row and "Acme Buyer" in acme_row and "EUR" in acme_row
    assert "170.00 EUR" in acme_row  # 100 + 20 % tax, and 2 × 25 untaxed
    assert "Globex secret plan" in body


def test_search_and_the_website_filter(admin_client, templates, site_b):
    assert "Acme hosting" not in admin_client.get(reverse(LIST_URL), {"q": "secret"}).content.decode()
    body = admin_client.get(reverse(LIST_URL), {"site": site_b.pk}).content.decode()
    assert "Globex secret plan" in body and "Acme hosting" not in body


def test_a_clerk_sees_only_their_websites_templates(clerk_client, templates):
    acme, globex = templates
    assert "Globex secret plan" not in clerk_client.get(reverse(LIST_URL)).content.decode()
    assert "Globex secret plan" not in clerk_client.get(reverse(CHOOSER_URL)).content.decode()
    for url in (EDIT_URL, INSPECT_URL):
        assert clerk_client.get(reverse(url, args=[globex.pk])).status_code == 404
        assert clerk_client.get(reverse(url, args=[acme.pk])).status_code == 200


def test_creating_a_template_with_its_lines(admin_client, site_a):
    client = ClientFactory(site=site_a)
    response = admin_client.post(reverse(ADD_URL), template_form(site_a, client))
    assert response.status_code == 302, response.content.decode()[:3000]
    template = InvoiceTemplate.objects.get()
    assert (template.site, template.client, template.payment_terms_days) == (site_a, client, 14)
    assert [(line.description, line.unit_price) for line in template.lines.all()] == [("Retainer", Decimal("500.00"))]


def test_a_clerk_cannot_pick_another_website_or_its_client(clerk_client, site_a, site_b):
    response = clerk_client.post(reverse(ADD_URL), template_form(site_b))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    other_client = ClientFactory(site=site_b)
    response = clerk_client.post(reverse(ADD_URL), template_form(site_a, other_client))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not InvoiceTemplate.objects.exists()


def test_a_client_of_another_website_is_refused_on_the_form(admin_client, site_a, site_b):
    response = admin_client.post(reverse(ADD_URL), template_form(site_a, ClientFactory(site=site_b, name="Globex Co")))
    assert response.status_code == 200
    assert "belongs to another website than Acme" in response.content.decode()
    assert not InvoiceTemplate.objects.exists()


def test_an_unknown_placeholder_is_refused_on_the_form(admin_client, site_a):
    data = template_form(site_a, title="Retainer for {month}")
    data["lines-0-description"] = "Hours in {quarter}"
    body = admin_client.post(reverse(ADD_URL), data).content.decode()
    assert "Unknown placeholders: {month}" in body and "Unknown placeholders: {quarter}" in body
    assert not InvoiceTemplate.objects.exists()


def test_the_inspect_view_shows_lines_total_and_the_new_invoice_button(admin_client, templates):
    acme, _globex = templates
    body = admin_client.get(reverse(INSPECT_URL, args=[acme.pk])).content.decode()
    assert "Hosting for {period_label}" in body and "170.00 EUR" in body
    assert f"{reverse(NEW_INVOICE_URL)}?template={acme.pk}" in body


def test_new_invoice_from_template_makes_a_draft_and_opens_its_editor(clerk_client, templates):
    acme, _globex = templates
    page = clerk_client.get(reverse(NEW_INVOICE_URL), {"template": acme.pk}).content.decode()
    assert f'value="{acme.pk}" selected' in page and "Globex secret plan" not in page
    response = clerk_client.post(reverse(NEW_INVOICE_URL), {"template": acme.pk})
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response.url == reverse(INVOICE_EDIT_URL, args=[invoice.pk])
    assert (invoice.status, invoice.site, invoice.client, invoice.schedule) == ("draft", acme.site, acme.client, None)
    assert [line.description for line in invoice.lines.all()] == ["Hosting for {period_label}", "Support hours"]
    assert invoice.total == Decimal("170.00")


def test_a_template_without_client_needs_one_of_its_website(admin_client, site_a, site_b):
    template = invoice_template(site_a, name="Open plan")
    response = admin_client.post(reverse(NEW_INVOICE_URL), {"template": template.pk})
    assert response.status_code == 200 and "choose the client" in response.content.decode()
    other = ClientFactory(site=site_b, name="Globex Buyer")
    response = admin_client.post(reverse(NEW_INVOICE_URL), {"template": template.pk, "client": other.pk})
    assert response.status_code == 200 and "belongs to another website" in response.content.decode()
    assert not Invoice.objects.exists()
    mine = ClientFactory(site=site_a)
    assert admin_client.post(reverse(NEW_INVOICE_URL), {"template": template.pk, "client": mine.pk}).status_code == 302
    assert Invoice.objects.get().client == mine


def test_a_clerk_cannot_make_an_invoice_from_another_websites_template(clerk_client, templates):
    _acme, globex = templates
    response = clerk_client.post(reverse(NEW_INVOICE_URL), {"template": globex.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Invoice.objects.exists()


def test_making_invoices_takes_the_permission_to_add_them(client, site_a, templates):
    viewer = billing_staff(site_a, permissions=(ACCESS_ADMIN, "view_invoice", "view_invoicetemplate"))
    client.force_login(viewer)
    response = client.post(reverse(NEW_INVOICE_URL), {"template": templates[0].pk})
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")  # Wagtail's "no permission"
    assert "New invoice from template" not in client.get(reverse(LIST_URL)).content.decode()
    assert not Invoice.objects.exists()
