"""The tax catalogue (issue #16): each website's rates in the admin, chosen per line on invoices and
templates; clients' tax treatments and VAT ids; the treatment an invoice was issued with; and the
billing report's tax per rate. Through Django's test client, as a superuser and as a clerk of Acme
(site A) only."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from invoicing.core.tax import TaxTreatment
from invoicing.models import Client, Invoice, InvoiceTemplate, TaxRate
from invoicing.services.documents import invoice_document
from invoicing.services.invoices import create_invoice, issue_invoice
from tests.factories import ClientFactory, draft_invoice, line

from .test_admin_invoice_form import form_data

RATES_LIST = "wagtailsnippets_invoicing_taxrate:list"
RATES_ADD = "wagtailsnippets_invoicing_taxrate:add"
RATES_EDIT = "wagtailsnippets_invoicing_taxrate:edit"
RATES_DELETE = "wagtailsnippets_invoicing_taxrate:delete"
INVOICE_ADD = "wagtailsnippets_invoicing_invoice:add"
INVOICE_INSPECT = "wagtailsnippets_invoicing_invoice:inspect"
TEMPLATE_ADD = "wagtailsnippets_invoicing_invoicetemplate:add"
CLIENT_ADD = "wagtailsnippets_invoicing_client:add"
CLIENT_EDIT = "wagtailsnippets_invoicing_client:edit"
VALID_VAT_ID = "DE136695976"


@pytest.fixture
def catalogues(site_a, site_b):
    """Acme: 19 % (default), 7 %, and an inactive 16 %; Globex: its own 20 %."""
    return {
        "vat19": TaxRate.objects.create(site=site_a, name="VAT 19 %", rate=Decimal(19), is_default=True),
        "vat7": TaxRate.objects.create(site=site_a, name="VAT 7 %", rate=Decimal(7)),
        "old16": TaxRate.objects.create(site=site_a, name="VAT 16 % (2020)", rate=Decimal(16), active=False),
        "globex20": TaxRate.objects.create(site=site_b, name="Globex sales tax", rate=Decimal(20), is_default=True),
    }


@pytest.fixture
def clerk_client(client, acme_clerk):
    client.force_login(acme_clerk)
    return client


def rate_form(site, **fields):
    return {
        "site": site.pk,
        "name": "Reduced",
        "rate": "7.00",
        "inclusive": "",
        "is_default": "",
        "active": "on",
        **fields,
    }


# -- the catalogue's admin -------------------------------------------------------------------------


def test_a_clerk_lists_only_their_websites_rates_and_another_websites_rate_is_a_404(clerk_client, catalogues):
    body = clerk_client.get(reverse(RATES_LIST)).content.decode()
    assert "VAT 19 %" in body and "VAT 7 %" in body
    assert "Globex sales tax" not in body
    assert clerk_client.get(reverse(RATES_EDIT, args=[catalogues["globex20"].pk])).status_code == 404
    assert clerk_client.get(reverse(RATES_DELETE, args=[catalogues["globex20"].pk])).status_code == 404
    assert clerk_client.get(reverse(RATES_EDIT, args=[catalogues["vat7"].pk])).status_code == 200


def test_the_listing_filters_by_active_and_searches_by_name(admin_client, catalogues):
    inactive = admin_client.get(reverse(RATES_LIST), {"active": "false"}).content.decode()
    assert "VAT 16 % (2020)" in inactive and "VAT 7 %" not in inactive
    found = admin_client.get(reverse(RATES_LIST), {"q": "Globex"}).content.decode()
    assert "Globex sales tax" in found and "VAT 19 %" not in found


def test_a_clerk_cannot_add_a_rate_to_another_website(clerk_client, site_b, catalogues):
    response = clerk_client.post(reverse(RATES_ADD), rate_form(site_b, name="Sneaky"))
    assert response.status_code == 200
    assert not TaxRate.objects.filter(name="Sneaky").exists()


def test_a_new_default_takes_over_from_the_previous_one(admin_client, site_a, site_b, catalogues):
    response = admin_client.post(reverse(RATES_ADD), rate_form(site_a, name="VAT 20 %", rate="20", is_default="on"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    defaults = TaxRate.objects.filter(is_default=True)
    assert set(defaults.values_list("name", flat=True)) == {"VAT 20 %", "Globex sales tax"}  # one per website
    # Editing another rate into the default works the same way.
    vat7 = catalogues["vat7"]
    data = rate_form(site_a, name=vat7.name, rate="7", is_default="on")
    assert admin_client.post(reverse(RATES_EDIT, args=[vat7.pk]), data).status_code == 302
    assert list(TaxRate.objects.filter(site=site_a, is_default=True).values_list("name", flat=True)) == ["VAT 7 %"]


def test_an_inactive_rate_cannot_be_the_default(admin_client, site_a, catalogues):
    response = admin_client.post(reverse(RATES_ADD), rate_form(site_a, name="Odd", is_default="on", active=""))
    assert response.status_code == 200
    assert "An inactive rate cannot be the default" in response.content.decode()
    assert not TaxRate.objects.filter(name="Odd").exists()
    assert TaxRate.objects.get(site=site_a, is_default=True) == catalogues["vat19"]


def test_a_second_rate_of_the_same_name_is_refused_on_the_form(admin_client, site_a, catalogues):
    response = admin_client.post(reverse(RATES_ADD), rate_form(site_a, name="VAT 7 %"))
    assert response.status_code == 200
    assert TaxRate.objects.filter(site=site_a, name="VAT 7 %").count() == 1


def test_a_rate_in_use_cannot_be_deleted_but_an_unused_one_can(admin_client, site_a, catalogues):
    draft_invoice(site_a, lines=[{**line(tax_rate="7"), "tax": catalogues["vat7"]}])
    page = admin_client.get(reverse(RATES_DELETE, args=[catalogues["vat7"].pk])).content.decode()
    assert "data-tax-rate-in-use" in page and "Make it inactive instead" in page and "Yes, delete" not in page
    admin_client.post(reverse(RATES_DELETE, args=[catalogues["vat7"].pk]))
    assert TaxRate.objects.filter(pk=catalogues["vat7"].pk).exists()
    assert admin_client.post(reverse(RATES_DELETE, args=[catalogues["old16"].pk])).status_code == 302
    assert not TaxRate.objects.filter(pk=catalogues["old16"].pk).exists()


def test_the_bulk_delete_keeps_a_rate_in_use_too(admin_client, site_a, catalogues):
    draft_invoice(site_a, lines=[{**line(tax_rate="7"), "tax": catalogues["vat7"]}])
    url = reverse("wagtail_bulk_action", args=["invoicing", "taxrate", "delete"])
    response = admin_client.post(url + f"?id={catalogues['vat7'].pk}&id={catalogues['old16'].pk}", follow=True)
    assert response.status_code == 200 and "in use and were not deleted" in response.content.decode()
    assert TaxRate.objects.filter(pk__in=[catalogues["vat7"].pk, catalogues["old16"].pk]).count() == 2


# -- lines choose a rate ----------------------------------------------------------------------------


def test_the_line_select_offers_the_users_active_rates_with_the_default_first_on_new_lines(clerk_client, catalogues):
    page = clerk_client.get(reverse(INVOICE_ADD)).content.decode()
    vat19, vat7 = catalogues["vat19"], catalogues["vat7"]
    assert f'<option value="{vat7.pk}" data-rate="7.00" data-site="{vat7.site_id}">VAT 7 % (7 %)</option>' in page
    assert "Globex sales tax" not in page and "VAT 16 % (2020)" not in page  # another website's; inactive
    # The clerk bills for one website: a new line (and the template of the lines added) starts with its default.
    default = f'<option value="{vat19.pk}" selected data-rate="19.00" data-site="{vat19.site_id}" data-default="">'
    assert page.count(default) == 2


def test_a_chosen_rate_gives_the_line_its_percentage(admin_client, site_a, catalogues):
    lines = [
        {
            "description": "Design",
            "quantity": "2",
            "unit_price": "100.00",
            "tax": catalogues["vat19"].pk,
            "tax_rate": "",
        },
        {"description": "Books", "quantity": "1", "unit_price": "10.00", "tax": catalogues["vat7"].pk, "tax_rate": "3"},
    ]
    response = admin_client.post(reverse(INVOICE_ADD), form_data(site_a, ClientFactory(site=site_a), lines))
    assert response.status_code == 302, response.content.decode()[-3000:]
    invoice = Invoice.objects.get()
    assert [(x.tax_id, x.tax_rate) for x in invoice.lines.order_by("sort_order")] == [
        (catalogues["vat19"].pk, Decimal("19.00")),
        (catalogues["vat7"].pk, Decimal("7.00")),  # the typed 3 % gave way to the chosen rate
    ]
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("210.00"), Decimal("38.70"), Decimal("248.70"))


def test_a_line_cannot_use_another_websites_rate_in_the_admin(admin_client, site_a, catalogues):
    lines = [{"description": "Design", "quantity": "1", "unit_price": "100.00", "tax": catalogues["globex20"].pk}]
    response = admin_client.post(reverse(INVOICE_ADD), form_data(site_a, ClientFactory(site=site_a), lines))
    assert response.status_code == 200
    assert "is not an active rate of Acme" in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_clerk_cannot_even_name_another_websites_rate(clerk_client, site_a, catalogues):
    lines = [{"description": "Design", "quantity": "1", "unit_price": "100.00", "tax": catalogues["globex20"].pk}]
    response = clerk_client.post(reverse(INVOICE_ADD), form_data(site_a, ClientFactory(site=site_a), lines))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Invoice.objects.exists()


def test_an_inactive_rate_is_refused(admin_client, site_a, catalogues):
    lines = [{"description": "Old", "quantity": "1", "unit_price": "100.00", "tax_rate": "16"}]
    response = admin_client.post(reverse(INVOICE_ADD), form_data(site_a, ClientFactory(site=site_a), lines))
    assert response.status_code == 200
    assert "16 % is not a rate of Acme" in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_typed_rate_that_the_catalogue_has_is_linked_to_it(admin_client, site_a, catalogues):
    lines = [{"description": "Books", "quantity": "1", "unit_price": "10.00", "tax_rate": "7"}]
    assert (
        admin_client.post(reverse(INVOICE_ADD), form_data(site_a, ClientFactory(site=site_a), lines)).status_code == 302
    )
    assert Invoice.objects.get().lines.get().tax == catalogues["vat7"]


def test_without_a_catalogue_typed_rates_keep_working(admin_client, site_b):
    lines = [{"description": "Work", "quantity": "1", "unit_price": "100.00", "tax_rate": "8.25"}]
    assert (
        admin_client.post(reverse(INVOICE_ADD), form_data(site_b, ClientFactory(site=site_b), lines)).status_code == 302
    )
    invoice_line = Invoice.objects.get().lines.get()
    assert (invoice_line.tax, invoice_line.tax_rate) == (None, Decimal("8.25"))


def test_the_invoice_form_takes_prices_with_tax_and_early_payment_terms(admin_client, site_a, catalogues):
    lines = [{"description": "Design", "quantity": "1", "unit_price": "119.00", "tax": catalogues["vat19"].pk}]
    data = form_data(
        site_a,
        ClientFactory(site=site_a),
        lines,
        prices_include_tax="on",
        early_discount_percent="2",
        early_discount_days="10",
    )
    assert admin_client.post(reverse(INVOICE_ADD), data).status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.prices_include_tax
    assert (invoice.subtotal, invoice.tax, invoice.total) == (Decimal("100.00"), Decimal("19.00"), Decimal("119.00"))
    assert (invoice.early_discount_percent, invoice.early_discount_days) == (Decimal(2), 10)


def test_template_lines_choose_from_the_same_catalogue(admin_client, site_a, catalogues):
    def template_data(tax):
        return nested_form_data(
            {
                "site": site_a.pk,
                "client": "",
                "name": "Retainer",
                "title": "Retainer",
                "description": "",
                "currency": "EUR",
                "payment_terms_days": "14",
                "notes": "",
                "lines": inline_formset(
                    [{"description": "Retainer", "quantity": "1", "unit_price": "500.00", "tax": tax, "tax_rate": ""}]
                ),
            }
        )

    refused = admin_client.post(reverse(TEMPLATE_ADD), template_data(catalogues["globex20"].pk))
    assert refused.status_code == 200 and "is not an active rate of Acme" in refused.content.decode()
    assert admin_client.post(reverse(TEMPLATE_ADD), template_data(catalogues["vat7"].pk)).status_code == 302
    template_line = InvoiceTemplate.objects.get().lines.get()
    assert (template_line.tax, template_line.tax_rate) == (catalogues["vat7"], Decimal("7.00"))


# -- clients' tax treatment ---------------------------------------------------------------------------


def client_form(site, **fields):
    return {
        "site": site.pk,
        "name": "Initech GmbH",
        "email": "ap@initech.example",
        "billing_address": "Berlin",
        "tax_id": "",
        "tax_treatment": "standard",
        "tax_exemption_reason": "",
        **fields,
    }


def test_a_vat_id_is_checked_offline_and_stored_compact(admin_client, site_a):
    response = admin_client.post(reverse(CLIENT_ADD), client_form(site_a, tax_id="de 136 695 976"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Client.objects.get().tax_id == VALID_VAT_ID


def test_a_wrong_check_digit_is_refused(admin_client, site_a):
    response = admin_client.post(reverse(CLIENT_ADD), client_form(site_a, tax_id="DE136695977"))
    assert response.status_code == 200
    assert "is not a valid VAT ID" in response.content.decode() and "check digit" in response.content.decode()
    assert not Client.objects.exists()


def test_a_tax_id_that_is_no_vat_id_is_kept_as_typed(admin_client, site_a):
    assert admin_client.post(reverse(CLIENT_ADD), client_form(site_a, tax_id="12-3456789")).status_code == 302
    assert Client.objects.get().tax_id == "12-3456789"  # a US EIN


def test_reverse_charge_needs_a_vat_id(admin_client, site_a):
    for tax_id in ("", "12-3456789"):
        response = admin_client.post(
            reverse(CLIENT_ADD), client_form(site_a, tax_id=tax_id, tax_treatment="reverse_charge")
        )
        assert response.status_code == 200
        assert "Reverse charge needs the client&#x27;s VAT ID" in response.content.decode()
    assert not Client.objects.exists()
    data = client_form(site_a, tax_id=VALID_VAT_ID, tax_treatment="reverse_charge")
    assert admin_client.post(reverse(CLIENT_ADD), data).status_code == 302


def test_an_exemption_needs_its_reason(admin_client, site_a):
    response = admin_client.post(reverse(CLIENT_ADD), client_form(site_a, tax_treatment="exempt"))
    assert response.status_code == 200 and "Give the reason for the exemption" in response.content.decode()
    data = client_form(site_a, tax_treatment="exempt", tax_exemption_reason="Article 132(1)(i)")
    assert admin_client.post(reverse(CLIENT_ADD), data).status_code == 302


def test_an_issued_invoice_keeps_the_treatment_it_was_issued_with(admin_client, site_a, catalogues):
    client = ClientFactory(site=site_a, tax_id=VALID_VAT_ID, tax_treatment=TaxTreatment.REVERSE_CHARGE)
    issued = create_invoice(
        site=site_a,
        client=client,
        title="Consulting",
        lines=[{**line(unit_price="100.00"), "tax": catalogues["vat19"]}],
    )
    issue_invoice(issued)
    draft = create_invoice(
        site=site_a, client=client, title="Next", lines=[{**line(unit_price="100.00"), "tax": catalogues["vat19"]}]
    )
    assert (issued.tax, issued.total) == (Decimal("0.00"), Decimal("100.00"))
    # The client becomes a standard one.
    data = client_form(site_a, name=client.name, email=client.email, tax_id=VALID_VAT_ID, tax_treatment="standard")
    assert admin_client.post(reverse(CLIENT_EDIT, args=[client.pk]), data).status_code == 302
    issued.refresh_from_db()
    assert (issued.tax_treatment, issued.tax, issued.total) == ("reverse_charge", Decimal("0.00"), Decimal("100.00"))
    assert invoice_document(issued).tax_treatment == "reverse_charge"
    page = admin_client.get(reverse(INVOICE_INSPECT, args=[issued.pk])).content.decode()
    assert 'data-tax-treatment="reverse_charge"' in page and "Article 196" in page
    # A draft follows its client: its next save charges tax.
    draft.refresh_from_db()
    assert invoice_document(draft).tax_treatment == "standard"


def test_the_inspect_view_shows_the_tax_summary_per_rate(admin_client, site_a, catalogues):
    invoice = create_invoice(
        site=site_a,
        client=ClientFactory(site=site_a),
        title="Two rates",
        lines=[
            {**line(unit_price="200.00"), "tax": catalogues["vat19"], "tax_rate": Decimal(19)},
            {**line(unit_price="10.00"), "tax": catalogues["vat7"], "tax_rate": Decimal(7)},
        ],
    )
    page = admin_client.get(reverse(INVOICE_INSPECT, args=[invoice.pk])).content.decode()
    summary = page[page.index("data-tax-summary") :]
    for rate, base, tax in (("7", "10.00", "0.70"), ("19", "200.00", "38.00")):
        row = summary[summary.index(f'data-tax-rate="{rate}"') :].split("</tr>")[0]
        assert base in row and tax in row


# -- the billing report -------------------------------------------------------------------------------


def test_the_billing_report_shows_and_exports_tax_per_rate(admin_client, site_a, site_b, catalogues):
    def issued(site, lines, **client_fields):
        invoice = create_invoice(site=site, client=ClientFactory(site=site, **client_fields), title="T", lines=lines)
        issue_invoice(invoice)
        return invoice

    issued(site_a, [line(unit_price="100.00", tax_rate="19"), line(unit_price="10.00", tax_rate="7")])
    issued(site_a, [line(unit_price="50.00", tax_rate="19")])
    issued(site_a, [line(unit_price="80.00", tax_rate="19")], tax_id=VALID_VAT_ID, tax_treatment="reverse_charge")
    voided = issued(site_a, [line(unit_price="999.00", tax_rate="19")])
    Invoice.objects.filter(pk=voided.pk).update(status="void")
    issued(site_b, [line(unit_price="30.00", tax_rate="20")])
    draft_invoice(site_a, lines=[line(unit_price="500.00", tax_rate="19")])  # never issued

    page = admin_client.get(reverse("invoicing_billing_report")).content.decode()
    table = page[page.index("data-billing-tax-rates") :].split("</table>")[0]
    rows = {
        (chunk.split('data-currency="')[1].split('"')[0], chunk.split('data-tax-rate="')[1].split('"')[0]): chunk
        for chunk in table.split("<tr")[2:]
    }
    assert set(rows) == {("EUR", "0"), ("EUR", "7"), ("EUR", "19"), ("USD", "20")}
    assert "150.00" in rows[("EUR", "19")] and "28.50" in rows[("EUR", "19")]  # 19 % of 100 + 50
    assert "10.00" in rows[("EUR", "7")] and "0.70" in rows[("EUR", "7")]
    assert "80.00" in rows[("EUR", "0")]  # the reverse-charge invoice
    assert "6.00" in rows[("USD", "20")]

    response = admin_client.get(reverse("invoicing_billing_report"), {"export": "csv", "site": site_a.pk})
    exported = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    heading, rows = exported[0], exported[1:]
    assert heading[-6:] == [
        "Taxable at 0 %",
        "Tax at 0 %",
        "Taxable at 7 %",
        "Tax at 7 %",
        "Taxable at 19 %",
        "Tax at 19 %",
    ]
    this_month = next(row for row in rows if row[1] == "EUR" and row[2] != "0")
    assert this_month[-6:] == ["80.00", "0.00", "10.00", "0.70", "150.00", "28.50"]


def test_drafts_made_by_a_service_follow_the_catalogue_too(site_a, catalogues):
    """A recurring run or any other caller of the services: the same rule as the admin and the API."""
    from invoicing.core.exceptions import ValidationFailed

    client = ClientFactory(site=site_a)
    with pytest.raises(ValidationFailed, match="not a rate of"):
        create_invoice(site=site_a, client=client, title="Typed", lines=[line(tax_rate="16")])
    assert not Invoice.objects.filter(title="Typed").exists()
    invoice = create_invoice(site=site_a, client=client, title="Matched", lines=[line(tax_rate="19")])
    stored = invoice.lines.get()
    assert stored.tax == TaxRate.objects.get(site=site_a, rate=19) and stored.tax_rate == 19
